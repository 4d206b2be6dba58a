from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule, containers, iter_pod_specs, workload_kind

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource

LONG_RUNNING = ("Deployment", "StatefulSet", "DaemonSet")


class ContainersHaveProbes(PlanRule):
    """Long-running containers declare readiness (no traffic before the model is loaded) and
    liveness (a hung server is restarted) probes. Jobs are exempt."""

    id = "MLP-WRK-003"
    name = "Ensure long-running containers have readiness and liveness probes"
    default_level = "mandatory"
    remediation = "Add readinessProbe and livenessProbe to every container of Deployments and StatefulSets."
    checkov_equivalents = ("CKV_K8S_8", "CKV_K8S_9")

    def applies(self, res: PlanResource) -> bool:
        return workload_kind(res) in LONG_RUNNING

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        for _, pod in iter_pod_specs(res):
            for c in containers(pod, init=False):
                missing = [p for p in ("readinessProbe", "livenessProbe") if not c.get(p)]
                if missing:
                    yield f"container {c.get('name', '?')} in {res.name} has no {' or '.join(missing)}"
