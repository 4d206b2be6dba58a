"""Storage under the offline engine (aws) and the Pulumi mock harness (kubernetes target)."""

from __future__ import annotations

import json

import pytest
from mlplat.modules.storage import Storage, StorageArgs
from mlplat.stacks import load_platform
from mlplat.stacks.plan.offline import run_offline
from mlplat.stacks.platform_spec.model import Bucket
from mlplat.stacks.platform_spec.model import Storage as StorageSpec

from tests.modules.infra_harness import assert_ownership_tags, make_context, run

SPEC = """\
apiVersion: mlplat.io/v1alpha1
kind: Platform
metadata: {{name: churn, labels: {{cost-center: ml-42}}}}
target: {{provider: aws, region: us-east-1}}
storage:
  encryption: {encryption}
  buckets:
    - {{name: artifacts, purpose: artifacts, versioning: true, lifecycle: {{expire_noncurrent_days: 90}}}}
    - {{name: datasets, purpose: dvc, versioning: true}}
    - {{name: features, purpose: feature-offline}}
environments:
  dev: {{profile: dev}}
  staging: {{profile: staging}}
  prod: {{profile: prod}}
"""
BUCKETS = ("artifacts", "datasets", "features")
SUBRESOURCE_TYPES = (
    "aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
)


def plan(write_spec, env="prod", encryption="kms"):
    return run_offline(load_platform(write_spec(SPEC.format(encryption=encryption)), env))


def sub(p, bucket, kind):
    r = p.named(f"storage-{bucket}-{kind}")
    assert r is not None, f"storage-{bucket}-{kind} missing"
    return r


# The offline plan's account (stacks/plan/offline.py: AWS's documentation example account).
OFFLINE_ACCOUNT = "123456789012"


def test_buckets_have_deterministic_names(write_spec):
    p = plan(write_spec)
    names = sorted(r.inputs["bucket"] for r in p.of_type("aws:s3/bucket:Bucket"))
    # S3 names are global: {platform}-{env}-{name}-{account id} (DESIGN 4)
    assert names == [f"churn-prod-{b}-{OFFLINE_ACCOUNT}" for b in sorted(BUCKETS)]


def test_bucket_names_follow_the_deploying_account(write_spec):
    """Not a constant: the account STS reports (here: the one the plan is made for) ends the name,
    and every reference to the bucket follows it; the ownership tags do not change."""
    resolved = load_platform(write_spec(SPEC.format(encryption="kms")), "prod")
    p = run_offline(resolved, account_id="210987654321")
    buckets = p.of_type("aws:s3/bucket:Bucket")
    assert sorted(r.inputs["bucket"] for r in buckets) == [f"churn-prod-{b}-210987654321" for b in sorted(BUCKETS)]
    assert all(r.inputs["bucket"] == "churn-prod-artifacts-210987654321"
               for r in p.of_type(*SUBRESOURCE_TYPES) if r.name.startswith("storage-artifacts-"))  # fmt: skip
    pol = json.loads(sub(p, "artifacts", "policy").inputs["policy"])
    assert pol["Statement"][0]["Resource"][0] == "arn:aws:s3:::churn-prod-artifacts-210987654321"
    tags = p.named("storage-artifacts").tags  # type: ignore[union-attr]
    assert tags["mlplat:resource"] == "storage-artifacts" and tags["mlplat:platform"] == "churn"


def test_platform_kms_key_and_sse_kms_with_it(write_spec):
    p = plan(write_spec)
    (key,) = p.of_type("aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == 30
    (alias,) = p.of_type("aws:kms/alias:Alias")
    assert alias.inputs["name"] == "alias/churn-prod"
    for b in BUCKETS:
        sse = sub(p, b, "sse")
        assert sse.inputs["bucket"] == f"churn-prod-{b}-{OFFLINE_ACCOUNT}"
        (rule,) = sse.inputs["rules"]
        default = rule["applyServerSideEncryptionByDefault"]
        assert default["sseAlgorithm"] == "aws:kms"
        assert default["kmsMasterKeyId"] == "<unknown>"  # the key's ARN, known after apply
        assert key.urn in sse.dependencies  # … of exactly the platform key
        assert rule["bucketKeyEnabled"] is True


def test_provider_encryption_uses_aes256_and_no_key(write_spec):
    p = plan(write_spec, encryption="provider")
    assert not p.of_type("aws:kms/key:Key")
    for b in BUCKETS:
        (rule,) = sub(p, b, "sse").inputs["rules"]
        assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}


