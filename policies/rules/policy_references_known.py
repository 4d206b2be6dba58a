from __future__ import annotations

from collections.abc import Iterable

from ..base import SpecContext, SpecRule, Violation, known_policy


def _glob(s: str) -> bool:
    return any(c in s for c in "*?[")


class PolicyReferencesKnown(SpecRule):
    """Waivers and level overrides name existing policies: a typo would silently waive nothing or
    leave a level unchanged."""

    id = "MLP-GOV-002"
    name = "Ensure waivers and level overrides name known policies"
    default_level = "mandatory"
    remediation = "Use a policy id from `mlplat policy --list` (MLP-…) or a checkov check id (CKV_…)."

    def check(self, ctx: SpecContext) -> Iterable[Violation]:
        pol = ctx.spec.policies
        if pol is None:
            return
        for key in pol.levels:
            if not _glob(key) and not known_policy(key):
                yield Violation(
                    key, f"policies.levels names unknown policy {key!r}", ("policies", "levels", key)
                )
        for i, w in enumerate(pol.waivers):
            if not _glob(w.policy) and not known_policy(w.policy):
                yield Violation(
                    w.resource,
                    f"waiver names unknown policy {w.policy!r}",
                    ("policies", "waivers", i, "policy"),
                )
