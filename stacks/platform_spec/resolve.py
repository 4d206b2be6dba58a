"""Load a spec file and resolve it for one environment (DESIGN section 3).

Order: built-in profile (`envs/<profile>.yaml`) → base spec → the environment's
overrides. Maps merge deeply, lists of objects with `name` merge by name, other lists
replace, `null` removes. Profile defaults only fill sections the spec declares, and
the `*_defaults` of a profile only fill keys a node pool or model leaves unset."""


from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from mlplat.stacks.errors import Diagnostic, Location, SpecError, printable
from mlplat.stacks.platform_spec.catalog import instance_type
from mlplat.stacks.platform_spec.diagnose import _dym, _type_name, check_tree
from mlplat.stacks.platform_spec.model import SECTION_KEYS, PlatformSpec
from mlplat.stacks.platform_spec.names import ENV_NAME_RULE, check_env_name, env_name_ok
from mlplat.stacks.platform_spec.tree import LocationIndex, Node, load_yaml, merge, parse_yaml
from pydantic import BaseModel, ConfigDict, Field

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
    #: What validates but deserves a word (semantic.advisories), located like errors.
    warnings: list[Diagnostic] = field(default_factory=list, repr=False)

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

    def bucket_name(self, name: str, account_id: str | None = None) -> str:
        """A declared bucket's physical name: account-suffixed on aws (`account_id` required there)."""
        from mlplat.stacks.platform_spec.names import bucket_name

        if self.provider == "aws" and account_id is None:
            raise ValueError("aws bucket names carry the account ID: pass account_id")
        return bucket_name(self.name, self.environment, name, account_id if self.provider == "aws" else None)

    def locate(self, path: tuple[str | int, ...]) -> tuple[Location | None, str]:
        """Where in the spec (file, line) a resolved path was written."""
        return self.locations.locate(path)


def load_spec(path: str | Path) -> SpecDocument:
    p = Path(path)
    return SpecDocument(p, load_yaml(p, str(path)))


# --------------------------------------------------------------------------- resolution


def resolve(doc: SpecDocument, env: str) -> ResolvedPlatform:
    """Resolve and validate one environment; raises SpecError with every problem found."""
    check_env_name(env)
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


def validation_warnings(resolved: dict[str, ResolvedPlatform]) -> list[Diagnostic]:
    """Located warnings (extended support, …) over validated environments; one per place and message."""
    from mlplat.stacks.platform_spec.semantic import warnings

    diags = [
        r.locations.diagnostic(path, message, env=env)
        for env, r in resolved.items()
        for path, message in warnings(r.spec)
    ]
    return _fold_envs(diags, list(resolved))


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
        if not env_name_ok(name):
            shown = name if name.isidentifier() else printable(repr(name))  # `x;id;#` quoted, `Prod_Env` not
            diags.append(Diagnostic(node.key_loc, f"environments.{shown}", ENV_NAME_RULE))


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
    from mlplat.stacks.platform_spec.semantic import advisories

    warnings = [index.diagnostic(f.path, f.message, env=env) for f in advisories(spec)]
    return ResolvedPlatform(spec, env or "default", profile, doc.path, index, warnings)


def _merged_tree(doc: SpecDocument, over: Node | None, profile_name: str | None) -> Node:
    """profile defaults → base → overrides, as a private tree (copies: nothing shared is mutated)."""
    root = doc.root
    base = Node({k: v.copy() for k, v in root.value.items() if k != "environments"}, root.loc, (), None)
    declared = set(base.value) | (set(over.value) if over else set())
    declared |= _implied(base, declared)
    merged: Node = base
    if profile_name:
        pnode = _profile_node(profile_name).value.get("defaults")
        if pnode is not None and isinstance(pnode.value, dict):
            # Profile defaults only fill sections the spec declares: a dev profile must not
            # conjure a database into a storage-only platform.
            # Nor fill a section that a managed AWS service runs (replicas and a database mean
            # nothing to SageMaker's MLflow; writing them there is an error).
            declared -= {k for k in declared if _managed_kind(base, over, k)}
            defaults = Node({k: v.copy() for k, v in pnode.value.items() if k in declared}, pnode.loc, ())
            _wandb_defaults(defaults, base, over)
            provider = (_provider_of(over) if over is not None else None) or _provider_of(base)
            if provider in ("kubernetes", "compose"):
                _drop_rds_defaults(defaults)
            merged = merge(defaults, base)
    if over is not None:
        over = over.copy()
        if _provider_of(over) not in (None, _provider_of(merged)):
            # Another provider is another kind of target: its keys replace the base target's
            # (an aws region means nothing to a compose environment).
            merged.value.pop("target", None)
        merged = merge(merged, over, keep_base_loc=True)
    if profile_name:
        _apply_item_defaults(merged, profile_name)
    return merged


