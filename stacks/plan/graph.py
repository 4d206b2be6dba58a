"""`mlplat graph`: the component/resource graph as Mermaid or Graphviz DOT.

Two levels: `resource` (every custom resource, grouped by component) and `component` (one node
per component with its resource count and main kinds, one edge per component pair that depends
on the other, labelled with the number of resource-level dependencies): readable at a glance.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

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


# --------------------------------------------------------------------------- component level


@dataclass(frozen=True)
class ComponentNode:
    name: str
    resources: int
    kinds: tuple[tuple[str, int], ...] = ()  # the most frequent short types, most first


@dataclass(frozen=True)
class ComponentGraph:
    platform: str
    environment: str
    nodes: tuple[ComponentNode, ...]
    edges: tuple[tuple[str, str, int], ...]  # (component, component it depends on, resource dependencies)
    marks: dict[str, str] = field(default_factory=dict, compare=False)  # component → "changed" | "replaced"

    def node(self, name: str) -> ComponentNode | None:
        return next((n for n in self.nodes if n.name == name), None)


def component_graph(plan: Plan, top_kinds: int = 3) -> ComponentGraph:
    """Components and the dependencies between them (resource dependencies that cross a component)."""
    comp = {r.urn: r.component or "platform" for r in plan.custom_resources()}
    nodes = []
    for name, items in grouped(plan).items():
        kinds = Counter(short_type(r.type) for r in items).most_common(top_kinds)
        nodes.append(ComponentNode(name, len(items), tuple(kinds)))
    links: Counter[tuple[str, str]] = Counter()
    for a, b in _edges(plan):
        if comp[a] != comp[b]:
            links[(comp[a], comp[b])] += 1
    order = [n.name for n in nodes]
    edges = tuple(sorted(((a, b, n) for (a, b), n in links.items()), key=lambda e: (order.index(e[0]), order.index(e[1]))))
    return ComponentGraph(plan.platform, plan.environment, tuple(nodes), edges)


def _cid(name: str) -> str:
    return "c_" + re.sub(r"[^A-Za-z0-9_]", "_", name)


def component_mermaid(g: ComponentGraph) -> str:
    lines = ["flowchart LR"]
    for n in g.nodes:
        kinds = ", ".join(f"{k} ×{c}" for k, c in n.kinds)
        label = f"<b>{n.name}</b><br/>{n.resources} resources<br/><small>{kinds}</small>"
        lines.append(f'  {_cid(n.name)}["{_escape(label)}"]')
    for a, b, count in g.edges:
        lines.append(f"  {_cid(a)} -->|{count}| {_cid(b)}")
    return "\n".join(lines) + "\n"


def _dot_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


MARK_COLOURS = {"changed": "#d29922", "replaced": "#cf222e"}


def component_dot(g: ComponentGraph) -> str:
    lines = [f"digraph {_dot_str(f'{g.platform}-{g.environment}')} {{", "  rankdir=LR;",
             '  node [shape=box, style="rounded,filled", fillcolor="#f6f8fa", fontname="Helvetica", fontsize=11];',
             '  edge [fontname="Helvetica", fontsize=9, color="#57606a"];']
    for n in g.nodes:
        kinds = "\n".join(f"{k} ×{c}" for k, c in n.kinds)
        label = f"{n.name}\n{n.resources} resources" + (f"\n{kinds}" if kinds else "")
        attrs = [f"label={_dot_str(label)}", f"id={_dot_str('component-' + n.name)}"]
        mark = g.marks.get(n.name)
        if mark in MARK_COLOURS:
            attrs += [f"color={_dot_str(MARK_COLOURS[mark])}", "penwidth=2.5"]
        lines.append(f"  {_cid(n.name)} [{', '.join(attrs)}];")
    for a, b, count in g.edges:
        lines.append(f"  {_cid(a)} -> {_cid(b)} [label={_dot_str(str(count))}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


__all__ = ["ComponentGraph", "ComponentNode", "component_dot", "component_graph", "component_mermaid", "to_dot",
           "to_mermaid"]
