"""The plan rules as a Pulumi CrossGuard policy pack (`pulumi preview --policy-pack DIR`).

Per-resource plan rules become `ResourceValidationPolicy`s, graph rules (`stack = True`)
`StackValidationPolicy`s; both run the very same rule code on a Plan built from what the
analyzer hands over (type, name, urn, props with wire names, parent, dependencies). Spec rules
need the mlplat spec and stay with `mlplat policy`.

The environment a rule sees comes from the resources' `mlplat:environment` tag (or the
`mlplat.io/environment` label), else from the pack's baked-in default.

Never construct `PolicyPack` in-process outside the generated pack: it starts a gRPC server.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from mlplat.stacks.plan.model import UNKNOWN, Plan, PlanResource
from mlplat.stacks.plan.offline import UNKNOWN_WIRE

from .base import LevelResolver, PlanContext, PlanRule, all_rules
from .locate import component_of

PACK_NAME = "mlplat"


def plain_props(value: Any) -> Any:
    """Analyzer props (proxies, unknown markers, assets) → plain plan-style values."""
    if isinstance(value, Mapping):
        return {str(k): plain_props(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_props(v) for v in value]
    if value == UNKNOWN_WIRE:
        return UNKNOWN
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _component(res: PlanResource) -> str | None:
    return component_of(None, res)


def resource_from_args(args: Any) -> PlanResource:
    """A PlanResource from ResourceValidationArgs (no graph: parent only)."""
    opts = getattr(args, "opts", None)
    res = PlanResource(
        urn=args.urn,
        type=args.resource_type,
        name=args.name,
        parent=getattr(opts, "parent", None),
        component=None,
        inputs=plain_props(args.props),
        protect=bool(getattr(opts, "protect", False)),
    )
    res.component = _component(res)
    return res


def plan_from_stack(args: Any) -> Plan:
    """A Plan from StackValidationArgs: every resource with its parent and dependencies."""
    resources = []
    for r in args.resources:
        parent = getattr(r, "parent", None)
        opts = getattr(r, "opts", None)
        res = PlanResource(
            urn=r.urn,
            type=r.resource_type,
            name=r.name,
            parent=parent.urn if parent is not None else None,
            component=None,
            inputs=plain_props(r.props),
            dependencies=[d.urn for d in getattr(r, "dependencies", None) or []],
            protect=bool(getattr(opts, "protect", False)),
        )
        res.component = _component(res)
        resources.append(res)
    platform = next((r.tags.get("mlplat:platform") for r in resources if r.tags.get("mlplat:platform")), "")
    provider = "aws" if any(r.is_aws for r in resources) else "kubernetes"
    return Plan(str(platform), environment_of(resources, ""), resources, provider)


def environment_of(resources: list[PlanResource], default: str) -> str:
    for r in resources:
        env = r.tags.get("mlplat:environment") or r.labels.get("mlplat.io/environment")
        if isinstance(env, str) and env:
            return env
    return default


def _resource_validate(rule: type[PlanRule], default_env: str) -> Callable[[Any, Any], None]:
    def validate(args: Any, report_violation: Any) -> None:
        res = resource_from_args(args)
        if not rule().applies(res):
            return
        env = environment_of([res], default_env)
        plan = Plan(
            str(res.tags.get("mlplat:platform", "")), env, [res], "aws" if res.is_aws else "kubernetes"
        )
        for msg in rule().check_resource(res, PlanContext(plan, env)):
            report_violation(f"{rule.id}: {msg}", None)

    return validate


def _stack_validate(rule: type[PlanRule], default_env: str) -> Callable[[Any, Any], None]:
    def validate(args: Any, report_violation: Any) -> None:
        plan = plan_from_stack(args)
        env = plan.environment or default_env
        for v in rule().check(PlanContext(plan, env)):
            report_violation(f"{rule.id}: {v.message}", v.urn)

    return validate


def exported_rules() -> list[type[PlanRule]]:
    return [r for r in all_rules() if issubclass(r, PlanRule) and r.crossguard]


def policies(levels: Mapping[str, str] | None = None, environment: str = "") -> list[Any]:
    """The CrossGuard policies (requires pulumi_policy). `levels`: policy id → enforcement level
    (defaults: each rule's default level)."""
    from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy

    levels = levels or {}
    out: list[Any] = []
    for rule in exported_rules():
        level = EnforcementLevel(levels.get(rule.id, rule.default_level))
        common: dict[str, Any] = {
            "name": rule.id,
            "description": rule.name,
            "enforcement_level": level,
            "remediation_steps": rule.remediation or None,
            "tags": ["mlplat", rule.area()],
        }
        if rule.stack:
            out.append(StackValidationPolicy(validate=_stack_validate(rule, environment), **common))
        else:
            out.append(ResourceValidationPolicy(validate=_resource_validate(rule, environment), **common))
    return out


# --------------------------------------------------------------------------- the pack on disk

MAIN_TEMPLATE = '''"""mlplat policy pack: the plan rules of `mlplat policy`, for `pulumi preview --policy-pack`.

Generated by `mlplat policy export-pack` (ORIGIN below). Regenerate rather than edit.
"""

import json

from pulumi_policy import PolicyPack

from mlplat.policies.crossguard import policies

ORIGIN = {origin!r}
LEVELS = json.loads({levels!r})
ENVIRONMENT = {environment!r}

PolicyPack(name={name!r}, policies=policies(LEVELS, ENVIRONMENT))
'''


def export_pack(
    directory: str | Path,
    levels: Mapping[str, str] | None = None,
    environment: str = "",
    origin: str = "",
    *,
    force: bool = True,
) -> list[Path]:
    """Write PulumiPolicy.yaml, __main__.py and requirements.txt as the folder `directory`."""
    from mlplat import __version__

    from mlplat.stacks.safe_io import write_tree

    files: dict[str, str | bytes] = {
        "PulumiPolicy.yaml": "runtime: python\n"
        f"description: mlplat plan rules ({len(exported_rules())} policies) as a CrossGuard policy pack\n",
        "__main__.py": MAIN_TEMPLATE.format(
            origin=origin,  # a repr()'d literal: a spec path with quotes cannot become code
            levels=json.dumps(dict(sorted((levels or {}).items()))),
            environment=environment,
            name=PACK_NAME,
        ),
        "requirements.txt": f"mlplat>={__version__}\npulumi-policy>=1.21,<2\n",
    }
    # One folder, renamed into place; --force semantics as `render` (replaces an earlier pack).
    return write_tree(directory, files, force=force)


def resolved_levels(resolver: LevelResolver) -> dict[str, str]:
    """Effective level of every exported rule under a profile/spec level resolver."""
    return {r.id: resolver.level(r) for r in exported_rules()}


__all__ = [
    "export_pack", "exported_rules", "plain_props", "plan_from_stack", "policies", "resolved_levels",
    "resource_from_args",
]  # fmt: skip
