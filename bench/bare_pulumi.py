"""The floor: a bare Pulumi mocks program registering the resources of a plan, without mlplat.

    python bench/bare_pulumi.py PLAN.json              # one run, as a whole process
    python bench/bare_pulumi.py PLAN.json --runs 3     # + in-process seconds of each run (JSON line)

PLAN.json is `mlplat preview … --format json`. Every resource is registered with the same type,
name, parent, provider, dependencies and inputs (plan JSON: wire names, "<unknown>"/"<secret>"
markers as plain strings) through the stock SDK: `pulumi.runtime.set_mocks` with its own
MockMonitor and a Mocks that echoes inputs, default executor, garbage collector on. Custom
resources are generic `pulumi.CustomResource` (no typed Args classes), components
`pulumi.ComponentResource`, providers `pulumi.ProviderResource`. No mlplat import.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any


def register(resources: list[dict[str, Any]]) -> int:
    import pulumi

    by_urn = {r["urn"]: r for r in resources}
    made: dict[str, pulumi.Resource] = {}

    def make(urn: str) -> pulumi.Resource | None:
        if urn in made:
            return made[urn]
        r = by_urn.get(urn)
        if r is None:  # the root stack, or a reference outside the plan
            return None
        parent = make(r["parent"]) if r.get("parent") else None
        provider = make(r["provider"]) if r.get("provider") else None
        deps = [d for d in (make(u) for u in r.get("dependencies") or []) if d is not None]
        opts = pulumi.ResourceOptions(parent=parent, depends_on=deps or None,
                                      provider=provider if isinstance(provider, pulumi.ProviderResource) else None)
        typ, name, inputs = r["type"], r["name"], dict(r.get("inputs") or {})
        res: pulumi.Resource
        if typ.startswith("pulumi:providers:"):
            res = pulumi.ProviderResource(typ.split(":")[2], name, inputs, opts)
        elif r.get("custom", True):
            res = pulumi.CustomResource(typ, name, inputs, opts)
        else:
            res = pulumi.ComponentResource(typ, name, None, opts)
        made[urn] = res
        return res

    for urn in by_urn:
        make(urn)
    return len(made)


def run_once(resources: list[dict[str, Any]]) -> float:
    import pulumi
    from pulumi.runtime import settings
    from pulumi.runtime.stack import wait_for_rpcs

    class EchoMocks(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
            return "", dict(args.inputs)

        def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]]]:
            return {}, []

    t = time.perf_counter()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        settings.reset_options(project="bench", stack="bench", preview=True)
        pulumi.runtime.set_mocks(EchoMocks(), project="bench", stack="bench", preview=True)
        register(resources)
        loop.run_until_complete(wait_for_rpcs())
    finally:
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
        settings.ROOT.set(None)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("plan")
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    with open(args.plan, encoding="utf-8") as f:
        resources = json.load(f)["resources"]
    seconds = [run_once(resources) for _ in range(args.runs)]
    if args.runs > 1:
        print(json.dumps({"resources": len(resources), "seconds": seconds}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
