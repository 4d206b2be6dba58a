"""Cost estimates: price a plan with a catalogue shipped as data, before anything exists.

Neither infracost nor any other tool prices Pulumi programs; mlplat can, because it owns the
whole plan. The estimate reads each resource's type and inputs from the plan (instance types,
scaling bounds, storage sizes, Multi-AZ flags …) and fills in what a plan cannot know (stored
GB, traffic, how long autoscaling pools run above their minimum) from the spec's optional
`usage:` section or from the documented defaults below.

Every custom resource in the plan ends up as exactly one line with a status:

- ``priced``: a monthly figure from catalogue prices × quantities (the assumption says which);
- ``free``: the provider charges nothing for it (IAM, security groups, routing, Kubernetes API
  objects whose pods run on priced nodes) — classified explicitly, never by omission;
- ``unpriced``: billable or unknown, but the catalogue or the plan cannot price it. Listed by
  name with the reason, and counted in the coverage figure — never silently zero.

A month is 730 hours. Autoscaling pools (and replicas behind a HorizontalPodAutoscaler on
Kubernetes targets) carry a minimum, an expected and a maximum monthly figure; totals use the
expected one.
"""

from __future__ import annotations

import difflib
import fnmatch
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import MlplatError

if TYPE_CHECKING:
    from .plan import Plan, PlanResource
    from .resolve import ResolvedPlatform, SpecDocument

HOURS_PER_MONTH = 730.0
DEFAULT_REGION = "us-east-1"

# --------------------------------------------------------------------------- usage defaults (documented)

#: Share of the month an autoscaling pool runs at its maximum above its minimum: expected node-hours
#: = 730 × (min + fraction × (max − min)). 25%: a busy working day's peak, idle nights and weekends.
DEFAULT_AUTOSCALE_FRACTION = 0.25
#: Stored GB per bucket, by the bucket's declared purpose (override per bucket: usage.storage_gb).
DEFAULT_BUCKET_GB: dict[str, float] = {
    "artifacts": 100.0, "dvc": 500.0, "datasets": 500.0, "feature-offline": 200.0, "data-docs": 1.0,
    "drift-reports": 5.0, "logs": 50.0, "general": 50.0,
}  # fmt: skip
#: GB processed per month by the NAT gateways together (split evenly between them).
DEFAULT_NAT_GB = 100.0
#: S3 requests per month for the whole platform (split evenly between buckets), of which
#: DEFAULT_S3_PUT_SHARE are PUT/COPY/POST/LIST and the rest GET-class.
DEFAULT_S3_REQUESTS = 1_000_000.0
DEFAULT_S3_PUT_SHARE = 0.2
#: GB ingested per CloudWatch log group per month (flow logs, EKS control-plane logs).
DEFAULT_LOGS_GB = 5.0
#: Average load-balancer capacity units (LCU) per hour: light internal traffic.
DEFAULT_LB_LCU = 1.0
#: Minutes one CronJob run takes (drift reports, feature materialisation) on kubernetes targets.
DEFAULT_JOB_MINUTES = 10.0

STATUS_PRICED, STATUS_FREE, STATUS_UNPRICED = "priced", "free", "unpriced"


# --------------------------------------------------------------------------- the catalogue


@dataclass(frozen=True)
class Catalogue:
    """One price file: `stacks/pricing/aws-<region>.yaml` or `kubernetes.yaml`."""

    provider: str
    region: str | None
    currency: str
    as_of: str
    source: str
    hours_per_month: float
    data: dict[str, Any] = field(repr=False)
    file: str = ""

    def section(self, name: str) -> dict[str, Any]:
        value = self.data.get(name)
        return value if isinstance(value, dict) else {}

    def price(self, section: str, key: str) -> float | None:
        value = self.section(section).get(key)
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    def ec2(self, instance_type: str) -> float | None:
        return self.price("ec2", instance_type)

    @property
    def spot_discount(self) -> float:
        return float(self.section("spot").get("discount", 0.0))

    def is_derived(self, key: str) -> bool:
        """Whether an entry is computed (e.g. from another region) rather than a listed price."""
        return any(fnmatch.fnmatch(key, pat) for pat in self.data.get("derived") or [])

    @property
    def label(self) -> str:
        where = f"{self.provider} {self.region}" if self.region else self.provider
        return f"{where} price catalogue as of {self.as_of}"


def _pricing_files() -> Any:
    return resources.files("mlplat.stacks.pricing")


def available_regions(provider: str = "aws") -> list[str]:
    """Regions with a shipped catalogue for `provider`."""
    prefix = f"{provider}-"
    return sorted(p.name[len(prefix) : -5] for p in _pricing_files().iterdir() if p.name.startswith(prefix))


@cache
def _load_file(name: str) -> dict[str, Any]:
    from ruamel.yaml import YAML

    text = (_pricing_files() / name).read_text(encoding="utf-8")
    data = YAML(typ="safe").load(text)
    if not isinstance(data, dict):
        raise MlplatError(f"price catalogue {name} is not a mapping")
    return data


def load_catalogue(provider: str, region: str | None = None) -> Catalogue:
    """The catalogue for a target: `aws` + region, or `kubernetes`.

    An aws region without a shipped catalogue is priced from the base region's catalogue times
    the documented factor in regional-factors.yaml, with every entry marked derived, so each
    line says it is an estimate (never a silent guess, never a blocked CI gate).
    """
    if provider == "kubernetes":
        name = "kubernetes.yaml"
    elif provider == "aws":
        region = region or DEFAULT_REGION
        if region not in available_regions("aws"):
            data, name = _regional_estimate(region)
            return _catalogue(data, provider, name)
        name = f"aws-{region}.yaml"
    else:
        raise MlplatError(f"no price catalogue for provider {provider!r}")
    return _catalogue(_load_file(name), provider, f"stacks/pricing/{name}")


# Catalogue keys that are not prices (everything else holds USD figures to scale).
_NOT_PRICES = ("provider", "region", "currency", "as_of", "source", "notes", "hours_per_month", "spot", "derived")


def _scale_prices(value: Any, factor: float) -> Any:
    if isinstance(value, dict):
        return {k: _scale_prices(v, factor) for k, v in value.items()}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return round(float(value) * factor, 6)
    return value


def _regional_estimate(region: str) -> tuple[dict[str, Any], str]:
    factors = _load_file("regional-factors.yaml")
    base_region = str(factors.get("base_region", DEFAULT_REGION))
    listed = factors.get("factors") or {}
    factor = float(listed.get(region, factors["default"]))
    how = "listed regional factor" if region in listed else "default factor for unlisted regions"
    base = _load_file(f"aws-{base_region}.yaml")
    data = {k: (v if k in _NOT_PRICES else _scale_prices(v, factor)) for k, v in base.items()}
    data["region"] = region
    data["estimate"] = True
    data["derived"] = ["*"]
    data["source"] = (
        f"ESTIMATE: no catalogue for {region}; the {base_region} catalogue ({base.get('as_of')}) x {factor} "
        f"({how}, stacks/pricing/regional-factors.yaml). {base.get('source', '')}"
    )
    data["notes"] = [f"every price is the {base_region} price x {factor}; add stacks/pricing/aws-{region}.yaml"]
    return data, f"stacks/pricing/aws-{base_region}.yaml x regional-factors.yaml ({region}: {factor})"


def _catalogue(data: dict[str, Any], provider: str, file: str) -> Catalogue:
    return Catalogue(
        provider=str(data.get("provider", provider)),
        region=data.get("region"),
        currency=str(data.get("currency", "USD")),
        as_of=str(data.get("as_of", "")),
        source=" ".join(str(data.get("source", "")).split()),
        hours_per_month=float(data.get("hours_per_month", HOURS_PER_MONTH)),
        data=data,
        file=file,
    )


# --------------------------------------------------------------------------- usage assumptions


@dataclass(frozen=True)
class UsageAssumptions:
    """What the plan cannot know, from the spec's `usage:` section or the documented defaults."""

    autoscale_fraction: float
    storage_gb: dict[str, float]
    nat_gb_per_month: float
    s3_requests_per_month: float
    s3_put_share: float
    logs_gb_per_month: float
    lb_lcu_per_hour: float
    job_minutes: float
    spot_discount: float
    k8s_rates: dict[str, float]
    from_spec: frozenset[str] = frozenset()

    def describe(self) -> list[str]:
        def src(key: str) -> str:
            return "usage" if key in self.from_spec else "default"

        out = [
            (f"autoscaling pools: expected = minimum + {self.autoscale_fraction:.0%} × (maximum − minimum) nodes, "
             f"as if at the maximum {self.autoscale_fraction:.0%} of the month ({src('autoscale_fraction')})"),
            f"spot capacity at {self.spot_discount:.0%} off on-demand ({src('spot_discount')})",
            f"NAT gateways process {_num(self.nat_gb_per_month)} GB/month in total ({src('nat_gb_per_month')})",
            (f"S3: {_num(self.s3_requests_per_month)} requests/month, {self.s3_put_share:.0%} PUT-class "
             f"({src('s3_requests_per_month')}); stored GB per bucket from usage.storage_gb, else by purpose "
             f"({', '.join(f'{k} {_num(v)}' for k, v in DEFAULT_BUCKET_GB.items())})"),
            f"{_num(self.logs_gb_per_month)} GB ingested per log group per month ({src('logs_gb_per_month')})",
            f"{_num(self.lb_lcu_per_hour)} load-balancer capacity unit(s) per hour ({src('lb_lcu_per_hour')})",
        ]
        return out


