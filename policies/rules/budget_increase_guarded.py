from __future__ import annotations

from collections.abc import Iterable

from ..base import SpecContext, SpecRule, Violation


class BudgetIncreaseGuarded(SpecRule):
    """A budget also caps how much one change may raise the monthly cost (`max_increase_percent`),
    so a large jump is reviewed even while the total is still under budget."""

    id = "MLP-BUD-002"
    name = "Ensure budgets cap the cost increase of a single change"
    default_level = "advisory"
    remediation = "Set `budget.max_increase_percent` (e.g. 20)."

    def check(self, ctx: SpecContext) -> Iterable[Violation]:
        budget = ctx.spec.budget
        if budget is not None and budget.max_increase_percent is None:
            yield Violation("budget", "the budget does not cap per-change cost increases", ("budget",))
