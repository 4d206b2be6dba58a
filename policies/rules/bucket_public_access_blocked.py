from __future__ import annotations

from collections.abc import Iterable

from ..base import PlanContext, PlanRule, Violation
from ..helpers import BUCKET_TYPES, PAB_TYPES, linked

FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


class BucketPublicAccessBlocked(PlanRule):
    """Every bucket has a public access block with all four settings on: nothing in the platform
    is meant to be public, and the block stops a later ACL or policy change from making it so."""

    id = "MLP-STO-004"
    name = "Ensure buckets block all public access"
    default_level = "mandatory"
    remediation = "mlplat creates the public access block for every bucket; do not remove or relax it."
    stack = True
    resource_types = BUCKET_TYPES
    checkov_equivalents = ("CKV2_AWS_6", "CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56")

    def check(self, ctx: PlanContext) -> Iterable[Violation]:
        for b in ctx.plan.resources:
            if b.type not in BUCKET_TYPES:
                continue
            blocks = linked(ctx.plan, b, PAB_TYPES)
            if not blocks:
                missing = "no public access block"
            else:
                off = [f for f in FLAGS if not any(p.inputs.get(f) is True for p in blocks)]
                if not off:
                    continue
                missing = "public access block does not set " + ", ".join(off)
            yield Violation(
                b.name,
                f"bucket {b.inputs.get('bucket', b.name)}: {missing}",
                resource_type=b.type,
                urn=b.urn,
                component=b.component,
            )
