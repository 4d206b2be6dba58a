from __future__ import annotations

from collections.abc import Iterable

from ..base import PlanContext, PlanRule, Violation
from ..helpers import BUCKET_TYPES, versioned

PROTECTED_PURPOSES = ("artifacts", "dvc")


class ArtifactBucketsVersioned(PlanRule):
    """Model artifacts and DVC data are the platform's memory: an overwrite or delete must be
    recoverable, so buckets whose purpose is `artifacts` or `dvc` keep object versions."""

    id = "MLP-STO-002"
    name = "Ensure artifact and DVC buckets are versioned"
    default_level = "advisory"  # the prod profile makes it mandatory
    remediation = "Set `versioning: true` on buckets with purpose artifacts or dvc."
    stack = True
    resource_types = BUCKET_TYPES
    spec_field = ("versioning",)

    def check(self, ctx: PlanContext) -> Iterable[Violation]:
        for b in ctx.plan.resources:
            purpose = b.tags.get("mlplat:purpose")
            if b.type in BUCKET_TYPES and purpose in PROTECTED_PURPOSES and not versioned(ctx.plan, b):
                yield Violation(
                    b.name,
                    f"{b.tags['mlplat:purpose']} bucket {b.inputs.get('bucket', b.name)} is not versioned",
                    resource_type=b.type,
                    urn=b.urn,
                    component=b.component,
                )
