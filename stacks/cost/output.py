"""Cost outputs: markdown (PR comments) and the JSON contract."""


from __future__ import annotations

import math
from typing import Any

from mlplat.stacks.cost.estimate import BudgetVerdict, CostDiff, budget_gate
from mlplat.stacks.cost.fmt import _arrow, _money, _num, _signed_money, _signed_pct
from mlplat.stacks.cost.lines import CostEstimate


def _md(text: object) -> str:
    from mlplat.stacks.errors import md  # HTML escaped, no cell or code-span break-out

    return md(text)


def to_markdown(estimate: CostEstimate, diff: CostDiff | None = None, verdict: BudgetVerdict | None = None,
                max_lines: int = 25, reasons: bool = True) -> str:
    """A pull-request comment: totals, the per-component table (with diff arrows), the top
    resources, what is not priced, and the assumptions. reasons=False leaves the budget verdict's
    reasons out (`check` states them once, at the top of its summary)."""
    e = estimate
    verdict = verdict or budget_gate(e, diff)
    out: list[str] = []
    status = "✅" if verdict.ok else "❌"
    out.append(f"### {status} mlplat cost: `{_md(e.platform)}` / `{_md(e.environment)}`")
    out.append("")
    rng = ""
    if not math.isclose(e.min_monthly_usd, e.max_monthly_usd):
        rng = f" (range {_money(e.min_monthly_usd)} – {_money(e.max_monthly_usd)})"
    out.append(f"**{_money(e.monthly_usd)} / month** expected{rng}")
    if diff is not None:
        pct = f", {_signed_pct(diff.diff_percent)}" if diff.diff_percent is not None else ""
        out.append("")
        out.append(
            f"{_arrow(diff.diff_monthly_usd)} **{_signed_money(diff.diff_monthly_usd)}{pct}** compared with "
            f"`{_md(diff.baseline_label)}` ({_money(diff.baseline_monthly_usd)} / month)"
        )
    if e.budget_usd is not None:
        out.append("")
        out.append(f"Budget: {_money(e.budget_usd)} / month"
                   + (f", at most +{_num(e.max_increase_percent)}% per change" if e.max_increase_percent is not None
                      else ""))  # fmt: skip
    for why in verdict.reasons if reasons else []:
        out.append("")
        out.append(f"> ❌ {_md(why)}")
    out.append("")
    if diff is not None:
        out.append("| Component | Baseline | Current | Change |")
        out.append("|---|---:|---:|---:|")
        for d in diff.components:
            out.append(f"| {d.component} | {_money(d.baseline_usd)} | {_money(d.current_usd)} | "
                       f"{_arrow(d.diff_usd)} {_signed_money(d.diff_usd)} |")  # fmt: skip
        out.append(f"| **total** | **{_money(diff.baseline_monthly_usd)}** | **{_money(e.monthly_usd)}** | "
                   f"**{_arrow(diff.diff_monthly_usd)} {_signed_money(diff.diff_monthly_usd)}** |")  # fmt: skip
    else:
        out.append("| Component | Minimum | Expected | Maximum |")
        out.append("|---|---:|---:|---:|")
        for c in e.components:
            lo, exp, hi = e.component_range(c)
            out.append(f"| {c} | {_money(lo)} | {_money(exp)} | {_money(hi)} |")
        out.append(f"| **total** | **{_money(e.min_monthly_usd)}** | **{_money(e.monthly_usd)}** | "
                   f"**{_money(e.max_monthly_usd)}** |")  # fmt: skip
    if diff is not None and diff.lines:
        out.append("")
        out.append("<details><summary>Changed resources</summary>")
        out.append("")
        out.append("| Resource | Component | Baseline | Current | Change |")
        out.append("|---|---|---:|---:|---:|")
        for ld in diff.lines[:max_lines]:
            b = _money(ld.baseline_usd) if ld.baseline_usd is not None else "—"
            c = _money(ld.current_usd) if ld.current_usd is not None else "—"
            out.append(f"| `{_md(ld.name)}` | {_md(ld.component)} | {b} | {c} | {_arrow(ld.diff_usd)} {_signed_money(ld.diff_usd)} |")
        out.append("")
        out.append("</details>")
    cov = e.coverage
    priced = e.priced_lines()
    out.append("")
    out.append(f"<details><summary>Resources: {cov.priced} priced, {cov.free} free, {len(cov.unpriced)} not priced "
               f"(coverage {cov.percent:.0f}%)</summary>")  # fmt: skip
    out.append("")
    out.append("| Resource | Component | Monthly | Range | Assumption |")
    out.append("|---|---|---:|---|---|")
    for ln in priced[:max_lines]:
        rng_ = f"{_money(ln.low)} – {_money(ln.high)}" if ln.ranged else ""
        out.append(f"| `{_md(ln.name)}` | {_md(ln.component)} | {_money(ln.monthly_usd)} | {rng_} | {_md(ln.assumption)} |")
    if len(priced) > max_lines:
        rest = sum(ln.monthly_usd for ln in priced[max_lines:])
        out.append(f"| … {len(priced) - max_lines} more | | {_money(rest)} | | |")
    out.append("")
    out.append("</details>")
    if cov.unpriced:
        out.append("")
        out.append(f"**Not priced ({len(cov.unpriced)}):** "
                   + ", ".join(f"`{_md(ln.name)}` ({_md(ln.assumption)})" for ln in cov.unpriced))  # fmt: skip
    for w in e.warnings:
        out.append("")
        out.append(f"> ⚠️ {_md(w)}")
    out.append("")
    out.append(f"<sub>Prices: {e.catalogue.label} (`{_md(e.catalogue.file)}`, list prices). Assumptions: "
               + "; ".join(_md(a) for a in e.assumptions()) + ".</sub>")  # fmt: skip
    return "\n".join(out) + "\n"


def cost_json(estimate: CostEstimate, diff: CostDiff | None = None, verdict: BudgetVerdict | None = None) -> dict[str, Any]:
    """The `cost --format json` document (DESIGN 5): environment, monthly_usd, by_component, lines;
    with a comparison also baseline_monthly_usd and diff_monthly_usd."""
    data = estimate.to_dict()
    if diff is not None:
        data.update(diff.to_dict())
    data["budget_check"] = (verdict or budget_gate(estimate, diff)).to_dict()
    return data


__all__ = ["cost_json", "to_markdown"]