def _wandb_defaults(defaults: Node, base: Node, over: Node | None) -> None:
    """W&B has no MLflow replicas; SaaS has no database either: drop those profile defaults."""
    fields: dict[str, Any] = {}
    for node in (base, over):
        sec = node.value.get("tracking") if node is not None and isinstance(node.value, dict) else None
        if sec is not None and isinstance(sec.value, dict):
            fields.update({k: v.value for k, v in sec.value.items() if k in ("kind", "mode")})
    tracking = defaults.value.get("tracking")
    if fields.get("kind") != "wandb" or tracking is None or not isinstance(tracking.value, dict):
        return
    if fields.get("mode") == "saas":
        defaults.value.pop("tracking")
    else:
        tracking.value.pop("replicas", None)


def _provider_of(tree: Node) -> Any:
    target = tree.value.get("target") if isinstance(tree.value, dict) else None
    if target is None or not isinstance(target.value, dict) or "provider" not in target.value:
        return None
    return target.value["provider"].value


def _managed_kind(base: Node, over: Node | None, section: str) -> bool:
    from mlplat.stacks.platform_spec.semantic import MANAGED_KINDS

    want = MANAGED_KINDS.get(section)
    kind = None
    for node in (base, over):
        sec = node.value.get(section) if node is not None and isinstance(node.value, dict) else None
        if sec is not None and isinstance(sec.value, dict) and "kind" in sec.value:
            kind = sec.value["kind"].value
    return want is not None and kind == want
# tracking.database keys that configure RDS: kubernetes and compose targets run Postgres themselves and
# cannot honour them, so a profile does not set them there and validate refuses them.
RDS_ONLY_DATABASE_KEYS = ("instance_class", "multi_az", "backup_retention_days", "deletion_protection")


def _drop_rds_defaults(defaults: Node) -> None:
    tracking = defaults.value.get("tracking")
    db = tracking.value.get("database") if tracking is not None and isinstance(tracking.value, dict) else None
    if db is not None and isinstance(db.value, dict):
        for key in RDS_ONLY_DATABASE_KEYS:
            db.value.pop(key, None)


# Sections a declared section brings with it: on aws an EKS cluster needs a VPC, so a cluster
# implies a network (modules/platform.py builds one). The profile's defaults must reach it
# too, or prod's NAT-per-AZ silently did not apply to a spec without a `network:` key.
IMPLIED_SECTIONS: dict[str, dict[str, tuple[str, ...]]] = {"aws": {"cluster": ("network",)}}


def _implied(base: Node, declared: set[str]) -> set[str]:
    target = base.value.get("target")
    provider = target.value.get("provider") if target is not None and isinstance(target.value, dict) else None
    rules = IMPLIED_SECTIONS.get(provider.value, {}) if provider is not None and isinstance(provider.value, str) else {}
    return {implied for section in declared for implied in rules.get(section, ())}


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
        kind = tracking.value.get("kind") if tracking is not None and isinstance(tracking.value, dict) else None
        if kind is not None and kind.value in ("sagemaker-mlflow", "wandb"):
            tracking = None  # AWS runs the managed server, or W&B (its chart sizes itself): no replicas to raise
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


__all__ = ["ENV_KEYS", "Profile", "ResolvedPlatform", "Safety", "SpecDocument", "builtin_profiles", "load_platform", "load_profile", "load_spec", "resolve", "validate", "validation_warnings"]
