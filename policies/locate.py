"""Trace a plan resource back to the spec line that produced it.

Resources map to the spec node they came from: a bucket (and its configuration resources) to
`storage.buckets[i]`, a node group to `cluster.node_pools[i]`, a model's objects to
`serving.models[i]`, anything else to its component's section. A rule may name the field the
fix belongs to (relative `spec_field`, or an absolute `spec_anchor`); the location is that of the
nearest node the user wrote in the spec file (values filled in by a built-in profile point at the
closest enclosing node of the spec instead).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlplat.stacks.errors import format_path

from .helpers import unknown

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import Plan, PlanResource
    from mlplat.stacks.platform_spec.resolve import ResolvedPlatform

Path = tuple[str | int, ...]

# component (mlplat:component) → spec section key
SECTIONS = {
    "network": "network",
    "storage": "storage",
    "cluster": "cluster",
    "tracking": "tracking",
    "orchestrator": "orchestrator",
    "feature_store": "feature_store",
    "feature-store": "feature_store",
    "serving": "serving",
    "monitoring": "monitoring",
}
# section → (list key, how items are named)
NAMED_LISTS = {"storage": "buckets", "cluster": "node_pools", "serving": "models"}
# What stands in for a section the spec does not declare (e.g. the network implied by a cluster).
IMPLIED_BY = {"network": "cluster", "cluster": "target"}


@dataclass(frozen=True)
class SpecLocation:
    file: str | None
    line: int | None
    column: int | None
    path: str  # dotted, as the user wrote it


def component_of(plan: Plan | None, res: PlanResource) -> str | None:
    comp = res.component or res.tags.get("mlplat:component") or res.labels.get("mlplat.io/component")
    if comp is None and plan is not None:
        for anc in plan.ancestors(res):
            comp = anc.component
            if comp:
                break
    return SECTIONS.get(str(comp), str(comp)) if comp else None


def _names(res: PlanResource) -> list[str]:
    out = [res.name]
    for key in ("bucket", "nodeGroupName", "name"):
        v = res.inputs.get(key)
        if isinstance(v, str) and not unknown(v):
            out.append(v)
    meta = res.inputs.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("name"), str):
        out.append(meta["name"])
    return out


def _mentions(names: list[str], item: str, prefix: str) -> bool:
    for n in names:
        if n == item or n == f"{prefix}-{item}":
            return True
        if f"-{item}-" in f"-{n}-":
            return True
    return False


def resource_spec_path(resolved: ResolvedPlatform, plan: Plan | None, res: PlanResource) -> Path:
    """The spec path a plan resource was expanded from."""
    comp = component_of(plan, res)
    if comp is None:
        return ("metadata",)
    section = comp if comp in SECTIONS.values() else None
    if section is None:
        return ("metadata",)
    spec_section = getattr(resolved.spec, section, None)
    if spec_section is None:
        implied = IMPLIED_BY.get(section)
        if implied and (implied == "target" or getattr(resolved.spec, implied, None) is not None):
            return (implied,)
        return ("metadata",)
    list_key = NAMED_LISTS.get(section)
    if list_key:
        items = getattr(spec_section, list_key, []) or []
        related = [res]
        if plan is not None:
            related += plan.ancestors(res)[:1]
            related += [d for d in (plan.by_urn(u) for u in res.dependencies) if d is not None]
        best: tuple[int, int] | None = None  # (name length, index): the longest name wins
        for candidate in related:
            names = _names(candidate)
            for i, item in enumerate(items):
                if _mentions(names, item.name, resolved.prefix) and (
                    best is None or len(item.name) > best[0]
                ):
                    best = (len(item.name), i)
            if best is not None:
                return (section, list_key, best[1])
    return (section,)


def locate(resolved: ResolvedPlatform, path: Path) -> SpecLocation:
    """File and line of `path`, or of the nearest enclosing node written in the spec itself."""
    index = resolved.locations
    p = tuple(path)
    dotted = None
    spec_file = str(resolved.source)
    while True:
        node, found = index.nearest(p)
        if node is not None:
            loc = node.loc or node.key_loc
            in_spec = loc is not None and not loc.file.startswith("<builtin>")
            if dotted is None:
                # The user's path; a value filled in by a profile keeps the path asked for.
                dotted = index.locate(path)[1] if in_spec else format_path(path)
            if loc is not None and in_spec:
                return SpecLocation(loc.file, loc.line, loc.col, dotted)
        if not found:
            break
        p = found[:-1]
    return SpecLocation(spec_file, 1, 1, dotted or format_path(path))


def join(base: Path, field: Path) -> Path:
    return tuple(base) + tuple(field)


__all__ = ["SECTIONS", "SpecLocation", "component_of", "locate", "resource_spec_path"]
