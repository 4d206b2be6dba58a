from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource

BUCKET = "aws:s3/bucket:Bucket"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BLOCKS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


class ManagedMlflowArtifactsPrivate(PlanRule):
    """SageMaker's managed MLflow answers only IAM-signed requests (AWS offers no public mode), so
    what can leak is its artifact store: it must be a platform bucket that blocks public access."""

    id = "MLP-SM-004"
    name = "Ensure the managed MLflow server keeps artifacts in a private platform bucket"
    default_level = "mandatory"
    remediation = "Point tracking.artifact_bucket at a bucket declared in storage (mlplat blocks public access on it)."
    resource_types = ("aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer",)
    spec_anchor = ("tracking",)

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        uri = res.inputs.get("artifactStoreUri")
        bucket = uri[len("s3://"):].split("/", 1)[0] if isinstance(uri, str) and uri.startswith("s3://") else None
        if bucket is None:
            yield f"MLflow server {res.name} has no s3:// artifact store of the platform"
            return
        buckets = {r.inputs.get("bucket"): r for r in ctx.plan.of_type(BUCKET)}
        if bucket not in buckets:
            yield f"MLflow server {res.name} stores artifacts in {bucket!r}, which is not a platform bucket"
            return
        blocked = any(
            all(b.inputs.get(k) is True for k in BLOCKS) for b in ctx.plan.of_type(PUBLIC_ACCESS_BLOCK)
            if buckets[bucket].urn in b.dependencies
        )
        if not blocked:
            yield f"MLflow server {res.name} stores artifacts in bucket {bucket!r}, which does not block public access"
