from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule, containers, iter_pod_specs, workload_kind
from ..helpers import is_set

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource


class ContainersHaveResourceLimits(PlanRule):
    """Every container requests CPU and memory (the scheduler and the autoscaler need them) and is
    capped in memory (a leak must not take the node and its neighbours down). CPU limits are not
    required: they throttle latency-sensitive model servers for no safety gain."""

    id = "MLP-WRK-001"
    name = "Ensure containers set CPU/memory requests and a memory limit"
    default_level = "mandatory"
    remediation = "Set resources.requests.cpu, resources.requests.memory and resources.limits.memory."
    checkov_equivalents = ("CKV_K8S_10", "CKV_K8S_12", "CKV_K8S_13")

    def applies(self, res: PlanResource) -> bool:
        return workload_kind(res) is not None

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        for _, pod in iter_pod_specs(res):
            for c in containers(pod):
                r = c.get("resources") or {}
                req, lim = r.get("requests") or {}, r.get("limits") or {}
                missing = [
                    k
                    for k, v in (
                        ("requests.cpu", req.get("cpu")),
                        ("requests.memory", req.get("memory")),
                        ("limits.memory", lim.get("memory")),
                    )
                    if not is_set(v)
                ]
                if missing:
                    yield f"container {c.get('name', '?')} in {res.name} has no {', '.join(missing)}"
