"""Monitoring: Prometheus, Grafana and Alertmanager (kube-prometheus-stack), plus what mlplat adds.

- `kube-prometheus-stack` as a pinned `helm.v3.Release`: retention and persistent storage from the
  spec (storage class of the target), Grafana with its admin password from the spec's SecretRef or
  generated (never a literal), dashboards picked up from ConfigMaps labelled `grafana_dashboard=1`,
  Alertmanager receivers reading their webhook URLs/keys from mounted Secrets.
- the NVIDIA DCGM exporter (pinned release) when the cluster has GPU pools: GPU metrics.
- a ServiceMonitor/PodMonitor per deployed component, Grafana dashboards as ConfigMaps (serving
  latency/throughput, GPU utilisation, pipeline runs), PrometheusRule alert rules.
- the Evidently drift-report CronJob (first-party, hardened): reference data against the requests
  the serving logger wrote (modules/drift_job.py has the data contract), HTML/JSON reports to the
  report bucket (IRSA access to that bucket only, on aws). evidently[s3] is installed at start into
  an emptyDir, or comes with `drift_reports.image`.

Dashboards, rules and scrape targets are pure functions of the spec (tested without Pulumi).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from mlplat.stacks.platform_spec.model import Monitoring as MonitoringSpec

from . import data_services, drift_job, tenancy
from . import k8s as kx
from .common import BucketRef, ClusterRef, Context

COMPONENT = "monitoring"
STACK_CHART = "kube-prometheus-stack"
# 88.5.3 (prometheus-operator v0.93.1, kubeVersion >=1.25): prometheus-community/helm-charts tag
# kube-prometheus-stack-88.5.3; its values key tree is test data in tests/upstream/charts/.
STACK_VERSION = "88.5.3"
STACK_REPO = "https://prometheus-community.github.io/helm-charts"
RELEASE = "kube-prometheus-stack"
DCGM_CHART = "dcgm-exporter"
DCGM_VERSION = "4.8.2"  # NVIDIA/dcgm-exporter tag 4.5.3-4.8.2 (deployment/Chart.yaml)
DCGM_REPO = "https://nvidia.github.io/dcgm-exporter/helm-charts"
GRAFANA_SECRET = "grafana-admin"
DASHBOARD_LABEL = "grafana_dashboard"
DRIFT_APP = "drift-reports"
SECRETS_DIR = "/etc/alertmanager/secrets"

# --------------------------------------------------------------------------- pure: scrape targets


@dataclass(frozen=True)
class ScrapeTarget:
    component: str
    kind: str  # ServiceMonitor | PodMonitor
    name: str
    namespace: str
    selector: dict[str, str]
    port: str
    path: str = "/metrics"
    # A pod port without a name (KServe's runtimes declare `containerPort: 8080` unnamed) is
    # selected by number (PodMonitor `portNumber`).
    port_number: int | None = None
    # (Secret, username key, password key) for endpoints behind basic auth. prometheus-operator
    # reads that Secret from the monitor's own namespace, so such a monitor lives beside the target.
    basic_auth: tuple[str, str, str] | None = None


def scrape_targets(
    ctx: Context, components: list[str], *, serving_kind: str | None = None, orchestrator_kind: str | None = None,
    tracking_auth: bool = False,
) -> list[ScrapeTarget]:  # fmt: skip
    """What Prometheus scrapes for each deployed mlplat component (selectors match our labels)."""
    ns = lambda c: kx.namespace_name(ctx, c)
    out: list[ScrapeTarget] = []
    tracking = ctx.resolved.spec.tracking if ctx.resolved is not None else None
    if "tracking" in components and (tracking is None or tracking.kind != "wandb"):  # W&B: no MLflow to scrape
        # With basic auth on, MLflow protects /metrics too: scrape with the credentials the
        # TrackingServer keeps in `mlflow-metrics-auth`.
        auth = ("mlflow-metrics-auth", "username", "password") if tracking_auth else None
        out.append(ScrapeTarget("tracking", "ServiceMonitor", "mlflow", ns("tracking"),
                                kx.selector_labels(ctx, "tracking", "mlflow"), "http", basic_auth=auth))  # fmt: skip
    if "orchestrator" in components:
        if orchestrator_kind == "kubeflow-pipelines":
            out.append(ScrapeTarget("orchestrator", "ServiceMonitor", "kfp-api", "kubeflow",
                                    {"app": "ml-pipeline"}, "http"))  # fmt: skip
        else:
            out.append(ScrapeTarget("orchestrator", "ServiceMonitor", "airflow-statsd", ns("orchestrator"),
                                    {"tier": "airflow", "component": "statsd"}, "statsd-scrape"))  # fmt: skip
    if "feature_store" in components:
        out.append(ScrapeTarget("feature_store", "ServiceMonitor", "feast", ns("feature_store"),
                                kx.selector_labels(ctx, "feature_store", "feast-feature-server"), "metrics"))  # fmt: skip
    if "serving" in components:
        serving = {"mlplat.io/component": "serving", "mlplat.io/platform": ctx.platform}
        if serving_kind == "seldon":
            out.append(ScrapeTarget("serving", "PodMonitor", "models", ns("serving"), serving, "metrics", "/prometheus"))
        elif serving_kind == "bentoml":
            out.append(ScrapeTarget("serving", "PodMonitor", "models", ns("serving"), serving, "http"))
        else:
            # KServe Standard mode: the model server itself serves /metrics on 8080
            # (`prometheus.kserve.io/port: "8080"` on every ClusterServingRuntime, kserve v0.20.0).
            out.append(ScrapeTarget("serving", "PodMonitor", "models", ns("serving"), serving, "", port_number=8080))
    if "storage" in components and not ctx.aws:
        out.append(ScrapeTarget("storage", "ServiceMonitor", "minio", ns("storage"),
                                kx.selector_labels(ctx, "storage", "minio"), "api", "/minio/v2/metrics/cluster"))  # fmt: skip
    return out


def monitor_spec(t: ScrapeTarget) -> dict[str, Any]:
    endpoint: dict[str, Any] = {"path": t.path, "interval": "30s", "scrapeTimeout": "10s"}
    if t.port_number is not None:
        endpoint["portNumber"] = t.port_number
    else:
        endpoint["port"] = t.port
    if t.basic_auth is not None:
        secret_name, user_key, password_key = t.basic_auth
        endpoint["basicAuth"] = {
            "username": {"name": secret_name, "key": user_key},
            "password": {"name": secret_name, "key": password_key},
        }
    key = "endpoints" if t.kind == "ServiceMonitor" else "podMetricsEndpoints"
    return {
        "namespaceSelector": {"matchNames": [t.namespace]},
        "selector": {"matchLabels": dict(t.selector)},
        key: [endpoint],
    }


# --------------------------------------------------------------------------- pure: dashboards


def _panel(pid: int, title: str, exprs: list[tuple[str, str]], unit: str, x: int, y: int) -> dict[str, Any]:
    return {
        "id": pid,
        "type": "timeseries",
        "title": title,
        "datasource": {"type": "prometheus", "uid": "prometheus"},
        "gridPos": {"h": 8, "w": 12, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [{"refId": chr(65 + i), "expr": e, "legendFormat": legend} for i, (e, legend) in enumerate(exprs)],
    }


def _dashboard(uid: str, title: str, panels: list[dict[str, Any]], tags: list[str]) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "tags": ["mlplat", *tags],
        "timezone": "utc",
        "schemaVersion": 39,
        "version": 1,
        "editable": False,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "panels": panels,
    }


def serving_dashboard(ctx: Context, kind: str) -> dict[str, Any]:
    """Request rate, error rate and p50/p99 latency per model, from the serving runtime's metrics."""
    ns = kx.namespace_name(ctx, "serving")
    errors: str | None
    if kind == "seldon":
        req = "seldon_api_executor_server_requests_seconds"
        rate = f'sum by (deployment_name) (rate({req}_count{{namespace="{ns}"}}[5m]))'
        errors = f'sum by (deployment_name) (rate({req}_count{{namespace="{ns}",code!~"2.."}}[5m]))'
        quant = f'histogram_quantile(QUANTILE, sum by (deployment_name, le) (rate({req}_bucket{{namespace="{ns}"}}[5m])))'
        legend = "{{deployment_name}}"
    elif kind == "bentoml":
        req = "bentoml_service_request"
        rate = f'sum by (service) (rate({req}_total{{namespace="{ns}"}}[5m]))'
        errors = f'sum by (service) (rate({req}_total{{namespace="{ns}",http_response_code!~"2.."}}[5m]))'
        quant = f'histogram_quantile(QUANTILE, sum by (service, le) (rate({req}_duration_seconds_bucket{{namespace="{ns}"}}[5m])))'
        legend = "{{service}}"
    else:
        # KServe Standard mode has no queue-proxy: the model server's own histogram
        # `request_predict_seconds{model_name}` (python/kserve/kserve/metrics.py, v0.20.0) is all
        # there is. It carries no status code, so there is no error-rate panel.
        req = "request_predict_seconds"
        rate = f'sum by (model_name) (rate({req}_count{{namespace="{ns}"}}[5m]))'
        errors = None
        quant = f'histogram_quantile(QUANTILE, sum by (model_name, le) (rate({req}_bucket{{namespace="{ns}"}}[5m])))'
        legend = "{{model_name}}"
    # Seconds throughout: the quantile is taken over the bucket rates and nothing is divided
    # inside histogram_quantile (dividing the rates would rescale counts, not the `le` bounds).
    panels = [
        _panel(1, "Throughput (requests/s)", [(rate, legend)], "reqps", 0, 0),
        _panel(3, "Latency p50 / p99", [(quant.replace("QUANTILE", "0.5"), f"p50 {legend}"), (quant.replace("QUANTILE", "0.99"), f"p99 {legend}")],
               "s", 0, 8),  # fmt: skip
    ]
    if errors is not None:
        panels.insert(1, _panel(2, "Errors (requests/s)", [(errors, legend)], "reqps", 12, 0))
    return _dashboard(f"{ctx.platform}-{ctx.env}-serving"[:40], f"{ctx.platform}/{ctx.env}: model serving", panels, ["serving", kind])


