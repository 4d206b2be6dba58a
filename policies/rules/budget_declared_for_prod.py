from __future__ import annotations

from collections.abc import Iterable

from ..base import SpecContext, SpecRule, Violation
from ..helpers import is_prod_spec


class BudgetDeclaredForProd(SpecRule):
    """Production declares a monthly budget, so the CI gate can stop a change that would blow it.
    Applies where mlplat provisions billed cloud resources (aws targets). On a bring-your-own
    Kubernetes cluster the capacity is already paid for and mlplat's estimate is an allocation
    of it (chargeback), not a bill: a budget there is optional (MLP-BUD-002 still applies to one)."""

    id = "MLP-BUD-001"
    name = "Ensure production cloud environments declare a budget"
    default_level = "mandatory"
    remediation = "Add `budget: {monthly_usd: N, max_increase_percent: P}` (or under environments.prod)."

    def check(self, ctx: SpecContext) -> Iterable[Violation]:
        if not is_prod_spec(ctx) or ctx.spec.budget is not None:
            return
        if ctx.provider == "aws":
            yield Violation("budget", f"environment {ctx.environment} has no budget", ("metadata",))
