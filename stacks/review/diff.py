"""What promoting one environment's configuration to another changes (`mlplat diff`).

Two views:
- the resolved specs: dotted-path differences of `PlatformSpec.model_dump()` (lists of objects with a
  `name` are matched by name, `cluster.node_pools[gpu-serve].min_size`), plus the profile's safety
  settings, which change what `destroy` and `up` do without appearing in the spec;
- the plans: resources matched by their URN with the environment neutralised
  (`churn-staging-artifacts` and `churn-prod-artifacts` are the same resource), reported as added,
  removed or changed, with the changed inputs as dotted paths.

Neutralising the environment: every string containing `{platform}-{env}` has it replaced by
`{platform}-<env>`, and strings equal to the environment name (tag and label values) become `<env>`,
so only real differences remain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import Plan
    from mlplat.stacks.platform_spec.resolve import ResolvedPlatform

ENV_MARK = "<env>"
_MISSING = object()


@dataclass
class Change:
    path: str
    before: Any
    after: Any

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "from": _plain(self.before), "to": _plain(self.after)}


@dataclass
class ResourceChange:
    key: str  # the neutralised URN
    type: str
    name: str  # neutralised logical name
    component: str | None
    status: str  # added | removed | changed
    changes: list[Change] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "urn": self.key, "type": self.type, "name": self.name, "component": self.component,
            "status": self.status,
        }  # fmt: skip
        if self.status == "changed":
            out["inputs"] = [c.to_dict() for c in self.changes]
        return out


@dataclass
class PromotionDiff:
    platform: str
    from_env: str
    to_env: str
    spec: list[Change]
    profile: list[Change]
    resources: list[ResourceChange]
    resource_counts: dict[str, int]  # custom resources per environment

    @property
    def added(self) -> list[ResourceChange]:
        return [r for r in self.resources if r.status == "added"]

    @property
    def removed(self) -> list[ResourceChange]:
        return [r for r in self.resources if r.status == "removed"]

    @property
    def changed(self) -> list[ResourceChange]:
        return [r for r in self.resources if r.status == "changed"]

    @property
    def empty(self) -> bool:
        return not (self.spec or self.profile or self.resources)

    def spec_change(self, path: str) -> Change | None:
        return next((c for c in self.spec if c.path == path), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "from_env": self.from_env,
            "to_env": self.to_env,
            "spec": [c.to_dict() for c in self.spec],
            "profile": [c.to_dict() for c in self.profile],
            "plan": {
                "resources": self.resource_counts,
                "added": [r.to_dict() for r in self.added],
                "removed": [r.to_dict() for r in self.removed],
                "changed": [r.to_dict() for r in self.changed],
            },
        }


def _plain(v: Any) -> Any:
    return None if v is _MISSING else v


# --------------------------------------------------------------------------- generic dotted diff


def flatten(value: Any, prefix: str = "", parse_json: bool = False) -> dict[str, Any]:
    """Nested dicts/lists → {dotted path: scalar or list}. Lists of named objects key by name.

    parse_json: a string holding a JSON object or array (a policy document, a dashboard) is
    flattened too, below `path#`, so a change shows as the field that changed, not two blobs.
    """
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        if not value and prefix:
            out[prefix] = {}
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k), parse_json))
    elif isinstance(value, list) and value and all(isinstance(i, dict) and isinstance(i.get("name"), str) for i in value):
        names = [i["name"] for i in value]
        if len(set(names)) == len(names):
            for item in value:
                rest = {k: v for k, v in item.items() if k != "name"}
                out.update(flatten(rest, f"{prefix}[{item['name']}]", parse_json))
                out.setdefault(f"{prefix}[{item['name']}]", _Present)
        else:
            out[prefix] = value
    elif isinstance(value, list) and any(isinstance(i, (dict, list)) for i in value):
        for i, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{i}]", parse_json))
    elif parse_json and isinstance(value, str) and value[:1] in "{[" and (doc := _json(value)) is not None:
        out[prefix + "#"] = _Present
        out.update(flatten(doc, prefix + "#", parse_json))
    else:
        out[prefix] = value
    return out


def _json_vs_scalar(mine: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """JSON text on this side, a scalar (e.g. <unknown>) at the same path on the other: collapse
    this side's JSON back to one value, so the change reads `policy: <json> → <unknown>`."""
    roots = [k[:-1] for k in mine if k.endswith("#") and mine[k] is _Present and k not in other and k[:-1] in other]
    if not roots:
        return mine
    out = {k: v for k, v in mine.items() if not any(k.startswith(r + "#") for r in roots)}
    out.update({r: "<json>" for r in roots})
    return out


