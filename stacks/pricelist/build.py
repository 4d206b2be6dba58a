"""Build the shipped price-list snapshot from AWS's bulk price files (a maintainer tool).

Inputs, any mix of:

- AWS Price List bulk files as downloaded from https://pricing.us-east-1.amazonaws.com: the
  offer index (`offers/v1.0/aws/index.json`), each service's `region_index.json` and the
  per-region offer files they point at, kept under one directory in the same layout. Any other
  `*.json` holding an offer (a document with `products` and `terms`) or Price List API
  `GetProducts` records (`{product, terms}` per SKU) is read too.
- Karpenter's generated on-demand table (aws/karpenter-provider-aws
  `pkg/providers/pricing/zz_generated.pricing_aws.go`, or the JSON `{date, regions: {region:
  {type: usd}}}` made from it) for EC2 when no offer file for the region is at hand.
- Karpenter's instance-type reference (`website/content/en/<version>/reference/instance-types.md`)
  for vCPU, memory, architecture and accelerators per type.

Output: `aws-<region>.json` per region (sections of prices, each with its `as_of` date and
`source`) and `aws-instance-types.json` (hardware), written into this package. Nothing reads the
network: download the files first (see README.md, "Refreshing prices").

Only on-demand terms are read (offer term code JRTCKXETXF in every record seen): Linux, shared
tenancy, no pre-installed software, capacity status Used. Each record is mapped by the rules in
`RULES`; a record no rule claims is counted, never guessed at.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT = 1
ON_DEMAND_TERM = "JRTCKXETXF"

#: Price List `location` names of the regions mlplat knows (older files carry no regionCode).
LOCATIONS: dict[str, str] = {
    "US East (N. Virginia)": "us-east-1", "US East (Ohio)": "us-east-2", "US West (N. California)": "us-west-1",
    "US West (Oregon)": "us-west-2", "Canada (Central)": "ca-central-1", "EU (Ireland)": "eu-west-1",
    "EU (London)": "eu-west-2", "EU (Paris)": "eu-west-3", "EU (Frankfurt)": "eu-central-1",
    "EU (Stockholm)": "eu-north-1", "EU (Milan)": "eu-south-1", "Asia Pacific (Mumbai)": "ap-south-1",
    "Asia Pacific (Singapore)": "ap-southeast-1", "Asia Pacific (Sydney)": "ap-southeast-2",
    "Asia Pacific (Tokyo)": "ap-northeast-1", "Asia Pacific (Seoul)": "ap-northeast-2",
    "South America (Sao Paulo)": "sa-east-1", "AWS GovCloud (US-West)": "us-gov-west-1",
}  # fmt: skip


# --------------------------------------------------------------------------- reading offer records


@dataclass(frozen=True)
class Record:
    """One product with its on-demand price dimensions."""

    offer: str
    family: str
    attrs: dict[str, str]
    dims: tuple[Dimension, ...]
    date: str  # yyyy-mm-dd: the offer's publication date, else the term's effective date
    version: str


@dataclass(frozen=True)
class Dimension:
    unit: str
    usd: float
    begin: float
    end: float
    description: str


def _date(value: Any) -> str:
    text = str(value or "")
    m = re.match(r"(\d{4})-?(\d{2})-?(\d{2})", text)
    return f"{m.group(1)}-{m.group(2)}-{m.group(3)}" if m else ""


def _float(value: Any, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _dimensions(terms: Any) -> tuple[Dimension, ...]:
    """The price dimensions of a product's on-demand terms ({term id: {priceDimensions: …}})."""
    out = []
    for term in (terms or {}).values():
        if not isinstance(term, dict) or term.get("offerTermCode", ON_DEMAND_TERM) != ON_DEMAND_TERM:
            continue
        for dim in (term.get("priceDimensions") or {}).values():
            usd = (dim.get("pricePerUnit") or {}).get("USD")
            if usd is None:
                continue
            out.append(Dimension(
                unit=str(dim.get("unit", "")), usd=float(usd), begin=_float(dim.get("beginRange"), 0.0),
                end=_float(dim.get("endRange"), float("inf")), description=str(dim.get("description", "")),
            ))  # fmt: skip
    return tuple(sorted(out, key=lambda d: d.begin))


