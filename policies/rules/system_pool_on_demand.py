from __future__ import annotations

from collections.abc import Iterable

from ..base import PlanContext, PlanRule, Violation
from ..helpers import NODE_GROUP_TYPES, gpu_node_group, number


class SystemPoolOnDemand(PlanRule):
    """At least one untainted, non-GPU, on-demand node pool with a minimum of one node runs the
    cluster add-ons (DNS, autoscaler, controllers): spot reclaims must not take the cluster down."""

    id = "MLP-CLU-007"
    name = "Ensure an on-demand system node pool is always running"
    default_level = "advisory"
    remediation = "Add a CPU node pool with capacity: on-demand and min_size >= 1."
    stack = True
    resource_types = NODE_GROUP_TYPES
    spec_anchor = ("cluster", "node_pools")

    def check(self, ctx: PlanContext) -> Iterable[Violation]:
        groups = ctx.plan.of_type(*NODE_GROUP_TYPES)
        if not groups:
            return
        for ng in groups:
            scaling = ng.inputs.get("scalingConfig") or {}
            lo = number(scaling.get("minSize")) if isinstance(scaling, dict) else None
            if (
                not gpu_node_group(ng)
                and ng.inputs.get("capacityType", "ON_DEMAND") == "ON_DEMAND"
                and not ng.inputs.get("taints")
                and (lo or 0) >= 1
            ):
                return
        first = groups[0]
        yield Violation(
            first.name,
            "no on-demand, untainted CPU node pool with min_size >= 1 for cluster add-ons",
            resource_type=first.type,
            urn=first.urn,
            component=first.component,
        )
