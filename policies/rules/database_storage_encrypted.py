from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule
from ..helpers import RDS_CLUSTER_TYPES, RDS_INSTANCE_TYPES

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource


class DatabaseStorageEncrypted(PlanRule):
    """Database storage, snapshots and backups are encrypted at rest."""

    id = "MLP-DB-004"
    name = "Ensure database storage is encrypted"
    default_level = "mandatory"
    remediation = "Create databases with storage_encrypted=True (mlplat's database helper does)."
    resource_types = RDS_INSTANCE_TYPES + RDS_CLUSTER_TYPES
    spec_anchor = ("tracking", "database")
    checkov_equivalents = ("CKV_AWS_16", "CKV_AWS_96")

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        if res.inputs.get("storageEncrypted") is not True:
            yield f"database {res.inputs.get('identifier', res.name)} storage is not encrypted"
