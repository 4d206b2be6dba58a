"""Cost lines and the estimate they add up to: the vocabulary every pricing rule and output shares."""


from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from mlplat.stacks.cost.catalogue import (
    STATUS_FREE,
    STATUS_PRICED,
    STATUS_UNPRICED,
    Catalogue,
    UsageAssumptions,
)
from mlplat.stacks.cost.fmt import _num, _r

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
    today: str = ""  # the date prices were judged stale against (yyyy-mm-dd)

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

    def stale(self) -> list[dict[str, Any]]:
        """Prices older than six months on `today`: [{as_of, months, prices}]."""
        import datetime as _dt

        if not self.today:
            return []
        today = _dt.date.fromisoformat(self.today)
        return [{"as_of": when, "months": age, "prices": what} for when, age, what in self.catalogue.stale(today)]

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
                "label": self.catalogue.label,
                "dated": {k: {"as_of": d, "source": src} for k, (d, src) in sorted(self.catalogue.dated.items())},
                "stale": self.stale(),
            },
        }


_COMPONENT_ORDER = (
    "network", "storage", "cluster", "tracking", "orchestrator", "feature_store", "serving", "monitoring",
)  # fmt: skip


def _component_order(c: str) -> tuple[int, str]:
    return (_COMPONENT_ORDER.index(c) if c in _COMPONENT_ORDER else len(_COMPONENT_ORDER), c)


def _line_order(ln: CostLine) -> tuple[tuple[int, str], int, float, str]:
    rank = {STATUS_PRICED: 0, STATUS_UNPRICED: 1, STATUS_FREE: 2}[ln.status]
    return (_component_order(ln.component), rank, -ln.monthly_usd, ln.name)


__all__ = ["Charge", "CostEstimate", "CostLine", "Coverage"]
