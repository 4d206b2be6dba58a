from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule, iter_pod_specs, workload_kind

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource


class NoHostNamespaces(PlanRule):
    """Pods do not share the node's network, PID or IPC namespace, nor mount its filesystem."""

    id = "MLP-WRK-005"
    name = "Ensure pods do not use host networking, PID, IPC or hostPath volumes"
    default_level = "mandatory"
    remediation = "Remove hostNetwork, hostPID, hostIPC and hostPath volumes from the pod spec."
    checkov_equivalents = ("CKV_K8S_19", "CKV_K8S_17", "CKV_K8S_18")

    def applies(self, res: PlanResource) -> bool:
        return workload_kind(res) is not None

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        for _, pod in iter_pod_specs(res):
            used = [k for k in ("hostNetwork", "hostPID", "hostIPC") if pod.get(k) is True]
            used += [
                f"hostPath volume {v.get('name', '?')}"
                for v in pod.get("volumes") or []
                if isinstance(v, dict) and v.get("hostPath")
            ]
            if used:
                yield f"{res.name} uses {', '.join(used)}"
