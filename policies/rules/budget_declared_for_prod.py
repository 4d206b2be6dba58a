from __future__ import annotations

from collections.abc import Iterable

from ..base import SpecContext, SpecRule, Violation
from ..helpers import is_prod_spec


class BudgetDeclaredForProd(SpecRule):
    """Production declares a monthly budget, so the CI gate can stop a change that would blow it.
    Applies where mlplat can price the platform: aws targets, and kubernetes targets that declare
    `usage.k8s_rates` (without rates a bring-your-own cluster has no cost estimate to hold a budget to)."""

    id = "MLP-BUD-001"
    name = "Ensure production environments declare a budget"
    default_level = "mandatory"
    remediation = "Add `budget: {monthly_usd: N, max_increase_percent: P}` (or under environments.prod)."

    def check(self, ctx: SpecContext) -> Iterable[Violation]:
        if not is_prod_spec(ctx) or ctx.spec.budget is not None:
            return
        priced = ctx.provider == "aws" or bool(ctx.spec.usage and ctx.spec.usage.k8s_rates)
        if priced:
            yield Violation("budget", f"environment {ctx.environment} has no budget", ("metadata",))