def gpu_dashboard(ctx: Context) -> dict[str, Any]:
    """GPU utilisation, memory, power and temperature from the DCGM exporter."""
    panels = [
        _panel(1, "GPU utilisation", [("avg by (Hostname, gpu) (DCGM_FI_DEV_GPU_UTIL)", "{{Hostname}}/{{gpu}}")], "percent", 0, 0),
        _panel(2, "GPU memory used", [("sum by (Hostname, gpu) (DCGM_FI_DEV_FB_USED) * 1024 * 1024", "{{Hostname}}/{{gpu}}")],
               "bytes", 12, 0),  # fmt: skip
        _panel(3, "Power draw", [("sum by (Hostname, gpu) (DCGM_FI_DEV_POWER_USAGE)", "{{Hostname}}/{{gpu}}")], "watt", 0, 8),
        _panel(4, "Temperature", [("max by (Hostname, gpu) (DCGM_FI_DEV_GPU_TEMP)", "{{Hostname}}/{{gpu}}")], "celsius", 12, 8),
        _panel(5, "GPU utilisation by pod", [('avg by (namespace, pod) (DCGM_FI_DEV_GPU_UTIL{pod!=""})', "{{namespace}}/{{pod}}")],
               "percent", 0, 16),  # fmt: skip
    ]
    return _dashboard(f"{ctx.platform}-{ctx.env}-gpu"[:40], f"{ctx.platform}/{ctx.env}: GPU utilisation", panels, ["gpu"])


