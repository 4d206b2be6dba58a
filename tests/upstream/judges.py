"""Shared reading of plans for the upstream judges (tests/upstream/test_*_judge.py).

Everything here reads a plan and the stored upstream artifacts beside this file; nothing is
imported from mlplat's modules, so a judge cannot agree with the code by construction.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

UPSTREAM = Path(__file__).parent
GOLDEN = UPSTREAM.parent / "golden"
CRDS = UPSTREAM / "crds"
CHARTS = UPSTREAM / "charts"
METRICS = UPSTREAM / "metrics"
RELEASE = "kubernetes:helm.sh/v3:Release"
CRD_TYPE = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"
# Pulumi placeholders in offline plans: values decided at deploy time.
PLACEHOLDERS = ("<unknown>", "<secret>")
# API groups served by Kubernetes itself, and Pulumi's own pseudo-groups (Helm, kustomize, yaml).
BUILTIN_GROUPS = {"core", "apps", "batch", "policy", "autoscaling", "helm.sh", "kustomize", "yaml"}


def api_of(res: Any) -> tuple[str, str, str] | None:
    """(group, version, kind) of a Kubernetes resource in the plan; None for anything else."""
    if not res.type.startswith("kubernetes:") or res.type.startswith("kubernetes:pulumi"):
        return None
    _, gv, kind = res.type.split(":")
    group, _, version = gv.partition("/")
    return group, version, kind


def is_custom_resource(res: Any) -> bool:
    api = api_of(res)
    return api is not None and api[0] not in BUILTIN_GROUPS and not api[0].endswith(".k8s.io")


def on_kubernetes(plan: Any) -> bool:
    """Whether the plan puts anything on Kubernetes (the managed SageMaker path does not: its
    plans have nothing for these judges, and the minimum counts below apply to the others)."""
    return any(r.is_kubernetes and not r.type.startswith("kubernetes:pulumi") for r in plan.resources)


def chart_of(release: Any) -> tuple[str, str]:
    """(chart name, version): an `oci://…/<name>` chart is named by its last path segment."""
    return str(release.inputs["chart"]).rstrip("/").rsplit("/", 1)[-1], str(release.inputs.get("version"))


def upstream_before(plan: Any, res: Any) -> list[Any]:
    """Every resource `res` waits for: its dependencies and its ancestors', transitively;
    depending on a component means depending on everything under it."""
    seen: dict[str, Any] = {}
    todo = list(res.dependencies)
    for a in plan.ancestors(res):
        todo += a.dependencies
    while todo:
        urn = todo.pop()
        if urn in seen:
            continue
        r = plan.by_urn(urn)
        if r is None:
            continue
        seen[urn] = r
        todo += r.dependencies
        if not r.custom:
            todo += [c.urn for c in plan.children(urn)]
    return list(seen.values())


def crd_path(chart: str, version: str, group: str, kind: str) -> Path:
    return CRDS / chart / version / f"{group}.{kind}.json"


def crd_provider(plan: Any, res: Any) -> tuple[Any, Path | None] | None:
    """The resource in the plan, before `res`, that installs its kind's CRD, with the stored
    schema of that CRD at the provider's version (None when the provider is a CRD object)."""
    group, _, kind = api_of(res)  # type: ignore[misc]
    for dep in upstream_before(plan, res):
        if dep.type == RELEASE:
            path = crd_path(*chart_of(dep), group, kind)
            if path.exists():
                return dep, path
        elif dep.type == CRD_TYPE:
            names = dep.inputs.get("spec", {})
            if names.get("group") == group and names.get("names", {}).get("kind") == kind:
                return dep, None
    return None


def golden_names() -> list[str]:
    """Every golden plan: both reference specs in every environment (tests/golden/*.plan.json)."""
    names = sorted(p.name.removesuffix(".plan.json") for p in GOLDEN.glob("*.plan.json"))
    assert len(names) >= 5, names
    return names


@cache
def golden(name: str) -> Any:
    from mlplat.stacks.plan.model import Plan

    return Plan.load(GOLDEN / f"{name}.plan.json")


@cache
def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def walk_exprs(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """(location, PromQL) for every `expr` string inside `value`, including dashboards stored as
    JSON strings (Grafana ConfigMaps)."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "expr" and isinstance(v, str):
                yield f"{where}.expr", v
            else:
                yield from walk_exprs(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk_exprs(v, f"{where}[{i}]")
    elif isinstance(value, str) and value.lstrip().startswith("{") and '"expr"' in value:
        yield from walk_exprs(json.loads(value), where)
