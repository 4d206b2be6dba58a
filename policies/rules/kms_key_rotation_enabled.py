from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule
from ..helpers import KMS_KEY_TYPES

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource


class KmsKeyRotationEnabled(PlanRule):
    """Customer-managed KMS keys (storage, EKS secrets, databases) rotate their key material yearly."""

    id = "MLP-STO-007"
    name = "Ensure KMS keys rotate automatically"
    default_level = "mandatory"
    remediation = "Create KMS keys with enable_key_rotation=True (mlplat's components do)."
    resource_types = KMS_KEY_TYPES
    checkov_equivalents = ("CKV_AWS_7",)

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        if res.inputs.get("enableKeyRotation") is not True:
            yield f"KMS key {res.name} does not rotate its key material"