def usage_assumptions(resolved: ResolvedPlatform, catalogue: Catalogue) -> UsageAssumptions:
    u = resolved.spec.usage
    given: set[str] = set()

    def pick(name: str, default: float) -> float:
        value = getattr(u, name, None) if u is not None else None
        if value is None:
            return default
        given.add(name)
        return float(value)

    rates = {k: float(v) for k, v in catalogue.section("rates").items()}
    if u is not None and u.k8s_rates:
        rates.update({k: float(v) for k, v in u.k8s_rates.items()})
        given.add("k8s_rates")
    return UsageAssumptions(
        autoscale_fraction=pick("autoscale_fraction", DEFAULT_AUTOSCALE_FRACTION),
        storage_gb=dict(u.storage_gb) if u is not None else {},
        nat_gb_per_month=pick("nat_gb_per_month", DEFAULT_NAT_GB),
        s3_requests_per_month=pick("s3_requests_per_month", DEFAULT_S3_REQUESTS),
        s3_put_share=DEFAULT_S3_PUT_SHARE,
        logs_gb_per_month=pick("logs_gb_per_month", DEFAULT_LOGS_GB),
        lb_lcu_per_hour=pick("lb_lcu_per_hour", DEFAULT_LB_LCU),
        job_minutes=pick("job_minutes", DEFAULT_JOB_MINUTES),
        spot_discount=pick("spot_discount", catalogue.spot_discount),
        k8s_rates=rates,
        from_spec=frozenset(given),
    )


# --------------------------------------------------------------------------- the estimate model


@dataclass
class Charge:
    """One priced quantity of a line: `quantity` units per month at `unit_price`."""

    what: str
    quantity: float
    unit: str
    unit_price: float

    @property
    def monthly_usd(self) -> float:
        return self.quantity * self.unit_price

    def to_dict(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "quantity": _r(self.quantity, 4),
            "unit": self.unit,
            "unit_price": self.unit_price,
            "monthly_usd": _r(self.monthly_usd),
        }


@dataclass
class CostLine:
    """One plan resource. `monthly_usd` is the expected figure; min/max only where capacity varies."""

    name: str
    type: str
    component: str
    status: str
    monthly_usd: float = 0.0
    min_monthly_usd: float | None = None
    max_monthly_usd: float | None = None
    charges: list[Charge] = field(default_factory=list)
    assumption: str = ""
    urn: str = ""

    @property
    def low(self) -> float:
        return self.monthly_usd if self.min_monthly_usd is None else self.min_monthly_usd

    @property
    def high(self) -> float:
        return self.monthly_usd if self.max_monthly_usd is None else self.max_monthly_usd

    @property
    def ranged(self) -> bool:
        return self.min_monthly_usd is not None and (
            not math.isclose(self.low, self.monthly_usd) or not math.isclose(self.high, self.monthly_usd)
        )

    @property
    def unit_price(self) -> float | None:
        return self.charges[0].unit_price if self.charges else None

    @property
    def quantity(self) -> float | None:
        return self.charges[0].quantity if self.charges else None

    @property
    def unit(self) -> str | None:
        return self.charges[0].unit if self.charges else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "component": self.component,
            "status": self.status,
            "monthly_usd": _r(self.monthly_usd),
            "min_monthly_usd": _r(self.min_monthly_usd),
            "max_monthly_usd": _r(self.max_monthly_usd),
            "unit_price": self.unit_price,
            "quantity": _r(self.quantity, 4),
            "unit": self.unit,
            "charges": [c.to_dict() for c in self.charges],
            "assumption": self.assumption,
            "urn": self.urn,
        }


@dataclass
class Coverage:
    priced: int
    free: int
    unpriced: list[CostLine]

    @property
    def percent(self) -> float:
        """Share of the resources that may cost money which carry a price (free ones excluded)."""
        billable = self.priced + len(self.unpriced)
        return 100.0 if billable == 0 else 100.0 * self.priced / billable

    def to_dict(self) -> dict[str, Any]:
        return {
            "percent": _r(self.percent, 1),
            "priced": self.priced,
            "free": self.free,
            "unpriced": [{"name": ln.name, "type": ln.type, "component": ln.component, "reason": ln.assumption}
                         for ln in self.unpriced],
        }  # fmt: skip


@dataclass
class CostEstimate:
    platform: str
    environment: str
    provider: str
    region: str | None
    catalogue: Catalogue
    usage: UsageAssumptions
    lines: list[CostLine]
    budget_usd: float | None = None
    max_increase_percent: float | None = None
    warnings: list[str] = field(default_factory=list)
    source: str = ""

    @property
    def currency(self) -> str:
        return self.catalogue.currency

    @property
    def monthly_usd(self) -> float:
        return sum(ln.monthly_usd for ln in self.lines)

    @property
    def min_monthly_usd(self) -> float:
        return sum(ln.low for ln in self.lines)

    @property
    def max_monthly_usd(self) -> float:
        return sum(ln.high for ln in self.lines)

    @property
    def components(self) -> list[str]:
        return sorted({ln.component for ln in self.lines}, key=_component_order)

    @property
    def by_component(self) -> dict[str, float]:
        out = {c: 0.0 for c in self.components}
        for ln in self.lines:
            out[ln.component] += ln.monthly_usd
        return out

    def component_range(self, component: str) -> tuple[float, float, float]:
        ls = [ln for ln in self.lines if ln.component == component]
        return sum(x.low for x in ls), sum(x.monthly_usd for x in ls), sum(x.high for x in ls)

    @property
    def coverage(self) -> Coverage:
        return Coverage(
            priced=sum(1 for ln in self.lines if ln.status == STATUS_PRICED),
            free=sum(1 for ln in self.lines if ln.status == STATUS_FREE),
            unpriced=[ln for ln in self.lines if ln.status == STATUS_UNPRICED],
        )

    def priced_lines(self) -> list[CostLine]:
        return sorted((ln for ln in self.lines if ln.status == STATUS_PRICED), key=lambda x: -x.monthly_usd)

    def line(self, name: str) -> CostLine | None:
        return next((ln for ln in self.lines if ln.name == name), None)

    def assumptions(self) -> list[str]:
        out = self.usage.describe() if self.provider == "aws" else []
        if self.provider == "kubernetes":
            r = self.usage.k8s_rates
            given = "usage.k8s_rates" if "k8s_rates" in self.usage.from_spec else "catalogue defaults"
            out.append(
                "requested capacity priced at "
                f"${r.get('vcpu_hour', 0)}/vCPU-hour, ${r.get('gib_hour', 0)}/GiB-hour, "
                f"${r.get('gpu_hour', 0)}/GPU-hour, ${r.get('storage_gb_month', 0)}/GB-month ({given})"
            )
            out.append(
                f"autoscaled workloads: expected = minimum + {self.usage.autoscale_fraction:.0%} × (maximum − minimum) "
                "replicas"
            )
            out.append(f"a CronJob run takes {_num(self.usage.job_minutes)} minutes")
        out.append(f"a month is {_num(self.catalogue.hours_per_month)} hours")
        return out

    def to_dict(self) -> dict[str, Any]:
        cov = self.coverage
        return {
            "platform": self.platform,
            "environment": self.environment,
            "provider": self.provider,
            "region": self.region,
            "currency": self.currency,
            "monthly_usd": _r(self.monthly_usd),
            "min_monthly_usd": _r(self.min_monthly_usd),
            "max_monthly_usd": _r(self.max_monthly_usd),
            "by_component": {c: _r(v) for c, v in self.by_component.items()},
            "by_component_range": {
                c: dict(zip(("min", "expected", "max"), (_r(x) for x in self.component_range(c))))
                for c in self.components
            },
            "lines": [ln.to_dict() for ln in sorted(self.lines, key=_line_order)],
            "coverage_percent": _r(cov.percent, 1),
            "coverage": cov.to_dict(),
            "unpriced": [ln.name for ln in cov.unpriced],
            "budget": {"monthly_usd": self.budget_usd, "max_increase_percent": self.max_increase_percent},
            "assumptions": self.assumptions(),
            "warnings": list(self.warnings),
            "catalogue": {
                "file": self.catalogue.file,
                "as_of": self.catalogue.as_of,
                "source": self.catalogue.source,
                "spot_discount": self.usage.spot_discount,
            },
        }


