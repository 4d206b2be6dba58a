from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource

SERVICE = "kubernetes:core/v1:Service"
INTERNAL = {
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
    "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
    "networking.gke.io/load-balancer-type": "Internal",
    "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
}


class ServicesNotPubliclyExposed(PlanRule):
    """Services are reached through the ingress controller or an internal load balancer, never a
    NodePort or an internet-facing load balancer of their own."""

    id = "MLP-WRK-010"
    name = "Ensure services are not exposed through NodePorts or public load balancers"
    default_level = "mandatory"
    remediation = "Use ClusterIP services behind the ingress, or annotate load balancers as internal."
    resource_types = (SERVICE,)

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        spec = res.inputs.get("spec") or {}
        kind = spec.get("type", "ClusterIP") if isinstance(spec, dict) else "ClusterIP"
        if kind == "NodePort":
            yield f"service {res.name} is a NodePort"
        elif kind == "LoadBalancer":
            meta = res.inputs.get("metadata") or {}
            ann = meta.get("annotations") or {} if isinstance(meta, dict) else {}
            if not any(str(ann.get(k, "")).lower() == v.lower() for k, v in INTERNAL.items()):
                yield f"service {res.name} is an internet-facing load balancer"
