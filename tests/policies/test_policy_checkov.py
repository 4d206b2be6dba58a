"""The checkov bridge: plan → manifests / Terraform plan JSON, in-process scans, mapping back, skips."""

from __future__ import annotations

import subprocess
import sys

import pytest
from mlplat.policies.checkov_bridge import k8s_manifests, scan_plan, snake, terraform_plan, tf_type, tf_values
from mlplat.policies.checkov_skips import SKIPS, runner_skips, skipped
from mlplat.stacks.plan.model import UNKNOWN

from .builders import bucket, container, deployment, kms_key, network_policy, plan, res


@pytest.mark.parametrize(
    "pulumi_type, terraform",
    [
        ("aws:s3/bucket:Bucket", "aws_s3_bucket"),
        ("aws:s3/bucketV2:BucketV2", "aws_s3_bucket"),
        ("aws:s3/bucketVersioningV2:BucketVersioningV2", "aws_s3_bucket_versioning"),
        (
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "aws_s3_bucket_server_side_encryption_configuration",
        ),
        ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "aws_s3_bucket_public_access_block"),
        ("aws:ec2/subnet:Subnet", "aws_subnet"),
        ("aws:ec2/vpc:Vpc", "aws_vpc"),
        ("aws:ec2/flowLog:FlowLog", "aws_flow_log"),
        ("aws:eks/nodeGroup:NodeGroup", "aws_eks_node_group"),
        ("aws:eks/cluster:Cluster", "aws_eks_cluster"),
        ("aws:rds/instance:Instance", "aws_db_instance"),
        ("aws:rds/subnetGroup:SubnetGroup", "aws_db_subnet_group"),
        ("aws:elasticache/replicationGroup:ReplicationGroup", "aws_elasticache_replication_group"),
        ("aws:iam/rolePolicy:RolePolicy", "aws_iam_role_policy"),
        ("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "aws_iam_openid_connect_provider"),
        ("aws:kms/key:Key", "aws_kms_key"),
        ("aws:cloudwatch/logGroup:LogGroup", "aws_cloudwatch_log_group"),
        ("kubernetes:apps/v1:Deployment", None),
    ],
)
def test_type_mapping(pulumi_type: str, terraform: str | None) -> None:
    assert tf_type(pulumi_type) == terraform


def test_attribute_names_and_blocks() -> None:
    assert snake("kmsMasterKeyId") == "kms_master_key_id"
    assert snake("enableDnsHostnames") == "enable_dns_hostnames"
    vals = tf_values(
        "aws_s3_bucket_server_side_encryption_configuration",
        {
            "bucket": "b",
            "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}],
            "tags": {"mlplat:platform": "demo"},
        },
    )
    assert vals["rule"] == [{"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms"}}]
    assert vals["tags"] == {"mlplat:platform": "demo"}  # map keys are data: untouched
    ng = tf_values(
        "aws_eks_node_group", {"taints": [{"key": "k", "effect": "NO_SCHEDULE"}], "diskSize": 100.0}
    )
    assert ng["taint"] == [{"key": "k", "effect": "NO_SCHEDULE"}] and ng["disk_size"] == 100


def test_terraform_plan_shape_and_references() -> None:
    p = plan(kms_key(), bucket("art", "artifacts", kms=None))
    doc, addresses = terraform_plan(p)
    assert doc["terraform_version"]
    planned = doc["planned_values"]["root_module"]["resources"]
    assert all(r["mode"] == "managed" for r in planned)
    assert set(addresses.values()) == {r.urn for r in p.resources}
    conf = {r["address"]: r["expressions"] for r in doc["configuration"]["root_module"]["resources"]}
    # every bucket configuration resource references the bucket, so checkov's S3 checks link
    assert conf["aws_s3_bucket_versioning.storage_art_versioning"]["bucket"]["references"] == [
        "aws_s3_bucket.storage_art.id",
        "aws_s3_bucket.storage_art",
    ]
    assert "bucket" in conf["aws_s3_bucket_public_access_block.storage_art_public_access_block"]