def _r(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


def _num(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,g}"


_COMPONENT_ORDER = (
    "network", "storage", "cluster", "tracking", "orchestrator", "feature_store", "serving", "monitoring",
)  # fmt: skip


def _component_order(c: str) -> tuple[int, str]:
    return (_COMPONENT_ORDER.index(c) if c in _COMPONENT_ORDER else len(_COMPONENT_ORDER), c)


def _line_order(ln: CostLine) -> tuple[tuple[int, str], int, float, str]:
    rank = {STATUS_PRICED: 0, STATUS_UNPRICED: 1, STATUS_FREE: 2}[ln.status]
    return (_component_order(ln.component), rank, -ln.monthly_usd, ln.name)


# --------------------------------------------------------------------------- quantities


_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50}
_DECIMAL = {"k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "m": 1e-3}


def parse_quantity(value: Any) -> float | None:
    """A Kubernetes quantity ('500m', '2', 2.0, '8Gi', '1G') as a plain number (bytes for memory)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P|m)?\s*", str(value))
    if not m:
        return None
    number, suffix = float(m.group(1)), m.group(2)
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    if suffix in _DECIMAL:
        return number * _DECIMAL[suffix]
    return number


def gib(value: Any) -> float | None:
    """Memory or storage quantity in GiB ('2Gi' → 2, '512Mi' → 0.5, a bare number is bytes)."""
    q = parse_quantity(value)
    return None if q is None else q / 2**30


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any, default: int | None = None) -> int | None:
    if isinstance(value, bool):
        return default
    if isinstance(value, (int, float)) and math.isfinite(value):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return default


# --------------------------------------------------------------------------- pricing context


@dataclass
class _Ctx:
    resolved: ResolvedPlatform
    plan: Plan
    cat: Catalogue
    usage: UsageAssumptions
    nat_count: int
    bucket_count: int
    hpa: dict[tuple[str, str, str], tuple[int, int]]  # (namespace, kind, name) → (min, max)

    @property
    def hours(self) -> float:
        return self.cat.hours_per_month

    @property
    def aws(self) -> bool:
        return self.resolved.provider == "aws"


def _line(res: PlanResource, status: str, assumption: str = "", charges: list[Charge] | None = None) -> CostLine:
    charges = charges or []
    return CostLine(
        name=res.name,
        type=res.type,
        component=res.component or "platform",
        status=status,
        monthly_usd=sum(c.monthly_usd for c in charges),
        charges=charges,
        assumption=assumption,
        urn=res.urn,
    )


def _free(res: PlanResource, why: str) -> CostLine:
    return _line(res, STATUS_FREE, why)


def _unpriced(res: PlanResource, why: str) -> CostLine:
    return _line(res, STATUS_UNPRICED, why)


def _derived_note(cat: Catalogue, key: str) -> str:
    return " (derived price, see the catalogue's notes)" if cat.is_derived(key) else ""


def _scaled(res: PlanResource, fixed: list[Charge], per_unit: list[Charge], lo: float, exp: float, hi: float,
            assumption: str) -> CostLine:
    """A line whose `per_unit` charges (priced for ONE unit: a node, a replica) scale with the unit count."""
    unit_cost = sum(c.monthly_usd for c in per_unit)
    fixed_cost = sum(c.monthly_usd for c in fixed)
    charges = [Charge(c.what, c.quantity * exp, c.unit, c.unit_price) for c in per_unit] + fixed
    line = _line(res, STATUS_PRICED, assumption, charges)
    line.monthly_usd = fixed_cost + unit_cost * exp
    if not (math.isclose(lo, exp) and math.isclose(hi, exp)):
        line.min_monthly_usd = fixed_cost + unit_cost * lo
        line.max_monthly_usd = fixed_cost + unit_cost * hi
    return line  # fmt: skip


def _expected(lo: float, hi: float, fraction: float) -> float:
    return lo + fraction * (hi - lo)


# --------------------------------------------------------------------------- aws pricers


def _eks_cluster(res: PlanResource, ctx: _Ctx) -> CostLine:
    price = ctx.cat.price("eks", "cluster_hour")
    if price is None:
        return _unpriced(res, "no EKS control-plane price in the catalogue")
    return _line(res, STATUS_PRICED, "EKS control plane, standard support, all month",
                 [Charge("control plane", ctx.hours, "hour", price)])  # fmt: skip


def _pool_for(res: PlanResource, ctx: _Ctx) -> Any:
    cluster = ctx.resolved.spec.cluster
    if cluster is None:
        return None
    ng_name = res.inputs.get("nodeGroupName")
    for pool in cluster.node_pools:
        if ng_name == ctx.resolved.physical_name(pool.name) or res.name.endswith(f"-{pool.name}"):
            return pool
    return None


def _node_group(res: PlanResource, ctx: _Ctx) -> CostLine:
    pool = _pool_for(res, ctx)
    types = res.inputs.get("instanceTypes")
    itype = types[0] if isinstance(types, list) and types and isinstance(types[0], str) else None
    if itype is None or itype == "<unknown>":
        itype = pool.instance_type if pool is not None else None
    if itype is None:
        return _unpriced(res, "instance type unknown in the plan and the spec")
    hourly = ctx.cat.ec2(itype)
    if hourly is None:
        return _unpriced(res, f"no on-demand price for {itype} in {ctx.cat.file}")
    sc = _d(res.inputs.get("scalingConfig"))
    lo = _int(sc.get("minSize"), pool.min_size if pool is not None else None)
    hi = _int(sc.get("maxSize"), pool.max_size if pool is not None else None)
    if lo is None or hi is None:
        return _unpriced(res, "scaling bounds unknown in the plan and the spec")
    spot = str(res.inputs.get("capacityType", "")).upper() == "SPOT" or (
        "capacityType" not in res.inputs and pool is not None and pool.capacity == "spot"
    )
    note = _derived_note(ctx.cat, itype)
    if spot:
        unit_price = hourly * (1 - ctx.usage.spot_discount)
        what = f"{itype} spot ({ctx.usage.spot_discount:.0%} off ${hourly}/h on-demand{note})"
    else:
        unit_price = hourly
        what = f"{itype} on-demand{note}"
    per_node = [Charge(what, ctx.hours, "instance-hour", unit_price)]
    disk = _int(res.inputs.get("diskSize"), pool.disk_gb if pool is not None else None)
    gp3 = ctx.cat.price("ebs", "gp3_gb_month")
    if disk and gp3 is not None:
        per_node.append(Charge(f"node root volume {disk} GB gp3", float(disk), "GB-month", gp3))
    exp = _expected(lo, hi, ctx.usage.autoscale_fraction)
    if lo == hi:
        shape = f"{lo} node(s) all month"
    else:
        shape = (f"{lo}–{hi} nodes; expected {_num(round(exp, 2))} (minimum + "
                 f"{ctx.usage.autoscale_fraction:.0%} of the month at the maximum)")  # fmt: skip
    return _scaled(res, [], per_node, lo, exp, hi, shape)


def _nat_gateway(res: PlanResource, ctx: _Ctx) -> CostLine:
    hour, gb = ctx.cat.price("vpc", "nat_gateway_hour"), ctx.cat.price("vpc", "nat_gateway_gb")
    if hour is None or gb is None:
        return _unpriced(res, "no NAT gateway price in the catalogue")
    share = ctx.usage.nat_gb_per_month / max(ctx.nat_count, 1)
    return _line(res, STATUS_PRICED, f"all month; {_num(round(share, 2))} GB processed (NAT traffic split "
                 f"between {ctx.nat_count} gateway(s))",
                 [Charge("gateway hours", ctx.hours, "hour", hour), Charge("data processed", share, "GB", gb)])  # fmt: skip


def _eip(res: PlanResource, ctx: _Ctx) -> CostLine:
    price = ctx.cat.price("vpc", "public_ipv4_hour")
    if price is None:
        return _unpriced(res, "no public IPv4 price in the catalogue")
    return _line(res, STATUS_PRICED, "public IPv4 address, all month", [Charge("public IPv4", ctx.hours, "hour", price)])


def _vpc_endpoint(res: PlanResource, ctx: _Ctx) -> CostLine:
    kind = str(res.inputs.get("vpcEndpointType") or "Gateway")
    if kind == "Gateway":
        return _free(res, "gateway VPC endpoint: no charge")
    price = ctx.cat.price("vpc", "interface_endpoint_hour")
    if kind != "Interface" or price is None:
        return _unpriced(res, f"{kind} VPC endpoint: no price in the catalogue")
    subnets = res.inputs.get("subnetIds")
    azs = len(subnets) if isinstance(subnets, list) and subnets else 1
    return _line(res, STATUS_PRICED, f"interface endpoint in {azs} AZ(s), all month; data processed not estimated",
                 [Charge("endpoint-AZ hours", azs * ctx.hours, "hour", price)])  # fmt: skip


def _rds_instance(res: PlanResource, ctx: _Ctx) -> CostLine:
    cls = res.inputs.get("instanceClass")
    engine = str(res.inputs.get("engine") or "postgres")
    if not isinstance(cls, str):
        db = ctx.resolved.spec.tracking.database if ctx.resolved.spec.tracking else None
        cls = db.instance_class if db is not None else None
    if cls is None:
        return _unpriced(res, "instance class unknown")
    if not engine.startswith("postgres"):
        return _unpriced(res, f"the catalogue prices RDS PostgreSQL only (engine {engine!r})")
    prices = ctx.cat.section("rds_postgres").get("instances", {}).get(cls)
    if not isinstance(prices, dict):
        return _unpriced(res, f"no RDS PostgreSQL price for {cls} in {ctx.cat.file}")
    multi = res.inputs.get("multiAz") is True
    key = "multi_az" if multi else "single_az"
    storage_price = ctx.cat.section("rds_postgres").get("storage_gb_month", {}).get(key)
    gb = _int(res.inputs.get("allocatedStorage"), 0) or 0
    az = "Multi-AZ" if multi else "Single-AZ"
    charges = [Charge(f"{cls} {az}{_derived_note(ctx.cat, cls)}", ctx.hours, "instance-hour", float(prices[key]))]
    if gb and storage_price is not None:
        charges.append(Charge(f"{gb} GB storage {az}", float(gb), "GB-month", float(storage_price)))
    return _line(res, STATUS_PRICED, f"{az}, all month; backups up to the database size are free", charges)


def _cache_nodes(res: PlanResource, ctx: _Ctx) -> CostLine:
    node = res.inputs.get("nodeType")
    if not isinstance(node, str):
        fs = ctx.resolved.spec.feature_store
        node = fs.redis.node_type if fs is not None else None
    if node is None:
        return _unpriced(res, "node type unknown")
    price = ctx.cat.price("elasticache", node)
    if price is None:
        return _unpriced(res, f"no ElastiCache price for {node} in {ctx.cat.file}")
    if res.type.endswith(":ReplicationGroup"):
        groups = _int(res.inputs.get("numNodeGroups"))
        if groups:
            nodes = groups * ((_int(res.inputs.get("replicasPerNodeGroup"), 0) or 0) + 1)
        else:
            nodes = _int(res.inputs.get("numCacheClusters"), 1) or 1
    else:
        nodes = _int(res.inputs.get("numCacheNodes"), 1) or 1
    return _line(res, STATUS_PRICED, f"{nodes} node(s), all month",
                 [Charge(f"{node}{_derived_note(ctx.cat, node)}", nodes * ctx.hours, "node-hour", price)])  # fmt: skip


def _bucket_spec_name(res: PlanResource, ctx: _Ctx) -> str | None:
    physical = res.inputs.get("bucket")
    prefix = ctx.resolved.prefix + "-"
    if isinstance(physical, str) and physical.startswith(prefix):
        return physical[len(prefix) :]
    tag = res.tags.get("mlplat:resource")
    if ctx.resolved.spec.storage is not None:
        for b in ctx.resolved.spec.storage.buckets:
            if res.name.endswith(f"-{b.name}") or tag == b.name:
                return b.name
    return None


def _s3_bucket(res: PlanResource, ctx: _Ctx) -> CostLine:
    gb_price = ctx.cat.price("s3", "standard_gb_month")
    put, get = ctx.cat.price("s3", "put_per_1000"), ctx.cat.price("s3", "get_per_1000")
    if gb_price is None or put is None or get is None:
        return _unpriced(res, "no S3 price in the catalogue")
    name = _bucket_spec_name(res, ctx)
    spec_bucket = ctx.resolved.spec.bucket(name)
    if name is not None and name in ctx.usage.storage_gb:
        gb, src = ctx.usage.storage_gb[name], "usage.storage_gb"
    else:
        purpose = spec_bucket.purpose if spec_bucket is not None else "general"
        gb, src = DEFAULT_BUCKET_GB.get(purpose, DEFAULT_BUCKET_GB["general"]), f"default for purpose {purpose}"
    reqs = ctx.usage.s3_requests_per_month / max(ctx.bucket_count, 1)
    puts, gets = reqs * ctx.usage.s3_put_share, reqs * (1 - ctx.usage.s3_put_share)
    return _line(res, STATUS_PRICED, f"{_num(gb)} GB stored ({src}); {_num(round(reqs))} requests/month",
                 [Charge("S3 Standard storage", gb, "GB-month", gb_price),
                  Charge("PUT/COPY/POST/LIST requests", puts / 1000, "1k requests", put),
                  Charge("GET requests", gets / 1000, "1k requests", get)])  # fmt: skip


def _kms_key(res: PlanResource, ctx: _Ctx) -> CostLine:
    price = ctx.cat.price("kms", "key_month")
    if price is None:
        return _unpriced(res, "no KMS price in the catalogue")
    return _line(res, STATUS_PRICED, "customer managed key; requests within the free tier",
                 [Charge("KMS key", 1, "key-month", price)])  # fmt: skip


def _load_balancer(res: PlanResource, ctx: _Ctx) -> CostLine:
    if res.type.startswith("aws:elb/"):
        kind, hour, lcu = "classic", ctx.cat.price("elb", "clb_hour"), None
    else:
        kind = str(res.inputs.get("loadBalancerType") or "application")
        short = {"application": "alb", "network": "nlb"}.get(kind)
        if short is None:
            return _unpriced(res, f"no price for {kind} load balancers in the catalogue")
        hour, lcu = ctx.cat.price("elb", f"{short}_hour"), ctx.cat.price("elb", f"{short}_lcu_hour")
    if hour is None:
        return _unpriced(res, f"no {kind} load balancer price in the catalogue")
    charges = [Charge(f"{kind} load balancer", ctx.hours, "hour", hour)]
    if lcu is not None:
        charges.append(Charge("capacity units", ctx.usage.lb_lcu_per_hour * ctx.hours, "LCU-hour", lcu))
    return _line(res, STATUS_PRICED, f"{kind} load balancer, all month", charges)


def _log_group(res: PlanResource, ctx: _Ctx) -> CostLine:
    price = ctx.cat.price("cloudwatch", "logs_ingest_gb")
    if price is None:
        return _unpriced(res, "no CloudWatch Logs price in the catalogue")
    gb = ctx.usage.logs_gb_per_month
    return _line(res, STATUS_PRICED, f"{_num(gb)} GB ingested per month; storage not estimated",
                 [Charge("log ingestion", gb, "GB", price)])  # fmt: skip


def _simple(section: str, key: str, what: str, unit: str) -> Callable[[PlanResource, _Ctx], CostLine]:
    def pricer(res: PlanResource, ctx: _Ctx) -> CostLine:
        price = ctx.cat.price(section, key)
        if price is None:
            return _unpriced(res, f"no {what} price in the catalogue")
        return _line(res, STATUS_PRICED, f"{what}, all month", [Charge(what, 1, unit, price)])

    return pricer


def _ebs_volume(res: PlanResource, ctx: _Ctx) -> CostLine:
    kind = str(res.inputs.get("type") or "gp3")
    price = ctx.cat.price("ebs", f"{kind}_gb_month")
    gb = _int(res.inputs.get("size"))
    if price is None or not gb:
        return _unpriced(res, f"no price for {kind} volumes or size unknown")
    return _line(res, STATUS_PRICED, f"{gb} GB {kind}", [Charge(f"EBS {kind}", gb, "GB-month", price)])


AWS_PRICERS: dict[str, Callable[[PlanResource, _Ctx], CostLine]] = {
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": _node_group,
    "aws:ec2/natGateway:NatGateway": _nat_gateway,
    "aws:ec2/eip:Eip": _eip,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
    "aws:rds/instance:Instance": _rds_instance,
    "aws:elasticache/replicationGroup:ReplicationGroup": _cache_nodes,
    "aws:elasticache/cluster:Cluster": _cache_nodes,
    "aws:s3/bucket:Bucket": _s3_bucket,
    "aws:s3/bucketV2:BucketV2": _s3_bucket,
    "aws:kms/key:Key": _kms_key,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:alb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:elb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:secretsmanager/secret:Secret": _simple("secretsmanager", "secret_month", "Secrets Manager secret", "secret-month"),
    "aws:route53/zone:Zone": _simple("route53", "hosted_zone_month", "Route 53 hosted zone", "zone-month"),
    "aws:ebs/volume:Volume": _ebs_volume,
}

# Resource types the provider does not charge for (glob patterns on the type token), with the reason.
FREE_TYPES: list[tuple[str, str]] = [
    ("aws:iam/*", "IAM: no charge"),
    ("aws:ec2/vpc:*", "VPC: no charge"),
    ("aws:ec2/subnet:*", "subnet: no charge"),
    ("aws:ec2/routeTable*", "routing: no charge"),
    ("aws:ec2/route:*", "routing: no charge"),
    ("aws:ec2/mainRouteTableAssociation:*", "routing: no charge"),
    ("aws:ec2/internetGateway:*", "internet gateway: no charge (traffic is billed on the instances)"),
    ("aws:ec2/egressOnlyInternetGateway:*", "internet gateway: no charge"),
    ("aws:ec2/securityGroup*", "security group: no charge"),
    ("aws:ec2/defaultSecurityGroup:*", "security group: no charge"),
    ("aws:ec2/defaultNetworkAcl:*", "network ACL: no charge"),
    ("aws:ec2/networkAcl*", "network ACL: no charge"),
    ("aws:ec2/defaultRouteTable:*", "routing: no charge"),
    ("aws:vpc/securityGroup*", "security group rule: no charge"),
    ("aws:ec2/flowLog:*", "flow log: delivery is billed on its log group"),
    ("aws:ec2/launchTemplate:*", "launch template: no charge (its instances are priced on the node group)"),
    ("aws:ec2/keyPair:*", "key pair: no charge"),
    ("aws:s3/bucket[A-Z]*", "bucket configuration: no charge (storage is priced on the bucket)"),
    ("aws:s3/bucketV2:*", "bucket: priced on the bucket"),
    ("aws:kms/alias:*", "KMS alias: no charge"),
    ("aws:eks/addon:*", "EKS add-on: no charge (its pods run on the priced node groups)"),
    ("aws:eks/accessEntry:*", "EKS access entry: no charge"),
    ("aws:eks/accessPolicyAssociation:*", "EKS access entry: no charge"),
    ("aws:eks/podIdentityAssociation:*", "EKS pod identity: no charge"),
    ("aws:rds/subnetGroup:*", "DB subnet group: no charge"),
    ("aws:rds/parameterGroup:*", "DB parameter group: no charge"),
    ("aws:rds/clusterParameterGroup:*", "DB parameter group: no charge"),
    ("aws:rds/optionGroup:*", "DB option group: no charge"),
    ("aws:elasticache/subnetGroup:*", "cache subnet group: no charge"),
    ("aws:elasticache/parameterGroup:*", "cache parameter group: no charge"),
    ("aws:elasticache/user*", "cache user: no charge"),
    ("aws:secretsmanager/secretVersion:*", "secret version: priced on the secret"),
    ("aws:secretsmanager/secretPolicy:*", "secret policy: no charge"),
    ("aws:ssm/parameter:*", "SSM standard parameter: no charge"),
    ("aws:cloudwatch/logResourcePolicy:*", "log resource policy: no charge"),
    ("aws:acm/certificate:*", "public ACM certificate: no charge"),
    ("aws:lb/listener*", "listener: priced on the load balancer"),
    ("aws:lb/targetGroup*", "target group: priced on the load balancer"),
    ("random:*", "generated value: no cloud resource"),
    ("tls:*", "generated value: no cloud resource"),
]


def _free_reason(type_: str) -> str | None:
    return next((why for pat, why in FREE_TYPES if fnmatch.fnmatchcase(type_, pat)), None)


# --------------------------------------------------------------------------- kubernetes objects

_WORKLOAD_KINDS = {"Deployment", "StatefulSet", "ReplicaSet", "Pod", "ReplicationController"}
_SCHEDULED_KINDS = {"Job", "CronJob"}
_K8S_FREE_ON_AWS = "Kubernetes object: its pods run on the priced node groups"
_K8S_API_OBJECT = "Kubernetes API object: no charge"


def _kind(res: PlanResource) -> str:
    return res.type.rsplit(":", 1)[-1]


def _meta(res: PlanResource) -> tuple[str, str]:
    meta = _d(res.inputs.get("metadata"))
    return str(meta.get("namespace") or "default"), str(meta.get("name") or res.name)


def pod_requests(pod_spec: Any) -> tuple[float, float, float] | None:
    """(vCPU, GiB, GPUs) requested by a pod spec's containers; limits stand in for missing requests
    (as Kubernetes defaults them); None when no container states any. Init containers run briefly
    and are not counted."""
    if not isinstance(pod_spec, dict):
        return None
    containers = pod_spec.get("containers")
    if not isinstance(containers, list) or not containers:
        return None
    cpu = mem = gpu = 0.0
    stated = False
    for c in containers:
        resources_ = c.get("resources") if isinstance(c, dict) else None
        if not isinstance(resources_, dict):
            continue
        req = _d(resources_.get("requests"))
        lim = _d(resources_.get("limits"))
        both = {**lim, **req}
        if not both:
            continue
        stated = True
        cpu += parse_quantity(both.get("cpu")) or 0.0
        mem += gib(both.get("memory")) or 0.0
        gpu += parse_quantity(both.get("nvidia.com/gpu") or both.get("amd.com/gpu")) or 0.0
    return (cpu, mem, gpu) if stated else None


def _pvc_gib(pvc_spec: Any) -> float | None:
    if not isinstance(pvc_spec, dict):
        return None
    req = pvc_spec.get("resources", {}).get("requests", {}) if isinstance(pvc_spec.get("resources"), dict) else {}
    return gib(req.get("storage")) if isinstance(req, dict) else None


def _storage_charges(volumes: list[tuple[str, float]], replicas: int, ctx: _Ctx) -> tuple[list[Charge], str]:
    """Charges for persistent volumes (one per replica for claim templates)."""
    if ctx.aws:
        price, what = ctx.cat.price("ebs", "gp3_gb_month"), "EBS gp3"
    else:
        price, what = ctx.usage.k8s_rates.get("storage_gb_month"), "persistent volume"
    if price is None:
        return [], ""
    charges = [Charge(f"{what} {name} {_num(round(size, 2))} GiB", size * replicas, "GB-month", price)
               for name, size in volumes]  # fmt: skip
    return charges, what


def _k8s_workload(res: PlanResource, ctx: _Ctx) -> CostLine:
    kind = _kind(res)
    spec = _d(res.inputs.get("spec"))
    pod = spec if kind == "Pod" else (spec.get("template") or {}).get("spec")
    replicas = 1 if kind == "Pod" else _int(spec.get("replicas"), 1)
    replicas = 1 if replicas is None else replicas
    vct: list[tuple[str, float]] = []
    for t in spec.get("volumeClaimTemplates") or [] if kind == "StatefulSet" else []:
        size = _pvc_gib(t.get("spec") if isinstance(t, dict) else None)
        if size:
            vct.append((str((t.get("metadata") or {}).get("name", "data")), size))
    ns, name = _meta(res)
    lo, hi = ctx.hpa.get((ns, kind, name), (replicas, replicas))
    exp = _expected(lo, hi, ctx.usage.autoscale_fraction)
    shape = (f"{lo}–{hi} replicas (autoscaler); expected {_num(round(exp, 2))}" if lo != hi
             else f"{replicas} replica(s) all month")  # fmt: skip
    if ctx.aws:
        if not vct:
            return _free(res, _K8S_FREE_ON_AWS)
        # Pods are paid for by the node groups; the claim templates become EBS volumes, one per replica.
        charges, _ = _storage_charges(vct, 1, ctx)
        return _scaled(res, [], charges, lo, exp, hi, f"{shape}; one EBS gp3 volume per replica")
    req = pod_requests(pod)
    rates = ctx.usage.k8s_rates
    per_replica: list[Charge] = []
    if req is not None:
        cpu, mem, gpu = req
        if cpu:
            per_replica.append(Charge(f"{_num(round(cpu, 3))} vCPU requested", cpu * ctx.hours, "vCPU-hour",
                                      rates.get("vcpu_hour", 0.0)))  # fmt: skip
        if mem:
            per_replica.append(Charge(f"{_num(round(mem, 3))} GiB requested", mem * ctx.hours, "GiB-hour",
                                      rates.get("gib_hour", 0.0)))  # fmt: skip
        if gpu:
            per_replica.append(Charge(f"{_num(gpu)} GPU requested", gpu * ctx.hours, "GPU-hour",
                                      rates.get("gpu_hour", 0.0)))  # fmt: skip
    storage, _ = _storage_charges(vct, 1, ctx)
    per_replica += storage
    if req is None and not storage:
        return _unpriced(res, "no container states resource requests or limits: nothing to price")
    note = "" if req is not None else "; containers state no requests (compute not priced)"
    return _scaled(res, [], per_replica, lo, exp, hi, f"{shape}; priced from requests{note}")


def cron_runs_per_month(schedule: str) -> float | None:
    """Approximate runs per month of a 5-field cron schedule (None when it cannot be read)."""
    fields = schedule.split()
    if len(fields) != 5:
        return None
    spans = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
    counts: list[int] = []
    for text, (lo, hi) in zip(fields, spans):
        values: set[int] = set()
        for part in text.split(","):
            m = re.fullmatch(r"(\*|\d+)(?:-(\d+))?(?:/(\d+))?", part)
            if not m:
                return None
            start = lo if m.group(1) == "*" else int(m.group(1))
            end = int(m.group(2)) if m.group(2) else (hi if m.group(1) == "*" or m.group(3) else start)
            values.update(range(start, min(end, hi) + 1, int(m.group(3) or 1)))
        counts.append(len(values))
    minutes, hours, dom, months, dow = counts
    days_in_month = 365.0 / 12
    dom_any, dow_any = fields[2] == "*", fields[4] == "*"
    if dom_any and dow_any:
        days = days_in_month
    elif dom_any:
        days = days_in_month * min(dow, 7) / 7
    elif dow_any:
        days = float(dom)
    else:  # cron runs when either matches
        days = min(days_in_month, dom + days_in_month * min(dow, 7) / 7)
    return minutes * hours * days * months / 12


def _k8s_cronjob(res: PlanResource, ctx: _Ctx) -> CostLine:
    spec = _d(res.inputs.get("spec"))
    schedule = spec.get("schedule")
    runs = cron_runs_per_month(schedule) if isinstance(schedule, str) else None
    if runs is None:
        return _unpriced(res, f"CronJob schedule {schedule!r} cannot be read")
    pod = _d(_d(_d(_d(spec.get("jobTemplate")).get("spec")).get("template")).get("spec"))
    req = pod_requests(pod)
    if req is None:
        return _unpriced(res, "no container states resource requests or limits: nothing to price")
    hours = runs * ctx.usage.job_minutes / 60
    rates = ctx.usage.k8s_rates
    cpu, mem, gpu = req
    charges = [Charge(f"{_num(round(q, 3))} {unit.split('-')[0]} × {_num(round(hours, 2))} h", q * hours, unit,
                      rates.get(rate, 0.0))
               for q, unit, rate in ((cpu, "vCPU-hour", "vcpu_hour"), (mem, "GiB-hour", "gib_hour"),
                                     (gpu, "GPU-hour", "gpu_hour")) if q]  # fmt: skip
    return _line(res, STATUS_PRICED, f"{_num(round(runs, 1))} runs/month ({schedule}) × {_num(ctx.usage.job_minutes)} "
                 "minutes each; priced from requests", charges)  # fmt: skip


def _k8s_pvc(res: PlanResource, ctx: _Ctx) -> CostLine:
    size = _pvc_gib(res.inputs.get("spec"))
    if not size:
        return _unpriced(res, "claim size unknown")
    charges, what = _storage_charges([(_meta(res)[1], size)], 1, ctx)
    if not charges:
        return _unpriced(res, "no storage price")
    return _line(res, STATUS_PRICED, f"{what}, {_num(round(size, 2))} GiB requested", charges)


def _k8s_service(res: PlanResource, ctx: _Ctx) -> CostLine:
    spec = _d(res.inputs.get("spec"))
    if spec.get("type") != "LoadBalancer":
        return _free(res, _K8S_API_OBJECT)
    if not ctx.aws:
        rate = ctx.usage.k8s_rates.get("load_balancer_hour", 0.0)
        return _line(res, STATUS_PRICED, "Service type LoadBalancer at the configured load_balancer_hour rate",
                     [Charge("load balancer", ctx.hours, "hour", rate)])  # fmt: skip
    meta = _d(res.inputs.get("metadata"))
    ann = _d(meta.get("annotations"))
    lb_type = str(ann.get("service.beta.kubernetes.io/aws-load-balancer-type", ""))
    nlb = lb_type in ("nlb", "external", "nlb-ip")
    short = "nlb" if nlb else "clb"
    hour = ctx.cat.price("elb", f"{short}_hour")
    if hour is None:
        return _unpriced(res, "no load balancer price in the catalogue")
    charges = [Charge("network load balancer" if nlb else "classic load balancer", ctx.hours, "hour", hour)]
    lcu = ctx.cat.price("elb", "nlb_lcu_hour") if nlb else None
    if lcu is not None:
        charges.append(Charge("capacity units", ctx.usage.lb_lcu_per_hour * ctx.hours, "LCU-hour", lcu))
    why = "NLB (annotated)" if nlb else "classic load balancer (no NLB annotation: the in-tree controller's default)"
    return _line(res, STATUS_PRICED, f"Service type LoadBalancer → {why}", charges)


def _k8s_ingress(res: PlanResource, ctx: _Ctx) -> CostLine:
    spec = _d(res.inputs.get("spec"))
    meta = _d(res.inputs.get("metadata"))
    ann = _d(meta.get("annotations"))
    cls = spec.get("ingressClassName") or ann.get("kubernetes.io/ingress.class")
    if ctx.aws and cls == "alb":
        line = _load_balancer(res, ctx)
        line.assumption = "ALB created by the AWS Load Balancer Controller, all month"
        return line
    return _free(res, "ingress rule: served by the cluster's ingress controller")


def chart_shapes(values: Any) -> tuple[list[tuple[str, tuple[float, float, float], int]], list[tuple[str, float, int]]]:
    """What a chart's values state: pods (path, (vCPU, GiB, GPUs), replicas) and volumes (path, GiB, count).

    Read generically: a `resources` block with requests or limits is one pod shape times the
    `replicas`/`replicaCount` beside it or above it (default 1); `volumeClaimTemplate` and `persistence.size`
    are volumes. Disabled blocks (`enabled: false`) and one-off jobs (keys ending in `Job`) are
    skipped, and so are Airflow's workers under the KubernetesExecutor (pods started per task)."""
    pods: list[tuple[str, tuple[float, float, float], int]] = []
    vols: list[tuple[str, float, int]] = []

    def replicas(node: dict[str, Any], inherited: int) -> int:
        value = _int(node.get("replicas"), None)
        value = _int(node.get("replicaCount"), None) if value is None else value
        return inherited if value is None else value

    def walk(node: Any, label: str, inherited: int = 1) -> None:
        if isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, f"{label}[{i}]", inherited)
            return
        if not isinstance(node, dict) or node.get("enabled") is False:
            return
        if label.rsplit(".", 1)[-1].lower().endswith("job"):
            return
        n = replicas(node, inherited)
        vct = node.get("volumeClaimTemplate")
        size = _pvc_gib(vct.get("spec")) if isinstance(vct, dict) else None
        if size:
            vols.append((f"{label}.volumeClaimTemplate", size, n))
        pers = node.get("persistence")
        if isinstance(pers, dict) and pers.get("enabled", True) is not False:
            size = gib(pers.get("size"))
            if size:
                vols.append((f"{label}.persistence" if label else "persistence", size, n))
        res_ = node.get("resources")
        if isinstance(res_, dict):
            req = pod_requests({"containers": [{"resources": res_}]})
            if req is not None and any(req):
                pods.append((label or "(chart)", req, n))
        for key, child in node.items():
            if key in ("resources", "volumeClaimTemplate", "persistence", "labels", "annotations", "env"):
                continue
            if key == "workers" and node.get("executor") == "KubernetesExecutor":
                continue
            walk(child, f"{label}.{key}" if label else key, n)

    walk(values, "")
    return pods, vols


