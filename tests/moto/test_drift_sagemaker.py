"""Drift of the managed AWS path: SageMaker endpoint configurations and endpoints on moto;
MWAA and SageMaker's managed MLflow, which moto 5.2 does not implement, on botocore's Stubber
with responses shaped by the service model (the Stubber validates them against it)."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from mlplat.stacks.drift.detect import locate_aws
from mlplat.stacks.drift.live_aws import LiveAws
from mlplat.stacks.drift.model import compare
from mlplat.stacks.drift.targets import aws_targets

from tests.conftest import EXAMPLES

REGION = "us-east-1"  # examples/sagemaker.yaml's region


@cache
def plan_of(env: str) -> Any:
    from mlplat.stacks import load_platform
    from mlplat.stacks.plan.offline import run_offline

    return run_offline(load_platform(EXAMPLES / "sagemaker.yaml", env))


def targets(kind: str, env: str = "prod") -> list[Any]:
    return [t for t in aws_targets(plan_of(env)) if t.kind == kind]


def materialize_endpoint(env: str, *, count: dict[str, int] | None = None, endpoint: bool = True) -> None:
    """Create the plan's endpoint configuration (and endpoint) in moto, optionally with other counts."""
    plan = plan_of(env)
    sm = boto3.client("sagemaker", region_name=REGION)
    cfg = next(r for r in plan.resources if r.type.endswith("EndpointConfiguration")).inputs
    for v in cfg["productionVariants"]:  # moto wants the models to exist
        sm.create_model(ModelName=f"m-{v['variantName']}", ExecutionRoleArn="arn:aws:iam::123456789012:role/x",
                        PrimaryContainer={"Image": "img"})
    tags = [{"Key": k, "Value": v} for k, v in cfg["tags"].items()]
    sm.create_endpoint_config(
        EndpointConfigName=cfg["name"],
        ProductionVariants=[{
            "VariantName": v["variantName"], "ModelName": f"m-{v['variantName']}", "InstanceType": v["instanceType"],
            "InitialInstanceCount": (count or {}).get(v["variantName"], int(v["initialInstanceCount"])),
            "InitialVariantWeight": float(v["initialVariantWeight"]),
        } for v in cfg["productionVariants"]],
        DataCaptureConfig={
            "EnableCapture": True, "InitialSamplingPercentage": int(cfg["dataCaptureConfig"]["initialSamplingPercentage"]),
            "DestinationS3Uri": "s3://fraud-prod-artifacts/data-capture/fraud-scorer",
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        },
        KmsKeyId="arn:aws:kms:us-east-1:123456789012:key/platform",
        Tags=tags,
    )
    if endpoint:
        ep = next(r for r in plan.resources if r.type == "aws:sagemaker/endpoint:Endpoint").inputs
        sm.create_endpoint(EndpointName=ep["name"], EndpointConfigName=cfg["name"],
                           Tags=[{"Key": k, "Value": v} for k, v in ep["tags"].items()])


def findings(kinds: tuple[str, ...], env: str = "prod") -> list[tuple[str, str, Any, Any]]:
    live = LiveAws(REGION)
    ts = [t for t in aws_targets(plan_of(env)) if t.kind in kinds]
    out = []
    for loc in locate_aws(ts, live, "fraud", env):
        out += [(f.kind, f.attribute or f.resource, f.expected, f.actual) for f in compare(loc.target, loc.live)]
    return out


@pytest.fixture
def moto() -> Any:
    from moto import mock_aws

    with mock_aws():
        yield


KINDS = ("sagemaker-endpoint-config", "sagemaker-endpoint")


def test_endpoint_built_from_the_plan_is_in_sync(moto):
    materialize_endpoint("prod")
    assert findings(KINDS) == []
    assert len(targets("sagemaker-endpoint-config")) == 1 and len(targets("sagemaker-endpoint")) == 1


def test_changed_instance_count_is_one_finding(moto):
    materialize_endpoint("prod", count={"primary": 5})  # the plan says 2 (prod floor)
    assert findings(KINDS) == [("changed", "variants.primary.initial_instance_count", 2, 5)]


def test_missing_endpoint_is_reported_missing(moto):
    materialize_endpoint("prod", endpoint=False)
    assert findings(KINDS) == [("missing", "fraud-prod-fraud-scorer", None, None)]


def stubbed(service: str, op: str, response: dict[str, Any], params: dict[str, Any]) -> LiveAws:
    live = LiveAws(REGION)
    client = live.client(service)
    stub = Stubber(client)
    stub.add_response(op, response, params)
    if service == "sagemaker":
        stub.add_response("list_tags", {"Tags": [{"Key": "managed-by", "Value": "mlplat"}]},
                          {"ResourceArn": response["TrackingServerArn"]})
    stub.activate()
    return live


def test_mwaa_environment_class_drift_on_a_recorded_response():
    t = targets("mwaa")[0]
    env = {"Name": t.resource, "Arn": f"arn:aws:airflow:{REGION}:123456789012:environment/{t.resource}",
           "Status": "AVAILABLE", "EnvironmentClass": "mw1.medium", "MaxWorkers": 5,
           "WebserverAccessMode": "PRIVATE_ONLY", "AirflowVersion": "2.10.3",
           "Tags": dict(next(r for r in plan_of("prod").resources if r.type == t.type).inputs["tags"])}
    live = stubbed("mwaa", "get_environment", {"Environment": env}, {"Name": t.resource})
    got = [(f.kind, f.attribute, f.expected, f.actual) for f in compare(t, live.mwaa_environment(t.resource))]
    assert got == [("changed", "environment_class", "mw1.small", "mw1.medium")]


def test_mlflow_server_size_drift_on_a_recorded_response():
    t = targets("sagemaker-mlflow")[0]
    arn = f"arn:aws:sagemaker:{REGION}:123456789012:mlflow-tracking-server/{t.resource}"
    resp = {"TrackingServerArn": arn, "TrackingServerName": t.resource, "TrackingServerSize": "Large",
            "TrackingServerStatus": "Created"}
    live = stubbed("sagemaker", "describe_mlflow_tracking_server", resp, {"TrackingServerName": t.resource})
    rec = live.mlflow_tracking_server(t.resource)
    got = [(f.kind, f.attribute, f.expected, f.actual) for f in compare(t, rec) if not f.attribute.startswith("tags.")]
    assert got == [("changed", "size", "Small", "Large")]
