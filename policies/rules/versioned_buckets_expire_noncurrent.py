from __future__ import annotations

from collections.abc import Iterable

from ..base import SpecContext, SpecRule, Violation


class VersionedBucketsExpireNoncurrent(SpecRule):
    """A versioned bucket without a noncurrent-version expiry grows forever (every overwrite is
    kept and billed): bound it with a lifecycle rule."""

    id = "MLP-STO-010"
    name = "Ensure versioned buckets expire noncurrent versions"
    default_level = "advisory"
    remediation = "Add `lifecycle: {expire_noncurrent_days: N}` to the versioned bucket."

    def check(self, ctx: SpecContext) -> Iterable[Violation]:
        storage = ctx.spec.storage
        for i, b in enumerate(storage.buckets if storage else []):
            if b.versioning and (b.lifecycle is None or b.lifecycle.expire_noncurrent_days is None):
                yield Violation(
                    ctx.resolved.physical_name(b.name),
                    f"bucket {b.name} is versioned but never expires noncurrent versions",
                    spec_path=("storage", "buckets", i),
                    component="storage",
                )