def _nulled_sections(mine: dict[str, Any], other: dict[str, Any]) -> set[str]:
    """Paths null here whose section has fields on the other side: reported as one change
    (`monitoring: <present> → null`), not one line per field of the removed section."""
    return {
        path for path, v in mine.items()
        if v is None and path not in other and any(k.startswith((path + ".", path + "[")) for k in other)
    }


def _json(text: str) -> Any:
    import json

    try:
        doc = json.loads(text)
    except ValueError:
        return None
    return doc if isinstance(doc, (dict, list)) else None


class _PresentType:
    """Marks that a named list item exists (so adding a node pool with only defaults still shows)."""

    def __repr__(self) -> str:
        return "<present>"


_Present = _PresentType()


def diff_values(before: Any, after: Any) -> list[Change]:
    return diff_flat(flatten(before), flatten(after))


def diff_flat(a: dict[str, Any], b: dict[str, Any], equal: Any = None) -> list[Change]:
    """Changes between two flattened values; `equal(x, y)` decides when two leaves are the same."""
    same = equal or _equal
    a, b = _json_vs_scalar(a, b), _json_vs_scalar(b, a)
    removed_here, removed_there = _nulled_sections(a, b), _nulled_sections(b, a)
    changes = []
    for path in sorted(set(a) | set(b), key=_path_key):
        va, vb = a.get(path, _MISSING), b.get(path, _MISSING)
        if va is _Present and vb is _Present:
            continue
        if path in removed_here or path in removed_there:
            # a whole section set on one side and null on the other (an environment's `null`)
            changes.append(Change(path, None if path in removed_here else "<present>",
                                  None if path in removed_there else "<present>"))
            continue
        if (va is None or va is _MISSING) and (vb is None or vb is _MISSING):
            # null and absent both mean "not set": `monitoring.alerts: null` on one side and no
            # monitoring at all on the other is no change (it printed as `null → null`)
            continue
        if va is _Present or vb is _Present:
            # a whole named item added or removed: report the item, not each of its fields
            if va is _MISSING or vb is _MISSING:
                changes.append(Change(path, _MISSING if va is _MISSING else "<present>",
                                      _MISSING if vb is _MISSING else "<present>"))
            elif va is _Present:  # JSON text on one side only: the whole value changed
                changes.append(Change(path.rstrip("#"), "<json>", vb))
            else:
                changes.append(Change(path.rstrip("#"), va, "<json>"))
            continue
        if not same(va, vb):
            changes.append(Change(path, va, vb))
    # drop the fields of items reported as added/removed as a whole
    whole = [c.path for c in changes if "<present>" in (c.before, c.after) or "<json>" in (c.before, c.after)]
    return [c for c in changes if not any(c.path != w and c.path.startswith(w) for w in whole)]


def _equal(a: Any, b: Any) -> bool:
    # plans carry numbers as floats (wire format): 2 and 2.0 are the same input
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) and not isinstance(b, bool):
        return float(a) == float(b)
    return bool(a == b)


def _path_key(path: str) -> tuple[Any, ...]:
    return tuple(path.replace("[", ".[").split("."))


# --------------------------------------------------------------------------- neutralising environments


