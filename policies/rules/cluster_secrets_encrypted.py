from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule
from ..helpers import EKS_CLUSTER_TYPES, as_list, is_set

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource


class ClusterSecretsEncrypted(PlanRule):
    """Kubernetes Secrets are envelope-encrypted with a customer-managed KMS key, not only by etcd's disk encryption."""

    id = "MLP-CLU-003"
    name = "Ensure cluster secrets are envelope-encrypted with KMS"
    default_level = "mandatory"
    remediation = "Configure encryption_config with resources=['secrets'] and a KMS key (mlplat does)."
    resource_types = EKS_CLUSTER_TYPES
    checkov_equivalents = ("CKV_AWS_58",)

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        configs = [c for c in as_list(res.inputs.get("encryptionConfig")) if isinstance(c, dict)]
        ok = any(
            "secrets" in as_list(c.get("resources")) and is_set((c.get("provider") or {}).get("keyArn"))
            for c in configs
        )
        if not ok:
            yield f"EKS cluster {res.name} does not encrypt secrets with a KMS key"
