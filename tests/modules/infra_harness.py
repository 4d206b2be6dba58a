"""Run one AWS component under the offline engine's recording mocks, with a small query API."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlplat.modules.common import Context
from mlplat.stacks.plan.offline import run_program

OWNERSHIP_KEYS = {
    "mlplat:platform",
    "mlplat:environment",
    "mlplat:component",
    "mlplat:resource",
    "managed-by",
}


@dataclass
class Rec:
    urn: str
    type: str
    name: str
    parent: str
    inputs: dict[str, Any]
    protect: bool
    custom: bool
    provider: str = ""
    deps: list[str] = field(default_factory=list)


class Plan:
    def __init__(self, records: list[Rec]) -> None:
        self.records = records

    def of_type(self, type_: str) -> list[Rec]:
        return [r for r in self.records if r.type == type_]

    def one(self, type_: str, name: str | None = None) -> Rec:
        found = [r for r in self.of_type(type_) if name is None or r.name == name]
        assert len(found) == 1, f"expected one {type_} {name or ''}, got {[r.name for r in found]}"
        return found[0]

    def by_name(self, name: str) -> Rec:
        found = [r for r in self.records if r.name == name]
        assert len(found) == 1, f"expected one resource named {name}, got {len(found)}"
        return found[0]

    def names(self) -> list[str]:
        return [r.name for r in self.records]


def run(program: Callable[[], None]) -> Plan:
    """Run `program` under the offline engine's recording mocks (preview) and return what it registered."""
    resources = run_program(program, "mlplat", "test")
    return Plan([
        Rec(urn=r.urn, type=r.type, name=r.name, parent=r.parent or "", inputs=r.inputs, protect=r.protect,
            custom=r.custom, provider=r.provider or "", deps=list(r.dependencies))
        for r in resources
    ])


def context(spec_path: str | Path, env: str) -> tuple[Any, Context]:
    from mlplat.stacks import load_platform

    r = load_platform(spec_path, env)
    return r, Context.from_resolved(r)


def make_context(env: str = "dev", protect: bool = False, **kw: Any) -> Context:
    base: dict[str, Any] = {
        "platform": "churn",
        "env": env,
        "provider": "aws",
        "region": "us-east-1",
        "labels": {"cost-center": "ml-42"},
        "protect_stateful": protect,
        "force_destroy_buckets": not protect,
        "skip_final_snapshot": not protect,
        "kms_deletion_window_days": 30 if protect else 7,
    }
    base.update(kw)
    return Context(**base)


def taggable(type_token: str) -> bool:
    """Whether a pulumi-aws resource type takes a `tags` input (from its Python class signature)."""
    if not type_token.startswith("aws:"):
        return False
    mod, _, cls = type_token[len("aws:") :].partition(":")
    module = mod.split("/", 1)[0]
    pkg = importlib.import_module("pulumi_aws" if module == "index" else f"pulumi_aws.{module}")
    klass = getattr(pkg, cls)
    return "tags" in inspect.signature(klass._internal_init).parameters


def assert_ownership_tags(resources: Iterable[Any], component: str | None = None) -> int:
    """Every taggable aws resource carries the 5 ownership tags in its own `tags` input, naming
    itself in `mlplat:resource`. Returns how many were checked."""
    if isinstance(resources, Plan):
        resources = resources.records
    n = 0
    for r in resources:
        if not taggable(r.type):
            continue
        tags = r.inputs.get("tags")
        assert isinstance(tags, dict), f"{r.type} {r.name}: no tags input"
        missing = OWNERSHIP_KEYS - set(tags)
        assert not missing, f"{r.type} {r.name}: missing ownership tags {missing}"
        assert tags["mlplat:resource"] == r.name, f"{r.name}: mlplat:resource={tags['mlplat:resource']}"
        assert tags["managed-by"] == "mlplat"
        if component:
            assert tags["mlplat:component"] == component, r.name
        n += 1
    return n