def neutralise(value: Any, platform: str, env: str) -> Any:
    # `{platform}-{env}` names cloud resources; other separators appear where a dash is not
    # allowed or not used (`churn_prod` Feast project, `churn/prod` dashboard titles).
    import re

    stem = re.compile(rf"\b({re.escape(platform)}[-_/.: ]){re.escape(env)}\b")
    mark = rf"\g<1>{ENV_MARK}"

    def walk(v: Any) -> Any:
        if isinstance(v, str):
            if v == env:
                return ENV_MARK
            return stem.sub(mark, v) if env in v else v
        if isinstance(v, dict):
            return {walk(k) if isinstance(k, str) else k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v

    return walk(value)


def _neutral_urn(urn: str, platform: str, env: str) -> str:
    # urn:pulumi:<stack>::<project>::<type chain>::<name>; the stack is `{platform}-{env}`.
    parts = urn.split("::")
    if parts and parts[0].startswith("urn:pulumi:"):
        parts[0] = "urn:pulumi:" + neutralise(parts[0][len("urn:pulumi:"):], platform, env)
    return "::".join(parts[:1] + [neutralise(p, platform, env) for p in parts[1:]])


# --------------------------------------------------------------------------- promotion diff


def spec_diff(a: ResolvedPlatform, b: ResolvedPlatform) -> list[Change]:
    return diff_values(a.spec.model_dump(mode="json"), b.spec.model_dump(mode="json"))


def profile_diff(a: ResolvedPlatform, b: ResolvedPlatform) -> list[Change]:
    pa = {"name": a.profile.name, "safety": a.profile.safety.model_dump(mode="json"),
          "min_replicas": a.profile.min_replicas, "policy_levels": a.profile.policy_levels}
    pb = {"name": b.profile.name, "safety": b.profile.safety.model_dump(mode="json"),
          "min_replicas": b.profile.min_replicas, "policy_levels": b.profile.policy_levels}
    return diff_values(pa, pb)


def plan_diff(a: Plan, b: Plan) -> list[ResourceChange]:
    def index(plan: Plan) -> dict[str, Any]:
        out = {}
        for r in plan.custom_resources():
            key = _neutral_urn(r.urn, plan.platform, plan.environment)
            out[key] = r
        return out

    ia, ib = index(a), index(b)
    result: list[ResourceChange] = []
    for key in sorted(set(ia) | set(ib)):
        ra, rb = ia.get(key), ib.get(key)
        ref, src = (rb, b) if rb is not None else (ra, a)
        assert ref is not None
        name = neutralise(ref.name, src.platform, src.environment)
        if ra is None:
            result.append(ResourceChange(key, ref.type, name, ref.component, "added"))
        elif rb is None:
            result.append(ResourceChange(key, ref.type, name, ref.component, "removed"))
        else:
            changes = _resource_changes(ra.inputs, rb.inputs, a, b)
            if ra.protect != rb.protect:
                changes.append(Change("(protect)", ra.protect, rb.protect))
            if changes:
                result.append(ResourceChange(key, ref.type, name, ref.component, "changed", changes))
    return result


def _resource_changes(ia: dict[str, Any], ib: dict[str, Any], a: Plan, b: Plan) -> list[Change]:
    """Changed inputs, by wire name. A leaf counts as changed only when it differs both as it is
    and with each side's environment neutralised: `churn-staging-x` vs `churn-prod-x` is the same
    resource, and a literal both environments share (`s3://churn-prod-artifacts/…` written in the
    base spec) is not made to differ by neutralising only one side."""

    def paths(inputs: dict[str, Any], plan: Plan) -> dict[str, Any]:
        return {neutralise(p, plan.platform, plan.environment): v for p, v in flatten(inputs, parse_json=True).items()}

    def equal(x: Any, y: Any) -> bool:
        return _equal(x, y) or _equal(neutralise(x, a.platform, a.environment), neutralise(y, b.platform, b.environment))

    return diff_flat(paths(ia, a), paths(ib, b), equal)


def promotion_diff(
    from_resolved: ResolvedPlatform,
    to_resolved: ResolvedPlatform,
    from_plan: Plan | None = None,
    to_plan: Plan | None = None,
) -> PromotionDiff:
    """Compare two environments. Plans are computed offline when not given."""
    if from_plan is None or to_plan is None:
        from mlplat.stacks.plan.offline import run_offline

        from_plan = from_plan or run_offline(from_resolved)
        to_plan = to_plan or run_offline(to_resolved)
    return PromotionDiff(
        platform=from_resolved.name,
        from_env=from_resolved.environment,
        to_env=to_resolved.environment,
        spec=spec_diff(from_resolved, to_resolved),
        profile=profile_diff(from_resolved, to_resolved),
        resources=plan_diff(from_plan, to_plan),
        resource_counts={
            from_resolved.environment: len(from_plan.custom_resources()),
            to_resolved.environment: len(to_plan.custom_resources()),
        },
    )


def diff_environments(spec_path: str, from_env: str, to_env: str) -> PromotionDiff:
    """Load the spec, resolve both environments and compare them (the library call behind `mlplat diff`)."""
    from mlplat.stacks.errors import MlplatError
    from mlplat.stacks.platform_spec.resolve import load_spec, resolve

    if from_env == to_env:
        raise MlplatError(f"--from-env and --to-env are both {from_env!r}: nothing to compare")
    doc = load_spec(spec_path)
    return promotion_diff(resolve(doc, from_env), resolve(doc, to_env))


# --------------------------------------------------------------------------- rendering


def _fmt(v: Any, width: int | None = None) -> str:
    """A value for the table: wire floats that are whole as integers, long values shortened."""
    if v is _MISSING:
        text = "∅"
    elif isinstance(v, str):
        text = v
    elif isinstance(v, float) and v.is_integer():
        text = str(int(v))
    else:
        import json

        text = json.dumps(v, default=str)
    if width is not None and len(text) > width:
        text = text[: width - 1] + "…"
    return text


def render_table(d: PromotionDiff, console: Any = None, max_inputs: int = 8) -> None:
    from rich.console import Console
    from mlplat.stacks.errors import esc as escape  # paths carry [name] keys; control chars shown
    from rich.table import Table

    console = console or Console(highlight=False)
    title = f"{d.platform}: promoting {d.from_env} → {d.to_env}"
    if d.empty:
        console.print(f"[bold]{escape(title)}[/]: no differences")
        return
    console.print(f"[bold]{escape(title)}[/]")
    if d.spec or d.profile:
        t = Table(title="resolved spec", title_justify="left", show_edge=False)
        t.add_column("path")
        t.add_column(d.from_env)
        t.add_column(d.to_env)
        for c in d.spec:
            t.add_row(escape(c.path), escape(_fmt(c.before, 60)), escape(_fmt(c.after, 60)))
        for c in d.profile:
            t.add_row(escape(f"(profile) {c.path}"), escape(_fmt(c.before, 60)), escape(_fmt(c.after, 60)))
        console.print(t)
    from mlplat.stacks.plan.table import short_type

    if d.resources:
        t = Table(title="plan", title_justify="left", show_edge=False)
        t.add_column("")
        t.add_column("type")
        t.add_column("name")
        t.add_column("changed inputs")
        sym = {"added": "[green]+[/]", "removed": "[red]-[/]", "changed": "[yellow]~[/]"}
        for r in d.resources:
            shown = [escape(f"{c.path}: {_fmt(c.before, 50)} → {_fmt(c.after, 50)}") for c in r.changes[:max_inputs]]
            if len(r.changes) > max_inputs:
                shown.append(f"… {len(r.changes) - max_inputs} more (--format json)")
            t.add_row(sym[r.status], escape(short_type(r.type)), escape(r.name), "\n".join(shown))
        console.print(t)
    counts = d.resource_counts
    console.print(
        f"[bold]Plan:[/] {counts.get(d.from_env, 0)} → {counts.get(d.to_env, 0)} resources: "
        f"{len(d.added)} added, {len(d.removed)} removed, {len(d.changed)} changed"
    )



# --------------------------------------------------------------------------- one environment against a baseline
#
# `mlplat diff SPEC --env E --compare-to REV|FILE`: the offline plan of E at the baseline against
# the plan now, resource by resource (matched by URN: same environment, same stack), with the
# action Pulumi would take. What `pulumi preview --diff` shows, without a cloud or a state.

ACTIONS = ("create", "update", "replace", "delete")
MASK = "<secret>"
# Leaf names whose values are credentials whatever the plan says about them.
_SECRET_KEY = re.compile(r"(password|passwd|secret|token|private_?key|credential)", re.IGNORECASE)


@dataclass
class PropertyChange:
    path: str  # input wire names, dotted (scalingConfig.maxSize); [name] / [i] for list items
    old: Any
    new: Any
    effect: str = "update"  # replace | may_replace | update (force_new.classify)

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "old": _number(_plain(self.old)), "new": _number(_plain(self.new))}


