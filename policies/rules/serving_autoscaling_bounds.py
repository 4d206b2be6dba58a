from __future__ import annotations

from collections.abc import Iterable

from ..base import SpecContext, SpecRule, Violation

MAX_REPLICAS = 50


class ServingAutoscalingBounds(SpecRule):
    """Model servers autoscale within sane bounds: at least one replica (no cold start on the first
    request), headroom above the minimum, and a ceiling that bounds the bill of a traffic spike."""

    id = "MLP-SRV-002"
    name = "Ensure model autoscaling bounds are sane"
    default_level = "advisory"  # the prod profile makes it mandatory
    remediation = f"Use replicas.min >= 1 and min < max <= {MAX_REPLICAS} (max == min == 1 is allowed)."

    def check(self, ctx: SpecContext) -> Iterable[Violation]:
        serving = ctx.spec.serving
        for i, m in enumerate(serving.models if serving else []):
            lo, hi = m.replicas.min, m.replicas.max
            path = ("serving", "models", i, "replicas")
            if lo < 1:
                yield Violation(
                    m.name, f"model {m.name} scales to zero (replicas.min {lo})", path, component="serving"
                )
            if hi > MAX_REPLICAS:
                yield Violation(
                    m.name,
                    f"model {m.name} may scale to {hi} replicas (ceiling {MAX_REPLICAS})",
                    path,
                    component="serving",
                )
            if hi <= lo and hi > 1:
                message = f"model {m.name} cannot autoscale (replicas.min {lo} = max {hi})"
                at: tuple[str | int, ...] = path
                if _raised_by_profile(ctx, path + ("min",)):
                    # The spec said e.g. min 1, max 2: the profile's floor made the pair equal, so
                    # name the floor and point at the number the user can change (replicas.max).
                    message += (
                        f": the {ctx.resolved.profile.name} profile sets replicas.min to {lo};"
                        f" set replicas.max above {lo}"
                    )
                    at = path + ("max",)
                yield Violation(m.name, message, at, component="serving")


def _raised_by_profile(ctx: SpecContext, path: tuple[str | int, ...]) -> bool:
    """True when the value at `path` is the profile's (its replica floor or model default), not a
    number written in the spec."""
    _, written_as = ctx.resolved.locate(path)
    return written_as == "min_replicas" or written_as.startswith("model_defaults.")
