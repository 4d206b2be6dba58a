from __future__ import annotations

from collections.abc import Iterable

from ..base import SpecContext, SpecRule, Violation

MAX_CANARY_PERCENT = 25.0


class CanaryTrafficCapped(SpecRule):
    """A canary is a small, reversible experiment: past a quarter of the traffic an untested model
    version serves most users, which is a rollout, not a canary."""

    id = "MLP-SRV-001"
    name = f"Ensure canary traffic is capped at {MAX_CANARY_PERCENT:g}%"
    default_level = "advisory"  # the prod profile makes it mandatory
    remediation = (
        f"Keep canary.traffic_percent at or below {MAX_CANARY_PERCENT:g}; promote the model instead."
    )

    def check(self, ctx: SpecContext) -> Iterable[Violation]:
        serving = ctx.spec.serving
        for i, m in enumerate(serving.models if serving else []):
            if m.canary is not None and m.canary.traffic_percent > MAX_CANARY_PERCENT:
                yield Violation(
                    m.name,
                    f"model {m.name} sends {m.canary.traffic_percent:g}% of traffic to its canary "
                    f"(cap {MAX_CANARY_PERCENT:g}%)",
                    spec_path=("serving", "models", i, "canary", "traffic_percent"),
                    component="serving",
                )
