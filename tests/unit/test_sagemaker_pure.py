"""Pure helpers of the managed AWS path (modules/sagemaker.py, stacks/platform_spec/sagemaker_catalog.py)."""

from __future__ import annotations

import pytest
from mlplat.modules.sagemaker import (
    execution_policy,
    mwaa_execution_policy,
    s3_bucket_of,
    scaling_resource_id,
    variant_bounds,
    variant_weights,
)
from mlplat.stacks.platform_spec import sagemaker_catalog as smc
from mlplat.stacks.platform_spec.model import ServedModel

# The production variant names an operator sees in the SageMaker console (modules/sagemaker.py's contract).
PRIMARY, CANARY = "primary", "canary"


def model(**over):
    data = {"name": "m", "format": "xgboost", "uri": "s3://models/m/model.tar.gz"}
    data.update(over)
    return ServedModel.model_validate(data)


def test_canary_takes_its_share_and_the_primary_the_rest():
    assert variant_weights(model()) == {PRIMARY: 1.0}
    assert variant_weights(model(canary={"uri": "s3://models/m2.tar.gz", "traffic_percent": 10})) == {
        PRIMARY: 90.0, CANARY: 10.0,
    }


@pytest.mark.parametrize(
    "replicas,canary,primary,canary_bounds",
    [
        ({"min": 2, "max": 10}, 10, (2, 10), (1, 1)),  # 10 % of 10 instances = 1
        ({"min": 2, "max": 10}, 25, (2, 10), (1, 3)),  # 25 % of 10 = 2.5, rounded up to 3
        ({"min": 0, "max": 2}, 10, (1, 2), (1, 1)),  # a real-time endpoint never has 0 instances
    ],
)
def test_variant_bounds(replicas, canary, primary, canary_bounds):
    m = model(replicas=replicas, canary={"uri": "s3://models/c.tar.gz", "traffic_percent": canary})
    assert variant_bounds(m, PRIMARY) == primary
    assert variant_bounds(m, CANARY) == canary_bounds


def test_s3_bucket_of():
    assert s3_bucket_of("s3://acme-models/a/b/model.tar.gz") == "acme-models"
    with pytest.raises(ValueError):
        s3_bucket_of("https://acme/model.tar.gz")


def test_scaling_resource_id_follows_application_auto_scaling():
    # AWS: "endpoint/<endpoint-name>/variant/<variant-name>" for SageMaker variants
    assert scaling_resource_id("fraud-prod-m", "primary") == "endpoint/fraud-prod-m/variant/primary"


def test_framework_images_come_from_the_sagemaker_sdk_registry_table():
    # sagemaker 2.257.7 image_uri_config/xgboost.json: version 3.0-5, us-east-1 account 683313688378
    assert smc.framework_image("xgboost", "us-east-1", "ml.m5.xlarge") == (
        "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.0-5"
    )
    # pytorch.json: 2.6.0, py312; the GPU build for a GPU instance; DLC account 763104351884
    assert smc.framework_image("pytorch", "eu-west-1", "ml.g5.xlarge") == (
        "763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.6.0-gpu-py312"
    )
    assert smc.framework_image("onnx", "us-east-1", "ml.m5.xlarge") is None
    assert smc.framework_image("xgboost", "xx-nowhere-1", "ml.m5.xlarge") is None


def test_hosting_types_are_the_api_enum():
    assert smc.is_hosting_instance_type("ml.g5.xlarge")
    assert not smc.is_hosting_instance_type("ml.t3.medium")  # not a real-time hosting type in the API model
    assert smc.suggest_hosting_instance_type("ml.g5.xlarg") == "ml.g5.xlarge"
    assert smc.graviton("ml.c7g.large") and smc.graviton("ml.r6gd.xlarge")
    assert not smc.graviton("ml.g5.xlarge") and not smc.graviton("ml.m5.xlarge")


def test_execution_policy_is_scoped_to_the_model_and_capture_buckets():
    doc = execution_policy(["acme-models"], "arn:aws:s3:::fraud-prod-artifacts", "arn:aws:kms:us-east-1:1:key/k",
                           "us-east-1")
    by_sid = {s["Sid"]: s for s in doc["Statement"]}
    assert by_sid["ReadModels"]["Resource"] == ["arn:aws:s3:::acme-models", "arn:aws:s3:::acme-models/*"]
    assert by_sid["WriteCapture"]["Resource"] == ["arn:aws:s3:::fraud-prod-artifacts",
                                                  "arn:aws:s3:::fraud-prod-artifacts/*"]
    assert by_sid["PlatformKey"]["Resource"] == "arn:aws:kms:us-east-1:1:key/k"
    # no statement grants s3 or kms on every resource
    assert doc["Statement"]
    for s in doc["Statement"]:
        if s["Resource"] == "*":
            assert not any(a.startswith(("s3:", "kms:")) for a in s["Action"]), s


def test_mwaa_execution_policy_reads_only_the_dag_bucket():
    doc = mwaa_execution_policy("us-east-1", "fraud-prod-airflow", "arn:aws:s3:::fraud-prod-dags", None)
    s3 = [s for s in doc["Statement"] if s["Effect"] == "Allow" and any(a.startswith("s3:") for a in s["Action"])]
    assert len(s3) == 1 and s3[0]["Resource"] == ["arn:aws:s3:::fraud-prod-dags", "arn:aws:s3:::fraud-prod-dags/*"]
    assert not [s for s in doc["Statement"] if any(a.startswith("kms:") for a in s["Action"])]