def _helm_release(res: PlanResource, ctx: _Ctx) -> CostLine:
    chart = res.inputs.get("chart") or res.name
    pods, vols = chart_shapes(res.inputs.get("values"))
    volumes, what = _storage_charges([(label, size * n) for label, size, n in vols], 1, ctx)
    if ctx.aws:
        if not volumes:
            return _free(res, f"Helm release {chart}: its pods run on the priced node groups")
        return _line(res, STATUS_PRICED, f"Helm release {chart}: {what} volumes from the chart values; its pods "
                     "run on the priced node groups", volumes)  # fmt: skip
    rates = ctx.usage.k8s_rates
    charges: list[Charge] = []
    for label, (cpu, mem, gpu), n in pods:
        for q, unit, rate in ((cpu, "vCPU-hour", "vcpu_hour"), (mem, "GiB-hour", "gib_hour"), (gpu, "GPU-hour", "gpu_hour")):
            if q:
                charges.append(Charge(f"{label}: {_num(round(q, 3))} {unit.split('-')[0]} × {n}", q * n * ctx.hours,
                                      unit, rates.get(rate, 0.0)))  # fmt: skip
    charges += volumes
    if not charges:
        return _unpriced(res, f"Helm release {chart}: its pods' requests are not visible in the plan")
    return _line(res, STATUS_PRICED, f"Helm release {chart}: priced from the requests, replicas and volumes its "
                 "values state (pods the chart starts without them are not visible)", charges)  # fmt: skip


