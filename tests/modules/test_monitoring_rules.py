"""Alert rules and chart values that Prometheus/EKS would otherwise get wrong (issue 12, alerts)."""

from __future__ import annotations

import pytest
from mlplat.modules.monitoring import alert_rules, dashboards, dcgm_values, stack_values

from tests.modules import workload_harness as h
from tests.upstream import promql

COMPONENTS = ["network", "storage", "cluster", "tracking", "orchestrator", "feature_store", "serving", "monitoring"]


def _rules(aws: bool, serving_kind: str) -> dict[str, str]:
    ctx = h.context("platform" if aws else "onprem", "prod")
    groups = alert_rules(ctx, COMPONENTS, serving_kind=serving_kind, orchestrator_kind="airflow", gpu=True, drift=True)
    return {r["alert"]: r["expr"] for g in groups for r in g["rules"]}


@pytest.mark.parametrize("kind", ["kserve", "seldon", "bentoml"])
def test_p99_is_a_quantile_of_bucket_rates_with_nothing_divided_inside(kind):
    # histogram_quantile(φ, sum by (le) (rate(x_bucket[5m])) / 1000) divides the bucket *counts*,
    # not the `le` bounds: the result is still in the histogram's unit, so "> 1" meant 1 ms.
    expr = _rules(True, kind)["MlplatServingLatencyHigh"]
    (call,) = promql.calls(expr, "histogram_quantile")
    vector = call.args[1]
    assert not promql.is_arithmetic(vector), f"arithmetic inside histogram_quantile: {expr}"
    (rate,) = promql.calls(str(vector), "rate")
    assert all(n.endswith("_bucket") for n in promql.metric_names(str(rate))), expr
    assert "le" in str(vector.modifier), "the aggregation must keep `le`"


def test_serving_dashboard_latency_panels_same_shape():
    ctx = h.context("platform", "prod")
    board = dashboards(ctx, COMPONENTS, serving_kind="kserve", orchestrator_kind="airflow", gpu=False)["serving"]
    latency = next(p for p in board["panels"] if p["title"].startswith("Latency"))
    assert latency["targets"]
    for target in latency["targets"]:
        (call,) = promql.calls(target["expr"], "histogram_quantile")
        assert not promql.is_arithmetic(call.args[1]), target["expr"]


@pytest.mark.parametrize("aws", [True, False])
def test_component_down_fires_when_targets_vanish(aws):
    rules = _rules(aws, "kserve" if aws else "seldon")
    down = {k: v for k, v in rules.items() if k.startswith("MlplatComponentDown")}
    assert len(down) == 4  # tracking, orchestrator, feature_store, serving
    for name, expr in down.items():
        tree = promql.parse(expr)
        # `sum(up{…}) == 0` is an empty vector when no target exists: the alert never fires.
        # absent(up{…} == 1) is 1 both when all targets are down and when there are none.
        assert type(tree).__name__ == "Call" and tree.func.name == "absent", f"{name}: {expr}"
        assert promql.metric_names(expr) == {"up"}


def test_eks_turns_off_control_plane_scrapes_and_their_rules():
    ctx = h.context("platform", "prod")
    from mlplat.stacks.platform_spec.model import Monitoring

    values = stack_values(ctx, Monitoring(), grafana_secret=None, alert_secrets=[], receivers={})
    # Managed control plane: nothing answers on these endpoints inside an EKS cluster
    # (kube-prometheus-stack 88.5.3 values.yaml enables all four by default).
    for key in ("kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"):
        assert values[key] == {"enabled": False}, key
    assert values["defaultRules"]["rules"] == {
        "kubeControllerManager": False, "kubeSchedulerAlerting": False, "kubeSchedulerRecording": False,
        "etcd": False, "kubeProxy": False,
    }  # fmt: skip
    onprem = stack_values(h.context("onprem", "prod"), Monitoring(), grafana_secret=None, alert_secrets=[], receivers={})
    assert "kubeEtcd" not in onprem and "defaultRules" not in onprem  # a self-run control plane is scrapable


def test_dcgm_service_monitor_keeps_the_exporters_pod_labels():
    values = dcgm_values(h.context("platform", "prod"))
    # honorLabels false renames the exporter's pod/namespace to exported_*; the GPU-by-pod panel needs them.
    assert values["serviceMonitor"]["honorLabels"] is True
