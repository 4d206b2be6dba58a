from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule
from ..helpers import json_doc

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource

ROLE = "aws:iam/role:Role"


class IrsaRolesScoped(PlanRule):
    """A role trusted through the cluster's OIDC provider (IRSA) names the one service account that
    may assume it (`:sub` condition); without it every pod in the cluster could take the role."""

    id = "MLP-SEC-004"
    name = "Ensure IRSA roles are scoped to one service account"
    default_level = "mandatory"
    remediation = "Build IRSA trust policies with mlplat.modules.aws_iam.irsa_role (sub and aud conditions)."
    resource_types = (ROLE,)

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        doc = json_doc(res.inputs.get("assumeRolePolicy"))
        if doc is None:
            return  # unknown until apply: built from outputs, checked by the helper's own tests
        stmts = doc.get("Statement") or []
        for s in stmts if isinstance(stmts, list) else [stmts]:
            if not isinstance(s, dict) or "sts:AssumeRoleWithWebIdentity" not in json.dumps(s.get("Action")):
                continue
            cond = json.dumps(s.get("Condition") or {})
            if ":sub" not in cond:
                yield f"role {res.name} can be assumed by any service account of the cluster (no :sub condition)"
