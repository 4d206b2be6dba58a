"""The policy framework: rules, findings, levels, waivers and the registry.

Two kinds of rule:

* :class:`SpecRule` runs on the resolved spec of one environment (no unknown values) and names
  the spec path it complains about.
* :class:`PlanRule` runs on the offline plan (every resource, its inputs with wire names, its
  parent and dependencies). A per-resource plan rule implements :meth:`PlanRule.check_resource`
  and is exported to the CrossGuard pack as a ``ResourceValidationPolicy``; a rule that needs the
  graph (``stack = True``) implements :meth:`PlanRule.check` and becomes a
  ``StackValidationPolicy``.

One rule per file in ``policies/rules/``, the class named after the file
(``bucket_versioned.py`` → ``BucketVersioned``), a stable id ``MLP-<AREA>-NNN``, a name that
reads "Ensure …", a default level and remediation text. Nothing here imports Pulumi or checkov.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import importlib
import pkgutil
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar, Literal

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import Plan, PlanResource
    from mlplat.stacks.platform_spec.model import PlatformSpec, Waiver
    from mlplat.stacks.platform_spec.resolve import ResolvedPlatform

Level = Literal["mandatory", "advisory", "disabled"]
LEVELS: tuple[Level, ...] = ("mandatory", "advisory", "disabled")
Source = Literal["mlplat", "checkov"]
RULE_ID = re.compile(r"MLP-[A-Z]{2,4}-\d{3}")

# The areas of the rule ids, for documentation and report grouping.
AREAS: dict[str, str] = {
    "STO": "storage",
    "NET": "network",
    "CLU": "cluster",
    "DB": "databases",
    "WRK": "workloads",
    "SRV": "serving",
    "SEC": "secrets",
    "TAG": "tagging",
    "BUD": "budget",
    "MON": "monitoring",
    "GOV": "governance",
    "SM": "managed services",
}


# --------------------------------------------------------------------------- findings


@dataclass(frozen=True)
class Violation:
    """What a rule reports; the evaluator turns it into a located :class:`Finding`."""

    resource: str  # plan resource logical name, or the spec subject (e.g. a model name)
    message: str
    spec_path: tuple[str | int, ...] = ()  # spec rules: where in the spec; plan rules: optional override
    resource_type: str | None = None
    urn: str | None = None
    component: str | None = None


@dataclass
class Finding:
    """One located policy violation (DESIGN 5: the `findings` entries of `policy --format json`)."""

    policy: str
    level: Level
    source: Source
    resource: str
    message: str
    file: str | None
    line: int | None
    component: str | None = None
    remediation: str = ""
    title: str = ""  # the rule's "Ensure …" name
    column: int | None = None
    spec_path: str = ""  # dotted spec path the location stands for
    environment: str = ""
    resource_type: str | None = None
    urn: str | None = None
    # Extra names a waiver glob may match (physical name, spec path); not serialised.
    aliases: tuple[str, ...] = field(default=(), repr=False, compare=False)

    @property
    def location(self) -> str:
        if self.file and self.line:
            return f"{self.file}:{self.line}"
        return self.file or ""

    def names(self) -> tuple[str, ...]:
        """Every name a waiver's resource glob is matched against."""
        out = [self.resource, *self.aliases]
        if self.urn:
            out.append(self.urn)
        if self.spec_path:
            out.append(self.spec_path)
        return tuple(dict.fromkeys(n for n in out if n))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("aliases", None)
        return d


# --------------------------------------------------------------------------- rules


@dataclass
class SpecContext:
    resolved: ResolvedPlatform
    today: _dt.date = field(default_factory=_dt.date.today)

    @property
    def spec(self) -> PlatformSpec:
        return self.resolved.spec

    @property
    def environment(self) -> str:
        return self.resolved.environment

    @property
    def provider(self) -> str:
        return self.resolved.provider


@dataclass
class PlanContext:
    """What a plan rule sees. `resolved` is None inside the CrossGuard pack: plan rules must not need it."""

    plan: Plan
    environment: str
    resolved: ResolvedPlatform | None = None

    @property
    def provider(self) -> str | None:
        return self.plan.provider

    @property
    def prod(self) -> bool:
        return self.environment == "prod"


