from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..base import PlanContext, PlanRule
from ..helpers import as_list

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource

SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
WORLD = ("0.0.0.0/0", "::/0")


def _open(rule: dict[str, Any]) -> bool:
    cidrs = as_list(rule.get("cidrBlocks")) + as_list(rule.get("ipv6CidrBlocks"))
    cidrs += as_list(rule.get("cidrIpv4")) + as_list(rule.get("cidrIpv6"))
    return any(c in WORLD for c in cidrs)


class NoUnrestrictedIngress(PlanRule):
    """No security group admits traffic from the whole internet (0.0.0.0/0 or ::/0)."""

    id = "MLP-NET-005"
    name = "Ensure no security group allows ingress from the internet"
    default_level = "mandatory"
    remediation = "Restrict ingress to the VPC CIDR or to specific security groups."
    resource_types = (SG, SG_RULE, INGRESS_RULE)
    checkov_equivalents = ("CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260")

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        if res.type == SG:
            rules = [r for r in as_list(res.inputs.get("ingress")) if isinstance(r, dict)]
        elif res.type == SG_RULE:
            rules = [res.inputs] if res.inputs.get("type") == "ingress" else []
        else:
            rules = [res.inputs]
        if any(_open(r) for r in rules):
            yield f"{res.name} allows ingress from the internet"
