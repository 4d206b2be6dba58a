from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule
from ..helpers import NODE_GROUP_TYPES, as_list, gpu_node_group

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource

GPU_TAINT = "nvidia.com/gpu"


class GpuPoolsTainted(PlanRule):
    """GPU nodes carry a `nvidia.com/gpu:NoSchedule` taint, so only pods that ask for GPUs (and
    tolerate it) land there: CPU workloads must not occupy the most expensive nodes."""

    id = "MLP-CLU-004"
    name = "Ensure GPU node pools are tainted for GPU workloads only"
    default_level = "mandatory"
    remediation = "Taint GPU pools with nvidia.com/gpu=true:NoSchedule (mlplat adds it to NVIDIA pools)."
    resource_types = NODE_GROUP_TYPES
    spec_field = ("taints",)

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        if not gpu_node_group(res):
            return
        taints = [t for t in as_list(res.inputs.get("taints")) if isinstance(t, dict)]
        if not any(
            t.get("key") == GPU_TAINT and t.get("effect") in ("NO_SCHEDULE", "NoSchedule") for t in taints
        ):
            yield f"GPU node group {res.name} has no {GPU_TAINT} NoSchedule taint"
