"""Load a spec file and resolve it for one environment (DESIGN section 3).

Order: built-in profile (`envs/<profile>.yaml`) → base spec → the environment's
overrides. Maps merge deeply, lists of objects with `name` merge by name, other lists
replace, `null` removes. Profile defaults only fill sections the spec declares, and
the `*_defaults` of a profile only fill keys a node pool or model leaves unset.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import re
import types
import typing
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import semantic
from .catalog import instance_type
from .errors import Diagnostic, Location, SpecError, format_path
from .spec import SECTION_KEYS, AwsTarget, KubernetesTarget, PlatformSpec, SecretRef
from .tree import LocationIndex, Node, Path_, load_yaml, merge, parse_yaml

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


_PROMOTION_ORDER = ("dev", "staging", "prod")


def builtin_profiles() -> list[str]:
    """Built-in profile names in promotion order (dev, staging, prod, then any others)."""
    root = resources.files("mlplat.envs")
    names = [p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml")]
    rank = {n: i for i, n in enumerate(_PROMOTION_ORDER)}
    return sorted(names, key=lambda n: (rank.get(n, len(rank)), n))


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
        raise SpecError(_fold_envs(diags, [env]))
    return resolved


def validate(doc: SpecDocument) -> dict[str, ResolvedPlatform]:
    """Validate every environment `--env` accepts, all errors at once.

    Those are the declared environments or, for a spec that declares none, the built-in
    profiles' names (dev, staging, prod): what validates is exactly what previews.
    """
    diags: list[Diagnostic] = []
    out: dict[str, ResolvedPlatform] = {}
    envs = doc.environment_names()
    _check_env_block(doc, diags)
    for env in envs:
        r = _resolve(doc, env, diags)
        if r is not None:
            out[env] = r
    if diags:
        raise SpecError(_fold_envs(diags, envs))
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
        (envs_node.key_loc or envs_node.loc) if envs_node else doc.root.loc,
        "environments",
        f"unknown environment {env!r} (defined: {', '.join(names)}){hint}",
    )


def _fold_envs(diags: list[Diagnostic], checked: list[str]) -> list[Diagnostic]:
    """The same error in several environments is reported once, naming them.

    An error found in every checked environment is an error of the spec itself, and one
    inside `environments.<env>` already names its environment: neither gets a suffix.
    """
    folded: dict[tuple[Any, str, str], set[str]] = {}
    for d in diags:
        key = (d.location, d.path, d.message)
        folded.setdefault(key, set()).update(d.environments)
    out = []
    for (loc, path, msg), envs in folded.items():
        own_block = len(envs) == 1 and (path + ".").startswith(f"environments.{next(iter(envs))}.")
        if envs >= set(checked) or own_block:
            envs = set()
        out.append(Diagnostic(loc, path, msg, tuple(sorted(envs, key=_env_order(checked)))))
    return out


def _env_order(checked: list[str]) -> Any:
    return lambda e: (checked.index(e) if e in checked else len(checked), e)


def _check_env_block(doc: SpecDocument, diags: list[Diagnostic]) -> None:
    envs = doc.root.value.get("environments")
    if envs is None or envs.value is None:
        return
    if not isinstance(envs.value, dict):
        diags.append(
            Diagnostic(
                envs.loc,
                "environments",
                f"expected a mapping of environment name → overrides, got {_type_name(envs.plain())}",
            )
        )
        return
    for name, node in envs.value.items():
        if not re.match(r"^[a-z][a-z0-9-]{0,14}$", name):
            diags.append(
                Diagnostic(
                    node.key_loc,
                    f"environments.{name}",
                    "environment names are lowercase DNS labels (max 15 chars)",
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
        diags.append(
            Diagnostic(
                node.loc,
                f"environments.{env}",
                f"expected a mapping of overrides, got {_type_name(node.value)}",
            )
        )
        return None, default_profile
    profile = default_profile
    over: dict[str, Node] = {}
    for key, child in node.value.items():
        path = f"environments.{env}.{key}"
        if key == "profile":
            if child.value is None:
                profile = None
            elif not isinstance(child.value, str) or child.value not in profiles:
                diags.append(
                    Diagnostic(
                        child.loc,
                        path,
                        f"unknown profile {child.plain()!r}{_dym(child.plain(), profiles)} "
                        f"(built-in: {', '.join(profiles)})",
                    )
                )
            else:
                profile = child.value
        elif key in NOT_OVERRIDABLE:
            diags.append(Diagnostic(child.key_loc, path, f"{key} cannot be overridden per environment"))
        elif key not in ENV_KEYS:
            allowed = ", ".join(ENV_KEYS)
            diags.append(
                Diagnostic(
                    child.key_loc,
                    path,
                    f"unknown key {key!r} in an environment override{_dym(key, list(ENV_KEYS))} (allowed: {allowed})",
                )
            )
        else:
            over[key] = child
    return Node(over, node.loc, node.src_path, node.key_loc), profile


def _resolve(doc: SpecDocument, env: str | None, diags: list[Diagnostic]) -> ResolvedPlatform | None:
    over, profile_name = _env_override(doc, env, diags) if env else (None, None)
    merged = _merged_tree(doc, over, profile_name)
    index = LocationIndex.of(merged)
    spec, found = check_tree(merged, env)
    diags.extend(found)
    if spec is None or found:
        return None
    profile = load_profile(profile_name) if profile_name else Profile(name="")
    return ResolvedPlatform(spec, env or "default", profile, doc.path, index)


def _merged_tree(doc: SpecDocument, over: Node | None, profile_name: str | None) -> Node:
    """profile defaults → base → overrides, as a private tree (copies: nothing shared is mutated)."""
    root = doc.root
    base = Node({k: v.copy() for k, v in root.value.items() if k != "environments"}, root.loc, (), None)
    declared = set(base.value) | (set(over.value) if over else set())
    merged: Node = base
    if profile_name:
        pnode = _profile_node(profile_name).value.get("defaults")
        if pnode is not None and isinstance(pnode.value, dict):
            # Profile defaults only fill sections the spec declares: a dev profile must not
            # conjure a database into a storage-only platform.
            defaults = Node({k: v.copy() for k, v in pnode.value.items() if k in declared}, pnode.loc, ())
            merged = merge(defaults, base)
    if over is not None:
        merged = merge(merged, over.copy(), keep_base_loc=True)
    if profile_name:
        _apply_item_defaults(merged, profile_name)
    return merged


def _apply_item_defaults(merged: Node, profile_name: str) -> None:
    pnode = _profile_node(profile_name).value

    def fill(container: Node | None, defaults_key: str, select: Any) -> None:
        dnode = pnode.get(defaults_key)
        if container is None or dnode is None or not isinstance(dnode.value, dict) or not dnode.value:
            return
        if not isinstance(container.value, list):
            return
        for item in container.value:
            if isinstance(item.value, dict) and select(item):
                item.value = merge(dnode.copy(), item).value

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
    models_node = section("serving", "models")
    # Models whose replicas.max the user left unset: a profile's raised minimum lifts it too
    # (prod's min 2 must not turn an unset max of 1 into an error about the profile).
    unset_max = {
        id(item)
        for item in (
            models_node.value if models_node is not None and isinstance(models_node.value, list) else []
        )
        if not _has(item, "replicas", "max")
    }
    fill(models_node, "model_defaults", lambda item: True)

    # The profile's replica floor (prod: 2) wins over smaller values: that is its promise.
    floor_node = pnode.get("min_replicas")
    floor = floor_node.value if floor_node is not None and isinstance(floor_node.value, int) else 1
    if floor > 1 and floor_node is not None:
        tracking = section("tracking")
        if tracking is not None and isinstance(tracking.value, dict):
            reps = tracking.value.get("replicas")
            if reps is None or (type(reps.value) is int and 1 <= reps.value < floor):
                tracking.value["replicas"] = Node(floor, floor_node.loc, ("min_replicas",))
        for item in (
            models_node.value if models_node is not None and isinstance(models_node.value, list) else []
        ):
            reps = item.value.get("replicas") if isinstance(item.value, dict) else None
            if reps is None or not isinstance(reps.value, dict):
                continue
            lo = reps.value.get("min")
            # Only valid values are raised: a negative one must still be reported as such.
            if lo is not None and type(lo.value) is int and 0 <= lo.value < floor:
                reps.value["min"] = Node(floor, floor_node.loc, ("min_replicas",))
                hi = reps.value.get("max")
                if hi is not None and type(hi.value) is int and hi.value < floor:
                    reps.value["max"] = Node(floor, floor_node.loc, ("min_replicas",))
    for item in models_node.value if models_node is not None and isinstance(models_node.value, list) else []:
        if id(item) not in unset_max or not isinstance(item.value, dict):
            continue
        reps = item.value.get("replicas")
        if reps is None or not isinstance(reps.value, dict):
            continue
        lo, hi = reps.value.get("min"), reps.value.get("max")
        if lo is None or type(lo.value) is not int or lo.value < 1:
            continue
        if hi is None or (type(hi.value) is int and hi.value < lo.value):
            reps.value["max"] = Node(lo.value, lo.loc, lo.src_path, lo.key_loc)


def _has(node: Node, *keys: str) -> bool:
    for k in keys:
        if not isinstance(node.value, dict) or k not in node.value:
            return False
        node = node.value[k]
    return True


# --------------------------------------------------------------------------- validating a tree


def _related(a: Path_, b: Path_) -> bool:
    n = min(len(a), len(b))
    return a[:n] == b[:n]


class _Pruner:
    """Removes what pydantic refused, so the rest of the document can still be checked.

    Pydantic stops at the first failing level (a model's after-validators, and so every
    semantic rule, only run when its fields are valid). To report every error in a file at
    once, each refused node is dropped (a refused required key gets a placeholder, or its
    parent is dropped) and validation runs again. Paths are kept in the coordinates of
    the original tree, so errors caused only by the pruning itself can be recognised and
    left out: a `missing` key we removed, an after-validator of the model we pruned into,
    a semantic rule that read a dropped field.
    """

    def __init__(self, tree: Node):
        self.tree = tree
        self.orig: dict[int, Path_] = {id(n): p for p, n in LocationIndex.of(tree).nodes.items()}
        self.pruned: list[Path_] = []
        self.placeheld: set[Path_] = set()

    def orig_path(self, index: LocationIndex, path: Path_) -> Path_:
        node, found = index.nearest(path)
        base = self.orig.get(id(node), found) if node is not None else ()
        return base + tuple(path[len(found) :])

    def is_consequence(self, opath: Path_) -> bool:
        """An error at or above something we pruned exists only because we pruned it."""
        return any(p[: len(opath)] == opath for p in self.pruned)

    def touches_pruned(self, opath: Path_) -> bool:
        return any(_related(opath, p) for p in self.pruned)

    def prune(self, index: LocationIndex, path: Path_, kind: str, data: Any) -> bool:
        if kind == "missing":
            return self._fill_missing(index, path, data)
        node, found = index.nearest(path)
        if node is None or not found:
            return False  # the document root itself: nothing to fall back to
        return self._remove(index, found)

    def _remove(self, index: LocationIndex, path: Path_) -> bool:
        parent = index.nodes.get(path[:-1])
        child = index.nodes.get(path)
        if parent is None or child is None:
            return False
        self.pruned.append(self.orig_path(index, path))
        if isinstance(parent.value, dict):
            parent.value.pop(str(path[-1]), None)
        elif isinstance(parent.value, list):
            # By identity: list positions shift, nodes do not (their locations stay right).
            parent.value[:] = [n for n in parent.value if n is not child]
        return True

    def _fill_missing(self, index: LocationIndex, path: Path_, data: Any) -> bool:
        parent_path = path[:-1]
        parent = index.nodes.get(parent_path)
        opath = self.orig_path(index, path)
        if parent is None or not isinstance(parent.value, dict):
            return False
        value = _placeholder(path, data)
        if value is not _NO_PLACEHOLDER and opath not in self.placeheld:
            # A stand-in keeps the rest of the section checkable (an invalid metadata.name
            # must not hide every other error); rules reading it are suppressed.
            self.placeheld.add(opath)
            self.pruned.append(opath)
            node = Node(value, parent.loc, parent.src_path + (path[-1],), parent.key_loc)
            self.orig[id(node)] = opath
            parent.value[str(path[-1])] = node
            return True
        if not parent_path:
            return False  # a required top-level key: nothing sensible to check without it
        return self._remove(index, parent_path)


def check_tree(tree: Node, env: str | None = None) -> tuple[PlatformSpec | None, list[Diagnostic]]:
    """Validate a merged tree: structure (pydantic) and semantic rules, every error at once.

    The tree may be pruned in place (see _Pruner); pass a copy if it is still needed.
    Returns the spec (None when the document is beyond repair) and the diagnostics.
    """
    pruner = _Pruner(tree)
    diags: list[Diagnostic] = []
    spec: PlatformSpec | None = None
    for attempt in range(16):  # each round removes at least one node; nesting is shallow
        index = LocationIndex.of(tree)
        data = tree.plain()
        try:
            spec = PlatformSpec.model_validate(data)
            break
        except ValidationError as exc:
            groups = _error_groups(exc, data)
        progress = False
        for path, errs in groups.items():
            kind = errs[0]["type"]
            if not (attempt and pruner.is_consequence(pruner.orig_path(index, path))):
                node = index.nodes.get(path)
                msg = _group_message(errs, path, data, node.raw if node is not None else None)
                located = kind in ("extra_forbidden", "missing", "union_tag_not_found")
                diags.append(index.diagnostic(path, msg, key=located, env=env))
            progress = pruner.prune(index, path, kind, data) or progress
        if not progress:
            break
    if spec is None:
        return None, diags
    index = LocationIndex.of(tree)
    for f in semantic.findings(spec, env):
        reads = (f.path, *f.reads)
        if any(pruner.touches_pruned(pruner.orig_path(index, r)) for r in reads):
            continue
        diags.append(index.diagnostic(f.path, f.message + _elsewhere(index, f), env=env))
    return spec, diags


def _elsewhere(index: LocationIndex, f: semantic.Finding) -> str:
    """Name the other fields a rule read when they were written elsewhere (an environment
    override, a profile): the error is reported at one place but caused at another."""
    here = index.nodes.get(f.path)
    if here is None or here.loc is None:
        return ""
    notes = []
    for r in f.reads:
        there = index.nodes.get(r)
        if there is None or there.loc is None or there.loc.file is None:
            continue
        other_file = there.loc.file != here.loc.file
        from_env = there.src_path[:1] == ("environments",) and here.src_path[:1] != ("environments",)
        if other_file or from_env:
            where = str(there.loc) if other_file else f"line {there.loc.line}"
            notes.append(f"{format_path(there.src_path)} on {where}")
    return f"; see {', '.join(notes)}" if notes else ""


# --------------------------------------------------------------------------- the model, walked by path


_NO_PLACEHOLDER = object()
# Stand-ins for required strings that carry their own format checks.
_PLACEHOLDER_STR = {"name": "placeholder", "instance_type": "m6i.large", "uri": "s3://placeholder/x"}


def _unwrap(ann: Any) -> Any:
    """Strip Annotated and Optional; a union of several types stays a union."""
    while True:
        origin = typing.get_origin(ann)
        if origin is typing.Annotated:
            ann = typing.get_args(ann)[0]
            continue
        if origin in (Union, types.UnionType):
            members = [a for a in typing.get_args(ann) if a is not type(None)]
            if len(members) == 1:
                ann = members[0]
                continue
        return ann


def _is_model(ann: Any) -> bool:
    return isinstance(ann, type) and issubclass(ann, BaseModel)


def _union_members(ann: Any) -> list[Any]:
    if typing.get_origin(ann) in (Union, types.UnionType):
        return [_unwrap(a) for a in typing.get_args(ann) if a is not type(None)]
    return []


def _tagged_member(members: list[Any], tag: Any) -> Any:
    for m in members:
        provider = m.model_fields.get("provider") if _is_model(m) else None
        if provider is not None and tag in typing.get_args(provider.annotation):
            return m
    return None


def _walk(loc: tuple[Any, ...], data: Any) -> tuple[Path_, list[Any]]:
    """Follow a pydantic error location (or a plain data path) through the model and the data.

    Returns the path as it stands in the data (union-member tags such as 'aws' or 'str'
    dropped) and the annotation reached after each kept step.
    """
    ann: Any = PlatformSpec
    node = data
    out: list[Any] = []
    anns: list[Any] = []
    i = 0
    while i < len(loc):
        part = loc[i]
        ann = _unwrap(ann)
        members = _union_members(ann)
        if members:
            tagged = _tagged_member(members, part)
            if tagged is not None:  # a discriminated union: pydantic puts the tag in the loc
                ann = tagged
                i += 1
                continue
            chosen = _tagged_member(members, node.get("provider")) if isinstance(node, dict) else None
            if chosen is not None:  # a data path: the member the data names
                ann = chosen
                continue
            break  # a plain union ('str', 'int', 'function-after[...]'): nothing below is data
        if _is_model(ann) and isinstance(part, str):
            field = ann.model_fields.get(part)
            out.append(part)
            anns.append(field.annotation if field else None)
            if field is None:
                break  # an unknown key
            ann = field.annotation
        elif typing.get_origin(ann) is dict and isinstance(part, str):
            out.append(part)
            ann = typing.get_args(ann)[1]
            anns.append(ann)
        elif typing.get_origin(ann) is list and isinstance(part, int):
            out.append(part)
            ann = typing.get_args(ann)[0]
            anns.append(ann)
        else:
            break
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            node = None
        i += 1
    return tuple(out), anns


def _model_at(path: Path_, data: Any) -> Any:
    """The model class whose fields live at `path` (for did-you-mean), or None."""
    if not path:
        return PlatformSpec
    _, anns = _walk(path, data)
    if len(anns) != len(path) or anns[-1] is None:
        return None
    ann = _unwrap(anns[-1])
    members = _union_members(ann)
    if members:
        node = _data_at(path, data)
        ann = _tagged_member(members, node.get("provider") if isinstance(node, dict) else None)
    return ann if _is_model(ann) else None


def _data_at(path: Path_, data: Any) -> Any:
    node = data
    for part in path:
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return None
    return node


def _allowed_keys(path: Path_, data: Any) -> list[str]:
    """Field names of the model found at `path` (for did-you-mean)."""
    model = _model_at(path, data)
    return list(model.model_fields) if model is not None else []


def _placeholder(path: Path_, data: Any) -> Any:
    model = _model_at(path[:-1], data)
    field = model.model_fields.get(str(path[-1])) if model is not None else None
    if field is None:
        return _NO_PLACEHOLDER
    ann = _unwrap(field.annotation)
    if typing.get_origin(ann) is Literal:
        return typing.get_args(ann)[0]
    if ann is str:
        return _PLACEHOLDER_STR.get(str(path[-1]), "placeholder")
    return _NO_PLACEHOLDER


def _is_secret_path(path: Path_, data: Any) -> bool:
    """Does `path` run through a credential field? Then no message may echo the value."""
    _, anns = _walk(path, data)
    return any(_unwrap(a) is SecretRef for a in anns if a is not None) or any(
        p in ("from_env", "secret_ref") for p in path if isinstance(p, str)
    )


# --------------------------------------------------------------------------- pydantic → located messages


def _error_groups(exc: ValidationError, data: Any) -> dict[Path_, list[Any]]:
    """Errors by the data path they concern; a union reports one error per member type."""
    groups: dict[Path_, list[Any]] = {}
    for err in exc.errors(include_url=False):
        path, _ = _walk(tuple(err["loc"]), data)
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            path = (*path, "provider")  # point at the tag itself, wherever it was written
        groups.setdefault(path, []).append(err)
    return groups


def _group_message(errs: list[Any], path: Path_, data: Any, raw: str | None = None) -> str:
    secret = _is_secret_path(path, data)
    if len(errs) > 1 and all(_is_type_error(e["type"]) for e in errs):
        expected = list(dict.fromkeys(_TYPE_NAMES.get(e["type"], e["type"]) for e in errs))
        if "a number" in expected and "an integer" in expected:
            expected.remove("an integer")
        return f"expected {' or '.join(expected)}, got {_type_name(errs[0].get('input'), secret)}"
    return _message(errs[0], path, data, secret, raw)


def _is_type_error(kind: str) -> bool:
    return kind.endswith(("_type", "_parsing"))


def _dym(value: Any, choices: list[str], cutoff: float = 0.6) -> str:
    close = difflib.get_close_matches(str(value), choices, n=1, cutoff=cutoff)
    return f"; did you mean {close[0]!r}?" if close else ""


def _message(err: Any, path: Path_, data: Any, secret: bool = False, raw: str | None = None) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    inp = err.get("input")
    shown = "" if secret else f" {inp!r}"
    if kind == "extra_forbidden":
        allowed = _allowed_keys(path[:-1], data)
        key = str(path[-1])
        listed = f" (allowed: {', '.join(allowed)})" if allowed else ""
        return f"unknown key {key!r}{_dym(key, allowed)}{listed}"
    if kind == "missing":
        model = _model_at(path[:-1], data)
        field = model.model_fields.get(str(path[-1])) if model is not None else None
        about = f": {field.description}" if field is not None and field.description else ""
        return f"missing required key {path[-1]!r}{about}"
    if kind in ("literal_error", "enum"):
        expected = [
            e.strip().strip("'") for e in str(ctx.get("expected", "")).replace(" or ", ",").split(",")
        ]
        expected = [e for e in expected if e]
        what = "kind" if path and path[-1] == "kind" else "value"
        hint = "" if secret else _dym(inp, expected, 0.5)
        return f"unsupported {what}{shown}{hint} (supported: {', '.join(expected)})"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tags = [t.strip().strip("'") for t in str(ctx.get("expected_tags", "")).split(",")]
        if kind == "union_tag_not_found":
            tags = [
                t
                for m in (AwsTarget, KubernetesTarget)
                for t in typing.get_args(m.model_fields["provider"].annotation)
            ]
            return f"missing required key 'provider' (one of: {', '.join(tags)})"
        tag = ctx.get("tag")
        return f"unsupported provider {tag!r}{_dym(tag, tags, 0.5)} (supported: {', '.join(tags)})"
    if _is_type_error(kind) or kind == "model_attributes_type":
        expected = _TYPE_NAMES.get(kind, kind.replace("_type", "").replace("_parsing", ""))
        return f"expected {expected}, got {_type_name(inp, secret)}{'' if secret else _type_hint(kind, inp, raw)}"
    if kind == "value_error":
        msg = str(err["msg"]).removeprefix("Value error, ")
        # "metadata.name must be …" under the path metadata.name: say it once.
        for prefix in (format_path(path), str(path[-1]) if path else ""):
            if prefix and msg.startswith(f"{prefix} must"):
                return msg[len(prefix) + 1 :]
        return msg
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        op = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}[
            kind
        ]
        bound = next(iter(ctx.values()), "?")
        return f"must be {op} {bound}" + ("" if secret else f" (got {inp})")
    if kind == "string_pattern_mismatch":
        field = path[-1] if path else ""
        if field == "from_env":
            return "expected an environment variable name (letters, digits, '_'; not starting with a digit)"
        if field == "secret_ref":
            return "expected a secret reference '<store>/<path>' (store: lowercase letters, digits, '-')"
        return f"does not match the expected form {ctx.get('pattern')!r}" + (
            "" if secret else f" (got {inp!r})"
        )
    if kind == "finite_number":
        return "must be a finite number" + ("" if secret else f" (got {inp})")
    if kind in ("string_too_short", "too_short"):
        return "must not be empty"
    if kind in ("string_too_long", "too_long"):
        return f"is too long (at most {ctx.get('max_length')})"
    return str(err["msg"])


def _type_hint(kind: str, inp: Any, raw: str | None) -> str:
    if kind == "string_type" and isinstance(inp, (int, float)) and not isinstance(inp, bool):
        return f' (quote it: "{raw or inp}")'
    if kind == "string_type" and isinstance(inp, bool):
        return " (quote it if you meant a string)"
    if kind in ("int_type", "float_type") and isinstance(inp, str):
        try:
            float(inp)
            return " (remove the quotes)"
        except ValueError:
            return ""
    if kind == "bool_type" and isinstance(inp, str) and inp.lower() in ("yes", "no", "on", "off", "y", "n"):
        return " (YAML 1.2 reads yes/no/on/off as strings: write true or false)"
    return ""


_TYPE_NAMES = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
    "date_type": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
}


def _type_name(v: Any, secret: bool = False) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean" if secret else f"a boolean ({str(v).lower()})"
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, (int, float)):
        return "a number" if secret else f"a number ({v})"
    if isinstance(v, str):
        return "a string" if secret or len(v) > 40 else f"the string {v!r}"
    if isinstance(v, (_dt.date, _dt.datetime)):
        return "a date"
    if isinstance(v, AbstractSet):
        return "a set"
    return type(v).__name__


__all__ = [
    "ENV_KEYS", "Profile", "ResolvedPlatform", "Safety", "SpecDocument", "builtin_profiles", "check_tree",
    "load_platform", "load_profile", "load_spec", "resolve", "validate",
]  # fmt: skip
