"""Kubernetes drift logic on dict fixtures (no cluster here): the live objects are what the API
would return for the plan's first-party workloads, then changed one way at a time."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from mlplat.stacks.drift.detect import detect_drift
from mlplat.stacks.drift.live_k8s import compare_objects, k8s_targets, quantity, resources_value
from mlplat.stacks.plan.model import Plan, PlanResource

from .conftest import resolved_and_plan


def _int(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, dict):
        return {k: _int(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_int(x) for x in v]
    return v


class FakeCluster:
    """A KubeReader over dicts keyed by (kind, namespace, name)."""

    def __init__(self, objects: dict[tuple[str, str | None, str], dict[str, Any]]) -> None:
        self.objects = objects

    def get(self, api_version: str, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        return self.objects.get((kind, namespace, name))

    def list(self, api_version: str, kind: str, label_selector: str) -> list[dict[str, Any]]:
        want = dict(part.split("=", 1) for part in label_selector.split(","))
        return [o for (k, _, _), o in self.objects.items()
                if k == kind and all(o["metadata"].get("labels", {}).get(a) == b for a, b in want.items())]  # fmt: skip


def applied(plan: Plan) -> FakeCluster:
    """The cluster as `pulumi up` leaves it: every first-party object as the API returns it
    (ints, not floats; computed fields and defaults added, which must not matter)."""
    objs: dict[tuple[str, str | None, str], dict[str, Any]] = {}
    for r in plan.resources:
        if not r.type.startswith("kubernetes:") or "helm.sh" in r.type:
            continue
        obj = _int(copy.deepcopy(r.inputs))
        kind = r.type.rsplit(":", 1)[-1]
        obj["metadata"]["uid"] = "0000"
        obj["metadata"]["resourceVersion"] = "42"
        if kind == "Deployment":
            obj["status"] = {"replicas": obj["spec"]["replicas"]}
            for c in obj["spec"]["template"]["spec"]["containers"]:
                c.setdefault("terminationMessagePath", "/dev/termination-log")
        ns = None if kind in ("Namespace", "StorageClass") else obj["metadata"].get("namespace", "default")
        objs[(kind, ns, obj["metadata"]["name"])] = obj
    return FakeCluster(objs)


def mlflow(cluster: FakeCluster) -> dict[str, Any]:
    return next(o for (k, _, n), o in cluster.objects.items() if k == "Deployment" and n == "mlflow")


def run(cluster: FakeCluster) -> list[tuple[Any, ...]]:
    _, plan = resolved_and_plan()
    findings, _ = compare_objects(plan, cluster, "acme", "dev")
    return [(f.kind, f.resource, f.attribute, f.expected, f.actual) for f in findings]


def test_plan_objects_become_targets_with_replicas_images_resources() -> None:
    _, plan = resolved_and_plan()
    targets = {t.resource: t for t in k8s_targets(plan)}
    assert {"acme-dev-tracking/Deployment/mlflow", "acme-dev-feature-store/Deployment/feast-feature-server",
            "acme-dev-tracking/HorizontalPodAutoscaler/mlflow", "Namespace/acme-dev-tracking"} <= set(targets)  # fmt: skip
    # Jobs finish and are garbage-collected: never targets. Secrets: existence only.
    assert not any(t.type.endswith(":Job") for t in targets.values())
    assert all(t.checks == [] for t in targets.values() if t.type.endswith(":Secret"))
    t = targets["acme-dev-tracking/Deployment/mlflow"]
    assert {c.attribute for c in t.checks} == {"replicas", "containers.mlflow.image", "containers.mlflow.resources"}


def test_applied_objects_are_in_sync() -> None:
    assert run(applied(resolved_and_plan()[1])) == []


def test_changed_image_is_reported_once() -> None:
    cluster = applied(resolved_and_plan()[1])
    c = mlflow(cluster)["spec"]["template"]["spec"]["containers"][0]
    expected, c["image"] = c["image"], "ghcr.io/mlflow/mlflow:v2.9.0"
    assert run(cluster) == [
        ("changed", "acme-dev-tracking/Deployment/mlflow", "containers.mlflow.image", expected, "ghcr.io/mlflow/mlflow:v2.9.0")
    ]


def test_resources_compare_by_quantity_value() -> None:
    cluster = applied(resolved_and_plan()[1])
    res = mlflow(cluster)["spec"]["template"]["spec"]["containers"][0]["resources"]
    res["limits"] = {"cpu": "1000m", "memory": "2048Mi"}  # same values, other spellings
    assert run(cluster) == []
    res["limits"]["memory"] = "4Gi"
    [(kind, _, attr, exp, act)] = run(cluster)
    assert (kind, attr) == ("changed", "containers.mlflow.resources")
    assert exp["limits"]["memory"] != act["limits"]["memory"]


def test_replicas_inside_hpa_bounds_are_not_drift_outside_are() -> None:
    cluster = applied(resolved_and_plan()[1])
    dep = mlflow(cluster)
    dep["spec"]["replicas"] = 2  # the HPA scaled up: within minReplicas..maxReplicas (1..2)
    assert run(cluster) == []
    dep["spec"]["replicas"] = 5
    assert run(cluster) == [("changed", "acme-dev-tracking/Deployment/mlflow", "replicas", "1..2", 5)]


def test_fixed_replicas_without_hpa() -> None:
    _, plan = resolved_and_plan()
    no_hpa = Plan(plan.platform, plan.environment,
                  [r for r in plan.resources if "HorizontalPodAutoscaler" not in r.type], plan.provider)  # fmt: skip
    cluster = applied(no_hpa)
    mlflow(cluster)["spec"]["replicas"] = 2
    findings, _ = compare_objects(no_hpa, cluster, "acme", "dev")
    assert [(f.attribute, f.expected, f.actual) for f in findings] == [("replicas", 1, 2)]


def test_deleted_workload_is_missing_and_labelled_extra_is_unmanaged() -> None:
    cluster = applied(resolved_and_plan()[1])
    obj = cluster.objects.pop(("Deployment", "acme-dev-tracking", "mlflow"))
    assert run(cluster) == [("missing", "acme-dev-tracking/Deployment/mlflow", None, None, None)]
    derived = copy.deepcopy(obj)  # what a controller makes from a planned object is not unmanaged
    derived["metadata"].update(name="mlflow-derived", ownerReferences=[{"kind": "Something", "name": "x"}])
    cluster.objects[("Deployment", "acme-dev-tracking", "mlflow-derived")] = derived
    extra = copy.deepcopy(obj)
    extra["metadata"]["name"] = "mlflow-old"
    cluster.objects[("Deployment", "acme-dev-tracking", "mlflow")] = obj
    cluster.objects[("Deployment", "acme-dev-tracking", "mlflow-old")] = extra
    assert run(cluster) == [("unmanaged", "acme-dev-tracking/Deployment/mlflow-old", None, None, None)]


def test_other_environments_objects_are_ignored() -> None:
    cluster = applied(resolved_and_plan()[1])
    other = copy.deepcopy(mlflow(cluster))
    other["metadata"]["labels"]["mlplat.io/environment"] = "prod"
    other["metadata"]["name"] = "mlflow-prod"
    cluster.objects[("Deployment", "acme-dev-tracking", "mlflow-prod")] = other
    assert run(cluster) == []


def test_deleted_secret_is_missing_but_its_data_is_never_compared() -> None:
    cluster = applied(resolved_and_plan()[1])
    secrets = [k for k in cluster.objects if k[0] == "Secret"]
    for k in secrets:
        cluster.objects[k]["stringData"] = {"password": "rotated-out-of-band"}
    assert run(cluster) == []
    del cluster.objects[secrets[0]]
    assert run(cluster) == [("missing", f"{secrets[0][1]}/Secret/{secrets[0][2]}", None, None, None)]


def test_hpa_bounds_changed() -> None:
    cluster = applied(resolved_and_plan()[1])
    hpa = cluster.objects[("HorizontalPodAutoscaler", "acme-dev-tracking", "mlflow")]
    hpa["spec"]["maxReplicas"] = 9
    assert run(cluster) == [("changed", "acme-dev-tracking/HorizontalPodAutoscaler/mlflow", "replicas", {"minReplicas": 1, "maxReplicas": 2},
                             {"minReplicas": 1, "maxReplicas": 9})]  # fmt: skip


def test_third_party_and_auto_named_workloads_are_not_targets() -> None:
    dep = {"metadata": {"namespace": "x", "labels": {"app.kubernetes.io/managed-by": "helm"}, "name": "thing"},
           "spec": {"replicas": 1.0, "template": {"spec": {"containers": [{"name": "a", "image": "a:1"}]}}}}  # fmt: skip
    auto = {"metadata": {"namespace": "x", "labels": {"app.kubernetes.io/managed-by": "mlplat"}},
            "spec": {"replicas": 1.0, "template": {"spec": {"containers": [{"name": "a", "image": "a:1"}]}}}}  # fmt: skip
    plan = Plan("p", "e", [
        PlanResource("urn:1", "kubernetes:apps/v1:Deployment", "third", None, None, dep),
        PlanResource("urn:2", "kubernetes:apps/v1:Deployment", "auto", None, None, auto),
    ])  # fmt: skip
    assert k8s_targets(plan) == []


@pytest.mark.parametrize(
    ("a", "b"), [("1", "1000m"), ("0.5", "500m"), ("1Gi", "1024Mi"), ("1G", "1000M"), (2, "2"), ("1e3", "1k")]
)
def test_quantities_equal(a: Any, b: Any) -> None:
    assert quantity(a) == quantity(b)
    assert resources_value({"limits": {"cpu": a}}) == resources_value({"limits": {"cpu": b}})


def test_kube_context_without_the_client_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from mlplat.stacks.errors import MlplatError

    monkeypatch.setitem(sys.modules, "kubernetes", None)  # as if not installed
    resolved, plan = resolved_and_plan()
    with pytest.raises(MlplatError, match="pip install kubernetes"):
        detect_drift(resolved, plan=plan, kube_context="kind-dev", state_path=False)


def test_kube_reader_adds_kubernetes_coverage(aws_inprocess: str) -> None:
    from .conftest import REGION
    from .materialize import materialize

    resolved, plan = resolved_and_plan()
    materialize(plan, REGION)
    without = detect_drift(resolved, plan=plan, state_path=False)
    cluster = applied(plan)
    mlflow(cluster)["spec"]["template"]["spec"]["containers"][0]["image"] = "mlflow:evil"
    with_k8s = detect_drift(resolved, plan=plan, state_path=False, kube_reader=cluster)
    k8s_objects = len(k8s_targets(plan))
    assert k8s_objects > 10 and with_k8s.checked == without.checked + k8s_objects
    assert [(f.source, f.attribute) for f in with_k8s.findings] == [("kubernetes", "containers.mlflow.image")]
    assert with_k8s.findings[0].to_dict()["source"] == "kubernetes"


def test_reference_platform_serving_and_cronjobs() -> None:
    """The reference spec's KServe InferenceServices and CronJobs (a bigger, real plan)."""
    from ..plans import reference

    _, plan = reference("platform", "prod")
    cluster = applied(plan)
    findings, urns = compare_objects(plan, cluster, "churn", "prod")
    assert findings == [] and len(urns) == len(k8s_targets(plan))

    isvc = cluster.objects[("InferenceService", "churn-prod-serving", "churn-classifier")]
    planned_uri = isvc["spec"]["predictor"]["model"]["storageUri"]  # the stable revision (the canary is spec.canary)
    isvc["spec"]["predictor"]["model"]["storageUri"] = "s3://elsewhere/model"
    isvc["spec"]["predictor"]["minReplicas"] = 0
    cron = cluster.objects[("CronJob", "churn-prod-monitoring", "drift-reports")]
    cron["spec"]["schedule"] = "0 0 * * *"
    got = {(f.resource, f.attribute): (f.expected, f.actual) for f in compare_objects(plan, cluster, "churn", "prod")[0]}
    assert got == {
        ("churn-prod-serving/InferenceService/churn-classifier", "predictor.model.storage_uri"):
            (planned_uri, "s3://elsewhere/model"),
        ("churn-prod-serving/InferenceService/churn-classifier", "predictor.replicas"):
            ({"minReplicas": 2, "maxReplicas": 10}, {"minReplicas": 0, "maxReplicas": 10}),
        ("churn-prod-monitoring/CronJob/drift-reports", "schedule"): ("0 */6 * * *", "0 0 * * *"),
    }  # fmt: skip


