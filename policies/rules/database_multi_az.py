from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule
from ..helpers import RDS_INSTANCE_TYPES

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource


class DatabaseMultiAz(PlanRule):
    """Production databases (the MLflow / Airflow metadata store) run with a synchronous standby in
    another availability zone: losing one AZ must not lose the platform's metadata."""

    id = "MLP-DB-001"
    name = "Ensure production databases are multi-AZ"
    default_level = "advisory"  # the prod profile makes it mandatory
    remediation = "Set `tracking.database.multi_az: true` (the prod profile's default)."
    resource_types = RDS_INSTANCE_TYPES
    spec_anchor = ("tracking", "database", "multi_az")
    checkov_equivalents = ("CKV_AWS_157",)

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        if res.inputs.get("multiAz") is not True:
            yield f"database {res.inputs.get('identifier', res.name)} is single-AZ"