def _number(v: Any) -> Any:
    # the engine carries every number as a float (wire format): max_size 4 reads 4, not 4.0
    return int(v) if isinstance(v, float) and v.is_integer() else v


@dataclass
class PlanChange:
    urn: str
    type: str
    name: str
    action: str  # create | update | replace | delete
    component: str | None = None
    protected: bool = False  # the resource is protected (prod safety): replacing or deleting it fails
    may_replace: bool = False  # update whose replacement the force-new data cannot rule out
    properties: list[PropertyChange] = field(default_factory=list)

    @property
    def label(self) -> str:
        return "update (may replace)" if self.action == "update" and self.may_replace else self.action

    @property
    def dangerous(self) -> bool:
        """Replacing or deleting a protected resource: what a reviewer must see first."""
        return self.protected and self.action in ("replace", "delete")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"urn": self.urn, "type": self.type, "name": self.name, "action": self.action,
                               "properties": [p.to_dict() for p in self.properties]}
        out["component"] = self.component
        out["protected"] = self.protected
        if self.action == "update":
            out["may_replace"] = self.may_replace
        if self.action == "replace":
            out["replaced_by"] = [p.path for p in self.properties if p.effect == "replace"]
        return out


@dataclass
class RevisionDiff:
    platform: str
    environment: str
    baseline: str
    changes: list[PlanChange]
    note: str = ""  # e.g. "prod does not exist in origin/main": every resource is created

    @property
    def empty(self) -> bool:
        return not self.changes

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def dangerous(self) -> list[PlanChange]:
        return [c for c in self.changes if c.dangerous]

    def summary(self) -> str:
        if not self.changes:
            return "no changes"
        parts = [f"{self.count(a)} to {a}" for a in ("create", "update", "replace", "delete") if self.count(a)]
        maybe = sum(1 for c in self.changes if c.action == "update" and c.may_replace)
        return ", ".join(parts) + (f" ({maybe} may replace)" if maybe else "")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"environment": self.environment, "baseline": self.baseline,
                               "changes": [c.to_dict() for c in self.changes]}
        out["platform"] = self.platform
        out["summary"] = {a: self.count(a) for a in ACTIONS}
        if self.note:
            out["note"] = self.note
        return out


