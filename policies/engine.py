"""Evaluate the policy gate for one environment: mlplat rules (spec + plan), checkov, levels, waivers."""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .base import (
    Finding,
    LevelResolver,
    PlanContext,
    PlanRule,
    Rule,
    SpecContext,
    SpecRule,
    Violation,
    all_rules,
    apply_waivers,
)
from .locate import component_of, join, locate, resource_spec_path

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import Plan
    from mlplat.stacks.platform_spec.model import Waiver
    from mlplat.stacks.platform_spec.resolve import ResolvedPlatform


@dataclass
class PolicyResult:
    """The verdict for one environment."""

    platform: str
    environment: str
    spec_file: str
    findings: list[Finding] = field(default_factory=list)  # active (not waived), level != disabled
    waived: list[tuple[Finding, Waiver]] = field(default_factory=list)
    rules: list[tuple[type[Rule], str]] = field(default_factory=list)  # (rule, effective level)
    checkov: bool = False
    checkov_checks: dict[str, str] = field(default_factory=dict)  # failed checkov id → check name
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def mandatory_failures(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "mandatory"]

    @property
    def advisories(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "advisory"]

    @property
    def passed(self) -> bool:
        return not self.mandatory_failures

    def summary(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "mandatory": len(self.mandatory_failures),
            "advisory": len(self.advisories),
            "waived": len(self.waived),
            "rules_evaluated": sum(1 for _, lvl in self.rules if lvl != "disabled"),
            "checkov": self.checkov,
        }


def _finding(
    rule: type[Rule] | None,
    v: Violation,
    level: str,
    resolved: ResolvedPlatform,
    plan: Plan | None,
    *,
    policy: str | None = None,
    source: str = "mlplat",
    title: str | None = None,
    remediation: str | None = None,
    spec_field: tuple[str | int, ...] = (),
    spec_anchor: tuple[str | int, ...] | None = None,
) -> Finding:
    res = plan.by_urn(v.urn) if plan is not None and v.urn else None
    if v.spec_path:
        path = v.spec_path
    elif spec_anchor is not None:
        path = spec_anchor
    elif res is not None:
        path = join(resource_spec_path(resolved, plan, res), spec_field)
    else:
        path = ("metadata",)
    loc = locate(resolved, path)
    component = v.component or (component_of(plan, res) if res is not None else None)
    aliases: list[str] = []
    if res is not None:
        for key in ("bucket", "name", "identifier", "nodeGroupName", "replicationGroupId"):
            val = res.inputs.get(key)
            if isinstance(val, str):
                aliases.append(val)
        meta = res.inputs.get("metadata")
        if isinstance(meta, dict) and isinstance(meta.get("name"), str):
            aliases.append(meta["name"])
    return Finding(
        policy=policy or (rule.id if rule else "?"),
        level=level,  # type: ignore[arg-type]
        source=source,  # type: ignore[arg-type]
        resource=v.resource,
        message=v.message,
        file=loc.file,
        line=loc.line,
        column=loc.column,
        component=component,
        remediation=remediation if remediation is not None else (rule.remediation if rule else ""),
        title=title if title is not None else (rule.name if rule else ""),
        spec_path=loc.path,
        environment=resolved.environment,
        resource_type=v.resource_type,
        urn=v.urn,
        aliases=tuple(aliases),
    )


def select_rules(ids: Iterable[str] | None = None) -> list[type[Rule]]:
    rules = list(all_rules())
    if ids is not None:
        wanted = set(ids)
        rules = [r for r in rules if r.id in wanted]
    return rules


def evaluate(
    resolved: ResolvedPlatform,
    plan: Plan | None = None,
    checkov: bool = True,
    *,
    today: _dt.date | None = None,
    rules: Sequence[type[Rule]] | None = None,
    checkov_worker: Any = None,
) -> PolicyResult:
    """Run every rule (and checkov) for one environment.

    `plan` is the offline plan of `resolved` (computed when None). Findings at level `disabled`
    are dropped, waived findings are kept apart in `.waived`. `checkov_worker`: a started
    `CheckovWorker` scans the plan in its own process while the rules run here.
    """
    today = today or _dt.date.today()
    timings: dict[str, float] = {}
    if plan is None:
        from mlplat.stacks.plan.offline import run_offline

        t0 = time.perf_counter()
        plan = run_offline(resolved)
        timings["plan"] = time.perf_counter() - t0

    levels = LevelResolver.of(resolved)
    result = PolicyResult(resolved.name, resolved.environment, str(resolved.source), checkov=checkov)
    findings: list[Finding] = []
    spec_ctx = SpecContext(resolved, today)
    plan_ctx = PlanContext(plan, resolved.environment, resolved)

    if checkov and checkov_worker is not None:
        checkov_worker.submit(plan)
    t0 = time.perf_counter()
    for rule in rules if rules is not None else all_rules():
        level = levels.level(rule)
        result.rules.append((rule, level))
        if level == "disabled":
            continue
        if issubclass(rule, SpecRule):
            for v in rule().check(spec_ctx):
                findings.append(_finding(rule, v, level, resolved, plan))
        elif issubclass(rule, PlanRule):
            for v in rule().check(plan_ctx):
                findings.append(
                    _finding(
                        rule,
                        v,
                        level,
                        resolved,
                        plan,
                        spec_field=rule.spec_field,
                        spec_anchor=rule.spec_anchor,
                    )
                )
    timings["rules"] = time.perf_counter() - t0

    if checkov:
        from .checkov_bridge import scan_plan

        t0 = time.perf_counter()
        scan = checkov_worker.result() if checkov_worker is not None else scan_plan(plan)
        timings["checkov"] = time.perf_counter() - t0  # with a worker: the wait after the rules
        for cf in scan.failures:
            level = levels.checkov_level(cf.check_id)
            if level == "disabled":
                continue
            res = plan.by_urn(cf.urn)
            v = Violation(
                cf.resource,
                f"{cf.check_name} ({cf.checkov_resource})",
                resource_type=res.type if res else None,
                urn=cf.urn,
            )
            result.checkov_checks[cf.check_id] = cf.check_name
            findings.append(
                _finding(
                    None,
                    v,
                    level,
                    resolved,
                    plan,
                    policy=cf.check_id,
                    source="checkov",
                    title=cf.check_name,
                    remediation=cf.guideline or "",
                )
            )

    findings = _dedupe_checkov(findings)
    # Findings of locked rules (an expired waiver) are never waivable: a waiver cannot renew itself.
    locked_ids = {r.id for r in all_rules() if r.locked}
    waivable = [f for f in findings if f.policy not in locked_ids]
    pol = resolved.spec.policies
    active, waived = apply_waivers(waivable, pol.waivers if pol else [], today)
    active += [f for f in findings if f.policy in locked_ids]
    result.findings = sorted(active, key=_order)
    result.waived = waived
    result.timings = timings
    return result


def _dedupe_checkov(findings: list[Finding]) -> list[Finding]:
    """Drop a checkov finding when the equivalent mlplat rule already reports the same resource:
    one problem, one finding (the mlplat one carries the better message and remediation)."""
    equivalent = {c: r.id for r in all_rules() for c in r.checkov_equivalents}
    own = {(f.policy, f.urn) for f in findings if f.source == "mlplat"}
    return [
        f
        for f in findings
        if not (f.source == "checkov" and f.policy in equivalent and (equivalent[f.policy], f.urn) in own)
    ]


def _order(f: Finding) -> tuple[Any, ...]:
    return (0 if f.level == "mandatory" else 1, f.policy, f.file or "", f.line or 0, f.resource)


__all__ = ["PolicyResult", "evaluate", "select_rules"]