def _manifests(res: PlanResource, ctx: _Ctx) -> CostLine:
    if ctx.aws:
        return _free(res, "upstream manifests: their pods run on the priced node groups")
    return _unpriced(res, "upstream manifests (kustomize/YAML): their pods' requests are not visible in the plan")


def _custom_workload(res: PlanResource, ctx: _Ctx) -> CostLine | None:
    """Custom resources that run pods (KServe InferenceService, SeldonDeployment, …): on kubernetes
    targets priced from the requests and replica bounds they state; on aws free (node groups)."""
    spec = res.inputs.get("spec")
    found = _find_pod_shapes(spec)
    if not found:
        return None
    predictor = _d(_d(spec).get("predictor"))
    if predictor.get("canaryTrafficPercent") is not None:
        # A KServe canary rollout keeps the previous revision serving the rest of the traffic.
        found += [(f"{label} (previous revision)", req, lo, hi) for label, req, lo, hi in found
                  if label.startswith("predictor")]  # fmt: skip
    if ctx.aws:
        return _free(res, _K8S_FREE_ON_AWS)
    rates = ctx.usage.k8s_rates
    fixed: list[Charge] = []
    lo_total = exp_total = hi_total = 0.0
    parts = []
    for label, (cpu, mem, gpu), lo, hi in found:
        per = cpu * rates.get("vcpu_hour", 0.0) + mem * rates.get("gib_hour", 0.0) + gpu * rates.get("gpu_hour", 0.0)
        per *= ctx.hours
        exp = _expected(lo, hi, ctx.usage.autoscale_fraction)
        lo_total += per * lo
        exp_total += per * exp
        hi_total += per * hi
        if cpu:
            fixed.append(Charge(f"{label}: {_num(round(cpu, 3))} vCPU × {_num(round(exp, 2))} replicas",
                                cpu * ctx.hours * exp, "vCPU-hour", rates.get("vcpu_hour", 0.0)))  # fmt: skip
        if mem:
            fixed.append(Charge(f"{label}: {_num(round(mem, 3))} GiB × {_num(round(exp, 2))} replicas",
                                mem * ctx.hours * exp, "GiB-hour", rates.get("gib_hour", 0.0)))  # fmt: skip
        if gpu:
            fixed.append(Charge(f"{label}: {_num(gpu)} GPU × {_num(round(exp, 2))} replicas",
                                gpu * ctx.hours * exp, "GPU-hour", rates.get("gpu_hour", 0.0)))  # fmt: skip
        parts.append(f"{label} {lo}–{hi} replicas" if lo != hi else f"{label} {lo} replica(s)")
    line = _line(res, STATUS_PRICED, "; ".join(parts) + "; priced from requests", fixed)
    line.monthly_usd = exp_total
    if not (math.isclose(lo_total, exp_total) and math.isclose(hi_total, exp_total)):
        line.min_monthly_usd, line.max_monthly_usd = lo_total, hi_total
    return line


