from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule
from ..helpers import as_list, json_doc

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource

POLICY_TYPES = ("aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy", "aws:iam/userPolicy:UserPolicy")
ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"


class NoWildcardIamPolicies(PlanRule):
    """No policy mlplat writes grants every action (`*` or `service:*`) on every resource, and no
    role gets AdministratorAccess: each component gets what it uses."""

    id = "MLP-SEC-005"
    name = "Ensure IAM policies do not grant wildcard actions on all resources"
    default_level = "mandatory"
    remediation = "Scope statements to the actions and resources the component needs."
    resource_types = POLICY_TYPES + ("aws:iam/rolePolicyAttachment:RolePolicyAttachment",)
    checkov_equivalents = (
        "CKV_AWS_62",
        "CKV_AWS_63",
        "CKV_AWS_286",
        "CKV_AWS_287",
        "CKV_AWS_288",
        "CKV_AWS_289",
    )

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        if res.type.endswith("RolePolicyAttachment"):
            if res.inputs.get("policyArn") == ADMIN_POLICY:
                yield f"{res.name} attaches AdministratorAccess"
            return
        doc = json_doc(res.inputs.get("policy"))
        if doc is None:
            return
        for s in as_list(doc.get("Statement")):
            if not isinstance(s, dict) or s.get("Effect") != "Allow":
                continue
            actions = [str(a) for a in as_list(s.get("Action"))]
            wild = [a for a in actions if a == "*" or a.endswith(":*")]
            if wild and "*" in as_list(s.get("Resource")):
                yield f"{res.name} allows {', '.join(wild)} on every resource"
