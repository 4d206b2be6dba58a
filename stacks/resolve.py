"""Load a spec file and resolve it for one environment (DESIGN section 3).

Order: built-in profile (`envs/<profile>.yaml`) → base spec → the environment's
overrides. Maps merge deeply, lists of objects with `name` merge by name, other lists
replace, `null` removes. Profile defaults only fill sections the spec declares, and
the `*_defaults` of a profile only fill keys a node pool or model leaves unset.
"""

from __future__ import annotations

import difflib
import typing
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import semantic
from .catalog import instance_type
from .errors import Diagnostic, Location, SpecError
from .spec import SECTION_KEYS, PlatformSpec
from .tree import LocationIndex, Node, load_yaml, merge, parse_yaml

ENV_KEYS = ("profile", "metadata") + SECTION_KEYS
NOT_OVERRIDABLE = ("apiVersion", "kind", "environments")


class Safety(BaseModel):
    model_config = ConfigDict(extra="forbid")
    protect_stateful: bool = False
    force_destroy_buckets: bool = False
    skip_final_snapshot: bool = False
    kms_deletion_window_days: int = 30


class Profile(BaseModel):
    """A built-in environment profile (envs/*.yaml)."""

    model_config = ConfigDict(extra="forbid")
    name: str = ""
    description: str = ""
    defaults: dict[str, Any] = Field(default_factory=dict)
    gpu_pool_defaults: dict[str, Any] = Field(default_factory=dict)
    model_defaults: dict[str, Any] = Field(default_factory=dict)
    safety: Safety = Field(default_factory=Safety)
    min_replicas: int = 1
    policy_levels: dict[str, str] = Field(default_factory=dict)


def builtin_profiles() -> list[str]:
    root = resources.files("mlplat.envs")
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml"))


@cache
def _profile_node(name: str) -> Node:
    text = (resources.files("mlplat.envs") / f"{name}.yaml").read_text(encoding="utf-8")
    return parse_yaml(text, f"<builtin>/envs/{name}.yaml")


@cache
def load_profile(name: str) -> Profile:
    return Profile.model_validate({"name": name, **_profile_node(name).plain()})


# --------------------------------------------------------------------------- documents


@dataclass
class SpecDocument:
    """A parsed spec file (not yet resolved)."""

    path: Path
    root: Node

    @property
    def display(self) -> str:
        return self.root.loc.file if self.root.loc else str(self.path)

    @property
    def environments(self) -> list[str]:
        envs = self.root.value.get("environments")
        if envs is not None and isinstance(envs.value, dict) and envs.value:
            return list(envs.value)
        return []

    def environment_names(self) -> list[str]:
        """Declared environments; a spec without any may use a built-in profile's name."""
        return self.environments or builtin_profiles()


@dataclass
class ResolvedPlatform:
    """One environment of a platform, fully merged and validated."""

    spec: PlatformSpec
    environment: str
    profile: Profile
    source: Path
    locations: LocationIndex = field(repr=False)

    @property
    def name(self) -> str:
        return self.spec.metadata.name

    @property
    def provider(self) -> str:
        return self.spec.target.provider

    @property
    def prefix(self) -> str:
        """`{platform}-{env}`: the stem of every physical name."""
        return f"{self.name}-{self.environment}"

    def physical_name(self, name: str) -> str:
        return f"{self.prefix}-{name}"

    def locate(self, path: tuple[str | int, ...]) -> tuple[Location | None, str]:
        """Where in the spec (file, line) a resolved path was written."""
        return self.locations.locate(path)


def load_spec(path: str | Path) -> SpecDocument:
    p = Path(path)
    return SpecDocument(p, load_yaml(p, str(path)))


# --------------------------------------------------------------------------- resolution


def resolve(doc: SpecDocument, env: str) -> ResolvedPlatform:
    """Resolve and validate one environment; raises SpecError with every problem found."""
    if doc.environments and env not in doc.environments:
        raise SpecError([_unknown_env(doc, env)])
    if not doc.environments and env not in builtin_profiles():
        raise SpecError([_unknown_env(doc, env)])
    diags: list[Diagnostic] = []
    resolved = _resolve(doc, env, diags)
    if diags or resolved is None:
        raise SpecError(diags)
    return resolved