def _effective(terms: Any) -> str:
    dates = [_date(t.get("effectiveDate")) for t in (terms or {}).values() if isinstance(t, dict)]
    return max((d for d in dates if d), default="")


def records(doc: Any) -> Iterator[Record]:
    """Every product of one JSON document: a bulk offer file, or GetProducts records."""
    if isinstance(doc, list):
        for item in doc:
            yield from records(json.loads(item) if isinstance(item, str) else item)
        return
    if not isinstance(doc, dict):
        return
    if isinstance(doc.get("products"), dict) and isinstance(doc.get("terms"), dict):
        on_demand = doc["terms"].get("OnDemand") or {}
        pub, version = _date(doc.get("publicationDate")), str(doc.get("version", ""))
        for sku, product in doc["products"].items():
            terms = on_demand.get(sku)
            if not isinstance(product, dict) or not terms:
                continue
            yield Record(
                offer=str(doc.get("offerCode") or product.get("attributes", {}).get("servicecode", "")),
                family=str(product.get("productFamily", "")), attrs=dict(product.get("attributes") or {}),
                dims=_dimensions(terms), date=pub or _effective(terms), version=version,
            )  # fmt: skip
        return
    if isinstance(doc.get("product"), dict) and isinstance(doc.get("terms"), dict):  # one GetProducts record
        product, terms = doc["product"], doc["terms"].get("OnDemand") or {}
        if terms:
            attrs = dict(product.get("attributes") or {})
            yield Record(
                offer=str(doc.get("serviceCode") or attrs.get("servicecode", "")),
                family=str(product.get("productFamily", "")), attrs=attrs, dims=_dimensions(terms),
                date=_date(doc.get("publicationDate")) or _effective(terms), version=str(doc.get("version", "")),
            )  # fmt: skip
        return
    for value in doc.values():  # {sku: record}, {"PriceList": [records]}, or a collection of those
        if isinstance(value, (dict, list)):
            yield from records(value)


def region_of(rec: Record) -> str | None:
    code = rec.attrs.get("regionCode")
    return code if code else LOCATIONS.get(rec.attrs.get("location", ""))


def offer_files(root: Path) -> list[Path]:
    """The offer files under `root`. With the offer index (`offers/v1.0/aws/index.json`), exactly
    the current files its region indexes point at (relative URLs resolved under root) plus any
    JSON outside `offers/`; without it, every JSON file except indexes."""
    index = root / "offers" / "v1.0" / "aws" / "index.json"
    everything = [p for p in sorted(root.rglob("*.json")) if p.name != "region_index.json" and p != index]
    if not index.is_file():
        return everything
    current: list[Path] = []
    for offer in (json.loads(index.read_text(encoding="utf-8")).get("offers") or {}).values():
        rix = root / str(offer.get("currentRegionIndexUrl", "")).lstrip("/")
        if rix.is_file():
            for reg in (json.loads(rix.read_text(encoding="utf-8")).get("regions") or {}).values():
                p = root / str(reg.get("currentVersionUrl", "")).lstrip("/")
                if p.is_file() and p not in current:
                    current.append(p)
    return current + [p for p in everything if root / "offers" not in p.parents and p not in current]


# --------------------------------------------------------------------------- mapping rules

Put = Callable[[tuple[str, ...], float], None]


def _a(rec: Record, key: str) -> str:
    return str(rec.attrs.get(key, ""))


def _usage(rec: Record) -> str:
    """The usage type without its region prefix (USE1-, EUW1- …)."""
    return re.sub(r"^[A-Z]{2,4}\d?-", "", _a(rec, "usagetype"))


def _first_paid(rec: Record, unit: str) -> float | None:
    """The first non-zero tier of a tiered price (free tiers are reported in the source text)."""
    paid = [d.usd for d in rec.dims if d.unit.lower() == unit.lower() and d.usd > 0]
    return paid[0] if paid else None