def pipelines_dashboard(ctx: Context, kind: str) -> dict[str, Any]:
    """Pipeline runs: successes, failures and durations (Airflow statsd or KFP API metrics)."""
    if kind == "kubeflow-pipelines":
        panels = [
            _panel(1, "Runs created", [("sum(rate(run_server_create_requests[1h])) * 3600", "runs/h")], "short", 0, 0),
            # KFP 2.x has no *_runs_total: the API server keeps two gauges (resource_manager.go).
            _panel(2, "Run status", [("sum(resource_manager_workflow_runs_success)", "succeeded"),
                                     ("sum(resource_manager_workflow_runs_failed)", "failed")], "short", 12, 0),  # fmt: skip
        ]
    else:
        panels = [
            # The chart's statsd mappings (chart/files/statsd-mappings.yml) name the dagrun timers
            # airflow_dagrun_duration{dag_id} (success) and airflow_dagrun_failed{dag_id}: summaries.
            _panel(1, "DAG runs succeeded", [("sum by (dag_id) (increase(airflow_dagrun_duration_count[1h]))", "{{dag_id}}")],
                   "short", 0, 0),  # fmt: skip
            _panel(2, "DAG runs failed", [("sum by (dag_id) (increase(airflow_dagrun_failed_count[1h]))", "{{dag_id}}")],
                   "short", 12, 0),  # fmt: skip
            _panel(3, "DAG run duration (p90)", [('max by (dag_id) (airflow_dagrun_duration{quantile="0.9"})', "{{dag_id}}")],
                   "ms", 0, 8),  # fmt: skip
            _panel(4, "Task failures", [("sum(rate(airflow_ti_failures[5m]))", "failures/s")], "short", 12, 8),
        ]
    return _dashboard(f"{ctx.platform}-{ctx.env}-pipelines"[:40], f"{ctx.platform}/{ctx.env}: pipeline runs", panels, ["pipelines", kind])