def test_public_access_block_ownership_and_tls_policy_on_every_bucket(write_spec):
    p = plan(write_spec)
    assert len(p.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")) == len(BUCKETS)
    for b in BUCKETS:
        pab = sub(p, b, "public-access-block").inputs
        assert all(pab[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                            "restrictPublicBuckets"))  # fmt: skip
        assert sub(p, b, "ownership").inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
        pol = json.loads(sub(p, b, "policy").inputs["policy"])
        st = pol["Statement"][0]
        assert st["Effect"] == "Deny" and st["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        arn = f"arn:aws:s3:::churn-prod-{b}-{OFFLINE_ACCOUNT}"
        assert st["Resource"] == [arn, f"{arn}/*"]


def test_versioning_and_lifecycle_follow_spec(write_spec):
    p = plan(write_spec)
    assert sub(p, "artifacts", "versioning").inputs["versioningConfiguration"] == {"status": "Enabled"}
    assert sub(p, "features", "versioning").inputs["versioningConfiguration"] == {"status": "Suspended"}
    rules = {r["id"]: r for r in sub(p, "artifacts", "lifecycle").inputs["rules"]}
    assert rules["expire-noncurrent-versions"]["noncurrentVersionExpiration"] == {"noncurrentDays": 90}
    assert "abort-incomplete-multipart-uploads" in rules


@pytest.mark.parametrize("env,protect,force_destroy", [("dev", False, True), ("staging", False, False),
                                                        ("prod", True, False)])  # fmt: skip
def test_safety_per_profile(write_spec, env, protect, force_destroy):
    p = plan(write_spec, env=env)
    assert p.of_type("aws:s3/bucket:Bucket")
    for r in p.of_type("aws:s3/bucket:Bucket"):
        assert r.protect is protect
        assert r.inputs["forceDestroy"] is force_destroy
    (key,) = p.of_type("aws:kms/key:Key")
    assert key.protect is protect
    # configuration resources are never protected (they can be replaced safely)
    assert not any(r.protect for r in p.of_type("aws:s3/bucketPolicy:BucketPolicy"))


def test_ownership_tags(write_spec):
    p = plan(write_spec)
    n = assert_ownership_tags([r for r in p if r.component == "storage"], "storage")
    assert n == len(BUCKETS) + 1  # buckets + key
    assert p.named("storage-artifacts").tags["mlplat:purpose"] == "artifacts"  # type: ignore[union-attr]


def test_bucket_refs_known_offline():
    """BucketRef.arn is known before apply (policies downstream can be checked offline)."""
    ctx = make_context("prod", protect=True)
    seen: dict[str, object] = {}

    def program():
        s = Storage("storage", StorageArgs(ctx, StorageSpec(buckets=[Bucket(name="artifacts")])))
        s.buckets["artifacts"].arn.apply(lambda v: seen.setdefault("arn", v))  # type: ignore[union-attr]
        s.buckets["artifacts"].bucket.apply(lambda v: seen.setdefault("bucket", v))  # type: ignore[union-attr]

        seen["same_key"] = s.buckets["artifacts"].kms_key_arn is s.kms_key_arn is not None

    p = run(program)
    assert seen == {
        "arn": f"arn:aws:s3:::churn-prod-artifacts-{OFFLINE_ACCOUNT}",
        "bucket": f"churn-prod-artifacts-{OFFLINE_ACCOUNT}",
        "same_key": True,
    }
    key = p.one("aws:kms/key:Key")
    # the BucketRef carries the platform key (for IRSA kms:Decrypt grants); its value is unknown in preview
    assert key.inputs["enableKeyRotation"] is True


def test_kubernetes_target_hands_out_minio_bucket_refs():
    ctx = make_context("dev", provider="kubernetes", region=None)
    out: dict[str, object] = {}

    def program():
        s = Storage("storage", StorageArgs(ctx, StorageSpec(buckets=[Bucket(name="artifacts")])))
        out.update(s.buckets)

    p = run(program)
    assert not [r for r in p.records if r.type.startswith("aws:")]
    ref = out["artifacts"]
    assert ref.bucket == "churn-dev-artifacts"  # type: ignore[attr-defined]
    assert str(ref.endpoint).startswith("http://minio.")  # type: ignore[attr-defined]


def test_kubernetes_target_deploys_minio_with_the_buckets():
    import pulumi_kubernetes as k8s
    from mlplat.modules.common import ClusterRef

    ctx = make_context("dev", provider="kubernetes", region=None)
    out: dict[str, object] = {}

    def program():
        prov = k8s.Provider("cluster-k8s", context="lab")
        spec = StorageSpec(buckets=[Bucket(name="artifacts", versioning=True), Bucket(name="features")])
        out.update(Storage("storage", StorageArgs(ctx, spec, ClusterRef(provider=prov))).buckets)

    p = run(program)
    assert not [r for r in p.records if r.type.startswith("aws:")]
    comp = p.one("mlplat:index:Storage")
    minio_objs = [r for r in p.records if r.name.startswith("storage-minio")]
    assert minio_objs and all(r.parent == comp.urn for r in minio_objs)
    assert set(out) == {"artifacts", "features"}
    assert out["artifacts"].bucket == "churn-dev-artifacts"  # type: ignore[attr-defined]