def _hourly(rec: Record) -> float | None:
    hrs = [d.usd for d in rec.dims if d.unit.lower() in ("hrs", "hours", "hour")]
    return hrs[0] if hrs else None


def _ec2(rec: Record, put: Put) -> bool:
    if rec.family.startswith("Compute Instance"):
        linux = _a(rec, "operatingSystem") == "Linux" and _a(rec, "tenancy") == "Shared"
        plain = _a(rec, "preInstalledSw") in ("NA", "") and _a(rec, "capacitystatus") in ("Used", "")
        licence = _a(rec, "licenseModel") in ("No License required", "")
        if linux and plain and licence and _a(rec, "operation") in ("RunInstances", ""):
            price = _hourly(rec)
            if price is not None and _a(rec, "instanceType"):
                put(("ec2", _a(rec, "instanceType")), price)
        return True
    if rec.family == "Storage" and _a(rec, "volumeApiName") in ("gp2", "gp3", "io1", "io2", "st1", "sc1"):
        price = _first_paid(rec, "GB-Mo")
        if price is not None:
            put(("ebs", f"{_a(rec, 'volumeApiName')}_gb_month"), price)
        return True
    return False


def _network(rec: Record, put: Put) -> bool:
    usage = _usage(rec)
    keys = {
        "NatGateway-Hours": ("vpc", "nat_gateway_hour"), "NatGateway-Bytes": ("vpc", "nat_gateway_gb"),
        "PublicIPv4:InUseAddress": ("vpc", "public_ipv4_hour"), "VpcEndpoint-Hours": ("vpc", "interface_endpoint_hour"),
    }  # fmt: skip
    if usage in keys:
        unit = "GB" if usage.endswith("Bytes") else "Hrs"
        price = _first_paid(rec, unit)
        if price is not None:
            put(keys[usage], price)
        return True
    if rec.family == "Data Transfer" or _a(rec, "transferType"):
        kind = _a(rec, "transferType")
        if kind == "AWS Outbound" and _a(rec, "toLocationType") in ("Other", "") and "External" in _a(rec, "toLocation"):
            price = _first_paid(rec, "GB")
            if price is not None:
                put(("data_transfer", "internet_egress_gb"), price)
        elif kind == "IntraRegion":
            price = _first_paid(rec, "GB")
            if price is not None:
                put(("data_transfer", "cross_az_gb"), price)
        return True
    return False


def _rds(rec: Record, put: Put) -> bool:
    if rec.offer != "AmazonRDS":
        return False
    postgres = _a(rec, "databaseEngine") in ("PostgreSQL", "Any")
    az = {"Single-AZ": "single_az", "Multi-AZ": "multi_az"}.get(_a(rec, "deploymentOption"))
    if rec.family == "Database Instance" and postgres and az and _a(rec, "instanceType").startswith("db."):
        price = _hourly(rec)
        if price is not None:
            put(("rds_postgres", "instances", _a(rec, "instanceType"), az), price)
    elif rec.family == "Database Storage" and postgres and az and _a(rec, "volumeType").startswith("General Purpose"):
        price = _first_paid(rec, "GB-Mo")
        if price is not None:
            put(("rds_postgres", "storage_gb_month", az), price)
    elif rec.family == "Storage Snapshot" and "ChargedBackupUsage" in _usage(rec):
        price = _first_paid(rec, "GB-Mo")
        if price is not None:
            put(("rds_postgres", "backup_gb_month"), price)
    return True


def _elasticache(rec: Record, put: Put) -> bool:
    if rec.offer != "AmazonElastiCache":
        return False
    if rec.family == "Cache Instance" and _a(rec, "cacheEngine") in ("Redis", "Valkey") and _a(rec, "instanceType"):
        price = _hourly(rec)
        if price is not None and _a(rec, "cacheEngine") == "Redis":
            put(("elasticache", _a(rec, "instanceType")), price)
    return True