def dashboards(
    ctx: Context, components: list[str], *, serving_kind: str | None, orchestrator_kind: str | None, gpu: bool
) -> dict[str, dict[str, Any]]:
    """name → dashboard JSON for what is deployed."""
    out: dict[str, dict[str, Any]] = {}
    if "serving" in components and serving_kind:
        out["serving"] = serving_dashboard(ctx, serving_kind)
    if gpu:
        out["gpu"] = gpu_dashboard(ctx)
    if "orchestrator" in components and orchestrator_kind:
        out["pipelines"] = pipelines_dashboard(ctx, orchestrator_kind)
    return out


# --------------------------------------------------------------------------- pure: alerts


def _rule(alert: str, expr: str, for_: str, severity: str, summary: str) -> dict[str, Any]:
    return {
        "alert": alert,
        "expr": expr,
        "for": for_,
        "labels": {"severity": severity, "platform": "", "environment": ""},
        "annotations": {"summary": summary},
    }


def alert_rules(
    ctx: Context, components: list[str], *, serving_kind: str | None, orchestrator_kind: str | None, gpu: bool,
    drift: bool,
) -> list[dict[str, Any]]:  # fmt: skip
    """PrometheusRule groups for the deployed components."""
    groups: list[dict[str, Any]] = []
    availability = []
    for c in components:
        if c in ("network", "cluster", "storage", "monitoring"):
            continue
        ns = kx.namespace_name(ctx, c) if not (c == "orchestrator" and orchestrator_kind == "kubeflow-pipelines") else "kubeflow"
        # absent(... == 1) fires both when every target is down and when the targets vanished
        # (deleted Deployment, broken selector): `sum(up) == 0` is empty, i.e. silent, then.
        availability.append(
            _rule(
                f"MlplatComponentDown{''.join(p.title() for p in c.split('_'))}",
                f'absent(up{{namespace="{ns}"}} == 1)',
                "5m",
                "critical",
                f"{c}: no scrape target of {ns} is up (or none exists)",
            )
        )
        availability.append(
            _rule(
                f"MlplatPodsCrashLooping{''.join(p.title() for p in c.split('_'))}",
                f'increase(kube_pod_container_status_restarts_total{{namespace="{ns}"}}[15m]) > 3',
                "5m",
                "warning",
                f"{c}: containers in {ns} restart repeatedly",
            )
        )
    if availability:
        groups.append({"name": "mlplat.availability", "rules": availability})
    if "serving" in components and serving_kind:
        q = {p["id"]: p["targets"] for p in serving_dashboard(ctx, serving_kind)["panels"]}
        p99 = q[3][1]["expr"]
        rules = [_rule("MlplatServingLatencyHigh", f"{p99} > 1", "10m", "warning", "model p99 latency above 1 s")]
        if 2 in q:
            rate, errors = q[1][0]["expr"], q[2][0]["expr"]
            rules.append(_rule("MlplatServingErrorRateHigh", f"({errors}) / ({rate}) > 0.05", "10m", "critical",
                               "more than 5 % of model requests fail"))  # fmt: skip
        groups.append({"name": "mlplat.serving", "rules": rules})
    if gpu:
        groups.append(
            {
                "name": "mlplat.gpu",
                "rules": [
                    _rule("MlplatGpuSaturated", "avg by (Hostname, gpu) (DCGM_FI_DEV_GPU_UTIL) > 95", "30m", "warning",
                          "a GPU has been above 95 % utilisation for 30 minutes"),  # fmt: skip
                    _rule("MlplatGpuMemoryNearlyFull",
                          "DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE) > 0.95", "15m", "warning",
                          "GPU memory above 95 %"),  # fmt: skip
                    _rule("MlplatGpuIdle", "avg by (Hostname) (DCGM_FI_DEV_GPU_UTIL) < 5", "6h", "info",
                          "a GPU node has been idle for 6 hours (cost)"),  # fmt: skip
                ],
            }
        )
    if "orchestrator" in components and orchestrator_kind == "airflow":
        groups.append(
            {
                "name": "mlplat.pipelines",
                "rules": [
                    _rule("MlplatDagRunsFailing", "sum(increase(airflow_dagrun_failed_count[1h])) > 0", "0m",
                          "warning", "Airflow DAG runs failed in the last hour"),  # fmt: skip
                    # `or absent(…)`: a scheduler (or statsd exporter) that is gone reports nothing.
                    _rule("MlplatSchedulerHeartbeatMissing",
                          "sum(rate(airflow_scheduler_heartbeat[5m])) == 0 or absent(airflow_scheduler_heartbeat)", "10m",
                          "critical", "the Airflow scheduler stopped heart-beating"),  # fmt: skip
                ],
            }
        )
    if drift:
        ns = kx.namespace_name(ctx, COMPONENT)
        groups.append(
            {
                "name": "mlplat.drift",
                "rules": [
                    _rule("MlplatDriftReportFailed",
                          f'sum(kube_job_status_failed{{namespace="{ns}",job_name=~"{DRIFT_APP}-.*"}}) > 0', "0m",
                          "warning", "the Evidently drift-report job failed"),  # fmt: skip
                ],
            }
        )
    for g in groups:
        for r in g["rules"]:
            r["labels"]["platform"] = ctx.platform
            r["labels"]["environment"] = ctx.env
    return groups


