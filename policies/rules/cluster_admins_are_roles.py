from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource

ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
ROLE = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/.+")  # used with fullmatch


class ClusterAdminsAreRoles(PlanRule):
    """Cluster access goes to IAM roles that people and pipelines assume (SSO, CI), never to IAM
    users with long-lived keys or to the account root: a role's sessions expire and are audited."""

    id = "MLP-CLU-009"
    name = "Ensure cluster access entries name IAM roles, not users or the account root"
    default_level = "advisory"  # staging and prod profiles make it mandatory
    remediation = "List IAM role ARNs (arn:aws:iam::ACCOUNT:role/NAME) in `cluster.admins`."
    resource_types = (ACCESS_ENTRY,)
    spec_anchor = ("cluster", "admins")

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        principal = res.inputs.get("principalArn")
        if not isinstance(principal, str) or principal == "<unknown>":
            return  # a role made in the same program (its ARN is unknown before apply)
        if not ROLE.fullmatch(principal):
            yield f"access entry {res.name} grants cluster access to {principal}, not an IAM role"