def _usage_rules(offer: str, table: dict[str, tuple[tuple[str, ...], str, float]]) -> Callable[[Record, Put], bool]:
    """Rules that map a usage type (region prefix removed) to a key: (key, unit, multiplier)."""

    def rule(rec: Record, put: Put) -> bool:
        if rec.offer != offer:
            return False
        for suffix, (key, unit, times) in table.items():
            if _usage(rec).endswith(suffix):
                price = _first_paid(rec, unit)
                if price is not None:
                    put(key, price * times)
        return True

    return rule


def _s3(rec: Record, put: Put) -> bool:
    if rec.offer != "AmazonS3":
        return False
    if rec.family == "Storage" and _a(rec, "volumeType") == "Standard":
        price = _first_paid(rec, "GB-Mo")
        if price is not None:
            put(("s3", "standard_gb_month"), price)
    elif rec.family == "API Request" and _a(rec, "group") in ("S3-API-Tier1", "S3-API-Tier2"):
        price = _first_paid(rec, "Requests")
        if price is not None:
            put(("s3", "put_per_1000" if _a(rec, "group") == "S3-API-Tier1" else "get_per_1000"), round(price * 1000, 10))
    return True


def _elb(rec: Record, put: Put) -> bool:
    if rec.offer != "AWSELB":
        return False
    kind = {"Load Balancer-Application": "alb", "Load Balancer-Network": "nlb", "Load Balancer": "clb"}.get(rec.family)
    usage = _usage(rec)
    if kind and usage.endswith("LoadBalancerUsage"):
        price = _hourly(rec)
        if price is not None:
            put(("elb", f"{kind}_hour"), price)
    elif kind in ("alb", "nlb") and usage.endswith("LCUUsage"):
        price = _first_paid(rec, "LCU-Hrs")
        if price is not None:
            put(("elb", f"{kind}_lcu_hour"), price)
    return True


def _sagemaker(rec: Record, put: Put) -> bool:
    if rec.offer != "AmazonSageMaker":
        return False
    inst, comp = _a(rec, "instanceName") or _a(rec, "instanceType"), _a(rec, "component").lower()
    if inst.startswith("ml.") and comp in ("hosting", "training", "notebook", "processing"):
        price = _hourly(rec)
        if price is not None:
            put(("sagemaker", comp, inst), price)
    return True


def _mwaa(rec: Record, put: Put) -> bool:
    if rec.offer != "AmazonMWAA":
        return False
    size = (_a(rec, "size") or _a(rec, "environmentSize")).lower()
    price = _hourly(rec)
    if size and price is not None:
        what = "worker_hour" if "worker" in _usage(rec).lower() else (
            "scheduler_hour" if "scheduler" in _usage(rec).lower() else "environment_hour")
        put(("mwaa", f"mw1.{size}", what), price)
    return True


#: One rule per service family; each returns True when it claimed the record (priced or not).
RULES: list[Callable[[Record, Put], bool]] = [
    _rds, _elasticache, _s3, _elb, _sagemaker, _mwaa,
    _usage_rules("AmazonEKS", {
        "AmazonEKS-Hours:perCluster": (("eks", "cluster_hour"), "Hours", 1.0),
        "AmazonEKS-Hours:extendedSupport": (("eks", "extended_support_cluster_hour"), "Hours", 1.0),
    }),
    _usage_rules("AmazonCloudWatch", {
        "DataProcessing-Bytes": (("cloudwatch", "logs_ingest_gb"), "GB", 1.0),
        "TimedStorage-ByteHrs": (("cloudwatch", "logs_storage_gb_month"), "GB-Mo", 1.0),
    }),
    _usage_rules("awskms", {"KMS-Keys": (("kms", "key_month"), "Keys", 1.0)}),
    _usage_rules("AWSSecretsManager", {"AWSSecretsManager-Secrets": (("secretsmanager", "secret_month"), "Secrets", 1.0)}),
    _network, _ec2,
]  # fmt: skip


# --------------------------------------------------------------------------- the snapshot


