"""The managed AWS path under the recording mocks: examples/sagemaker.yaml, dev and prod."""

from __future__ import annotations

import pytest

from tests.plans import reference

ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
SCALING = "aws:appautoscaling/target:Target"


def one(plan, type_, name=None):
    found = [r for r in plan.resources if r.type == type_ and (name is None or r.name == name)]
    assert len(found) == 1, (type_, name, [r.name for r in found])
    return found[0]


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_no_cluster_at_all(env):
    _, plan = reference("sagemaker", env)
    assert not [r for r in plan.resources if r.type.startswith(("aws:eks/", "kubernetes:"))]
    assert {r.type for r in plan.resources} >= {
        "aws:sagemaker/model:Model", ENDPOINT_CONFIG, "aws:sagemaker/endpoint:Endpoint",
        "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer", "aws:mwaa/environment:Environment",
    }


@pytest.mark.parametrize("env,primary,canary", [("dev", (1, 2), (1, 1)), ("prod", (2, 10), (1, 1))])
def test_autoscaling_bounds_per_profile(env, primary, canary):
    _, plan = reference("sagemaker", env)
    targets = {r.inputs["resourceId"]: r.inputs for r in plan.resources if r.type == SCALING}
    ep = f"fraud-{env}-fraud-scorer"
    assert set(targets) == {f"endpoint/{ep}/variant/primary", f"endpoint/{ep}/variant/canary"}
    p, c = targets[f"endpoint/{ep}/variant/primary"], targets[f"endpoint/{ep}/variant/canary"]
    assert (p["minCapacity"], p["maxCapacity"]) == primary
    assert (c["minCapacity"], c["maxCapacity"]) == canary
    assert p["scalableDimension"] == "sagemaker:variant:DesiredInstanceCount"


def test_canary_weights_data_capture_and_kms():
    _, plan = reference("sagemaker", "prod")
    cfg = one(plan, ENDPOINT_CONFIG).inputs
    weights = {v["variantName"]: v["initialVariantWeight"] for v in cfg["productionVariants"]}
    assert weights == {"primary": 90.0, "canary": 10.0}
    assert {v["instanceType"] for v in cfg["productionVariants"]} == {"ml.m5.xlarge"}
    dc = cfg["dataCaptureConfig"]
    assert dc["enableCapture"] is True and dc["initialSamplingPercentage"] == 20
    assert sorted(o["captureMode"] for o in dc["captureOptions"]) == ["Input", "Output"]
    assert dc["destinationS3Uri"] == "<unknown>" or dc["destinationS3Uri"].startswith("s3://")
    # every store takes the platform key (unknown until apply, but present)
    assert cfg["kmsKeyArn"] and dc["kmsKeyId"]
    assert one(plan, "aws:mwaa/environment:Environment").inputs["kmsKey"]
    assert one(plan, "aws:sagemaker/domain:Domain").inputs["kmsKeyId"]


def test_models_run_in_the_private_subnets_with_the_framework_image():
    _, plan = reference("sagemaker", "prod")
    private = {r.urn for r in plan.resources if r.type == "aws:ec2/subnet:Subnet" and "private" in r.name}
    assert len(private) == 2
    models = [r for r in plan.resources if r.type == "aws:sagemaker/model:Model"]
    assert models
    for m in models:
        vpc = m.inputs["vpcConfig"]
        assert len(vpc["subnets"]) == 2 and len(vpc["securityGroupIds"]) == 1
        assert m.inputs["enableNetworkIsolation"] is True
        # sagemaker SDK 2.257.7 xgboost.json (us-east-1 → 683313688378, newest 3.0-5)
        assert m.inputs["primaryContainer"]["image"] == (
            "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.0-5"
        )
    mwaa = one(plan, "aws:mwaa/environment:Environment").inputs
    assert mwaa["webserverAccessMode"] == "PRIVATE_ONLY"
    assert len(mwaa["networkConfiguration"]["subnetIds"]) == 2
    assert mwaa["airflowVersion"] == "2.10.3" and mwaa["environmentClass"] == "mw1.small"


def test_roles_are_scoped_and_never_full_access():
    _, plan = reference("sagemaker", "prod")
    managed = ("serving", "tracking", "orchestrator", "workspace")
    attachments = [r.inputs.get("policyArn") for r in plan.resources
                   if r.type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment"]
    assert not [a for a in attachments if "SageMakerFullAccess" in str(a)]
    # no AWS managed policy at all on the managed roles: each gets an inline, scoped policy
    assert not [r for r in plan.resources
                if r.type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment" and r.component in managed]
    # each managed role carries exactly one inline policy (its content is tested in tests/unit/test_sagemaker_pure.py:
    # the bucket ARNs are unknown until apply here)
    roles = [r for r in plan.resources if r.type == "aws:iam/role:Role" and r.component in managed]
    inline = [r for r in plan.resources if r.type == "aws:iam/rolePolicy:RolePolicy" and r.component in managed]
    assert len(roles) == 4 and len(inline) == 4


def test_studio_only_where_the_spec_declares_it():
    _, dev = reference("sagemaker", "dev")
    _, prod = reference("sagemaker", "prod")
    assert not [r for r in dev.resources if r.type.startswith("aws:sagemaker/domain")]
    users = sorted(r.inputs["userProfileName"] for r in prod.resources
                   if r.type == "aws:sagemaker/userProfile:UserProfile")
    assert users == ["alice", "bob"]
    domain = one(prod, "aws:sagemaker/domain:Domain").inputs
    assert domain["authMode"] == "IAM" and domain["appNetworkAccessType"] == "VpcOnly"


def test_ownership_tags_on_the_managed_resources():
    _, plan = reference("sagemaker", "prod")
    assert any(r.type.startswith(("aws:sagemaker/", "aws:mwaa/")) for r in plan.resources)
    for r in plan.resources:
        if r.type.startswith(("aws:sagemaker/", "aws:mwaa/")):
            tags = r.inputs.get("tags") or {}
            assert tags.get("mlplat:platform") == "fraud" and tags.get("managed-by") == "mlplat", r.name
            assert tags.get("mlplat:component") in {"serving", "tracking", "orchestrator", "workspace"}


def test_teardown_keeps_captured_data_and_artifacts_in_prod_and_drops_endpoints():
    from mlplat.stacks.engine.decisions import keep_set, plan_nodes

    _, prod = reference("sagemaker", "prod")
    kept = keep_set(plan_nodes(prod))
    by_urn = {r.urn: r for r in prod.resources}
    kept_types = {by_urn[u].type for u in kept if u in by_urn}
    # the artifacts bucket holds MLflow artifacts and the data capture; it and its key stay
    assert "aws:s3/bucket:Bucket" in kept_types and "aws:kms/key:Key" in kept_types
    for gone in ("aws:sagemaker/endpoint:Endpoint", "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
                 "aws:mwaa/environment:Environment", "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer"):
        assert gone not in kept_types, gone
    _, dev = reference("sagemaker", "dev")
    assert not keep_set(plan_nodes(dev))  # dev protects nothing: everything goes
