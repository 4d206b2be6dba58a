"""Monitoring under the recording mocks."""

from __future__ import annotations

import json

import pytest
from mlplat.modules.monitoring import Monitoring, MonitoringArgs

from tests.modules import workload_harness as h

ALL = ["network", "storage", "cluster", "tracking", "orchestrator", "feature_store", "serving", "monitoring"]


def _plan(aws: bool, spec=None, components=ALL):
    ctx = h.context("platform" if aws else "onprem", "prod")
    spec = spec or ctx.resolved.spec.monitoring

    def program() -> None:
        Monitoring("monitoring", MonitoringArgs(ctx, spec, h.cluster(aws), h.bucket(ctx, "artifacts", minio=not aws), components))

    return h.run(program)


@pytest.fixture(scope="module")
def aws():
    return _plan(True)


def test_stack_release_pinned_with_retention_and_storage(aws):
    rel = aws.named("monitoring-stack")
    assert rel.inputs["chart"] == "kube-prometheus-stack" and rel.inputs["version"] == "88.5.3"
    ps = rel.inputs["values"]["prometheus"]["prometheusSpec"]
    assert ps["retention"] == "15d"
    assert ps["storageSpec"]["volumeClaimTemplate"]["spec"]["resources"]["requests"]["storage"] == "100Gi"


def test_grafana_password_generated_secret(aws):
    g = aws.named("monitoring-stack").inputs["values"]["grafana"]
    assert g["admin"]["existingSecret"] == "grafana-admin"
    assert "adminPassword" not in g
    assert aws.named("monitoring-grafana-admin").inputs["stringData"] == "<secret>"
    assert aws.named("monitoring-grafana-admin-password").type == "random:index/randomPassword:RandomPassword"


def test_alertmanager_slack_from_env_reference(aws):
    am = aws.named("monitoring-stack").inputs["values"]["alertmanager"]
    assert am["alertmanagerSpec"]["secrets"] == ["alertmanager-slack"]
    slack = next(r for r in am["config"]["receivers"] if r["name"] == "slack")
    assert slack["slack_configs"][0]["api_url_file"] == "/etc/alertmanager/secrets/alertmanager-slack/url"
    assert aws.named("monitoring-alertmanager-slack").inputs["stringData"] == "<secret>"


def test_monitors_for_every_component(aws):
    kinds = {r.name: r for r in aws.resources if r.type.startswith("kubernetes:monitoring.coreos.com/v1:")}
    assert {"monitoring-servicemonitor-tracking", "monitoring-servicemonitor-orchestrator",
            "monitoring-servicemonitor-feature-store", "monitoring-podmonitor-serving", "monitoring-rules"} <= set(kinds)  # fmt: skip
    sm = kinds["monitoring-servicemonitor-tracking"].inputs["spec"]
    assert sm["namespaceSelector"]["matchNames"] == ["churn-prod-tracking"]
    assert aws.named("monitoring-stack").urn in kinds["monitoring-rules"].dependencies


def test_dashboards_as_labelled_configmaps(aws):
    boards = {r.name: r for r in aws.resources if r.name.startswith("monitoring-dashboard-")}
    assert set(boards) == {"monitoring-dashboard-serving", "monitoring-dashboard-gpu", "monitoring-dashboard-pipelines"}
    for r in boards.values():
        assert r.labels["grafana_dashboard"] == "1"
        (body,) = r.inputs["data"].values()
        assert json.loads(body)["panels"]
    assert aws.named("monitoring-dcgm-exporter").inputs["chart"] == "dcgm-exporter"


