"""Pricing rules per AWS resource type, and the helpers every rule uses (quantities, charges, usage)."""


from __future__ import annotations

import fnmatch
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlplat.stacks.cost.catalogue import (
    DAYS_PER_MONTH,
    DEFAULT_BUCKET_GB,
    NEVER_EXPIRE_DAYS,
    STATUS_FREE,
    STATUS_PRICED,
    STATUS_UNPRICED,
    Catalogue,
    UsageAssumptions,
)
from mlplat.stacks.cost.fmt import _num
from mlplat.stacks.cost.lines import Charge, CostLine

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import Plan, PlanResource
    from mlplat.stacks.platform_spec.resolve import ResolvedPlatform



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

    @property
    def az_count(self) -> int:
        """AZs the plan spans (the network's az_count; 2, EKS's minimum, without a network)."""
        net = getattr(self.resolved.spec, "network", None)
        return int(getattr(net, "az_count", 0) or 2)


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


def _unverified(cat: Catalogue, section: str, key: str) -> str:
    """' (price unverified)' when the catalogue says its source is not checked."""
    return " (price unverified)" if cat.source_for(section, key).lower().startswith("unverified") else ""


def _public_ipv4(ctx: _Ctx, count: int, what: str) -> list[Charge]:
    """AWS bills every public IPv4 address by the hour (attached or idle) since 2024-02."""
    price = ctx.cat.price("vpc", "public_ipv4_hour")
    if price is None or count <= 0:
        return []
    return [Charge(f"public IPv4 address x {count} ({what})", count * ctx.hours, "address-hour", price)]


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
    charges = [Charge("control plane", ctx.hours, "hour", price)]
    extended = eks_extended_support_charge(res, ctx.hours)
    if extended is None:
        return _line(res, STATUS_PRICED, "EKS control plane, standard support, all month", charges)
    return _line(res, STATUS_PRICED, "EKS control plane in extended support today, all month",
                 [*charges, extended])  # fmt: skip


def eks_extended_support_charge(res: PlanResource, hours: float, today: Any = None) -> Charge | None:
    """The extended-support surcharge (+$0.50 per cluster-hour) when the cluster's Kubernetes
    version is past EKS standard support on `today` (the version catalogue decides)."""
    from mlplat.stacks.platform_spec import eks

    version = res.inputs.get("version")
    if not isinstance(version, str) or eks.support(version, today) != "extended":
        return None
    return Charge(f"extended support (Kubernetes {version})", hours, "hour", eks.extended_surcharge_per_hour())


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
    dated = f"list price of {ctx.cat.as_of_for('ec2', itype)}"
    if spot:
        unit_price = hourly * (1 - ctx.usage.spot_discount)
        what = f"{itype} spot ({ctx.usage.spot_discount:.0%} off ${hourly}/h on-demand, {dated}{note})"
    else:
        unit_price = hourly
        what = f"{itype} on-demand (${hourly}/h, {dated}{note})"
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
    charges = [Charge("gateway hours", ctx.hours, "hour", hour), Charge("data processed", share, "GB", gb)]
    dto = ctx.cat.price("data_transfer", "internet_egress_gb")
    out = share * ctx.usage.nat_egress_share
    egress = ""
    if dto is not None and out > 0:
        charges.append(Charge("internet egress of NAT traffic (data transfer out)", out, "GB", dto))
        egress = f"; {ctx.usage.nat_egress_share:.0%} of it ({_num(round(out, 2))} GB) out to the internet"
    return _line(res, STATUS_PRICED, f"all month; {_num(round(share, 2))} GB processed (NAT traffic split "
                 f"between {ctx.nat_count} gateway(s)){egress}", charges)  # fmt: skip


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
    db = ctx.resolved.spec.tracking.database if ctx.resolved.spec.tracking else None
    days = _int(res.inputs.get("backupRetentionPeriod"), db.backup_retention_days if db is not None else 1) or 0
    change = ctx.usage.db_backup_change_per_day
    # Automated backups: one full copy plus each day's changes for `days` days. AWS gives backup
    # storage up to the provisioned size free, so what is billed is the daily changes.
    billed = gb * change * days
    backup_price = ctx.cat.price("rds_postgres", "backup_gb_month")
    backup = "no automated backups" if days == 0 else (
        f"backups kept {days} day(s): {_num(gb)} GB free + {change:.0%}/day changes = {_num(round(billed, 2))} GB billed")
    if billed > 0 and backup_price is not None:
        charges.append(Charge(f"backup storage beyond the free allowance{_unverified(ctx.cat, 'rds_postgres', 'backup_gb_month')}",
                              billed, "GB-month", backup_price))  # fmt: skip
    note = f"{az}, all month; {backup}"
    secret_price = ctx.cat.price("secretsmanager", "secret_month")
    if res.inputs.get("manageMasterUserPassword") is True and secret_price is not None:
        # RDS keeps the master password in a Secrets Manager secret of its own (issue 13)
        charges.append(Charge("Secrets Manager secret of the RDS-managed master password", 1.0, "secret-month", secret_price))
        note += "; the password's GetSecretValue calls are not estimated ($0.05 per 10,000)"
    return _line(res, STATUS_PRICED, note, charges)


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


