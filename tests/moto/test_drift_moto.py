"""Drift and orphans against moto: an environment built from the plan is in sync; every
out-of-band change is reported exactly once with expected and actual values.

Each case runs with moto in-process and with its server on 127.0.0.1 (AWS_ENDPOINT_URL), so
the code path an operator's emulator would take is exercised too.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from mlplat.stacks.drift.detect import detect_drift
from mlplat.stacks.drift.live_aws import find_tagged
from mlplat.stacks.drift.model import DriftReport

from .conftest import ENV, REGION, SPEC, resolved_and_plan
from .materialize import materialize, teardown


# moto's default account, which the shared offline plan is made for here (resolved_and_plan);
# test_drift_account.py runs under another account. S3 names end in the account (DESIGN 4).
ARTIFACTS = "acme-dev-artifacts-123456789012"
DATA = "acme-dev-data-123456789012"


def run_drift(resolved: Any = None) -> DriftReport:
    r, plan = resolved_and_plan()
    return detect_drift(resolved or r, plan=plan, state_path=False)


def summary(report: DriftReport) -> list[tuple[Any, ...]]:
    return [(f.kind, f.resource, f.attribute, f.expected, f.actual) for f in report.findings]


@pytest.fixture
def live(aws: str) -> Any:
    """The environment, created from the plan in a clean emulated account."""
    _, plan = resolved_and_plan()
    return materialize(plan, REGION)


# --------------------------------------------------------------------------- in sync


def test_environment_built_from_the_plan_is_in_sync(live: Any) -> None:
    report = run_drift()
    assert summary(report) == []
    assert report.in_sync and report.exit_code == 0
    # Coverage: buckets, keys, clusters, node groups, databases, caches and the tagged VPC
    # plumbing, roles and log groups are checked; untaggable glue (routes, attachments) and
    # Kubernetes objects (no --kube-context here) are honestly not.
    assert 40 < report.coverage_percent < 100
    for checked in ("aws:s3/bucket:Bucket", "aws:rds/instance:Instance", "aws:ec2/vpc:Vpc", "aws:iam/role:Role",
                    "aws:elasticache/replicationGroup:ReplicationGroup"):  # fmt: skip
        assert checked not in report.unchecked_types
    for unchecked in ("aws:ec2/route:Route", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                      "kubernetes:apps/v1:Deployment"):  # fmt: skip
        assert unchecked in report.unchecked_types
    assert report.checked == report.planned - sum(report.unchecked_types.values())


# --------------------------------------------------------------------------- injected changes


def suspend_versioning() -> None:
    boto3.client("s3", region_name=REGION).put_bucket_versioning(
        Bucket=ARTIFACTS, VersioningConfiguration={"Status": "Suspended"}
    )


def rescale_node_group() -> None:
    boto3.client("eks", region_name=REGION).update_nodegroup_config(
        clusterName="acme-dev-cluster", nodegroupName="acme-dev-system",
        scalingConfig={"minSize": 3, "maxSize": 6, "desiredSize": 3},
    )  # fmt: skip


def change_rds_class() -> None:
    boto3.client("rds", region_name=REGION).modify_db_instance(
        DBInstanceIdentifier="acme-dev-tracking-db", DBInstanceClass="db.r6g.large", ApplyImmediately=True
    )


def remove_bucket_tag() -> None:
    s3 = boto3.client("s3", region_name=REGION)
    tags = s3.get_bucket_tagging(Bucket=DATA)["TagSet"]
    s3.put_bucket_tagging(Bucket=DATA, Tagging={"TagSet": [t for t in tags if t["Key"] != "mlplat:component"]})


def remove_bucket_encryption() -> None:
    boto3.client("s3", region_name=REGION).delete_bucket_encryption(Bucket=DATA)


def disable_key_rotation() -> None:
    kms = boto3.client("kms", region_name=REGION)
    key = kms.describe_key(KeyId="alias/acme-dev")["KeyMetadata"]["KeyId"]
    kms.disable_key_rotation(KeyId=key)


def remove_rds_tag() -> None:
    rds = boto3.client("rds", region_name=REGION)
    arn = rds.describe_db_instances(DBInstanceIdentifier="acme-dev-tracking-db")["DBInstances"][0]["DBInstanceArn"]
    rds.remove_tags_from_resource(ResourceName=arn, TagKeys=["cost-center"])


def remove_redis_tag() -> None:
    ec = boto3.client("elasticache", region_name=REGION)
    arn = ec.describe_replication_groups(ReplicationGroupId=REDIS)["ReplicationGroups"][0]["ARN"]
    ec.remove_tags_from_resource(ResourceName=arn, TagKeys=["mlplat:resource"])


def resize_redis_nodes() -> None:
    # moto has no ModifyReplicationGroup: change the emulator's record directly, as a console
    # "modify" would (in-process moto only, which is where the single-change cases run).
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.elasticache.models import elasticache_backends

    elasticache_backends[DEFAULT_ACCOUNT_ID][REGION].replication_groups[REDIS].cache_node_type = "cache.r7g.large"


REDIS = "acme-dev-feature-store-redis"
EKS_LOGS = "/aws/eks/acme-dev-cluster/cluster"


def shorten_log_retention() -> None:
    boto3.client("logs", region_name=REGION).put_retention_policy(logGroupName=EKS_LOGS, retentionInDays=7)


def _vpc_id() -> str:
    ec2 = boto3.client("ec2", region_name=REGION)
    return str(ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["acme-dev-vpc"]}])["Vpcs"][0]["VpcId"])


def untag_vpc_resource_tag() -> None:
    # The one tag that names the planned resource: drift still pairs the VPC with its plan entry.
    boto3.client("ec2", region_name=REGION).delete_tags(Resources=[_vpc_id()], Tags=[{"Key": "mlplat:resource"}])

CHANGES: dict[str, tuple[Callable[[], None], tuple[str, str, Any, Any]]] = {
    "versioning suspended": (suspend_versioning, (ARTIFACTS, "versioning", "Enabled", "Suspended")),
    "node group rescaled": (
        rescale_node_group,
        ("acme-dev-system", "scaling", {"min_size": 2, "max_size": 4}, {"min_size": 3, "max_size": 6}),
    ),
    "rds class changed": (change_rds_class, ("acme-dev-tracking-db", "instance_class", "db.t4g.medium", "db.r6g.large")),
    "bucket tag removed": (remove_bucket_tag, (DATA, "tags.mlplat:component", "storage", None)),
    "rds tag removed": (remove_rds_tag, ("acme-dev-tracking-db", "tags.cost-center", "ml-1", None)),
    "key rotation disabled": (disable_key_rotation, ("acme-dev", "rotation", True, False)),
    "redis tag removed": (remove_redis_tag, (REDIS, "tags.mlplat:resource", "feature-store-redis", None)),
    "redis node type": (resize_redis_nodes, (REDIS, "node_type", "cache.t4g.small", "cache.r7g.large")),
    "log retention shortened": (shorten_log_retention, (EKS_LOGS, "retention_days", 30, 7)),
    "vpc resource tag removed": (untag_vpc_resource_tag, ("acme-dev-vpc", "tags.mlplat:resource", "network-vpc", None)),
}


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_each_out_of_band_change_is_reported_exactly_once(aws_inprocess: str, name: str) -> None:
    _, plan = resolved_and_plan()
    materialize(plan, REGION)
    inject, (resource, attribute, expected, actual) = CHANGES[name]
    inject()
    report = run_drift()
    assert summary(report) == [("changed", resource, attribute, expected, actual)]
    assert not report.in_sync and report.exit_code == 1


def test_encryption_removed_is_reported_once_against_the_platform_key(aws_inprocess: str) -> None:
    _, plan = resolved_and_plan()
    made = materialize(plan, REGION)
    remove_bucket_encryption()
    report = run_drift()
    [f] = report.findings
    key_urn = next(r.urn for r in plan.of_type("aws:kms/key:Key") if r.name == "storage-kms")
    # The plan only knows the key ARN as <unknown>: drift expects the platform key found live.
    assert (f.kind, f.resource, f.attribute) == ("changed", DATA, "encryption")
    assert f.expected == {"algorithm": "aws:kms", "kms_key": made.key_arn[key_urn], "bucket_key": True}
    assert f.actual is None


def test_all_changes_at_once_each_reported_once_and_nothing_else(live: Any) -> None:
    """Both moto modes: five changes → exactly five findings, untouched resources stay quiet."""
    for name in ("versioning suspended", "node group rescaled", "rds class changed", "bucket tag removed"):
        CHANGES[name][0]()
    remove_bucket_encryption()
    report = run_drift()
    got = {(f.resource, f.attribute): (f.expected, f.actual) for f in report.findings}
    assert len(report.findings) == 5 == len(got)
    for name in ("versioning suspended", "node group rescaled", "rds class changed", "bucket tag removed"):
        resource, attribute, expected, actual = CHANGES[name][1]
        assert got[(resource, attribute)] == (expected, actual)
    assert got[(DATA, "encryption")][1] is None
    assert {f.kind for f in report.findings} == {"changed"}


def test_deleted_bucket_is_missing_once(live: Any) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.delete_bucket(Bucket=DATA)
    report = run_drift()
    assert [(f.kind, f.resource, f.type) for f in report.findings] == [("missing", DATA, "aws:s3/bucket:Bucket")]


def test_deleted_node_group_is_missing_once(aws_inprocess: str) -> None:
    _, plan = resolved_and_plan()
    materialize(plan, REGION)
    boto3.client("eks", region_name=REGION).delete_nodegroup(clusterName="acme-dev-cluster", nodegroupName="acme-dev-gpu")
    report = run_drift()
    assert [(f.kind, f.resource) for f in report.findings] == [("missing", "acme-dev-gpu")]


def test_deleted_nat_gateway_and_role_are_missing(aws_inprocess: str) -> None:
    _, plan = resolved_and_plan()
    materialize(plan, REGION)
    ec2 = boto3.client("ec2", region_name=REGION)
    [nat] = ec2.describe_nat_gateways()["NatGateways"]
    ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])
    boto3.client("iam", region_name=REGION).delete_role(RoleName="acme-dev-tracking-sa-irsa")
    report = run_drift()
    assert [(f.kind, f.resource, f.type) for f in report.findings] == [
        ("missing", "acme-dev-nat-a", "aws:ec2/natGateway:NatGateway"),
        ("missing", "acme-dev-tracking-sa-irsa", "aws:iam/role:Role"),
    ]


def test_second_vpc_claiming_the_same_name_is_unmanaged(aws_inprocess: str) -> None:
    _, plan = resolved_and_plan()
    materialize(plan, REGION)
    ec2 = boto3.client("ec2", region_name=REGION)
    original = _vpc_id()
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [original]}])["Tags"]
    # A copy with different CIDR but every tag: the original (whose tags agree) stays the planned one.
    ec2.create_vpc(CidrBlock="10.99.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": t["Key"], "Value": t["Value"]} for t in tags]}])  # fmt: skip
    report = run_drift()
    assert [(f.kind, f.type, f.logical_name) for f in report.findings] == [("unmanaged", "ec2:vpc", "network-vpc")]
    assert report.findings[0].resource != original


def test_tagged_look_alike_bucket_is_unmanaged(live: Any) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    tags = s3.get_bucket_tagging(Bucket=ARTIFACTS)["TagSet"]  # a copy, tags and all
    s3.create_bucket(Bucket="acme-dev-artifacts-copy", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_tagging(Bucket="acme-dev-artifacts-copy", Tagging={"TagSet": tags})
    report = run_drift()
    assert [(f.kind, f.resource, f.type) for f in report.findings] == [
        ("unmanaged", "acme-dev-artifacts-copy", "s3:bucket")
    ]
    assert report.findings[0].logical_name == "storage-artifacts"


def test_other_environments_resources_are_not_unmanaged(aws_inprocess: str) -> None:
    _, plan = resolved_and_plan()
    materialize(plan, REGION)
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="acme-prod-artifacts", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_tagging(Bucket="acme-prod-artifacts", Tagging={"TagSet": [
        {"Key": "mlplat:platform", "Value": "acme"}, {"Key": "mlplat:environment", "Value": "prod"}]})  # fmt: skip
    assert summary(run_drift()) == []


def test_key_found_by_tags_when_its_alias_is_gone(aws_inprocess: str) -> None:
    _, plan = resolved_and_plan()
    materialize(plan, REGION)
    boto3.client("kms", region_name=REGION).delete_alias(AliasName="alias/acme-dev")
    report = run_drift()
    assert summary(report) == [("changed", "acme-dev", "alias:alias/acme-dev", "points to this key", None)]


# --------------------------------------------------------------------------- waivers


def _with_waiver(tmp_path: Path, policy: str, resource: str, expires: dt.date) -> Any:
    from mlplat.stacks import load_platform

    text = SPEC.read_text(encoding="utf-8") + (
        "policies:\n  waivers:\n"
        f"    - {{policy: {policy}, resource: '{resource}', reason: autoscaler experiment, owner: ml-team,"
        f" expires: '{expires.isoformat()}'}}\n"
    )
    path = tmp_path / "platform.yaml"
    path.write_text(text, encoding="utf-8")
    return load_platform(path, ENV)


def test_waiver_acknowledges_drift_until_it_expires(aws_inprocess: str, tmp_path: Path) -> None:
    _, plan = resolved_and_plan()
    materialize(plan, REGION)
    rescale_node_group()
    future = _with_waiver(tmp_path, "DRIFT-NODEGROUP", "acme-dev-sys*", dt.date.today() + dt.timedelta(days=30))
    report = run_drift(future)
    [f] = report.findings
    assert f.acknowledged and f.waiver is not None and f.waiver["owner"] == "ml-team"
    assert report.in_sync and report.exit_code == 0
    assert report.to_dict()["findings"][0]["acknowledged"] is True

    past = _with_waiver(tmp_path, "DRIFT", "acme-dev-*", dt.date.today() - dt.timedelta(days=1))
    report = run_drift(past)
    [f] = report.findings
    assert not f.acknowledged and f.waiver is not None and f.waiver["expired"] is True
    assert not report.in_sync and any("expired" in n for n in report.notes)


def test_waiver_for_another_kind_does_not_apply(aws_inprocess: str, tmp_path: Path) -> None:
    _, plan = resolved_and_plan()
    materialize(plan, REGION)
    rescale_node_group()
    other = _with_waiver(tmp_path, "DRIFT-RDS", "acme-dev-*", dt.date.today() + dt.timedelta(days=30))
    assert not run_drift(other).in_sync


# --------------------------------------------------------------------------- orphans


def test_orphans_lists_tagged_resources_then_nothing_after_teardown(live: Any) -> None:
    _, plan = resolved_and_plan()
    found = {(r.service, r.resource_type, r.identifier) for r in find_tagged("acme", ENV, REGION)}
    # EKS, RDS and KMS come from describe calls (moto's tagging API does not list them).
    assert ("s3", "bucket", ARTIFACTS) in found
    assert ("eks", "cluster", "acme-dev-cluster") in found
    assert ("eks", "nodegroup", "acme-dev-cluster/acme-dev-system") in found
    assert ("rds", "db", "acme-dev-tracking-db") in found
    assert ("elasticache", "replicationgroup", REDIS) in found
    assert sum(1 for s, t, _ in found if (s, t) == ("kms", "key")) == len(plan.of_type("aws:kms/key:Key"))
    assert not any(t.identifier.startswith("acme-prod") for t in find_tagged("acme", ENV, REGION))

    teardown(plan, REGION)
    # KMS keys are only scheduled for deletion, as on AWS: not orphans.
    assert find_tagged("acme", ENV, REGION) == []
    # Still visible on request: keys waiting out their window, and (moto keeps them forever) the
    # Redis group in status "deleting".
    kept = find_tagged("acme", ENV, REGION, include_retained=True)
    assert {(r.resource_type, r.status) for r in kept} == {("key", "PendingDeletion"), ("replicationgroup", "deleting")}


# --------------------------------------------------------------------------- the commands


def test_cli_drift_json_and_exit_codes(live: Any) -> None:
    from click.testing import CliRunner
    from mlplat.cli.main import cli

    runner = CliRunner()
    res = runner.invoke(cli, ["drift", str(SPEC), "--env", ENV, "--format", "json", "--no-state"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["in_sync"] is True and data["findings"] == []
    assert isinstance(data["coverage_percent"], float)

    change_rds_class()
    res = runner.invoke(cli, ["drift", str(SPEC), "--env", ENV, "--format", "json", "--no-state"])
    assert res.exit_code == 1, res.output
    data = json.loads(res.stdout)
    assert data["in_sync"] is False
    assert [{k: f[k] for k in ("kind", "resource", "attribute", "expected", "actual")} for f in data["findings"]] == [
        {"kind": "changed", "resource": "acme-dev-tracking-db", "attribute": "instance_class",
         "expected": "db.t4g.medium", "actual": "db.r6g.large"}
    ]  # fmt: skip

    res = runner.invoke(cli, ["drift", str(SPEC), "--env", ENV, "--no-state"])
    assert res.exit_code == 1
    assert "db.r6g.large" in res.stdout and "coverage:" in res.stdout


def test_cli_orphans_exit_codes(live: Any) -> None:
    from click.testing import CliRunner
    from mlplat.cli.main import cli

    runner = CliRunner()
    res = runner.invoke(cli, ["orphans", str(SPEC), "--env", ENV])
    assert res.exit_code == 1 and ARTIFACTS in res.stdout
    _, plan = resolved_and_plan()
    teardown(plan, REGION)
    res = runner.invoke(cli, ["orphans", str(SPEC), "--env", ENV])
    assert res.exit_code == 0 and res.stdout == ""
