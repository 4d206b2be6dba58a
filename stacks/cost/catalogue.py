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
expected one."""


from __future__ import annotations

import copy
import datetime as _dt
import fnmatch
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from mlplat.stacks.cost.fmt import _num
from mlplat.stacks.errors import MlplatError

if TYPE_CHECKING:
    from mlplat.stacks.platform_spec.resolve import ResolvedPlatform


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
#: GB the platform sends to the internet per month (model responses, UI pages, downloads through
#: load balancers): a small team's platform. Priced at the first internet-egress tier; the
#: account-wide 100 GB/month free allowance is not subtracted (it is shared by everything else).
DEFAULT_INTERNET_EGRESS_GB = 50.0
#: Share of the NAT gateways' traffic that leaves for the internet: most of it is image and
#: package downloads, which come in (free); requests and uploads go out.
DEFAULT_NAT_EGRESS_SHARE = 0.1
#: GB crossing availability zones per month (pods on nodes in other AZs, database and cache
#: clients): billed when the plan spans two or more AZs, once out and once in.
DEFAULT_CROSS_AZ_GB = 100.0
#: Share of a database that changes per day: automated backups keep one full copy plus each
#: day's changes for the retention period; AWS does not charge up to the provisioned size.
DEFAULT_DB_BACKUP_CHANGE = 0.02
#: Log retention assumed for a log group that never expires (storage keeps growing): one year.
NEVER_EXPIRE_DAYS = 365
DAYS_PER_MONTH = 365 / 12

STATUS_PRICED, STATUS_FREE, STATUS_UNPRICED = "priced", "free", "unpriced"

#: A price older than this many months is reported as such in every cost output.
STALE_AFTER_MONTHS = 6


# --------------------------------------------------------------------------- the catalogue


@dataclass(frozen=True)
class Catalogue:
    """One price file: `stacks/cost/pricing/aws-<region>.yaml` or `kubernetes.yaml`."""

    provider: str
    region: str | None
    currency: str
    as_of: str
    source: str
    hours_per_month: float
    data: dict[str, Any] = field(repr=False)
    file: str = ""
    #: Prices with a date and source of their own: "section" or "section.key" → (as_of, source).
    #: From the price-list snapshot (stacks/pricelist) and the file's `dated:` block.
    dated: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)

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

    def as_of_for(self, section: str, key: str | None = None) -> str:
        """The date of one price: its own, its section's, else the file's."""
        hit = (self.dated.get(f"{section}.{key}") if key is not None else None) or self.dated.get(section)
        return hit[0] if hit else self.as_of

    def source_for(self, section: str, key: str | None = None) -> str:
        hit = (self.dated.get(f"{section}.{key}") if key is not None else None) or self.dated.get(section)
        return hit[1] if hit else self.source

    def price_dates(self) -> dict[str, list[str]]:
        """date → the sections (or section.key entries) whose prices carry that date."""
        out: dict[str, list[str]] = {}
        for name, value in self.data.items():
            if name in _NOT_PRICES or name in _META or not isinstance(value, dict):
                continue
            own = {k for k in self.dated if k.startswith(f"{name}.") and k[len(name) + 1 :] in value}
            rest = [k for k in value if f"{name}.{k}" not in own]
            if rest and len(rest) == len(value):
                out.setdefault(self.as_of_for(name), []).append(name)
            else:
                for k in rest:
                    out.setdefault(self.as_of_for(name), []).append(f"{name}.{k}")
            for k in own:
                out.setdefault(self.dated[k][0], []).append(k)
        return {d: _compress(sorted(set(v))) for d, v in sorted(out.items())}

    def stale(self, today: _dt.date, months: int = STALE_AFTER_MONTHS) -> list[tuple[str, int, list[str]]]:
        """(date, age in whole months, what) for every price older than `months` on `today`."""
        out = []
        for when, what in self.price_dates().items():
            age = _months_between(when, today)
            if age is not None and age >= months:
                out.append((when, age, what))
        return out

    def stale_note(self, today: _dt.date) -> str | None:
        old = self.stale(today)
        if not old:
            return None
        parts = "; ".join(f"{', '.join(what)} as of {when} ({age} months old)" for when, age, what in old)
        return (f"prices older than {STALE_AFTER_MONTHS} months on {today.isoformat()}: {parts}. "
                "AWS may have changed them since: refresh the snapshot (mlplat prices build) or check before relying on them")  # fmt: skip

    @property
    def label(self) -> str:
        where = f"{self.provider} {self.region}" if self.region else self.provider
        if "ec2" in self.dated and self.as_of_for("ec2") != self.as_of:
            return f"{where} prices: EC2 as of {self.as_of_for('ec2')}, other services as of {self.as_of}"
        return f"{where} price catalogue as of {self.as_of}"


# Catalogue keys that hold metadata, not prices.
_META = ("dated", "estimate", "notes")


def _compress(names: list[str], most: int = 3) -> list[str]:
    """More than `most` entries of one section read as 'ec2 (19 entries)'."""
    by: dict[str, list[str]] = {}
    for n in names:
        by.setdefault(n.split(".", 1)[0], []).append(n)
    out: list[str] = []
    for section, items in by.items():
        out += items if len(items) <= most else [f"{section} ({len(items)} entries)"]
    return out


def _months_between(when: str, today: _dt.date) -> int | None:
    try:
        d = _dt.date.fromisoformat(when[:10]) if len(when) >= 10 else _dt.date.fromisoformat(f"{when[:7]}-01")
    except ValueError:
        return None
    months = (today.year - d.year) * 12 + today.month - d.month - (1 if today.day < d.day else 0)
    return max(months, 0)


def _pricing_files() -> Any:
    return resources.files("mlplat.stacks.cost.pricing")


def available_regions(provider: str = "aws") -> list[str]:
    """Regions with a shipped catalogue for `provider`."""
    prefix = f"{provider}-"
    return sorted(p.name[len(prefix) : -5] for p in _pricing_files().iterdir() if p.name.startswith(prefix))


def parse_catalogue_text(text: str) -> Any:
    """A shipped price file's data: libyaml (C) when PyYAML has it, else ruamel.

    The files are ours, not user input, and ruamel's pure-Python loader took a tenth of a
    second of every `cost` for them. The two loaders agree on every shipped file
    (tests/cost/test_catalogue_loading.py): none uses what YAML 1.1 and 1.2 read differently.
    """
    try:
        import yaml

        return yaml.load(text, Loader=yaml.CSafeLoader)  # CSafeLoader: the safe loader, in C
    except (ImportError, AttributeError):
        from ruamel.yaml import YAML

        return YAML(typ="safe").load(text)


@cache
def _load_file(name: str) -> dict[str, Any]:
    text = (_pricing_files() / name).read_text(encoding="utf-8")
    data = parse_catalogue_text(text)
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
    elif provider == "compose":  # everything runs on the user's machine: an empty, dated catalogue
        data = {"provider": "compose", "currency": "USD", "as_of": "n/a", "source": "your machine: nothing is billed"}
        return _catalogue(data, provider, "compose target (no prices)")
    else:
        raise MlplatError(f"no price catalogue for provider {provider!r}")
    data = _load_file(name)
    file = f"stacks/cost/pricing/{name}"
    if provider == "aws" and region is not None:
        data, snap = _with_snapshot(data, region)
        if snap:
            file += f" + stacks/pricelist/aws-{region}.json"
    return _catalogue(data, provider, file)


def _with_snapshot(data: dict[str, Any], region: str) -> tuple[dict[str, Any], bool]:
    """The hand-kept file overlaid with the region's price-list snapshot (stacks/pricelist).

    The snapshot's EC2 section replaces the file's whole `ec2` (it is the list of real SKUs);
    other sections replace the keys they carry. Each replaced section takes the snapshot's date.
    """
    from mlplat.stacks.pricelist import region_snapshot

    snap = region_snapshot(region)
    if snap is None:
        return data, False
    out = copy.deepcopy(data)
    dated = dict(out.get("dated") or {})
    for name, sec in (snap.get("sections") or {}).items():
        prices = sec.get("prices") or {}
        out[name] = dict(prices) if name == "ec2" else _merge(out.get(name) or {}, prices)
        dated = {k: v for k, v in dated.items() if not (k == name or (k.startswith(f"{name}.") and k[len(name) + 1:] in prices))}
        dated[name] = {"as_of": sec.get("as_of", ""), "source": f"price-list snapshot: {sec.get('source', '')}"}
    out["dated"] = dated
    if "ec2" in (snap.get("sections") or {}):
        # A type the snapshot does not price is not derivable from the hand-kept file either.
        out["derived"] = [p for p in out.get("derived") or [] if not any(
            fnmatch.fnmatch(t, p) for t in (snap.get("unpriced_types") or {}).get("types", []))]  # fmt: skip
    return out, True


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out.get(k) or {}, v) if isinstance(v, dict) else v
    return out


# Catalogue keys that are not prices (everything else holds USD figures to scale).
_NOT_PRICES = ("provider", "region", "currency", "as_of", "source", "notes", "hours_per_month", "spot", "derived", "dated")


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
    base, _ = _with_snapshot(_load_file(f"aws-{base_region}.yaml"), base_region)
    data = {k: (v if k in _NOT_PRICES else _scale_prices(v, factor)) for k, v in base.items()}
    data["region"] = region
    data["estimate"] = True
    data["derived"] = ["*"]
    data["source"] = (
        f"ESTIMATE: no catalogue for {region}; the {base_region} catalogue ({base.get('as_of')}) x {factor} "
        f"({how}, stacks/cost/pricing/regional-factors.yaml). {base.get('source', '')}"
    )
    data["notes"] = [f"every price is the {base_region} price x {factor}; add stacks/cost/pricing/aws-{region}.yaml"]
    return data, f"stacks/cost/pricing/aws-{base_region}.yaml x regional-factors.yaml ({region}: {factor})"


def _catalogue(data: dict[str, Any], provider: str, file: str) -> Catalogue:
    dated = {str(k): (str(v.get("as_of", "")), " ".join(str(v.get("source", "")).split()))
             for k, v in (data.get("dated") or {}).items() if isinstance(v, dict)}  # fmt: skip
    return Catalogue(
        provider=str(data.get("provider", provider)),
        region=data.get("region"),
        currency=str(data.get("currency", "USD")),
        as_of=str(data.get("as_of", "")),
        source=" ".join(str(data.get("source", "")).split()),
        hours_per_month=float(data.get("hours_per_month", HOURS_PER_MONTH)),
        data=data,
        file=file,
        dated=dated,
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
    internet_egress_gb_per_month: float = DEFAULT_INTERNET_EGRESS_GB
    nat_egress_share: float = DEFAULT_NAT_EGRESS_SHARE
    cross_az_gb_per_month: float = DEFAULT_CROSS_AZ_GB
    db_backup_change_per_day: float = DEFAULT_DB_BACKUP_CHANGE

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
            (f"{_num(self.logs_gb_per_month)} GB ingested per log group per month ({src('logs_gb_per_month')}); "
             f"stored for the group's retention (never-expiring groups: {NEVER_EXPIRE_DAYS} days), uncompressed"),
            f"{_num(self.lb_lcu_per_hour)} load-balancer capacity unit(s) per hour ({src('lb_lcu_per_hour')})",
            (f"{_num(self.internet_egress_gb_per_month)} GB/month sent to the internet "
             f"({src('internet_egress_gb_per_month')}); {self.nat_egress_share:.0%} of NAT traffic leaves for the "
             f"internet ({src('nat_egress_share')}); the account's 100 GB/month free egress is not subtracted"),
            (f"{_num(self.cross_az_gb_per_month)} GB/month cross availability zones, billed out and in "
             f"({src('cross_az_gb_per_month')})"),
            (f"databases change {self.db_backup_change_per_day:.0%} a day; backups beyond the provisioned size "
             f"are billed ({src('db_backup_change_per_day')})"),
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
        internet_egress_gb_per_month=pick("internet_egress_gb_per_month", DEFAULT_INTERNET_EGRESS_GB),
        nat_egress_share=pick("nat_egress_share", DEFAULT_NAT_EGRESS_SHARE),
        cross_az_gb_per_month=pick("cross_az_gb_per_month", DEFAULT_CROSS_AZ_GB),
        db_backup_change_per_day=pick("db_backup_change_per_day", DEFAULT_DB_BACKUP_CHANGE),
        k8s_rates=rates,
        from_spec=frozenset(given),
    )


__all__ = ["DEFAULT_AUTOSCALE_FRACTION", "DEFAULT_BUCKET_GB", "DEFAULT_CROSS_AZ_GB", "DEFAULT_DB_BACKUP_CHANGE", "DEFAULT_INTERNET_EGRESS_GB", "DEFAULT_JOB_MINUTES", "DEFAULT_LB_LCU", "DEFAULT_LOGS_GB", "DEFAULT_NAT_EGRESS_SHARE", "DEFAULT_NAT_GB", "DEFAULT_S3_PUT_SHARE", "DEFAULT_S3_REQUESTS", "HOURS_PER_MONTH", "NEVER_EXPIRE_DAYS", "STATUS_FREE", "STATUS_PRICED", "STATUS_UNPRICED", "Catalogue", "UsageAssumptions", "available_regions", "load_catalogue", "parse_catalogue_text", "usage_assumptions"]
