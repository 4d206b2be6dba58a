"""Pricing a whole plan, comparing two estimates, and the budget gate."""


from __future__ import annotations

import datetime as _dt
import difflib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlplat.stacks.cost.catalogue import STATUS_PRICED, Catalogue, load_catalogue, usage_assumptions
from mlplat.stacks.cost.fmt import _money, _num, _r, _signed_pct
from mlplat.stacks.cost.lines import CostEstimate, CostLine, _component_order
from mlplat.stacks.cost.pricers import AWS_PRICERS, _Ctx, _d, _free, _free_reason, _int, _unpriced
from mlplat.stacks.cost.pricers_k8s import _meta, _price_kubernetes
from mlplat.stacks.platform_spec.baseline import baseline_document

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import Plan, PlanResource
    from mlplat.stacks.platform_spec.resolve import ResolvedPlatform



# --------------------------------------------------------------------------- estimate


def _hpa_bounds(plan: Plan) -> dict[tuple[str, str, str], tuple[int, int]]:
    out: dict[tuple[str, str, str], tuple[int, int]] = {}
    for r in plan.custom_resources():
        if not (r.type.startswith("kubernetes:autoscaling/") and r.type.endswith(":HorizontalPodAutoscaler")):
            continue
        spec = _d(r.inputs.get("spec"))
        ref = _d(spec.get("scaleTargetRef"))
        lo = _int(spec.get("minReplicas"), 1) or 1
        hi = _int(spec.get("maxReplicas"), lo) or lo
        ns, _ = _meta(r)
        out[(ns, str(ref.get("kind")), str(ref.get("name")))] = (lo, max(lo, hi))
    return out


def billable_resources(plan: Plan) -> list[PlanResource]:
    """What gets a line: custom resources, plus opaque components (remote components such as a
    kustomize Directory or a helm v4 Chart, whose children never reach an offline plan)."""
    parents = {r.parent for r in plan.resources if r.parent}
    out = []
    for r in plan.resources:
        if r.type.startswith("pulumi:"):
            continue
        if r.custom or (not r.type.startswith("mlplat:") and r.urn not in parents):
            out.append(r)
    return out


def price_resource(res: PlanResource, ctx: _Ctx) -> CostLine:
    """One line for one custom resource of the plan."""
    if res.type.startswith("kubernetes:"):
        return _price_kubernetes(res, ctx)
    from mlplat.stacks.cost.pricers_managed import MANAGED_PRICERS

    pricer = MANAGED_PRICERS.get(res.type) or AWS_PRICERS.get(res.type)
    if pricer is not None:
        return pricer(res, ctx)
    why = _free_reason(res.type)
    if why is not None:
        return _free(res, why)
    return _unpriced(res, "no price for this resource type in the catalogue")


def _today() -> _dt.date:
    return _dt.date.today()


