from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule
from ..helpers import EKS_CLUSTER_TYPES, as_list, truthy

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource

WORLD = ("0.0.0.0/0", "::/0")


class ClusterPublicEndpointRestricted(PlanRule):
    """A public Kubernetes API endpoint answers only the networks the spec lists: EKS opens it to
    0.0.0.0/0 when no CIDRs are given, which leaves the control plane one leaked credential away
    from anyone on the internet."""

    id = "MLP-CLU-008"
    name = "Ensure a public cluster API endpoint is restricted to listed CIDRs"
    default_level = "advisory"  # staging and prod profiles make it mandatory
    remediation = (
        "List the networks that deploy (office, VPN, CI egress /32) in `cluster.public_access_cidrs`, "
        "or set `cluster.public_endpoint: false` and deploy from inside the VPC."
    )
    resource_types = EKS_CLUSTER_TYPES
    spec_anchor = ("cluster", "public_access_cidrs")
    checkov_equivalents = ("CKV_AWS_38",)

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        vpc = res.inputs.get("vpcConfig") or {}
        if not isinstance(vpc, dict):
            return
        # EKS defaults endpointPublicAccess to true and publicAccessCidrs to 0.0.0.0/0 when unset.
        public = vpc.get("endpointPublicAccess") is None or truthy(vpc.get("endpointPublicAccess"))
        if not public:
            return
        cidrs = [str(c) for c in as_list(vpc.get("publicAccessCidrs"))]
        name = res.inputs.get("name", res.name)
        if not cidrs:
            yield f"EKS cluster {name} has a public API endpoint open to 0.0.0.0/0 (no CIDRs listed)"
        elif any(c in WORLD for c in cidrs):
            yield f"EKS cluster {name} has a public API endpoint open to the internet ({', '.join(cidrs)})"