# --------------------------------------------------------------------------- pure: alertmanager


def alertmanager_config(receivers: dict[str, str]) -> dict[str, Any]:
    """Alertmanager routing: critical → PagerDuty (when configured), everything → Slack.

    `receivers`: kind ("slack", "pagerduty") → mounted Secret file holding the URL / routing key.
    """
    configs: list[dict[str, Any]] = [{"name": "null"}]
    routes: list[dict[str, Any]] = []
    if "pagerduty" in receivers:
        configs.append({"name": "pagerduty", "pagerduty_configs": [{"routing_key_file": receivers["pagerduty"], "send_resolved": True}]})
        routes.append({"receiver": "pagerduty", "matchers": ['severity="critical"'], "continue": True})
    if "slack" in receivers:
        configs.append(
            {
                "name": "slack",
                "slack_configs": [
                    {
                        "api_url_file": receivers["slack"],
                        "send_resolved": True,
                        "title": '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}',
                        "text": "{{ range .Alerts }}{{ .Annotations.summary }}\n{{ end }}",
                    }
                ],
            }
        )
        routes.append({"receiver": "slack", "matchers": ['severity=~"critical|warning"']})
    routes.append({"receiver": "null", "matchers": ['alertname="Watchdog"']})
    return {
        "route": {
            "receiver": "null",
            "group_by": ["alertname", "namespace"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": routes,
        },
        "receivers": configs,
    }


# --------------------------------------------------------------------------- pure: chart values


def stack_values(
    ctx: Context,
    spec: MonitoringSpec,
    *,
    grafana_secret: tuple[str, str, str] | None,
    alert_secrets: list[str],
    receivers: dict[str, str],
) -> dict[str, Any]:
    """kube-prometheus-stack values: retention/storage from the spec, secrets only by reference."""
    storage: dict[str, Any] = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": f"{spec.prometheus.storage_gb}Gi"}},
    }
    if ctx.storage_class:
        storage["storageClassName"] = ctx.storage_class
    labels = ctx.k8s_labels(COMPONENT)
    grafana: dict[str, Any] = {"enabled": spec.grafana.enabled}
    if spec.grafana.enabled and grafana_secret is not None:
        name, user_key, password_key = grafana_secret
        grafana.update(
            {
                "admin": {"existingSecret": name, "userKey": user_key, "passwordKey": password_key},
                "sidecar": {
                    "dashboards": {"enabled": True, "label": DASHBOARD_LABEL, "labelValue": "1", "searchNamespace": "ALL"}
                },
                "podLabels": labels,
                "resources": kx.resources("100m", "256Mi", cpu_limit="500m", memory_limit="512Mi"),
                "securityContext": {"runAsNonRoot": True, "runAsUser": 472, "fsGroup": 472,
                                    "seccompProfile": {"type": "RuntimeDefault"}},  # fmt: skip
            }
        )
    values: dict[str, Any] = {
        "commonLabels": labels,
        "prometheus": {
            "prometheusSpec": {
                "retention": f"{spec.prometheus.retention_days}d",
                "storageSpec": {"volumeClaimTemplate": {"spec": storage}},
                "serviceMonitorSelectorNilUsesHelmValues": False,
                "podMonitorSelectorNilUsesHelmValues": False,
                "ruleSelectorNilUsesHelmValues": False,
                "podMetadata": {"labels": labels},
                "resources": kx.resources("500m", "2Gi", cpu_limit="2", memory_limit="4Gi"),
                "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "fsGroup": 2000,
                                    "seccompProfile": {"type": "RuntimeDefault"}},  # fmt: skip
            }
        },
        "alertmanager": {
            "config": alertmanager_config(receivers),
            "alertmanagerSpec": {
                "secrets": alert_secrets,
                "podMetadata": {"labels": labels},
                "resources": kx.resources("50m", "128Mi", cpu_limit="200m", memory_limit="256Mi"),
            },
        },
        "grafana": grafana,
        "prometheusOperator": {"resources": kx.resources("100m", "256Mi", cpu_limit="500m", memory_limit="512Mi")},
        "kube-state-metrics": {"resources": kx.resources("50m", "128Mi", cpu_limit="200m", memory_limit="256Mi")},
        "prometheus-node-exporter": {"resources": kx.resources("50m", "64Mi", cpu_limit="200m", memory_limit="128Mi")},
        **(eks_control_plane_values() if ctx.aws else {}),
    }
    return values


