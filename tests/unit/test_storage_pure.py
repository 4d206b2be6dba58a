from mlplat.modules.common import Context
from mlplat.modules.storage import (
    bucket_arn,
    kms_alias_name,
    lifecycle_rules,
    tls_only_policy,
    versioning_status,
)
from mlplat.stacks.platform_spec.model import Bucket, Lifecycle


def test_bucket_arn_by_partition():
    assert bucket_arn("churn-dev-artifacts") == "arn:aws:s3:::churn-dev-artifacts"
    assert bucket_arn("b", "cn-north-1") == "arn:aws-cn:s3:::b"
    assert bucket_arn("b", "us-gov-west-1") == "arn:aws-us-gov:s3:::b"


def test_tls_only_policy_denies_insecure_transport():
    st = tls_only_policy("arn:aws:s3:::b")["Statement"][0]
    assert st["Effect"] == "Deny" and st["Principal"] == "*" and st["Action"] == "s3:*"
    assert st["Resource"] == ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]
    assert st["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_lifecycle_rules_from_spec():
    plain = lifecycle_rules(Bucket(name="b"))
    assert [r["id"] for r in plain] == ["abort-incomplete-multipart-uploads"]
    full = lifecycle_rules(
        Bucket(
            name="b", lifecycle=Lifecycle(expire_noncurrent_days=90, expire_days=365, transition_ia_days=30)
        )
    )
    by_id = {r["id"]: r for r in full}
    assert by_id["expire-noncurrent-versions"]["noncurrent_version_expiration"] == {"noncurrent_days": 90}
    assert by_id["expire-objects"]["expiration"] == {"days": 365}
    assert by_id["transition-to-standard-ia"]["transitions"] == [{"days": 30, "storage_class": "STANDARD_IA"}]
    assert all(r["status"] == "Enabled" and r["filter"] == {"prefix": ""} for r in full)


def test_versioning_status_and_alias():
    assert versioning_status(Bucket(name="b", versioning=True)) == "Enabled"
    assert versioning_status(Bucket(name="b")) == "Suspended"
    ctx = Context("churn", "prod", "aws", "us-east-1", {}, True, False, False, 30)
    assert kms_alias_name(ctx) == "alias/churn-prod"
    assert kms_alias_name(ctx, "eks") == "alias/churn-prod-eks"
