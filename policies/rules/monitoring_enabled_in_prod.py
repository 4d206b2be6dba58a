from __future__ import annotations

from collections.abc import Iterable

from ..base import SpecContext, SpecRule, Violation
from ..helpers import is_prod_spec

WORKLOAD_SECTIONS = ("tracking", "orchestrator", "feature_store", "serving")


class MonitoringEnabledInProd(SpecRule):
    """A production platform that runs workloads also runs monitoring (metrics, dashboards, drift):
    a model nobody watches degrades silently."""

    id = "MLP-MON-001"
    name = "Ensure production platforms with workloads are monitored"
    default_level = "mandatory"
    remediation = "Add a `monitoring:` section (Prometheus, Grafana, drift reports)."

    def check(self, ctx: SpecContext) -> Iterable[Violation]:
        if not is_prod_spec(ctx) or ctx.spec.monitoring is not None:
            return
        from mlplat.stacks.platform_spec.semantic import managed

        # Managed AWS services (SageMaker, MWAA) report to CloudWatch on their own; the in-cluster
        # stack (Prometheus, Grafana, drift reports) watches what runs on the cluster.
        running = [s for s in WORKLOAD_SECTIONS if getattr(ctx.spec, s) is not None and not managed(ctx.spec, s)]
        if running:
            yield Violation(
                "monitoring",
                f"production runs {', '.join(running)} without monitoring",
                ("metadata",),
                component="monitoring",
            )