def _find_pod_shapes(spec: Any, path: str = "") -> list[tuple[str, tuple[float, float, float], int, int]]:
    """Pod-running parts of a custom resource: each dict with containers (or a KServe `model`) plus
    the replica bounds it or its closest ancestor states (minReplicas/maxReplicas/replicas)."""
    out: list[tuple[str, tuple[float, float, float], int, int]] = []

    def bounds(node: dict[str, Any], inherited: tuple[int, int]) -> tuple[int, int]:
        hpa = _d(node.get("hpaSpec"))  # Seldon: componentSpecs[].hpaSpec beside the pod spec
        lo = _int(node.get("minReplicas", hpa.get("minReplicas")))
        hi = _int(node.get("maxReplicas", hpa.get("maxReplicas")))
        fixed = _int(node.get("replicas"))
        if lo is None and hi is None and fixed is None:
            return inherited
        if fixed is not None and lo is None:
            lo = fixed
        lo = 1 if lo is None else lo
        hi = max(lo, hi if hi is not None else (fixed if fixed is not None else lo))
        return lo, hi

    def walk(node: Any, label: str, inherited: tuple[int, int]) -> None:
        if isinstance(node, list):
            for i, item in enumerate(node):
                name = item.get("name") if isinstance(item, dict) else None
                walk(item, f"{label}[{name or i}]", inherited)
            return
        if not isinstance(node, dict):
            return
        b = bounds(node, inherited)
        req = pod_requests(node) if isinstance(node.get("containers"), list) else None
        if req is None and isinstance(node.get("resources"), dict) and ("model" in label or "modelFormat" in node):
            req = pod_requests({"containers": [{"resources": node["resources"]}]})
        if req is not None:
            out.append((label or "pods", req, b[0], b[1]))
            return
        for key, child in node.items():
            if key in ("metadata", "resources"):
                continue
            walk(child, f"{label}.{key}" if label else key, b)

    walk(spec, path, (1, 1))
    return out


