from __future__ import annotations

from collections.abc import Iterable

from ..base import PlanContext, PlanRule, Violation
from ..helpers import BUCKET_TYPES, versioned


class BucketVersioned(PlanRule):
    """Every bucket keeps object versions (recovery from overwrites and deletes). Advisory: caches
    and regenerable data may reasonably skip it; artifact and DVC buckets are covered by MLP-STO-002."""

    id = "MLP-STO-003"
    name = "Ensure buckets are versioned"
    default_level = "advisory"
    remediation = "Set `versioning: true` on the bucket (add lifecycle.expire_noncurrent_days to bound cost)."
    stack = True
    resource_types = BUCKET_TYPES
    spec_field = ("versioning",)
    checkov_equivalents = ("CKV_AWS_21",)

    def check(self, ctx: PlanContext) -> Iterable[Violation]:
        for b in ctx.plan.resources:
            if b.type in BUCKET_TYPES and not versioned(ctx.plan, b):
                yield Violation(
                    b.name,
                    f"bucket {b.inputs.get('bucket', b.name)} is not versioned",
                    resource_type=b.type,
                    urn=b.urn,
                    component=b.component,
                )
