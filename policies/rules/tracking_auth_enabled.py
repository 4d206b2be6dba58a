from __future__ import annotations

from collections.abc import Iterable

from ..base import SpecContext, SpecRule, Violation


class TrackingAuthEnabled(SpecRule):
    """The MLflow tracking server asks who is calling: anyone who can reach an open server can read
    every experiment and overwrite registered models."""

    id = "MLP-SEC-003"
    name = "Ensure the tracking server requires authentication"
    default_level = "mandatory"
    remediation = "Leave tracking.auth unset (basic auth with a generated password) or use kind: oidc."

    def check(self, ctx: SpecContext) -> Iterable[Violation]:
        tracking = ctx.spec.tracking
        if tracking is not None and tracking.auth is not None and tracking.auth.kind == "none":
            yield Violation(
                "tracking",
                "the tracking server has authentication disabled (auth.kind: none)",
                ("tracking", "auth", "kind"),
                component="tracking",
            )
