from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule
from ..helpers import EKS_CLUSTER_TYPES, truthy

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource


class ClusterEndpointPrivate(PlanRule):
    """The Kubernetes API of production clusters is reachable only from inside the VPC (VPN, bastion
    or CI runners there); a public endpoint exposes the control plane to credential attacks."""

    id = "MLP-CLU-001"
    name = "Ensure the cluster API endpoint is private"
    default_level = "advisory"  # staging and prod profiles make it mandatory
    remediation = (
        "Set `cluster.public_endpoint: false` and deploy from inside the VPC or a network routed to it "
        "(`cluster.private_access_cidrs`); where a public endpoint is wanted on purpose, lower this "
        "rule in `policies.levels` and list `cluster.public_access_cidrs` (MLP-CLU-008)."
    )
    resource_types = EKS_CLUSTER_TYPES
    spec_anchor = ("cluster", "public_endpoint")
    checkov_equivalents = ("CKV_AWS_39",)

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        vpc = res.inputs.get("vpcConfig") or {}
        # EKS defaults endpointPublicAccess to true when unset.
        if (
            not isinstance(vpc, dict)
            or vpc.get("endpointPublicAccess") is None
            or truthy(vpc.get("endpointPublicAccess"))
        ):
            yield f"EKS cluster {res.inputs.get('name', res.name)} has a public API endpoint"
