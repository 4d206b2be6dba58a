from __future__ import annotations

from collections.abc import Iterable

from ..base import PlanContext, PlanRule, Violation
from ..helpers import BUCKET_TYPES, SSE_TYPES, is_set, linked


class BucketEncryptedWithPlatformKey(PlanRule):
    """Object storage is encrypted at rest with the platform's customer-managed KMS key
    (aws:kms), not only with provider-managed keys, so access to data is also governed by the key policy."""

    id = "MLP-STO-001"
    name = "Ensure buckets are encrypted with the platform KMS key"
    default_level = "advisory"  # staging and prod profiles make it mandatory
    remediation = "Set `storage.encryption: kms` so every bucket uses the platform key (rotation on)."
    stack = True
    resource_types = BUCKET_TYPES
    spec_anchor = ("storage", "encryption")
    checkov_equivalents = ("CKV_AWS_145",)

    def check(self, ctx: PlanContext) -> Iterable[Violation]:
        for b in ctx.plan.resources:
            if b.type not in BUCKET_TYPES:
                continue
            rules = [
                r
                for sse in linked(ctx.plan, b, SSE_TYPES)
                for r in (sse.inputs.get("rules") or [])
                if isinstance(r, dict)
            ]
            default = [r.get("applyServerSideEncryptionByDefault") or {} for r in rules]
            ok = any(
                str(d.get("sseAlgorithm", "")).startswith("aws:kms") and is_set(d.get("kmsMasterKeyId"))
                for d in default
            )
            if not ok:
                how = default[0].get("sseAlgorithm", "none") if default else "no encryption configuration"
                yield Violation(
                    b.name,
                    f"bucket {b.inputs.get('bucket', b.name)} is not encrypted with the platform KMS key ({how})",
                    resource_type=b.type,
                    urn=b.urn,
                    component=b.component,
                )