def test_kubernetes_target_without_the_client_is_a_clear_cli_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from click.testing import CliRunner
    from mlplat.cli.main import cli

    from ..conftest import EXAMPLES

    monkeypatch.setitem(sys.modules, "kubernetes", None)  # as if not installed
    res = CliRunner().invoke(cli, ["drift", str(EXAMPLES / "onprem.yaml"), "--env", "staging"])
    assert res.exit_code == 2 and "pip install kubernetes" in res.stderr and "Traceback" not in res.output


def test_a_kserve_canary_share_changed_live_is_drift() -> None:
    """KServe Standard-mode canaries live in spec.canary[] (issue 12): their share and model are checked."""
    from ..plans import reference

    _, plan = reference("platform", "prod")
    cluster = applied(plan)
    isvc = cluster.objects[("InferenceService", "churn-prod-serving", "churn-classifier")]
    isvc["spec"]["canary"][0]["trafficPercent"] = 50
    got = {(f.resource, f.attribute): (f.expected, f.actual) for f in compare_objects(plan, cluster, "churn", "prod")[0]}
    assert got == {("churn-prod-serving/InferenceService/churn-classifier", "canary.canary.traffic_percent"): (10, 50)}
    del isvc["spec"]["canary"]  # promoted or rolled back by hand
    got = {f.attribute: f.actual for f in compare_objects(plan, cluster, "churn", "prod")[0]}
    assert got == {"canary.canary.traffic_percent": None, "canary.canary.model.storage_uri": None}
