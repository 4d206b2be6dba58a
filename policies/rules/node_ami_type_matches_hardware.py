from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from mlplat.stacks.platform_spec.catalog import instance_type, is_arm

from ..base import PlanContext, PlanRule
from ..helpers import NODE_GROUP_TYPES, as_list

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource

SUPPORTED_PREFIXES = ("AL2023_", "BOTTLEROCKET_")  # AL2 AMIs are end-of-life for EKS


class NodeAmiTypeMatchesHardware(PlanRule):
    """Node groups use a supported AMI family (AL2023 or Bottlerocket) that matches the hardware:
    NVIDIA AMIs (drivers) for GPU instances, Neuron AMIs for Inferentia/Trainium, ARM AMIs for Graviton."""

    id = "MLP-CLU-005"
    name = "Ensure node AMI types are supported and match the instance hardware"
    default_level = "mandatory"
    remediation = (
        "Let mlplat derive ami_type from the instance type (AL2023 x86/ARM, NVIDIA variants for GPUs,"
        " Neuron for Inferentia/Trainium)."
    )
    resource_types = NODE_GROUP_TYPES
    spec_field = ("instance_type",)

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        ami = str(res.inputs.get("amiType") or "")
        if not ami:
            yield f"node group {res.name} leaves the AMI type to the EKS default (AL2, end-of-life)"
            return
        if not ami.startswith(SUPPORTED_PREFIXES):
            yield f"node group {res.name} uses AMI type {ami}; use AL2023 or Bottlerocket"
            return
        for name in as_list(res.inputs.get("instanceTypes")):
            it = instance_type(str(name))
            if it is None:
                continue
            if it.gpus and it.gpu_type != "V520" and "NVIDIA" not in ami:
                yield f"node group {res.name}: GPU instance {name} needs an NVIDIA AMI type, got {ami}"
            if (it.accelerator_type or "").startswith(("inferentia", "trainium")) and "NEURON" not in ami:
                yield f"node group {res.name}: {it.accelerator_type} instance {name} needs a Neuron AMI type, got {ami}"
            if is_arm(str(name)) != ("ARM" in ami):
                yield f"node group {res.name}: AMI type {ami} does not match the {name} architecture"
