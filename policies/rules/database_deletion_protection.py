from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule
from ..helpers import RDS_CLUSTER_TYPES, RDS_INSTANCE_TYPES

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource


class DatabaseDeletionProtection(PlanRule):
    """Databases that hold staging or production metadata refuse deletion until protection is lifted."""

    id = "MLP-DB-002"
    name = "Ensure databases have deletion protection"
    default_level = "advisory"  # staging and prod profiles make it mandatory
    remediation = "Set `tracking.database.deletion_protection: true` (staging and prod profiles do)."
    resource_types = RDS_INSTANCE_TYPES + RDS_CLUSTER_TYPES
    spec_anchor = ("tracking", "database", "deletion_protection")
    checkov_equivalents = ("CKV_AWS_293", "CKV_AWS_139")

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        if res.inputs.get("deletionProtection") is not True:
            yield f"database {res.inputs.get('identifier', res.name)} has no deletion protection"