def _price_kubernetes(res: PlanResource, ctx: _Ctx) -> CostLine:
    kind = _kind(res)
    if kind in _WORKLOAD_KINDS:
        return _k8s_workload(res, ctx)
    if kind == "PersistentVolumeClaim":
        return _k8s_pvc(res, ctx)
    if kind == "Service":
        return _k8s_service(res, ctx)
    if kind == "Ingress":
        return _k8s_ingress(res, ctx)
    if res.type.startswith("kubernetes:helm.sh/"):
        return _helm_release(res, ctx) if kind == "Release" else _manifests(res, ctx)
    if res.type.startswith(("kubernetes:kustomize/", "kubernetes:yaml/")):
        return _manifests(res, ctx)
    if kind == "DaemonSet":
        if ctx.aws:
            return _free(res, _K8S_FREE_ON_AWS)
        return _unpriced(res, "DaemonSet: one pod per node, and the node count of an existing cluster is unknown")
    if kind in _SCHEDULED_KINDS:
        if ctx.aws:
            return _free(res, _K8S_FREE_ON_AWS)
        if kind == "Job":
            return _free(res, "one-off Job: runs once at deployment, not a monthly cost")
        return _k8s_cronjob(res, ctx)
    if kind == "PersistentVolume":
        return _unpriced(res, "pre-provisioned volume: priced by whoever provides it")
    group = res.type.split(":")[1] if res.type.count(":") >= 2 else ""
    builtin = group.split("/")[0] in ("core", "apps", "batch", "rbac.authorization.k8s.io", "networking.k8s.io",
                                      "policy", "storage.k8s.io", "autoscaling", "scheduling.k8s.io",
                                      "apiextensions.k8s.io", "admissionregistration.k8s.io", "coordination.k8s.io",
                                      "yaml", "meta")  # fmt: skip
    if not builtin:
        line = _custom_workload(res, ctx)
        if line is not None:
            return line
    return _free(res, _K8S_API_OBJECT)


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
    pricer = AWS_PRICERS.get(res.type)
    if pricer is not None:
        return pricer(res, ctx)
    why = _free_reason(res.type)
    if why is not None:
        return _free(res, why)
    return _unpriced(res, "no price for this resource type in the catalogue")


def estimate(resolved: ResolvedPlatform, plan: Plan, catalogue: Catalogue | None = None) -> CostEstimate:
    """Price every custom resource of `plan` (the plan of `resolved`)."""
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
    )


def estimate_spec(spec_path: str | Path, env: str) -> CostEstimate:
    """Load, resolve, expand offline and price one environment (the call behind `mlplat cost`)."""
    from .offline import run_offline
    from .resolve import load_platform

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


# --------------------------------------------------------------------------- rendering helpers


def _money(value: float) -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"


def _signed_money(value: float) -> str:
    if abs(value) < 0.005:
        return "$0.00"
    return ("+" if value > 0 else "−") + f"${abs(value):,.2f}"


def _signed_pct(value: float | None) -> str:
    if value is None:
        return "n/a"
    return ("+" if value > 0 else "−" if value < 0 else "±") + f"{abs(value):.1f}%"