_ACCOUNT_SUFFIX = re.compile(r"-[0-9]{12}$")


def _bucket_spec_name(res: PlanResource, ctx: _Ctx) -> str | None:
    """The declared bucket a planned one is: its physical name is `{prefix}-{name}`, on aws
    followed by `-{account id}` (12 digits, DESIGN 4); else by the logical name or resource tag."""
    declared = [b.name for b in ctx.resolved.spec.storage.buckets] if ctx.resolved.spec.storage is not None else []
    physical = res.inputs.get("bucket")
    prefix = ctx.resolved.prefix + "-"
    if isinstance(physical, str) and physical.startswith(prefix):
        rest = physical[len(prefix) :]
        for candidate in (rest, _ACCOUNT_SUFFIX.sub("", rest)):
            if candidate in declared:
                return candidate
    tag = res.tags.get("mlplat:resource")
    for name in declared:
        if res.name.endswith(f"-{name}") or tag == name:
            return name
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
    if res.type.startswith("kubernetes:"):
        return _line(res, STATUS_PRICED, f"{kind} load balancer, all month", charges)
    # aws:lb and aws:elb are internet-facing unless `internal` (the provider's default is false).
    public = res.inputs.get("internal") is not True
    subnets = res.inputs.get("subnets") or res.inputs.get("subnetMappings")
    azs = len(subnets) if isinstance(subnets, list) and subnets else ctx.az_count
    charges += _public_ipv4(ctx, azs if public else 0, "one per AZ of an internet-facing load balancer")
    where = f"internet-facing in {azs} AZ(s)" if public else "internal (no public IPv4)"
    return _line(res, STATUS_PRICED, f"{kind} load balancer, all month, {where}", charges)


def _log_group(res: PlanResource, ctx: _Ctx) -> CostLine:
    price = ctx.cat.price("cloudwatch", "logs_ingest_gb")
    if price is None:
        return _unpriced(res, "no CloudWatch Logs price in the catalogue")
    gb = ctx.usage.logs_gb_per_month
    charges = [Charge("log ingestion", gb, "GB", price)]
    retention = _int(res.inputs.get("retentionInDays"))
    days = retention if retention and retention > 0 else NEVER_EXPIRE_DAYS
    kept = "never expire: a year's worth assumed" if days == NEVER_EXPIRE_DAYS and not retention else f"kept {days} days"
    # Steady state: each month's GB stays `days` days, so days/30.4 months' worth is stored at once.
    stored = gb * days / DAYS_PER_MONTH
    store_price = ctx.cat.price("cloudwatch", "logs_storage_gb_month")
    if store_price is not None and stored > 0:
        charges.append(Charge(f"log storage ({kept}; billed compressed, counted uncompressed)"
                              f"{_unverified(ctx.cat, 'cloudwatch', 'logs_storage_gb_month')}",
                              stored, "GB-month", store_price))  # fmt: skip
    return _line(res, STATUS_PRICED, f"{_num(gb)} GB ingested per month, {kept}: {_num(round(stored, 2))} GB stored",
                 charges)  # fmt: skip


def _vpc(res: PlanResource, ctx: _Ctx) -> CostLine:
    """The VPC itself is free; the platform's data transfer (driven by `usage:`) is billed here."""
    dto, xaz = ctx.cat.price("data_transfer", "internet_egress_gb"), ctx.cat.price("data_transfer", "cross_az_gb")
    egress, cross, azs = ctx.usage.internet_egress_gb_per_month, ctx.usage.cross_az_gb_per_month, ctx.az_count
    charges = []
    if dto is not None and egress > 0:
        charges.append(Charge(f"internet egress (data transfer out){_unverified(ctx.cat, 'data_transfer', 'internet_egress_gb')}",
                              egress, "GB", dto))  # fmt: skip
    if xaz is not None and cross > 0 and azs >= 2:
        charges.append(Charge(f"cross-AZ transfer, billed out and in{_unverified(ctx.cat, 'data_transfer', 'cross_az_gb')}",
                              2 * cross, "GB", xaz))  # fmt: skip
    if not charges:
        if dto is None or xaz is None:
            return _unpriced(res, "no data transfer price in the catalogue")
        return _free(res, "VPC: no charge (no data transfer assumed)")
    parts = [f"{_num(egress)} GB/month to the internet" if egress > 0 else "",
             f"{_num(cross)} GB/month across {azs} AZs" if cross > 0 and azs >= 2 else ""]  # fmt: skip
    return _line(res, STATUS_PRICED, "VPC free; data transfer: " + "; ".join(p for p in parts if p), charges)


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
    "aws:ec2/vpc:Vpc": _vpc,
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
    ("mlplat:compose:*", "runs on your machine (compose target): no charge"),
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


__all__ = ["FREE_TYPES", "eks_extended_support_charge", "gib", "parse_quantity"]
