"""cost: the monthly estimate of one environment, a diff against a revision or file, the budget gate."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from .options import ENV_OPTION, writable_path

if TYPE_CHECKING:
    from mlplat.stacks.cost.estimate import BudgetVerdict, CostDiff
    from mlplat.stacks.cost.lines import CostEstimate


@click.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@ENV_OPTION
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table", show_default=True)
@click.option("--compare-to", "compare_to", metavar="GIT_REF|FILE", default=None,
              help="Baseline: another spec FILE, or the same spec at a git revision (read with `git show`, "
                   "no checkout), e.g. origin/main.")  # fmt: skip
@click.option("--plan", "plan_file", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Price a plan saved by `mlplat preview --out` instead of expanding the spec again.")
@click.option("--output", "-o", "output", type=click.Path(dir_okay=False), callback=writable_path, default=None,
              help="Write the report to this file instead of stdout (e.g. a PR comment body).")
def cost(spec: str, env: str, fmt: str, compare_to: str | None, plan_file: str | None, output: str | None) -> None:
    """Monthly cost of one environment, by component and by resource, before anything exists.

    Prices come from the catalogue shipped with mlplat (stacks/cost/pricing/: AWS list prices per
    region with their date and source; per-vCPU/GiB/GPU rates for kubernetes targets). What a
    plan cannot know (stored GB, NAT traffic, hours autoscaling pools run above their minimum)
    comes from the spec's `usage:` section or documented defaults. Resources without a price
    are listed by name with the coverage figure.

    Exit 1 when the estimate exceeds budget.monthly_usd, or when the increase over
    --compare-to exceeds budget.max_increase_percent.

    \b
    Example:
        mlplat cost platform.yaml --env prod
        mlplat cost platform.yaml --env prod --compare-to origin/main --format markdown
        mlplat cost platform.yaml --env dev --compare-to old-platform.yaml --format json
    """
    from mlplat.stacks.cost.estimate import baseline_estimate, budget_gate, compare, estimate
    from mlplat.stacks.platform_spec.resolve import load_platform

    from .output import progress_status

    resolved = load_platform(spec, env)
    with progress_status(f"pricing {resolved.prefix}…"):
        if plan_file:
            from mlplat.stacks.plan.model import Plan

            plan = Plan.load(plan_file)
            if plan.environment != env or plan.platform != resolved.name:
                from mlplat.stacks.errors import MlplatError

                raise MlplatError(
                    f"{plan_file} is the plan of {plan.platform}/{plan.environment}, not {resolved.name}/{env}"
                )
        else:
            from mlplat.stacks.plan.offline import run_offline

            plan = run_offline(resolved)
        current = estimate(resolved, plan)
        diff = None
        if compare_to:
            baseline, label = baseline_estimate(spec, compare_to, env)
            diff = compare(current, baseline, label)
    verdict = budget_gate(current, diff)

    text = render(current, diff, verdict, fmt)
    if output:
        from .output import write_output

        write_output(text, output)
    else:
        click.echo(text, nl=not text.endswith("\n"))
    if fmt != "json":
        for note in current.warnings:
            click.echo(f"warning: {note}", err=True)
    if not verdict.ok:
        if fmt == "json" or output:  # table and markdown on stdout state the breach already: once is enough
            for why in verdict.reasons:
                click.echo(f"over budget: {why}", err=True)
        raise SystemExit(1)


def render(current: CostEstimate, diff: CostDiff | None, verdict: BudgetVerdict, fmt: str) -> str:
    from mlplat.stacks.cost.output import cost_json, to_markdown

    if fmt == "json":
        import json

        return json.dumps(cost_json(current, diff, verdict), indent=2, allow_nan=False) + "\n"
    if fmt == "markdown":
        return to_markdown(current, diff, verdict)
    return table(current, diff, verdict)


def _money(v: float) -> str:
    return f"{'-' if v < 0 else ''}${abs(v):,.2f}"


def _change(v: float) -> str:
    if abs(v) < 0.005:
        return "[dim]→ $0.00[/]"
    return f"[red]↑ +{_money(v)}[/]" if v > 0 else f"[green]↓ −{_money(-v)}[/]"


def table(e: CostEstimate, diff: CostDiff | None, verdict: BudgetVerdict) -> str:
    """The human report: totals, components, the priced resources, what is free or not priced."""
    import io
    from collections import Counter

    from mlplat.stacks.errors import esc
    from rich.console import Console
    from rich.table import Table

    console = Console(file=io.StringIO(), record=True, width=140, highlight=False, force_terminal=False)
    where = f"{e.provider} {e.region}" if e.region else e.provider
    console.print(f"[bold]{esc(e.platform)} / {esc(e.environment)}[/] ({esc(where)}): expected [bold]{_money(e.monthly_usd)}[/]/month"
                  + (f" (min {_money(e.min_monthly_usd)}, max {_money(e.max_monthly_usd)})"
                     if abs(e.max_monthly_usd - e.min_monthly_usd) > 0.005 else ""))  # fmt: skip
    if diff is not None:
        pct = f" ({diff.diff_percent:+.1f}%)" if diff.diff_percent is not None else ""
        console.print(f"compared with {esc(diff.baseline_label)}: {_money(diff.baseline_monthly_usd)} → "
                      f"{_money(e.monthly_usd)}  {_change(diff.diff_monthly_usd)}{pct}")  # fmt: skip

    comp = Table(title="By component", title_justify="left", show_edge=False)
    comp.add_column("component")
    if diff is not None:
        comp.add_column("baseline", justify="right")
    comp.add_column("min", justify="right")
    comp.add_column("expected", justify="right")
    comp.add_column("max", justify="right")
    if diff is not None:
        comp.add_column("change", justify="right")
    rows: list[Any] = diff.components if diff is not None else e.components
    for row in rows:
        name = row if isinstance(row, str) else row.component
        lo, exp, hi = e.component_range(name)
        cells = [esc(name)]
        if diff is not None:
            cells.append(_money(row.baseline_usd))
        cells += [_money(lo), _money(exp), _money(hi)]
        if diff is not None:
            cells.append(_change(row.diff_usd))
        comp.add_row(*cells)
    total = ["[bold]total[/]"]
    if diff is not None:
        total.append(f"[bold]{_money(diff.baseline_monthly_usd)}[/]")
    total += [f"[bold]{_money(x)}[/]" for x in (e.min_monthly_usd, e.monthly_usd, e.max_monthly_usd)]
    if diff is not None:
        total.append(_change(diff.diff_monthly_usd))
    comp.add_row(*total)
    console.print()
    console.print(comp)

    res = Table(title="By resource (priced)", title_justify="left", show_edge=False)
    for col, just in (("resource", "left"), ("type", "left"), ("component", "left"), ("monthly", "right"),
                      ("range", "right"), ("assumption", "left")):  # fmt: skip
        res.add_column(col, justify=just, overflow="fold")  # type: ignore[arg-type]
    for ln in e.priced_lines():
        rng = f"{_money(ln.low)}–{_money(ln.high)}" if ln.ranged else ""
        res.add_row(esc(ln.name), esc(ln.type.rsplit(":", 1)[-1]), esc(ln.component), _money(ln.monthly_usd), rng,
                    esc(ln.assumption))
    console.print()
    console.print(res)

    cov = e.coverage
    console.print()
    console.print(f"coverage: {cov.percent:.0f}% ({cov.priced} priced, {len(cov.unpriced)} not priced; "
                  f"{cov.free} free resources)")  # fmt: skip
    if cov.unpriced:
        console.print("[yellow]not priced:[/]")
        for ln in cov.unpriced:
            console.print(f"  - {esc(ln.name)} ({esc(ln.type)}): {esc(ln.assumption)}")
    free = Counter(ln.assumption for ln in e.lines if ln.status == "free")
    if free:
        console.print("free:")
        for why, n in sorted(free.items(), key=lambda kv: (-kv[1], kv[0])):
            console.print(f"  {n:>3} × {esc(why)}")
    console.print(f"prices: {esc(e.catalogue.label)} ({esc(e.catalogue.file)}): {esc(e.catalogue.source)}")
    if e.catalogue.dated:
        console.print("  dated apart (sources in --format json): "
                      + ", ".join(f"{k} {when}" for k, (when, _) in sorted(e.catalogue.dated.items())))  # fmt: skip
    for old in e.stale():
        console.print(f"[yellow]stale:[/] {', '.join(old['prices'])} as of {old['as_of']} "
                      f"({old['months']} months old on {e.today})")  # fmt: skip
    console.print("assumptions:")
    for a in e.assumptions():
        console.print(f"  - {esc(a)}")
    for note in verdict.notes:
        console.print(f"budget: {esc(note)}")
    for why in verdict.reasons:
        console.print(f"[red]over budget: {esc(why)}[/]")
    return console.export_text(styles=False)
