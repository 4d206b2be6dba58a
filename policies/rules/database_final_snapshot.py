from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule
from ..helpers import RDS_CLUSTER_TYPES, RDS_INSTANCE_TYPES, truthy

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource


class DatabaseFinalSnapshot(PlanRule):
    """Deleting a database takes a final snapshot first. Disabled for the disposable dev profile."""

    id = "MLP-DB-007"
    name = "Ensure a final snapshot is taken when a database is deleted"
    default_level = "advisory"  # dev: disabled; prod: mandatory
    remediation = "Use a profile with safety.skip_final_snapshot: false (staging, prod)."
    resource_types = RDS_INSTANCE_TYPES + RDS_CLUSTER_TYPES
    spec_anchor = ("tracking", "database")

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        if truthy(res.inputs.get("skipFinalSnapshot")):
            yield f"database {res.inputs.get('identifier', res.name)} skips the final snapshot"