@dataclass
class Section:
    prices: dict[str, Any] = field(default_factory=dict)
    dates: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)

    def put(self, path: tuple[str, ...], value: float) -> None:
        node = self.prices
        for k in path[:-1]:
            node = node.setdefault(k, {})
        node[path[-1]] = round(value, 10)

    def to_dict(self) -> dict[str, Any]:
        return {"as_of": min(self.dates) if self.dates else "", "source": "; ".join(sorted(self.sources)),
                "prices": _sorted(self.prices)}  # fmt: skip


def _sorted(d: dict[str, Any]) -> dict[str, Any]:
    return {k: _sorted(v) if isinstance(v, dict) else v for k, v in sorted(d.items(), key=lambda kv: _key(kv[0]))}


def _key(name: str) -> tuple[str, float, str]:
    """Instance types in family then size order (large < xlarge < 2xlarge …)."""
    fam, _, size = name.partition(".")
    return (fam, size_rank(size) if size else 0.0, name)


def size_rank(size: str) -> float:
    """How big a size name is, in 'large' units (medium 0.5, xlarge 2, 24xlarge 48, metal last)."""
    fixed = {"nano": 0.0625, "micro": 0.125, "small": 0.25, "medium": 0.5, "large": 1.0, "xlarge": 2.0}
    if size in fixed:
        return fixed[size]
    m = re.fullmatch(r"(\d+)xlarge", size)
    if m:
        return 2.0 * int(m.group(1))
    m = re.fullmatch(r"metal-(\d+)xl", size)
    return 2.0 * int(m.group(1)) + 0.5 if m else 1e6


@dataclass
class Built:
    regions: dict[str, dict[str, Section]] = field(default_factory=dict)
    unclaimed: Counter[str] = field(default_factory=Counter)
    read: list[str] = field(default_factory=list)

    def section(self, region: str, name: str) -> Section:
        return self.regions.setdefault(region, {}).setdefault(name, Section())


def from_offers(root: Path, built: Built | None = None) -> Built:
    """Map every on-demand record of every offer file under `root`."""
    built = built or Built()
    for path in offer_files(root):
        doc = json.loads(path.read_text(encoding="utf-8"))
        built.read.append(str(path.relative_to(root)))
        for rec in records(doc):
            region = region_of(rec)
            if region is None:
                built.unclaimed[f"{rec.offer}: no region ({rec.attrs.get('location', '?')})"] += 1
                continue

            def put(key: tuple[str, ...], value: float, rec: Record = rec, region: str = region) -> None:
                sec = built.section(region, key[0])
                sec.put(key[1:], value)
                sec.dates.add(rec.date)
                sec.sources.add(f"AWS Price List {rec.offer}" + (f" version {rec.version}" if rec.version else ""))

            if not any(rule(rec, put) for rule in RULES):
                built.unclaimed[f"{rec.offer}: {rec.family or '?'}"] += 1
    return built


