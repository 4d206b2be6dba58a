"""A small recording Pulumi mock harness for the AWS component tests.

Runs a program function in-process under `pulumi.runtime.set_mocks` with a monitor that records
every RegisterResource request (type, name, parent, inputs with unknowns kept, protect), in a fresh
event loop with the settings reset between runs (DESIGN 6). Independent of the platform-wide
offline engine so the components can be tested on their own.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from mlplat.modules.common import Context
from pulumi.runtime import mocks as pmocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.stack import run_pulumi_func

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


class _Mocks(pmocks.Mocks):
    def new_resource(self, args: pmocks.MockResourceArgs) -> tuple[str | None, dict]:
        # Preview: outputs that are not inputs stay unknown (as in a real first preview).
        state = dict(args.inputs)
        if args.typ.startswith("random:index/random"):
            state.setdefault("result", "offline-generated-secret")
        return (f"{args.name}-id" if args.custom else None), state

    def call(self, args: pmocks.MockCallArgs) -> tuple[dict, list[tuple[str, str]] | None]:
        return {}, None


class _Recorder(pmocks.MockMonitor):
    def __init__(self) -> None:
        super().__init__(_Mocks())
        self.records: list[Rec] = []

    def RegisterResource(self, request: Any) -> Any:
        if request.type != "pulumi:pulumi:Stack":
            inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
            self.records.append(
                Rec(
                    urn=self.make_urn(request.parent, request.type, request.name),
                    type=request.type,
                    name=request.name,
                    parent=request.parent,
                    inputs=_plain(inputs),
                    protect=bool(request.protect),
                    custom=bool(request.custom),
                    provider=request.provider,
                    deps=list(request.dependencies),
                )
            )
        return super().RegisterResource(request)


def _plain(v: Any) -> Any:
    if v is rpc.UNKNOWN or type(v).__name__ == "Unknown":
        return "<unknown>"
    if isinstance(v, dict):
        if v.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return "<secret>"
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


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
    """Run `program` under mocks (preview) and return what it registered."""
    monitor = _Recorder()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        settings.reset_options(project="mlplat", stack="test", preview=True)
        pulumi.runtime.set_mocks(_Mocks(), project="mlplat", stack="test", preview=True, monitor=monitor)
        settings.SETTINGS.rpc_manager.clear()
        loop.run_until_complete(run_pulumi_func(program))
    finally:
        settings.reset_options()
        asyncio.set_event_loop(None)
        loop.close()
    return Plan(monitor.records)


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