def _arrow(value: float) -> str:
    if abs(value) < 0.005:
        return "→"
    return "↑" if value > 0 else "↓"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def to_markdown(estimate: CostEstimate, diff: CostDiff | None = None, verdict: BudgetVerdict | None = None,
                max_lines: int = 25) -> str:
    """A pull-request comment: totals, the per-component table (with diff arrows), the top
    resources, what is not priced, and the assumptions."""
    e = estimate
    verdict = verdict or budget_gate(e, diff)
    out: list[str] = []
    status = "✅" if verdict.ok else "❌"
    out.append(f"### {status} mlplat cost: `{e.platform}` / `{e.environment}`")
    out.append("")
    rng = ""
    if not math.isclose(e.min_monthly_usd, e.max_monthly_usd):
        rng = f" (range {_money(e.min_monthly_usd)} – {_money(e.max_monthly_usd)})"
    out.append(f"**{_money(e.monthly_usd)} / month** expected{rng}")
    if diff is not None:
        pct = f", {_signed_pct(diff.diff_percent)}" if diff.diff_percent is not None else ""
        out.append("")
        out.append(
            f"{_arrow(diff.diff_monthly_usd)} **{_signed_money(diff.diff_monthly_usd)}{pct}** compared with "
            f"`{diff.baseline_label}` ({_money(diff.baseline_monthly_usd)} / month)"
        )
    if e.budget_usd is not None:
        out.append("")
        out.append(f"Budget: {_money(e.budget_usd)} / month"
                   + (f", at most +{_num(e.max_increase_percent)}% per change" if e.max_increase_percent is not None
                      else ""))  # fmt: skip
    for why in verdict.reasons:
        out.append("")
        out.append(f"> ❌ {_md(why)}")
    out.append("")
    if diff is not None:
        out.append("| Component | Baseline | Current | Change |")
        out.append("|---|---:|---:|---:|")
        for d in diff.components:
            out.append(f"| {d.component} | {_money(d.baseline_usd)} | {_money(d.current_usd)} | "
                       f"{_arrow(d.diff_usd)} {_signed_money(d.diff_usd)} |")  # fmt: skip
        out.append(f"| **total** | **{_money(diff.baseline_monthly_usd)}** | **{_money(e.monthly_usd)}** | "
                   f"**{_arrow(diff.diff_monthly_usd)} {_signed_money(diff.diff_monthly_usd)}** |")  # fmt: skip
    else:
        out.append("| Component | Minimum | Expected | Maximum |")
        out.append("|---|---:|---:|---:|")
        for c in e.components:
            lo, exp, hi = e.component_range(c)
            out.append(f"| {c} | {_money(lo)} | {_money(exp)} | {_money(hi)} |")
        out.append(f"| **total** | **{_money(e.min_monthly_usd)}** | **{_money(e.monthly_usd)}** | "
                   f"**{_money(e.max_monthly_usd)}** |")  # fmt: skip
    if diff is not None and diff.lines:
        out.append("")
        out.append("<details><summary>Changed resources</summary>")
        out.append("")
        out.append("| Resource | Component | Baseline | Current | Change |")
        out.append("|---|---|---:|---:|---:|")
        for ld in diff.lines[:max_lines]:
            b = _money(ld.baseline_usd) if ld.baseline_usd is not None else "—"
            c = _money(ld.current_usd) if ld.current_usd is not None else "—"
            out.append(f"| `{ld.name}` | {ld.component} | {b} | {c} | {_arrow(ld.diff_usd)} {_signed_money(ld.diff_usd)} |")
        out.append("")
        out.append("</details>")
    cov = e.coverage
    priced = e.priced_lines()
    out.append("")
    out.append(f"<details><summary>Resources: {cov.priced} priced, {cov.free} free, {len(cov.unpriced)} not priced "
               f"(coverage {cov.percent:.0f}%)</summary>")  # fmt: skip
    out.append("")
    out.append("| Resource | Component | Monthly | Range | Assumption |")
    out.append("|---|---|---:|---|---|")
    for ln in priced[:max_lines]:
        rng_ = f"{_money(ln.low)} – {_money(ln.high)}" if ln.ranged else ""
        out.append(f"| `{ln.name}` | {ln.component} | {_money(ln.monthly_usd)} | {rng_} | {_md(ln.assumption)} |")
    if len(priced) > max_lines:
        rest = sum(ln.monthly_usd for ln in priced[max_lines:])
        out.append(f"| … {len(priced) - max_lines} more | | {_money(rest)} | | |")
    out.append("")
    out.append("</details>")
    if cov.unpriced:
        out.append("")
        out.append(f"**Not priced ({len(cov.unpriced)}):** "
                   + ", ".join(f"`{ln.name}` ({_md(ln.assumption)})" for ln in cov.unpriced))  # fmt: skip
    for w in e.warnings:
        out.append("")
        out.append(f"> ⚠️ {_md(w)}")
    out.append("")
    out.append(f"<sub>Prices: {e.catalogue.label} (`{e.catalogue.file}`, list prices). Assumptions: "
               + "; ".join(_md(a) for a in e.assumptions()) + ".</sub>")  # fmt: skip
    return "\n".join(out) + "\n"


def cost_json(estimate: CostEstimate, diff: CostDiff | None = None, verdict: BudgetVerdict | None = None) -> dict[str, Any]:
    """The `cost --format json` document (DESIGN 5): environment, monthly_usd, by_component, lines;
    with a comparison also baseline_monthly_usd and diff_monthly_usd."""
    data = estimate.to_dict()
    if diff is not None:
        data.update(diff.to_dict())
    data["budget_check"] = (verdict or budget_gate(estimate, diff)).to_dict()
    return data


# --------------------------------------------------------------------------- baselines


def _git(args: list[str], cwd: Path) -> tuple[int, str, str]:
    import subprocess

    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise MlplatError("git is not installed: --compare-to a revision needs git (or give a spec FILE)") from None
    return proc.returncode, proc.stdout, proc.stderr.strip()


class SpecAbsentAtRevision(MlplatError):
    """The spec file does not exist at that revision (e.g. the pull request adds it)."""


def spec_at_revision(spec_path: str | Path, ref: str) -> SpecDocument:
    """The spec file as it was at git revision `ref`, read with `git show` (no checkout)."""
    from .resolve import SpecDocument
    from .tree import parse_yaml

    path = Path(spec_path).resolve()
    rc, top, _ = _git(["rev-parse", "--show-toplevel"], path.parent)
    if rc != 0:
        raise MlplatError(f"{spec_path} is not inside a git repository, so --compare-to {ref!r} cannot be read "
                          "(give a spec FILE instead)")  # fmt: skip
    root = Path(top.strip()).resolve()
    rel = path.relative_to(root).as_posix()
    rc, _, _ = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root)
    if rc != 0:
        raise MlplatError(f"--compare-to: {ref!r} is neither a spec file nor a git revision of {root}")
    rc, text, _ = _git(["show", f"{ref}:{rel}"], root)
    if rc != 0:
        raise SpecAbsentAtRevision(f"--compare-to: {rel} does not exist at revision {ref!r}")
    display = f"{ref}:{rel}"
    return SpecDocument(Path(display), parse_yaml(text, display))


def baseline_document(spec_path: str | Path, compare_to: str) -> tuple[SpecDocument, str]:
    """The baseline spec and its label: `compare_to` is a spec FILE when one exists at that path,
    else a git revision of `spec_path` (SpecAbsentAtRevision when the spec is not there)."""
    from .resolve import load_spec

    if Path(compare_to).is_file():
        return load_spec(compare_to), str(compare_to)
    return spec_at_revision(spec_path, compare_to), compare_to


def baseline_estimate(spec_path: str | Path, compare_to: str, env: str) -> tuple[CostEstimate | None, str]:
    """Price `env` of the baseline (see baseline_document). None when the environment does not
    exist in the baseline."""
    from .offline import run_offline
    from .resolve import resolve

    doc, label = baseline_document(spec_path, compare_to)
    if env not in doc.environment_names():
        return None, label
    resolved = resolve(doc, env)
    return estimate(resolved, run_offline(resolved)), label


__all__ = [
    "DEFAULT_AUTOSCALE_FRACTION",
    "DEFAULT_BUCKET_GB",
    "DEFAULT_JOB_MINUTES",
    "DEFAULT_LB_LCU",
    "DEFAULT_LOGS_GB",
    "DEFAULT_NAT_GB",
    "DEFAULT_S3_PUT_SHARE",
    "DEFAULT_S3_REQUESTS",
    "FREE_TYPES",
    "HOURS_PER_MONTH",
    "STATUS_FREE",
    "STATUS_PRICED",
    "STATUS_UNPRICED",
    "BudgetVerdict",
    "Catalogue",
    "Charge",
    "ComponentDiff",
    "CostDiff",
    "CostEstimate",
    "CostLine",
    "Coverage",
    "LineDiff",
    "SpecAbsentAtRevision",
    "UsageAssumptions",
    "available_regions",
    "baseline_document",
    "baseline_estimate",
    "billable_resources",
    "budget_gate",
    "chart_shapes",
    "compare",
    "cost_json",
    "cron_runs_per_month",
    "estimate",
    "estimate_spec",
    "gib",
    "load_catalogue",
    "parse_quantity",
    "pod_requests",
    "spec_at_revision",
    "to_markdown",
    "usage_assumptions",
]  # fmt: skip