def estimate(resolved: ResolvedPlatform, plan: Plan, catalogue: Catalogue | None = None,
             today: _dt.date | None = None) -> CostEstimate:  # fmt: skip
    """Price every custom resource of `plan` (the plan of `resolved`); prices older than six
    months on `today` (default: the real today) are named in the warnings."""
    provider = resolved.provider
    region = getattr(resolved.spec.target, "region", None)
    cat = catalogue or load_catalogue(provider, region)
    usage = usage_assumptions(resolved, cat)
    resources_ = billable_resources(plan)
    ctx = _Ctx(
        resolved=resolved,
        plan=plan,
        cat=cat,
        usage=usage,
        nat_count=sum(1 for r in resources_ if r.type == "aws:ec2/natGateway:NatGateway"),
        bucket_count=sum(1 for r in resources_ if r.type in ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")),
        hpa=_hpa_bounds(plan),
    )
    lines = [price_resource(r, ctx) for r in resources_]
    warnings: list[str] = []
    declared = {b.name for b in resolved.spec.storage.buckets} if resolved.spec.storage else set()
    for name in usage.storage_gb:
        if name not in declared:
            close = difflib.get_close_matches(name, sorted(declared), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            warnings.append(f"usage.storage_gb names bucket {name!r}, which the spec does not declare{hint}")
    if provider == "kubernetes" and resolved.spec.cluster is not None and resolved.spec.cluster.node_pools:
        warnings.append("node_pools are ignored on kubernetes targets: the existing cluster's nodes are not priced")
    if cat.data.get("estimate"):
        warnings.append(f"ESTIMATE: no price catalogue for {region}; {cat.data['notes'][0]}")
    stale = cat.stale_note(today or _today())
    if stale:
        warnings.append(stale)
    managed_note = _managed_stale_note(lines, region, today or _today())
    if managed_note:
        warnings.append(managed_note)
    budget = resolved.spec.budget
    return CostEstimate(
        platform=resolved.name,
        environment=resolved.environment,
        provider=provider,
        region=region,
        catalogue=cat,
        usage=usage,
        lines=lines,
        budget_usd=budget.monthly_usd if budget else None,
        max_increase_percent=budget.max_increase_percent if budget else None,
        warnings=warnings,
        source=str(resolved.source),
        today=(today or _today()).isoformat(),
    )


def _managed_stale_note(lines: list[CostLine], region: str | None, today: _dt.date) -> str | None:
    """The managed-services price file (SageMaker, MWAA) has a date of its own: report it too."""
    from mlplat.stacks.cost.catalogue import STALE_AFTER_MONTHS, _months_between
    from mlplat.stacks.cost.pricers_managed import MANAGED_PRICERS, managed_prices

    if not any(ln.type in MANAGED_PRICERS and ln.status == STATUS_PRICED for ln in lines):
        return None
    when = str(managed_prices(region or "us-east-1").get("as_of", ""))
    age = _months_between(when, today)
    if age is None or age < STALE_AFTER_MONTHS:
        return None
    return (f"managed-service prices (SageMaker, MWAA: managed-aws-{region or 'us-east-1'}.yaml) as of {when} are "
            f"{age} months old on {today.isoformat()}: check them before relying on them")


def estimate_spec(spec_path: str | Path, env: str) -> CostEstimate:
    """Load, resolve, expand offline and price one environment (the call behind `mlplat cost`)."""
    from mlplat.stacks.plan.offline import run_offline
    from mlplat.stacks.platform_spec.resolve import load_platform

    resolved = load_platform(spec_path, env)
    return estimate(resolved, run_offline(resolved))


# --------------------------------------------------------------------------- compare


@dataclass
class ComponentDiff:
    component: str
    baseline_usd: float
    current_usd: float

    @property
    def diff_usd(self) -> float:
        return self.current_usd - self.baseline_usd

    @property
    def diff_percent(self) -> float | None:
        return None if self.baseline_usd == 0 else 100.0 * self.diff_usd / self.baseline_usd


@dataclass
class LineDiff:
    name: str
    type: str
    component: str
    baseline_usd: float | None  # None: not in the baseline
    current_usd: float | None  # None: removed

    @property
    def diff_usd(self) -> float:
        return (self.current_usd or 0.0) - (self.baseline_usd or 0.0)

    @property
    def change(self) -> str:
        if self.baseline_usd is None:
            return "added"
        if self.current_usd is None:
            return "removed"
        return "changed"


@dataclass
class CostDiff:
    current: CostEstimate
    baseline: CostEstimate | None  # None: the environment did not exist in the baseline
    baseline_label: str = ""

    @property
    def baseline_monthly_usd(self) -> float:
        return self.baseline.monthly_usd if self.baseline is not None else 0.0

    @property
    def diff_monthly_usd(self) -> float:
        return self.current.monthly_usd - self.baseline_monthly_usd

    @property
    def diff_percent(self) -> float | None:
        base = self.baseline_monthly_usd
        return None if base == 0 else 100.0 * self.diff_monthly_usd / base

    @property
    def components(self) -> list[ComponentDiff]:
        cur = self.current.by_component
        base = self.baseline.by_component if self.baseline is not None else {}
        names = sorted(set(cur) | set(base), key=_component_order)
        return [ComponentDiff(c, base.get(c, 0.0), cur.get(c, 0.0)) for c in names]

    @property
    def lines(self) -> list[LineDiff]:
        """Resources whose monthly figure changed, appeared or disappeared (priced ones only)."""

        def index(est: CostEstimate | None) -> dict[tuple[str, str], CostLine]:
            if est is None:
                return {}
            return {(ln.type, ln.name): ln for ln in est.lines if ln.status == STATUS_PRICED}

        cur, base = index(self.current), index(self.baseline)
        out = []
        for key in sorted(set(cur) | set(base), key=lambda k: (k[1], k[0])):
            c, b = cur.get(key), base.get(key)
            ln = c or b
            assert ln is not None
            cu = c.monthly_usd if c is not None else None
            bu = b.monthly_usd if b is not None else None
            if cu is not None and bu is not None and math.isclose(cu, bu, abs_tol=0.005):
                continue
            out.append(LineDiff(ln.name, ln.type, ln.component, bu, cu))
        return sorted(out, key=lambda d: -abs(d.diff_usd))

    def to_dict(self) -> dict[str, Any]:
        return {
            "baseline": self.baseline_label,
            "baseline_monthly_usd": _r(self.baseline_monthly_usd),
            "diff_monthly_usd": _r(self.diff_monthly_usd),
            "diff_percent": _r(self.diff_percent, 1),
            "diff_by_component": {
                d.component: {"baseline": _r(d.baseline_usd), "current": _r(d.current_usd), "diff": _r(d.diff_usd)}
                for d in self.components
            },
            "changed_lines": [
                {
                    "name": d.name,
                    "type": d.type,
                    "component": d.component,
                    "change": d.change,
                    "baseline_usd": _r(d.baseline_usd),
                    "current_usd": _r(d.current_usd),
                    "diff_usd": _r(d.diff_usd),
                }
                for d in self.lines
            ],
        }


def compare(current: CostEstimate, baseline: CostEstimate | None, baseline_label: str = "") -> CostDiff:
    """Differences per component, per resource and in total (baseline None: did not exist)."""
    return CostDiff(current, baseline, baseline_label)


# --------------------------------------------------------------------------- budget gate


@dataclass
class BudgetVerdict:
    ok: bool
    reasons: list[str]  # why it failed (empty when ok)
    notes: list[str]  # what was checked
    monthly_usd: float
    budget_usd: float | None
    max_increase_percent: float | None
    increase_percent: float | None

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "reasons": self.reasons,
            "notes": self.notes,
            "monthly_usd": _r(self.monthly_usd),
            "budget_usd": self.budget_usd,
            "max_increase_percent": self.max_increase_percent,
            "increase_percent": _r(self.increase_percent, 1),
        }


def budget_gate(estimate: CostEstimate, diff: CostDiff | None = None) -> BudgetVerdict:
    """Exit-1 conditions of `mlplat cost` and `mlplat check`: the expected monthly figure above
    `budget.monthly_usd`, or its increase over the comparison above `budget.max_increase_percent`."""
    reasons: list[str] = []
    notes: list[str] = []
    total = estimate.monthly_usd
    env = estimate.environment
    limit = estimate.budget_usd
    if limit is None:
        notes.append(f"no budget.monthly_usd for {env}: monthly budget not checked")
    elif round(total, 2) > limit:
        reasons.append(
            f"{env}: estimated {_money(total)}/month exceeds budget.monthly_usd {_money(limit)} "
            f"by {_money(total - limit)}"
        )
    else:
        notes.append(f"{env}: {_money(total)}/month is within budget.monthly_usd {_money(limit)}")
    increase = diff.diff_percent if diff is not None else None
    cap = estimate.max_increase_percent
    if diff is not None:
        if cap is None:
            notes.append("no budget.max_increase_percent: increase not checked")
        elif diff.baseline_monthly_usd == 0:
            notes.append(f"baseline {diff.baseline_label or ''} costs nothing: increase percentage not applicable")
        elif increase is not None and round(increase, 2) > cap:
            reasons.append(
                f"{env}: cost rises {increase:.1f}% over {diff.baseline_label or 'the baseline'} "
                f"({_money(diff.baseline_monthly_usd)} → {_money(total)}), above budget.max_increase_percent {_num(cap)}%"
            )
        else:
            notes.append(f"{env}: change {_signed_pct(increase)} is within budget.max_increase_percent {_num(cap)}%")
    return BudgetVerdict(not reasons, reasons, notes, total, limit, cap, increase)


def baseline_estimate(spec_path: str | Path, compare_to: str, env: str) -> tuple[CostEstimate | None, str]:
    """Price `env` of the baseline (see baseline_document). None when the environment does not
    exist in the baseline."""
    from mlplat.stacks.plan.offline import run_offline
    from mlplat.stacks.platform_spec.resolve import resolve

    doc, label = baseline_document(spec_path, compare_to)
    if env not in doc.environment_names():
        return None, label
    resolved = resolve(doc, env)
    return estimate(resolved, run_offline(resolved)), label


__all__ = ["BudgetVerdict", "ComponentDiff", "CostDiff", "LineDiff", "baseline_estimate", "billable_resources", "budget_gate", "compare", "estimate", "estimate_spec"]
