"""The Pulumi state side of drift: find the checkpoint, turn it into a plan, list pending changes."""


from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlplat.stacks.drift.model import CREATE, DELETE, UPDATE, LiveRef, PendingChange, Target, known, norm
from mlplat.stacks.plan.model import SECRET, Plan, PlanResource

if TYPE_CHECKING:
    from mlplat.stacks.platform_spec.resolve import ResolvedPlatform



# --------------------------------------------------------------------------- Pulumi state (spec vs state)


def state_dir(resolved: ResolvedPlatform) -> Path | None:
    """The directory of the environment's file backend: the engine's choice (PULUMI_BACKEND_URL,
    else `.mlplat/state` beside the spec); None for a remote backend (not read here)."""
    from mlplat.stacks.errors import MlplatError

    try:
        from mlplat.stacks.engine.settings import resolve_backend

        return resolve_backend(resolved.source).local_dir
    except ImportError:  # pragma: no cover - the engine ships with mlplat
        return Path(resolved.source).resolve().parent / ".mlplat" / "state"
    except MlplatError:  # a malformed PULUMI_BACKEND_URL: `up` reports it; drift just has no state
        return None


def state_candidates(resolved: ResolvedPlatform) -> list[Path]:
    """Where the file backend keeps this environment's checkpoint: `.pulumi/stacks/<project>/<stack>.json`."""
    base = state_dir(resolved)
    if base is None:
        return []
    root = base / ".pulumi" / "stacks" / resolved.name
    names = dict.fromkeys([resolved.prefix, resolved.environment])  # stack `{platform}-{env}` (engine.stack_name)
    return [root / f"{n}{ext}" for n in names for ext in (".json", ".json.gz")]


def find_state(resolved: ResolvedPlatform) -> Path | None:
    return next((p for p in state_candidates(resolved) if p.is_file()), None)


def load_state(path: Path) -> list[dict[str, Any]]:
    """The resources of a Pulumi file-backend checkpoint (`{version, checkpoint: {latest: {resources}}}`)."""
    from mlplat.stacks.errors import MlplatError

    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        data = json.loads(raw)
    except (OSError, ValueError) as exc:
        raise MlplatError(f"cannot read the Pulumi state {path}: {exc}") from None
    cp = data.get("checkpoint", data) if isinstance(data, dict) else {}
    latest = (cp or {}).get("latest") or {}
    return [r for r in latest.get("resources") or [] if isinstance(r, dict)]


def _state_value(v: Any) -> Any:
    """State secrets are ciphertext objects: treat them like plan secrets (never compared)."""
    if isinstance(v, dict):
        if v.get("4dabf18193072939515e22adb298388d") == "1b47061264138c4ac30d75fd1eb44270":
            return SECRET
        return {k: _state_value(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_state_value(x) for x in v]
    return v


def _urn_tail(urn: str) -> str:
    """`<type>::<name>`: what plan and state agree on. Not the stack or project, and not the
    parent type chain either: the offline plan's URNs keep only the immediate parent's type,
    the engine's the whole chain (see engine.engine_urn)."""
    parts = urn.split("::", 3)
    if len(parts) < 4:
        return urn
    return f"{parts[2].rsplit('$', 1)[-1]}::{parts[3]}"


def state_plan(resources: list[dict[str, Any]], platform: str, env: str) -> tuple[Plan, dict[str, dict[str, Any]]]:
    """State resources as a Plan (inputs, dependencies), plus urn → outputs for id lookups."""
    res = []
    outputs: dict[str, dict[str, Any]] = {}
    for r in resources:
        t = r.get("type", "")
        if t.startswith("pulumi:pulumi:Stack"):
            continue
        urn = r.get("urn", "")
        res.append(
            PlanResource(urn=urn, type=t, name=urn.rsplit("::", 1)[-1], parent=r.get("parent"), component=None,
                         inputs=_state_value(r.get("inputs") or {}), custom=bool(r.get("custom", False)),
                         dependencies=list(r.get("dependencies") or []))
        )  # fmt: skip
        outputs[urn] = {"id": r.get("id"), **(r.get("outputs") or {})}
    return Plan(platform, env, res, "aws"), outputs


def pending_changes(plan: Plan, state: Plan, target_builder: Callable[[Plan], list[Target]]) -> list[PendingChange]:
    """Resources to create or delete, and controlled attributes whose spec value differs from state."""
    def managed(p: Plan) -> dict[str, PlanResource]:
        return {_urn_tail(r.urn): r for r in p.custom_resources()}

    planned, stated = managed(plan), managed(state)
    out: list[PendingChange] = []
    for tail in sorted(planned.keys() - stated.keys()):
        r = planned[tail]
        out.append(PendingChange(CREATE, _display_name(r), r.type, r.name))
    for tail in sorted(stated.keys() - planned.keys()):
        r = stated[tail]
        out.append(PendingChange(DELETE, _display_name(r), r.type, r.name))
    st_targets = {(t.kind, _urn_tail(t.urn)): t for t in target_builder(state)}
    for t in target_builder(plan):
        s = st_targets.get((t.kind, _urn_tail(t.urn)))
        if s is None:
            continue
        s_checks = {c.attribute: c for c in s.checks}
        for c in t.checks:
            sc = s_checks.get(c.attribute)
            if sc is None or _has_ref(c.expected) or _has_ref(sc.expected):
                continue  # computed on one side (a key ARN): nothing the spec alone decides
            # Both sides are expectations (no live value): plain equality, not the live matcher.
            if norm(c.expected) != norm(sc.expected):
                out.append(PendingChange(UPDATE, t.resource, t.type, t.logical_name, c.attribute, norm(c.expected),
                                         norm(sc.expected)))  # fmt: skip
    return out


def _has_ref(v: Any) -> bool:
    if isinstance(v, LiveRef):
        return True
    if isinstance(v, dict):
        return any(_has_ref(x) for x in v.values())
    if isinstance(v, list):
        return any(_has_ref(x) for x in v)
    return False


def _display_name(r: PlanResource) -> str:
    """The physical name when the inputs carry one, else the logical name."""
    for key in ("bucket", "identifier", "replicationGroupId", "nodeGroupName", "name"):
        v = r.inputs.get(key)
        if isinstance(v, str) and known(v) and v:
            return v
    meta = r.inputs.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("name"), str):
        ns = meta.get("namespace")
        return f"{ns}/{meta['name']}" if ns else str(meta["name"])
    return r.name


__all__ = ["find_state", "load_state", "pending_changes", "state_plan"]