class Rule:
    id: ClassVar[str]
    name: ClassVar[str]  # "Ensure …"
    default_level: ClassVar[Level] = "advisory"
    remediation: ClassVar[str] = ""
    kind: ClassVar[str] = "?"
    # A locked rule keeps its default level whatever profiles or the spec say (waiver hygiene).
    locked: ClassVar[bool] = False
    # Checkov checks that test the same thing: their findings take this rule's level.
    checkov_equivalents: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def area(cls) -> str:
        return AREAS.get(cls.id.split("-")[1], "other")

    @classmethod
    def description(cls) -> str:
        doc = (cls.__doc__ or "").strip()
        return doc or cls.name


class SpecRule(Rule):
    kind = "spec"

    def check(self, ctx: SpecContext) -> Iterable[Violation]:  # pragma: no cover - abstract
        raise NotImplementedError


class PlanRule(Rule):
    kind = "plan"
    resource_types: ClassVar[tuple[str, ...]] = ()  # empty: every custom resource
    stack: ClassVar[bool] = False  # True: needs the whole plan (graph) → override check()
    crossguard: ClassVar[bool] = True  # False: not exported (needs offline-only facts)
    # Where the fix goes, relative to the spec node the resource maps to (e.g. ("versioning",)) …
    spec_field: ClassVar[tuple[str | int, ...]] = ()
    # … or an absolute spec path (e.g. ("storage", "encryption")).
    spec_anchor: ClassVar[tuple[str | int, ...] | None] = None

    def applies(self, res: PlanResource) -> bool:
        if not res.custom or res.type.startswith("pulumi:providers:"):
            return False
        return not self.resource_types or res.type in self.resource_types

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        """Messages for one resource (per-resource rules)."""
        return ()

    def check(self, ctx: PlanContext) -> Iterable[Violation]:
        for res in ctx.plan.resources:
            if self.applies(res):
                for msg in self.check_resource(res, ctx):
                    yield Violation(
                        res.name, msg, resource_type=res.type, urn=res.urn, component=res.component
                    )


# --------------------------------------------------------------------------- registry


def _class_name(module: str) -> str:
    return "".join(part.capitalize() for part in module.split("_"))


@cache
def all_rules() -> tuple[type[Rule], ...]:
    """Every rule in policies/rules/, sorted by id. One module per rule, class named after the file."""
    from . import rules as pkg

    found: list[type[Rule]] = []
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{pkg.__name__}.{info.name}")
        cls = getattr(mod, _class_name(info.name), None)
        if not (isinstance(cls, type) and issubclass(cls, (SpecRule, PlanRule))):
            raise TypeError(f"policies/rules/{info.name}.py must define class {_class_name(info.name)}")
        found.append(cls)
    ids = [c.id for c in found]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise TypeError(f"duplicate policy ids: {', '.join(sorted(dupes))}")
    return tuple(sorted(found, key=lambda c: c.id))


def rule_by_id(policy_id: str) -> type[Rule] | None:
    return next((r for r in all_rules() if r.id == policy_id), None)


def known_policy(policy_id: str) -> bool:
    """An mlplat rule id, a checkov check id (checkov's own catalogue is not consulted: it is large
    and slow to load), or a drift finding code (DRIFT-…, waived by `mlplat drift`)."""
    if rule_by_id(policy_id) is not None:
        return True
    return bool(re.fullmatch(r"(CKV2?_[A-Z0-9]+_\d+|DRIFT(-[A-Z]+)?)", policy_id))


# --------------------------------------------------------------------------- levels


def _lookup(levels: Mapping[str, str], policy_id: str) -> str | None:
    """Exact id first, then the longest matching glob key (e.g. `CKV_K8S_*`)."""
    if policy_id in levels:
        return levels[policy_id]
    globs = [k for k in levels if any(c in k for c in "*?[") and fnmatch.fnmatchcase(policy_id, k)]
    if globs:
        return levels[max(globs, key=len)]
    return None


