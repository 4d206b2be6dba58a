"""Pure decisions of the engine path: target URNs, what teardown keeps, confirmation, change summaries."""


from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from mlplat.stacks.engine.settings import ROOT_STACK_TYPE, STATEFUL_TYPES, stack_name_for
from mlplat.stacks.errors import MlplatError
from mlplat.stacks.plan.model import UNKNOWN, Plan, PlanResource

if TYPE_CHECKING:

    from mlplat.stacks.platform_spec.resolve import ResolvedPlatform



# --------------------------------------------------------------------------- targets


def engine_urn(plan: Plan, resource: PlanResource, project: str | None = None, stack: str | None = None) -> str:
    """The URN the real engine gives a resource of the offline plan.

    The engine qualifies a type with the whole chain of its parents' types, leaving out the
    root stack (`Platform$Storage$aws:s3/bucket:Bucket`), as the SDK's own `create_urn` does
    (parent URN up to its last `::`, then `$type`). The offline plan's URNs come from
    Pulumi's mock monitor, which keeps only the immediate parent's type and the root stack's:
    rebuild the URN from the parent chain rather than trusting them.
    """
    project = project or plan.platform
    stack = stack or stack_name_for(plan.platform, plan.environment)
    chain = [a.type for a in reversed(plan.ancestors(resource))] + [resource.type]
    qualified = "$".join(t for t in chain if t != ROOT_STACK_TYPE)
    return f"urn:pulumi:{stack}::{project}::{qualified}::{resource.name}"


