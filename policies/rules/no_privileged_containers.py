from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule, containers, iter_pod_specs, workload_kind

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource


class NoPrivilegedContainers(PlanRule):
    """Containers are not privileged and drop all Linux capabilities (GPUs are exposed through the
    device plugin, which needs neither)."""

    id = "MLP-WRK-006"
    name = "Ensure containers are unprivileged and drop all capabilities"
    default_level = "mandatory"
    remediation = (
        "Set securityContext.privileged: false and capabilities.drop: [ALL]; add back only what is needed."
    )
    checkov_equivalents = ("CKV_K8S_16", "CKV_K8S_37", "CKV_K8S_28", "CKV_K8S_39")

    def applies(self, res: PlanResource) -> bool:
        return workload_kind(res) is not None

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        for _, pod in iter_pod_specs(res):
            for c in containers(pod):
                sc = c.get("securityContext") or {}
                caps = sc.get("capabilities") or {}
                name = c.get("name", "?")
                if sc.get("privileged") is True:
                    yield f"container {name} in {res.name} is privileged"
                if "ALL" not in (caps.get("drop") or []):
                    yield f"container {name} in {res.name} does not drop all capabilities"
                added = [
                    a for a in caps.get("add") or [] if a in ("ALL", "SYS_ADMIN", "NET_ADMIN", "NET_RAW")
                ]
                if added:
                    yield f"container {name} in {res.name} adds capabilities {', '.join(added)}"