def validate(doc: SpecDocument) -> dict[str, ResolvedPlatform]:
    """Validate the base spec and every declared environment; all errors at once."""
    diags: list[Diagnostic] = []
    out: dict[str, ResolvedPlatform] = {}
    envs = doc.environments
    _check_env_block(doc, diags)
    if not envs:
        r = _resolve(doc, None, diags)
        if r is not None and not diags:
            out["default"] = r
    for env in envs:
        r = _resolve(doc, env, diags)
        if r is not None:
            out[env] = r
    if diags:
        raise SpecError(_fold_envs(diags))
    return out


def load_platform(path: str | Path, env: str) -> ResolvedPlatform:
    """Parse, resolve and validate `path` for `env` (the common entry point)."""
    return resolve(load_spec(path), env)


def _unknown_env(doc: SpecDocument, env: str) -> Diagnostic:
    names = doc.environment_names()
    close = difflib.get_close_matches(env, names, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    envs_node = doc.root.value.get("environments")
    return Diagnostic(
        envs_node.key_loc if envs_node else None,
        "environments",
        f"unknown environment {env!r} (defined: {', '.join(names)}){hint}",
    )


def _fold_envs(diags: list[Diagnostic]) -> list[Diagnostic]:
    """The same error in several environments is reported once, naming them."""
    folded: dict[tuple[Any, str, str], set[str]] = {}
    for d in diags:
        key = (d.location, d.path, d.message)
        folded.setdefault(key, set()).update(d.environments)
    out = []
    for (loc, path, msg), envs in folded.items():
        out.append(Diagnostic(loc, path, msg, tuple(sorted(envs))))
    return out


def _check_env_block(doc: SpecDocument, diags: list[Diagnostic]) -> None:
    envs = doc.root.value.get("environments")
    if envs is None or envs.value is None:
        return
    if not isinstance(envs.value, dict):
        diags.append(Diagnostic(envs.loc, "environments", "expected a mapping of environment name → overrides"))
        return
    import re

    for name, node in envs.value.items():
        if not re.match(r"^[a-z][a-z0-9-]{0,14}$", name):
            diags.append(
                Diagnostic(
                    node.key_loc, f"environments.{name}", "environment names are lowercase DNS labels (max 15 chars)"
                )
            )


def _env_override(doc: SpecDocument, env: str, diags: list[Diagnostic]) -> tuple[Node | None, str | None]:
    envs = doc.root.value.get("environments")
    node = envs.value.get(env) if envs is not None and isinstance(envs.value, dict) else None
    profiles = builtin_profiles()
    default_profile = env if env in profiles else None
    if node is None or node.value is None:
        return None, default_profile
    if not isinstance(node.value, dict):
        diags.append(Diagnostic(node.loc, f"environments.{env}", "expected a mapping of overrides", (env,)))
        return None, default_profile
    profile = default_profile
    over: dict[str, Node] = {}
    for key, child in node.value.items():
        path = f"environments.{env}.{key}"
        if key == "profile":
            if child.value is None:
                profile = None
            elif not isinstance(child.value, str) or child.value not in profiles:
                close = difflib.get_close_matches(str(child.value), profiles, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                diags.append(
                    Diagnostic(
                        child.loc, path, f"unknown profile {child.value!r} (built-in: {', '.join(profiles)}){hint}"
                    )
                )
            else:
                profile = child.value
        elif key in NOT_OVERRIDABLE:
            diags.append(Diagnostic(child.key_loc, path, f"{key} cannot be overridden per environment"))
        elif key not in ENV_KEYS:
            close = difflib.get_close_matches(key, ENV_KEYS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            diags.append(
                Diagnostic(child.key_loc, path, f"unknown key {key!r} in an environment override{hint}")
            )
        else:
            over[key] = child
    return Node(over, node.loc, node.src_path, node.key_loc), profile


def _resolve(doc: SpecDocument, env: str | None, diags: list[Diagnostic]) -> ResolvedPlatform | None:
    root = doc.root
    over, profile_name = _env_override(doc, env, diags) if env else (None, None)
    base = Node({k: v for k, v in root.value.items() if k != "environments"}, root.loc, (), None)
    declared = set(base.value) | (set(over.value) if over else set())
    merged: Node = base
    if profile_name:
        pnode = _profile_node(profile_name).value.get("defaults")
        if pnode is not None and isinstance(pnode.value, dict):
            defaults = Node({k: v for k, v in pnode.value.items() if k in declared}, pnode.loc, ())
            merged = merge(defaults, base)
    if over is not None:
        merged = merge(merged, over, keep_base_loc=True)
    if profile_name:
        _apply_item_defaults(merged, profile_name)

    index = LocationIndex.of(merged)
    data = merged.plain()
    try:
        spec = PlatformSpec.model_validate(data)
    except ValidationError as exc:
        diags.extend(_pydantic_diagnostics(exc, index, data, env))
        return None
    issues = semantic.check(spec, env)
    if issues:
        diags.extend(index.diagnostic(path, msg, env=env) for path, msg in issues)
        return None
    profile = load_profile(profile_name) if profile_name else Profile(name="")
    return ResolvedPlatform(spec, env or "default", profile, doc.path, index)


def _apply_item_defaults(merged: Node, profile_name: str) -> None:
    pnode = _profile_node(profile_name).value

    def fill(container: Node | None, defaults_key: str, select: Any) -> None:
        dnode = pnode.get(defaults_key)
        if container is None or dnode is None or not isinstance(dnode.value, dict) or not dnode.value:
            return
        if not isinstance(container.value, list):
            return
        for i, item in enumerate(container.value):
            if isinstance(item.value, dict) and select(item):
                filled = merge(Node(dict(dnode.value), dnode.loc, ()), item)
                item.value = filled.value

    def section(*keys: str) -> Node | None:
        node: Node | None = merged
        for k in keys:
            if node is None or not isinstance(node.value, dict):
                return None
            node = node.value.get(k)
        return node

    def is_gpu_pool(item: Node) -> bool:
        if "gpu" in item.value:
            return True
        it = item.value.get("instance_type")
        spec_it = instance_type(it.value) if it is not None and isinstance(it.value, str) else None
        return bool(spec_it and spec_it.gpus)

    fill(section("cluster", "node_pools"), "gpu_pool_defaults", is_gpu_pool)
    fill(section("serving", "models"), "model_defaults", lambda item: True)

    # The profile's replica floor (prod: 2) wins over smaller values: that is its promise.
    floor_node = pnode.get("min_replicas")
    floor = floor_node.value if floor_node is not None and isinstance(floor_node.value, int) else 1
    if floor > 1:
        tracking = section("tracking")
        if tracking is not None and isinstance(tracking.value, dict):
            reps = tracking.value.get("replicas")
            if reps is None or (isinstance(reps.value, int) and reps.value < floor):
                tracking.value["replicas"] = Node(floor, floor_node.loc, ("min_replicas",))
        models = section("serving", "models")
        for item in models.value if models is not None and isinstance(models.value, list) else []:
            reps = item.value.get("replicas") if isinstance(item.value, dict) else None
            if reps is None or not isinstance(reps.value, dict):
                continue
            lo = reps.value.get("min")
            if lo is not None and isinstance(lo.value, int) and lo.value < floor:
                reps.value["min"] = Node(floor, floor_node.loc, ("min_replicas",))
                hi = reps.value.get("max")
                if hi is not None and isinstance(hi.value, int) and hi.value < floor:
                    reps.value["max"] = Node(floor, floor_node.loc, ("min_replicas",))


# --------------------------------------------------------------------------- pydantic → located errors


def _pydantic_diagnostics(
    exc: ValidationError, index: LocationIndex, data: Any, env: str | None
) -> list[Diagnostic]:
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        # Tagged-union members add their tag to the loc ('target', 'aws', 'region'): drop it.
        path = tuple(p for i, p in enumerate(loc) if not (i > 0 and loc[i - 1] == "target" and p in ("aws", "kubernetes")))
        kind = err["type"]
        msg = _message(err, path, data)
        # A missing key is located at its parent (the nearest node that exists).
        out.append(index.diagnostic(path, msg, key=kind == "extra_forbidden", env=env))
    return out


def _message(err: Any, path: tuple[Any, ...], data: Any) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    inp = err.get("input")
    if kind == "extra_forbidden":
        allowed = _allowed_keys(path[:-1], data)
        key = str(path[-1])
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown key {key!r}{hint} (allowed: {', '.join(allowed)})"
    if kind == "missing":
        return f"missing required key {path[-1]!r}"
    if kind in ("literal_error", "enum"):
        expected = [e.strip().strip("'") for e in str(ctx.get("expected", "")).replace(" or ", ",").split(",")]
        expected = [e for e in expected if e]
        close = difflib.get_close_matches(str(inp), expected, n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        what = "kind" if path and path[-1] == "kind" else "value"
        return f"unsupported {what} {inp!r}{hint} (supported: {', '.join(expected)})"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tags = [t.strip().strip("'") for t in str(ctx.get("expected_tags", "")).split(",")]
        if kind == "union_tag_not_found":
            return f"missing required key 'provider' (one of: {', '.join(tags)})"
        tag = ctx.get("tag")
        close = difflib.get_close_matches(str(tag), tags, n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unsupported provider {tag!r}{hint} (supported: {', '.join(tags)})"
    if kind.endswith("_type") or kind.endswith("_parsing") or kind == "model_attributes_type":
        expected = _TYPE_NAMES.get(kind, kind.replace("_type", "").replace("_parsing", ""))
        got = _type_name(inp)
        hint = ""
        if kind == "string_type" and isinstance(inp, (int, float)) and not isinstance(inp, bool):
            hint = f" (quote it: \"{inp}\")"
        return f"expected {expected}, got {got}{hint}"
    if kind == "value_error":
        return str(err["msg"]).removeprefix("Value error, ")
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        op = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}[kind]
        bound = next(iter(ctx.values()), "?")
        return f"must be {op} {bound} (got {inp})"
    if kind == "string_pattern_mismatch":
        return f"does not match the expected form {ctx.get('pattern')!r}"
    if kind in ("string_too_short", "too_short"):
        return "must not be empty"
    return str(err["msg"])


_TYPE_NAMES = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "date_type": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
}


def _type_name(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, (int, float)):
        return f"a number ({v})"
    if isinstance(v, str):
        return "a string"
    return type(v).__name__


def _allowed_keys(path: tuple[Any, ...], data: Any) -> list[str]:
    """Field names of the model found at `path` (for did-you-mean)."""
    model: Any = PlatformSpec
    node = data
    for part in path:
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and part < len(node) else None
            continue
        ann = model.model_fields[part].annotation if part in model.model_fields else None
        node = node.get(part) if isinstance(node, dict) else None
        model = _model_of(ann, node)
        if model is None:
            return []
    return list(model.model_fields)


def _model_of(ann: Any, node: Any) -> Any:
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if origin is typing.Annotated:
        return _model_of(args[0], node)
    if origin in (Union, getattr(__import__("types"), "UnionType", Union)):
        members = [_model_of(a, node) for a in args if a is not type(None)]
        members = [m for m in members if m is not None]
        for m in members:
            prov = m.model_fields.get("provider")
            if prov is not None and isinstance(node, dict) and node.get("provider") in typing.get_args(prov.annotation):
                return m
        return members[0] if members else None
    if origin in (list, dict):
        return _model_of(args[-1], None)
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    return None


__all__ = [
    "Profile", "ResolvedPlatform", "Safety", "SpecDocument", "builtin_profiles", "load_platform",
    "load_profile", "load_spec", "resolve", "validate",
]  # fmt: skip
