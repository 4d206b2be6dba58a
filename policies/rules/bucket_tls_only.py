from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ..base import PlanContext, PlanRule, Violation
from ..helpers import BUCKET_POLICY_TYPES, BUCKET_TYPES, linked


def denies_insecure_transport(policy: Any) -> bool:
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except ValueError:
            return False
    if not isinstance(policy, dict):
        return False
    stmts = policy.get("Statement") or []
    for s in stmts if isinstance(stmts, list) else [stmts]:
        if not isinstance(s, dict) or s.get("Effect") != "Deny":
            continue
        cond = (s.get("Condition") or {}).get("Bool") or {}
        if str(cond.get("aws:SecureTransport", "")).lower() == "false":
            return True
    return False


class BucketTlsOnly(PlanRule):
    """Every bucket policy denies requests that do not use TLS (`aws:SecureTransport = false`)."""

    id = "MLP-STO-005"
    name = "Ensure buckets accept TLS requests only"
    default_level = "mandatory"
    remediation = (
        "mlplat attaches a TLS-only bucket policy to every bucket; keep its DenyInsecureTransport statement."
    )
    stack = True
    resource_types = BUCKET_TYPES

    def check(self, ctx: PlanContext) -> Iterable[Violation]:
        for b in ctx.plan.resources:
            if b.type not in BUCKET_TYPES:
                continue
            policies = [p.inputs.get("policy") for p in linked(ctx.plan, b, BUCKET_POLICY_TYPES)]
            if not any(denies_insecure_transport(p) for p in policies):
                yield Violation(
                    b.name,
                    f"bucket {b.inputs.get('bucket', b.name)} has no policy denying non-TLS requests",
                    resource_type=b.type,
                    urn=b.urn,
                    component=b.component,
                )
