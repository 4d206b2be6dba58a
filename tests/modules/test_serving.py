"""ModelServing under the recording mocks: KServe canary 90/10 and GPU, Seldon split, BentoML."""

from __future__ import annotations

import json

import pytest
from mlplat.modules.serving import ModelServing, ModelServingArgs

from tests.modules import workload_harness as h


def _plan(aws: bool, kind: str | None = None, models=None):
    ctx = h.context("platform" if aws else "onprem", "prod")
    spec = ctx.resolved.spec.serving
    update = {}
    if kind:
        update["kind"] = kind
    if models is not None:
        update["models"] = models
    if update:
        spec = spec.model_copy(update=update)

    def program() -> None:
        buckets = {b.name: h.bucket(ctx, b.name, minio=not aws) for b in ctx.resolved.spec.storage.buckets}
        ModelServing("serving", ModelServingArgs(ctx, spec, h.cluster(aws), buckets))

    return h.run(program)


@pytest.fixture(scope="module")
def kserve():
    return _plan(True)


def isvc(plan, model):
    return plan.named(f"serving-{model}")


def test_kserve_operator_pinned(kserve):
    rel = kserve.named("serving-kserve")
    # v0.17+ publishes the controller chart as kserve-resources (kserve v0.20.0 Chart.yaml).
    assert rel.inputs["chart"] == "oci://ghcr.io/kserve/charts/kserve-resources" and rel.inputs["version"] == "v0.20.0"
    assert kserve.named("serving-kserve-crd").urn in rel.dependencies
    runtimes = kserve.named("serving-kserve-runtimes")
    assert runtimes.inputs["chart"] == "oci://ghcr.io/kserve/charts/kserve-runtime-configs"
    assert runtimes.inputs["values"] == {"kserve": {"servingruntime": {"enabled": True}}}
    assert rel.urn in runtimes.dependencies


def test_canary_split_90_10(kserve):
    r = isvc(kserve, "churn-classifier")
    assert r.type == "kubernetes:serving.kserve.io/v1beta1:InferenceService"
    p = r.inputs["spec"]["predictor"]
    assert "canaryTrafficPercent" not in p  # read by the Knative reconciler only
    assert p["model"]["storageUri"] == "s3://churn-prod-artifacts-123456789012/models/churn-classifier/v3"  # stable stays; the offline account
    (canary,) = r.inputs["spec"]["canary"]
    assert canary["trafficPercent"] == 10 and canary["predictor"]["name"] == "canary"
    assert canary["predictor"]["model"]["storageUri"] == "s3://churn-prod-artifacts-123456789012/models/churn-classifier/v4"
    ann = r.inputs["metadata"]["annotations"]
    assert ann["serving.kserve.io/deploymentMode"] == "Standard"  # spec.canary is accepted in Standard only
    assert ann["mlplat.io/traffic-split"] == "stable=90,canary=10"
    assert (p["minReplicas"], p["maxReplicas"]) == (2, 10)
    assert "canary" not in isvc(kserve, "churn-explainer").inputs["spec"]


def test_gpu_requests_and_toleration(kserve):
    p = isvc(kserve, "churn-explainer").inputs["spec"]["predictor"]
    res = p["model"]["resources"]
    assert res["requests"]["nvidia.com/gpu"] == "1" and res["limits"]["nvidia.com/gpu"] == "1"
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in p["tolerations"]
    cpu = isvc(kserve, "churn-classifier").inputs["spec"]["predictor"]
    assert "tolerations" not in cpu and "nvidia.com/gpu" not in cpu["model"]["resources"]["limits"]


def test_model_containers_hardened_and_labelled(kserve):
    h.assert_labelled(kserve)
    for model in ("churn-classifier", "churn-explainer"):
        p = isvc(kserve, model).inputs["spec"]["predictor"]
        sc = p["model"]["securityContext"]
        assert sc["runAsNonRoot"] is True and sc["allowPrivilegeEscalation"] is False
        assert sc["capabilities"]["drop"] == ["ALL"] and sc["seccompProfile"]["type"] == "RuntimeDefault"
        assert p["securityContext"]["runAsNonRoot"] is True
        assert "livenessProbe" in p["model"] and "readinessProbe" in p["model"]
        assert p["model"]["resources"]["limits"]["memory"]
        assert p["labels"]["app.kubernetes.io/managed-by"] == "mlplat" and p["labels"]["mlplat.io/component"] == "serving"
        assert p["serviceAccountName"] == "model-server"