def test_drift_cronjob_hardened_with_scoped_irsa(aws):
    cron = aws.named("monitoring-drift-reports")
    assert cron.get("spec.schedule") == "0 */6 * * *"
    pod = cron.get("spec.jobTemplate.spec.template.spec")
    c = pod["containers"][0]
    # The evidently-service image is the UI (no s3fs); the job runs plain Python with
    # evidently[s3]==0.7.23 (→ s3fs) installed by the init container into a shared emptyDir.
    assert c["image"] == "docker.io/library/python:3.12-slim-bookworm"
    install = pod["initContainers"][0]
    assert install["image"] == c["image"]
    assert install["command"][-2:] == ["evidently[s3]==0.7.23", "pandas==2.3.3"]  # evidently 0.7.23 breaks on pandas 3
    assert install["command"][install["command"].index("--target") + 1] == "/deps"
    assert {"name": "deps", "mountPath": "/deps"} in install["volumeMounts"]
    assert {"name": "deps", "mountPath": "/deps", "readOnly": True} in c["volumeMounts"]
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert env["PYTHONPATH"] == "/deps"
    assert env["REPORT_BUCKET"] == "churn-prod-artifacts-123456789012"  # the offline account ends the name
    assert env["MODELS"] == "churn-classifier,churn-explainer"
    assert env["REQUEST_LOG_PREFIX"] == "inference-logs"  # where the KServe predictor logger writes
    policy = json.loads(aws.named("monitoring-drift-sa-irsa-policy").inputs["policy"])
    assert {r for s in policy["Statement"] for r in s["Resource"] if r.startswith("arn:aws:s3")} == {
        "arn:aws:s3:::churn-prod-artifacts-123456789012", "arn:aws:s3:::churn-prod-artifacts-123456789012/*"
    }  # fmt: skip
    assert h.assert_hardened(aws) == 2  # the report container and its install init container
    h.assert_labelled(aws)
    assert h.assert_valid_manifests(aws) >= 10


def test_namespace_admits_node_exporter(aws):
    ns = aws.named("monitoring-namespace")
    assert ns.labels["pod-security.kubernetes.io/enforce"] == "privileged"
    assert ns.labels["pod-security.kubernetes.io/audit"] == "restricted"


def test_kubernetes_target_secret_ref_external_secret():
    from mlplat.stacks.platform_spec.model import Monitoring as MonitoringSpec

    spec = MonitoringSpec.model_validate({
        "grafana": {"admin_password": {"secret_ref": "vault/platform/grafana"}},
        "alerts": {"pagerduty_key": {"secret_ref": "kubernetes/pagerduty/key"}},
        "drift_reports": {"schedule": "0 3 * * *"},
    })  # fmt: skip
    plan = _plan(False, spec=spec)
    es = plan.named("monitoring-grafana-admin")
    assert es.inputs["kind"] == "ExternalSecret"
    assert es.inputs["spec"]["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "vault"}
    assert es.inputs["spec"]["data"] == [{"secretKey": "admin-password", "remoteRef": {"key": "platform/grafana"}}]
    am = plan.named("monitoring-stack").inputs["values"]["alertmanager"]
    assert am["alertmanagerSpec"]["secrets"] == ["pagerduty"]  # existing Kubernetes Secret, used as is
    pd = next(r for r in am["config"]["receivers"] if r["name"] == "pagerduty")
    assert pd["pagerduty_configs"][0]["routing_key_file"] == "/etc/alertmanager/secrets/pagerduty/key"
    assert plan.named("monitoring-servicemonitor-storage") is not None
    assert plan.named("monitoring-dcgm-exporter") is None  # no GPU pools
    assert plan.named("monitoring-drift-s3").inputs["stringData"] == "<secret>"


def test_drift_job_with_a_prebuilt_image_installs_nothing():
    from mlplat.stacks.platform_spec.model import Monitoring as MonitoringSpec

    spec = MonitoringSpec.model_validate(
        {"drift_reports": {"schedule": "0 3 * * *", "image": "registry.lab.example/drift@sha256:" + "a" * 64}}
    )
    plan = _plan(False, spec=spec)
    pod = plan.named("monitoring-drift-reports").get("spec.jobTemplate.spec.template.spec")
    assert pod["containers"][0]["image"] == "registry.lab.example/drift@sha256:" + "a" * 64
    assert "initContainers" not in pod and all(v["name"] != "deps" for v in pod["volumes"])


@pytest.mark.parametrize("image", ["python", "python:latest", "reg.example/x:latest"])
def test_drift_job_image_must_be_pinned(image):
    from mlplat.stacks.platform_spec.model import Monitoring as MonitoringSpec
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="pinned by tag"):
        MonitoringSpec.model_validate({"drift_reports": {"image": image}})