def _is_secret(type_token: str, path: str, *values: Any) -> bool:
    if any(v == MASK for v in values):
        return True
    if type_token == "kubernetes:core/v1:Secret" and path.split(".")[0].split("[")[0] in ("data", "stringData"):
        return True
    leaf = re.split(r"[.#\[]", path.rstrip("]"))[-1]
    return bool(_SECRET_KEY.search(leaf)) or type_token.startswith("random:index/randomPassword")


def _masked(type_token: str, path: str, old: Any, new: Any) -> tuple[Any, Any]:
    """Secrets never print: a changed secret shows that it changed, not its values."""
    if not _is_secret(type_token, path, old, new):
        return old, new
    return (old if old is _MISSING else MASK), (new if new is _MISSING else MASK)


def _whole(inputs: dict[str, Any]) -> list[tuple[str, Any]]:
    """The top-level inputs of a created or deleted resource (listed so the reviewer sees what goes)."""
    return sorted(inputs.items())


def _resource_change(before: Any, after: Any) -> PlanChange | None:
    from mlplat.stacks.review.force_new import REPLACE, UPDATE, classify

    ref = after if after is not None else before
    protected = bool(getattr(after, "protect", False) or getattr(before, "protect", False))
    base = {"urn": ref.urn, "type": ref.type, "name": ref.name, "component": ref.component, "protected": protected}
    if before is None or after is None:
        action = "create" if before is None else "delete"
        props = []
        for key, value in _whole(ref.inputs):
            old, new = (_MISSING, value) if action == "create" else (value, _MISSING)
            props.append(PropertyChange(key, *_masked(ref.type, key, old, new)))
        return PlanChange(action=action, properties=props, **base)
    raw = diff_flat(flatten(before.inputs, parse_json=True), flatten(after.inputs, parse_json=True))
    if not raw:
        return None
    props = []
    for c in raw:
        old, new = _masked(ref.type, c.path, c.before, c.after)
        props.append(PropertyChange(c.path, old, new, classify(ref.type, c.path)))
    if any(p.effect == REPLACE for p in props):
        return PlanChange(action="replace", properties=props, **base)
    return PlanChange(action="update", properties=props, may_replace=any(p.effect != UPDATE for p in props), **base)


