from __future__ import annotations

from collections.abc import Iterable

from ..base import PlanContext, PlanRule, Violation
from ..helpers import FLOW_LOG_TYPES, VPC_TYPES


class VpcFlowLogsEnabled(PlanRule):
    """Every VPC records flow logs (all traffic), so network activity can be investigated."""

    id = "MLP-NET-002"
    name = "Ensure VPC flow logs are enabled"
    default_level = "mandatory"
    remediation = "mlplat's network component enables flow logs to CloudWatch; keep them on."
    stack = True
    resource_types = VPC_TYPES
    checkov_equivalents = ("CKV2_AWS_11",)

    def check(self, ctx: PlanContext) -> Iterable[Violation]:
        logs = ctx.plan.of_type(*FLOW_LOG_TYPES)
        for vpc in ctx.plan.of_type(*VPC_TYPES):
            mine = [f for f in logs if vpc.urn in f.dependencies]
            if not mine:
                yield Violation(vpc.name, f"VPC {vpc.name} has no flow log", vpc.type, vpc.urn, vpc.component)
            elif not any(f.inputs.get("trafficType") == "ALL" for f in mine):
                yield Violation(
                    vpc.name,
                    f"VPC {vpc.name} flow logs do not capture ALL traffic",
                    vpc.type,
                    vpc.urn,
                    vpc.component,
                )
