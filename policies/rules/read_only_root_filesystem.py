from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule, containers, iter_pod_specs, workload_kind

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource


class ReadOnlyRootFilesystem(PlanRule):
    """Containers mount their root filesystem read-only (writable emptyDir volumes where needed),
    so an attacker cannot drop tools into the image. Advisory: some upstream images write to /."""

    id = "MLP-WRK-008"
    name = "Ensure containers use a read-only root filesystem"
    default_level = "advisory"
    remediation = (
        "Set securityContext.readOnlyRootFilesystem: true and mount emptyDir volumes for scratch space."
    )
    checkov_equivalents = ("CKV_K8S_22",)

    def applies(self, res: PlanResource) -> bool:
        return workload_kind(res) is not None

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        for _, pod in iter_pod_specs(res):
            for c in containers(pod):
                if (c.get("securityContext") or {}).get("readOnlyRootFilesystem") is not True:
                    yield f"container {c.get('name', '?')} in {res.name} has a writable root filesystem"
