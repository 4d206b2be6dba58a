from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule
from ..helpers import RDS_INSTANCE_TYPES, truthy

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource


class DatabaseNotPubliclyAccessible(PlanRule):
    """Databases get no public address: only workloads inside the VPC reach them."""

    id = "MLP-DB-005"
    name = "Ensure databases are not publicly accessible"
    default_level = "mandatory"
    remediation = "Keep publicly_accessible=False and place databases in private subnets."
    resource_types = RDS_INSTANCE_TYPES
    spec_anchor = ("tracking", "database")
    checkov_equivalents = ("CKV_AWS_17",)

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        if truthy(res.inputs.get("publiclyAccessible")):
            yield f"database {res.inputs.get('identifier', res.name)} is publicly accessible"
