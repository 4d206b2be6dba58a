"""`mlplat graph`: the component/resource graph as Mermaid or Graphviz DOT."""

from __future__ import annotations

import re

from mlplat.stacks.plan.model import Plan
from mlplat.stacks.plan.table import grouped, short_type


def _id(urn: str, ids: dict[str, str]) -> str:
    return ids.setdefault(urn, f"n{len(ids)}")


def _edges(plan: Plan) -> list[tuple[str, str]]:
    """Dependency edges between custom resources (resource → what it depends on)."""
    custom = {r.urn for r in plan.custom_resources()}
    out = set()
    for r in plan.custom_resources():
        for dep in r.dependencies:
            if dep in custom and dep != r.urn:
                out.add((r.urn, dep))
    return sorted(out)


def to_mermaid(plan: Plan) -> str:
    ids: dict[str, str] = {}
    lines = ["flowchart LR"]
    for comp, items in grouped(plan).items():
        lines.append(f"  subgraph {comp}[\"{comp} ({len(items)})\"]")
        for r in sorted(items, key=lambda r: r.name):
            label = f"{r.name}<br/><small>{short_type(r.type)}</small>"
            lines.append(f"    {_id(r.urn, ids)}[\"{_escape(label)}\"]")
        lines.append("  end")
    for a, b in _edges(plan):
        lines.append(f"  {_id(a, ids)} --> {_id(b, ids)}")
    return "\n".join(lines) + "\n"


def to_dot(plan: Plan) -> str:
    ids: dict[str, str] = {}
    lines = [f'digraph "{plan.platform}-{plan.environment}" {{', "  rankdir=LR;", "  node [shape=box, fontsize=10];"]
    for comp, items in grouped(plan).items():
        lines.append(f'  subgraph "cluster_{comp}" {{')
        lines.append(f'    label="{comp} ({len(items)})";')
        for r in sorted(items, key=lambda r: r.name):
            lines.append(f'    {_id(r.urn, ids)} [label="{r.name}\\n{short_type(r.type)}"];')
        lines.append("  }")
    for a, b in _edges(plan):
        lines.append(f"  {_id(a, ids)} -> {_id(b, ids)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    return re.sub(r'"', "#quot;", text)


__all__ = ["to_dot", "to_mermaid"]