def test_irsa_read_only_on_model_buckets(kserve):
    policy = json.loads(kserve.named("serving-sa-irsa-policy").inputs["policy"])
    actions = {a for s in policy["Statement"] for a in s["Action"]}
    assert "s3:PutObject" not in actions and "s3:GetObject" in actions
    assert {r for s in policy["Statement"] for r in s["Resource"] if r.startswith("arn:aws:s3")} == {
        "arn:aws:s3:::churn-prod-artifacts-123456789012", "arn:aws:s3:::churn-prod-artifacts-123456789012/*"
    }  # fmt: skip


def test_seldon_on_kubernetes():
    models = [
        {"name": "fraud-detector", "format": "xgboost", "uri": "s3://artifacts/models/fraud/v7",
         "replicas": {"min": 2, "max": 6}, "canary": {"uri": "s3://artifacts/models/fraud/v8", "traffic_percent": 10}},
    ]  # fmt: skip
    from mlplat.stacks.platform_spec.model import ServedModel

    plan = _plan(False, models=[ServedModel.model_validate(m) for m in models])
    rel = plan.named("serving-seldon-core")
    assert rel.inputs["chart"] == "seldon-core-operator" and rel.inputs["version"] == "1.17.1"
    sd = plan.named("serving-fraud-detector")
    assert sd.type == "kubernetes:machinelearning.seldon.io/v1:SeldonDeployment"
    preds = sd.inputs["spec"]["predictors"]
    assert [(p["name"], p["traffic"]) for p in preds] == [("main", 90), ("canary", 10)]
    # s3://<declared bucket> resolves to the MinIO bucket of this environment
    assert preds[0]["graph"]["modelUri"] == "s3://research-prod-artifacts/models/fraud/v7"
    assert preds[0]["graph"]["envSecretRefName"] == "model-storage"
    assert plan.named("serving-storage").inputs["stringData"] == "<secret>"
    assert not any(r.type.startswith("aws:") for r in plan.resources)
    h.assert_labelled(plan)


def test_bentoml_deployments_with_canary():
    from mlplat.stacks.platform_spec.model import ServedModel

    m = ServedModel.model_validate({
        "name": "ranker", "format": "custom", "uri": "oci://ghcr.io/acme/ranker:1.0.0",
        "replicas": {"min": 2, "max": 8}, "resources": {"cpu": "1", "memory": "2Gi", "gpu": 1},
        "canary": {"uri": "oci://ghcr.io/acme/ranker:1.1.0", "traffic_percent": 10},
    })  # fmt: skip
    plan = _plan(False, kind="bentoml", models=[m])
    assert h.assert_hardened(plan) == 2
    h.assert_labelled(plan)
    assert h.assert_valid_manifests(plan) >= 10
    stable, canary = plan.named("serving-ranker-deployment"), plan.named("serving-ranker-canary-deployment")
    assert stable.get("spec.template.spec.containers.0.image") == "ghcr.io/acme/ranker:1.0.0"
    assert canary.get("spec.template.spec.containers.0.image") == "ghcr.io/acme/ranker:1.1.0"
    assert stable.get("spec.template.spec.tolerations.0.key") == "nvidia.com/gpu"
    assert stable.get("spec.template.spec.containers.0.resources.limits")["nvidia.com/gpu"] == "1"
    ing = plan.named("serving-ranker-canary-ingress").inputs["metadata"]["annotations"]
    assert ing["nginx.ingress.kubernetes.io/canary"] == "true" and ing["nginx.ingress.kubernetes.io/canary-weight"] == "10"
    assert stable.inputs["metadata"]["annotations"]["mlplat.io/traffic-split"] == "stable=90,canary=10"
