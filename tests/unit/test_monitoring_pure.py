"""Pure helpers of modules/monitoring.py: scrape targets, dashboards, alerts, alertmanager, values."""

from __future__ import annotations

import json

from mlplat.modules import monitoring as m
from mlplat.modules.common import Context
from mlplat.stacks.platform_spec.model import Monitoring

ALL = ["network", "storage", "cluster", "tracking", "orchestrator", "feature_store", "serving", "monitoring"]


def ctx(provider: str = "aws", storage_class: str | None = None) -> Context:
    return Context("churn", "prod", provider, "us-east-1", {}, True, False, False, 30, storage_class=storage_class)


def test_scrape_targets_for_every_workload_component():
    targets = m.scrape_targets(ctx(), ALL, serving_kind="kserve", orchestrator_kind="airflow")
    assert {t.component for t in targets} == {"tracking", "orchestrator", "feature_store", "serving"}
    tracking = next(t for t in targets if t.component == "tracking")
    assert tracking.namespace == "churn-prod-tracking" and tracking.kind == "ServiceMonitor"
    spec = m.monitor_spec(tracking)
    assert spec["namespaceSelector"] == {"matchNames": ["churn-prod-tracking"]}
    assert spec["endpoints"][0]["port"] == "http"
    # MinIO is scraped on kubernetes targets only.
    k = m.scrape_targets(ctx("kubernetes"), ALL, serving_kind="seldon", orchestrator_kind="kubeflow-pipelines")
    assert {t.component for t in k} >= {"storage"}
    assert next(t for t in k if t.component == "orchestrator").namespace == "kubeflow"


def test_dashboards_are_valid_grafana_json():
    boards = m.dashboards(ctx(), ALL, serving_kind="kserve", orchestrator_kind="airflow", gpu=True)
    assert set(boards) == {"serving", "gpu", "pipelines"}
    for b in boards.values():
        json.loads(json.dumps(b))
        assert b["uid"] and b["panels"] and all(p["targets"] for p in b["panels"])
    exprs = " ".join(t["expr"] for p in boards["gpu"]["panels"] for t in p["targets"])
    assert "DCGM_FI_DEV_GPU_UTIL" in exprs and "DCGM_FI_DEV_FB_USED" in exprs
    titles = [p["title"] for p in boards["serving"]["panels"]]
    assert any("Throughput" in t for t in titles) and any("Latency" in t for t in titles)
    latency = next(p for p in boards["serving"]["panels"] if p["title"].startswith("Latency"))
    assert "0.99" in latency["targets"][1]["expr"]
    assert "airflow_dagrun" in json.dumps(boards["pipelines"])
    assert "gpu" not in m.dashboards(ctx(), ALL, serving_kind="kserve", orchestrator_kind="airflow", gpu=False)


def test_alert_rules_cover_components_gpu_and_drift():
    groups = m.alert_rules(ctx(), ALL, serving_kind="kserve", orchestrator_kind="airflow", gpu=True, drift=True)
    names = {g["name"] for g in groups}
    assert names == {"mlplat.availability", "mlplat.serving", "mlplat.gpu", "mlplat.pipelines", "mlplat.drift"}
    alerts = {r["alert"] for g in groups for r in g["rules"]}
    assert {"MlplatComponentDownTracking", "MlplatServingLatencyHigh", "MlplatGpuSaturated", "MlplatDriftReportFailed"} <= alerts
    rules = [r for g in groups for r in g["rules"]]
    assert len(rules) >= len(alerts) >= 4
    for r in rules:
        assert r["labels"]["severity"] in ("critical", "warning", "info")
        assert r["labels"]["platform"] == "churn"


def test_alertmanager_reads_secrets_from_files():
    cfg = m.alertmanager_config({"slack": "/etc/alertmanager/secrets/alertmanager-slack/url"})
    slack = next(r for r in cfg["receivers"] if r["name"] == "slack")
    assert slack["slack_configs"][0]["api_url_file"] == "/etc/alertmanager/secrets/alertmanager-slack/url"
    assert "api_url" not in slack["slack_configs"][0]
    pd = m.alertmanager_config({"pagerduty": "/x/key"})
    assert next(r for r in pd["receivers"] if r["name"] == "pagerduty")["pagerduty_configs"][0]["routing_key_file"] == "/x/key"


def test_stack_values_retention_storage_and_grafana_secret():
    spec = Monitoring.model_validate({"prometheus": {"retention_days": 30, "storage_gb": 200}})
    v = m.stack_values(ctx("kubernetes", "ceph-rbd"), spec, grafana_secret=("grafana-admin", "admin-user", "admin-password"),
                       alert_secrets=[], receivers={})  # fmt: skip
    ps = v["prometheus"]["prometheusSpec"]
    assert ps["retention"] == "30d"
    claim = ps["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["resources"]["requests"]["storage"] == "200Gi" and claim["storageClassName"] == "ceph-rbd"
    assert ps["serviceMonitorSelectorNilUsesHelmValues"] is False
    assert v["grafana"]["admin"] == {"existingSecret": "grafana-admin", "userKey": "admin-user", "passwordKey": "admin-password"}
    assert "adminPassword" not in v["grafana"]
    assert v["grafana"]["sidecar"]["dashboards"]["label"] == "grafana_dashboard"


def test_drift_script_compiles():
    compile(m.drift_script(), "drift_report.py", "exec")


def test_tracking_scraped_with_basic_auth_from_its_own_namespace():
    targets = m.scrape_targets(ctx(), ["tracking"], tracking_auth=True)
    spec = m.monitor_spec(targets[0])
    # MLflow's auth app protects /metrics (only /health, /static, /favicon.ico are open).
    assert spec["endpoints"][0]["basicAuth"] == {
        "username": {"name": "mlflow-metrics-auth", "key": "username"},
        "password": {"name": "mlflow-metrics-auth", "key": "password"},
    }
    assert "basicAuth" not in m.monitor_spec(m.scrape_targets(ctx(), ["tracking"])[0])["endpoints"][0]
