"""Storage: the platform's object storage.

aws: a platform KMS key (rotation on) with alias `alias/{platform}-{env}`, and per bucket an
`aws.s3.Bucket` named `{platform}-{env}-{name}-{account_id}` (bucket names are global across
accounts; the deploying account's ID keeps them deterministic and ours) plus its separate
configuration resources:
versioning, SSE (aws:kms with the platform key, or AES256), public access block, ownership
controls (BucketOwnerEnforced), a TLS-only bucket policy and a lifecycle configuration.

kubernetes targets: buckets live in MinIO, deployed as first-party Kubernetes objects by
`mlplat.modules.k8s.minio` (written with the Kubernetes component).

Pure functions first (tested without Pulumi), then the component.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
from mlplat.stacks.platform_spec.model import Bucket as BucketSpec
from mlplat.stacks.platform_spec.model import Storage as StorageSpec

from .aws_kms import platform_key
from .common import BucketRef, ClusterRef, Context

COMPONENT = "storage"
ABORT_MULTIPART_DAYS = 7
MINIO_NAMESPACE = "mlplat-storage"
MINIO_PORT = 9000

# --------------------------------------------------------------------------- pure


def aws_partition(region: str | None) -> str:
    if region and region.startswith("cn-"):
        return "aws-cn"
    if region and region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def bucket_arn(bucket_name: str, region: str | None = None) -> str:
    """S3 ARNs follow from the bucket name alone (no account, no region)."""
    return f"arn:{aws_partition(region)}:s3:::{bucket_name}"


def deploying_account(ctx: Context) -> str:
    """The account the provider deploys into (STS GetCallerIdentity), once per run, kept on `ctx`.

    A data source: read in preview too, so bucket names are known before anything is created.
    The offline engine answers it with a fixed example account (stacks/plan/offline.py)."""
    if ctx.account_id is None:
        ctx.account_id = str(aws.get_caller_identity().account_id)
    return ctx.account_id


def kms_alias_name(ctx: Context, suffix: str | None = None) -> str:
    """`alias/{platform}-{env}` (the platform key) or `alias/{platform}-{env}-{suffix}`."""
    base = f"{ctx.platform}-{ctx.env}"
    return f"alias/{base}-{suffix}" if suffix else f"alias/{base}"


def versioning_status(bucket: BucketSpec) -> str:
    return "Enabled" if bucket.versioning else "Suspended"


def tls_only_policy(arn: str) -> dict[str, Any]:
    """Deny every request to the bucket and its objects that does not use TLS."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [arn, f"{arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def lifecycle_rules(bucket: BucketSpec) -> list[aws.s3.BucketLifecycleConfigurationRuleArgsDict]:
    """Lifecycle rules from the spec; every bucket also aborts incomplete multipart uploads."""
    everything: aws.s3.BucketLifecycleConfigurationRuleFilterArgsDict = {"prefix": ""}
    rules: list[aws.s3.BucketLifecycleConfigurationRuleArgsDict] = [
        {
            "id": "abort-incomplete-multipart-uploads",
            "status": "Enabled",
            "filter": everything,
            "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_MULTIPART_DAYS},
        }
    ]
    lc = bucket.lifecycle
    if lc is None:
        return rules
    if lc.expire_noncurrent_days is not None:
        rules.append(
            {
                "id": "expire-noncurrent-versions",
                "status": "Enabled",
                "filter": everything,
                "noncurrent_version_expiration": {"noncurrent_days": lc.expire_noncurrent_days},
            }
        )
    if lc.expire_days is not None:
        rules.append(
            {
                "id": "expire-objects",
                "status": "Enabled",
                "filter": everything,
                "expiration": {"days": lc.expire_days},
            }
        )
    if lc.transition_ia_days is not None:
        rules.append(
            {
                "id": "transition-to-standard-ia",
                "status": "Enabled",
                "filter": everything,
                "transitions": [{"days": lc.transition_ia_days, "storage_class": "STANDARD_IA"}],
            }
        )
    return rules


def minio_endpoint(namespace: str = MINIO_NAMESPACE, service: str = "minio", port: int = MINIO_PORT) -> str:
    return f"http://{service}.{namespace}.svc.cluster.local:{port}"


# --------------------------------------------------------------------------- component


@dataclass
class StorageArgs:
    ctx: Context
    spec: StorageSpec
    k8s: ClusterRef | None = None  # kubernetes targets: the cluster MinIO runs on


class Storage(pulumi.ComponentResource):
    """mlplat:index:Storage — buckets (S3 on aws, MinIO on kubernetes targets)."""

    buckets: dict[str, BucketRef]
    kms_key_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: StorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplat:index:Storage", name, None, opts)
        self.buckets = {}
        self.kms_key_arn = None
        self.kms_key: aws.kms.Key | None = None
        if args.ctx.aws:
            self._aws(name, args)
        else:
            self._kubernetes(name, args)
        self.register_outputs(
            {
                "buckets": {k: b.bucket for k, b in self.buckets.items()},
                "kms_key_arn": self.kms_key_arn,
            }
        )

    # ------------------------------------------------------------------ aws

    def _aws(self, name: str, args: StorageArgs) -> None:
        ctx, spec = args.ctx, args.spec
        deploying_account(ctx)
        if spec.encryption == "kms":
            self.kms_key = platform_key(
                ctx, COMPONENT, name,
                description=f"mlplat platform key for {ctx.platform}-{ctx.env} object storage",
                alias=kms_alias_name(ctx), parent=self,
            )
            self.kms_key_arn = self.kms_key.arn

        for b in spec.buckets:
            self.buckets[b.name] = self._bucket(name, ctx, b)
            if b.ci is not None:  # a DVC remote CI reaches through GitHub OIDC
                from .dvc import ci_role

                ci_role(ctx, f"{name}-{b.name}-ci", b.ci.github, self.buckets[b.name], self)

    def _bucket(self, name: str, ctx: Context, b: BucketSpec) -> BucketRef:
        logical = f"{name}-{b.name}"
        physical = ctx.bucket_name(b.name)
        child = pulumi.ResourceOptions(parent=self)

        bucket = aws.s3.Bucket(
            logical,
            bucket=physical,
            force_destroy=ctx.force_destroy_buckets,
            tags={**ctx.tags(COMPONENT, logical), "mlplat:purpose": b.purpose},
            opts=ctx.stateful(child),
        )
        # Sub-resources reference the bucket by its name output: known in preview, and a dependency.
        ref_name = bucket.bucket

        aws.s3.BucketOwnershipControls(
            f"{logical}-ownership",
            bucket=ref_name,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        pab = aws.s3.BucketPublicAccessBlock(
            f"{logical}-public-access-block",
            bucket=ref_name,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketVersioning(
            f"{logical}-versioning",
            bucket=ref_name,
            versioning_configuration={"status": versioning_status(b)},
            opts=child,
        )
        if self.kms_key is not None:
            sse: aws.s3.BucketServerSideEncryptionConfigurationRuleArgsDict = {
                "apply_server_side_encryption_by_default": {
                    "sse_algorithm": "aws:kms",
                    "kms_master_key_id": self.kms_key.arn,
                },
                "bucket_key_enabled": True,
            }
        else:
            sse = {"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{logical}-sse", bucket=ref_name, rules=[sse], opts=child
        )
        # The ARN follows from the name output (no account, no region in S3 ARNs): known in
        # preview, and everything that grants access to it depends on the bucket.
        region = ctx.region
        arn = ref_name.apply(lambda n: bucket_arn(n, region))
        aws.s3.BucketPolicy(
            f"{logical}-policy",
            bucket=ref_name,
            policy=arn.apply(lambda a: json.dumps(tls_only_policy(a))),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[pab]),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{logical}-lifecycle",
            bucket=ref_name,
            rules=lifecycle_rules(b),
            opts=child,
        )
        return BucketRef(name=b.name, bucket=ref_name, arn=arn, kms_key_arn=self.kms_key_arn)

    # ------------------------------------------------------------------ kubernetes

    def _kubernetes(self, name: str, args: StorageArgs) -> None:
        ctx, spec = args.ctx, args.spec
        minio = _minio_factory()
        if minio is not None and args.k8s is not None:
            # MinIO as first-party Kubernetes objects: mlplat.modules.k8s.minio(ctx, name, buckets,
            # cluster, parent) -> dict[str, BucketRef] (endpoint and root credentials included).
            self.buckets = minio(ctx, f"{name}-minio", spec.buckets, args.k8s, self)
            return
        # Without a cluster (or the Kubernetes helpers) nothing is deployed; Storage still hands out
        # references to the buckets MinIO would serve, so downstream components wire up.
        endpoint = minio_endpoint()
        for b in spec.buckets:
            physical = ctx.bucket_name(b.name)
            self.buckets[b.name] = BucketRef(
                name=b.name, bucket=physical, arn=bucket_arn(physical), endpoint=endpoint
            )


def _minio_factory() -> Any:
    # Imported late: aws-only platforms never load the in-cluster data services.
    from mlplat.modules.data_services import minio

    return minio


__all__ = [
    "Storage", "StorageArgs", "aws_partition", "bucket_arn", "deploying_account", "kms_alias_name", "lifecycle_rules",
    "minio_endpoint", "tls_only_policy", "versioning_status",
]  # fmt: skip