# EKS runs the control plane out of the cluster's reach: controller-manager, scheduler and etcd
# cannot be scraped, and kube-proxy binds its metrics to 127.0.0.1:10249 there. The chart enables
# all four and their rule groups by default (88.5.3 values.yaml), which pages TargetDown forever.
EKS_UNSCRAPABLE = ("kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy")
EKS_UNSCRAPABLE_RULES = ("kubeControllerManager", "kubeSchedulerAlerting", "kubeSchedulerRecording", "etcd", "kubeProxy")


def eks_control_plane_values() -> dict[str, Any]:
    return {
        **{k: {"enabled": False} for k in EKS_UNSCRAPABLE},
        "defaultRules": {"rules": {k: False for k in EKS_UNSCRAPABLE_RULES}},
    }


def dcgm_values(ctx: Context) -> dict[str, Any]:
    """dcgm-exporter chart values. `honorLabels`: the exporter labels each GPU with the pod using
    it (`pod`, `namespace`); without it Prometheus renames them `exported_*` and puts the
    exporter's own pod there, so per-pod GPU panels show the exporter."""
    return {
        "serviceMonitor": {"enabled": True, "interval": "30s", "honorLabels": True},
        "tolerations": [dict(kx.GPU_TOLERATION)],
        "nodeSelector": {"nvidia.com/gpu.present": "true"},
        "resources": kx.resources("50m", "128Mi", cpu_limit="200m", memory_limit="512Mi"),
        "podLabels": ctx.k8s_labels(COMPONENT, "dcgm-exporter"),
    }


def drift_script() -> str:
    """The drift-report job's script (modules/drift_job.py)."""
    return drift_job.drift_script()


def network_access(orchestrator_kind: str | None = None) -> tenancy.NetworkAccess:
    # Prometheus scrapes the platform namespaces (their policies admit monitoring), the kubelets and
    # node exporters on the nodes, and the API server; Alertmanager posts to Slack/PagerDuty (443).
    return tenancy.NetworkAccess(
        ingress_controller_ports=(3000, 9090, 9093),
        kube_api=True,
        # + the KFP API's metrics port: KFP lives in the upstream `kubeflow` namespace, outside ours.
        open_egress_ports=(9100, 9153, 9400, 10249, 10250) + ((8888,) if orchestrator_kind == "kubeflow-pipelines" else ()),
        webhook_ports=(10250,),
    )


# --------------------------------------------------------------------------- component


@dataclass
class MonitoringArgs:
    ctx: Context
    spec: MonitoringSpec
    cluster: ClusterRef
    report_bucket: BucketRef | None = None
    components: list[str] | None = None


