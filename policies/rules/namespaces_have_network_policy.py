from __future__ import annotations

from collections.abc import Iterable

from ..base import PlanContext, PlanRule, Violation, workload_kind
from ..helpers import k8s_kind, namespace_of


class NamespacesHaveNetworkPolicy(PlanRule):
    """Every namespace that runs mlplat workloads has a NetworkPolicy (default deny plus the flows
    the component needs), so a compromised pod cannot reach everything in the cluster."""

    id = "MLP-WRK-007"
    name = "Ensure every workload namespace has a NetworkPolicy"
    default_level = "mandatory"
    remediation = "Create a default-deny NetworkPolicy and explicit allow rules in each component namespace."
    stack = True
    checkov_equivalents = ("CKV2_K8S_6",)

    def applies(self, res: object) -> bool:  # type: ignore[override]
        return False  # graph rule: check() walks the plan

    def check(self, ctx: PlanContext) -> Iterable[Violation]:
        plan = ctx.plan
        covered = {namespace_of(plan, r) for r in plan.resources if k8s_kind(r) == "NetworkPolicy"}
        reported: set[str] = set()
        for r in plan.resources:
            if workload_kind(r) is None:
                continue
            ns = namespace_of(plan, r)
            if ns not in covered and ns not in reported:
                reported.add(ns)
                yield Violation(
                    r.name,
                    f"namespace {ns} runs workloads ({r.name}) but has no NetworkPolicy",
                    resource_type=r.type,
                    urn=r.urn,
                    component=r.component,
                )
