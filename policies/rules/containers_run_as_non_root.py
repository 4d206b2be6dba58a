from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule, containers, iter_pod_specs, workload_kind
from ..helpers import number

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource


class ContainersRunAsNonRoot(PlanRule):
    """Containers run as a non-root user and cannot gain privileges (no setuid escalation)."""

    id = "MLP-WRK-002"
    name = "Ensure containers run as non-root without privilege escalation"
    default_level = "mandatory"
    remediation = (
        "Set securityContext.runAsNonRoot: true (pod or container) and allowPrivilegeEscalation: false."
    )
    checkov_equivalents = ("CKV_K8S_23", "CKV_K8S_20")

    def applies(self, res: PlanResource) -> bool:
        return workload_kind(res) is not None

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        for _, pod in iter_pod_specs(res):
            psc = pod.get("securityContext") or {}
            for c in containers(pod):
                sc = c.get("securityContext") or {}
                non_root = sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is True
                uid = number(sc.get("runAsUser", psc.get("runAsUser")))
                name = c.get("name", "?")
                if not non_root or uid == 0:
                    yield f"container {name} in {res.name} may run as root"
                if sc.get("allowPrivilegeEscalation") is not False:
                    yield f"container {name} in {res.name} allows privilege escalation"