_ORDER = {"replace": 0, "delete": 1, "update": 2, "create": 3}


def compare_plans(before: Plan | None, after: Plan, baseline: str, note: str = "") -> RevisionDiff:
    """Resource by resource, what applying `after` over `before` does (None: nothing exists yet)."""
    old = {r.urn: r for r in before.custom_resources()} if before is not None else {}
    new = {r.urn: r for r in after.custom_resources()}
    changes = [c for urn in sorted(set(old) | set(new)) if (c := _resource_change(old.get(urn), new.get(urn)))]
    changes.sort(key=lambda c: (not c.dangerous, _ORDER[c.action], c.component or "", c.type, c.name))
    return RevisionDiff(after.platform, after.environment, baseline, changes, note)


def diff_against(spec_path: str, env: str, compare_to: str) -> RevisionDiff:
    """The plan of `env` now against its plan in the baseline (a spec FILE or a git revision of
    the spec, read with `git show`): the library call behind `mlplat diff --compare-to`."""
    from mlplat.stacks.errors import MlplatError
    from mlplat.stacks.plan.offline import run_offline
    from mlplat.stacks.platform_spec.baseline import SpecAbsentAtRevision, baseline_document
    from mlplat.stacks.platform_spec.resolve import load_platform, resolve

    current = load_platform(spec_path, env)
    try:
        doc, label = baseline_document(spec_path, compare_to)
    except SpecAbsentAtRevision:
        return compare_plans(None, run_offline(current), compare_to, f"{spec_path} does not exist at {compare_to}")
    if env not in doc.environment_names():
        return compare_plans(None, run_offline(current), label, f"{env} does not exist in {label}")
    try:
        base = resolve(doc, env)
    except MlplatError as exc:
        raise MlplatError(f"--compare-to {compare_to}: the baseline is not a valid spec for {env}:\n{exc}") from None
    after = run_offline(current)
    if _same_inputs(base, current):  # same resolved spec, same program: the same plan
        return compare_plans(after, after, label)
    return compare_plans(run_offline(base), after, label)


def _same_inputs(a: ResolvedPlatform, b: ResolvedPlatform) -> bool:
    return bool(a.spec.model_dump(mode="json") == b.spec.model_dump(mode="json")
                and a.profile.model_dump(mode="json") == b.profile.model_dump(mode="json"))


# --------------------------------------------------------------------------- rendering a revision diff

_STYLE = {"create": "green", "update": "yellow", "replace": "magenta", "delete": "red"}
_SIGN = {"create": "+", "update": "~", "replace": "+-", "delete": "-"}