class Monitoring(pulumi.ComponentResource):
    """mlplat:index:Monitoring — metrics, dashboards, alerts and drift reports."""

    namespace: str

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplat:index:Monitoring", name, None, opts)
        ctx, spec, cluster = args.ctx, args.spec, args.cluster
        components = list(args.components or [])
        rspec = ctx.resolved.spec if ctx.resolved is not None else None
        serving_kind = rspec.serving.kind if rspec is not None and rspec.serving is not None else None
        orchestrator_kind = rspec.orchestrator.kind if rspec is not None and rspec.orchestrator is not None else None
        ns_name = kx.namespace_name(ctx, COMPONENT)
        self.namespace = ns_name
        # node-exporter needs the host network/PID namespace: the namespace must admit privileged
        # pods (warn/audit stay `restricted`, so anything else non-compliant is reported).
        ns = tenancy.namespace(
            ctx, COMPONENT, name, cluster, self, tenancy.cluster_quota(ctx), access=network_access(orchestrator_kind),
            pod_security=tenancy.PSA_PRIVILEGED,
        )  # fmt: skip
        after = [ns]

        # Grafana admin credentials: the spec's reference, or generated.
        grafana_secret: tuple[str, str, str] | None = None
        if spec.grafana.enabled:
            ref = spec.grafana.admin_password
            if ref is None:
                password = data_services.generated_password(f"{name}-grafana-admin-password", self)
                kx.opaque_secret(
                    ctx, COMPONENT, f"{name}-grafana-admin", GRAFANA_SECRET, ns_name,
                    {"admin-user": "admin", "admin-password": password}, cluster, self, depends_on=after,
                )  # fmt: skip
                grafana_secret = (GRAFANA_SECRET, "admin-user", "admin-password")
            else:
                sname, key = kx.secret_from_ref(
                    ctx, COMPONENT, f"{name}-grafana-admin", ref, secret_name=GRAFANA_SECRET, key="admin-password",
                    namespace_=ns_name, cluster=cluster, parent=self, depends_on=after,
                    static={"admin-user": "admin"},
                )  # fmt: skip
                grafana_secret = (sname, "admin-user", key)

        # Alertmanager receivers: Secrets mounted into Alertmanager, read through *_file settings.
        receivers: dict[str, str] = {}
        alert_secrets: list[str] = []
        alerts = spec.alerts
        for kind, ref, key in (
            ("slack", alerts.slack_webhook if alerts else None, "url"),
            ("pagerduty", alerts.pagerduty_key if alerts else None, "routing-key"),
        ):
            if ref is None:
                continue
            sname, skey = kx.secret_from_ref(
                ctx, COMPONENT, f"{name}-alertmanager-{kind}", ref, secret_name=f"alertmanager-{kind}", key=key,
                namespace_=ns_name, cluster=cluster, parent=self, depends_on=after,
            )  # fmt: skip
            alert_secrets.append(sname)
            receivers[kind] = f"{SECRETS_DIR}/{sname}/{skey}"

        stack = k8s.helm.v3.Release(
            f"{name}-stack",
            name=RELEASE,
            chart=STACK_CHART,
            version=STACK_VERSION,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=STACK_REPO),
            namespace=ns_name,
            timeout=900,
            max_history=5,
            values=stack_values(ctx, spec, grafana_secret=grafana_secret, alert_secrets=alert_secrets,
                                receivers=receivers),  # fmt: skip
            opts=kx.k8s_opts(cluster, self, after),
        )
        crd_ready = [ns, stack]

        if cluster.gpu:
            k8s.helm.v3.Release(
                f"{name}-dcgm-exporter",
                name=DCGM_CHART,
                chart=DCGM_CHART,
                version=DCGM_VERSION,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=DCGM_REPO),
                namespace=ns_name,
                values=dcgm_values(ctx),
                opts=kx.k8s_opts(cluster, self, crd_ready),
            )

        tracking_auth = bool(rspec is not None and rspec.tracking is not None and rspec.tracking.auth is not None
                             and rspec.tracking.auth.kind == "basic")  # fmt: skip
        for t in scrape_targets(ctx, components, serving_kind=serving_kind, orchestrator_kind=orchestrator_kind,
                                tracking_auth=tracking_auth):  # fmt: skip
            k8s.apiextensions.CustomResource(
                f"{name}-{t.kind.lower()}-{t.component.replace('_', '-')}",
                api_version="monitoring.coreos.com/v1",
                kind=t.kind,
                metadata=kx.wire(kx.object_meta(ctx, COMPONENT, f"{t.component.replace('_', '-')}-{t.name}",
                                                t.namespace if t.basic_auth else ns_name,
                                                labels={"mlplat.io/scrapes": t.component.replace("_", "-")})),  # fmt: skip
                spec=monitor_spec(t),
                opts=kx.k8s_opts(cluster, self, crd_ready),
            )

        boards = dashboards(ctx, components, serving_kind=serving_kind, orchestrator_kind=orchestrator_kind, gpu=cluster.gpu)
        for key, board in boards.items():
            k8s.core.v1.ConfigMap(
                f"{name}-dashboard-{key}",
                metadata=kx.wire(
                    kx.object_meta(ctx, COMPONENT, f"dashboard-{key}", ns_name, labels={DASHBOARD_LABEL: "1"})
                ),
                data={f"{key}.json": json.dumps(board, indent=2, sort_keys=True)},
                opts=kx.k8s_opts(cluster, self, after),
            )

        groups = alert_rules(
            ctx, components, serving_kind=serving_kind, orchestrator_kind=orchestrator_kind, gpu=cluster.gpu,
            drift=spec.drift_reports is not None and args.report_bucket is not None,
        )  # fmt: skip
        if groups:
            k8s.apiextensions.CustomResource(
                f"{name}-rules",
                api_version="monitoring.coreos.com/v1",
                kind="PrometheusRule",
                metadata=kx.wire(kx.object_meta(ctx, COMPONENT, "mlplat-alerts", ns_name)),
                spec={"groups": groups},
                opts=kx.k8s_opts(cluster, self, crd_ready),
            )

        if spec.drift_reports is not None and args.report_bucket is not None:
            models = [m.name for m in rspec.serving.models] if rspec is not None and rspec.serving is not None else []
            self._drift(name, args, ns_name, after, args.report_bucket, models)

        self.register_outputs({"namespace": ns_name, "dashboards": sorted(boards)})

    def _drift(
        self, name: str, args: MonitoringArgs, ns_name: str, after: list[Any], bucket: BucketRef, models: list[str]
    ) -> None:
        ctx, cluster = args.ctx, args.cluster
        assert args.spec.drift_reports is not None
        sa = kx.irsa_service_account(
            ctx, COMPONENT, f"{name}-drift-sa", DRIFT_APP, ns_name, [bucket], write=True, cluster=cluster,
            parent=self, depends_on=after,
        )  # fmt: skip
        s3_secret = data_services.s3_credentials_secret(
            ctx, COMPONENT, f"{name}-drift-s3", bucket, namespace_=ns_name, cluster=cluster, parent=self,
            secret_name="drift-reports-s3", depends_on=after,
        )  # fmt: skip
        script = k8s.core.v1.ConfigMap(
            f"{name}-drift-script",
            metadata=kx.wire(kx.object_meta(ctx, COMPONENT, f"{DRIFT_APP}-script", ns_name, app=DRIFT_APP)),
            data={"drift_report.py": drift_script()},
            opts=kx.k8s_opts(cluster, self, after),
        )
        env: list[kx.Obj] = [
            kx.env_value("REPORT_BUCKET", bucket.bucket),
            kx.env_value("MODELS", ",".join(models)),
            kx.env_value("REQUEST_LOG_PREFIX", drift_job.REQUEST_LOG_PREFIX),
            kx.env_value("WINDOW_HOURS", str(drift_job.WINDOW_HOURS)),
            kx.env_value("HOME", "/tmp"),
        ]
        if ctx.aws and ctx.region:
            env.append(kx.env_value("AWS_DEFAULT_REGION", ctx.region))
        env += data_services.s3_credentials_env(bucket, s3_secret)
        prebuilt = args.spec.drift_reports.image
        mounts: list[kx.Obj] = [{"name": "script", "mountPath": "/scripts", "readOnly": True}]
        volumes: list[kx.Obj] = [{"name": "script", "configMap": {"name": f"{DRIFT_APP}-script"}}]
        init: list[kx.Obj] = []
        if prebuilt is None:
            # The pinned library, installed into an emptyDir the report container imports from.
            deps = {"name": "deps", "mountPath": drift_job.DEPS_DIR}
            volumes.append({"name": "deps", "emptyDir": {"sizeLimit": "2Gi"}})
            mounts.append({**deps, "readOnly": True})
            env.append(kx.env_value("PYTHONPATH", drift_job.DEPS_DIR))
            init.append(
                kx.secure_container(
                    "install", drift_job.PYTHON_IMAGE, command=drift_job.install_command(),
                    env=[kx.env_value("HOME", "/tmp")], cpu="250m", memory="512Mi", cpu_limit="1", memory_limit="1Gi",
                    volume_mounts=[deps], batch=True,
                )  # fmt: skip
            )
        container = kx.secure_container(
            "evidently",
            prebuilt or drift_job.PYTHON_IMAGE,
            command=["python", "/scripts/drift_report.py"],
            env=env,
            cpu="500m",
            memory="1Gi",
            cpu_limit="2",
            memory_limit="4Gi",
            volume_mounts=mounts,
            batch=True,
        )
        labels = ctx.k8s_labels(COMPONENT, DRIFT_APP)
        pod = kx.pod_spec(
            [container], service_account=DRIFT_APP, restart_policy="OnFailure", volumes=volumes, init_containers=init,
        )  # fmt: skip
        k8s.batch.v1.CronJob(
            f"{name}-drift-reports",
            metadata=kx.wire(kx.object_meta(ctx, COMPONENT, DRIFT_APP, ns_name, app=DRIFT_APP)),
            spec=kx.wire(
                kx.cronjob_spec(
                    args.spec.drift_reports.schedule,
                    kx.job_spec(kx.pod_template(labels, pod), backoff_limit=2, active_deadline=2 * 3600),
                    labels=labels,
                )
            ),
            opts=kx.k8s_opts(cluster, self, [*after, sa, script]),
        )


__all__ = [
    "Monitoring",
    "MonitoringArgs",
    "ScrapeTarget",
    "alert_rules",
    "alertmanager_config",
    "dashboards",
    "dcgm_values",
    "drift_script",
    "eks_control_plane_values",
    "gpu_dashboard",
    "monitor_spec",
    "network_access",
    "pipelines_dashboard",
    "scrape_targets",
    "serving_dashboard",
    "stack_values",
]  # fmt: skip
