"""The engine's inline program under Pulumi mocks: the same resources as the offline plan, and
the stack's `aws:*` config reaching the program's explicit provider (how the integration
tests tune it for moto), but never the operator's own settings (profile, endpoints).

No Pulumi CLI: the program runs in-process against Pulumi's mock monitor, as the offline
engine does (fresh event loop, runtime settings reset afterwards).
"""

from __future__ import annotations

import asyncio
from typing import Any

from mlplat.stacks import engine
from mlplat.stacks.plan.offline import _RUN_LOCK, run_offline
from mlplat.stacks.platform_spec.resolve import load_platform


def _run_program(program, project: str, stack: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(type, name, inputs) of every resource the program registers under mocks."""
    import pulumi.runtime as rt
    from pulumi.runtime import settings
    from pulumi.runtime.mocks import Mocks
    from pulumi.runtime.stack import wait_for_rpcs

    seen: list[tuple[str, str, dict[str, Any]]] = []

    class Recording(Mocks):
        def new_resource(self, args):
            seen.append((args.typ, args.name, dict(args.inputs)))
            return "", dict(args.inputs)

        def call(self, args):
            # The program reads the deploying account (S3 bucket names carry it): answer as STS would.
            if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
                return {"accountId": "123456789012", "arn": "arn:aws:iam::123456789012:root", "userId": "x"}, []
            return {}, []

    with _RUN_LOCK:  # the Pulumi runtime is process-global
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            settings.reset_options(project=project, stack=stack, preview=True)
            rt.set_mocks(Recording(), project=project, stack=stack, preview=True)
            program()
            loop.run_until_complete(wait_for_rpcs())
        finally:
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()
            settings.ROOT.set(None)
            asyncio.set_event_loop(None)
    return seen


def test_inline_program_forwards_stack_config_to_the_explicit_provider(storage_spec):
    resolved = load_platform(storage_spec, "dev")
    config = engine.stack_config(resolved, {
        "aws:skipCredentialsValidation": "true",
        "aws:s3UsePathStyle": "true",
    })
    seen = _run_program(engine.make_program(resolved, config), resolved.name, engine.stack_name(resolved))
    providers = [inputs for typ, name, inputs in seen if typ == "pulumi:providers:aws"]
    assert len(providers) == 1
    p = providers[0]
    assert p["region"] == "us-east-1"
    assert p["skipCredentialsValidation"] == "true" and p["s3UsePathStyle"] == "true"


def test_operator_config_never_becomes_an_input_of_the_explicit_provider(storage_spec, monkeypatch):
    # Provider inputs are what the state keeps and what destroy/refresh reuse without running
    # the program. Even stack config an earlier mlplat saved (aws:profile, aws:endpoints) must
    # not get there; the provider plugin reads AWS_PROFILE / AWS_ENDPOINT_URL_* itself.
    monkeypatch.setenv("AWS_PROFILE", "ops")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:4566")
    resolved = load_platform(storage_spec, "dev")
    config = {**engine.stack_config(resolved), "aws:profile": "ops",
              "aws:endpoints": '[{"s3": "http://127.0.0.1:5000"}]', "aws:skipCredentialsValidation": "true"}
    seen = _run_program(engine.make_program(resolved, config), resolved.name, engine.stack_name(resolved))
    (p,) = [inputs for typ, name, inputs in seen if typ == "pulumi:providers:aws"]
    assert "profile" not in p and "endpoints" not in p
    assert "ops" not in repr(p) and "4566" not in repr(p)  # nor from the environment
    assert p["skipCredentialsValidation"] == "true"  # other config still reaches it


def test_inline_program_registers_what_the_offline_plan_shows(storage_spec):
    # preview/up/destroy act on the resources the offline plan (and teardown summary) describes
    resolved = load_platform(storage_spec, "prod")
    config = engine.stack_config(resolved)
    seen = _run_program(engine.make_program(resolved, config), resolved.name, engine.stack_name(resolved))
    plan = run_offline(resolved)
    # (mocks see components and the explicit provider too, like the plan)
    assert sorted((t, n) for t, n, _ in seen) == sorted((r.type, r.name) for r in plan.resources)
