from __future__ import annotations

from collections.abc import Iterable

from ..base import PlanContext, PlanRule, Violation
from ..helpers import BUCKET_TYPES, OWNERSHIP_TYPES, linked


class BucketOwnershipEnforced(PlanRule):
    """ACLs are disabled (object ownership `BucketOwnerEnforced`): access is decided by IAM and the
    bucket policy alone, never by per-object ACLs written by other accounts."""

    id = "MLP-STO-006"
    name = "Ensure bucket ACLs are disabled (BucketOwnerEnforced)"
    default_level = "mandatory"
    remediation = "mlplat sets BucketOwnerEnforced ownership controls on every bucket; do not remove them."
    stack = True
    resource_types = BUCKET_TYPES

    def check(self, ctx: PlanContext) -> Iterable[Violation]:
        for b in ctx.plan.resources:
            if b.type not in BUCKET_TYPES:
                continue
            ok = any(
                (c.inputs.get("rule") or {}).get("objectOwnership") == "BucketOwnerEnforced"
                for c in linked(ctx.plan, b, OWNERSHIP_TYPES)
            )
            if not ok:
                yield Violation(
                    b.name,
                    f"bucket {b.inputs.get('bucket', b.name)} does not enforce bucket-owner object ownership",
                    resource_type=b.type,
                    urn=b.urn,
                    component=b.component,
                )
