"""Pure helpers of modules/serving.py: traffic split, GPU scheduling, URIs."""

from __future__ import annotations

import pytest
from mlplat.modules import serving as s
from mlplat.modules.common import BucketRef, Context
from mlplat.stacks.platform_spec.model import ServedModel


def model(**kw) -> ServedModel:
    base = {"name": "churn-classifier", "format": "sklearn", "uri": "s3://churn-prod-artifacts/m/v3"}
    return ServedModel.model_validate({**base, **kw})


def ctx() -> Context:
    return Context("churn", "prod", "aws", "us-east-1", {}, True, False, False, 30)


def test_traffic_split_90_10():
    m = model(canary={"uri": "s3://churn-prod-artifacts/m/v4", "traffic_percent": 10})
    assert s.traffic_split(m) == {"stable": 90, "canary": 10}
    assert s.split_annotation(s.traffic_split(m)) == "stable=90,canary=10"
    assert s.traffic_split(model()) == {"stable": 100}


@pytest.mark.parametrize("percent,split", [(0, (100, 0)), (100, (0, 100)), (33.4, (67, 33))])
def test_traffic_split_bounds(percent, split):
    m = model(canary={"uri": "s3://b/v4", "traffic_percent": percent})
    assert tuple(s.traffic_split(m).values()) == split


def test_traffic_split_rejects_out_of_range():
    with pytest.raises(ValueError):
        s.traffic_split(model(canary={"uri": "s3://b/v4", "traffic_percent": 120}))


def test_kserve_predictor_canary_and_gpu():
    m = model(
        format="pytorch", replicas={"min": 1, "max": 3}, resources={"cpu": "2", "memory": "8Gi", "gpu": 1},
        canary={"uri": "s3://churn-prod-artifacts/m/v4", "traffic_percent": 10},
    )  # fmt: skip
    p = s.kserve_predictor(ctx(), m, {"app": "x"})
    assert "canaryTrafficPercent" not in p
    assert p["model"]["storageUri"] == "s3://churn-prod-artifacts/m/v3"  # the stable revision
    (canary,) = s.kserve_canary(ctx(), m)
    assert canary == {"predictor": {"name": "canary", "model": {**p["model"], "storageUri": "s3://churn-prod-artifacts/m/v4"}},
                      "trafficPercent": 10}  # fmt: skip
    assert p["model"]["modelFormat"] == {"name": "pytorch"}
    assert (p["minReplicas"], p["maxReplicas"]) == (1, 3)
    res = p["model"]["resources"]
    assert res["requests"]["nvidia.com/gpu"] == "1" and res["limits"]["nvidia.com/gpu"] == "1"
    assert p["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert p["model"]["securityContext"]["allowPrivilegeEscalation"] is False
    assert "livenessProbe" in p["model"] and "readinessProbe" in p["model"]
    assert s.kserve_annotations(ctx(), m)["serving.kserve.io/deploymentMode"] == "Standard"


def test_cpu_model_has_no_gpu_toleration():
    p = s.kserve_predictor(ctx(), model(), {})
    assert "tolerations" not in p and "canaryTrafficPercent" not in p
    assert "nvidia.com/gpu" not in p["model"]["resources"]["requests"]


def test_seldon_two_predictors_carry_the_split():
    m = model(format="xgboost", canary={"uri": "s3://b/v4", "traffic_percent": 10})
    preds = s.seldon_predictors(ctx(), m, {"app": "x"}, "model-storage")
    assert [(p["name"], p["traffic"]) for p in preds] == [("main", 90), ("canary", 10)]
    assert preds[0]["graph"]["implementation"] == "XGBOOST_SERVER"
    assert preds[1]["graph"]["modelUri"] == "s3://b/v4"
    assert sum(p["traffic"] for p in preds) == 100


def test_seldon_rejects_unsupported_format():
    with pytest.raises(ValueError, match="Seldon"):
        s.seldon_predictors(ctx(), model(format="lightgbm"), {}, None)


def test_bucket_arns_cover_declared_and_external_buckets():
    c = ctx()
    c.account_id = "210987654321"
    arn = "arn:aws:s3:::churn-prod-artifacts-210987654321"
    buckets = {"artifacts": BucketRef("artifacts", "churn-prod-artifacts-210987654321", arn)}
    models = [model(uri="s3://churn-prod-artifacts-210987654321/a"), model(name="b", uri="s3://other/x")]
    refs = s.bucket_arns_for(c, models, buckets)
    assert [r.arn for r in refs] == [arn, "arn:aws:s3:::other"]


def test_bento_canary_replicas():
    m = model(replicas={"min": 2, "max": 10}, canary={"uri": "oci://r/b:2", "traffic_percent": 10})
    assert s.bento_replicas(m) == {"stable": (2, 10), "canary": (1, 5)}
    assert s.nginx_canary_annotations(10)["nginx.ingress.kubernetes.io/canary-weight"] == "10"


def test_oci_image_pinned():
    assert s.oci_image("oci://ghcr.io/acme/bento:1.0") == "ghcr.io/acme/bento:1.0"
    with pytest.raises(ValueError):
        s.oci_image("s3://b/m")
