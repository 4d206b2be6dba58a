"""Human-readable renderings of a plan (rich)."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import Plan
    from mlplat.stacks.platform_spec.resolve import ResolvedPlatform

COMPONENT_ORDER = (
    "network", "storage", "cluster", "tracking", "orchestrator", "feature_store", "serving", "monitoring", "platform",
)  # fmt: skip


def short_type(token: str) -> str:
    """'aws:s3/bucket:Bucket' → 'aws:s3:Bucket'; 'kubernetes:apps/v1:Deployment' → 'k8s:Deployment'."""
    if token.startswith("kubernetes:"):
        return "k8s:" + token.rsplit(":", 1)[-1]
    parts = token.split(":")
    if len(parts) == 3:
        return f"{parts[0]}:{parts[1].split('/')[0]}:{parts[2]}"
    return token


def grouped(plan: Plan) -> dict[str, list[Any]]:
    groups: dict[str, list[Any]] = defaultdict(list)
    for r in plan.custom_resources():
        groups[r.component or "platform"].append(r)
    return {c: groups[c] for c in sorted(groups, key=lambda c: (COMPONENT_ORDER + (c,)).index(c))}


def plan_table(plan: Plan, resolved: ResolvedPlatform | None = None, console: Any = None) -> None:
    from mlplat.stacks.errors import esc
    from rich.console import Console
    from rich.table import Table

    console = console or Console(highlight=False)
    groups = grouped(plan)
    total = sum(len(v) for v in groups.values())
    profile = f", profile {resolved.profile.name}" if resolved and resolved.profile.name else ""
    table = Table(
        title=f"{esc(plan.platform)} / {esc(plan.environment)}{esc(profile)}: {total} resources to create",
        title_justify="left", show_edge=False, pad_edge=False, expand=False,
    )
    # The action and `protected` columns never wrap or shrink; type and name wrap instead, so a
    # narrow terminal (or captured output, 80 columns) keeps every column rather than cutting one.
    table.add_column("", width=1, min_width=1, no_wrap=True)
    table.add_column("type", style="dim", overflow="fold", ratio=2)
    table.add_column("name", overflow="fold", ratio=3)
    table.add_column("", no_wrap=True, min_width=len("protected"))
    for comp, items in groups.items():
        table.add_section()
        table.add_row("", f"[bold cyan]{esc(comp)}[/] ({len(items)})", "", "")
        for r in sorted(items, key=lambda r: (short_type(r.type), r.name)):
            table.add_row("[green]+[/]", esc(short_type(r.type)), esc(r.name), "[yellow]protected[/]" if r.protect else "")
    console.print(table)
    counts = ", ".join(f"{esc(c)} {len(v)}" for c, v in groups.items())
    protected = sum(1 for v in groups.values() for r in v if r.protect)
    console.print(f"[bold]Plan:[/] {total} to create ({counts}); {protected} protected from destroy")


__all__ = ["COMPONENT_ORDER", "grouped", "plan_table", "short_type"]
