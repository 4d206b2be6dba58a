from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule
from ..helpers import SUBNET_TYPES, truthy

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource


class SubnetsDoNotAssignPublicIps(PlanRule):
    """No subnet hands out public IPs automatically: only NAT gateways and load balancers face the internet."""

    id = "MLP-NET-003"
    name = "Ensure subnets do not assign public IPs on launch"
    default_level = "mandatory"
    remediation = "Set map_public_ip_on_launch=False on every subnet (mlplat's network component does)."
    resource_types = SUBNET_TYPES
    checkov_equivalents = ("CKV_AWS_130",)

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        if truthy(res.inputs.get("mapPublicIpOnLaunch")):
            yield f"subnet {res.name} assigns public IPs on launch"