def _component_key(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def target_urns(plan: Plan, components: Sequence[str], project: str, stack: str) -> list[str]:
    """`--target COMPONENT...` → the engine URNs of those components' resources.

    Each component brings its whole subtree, the components above it (a child cannot be
    created under a parent the engine skipped) and the providers its resources use.
    Dependencies in other components are not added: Pulumi's `--target` means "only these".
    """
    if not components:
        return []
    present = sorted({r.component for r in plan.resources if r.component})
    wanted = {_component_key(c) for c in components}
    unknown = sorted(wanted - set(present))
    if unknown:
        raise MlplatError(
            f"--target {', '.join(unknown)}: no such component in {plan.platform}-{plan.environment}; "
            f"components: {', '.join(present) or '(none)'}"
        )
    selected: dict[str, PlanResource] = {}
    for r in plan.resources:
        if r.component in wanted:
            selected[r.urn] = r
            for a in plan.ancestors(r):
                selected.setdefault(a.urn, a)
    for r in list(selected.values()):
        prov = plan.by_urn(r.provider) if r.provider else None
        if prov is not None:
            selected.setdefault(prov.urn, prov)
    return sorted(engine_urn(plan, r, project, stack) for r in selected.values())


# --------------------------------------------------------------------------- teardown safety


def physical_name(r: PlanResource) -> str | None:
    for key in ("bucket", "identifier", "replicationGroupId", "clusterId", "clusterIdentifier", "name"):
        v = r.inputs.get(key)
        if isinstance(v, str) and v and v != UNKNOWN:
            return v
    return None


_ACCOUNT_IN_ARN = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:([0-9]{12}):")
_ACCOUNT_SUFFIX = re.compile(r"-([0-9]{12})")


def deployed_account(state: Sequence[Mapping[str, Any]]) -> str | None:
    """The AWS account a stack's state was deployed into, or None (nothing deployed on aws).

    S3 bucket names end in it (DESIGN 4): describing a teardown from a plan for another account
    would name buckets that are not the ones being deleted. Read from a bucket's id first, else
    from any ARN in the resources' outputs."""
    for r in state:
        if r.get("type") in ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"):
            m = _ACCOUNT_SUFFIX.search(str(r.get("id") or ""))
            if m is not None and m.end() == len(str(r.get("id"))):
                return m.group(1)
    for r in state:
        m = _ACCOUNT_IN_ARN.search(json.dumps(r.get("outputs") or {}))
        if m is not None:
            return m.group(1)
    return None


def stateful_resources(plan: Plan) -> list[PlanResource]:
    return [r for r in plan.custom_resources() if r.type in STATEFUL_TYPES]


def protected_resources(plan: Plan) -> list[PlanResource]:
    """What `destroy` keeps: resources marked protect (or retain_on_delete) in the plan."""
    return [r for r in plan.custom_resources() if r.protect or r.retain_on_delete]


def short_type(type_: str) -> str:
    """`aws:s3/bucketPolicy:BucketPolicy` → `BucketPolicy` (stateful types by their kind: `bucket`)."""
    return STATEFUL_TYPES.get(type_) or type_.rsplit(":", 1)[-1]


def describe(r: PlanResource) -> str:
    kind = short_type(r.type)
    phys = physical_name(r)
    return f"{kind} {phys}" if phys and phys != r.name else f"{kind} {r.name}"


# --------------------------------------------------------------------------- what a protected destroy keeps


@dataclass(frozen=True)
class GraphNode:
    """A resource as the teardown planner sees it, from the offline plan or from the state."""

    urn: str
    type: str
    custom: bool
    protect: bool
    parent: str | None = None
    provider: str | None = None
    dependencies: tuple[str, ...] = ()

    @property
    def is_provider(self) -> bool:
        return self.type.startswith("pulumi:providers:")


def plan_nodes(plan: Plan) -> list[GraphNode]:
    return [
        GraphNode(r.urn, r.type, r.custom, r.protect, r.parent, r.provider, tuple(r.dependencies))
        for r in plan.resources
    ]


def _ref_urn(ref: str | None) -> str | None:
    """A provider reference `<urn>::<id>` → the provider's URN."""
    if not ref:
        return None
    return ref.rsplit("::", 1)[0] if ref.count("::") >= 4 else ref


def state_nodes(resources: Iterable[Mapping[str, Any]]) -> list[GraphNode]:
    """Resources of a Pulumi state (export_stack `deployment.resources`) as graph nodes."""
    out = []
    for r in resources:
        deps = list(r.get("dependencies") or [])
        if r.get("deletedWith"):
            deps.append(str(r["deletedWith"]))
        out.append(GraphNode(
            str(r.get("urn", "")), str(r.get("type", "")), bool(r.get("custom")), bool(r.get("protect")),
            r.get("parent") or None, _ref_urn(r.get("provider")), tuple(deps),
        ))
    return out


KEEP_PROTECTED = "protected"
KEEP_NEEDED = "needed by protected data"  # something protected depends on it (subnets, keys, provider)
KEEP_ATTACHED = "settings of protected data"  # depends only on kept resources (a bucket's policy, a key's alias)


def keep_set(nodes: Sequence[GraphNode]) -> dict[str, str]:
    """Which resources a destroy of a data-protecting environment keeps, and why.

    Protected resources, everything they need (dependencies, parents, providers, transitively:
    an RDS instance keeps its subnet group, subnets and VPC), and the settings attached to
    them (resources that depend on protected ones and on nothing that goes: a bucket's public
    access block, encryption and policy stay, so kept data stays locked down).
    The set is closed under "needs", so deleting everything else never deletes something a
    kept resource uses; Pulumi accepts it as a destroy target list without dependents.
    """
    by_urn = {n.urn: n for n in nodes}

    def needs(n: GraphNode) -> list[str]:
        refs = [*n.dependencies, n.parent, n.provider]
        return [u for u in refs if u and u in by_urn]

    keep: dict[str, str] = {}
    protected = [n.urn for n in nodes if n.protect]
    todo = list(protected)
    while todo:
        urn = todo.pop()
        if urn in keep:
            continue
        keep[urn] = KEEP_PROTECTED if by_urn[urn].protect else KEEP_NEEDED
        todo.extend(needs(by_urn[urn]))
    protected_set = set(protected)
    changed = True
    while changed:
        changed = False
        for n in nodes:
            if n.urn in keep or not n.custom or n.is_provider:
                continue
            if protected_set & set(n.dependencies) and all(u in keep for u in needs(n)):
                keep[n.urn] = KEEP_ATTACHED
                changed = True
    return keep


def teardown_targets(nodes: Sequence[GraphNode]) -> list[str]:
    """URNs a protected destroy deletes: everything outside the keep set (never the root stack)."""
    keep = keep_set(nodes)
    return [n.urn for n in nodes if n.urn not in keep and n.type != ROOT_STACK_TYPE]


@dataclass
class TeardownSummary:
    kept: list[str] = field(default_factory=list)  # stays in the cloud and in the state
    notes: list[str] = field(default_factory=list)  # deleted, but with something kept / caveats
    unprotected_stateful: list[str] = field(default_factory=list)  # data that will be deleted

    def lines(self) -> list[str]:
        out: list[str] = []
        if self.kept:
            out.append(f"kept ({len(self.kept)}):")
            out += [f"  {k}" for k in self.kept]
        if self.notes:
            out += [f"note: {n}" for n in self.notes]
        if self.unprotected_stateful:
            out.append(f"deleted with their data ({len(self.unprotected_stateful)}):")
            out += [f"  {k}" for k in self.unprotected_stateful]
        return out


def teardown_summary(plan: Plan, keep_protected: bool = True,
                     state_keep: Mapping[str, str] | None = None) -> TeardownSummary:
    """What a destroy of this environment keeps and deletes, described from the offline plan.

    keep_protected: the destroy keeps protected data (mlplat's protected teardown); without
    it every resource goes, except those retained on delete. state_keep: the keep set worked
    out on the stack's state (engine URNs, see keep_set/state_nodes), which decides over the
    plan's own protect flags: the state is what the engine will refuse to delete.
    """
    s = TeardownSummary()
    if state_keep is not None:
        keep = {r.urn: state_keep[u] for r in plan.resources if (u := engine_urn(plan, r)) in state_keep}
    else:
        keep = keep_set(plan_nodes(plan)) if keep_protected else {}
    for r in plan.custom_resources():
        if r.urn in keep:
            s.kept.append(f"{describe(r)} ({keep[r.urn]})")
            continue
        if r.retain_on_delete:
            s.kept.append(f"{describe(r)} (retained on delete: left in the cloud, dropped from the state)")
            continue
        if r.type == "aws:rds/instance:Instance" and r.inputs.get("skipFinalSnapshot") is not True:
            snap = r.inputs.get("finalSnapshotIdentifier")
            s.notes.append(f"{describe(r)}: deleted, a final snapshot {snap or ''} is kept".replace("  ", " "))
        elif r.type in ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2") and r.inputs.get("forceDestroy") is not True:
            s.notes.append(f"{describe(r)}: not force-destroyed; its deletion fails while it holds objects")
        elif r.type == "aws:kms/key:Key":
            days = r.inputs.get("deletionWindowInDays")
            window = f"{int(days)} days" if isinstance(days, (int, float)) else "its deletion window"
            s.notes.append(f"{describe(r)}: scheduled for deletion after {window} (recoverable until then)")
        if r.type in STATEFUL_TYPES:
            s.unprotected_stateful.append(describe(r))
    return s


def profile_protects(resolved: ResolvedPlatform) -> bool:
    return bool(resolved.profile.safety.protect_stateful)


@dataclass(frozen=True)
class TeardownPlan:
    """What `destroy` does, decided on the stack's state (not on the profile)."""

    protected: list[str]  # URNs marked protect in the state
    keep: dict[str, str]  # URN → why it stays (empty: nothing is protected)
    targets: list[str] | None  # None: destroy everything; else exactly these URNs

    @property
    def keeps_data(self) -> bool:
        return bool(self.protected)


def teardown_plan(state: Sequence[Mapping[str, Any]], profile_protected: bool) -> TeardownPlan:
    """Which resources a destroy deletes, from the exported state.

    Protection lives in the state: a profile that once protected data, or `pulumi state
    protect` run by hand, leaves resources Pulumi refuses to delete whatever the profile says
    now, and a full destroy would then fail part-way. Whenever the state holds protected
    resources (or the profile protects data), the destroy targets everything outside their
    keep set; otherwise everything goes.
    """
    nodes = state_nodes(state)
    protected = [n.urn for n in nodes if n.protect]
    if not protected and not profile_protected:
        return TeardownPlan([], {}, None)
    return TeardownPlan(protected, keep_set(nodes), teardown_targets(nodes))


# --------------------------------------------------------------------------- confirmation


class Confirm(Enum):
    NONE = "none"  # --yes: go ahead
    YES_NO = "yes-no"  # ask y/N
    TYPE_ENV = "type-env"  # the operator types the environment name


def confirmation(
    action: str, *, env: str, protected: bool, yes: bool, allow_protected: bool = False, interactive: bool
) -> Confirm:
    """How to confirm `action` (up, destroy, refresh), or MlplatError (exit 2) refusing it.

    Never waits for input that cannot come: without a terminal, only flags confirm.
    A destroy of an environment whose profile protects data needs the operator to type the
    environment name, or `--yes --allow-protected` together (CI).
    """
    if action == "destroy" and protected:
        if yes and allow_protected:
            return Confirm.NONE
        if yes:
            raise MlplatError(
                f"refusing to destroy {env}: its profile protects data; --yes alone is not enough. "
                "Pass --yes --allow-protected (protected resources are kept), or run interactively "
                "and type the environment name"
            )
        if not interactive:
            raise MlplatError(
                f"refusing to destroy {env} without confirmation: no terminal to ask on. "
                "Pass --yes --allow-protected (protected resources are kept)"
            )
        return Confirm.TYPE_ENV
    if yes:
        return Confirm.NONE
    if not interactive:
        raise MlplatError(f"refusing to {action} {env} without confirmation: no terminal to ask on; pass --yes")
    return Confirm.YES_NO


def is_interactive() -> bool:
    """Both ends of a conversation: input from a terminal, prompts visible on one."""
    try:
        return sys.stdin.isatty() and (sys.stderr.isatty() or sys.stdout.isatty())
    except (AttributeError, ValueError):
        return False


# --------------------------------------------------------------------------- change summaries

_OP_WORDS = {
    "create": "to create", "update": "to update", "delete": "to delete", "replace": "to replace",
    "same": "unchanged", "read": "to read", "refresh": "to refresh", "import": "to import",
}
_DONE_WORDS = {
    "create": "created", "update": "updated", "delete": "deleted", "replace": "replaced",
    "same": "unchanged", "read": "read", "refresh": "refreshed", "import": "imported",
}
_ORDER = ["create", "update", "replace", "delete", "read", "import", "refresh", "same"]


def _op_key(op: Any) -> str:
    return str(getattr(op, "value", op))


def format_changes(changes: Mapping[Any, int] | None, *, done: bool) -> str:
    """{create: 3, same: 2} → '3 to create, 2 unchanged' (or 'created' once applied)."""
    counts: dict[str, int] = {}
    for op, n in (changes or {}).items():
        key = _op_key(op)
        counts[key] = counts.get(key, 0) + int(n)
    if not any(n for k, n in counts.items() if k != "same"):
        total = counts.get("same", 0)
        return f"no changes ({total} unchanged)" if total else "no changes"
    words = _DONE_WORDS if done else _OP_WORDS
    keys = sorted(counts, key=lambda k: (_ORDER.index(k) if k in _ORDER else len(_ORDER), k))
    return ", ".join(f"{counts[k]} {words.get(k, k)}" for k in keys if counts[k])


def has_changes(changes: Mapping[Any, int] | None) -> bool:
    return any(n for op, n in (changes or {}).items() if _op_key(op) != "same")


__all__ = ["KEEP_ATTACHED", "KEEP_NEEDED", "KEEP_PROTECTED", "Confirm", "GraphNode", "TeardownPlan", "TeardownSummary", "confirmation", "deployed_account", "engine_urn", "format_changes", "has_changes", "is_interactive", "keep_set", "physical_name", "plan_nodes", "profile_protects", "protected_resources", "short_type", "state_nodes", "stateful_resources", "target_urns", "teardown_plan", "teardown_summary", "teardown_targets"]
