from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule, containers, iter_pod_specs, workload_kind

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource

ALLOWED = ("RuntimeDefault", "Localhost")


class SeccompProfileSet(PlanRule):
    """Pods run under the runtime's default seccomp profile, which blocks rarely needed, risky syscalls."""

    id = "MLP-WRK-009"
    name = "Ensure pods use the RuntimeDefault seccomp profile"
    default_level = "advisory"
    remediation = "Set securityContext.seccompProfile.type: RuntimeDefault on the pod."
    checkov_equivalents = ("CKV_K8S_31",)

    def applies(self, res: PlanResource) -> bool:
        return workload_kind(res) is not None

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        for _, pod in iter_pod_specs(res):
            pod_profile = ((pod.get("securityContext") or {}).get("seccompProfile") or {}).get("type")
            for c in containers(pod):
                prof = ((c.get("securityContext") or {}).get("seccompProfile") or {}).get("type", pod_profile)
                if prof not in ALLOWED:
                    yield f"container {c.get('name', '?')} in {res.name} has no seccomp profile"
