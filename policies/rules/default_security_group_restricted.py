from __future__ import annotations

from collections.abc import Iterable

from ..base import PlanContext, PlanRule, Violation
from ..helpers import VPC_TYPES

DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"


class DefaultSecurityGroupRestricted(PlanRule):
    """Each VPC's default security group is adopted and emptied (no ingress, no egress), so nothing
    that falls back to it is reachable."""

    id = "MLP-NET-004"
    name = "Ensure the default security group of every VPC restricts all traffic"
    default_level = "mandatory"
    remediation = "Manage the VPC's DefaultSecurityGroup with no rules (mlplat's network component does)."
    stack = True
    resource_types = VPC_TYPES
    checkov_equivalents = ("CKV2_AWS_12",)

    def check(self, ctx: PlanContext) -> Iterable[Violation]:
        sgs = ctx.plan.of_type(DEFAULT_SG)
        for vpc in ctx.plan.of_type(*VPC_TYPES):
            mine = [s for s in sgs if vpc.urn in s.dependencies]
            if not mine:
                yield Violation(
                    vpc.name,
                    f"VPC {vpc.name}: the default security group is not managed (keeps its default rules)",
                    vpc.type,
                    vpc.urn,
                    vpc.component,
                )
            elif any(s.inputs.get("ingress") or s.inputs.get("egress") for s in mine):
                yield Violation(
                    vpc.name,
                    f"VPC {vpc.name}: the default security group has rules",
                    vpc.type,
                    vpc.urn,
                    vpc.component,
                )
