from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule
from ..helpers import RDS_CLUSTER_TYPES, RDS_INSTANCE_TYPES, number

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource

MIN_DAYS = 7


class DatabaseBackupRetention(PlanRule):
    """Automated backups are kept for at least a week, enough to notice and undo a bad migration."""

    id = "MLP-DB-003"
    name = f"Ensure database backups are retained for at least {MIN_DAYS} days"
    default_level = "advisory"  # staging and prod profiles make it mandatory
    remediation = f"Set `tracking.database.backup_retention_days` to {MIN_DAYS} or more."
    resource_types = RDS_INSTANCE_TYPES + RDS_CLUSTER_TYPES
    spec_anchor = ("tracking", "database", "backup_retention_days")
    checkov_equivalents = ("CKV_AWS_133",)

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        days = number(res.inputs.get("backupRetentionPeriod"))
        if days is None or days < MIN_DAYS:
            shown = "not set" if days is None else f"{days:g} days"
            yield f"database {res.inputs.get('identifier', res.name)} keeps backups for {shown}"