@dataclass
class LevelResolver:
    """rule default → profile `policy_levels` → spec `policies.levels` (later wins)."""

    profile_levels: Mapping[str, str] = field(default_factory=dict)
    spec_levels: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, resolved: ResolvedPlatform | None) -> LevelResolver:
        if resolved is None:
            return cls()
        pol = resolved.spec.policies
        return cls(dict(resolved.profile.policy_levels), dict(pol.levels) if pol else {})

    def level(self, rule: type[Rule]) -> Level:
        if rule.locked:
            return rule.default_level
        for levels in (self.spec_levels, self.profile_levels):
            found = _lookup(levels, rule.id)
            if found in LEVELS:
                return found  # type: ignore[return-value]
        return rule.default_level

    def checkov_level(self, check_id: str, default: Level = "advisory") -> Level:
        """A checkov check: spec exact id → the equivalent mlplat rule's level → profile → spec glob → default."""
        if check_id in self.spec_levels and self.spec_levels[check_id] in LEVELS:
            return self.spec_levels[check_id]  # type: ignore[return-value]
        for rule in all_rules():
            if check_id in rule.checkov_equivalents:
                return self.level(rule)
        for levels in (self.spec_levels, self.profile_levels):
            found = _lookup(levels, check_id)
            if found in LEVELS:
                return found  # type: ignore[return-value]
        return default


# --------------------------------------------------------------------------- waivers


def waiver_expired(waiver: Waiver, today: _dt.date) -> bool:
    """A waiver is valid through its `expires` day."""
    return waiver.expires < today


def waiver_matches(waiver: Waiver, finding: Finding) -> bool:
    if not fnmatch.fnmatchcase(finding.policy, waiver.policy):
        return False
    return any(fnmatch.fnmatchcase(name, waiver.resource) for name in finding.names())


def apply_waivers(
    findings: Iterable[Finding], waivers: Iterable[Waiver], today: _dt.date
) -> tuple[list[Finding], list[tuple[Finding, Waiver]]]:
    """Split findings into (active, waived). Expired waivers suppress nothing."""
    valid = [w for w in waivers if not waiver_expired(w, today)]
    active: list[Finding] = []
    waived: list[tuple[Finding, Waiver]] = []
    for f in findings:
        w = next((w for w in valid if waiver_matches(w, f)), None)
        if w is None:
            active.append(f)
        else:
            waived.append((f, w))
    return active, waived


def iter_pod_specs(res: PlanResource) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, pod spec) of a Kubernetes workload's inputs: Pod, Deployment, StatefulSet, DaemonSet,
    ReplicaSet, Job, CronJob. Shared by the workload rules."""
    kind = res.type.rsplit(":", 1)[-1]
    if not res.is_kubernetes:
        return
    candidates = {
        "Pod": "spec",
        "Deployment": "spec.template.spec",
        "StatefulSet": "spec.template.spec",
        "DaemonSet": "spec.template.spec",
        "ReplicaSet": "spec.template.spec",
        "Job": "spec.template.spec",
        "CronJob": "spec.jobTemplate.spec.template.spec",
    }
    path = candidates.get(kind)
    if path is None:
        return
    spec = res.get(path)
    if isinstance(spec, dict):
        yield path, spec


WORKLOAD_KINDS = ("Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob")


def workload_kind(res: PlanResource) -> str | None:
    kind = res.type.rsplit(":", 1)[-1]
    return kind if res.is_kubernetes and kind in WORKLOAD_KINDS else None


def containers(pod_spec: Mapping[str, Any], init: bool = True) -> list[dict[str, Any]]:
    out = [c for c in pod_spec.get("containers") or [] if isinstance(c, dict)]
    if init:
        out += [c for c in pod_spec.get("initContainers") or [] if isinstance(c, dict)]
    return out


__all__ = [
    "AREAS", "LEVELS", "Finding", "Level", "LevelResolver", "PlanContext", "PlanRule", "Rule", "SpecContext",
    "SpecRule", "Violation", "all_rules", "apply_waivers", "containers", "iter_pod_specs", "known_policy",
    "rule_by_id", "waiver_expired", "waiver_matches", "workload_kind",
]  # fmt: skip