def read_karpenter_prices(path: Path) -> tuple[dict[str, dict[str, float]], dict[str, str]]:
    """Karpenter's on-demand table: the generated Go file, or the JSON made from it."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".go":
        gen = re.search(r"generated at (\S+)", text)
        regions: dict[str, dict[str, float]] = {}
        for region, body in re.findall(r'"([a-z]{2}(?:-[a-z]+)+-\d)":\s*\{(.*?)\n\s*\}', text, flags=re.DOTALL):
            regions[region] = {t: float(p) for t, p in re.findall(r'"([a-z0-9-]+\.[a-z0-9-]+)":\s*([0-9.]+)', body)}
        meta = {"date": _date(gen.group(1)) if gen else "", "source": f"Karpenter {path.name}"}
        return regions, meta
    data = json.loads(text)
    source = " ".join(str(data.get(k, "")) for k in ("repo", "path")).strip() or path.name
    if data.get("commit"):
        source += f" @ {data['commit']}"
    return data["regions"], {"date": _date(data.get("date") or data.get("generated_at")),
                             "source": f"Karpenter on-demand table ({source})"}  # fmt: skip


def from_karpenter(path: Path, built: Built) -> None:
    """EC2 prices of the regions the offer files did not cover."""
    regions, meta = read_karpenter_prices(path)
    for region, table in regions.items():
        if "ec2" in built.regions.get(region, {}):
            continue
        sec = built.section(region, "ec2")
        for itype, usd in table.items():
            sec.put((itype,), usd)
        sec.dates.add(meta["date"])
        sec.sources.add(meta["source"])


def read_karpenter_instance_types(path: Path) -> dict[str, dict[str, Any]]:
    """vCPU, memory (MiB), arch and accelerators per type from Karpenter's instance-type reference."""
    out: dict[str, dict[str, Any]] = {}
    for block in re.split(r"^### `", path.read_text(encoding="utf-8"), flags=re.MULTILINE)[1:]:
        name = block.split("`", 1)[0]
        labels = dict(re.findall(r"^ \|(?:karpenter\.k8s\.aws/instance-|kubernetes\.io/)([a-z-]+)\|([^|]*)\|", block, flags=re.MULTILINE))
        entry: dict[str, Any] = {"cpu": int(labels["cpu"]), "mem": int(labels["memory"]), "arch": labels["arch"]}
        if int(labels.get("gpu-count", "0") or 0) or labels.get("gpu-name"):
            entry.update(gpu=int(labels.get("gpu-count", "0") or 0), gpu_name=labels.get("gpu-name", ""),
                         gpu_maker=labels.get("gpu-manufacturer", ""))  # fmt: skip
        if labels.get("accelerator-name"):
            entry.update(accel=int(labels.get("accelerator-count", "0") or 0), accel_name=labels["accelerator-name"])
        out[name] = entry
    return out


def snapshot_documents(built: Built, hardware: dict[str, dict[str, Any]] | None = None,
                       hardware_source: str = "") -> dict[str, dict[str, Any]]:  # fmt: skip
    """File name → JSON document. `hardware` also names the types AWS launches but lists
    without an on-demand price in the base region (capacity blocks, newer than the table)."""
    docs: dict[str, dict[str, Any]] = {}
    for region, sections in sorted(built.regions.items()):
        doc: dict[str, Any] = {"format": FORMAT, "provider": "aws", "region": region, "currency": "USD",
                               "sections": {name: s.to_dict() for name, s in sorted(sections.items())}}  # fmt: skip
        if hardware and region == "us-east-1" and "ec2" in sections:
            doc["unpriced_types"] = {
                "source": hardware_source,
                "note": "launchable (listed by the hardware source) but without an on-demand price here",
                "types": sorted(set(hardware) - set(sections["ec2"].prices), key=_key),
            }
        docs[f"aws-{region}.json"] = doc
    if hardware:
        docs["aws-instance-types.json"] = {"format": FORMAT, "source": hardware_source,
                                           "types": _sorted(hardware)}  # fmt: skip
    return docs


def write(docs: dict[str, dict[str, Any]], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, doc in docs.items():
        p = out / name
        p.write_text(json.dumps(doc, indent=1, sort_keys=False, allow_nan=False) + "\n", encoding="utf-8")
        written.append(p)
    return written


def build(offers: Path | None = None, karpenter_prices: Path | None = None, instance_types: Path | None = None,
          hardware_source: str = "") -> tuple[dict[str, dict[str, Any]], Built]:  # fmt: skip
    """Everything the command does except writing: (documents, what was read and not mapped)."""
    built = from_offers(offers) if offers is not None else Built()
    if karpenter_prices is not None:
        from_karpenter(karpenter_prices, built)
    hardware = read_karpenter_instance_types(instance_types) if instance_types is not None else None
    source = hardware_source or (f"Karpenter instance-type reference ({instance_types.name})" if instance_types else "")
    return snapshot_documents(built, hardware, source), built


def today() -> str:
    return _dt.date.today().isoformat()


__all__ = ["RULES", "Built", "Dimension", "Record", "build", "from_karpenter", "from_offers", "offer_files",
           "read_karpenter_instance_types", "read_karpenter_prices", "records", "region_of", "size_rank",
           "snapshot_documents", "write"]  # fmt: skip
