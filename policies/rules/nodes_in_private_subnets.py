from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule, Violation
from ..helpers import NODE_GROUP_TYPES, SUBNET_TYPES, truthy

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import Plan

IGW = "aws:ec2/internetGateway:InternetGateway"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"


def public_subnets(plan: Plan) -> set[str]:
    """URNs of subnets that are public: they auto-assign public IPs, carry the ELB role tag, or
    route through an internet gateway (followed through route table associations)."""
    igws = {r.urn for r in plan.of_type(IGW)}
    tables = {r.urn for r in plan.of_type(ROUTE_TABLE)}
    internet_tables = set()
    for route in plan.of_type(ROUTE):
        if igws & set(route.dependencies):
            internet_tables |= tables & set(route.dependencies)
    for rt in plan.of_type(ROUTE_TABLE):  # inline routes
        for r in rt.inputs.get("routes") or []:
            if isinstance(r, dict) and str(r.get("gatewayId", "")).startswith("igw-"):
                internet_tables.add(rt.urn)
    subnets = {r.urn: r for r in plan.of_type(*SUBNET_TYPES)}
    out = {u for u, s in subnets.items() if truthy(s.inputs.get("mapPublicIpOnLaunch"))}
    out |= {u for u, s in subnets.items() if "kubernetes.io/role/elb" in s.tags}
    for assoc in plan.of_type(ASSOCIATION):
        deps = set(assoc.dependencies)
        if deps & internet_tables:
            out |= deps & set(subnets)
    return out


class NodesInPrivateSubnets(PlanRule):
    """Worker nodes (and the pods on them) live in private subnets: no public IPs, egress through NAT,
    reachable only through load balancers in the public subnets."""

    id = "MLP-NET-001"
    name = "Ensure cluster nodes run in private subnets"
    default_level = "mandatory"
    remediation = "Place node groups in the network's private subnets (mlplat's cluster component does)."
    stack = True
    resource_types = NODE_GROUP_TYPES

    def check(self, ctx: PlanContext) -> Iterable[Violation]:
        public = public_subnets(ctx.plan)
        for ng in ctx.plan.of_type(*NODE_GROUP_TYPES):
            bad = sorted(r.name for r in ctx.plan.resources if r.urn in public and r.urn in ng.dependencies)
            if bad:
                yield Violation(
                    ng.name,
                    f"node group {ng.name} uses public subnets: {', '.join(bad)}",
                    resource_type=ng.type,
                    urn=ng.urn,
                    component=ng.component,
                )
