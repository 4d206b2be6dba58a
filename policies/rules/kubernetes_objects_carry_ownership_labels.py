from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule
from ..helpers import OWNERSHIP_LABELS

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource

# Pulumi-side Kubernetes resources that are not API objects (no metadata of their own).
NOT_OBJECTS = ("kubernetes:helm.sh/", "kubernetes:yaml", "kubernetes:kustomize", "pulumi:providers:")


class KubernetesObjectsCarryOwnershipLabels(PlanRule):
    """Every Kubernetes object mlplat creates carries the ownership labels (DESIGN 4)."""

    id = "MLP-TAG-002"
    name = "Ensure Kubernetes objects carry the mlplat ownership labels"
    default_level = "mandatory"
    remediation = "Put ctx.k8s_labels(component) in every object's metadata.labels."

    def applies(self, res: PlanResource) -> bool:
        return super().applies(res) and res.is_kubernetes and not res.type.startswith(NOT_OBJECTS)

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        labels = res.labels
        missing = [k for k in OWNERSHIP_LABELS if k not in labels]
        if missing:
            yield f"{res.name} lacks ownership labels: {', '.join(missing)}"
        elif labels.get("app.kubernetes.io/managed-by") != "mlplat":
            yield f"{res.name} is labelled managed-by {labels.get('app.kubernetes.io/managed-by')!r}"
