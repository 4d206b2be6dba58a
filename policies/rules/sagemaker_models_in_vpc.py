from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource


class SagemakerModelsInVpc(PlanRule):
    """A SageMaker model runs in the platform's private subnets: without a VPC configuration its
    containers reach the internet, and the internet path to the data it reads, directly."""

    id = "MLP-SM-002"
    name = "Ensure SageMaker models run in the platform's private subnets"
    default_level = "mandatory"
    remediation = "mlplat's SageMaker serving sets vpcConfig to the private subnets; do not remove it."
    resource_types = ("aws:sagemaker/model:Model",)
    spec_anchor = ("serving",)

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        vpc = res.inputs.get("vpcConfig")
        if not isinstance(vpc, dict) or not vpc.get("subnets") or not vpc.get("securityGroupIds"):
            yield f"SageMaker model {res.name} has no VPC configuration (subnets and security groups)"
