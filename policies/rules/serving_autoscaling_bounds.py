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
                yield Violation(
                    m.name,
                    f"model {m.name} cannot autoscale (replicas.min {lo} = max {hi})",
                    path,
                    component="serving",
                )