def _prop_line(p: PropertyChange, width: int = 50) -> str:
    mark = " (replaces)" if p.effect == "replace" else ""
    if p.old is _MISSING:
        return f"{p.path}: {_fmt(p.new, width)}{mark}"
    if p.new is _MISSING:
        return f"{p.path}: {_fmt(p.old, width)} → ∅{mark}"
    return f"{p.path}: {_fmt(p.old, width)} → {_fmt(p.new, width)}{mark}"


def render_revision_table(d: RevisionDiff, console: Any = None, max_props: int = 8) -> None:
    from mlplat.stacks.plan.table import short_type
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = console or Console(highlight=False)
    title = f"{d.platform} / {d.environment}: plan against {d.baseline}"
    if d.note:
        console.print(f"[dim]{escape(d.note)}[/]")
    if d.empty:
        console.print(f"[bold]{escape(title)}[/]: no changes")
        return
    t = Table(title=escape(title), title_justify="left", show_edge=False, pad_edge=False)
    t.add_column("action", no_wrap=True)
    t.add_column("resource", overflow="fold", ratio=1)
    t.add_column("changes", overflow="fold", ratio=2)
    for c in d.changes:
        style = _STYLE[c.action]
        label = f"[{style}]{_SIGN[c.action]} {escape(c.label)}[/]" + ("\n[bold red]protected[/]" if c.protected else "")
        props = c.properties if c.action in ("update", "replace") else []
        shown = [escape(_prop_line(p)) for p in props[:max_props]]
        if len(props) > max_props:
            shown.append(f"… {len(props) - max_props} more (--format json)")
        t.add_row(label, f"{escape(c.name)}\n[dim]{escape(short_type(c.type))}[/]", "\n".join(shown))
    console.print(t)
    console.print(f"[bold]Plan:[/] {escape(d.summary())}")
    for c in d.dangerous:
        console.print(f"[bold red]![/] {c.action} of protected {escape(c.name)} ({escape(c.type)})")


def _md_cell(text: str) -> str:
    # Markdown tables: `|` ends a cell; `<` and `>` would read as HTML (`<secret>` would vanish)
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("|", "\\|").replace("\n", " ").replace("`", "'"))


def revision_markdown(d: RevisionDiff, max_props: int = 8, max_rows: int = 200) -> str:
    out = []
    if d.note:
        out += [f"_{_md_cell(d.note)}_", ""]
    if d.empty:
        return "\n".join(out + [f"No resource changes against `{_md_cell(d.baseline)}`."]) + "\n"
    for c in d.dangerous:
        out.append(f"> ❗ **{c.action} of protected** `{_md_cell(c.name)}` ({_md_cell(c.type)})")
    if d.dangerous:
        out.append("")
    out += [f"**Plan against `{_md_cell(d.baseline)}`:** {_md_cell(d.summary())}", "",
            "| action | resource | type | changes |", "|---|---|---|---|"]
    for c in d.changes[:max_rows]:
        props = c.properties if c.action in ("update", "replace") else []
        cells = [_md_cell(_prop_line(p)) for p in props[:max_props]]
        if len(props) > max_props:
            cells.append(f"… {len(props) - max_props} more")
        action = c.label + (" (protected)" if c.protected else "")
        out.append(f"| {action} | `{_md_cell(c.name)}` | `{_md_cell(c.type)}` | {'<br>'.join(cells)} |")
    if len(d.changes) > max_rows:
        out.append(f"| … | {len(d.changes) - max_rows} more | | `mlplat diff --format json` |")
    return "\n".join(out) + "\n"

__all__ = [
    "ACTIONS", "Change", "PlanChange", "PromotionDiff", "PropertyChange", "ResourceChange",
    "RevisionDiff", "compare_plans", "diff_against", "diff_environments", "diff_values", "flatten",
    "neutralise", "plan_diff", "profile_diff", "promotion_diff", "render_revision_table", "render_table",
    "revision_markdown", "spec_diff",
]  # fmt: skip
