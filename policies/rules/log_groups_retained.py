from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule
from ..helpers import LOG_GROUP_TYPES, number

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource


class LogGroupsRetained(PlanRule):
    """Log groups (flow logs, control-plane logs) declare a retention: never-expiring logs grow
    without bound, and a retention makes the audit trail's lifetime a decision."""

    id = "MLP-MON-003"
    name = "Ensure log groups declare a retention period"
    default_level = "mandatory"
    remediation = "Set retention_in_days on every log group (mlplat: 365 where data is protected, else 30)."
    resource_types = LOG_GROUP_TYPES

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        days = number(res.inputs.get("retentionInDays"))
        if not days:
            yield f"log group {res.inputs.get('name', res.name)} never expires its logs"
