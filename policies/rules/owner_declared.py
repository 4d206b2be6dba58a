from __future__ import annotations

from collections.abc import Iterable

from ..base import SpecContext, SpecRule, Violation


class OwnerDeclared(SpecRule):
    """The platform names an owning team (`metadata.owner`): alerts, cost reports and waivers need
    someone to answer them."""

    id = "MLP-TAG-003"
    name = "Ensure the platform declares an owner"
    default_level = "advisory"  # staging and prod profiles make it mandatory
    remediation = "Set `metadata.owner` to the owning team's e-mail or handle."

    def check(self, ctx: SpecContext) -> Iterable[Violation]:
        if not (ctx.spec.metadata.owner or "").strip():
            yield Violation("metadata", "the platform has no owner", ("metadata",))