def test_k8s_manifests_are_complete_objects() -> None:
    dep = deployment()
    dep.inputs["metadata"].pop("name")
    (_, m), *_ = k8s_manifests(plan(dep))
    assert (m["apiVersion"], m["kind"]) == ("apps/v1", "Deployment")
    assert m["metadata"]["name"] == dep.name  # auto-named objects use the logical name
    assert m["spec"]["replicas"] == 2 and isinstance(m["spec"]["replicas"], int)  # floats from the engine
    helm = res("kubernetes:helm.sh/v3:Release", "chart", {"chart": "x"})
    assert [x for x, _ in k8s_manifests(plan(helm))] == []  # third-party charts are not objects


# --------------------------------------------------------------------------- scanning (checkov runs)


@pytest.fixture(scope="module")
def insecure_scan():
    bad = container(
        securityContext={"runAsNonRoot": False, "allowPrivilegeEscalation": True, "privileged": True},
        livenessProbe=None,
        image="nginx",
    )
    p = plan(
        kms_key(),
        bucket("art", "artifacts"),
        bucket("scratch", versioning="Suspended", sse="AES256", pab="absent"),
        deployment("good"),
        deployment("bad", [bad], pod={"securityContext": {}, "hostNetwork": True}),
        network_policy(),
    )
    return p, scan_plan(p)


def _failed(scan, resource: str) -> set[str]:
    return {f.check_id for f in scan.failures if f.resource == resource}


def test_scan_maps_kubernetes_failures_back_to_the_plan_resource(insecure_scan) -> None:
    p, scan = insecure_scan
    bad = _failed(scan, "tracking-bad-deployment")
    assert {"CKV_K8S_16", "CKV_K8S_20", "CKV_K8S_8", "CKV_K8S_14", "CKV_K8S_19"} <= bad
    assert _failed(scan, "tracking-good-deployment") == set()  # first-party hardening passes every check
    dep = next(f for f in scan.failures if f.resource == "tracking-bad-deployment")
    assert dep.urn == p.named("tracking-bad-deployment").urn and dep.framework == "kubernetes"


def test_scan_links_bucket_configuration_resources(insecure_scan) -> None:
    _, scan = insecure_scan
    # versioning, KMS encryption and the public access block live in separate resources:
    # the configuration references make checkov see them on the secure bucket …
    assert _failed(scan, "storage-art") & {"CKV_AWS_21", "CKV_AWS_145", "CKV2_AWS_6"} == set()
    # … and miss them on the insecure one.
    assert {"CKV_AWS_21", "CKV_AWS_145", "CKV2_AWS_6"} <= _failed(scan, "storage-scratch")


def test_documented_skips_never_surface(insecure_scan) -> None:
    _, scan = insecure_scan
    assert not [f for f in scan.failures if skipped(f.check_id, f.resource)]
    assert set(runner_skips()) <= set(scan.skipped)
    assert SKIPS
    for check, skip in SKIPS.items():
        assert len(skip.reason) > 40, check  # every skip says why


def test_resource_scoped_skip_only_covers_its_resources() -> None:
    s = SKIPS["CKV_AWS_355"]
    assert s.covers("cluster-autoscaler-irsa-policy") and not s.covers("tracking-irsa-policy")
    assert "CKV_AWS_355" not in runner_skips()


def test_validate_and_policy_import_do_not_import_checkov(tmp_path) -> None:
    code = (
        "import sys\n"
        "import mlplat.policies\n"
        "from click.testing import CliRunner\n"
        "from mlplat.cli.main import cli\n"
        "r = CliRunner().invoke(cli, ['validate', 'examples/platform.yaml'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.startswith('checkov')}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=str(__import__("pathlib").Path(__file__).resolve().parents[2]),
    )
    assert out.stdout.strip() == "[]"


def test_unknown_values_become_references_not_strings() -> None:
    p = plan(kms_key(), bucket("art", "artifacts"))
    sse = next(r for r in p.resources if r.name.endswith("-sse"))
    sse.inputs["bucket"] = UNKNOWN  # a bucket named only after apply
    doc, _ = terraform_plan(p)
    planned = {r["address"]: r for r in doc["planned_values"]["root_module"]["resources"]}
    values = planned["aws_s3_bucket_server_side_encryption_configuration.storage_art_sse"]["values"]
    assert "bucket" not in values  # as in a real plan, the unknown is absent …
    conf = {r["address"]: r["expressions"] for r in doc["configuration"]["root_module"]["resources"]}
    assert conf["aws_s3_bucket_server_side_encryption_configuration.storage_art_sse"][
        "bucket"
    ]  # … and referenced
