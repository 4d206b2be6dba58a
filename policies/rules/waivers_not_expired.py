from __future__ import annotations

from collections.abc import Iterable

from ..base import SpecContext, SpecRule, Violation


class WaiversNotExpired(SpecRule):
    """A waiver is a dated exception: once it expires it stops suppressing and is itself a mandatory
    finding, until it is renewed (with a reason) or removed."""

    id = "MLP-GOV-001"
    name = "Ensure policy waivers have not expired"
    default_level = "mandatory"
    locked = True  # levels cannot turn waiver hygiene off
    remediation = "Fix the waived finding and delete the waiver, or renew it with a new `expires` and reason."

    def check(self, ctx: SpecContext) -> Iterable[Violation]:
        pol = ctx.spec.policies
        for i, w in enumerate(pol.waivers if pol else []):
            if w.expires < ctx.today:
                yield Violation(
                    w.resource,
                    f"waiver for {w.policy} on {w.resource!r} (owner {w.owner}) expired on {w.expires.isoformat()}",
                    ("policies", "waivers", i, "expires"),
                )
