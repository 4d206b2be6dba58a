"""The bill lines a real AWS bill has beyond instance hours: public IPv4, data transfer, log
storage, backup storage beyond the free allowance. Every total is worked out by hand below from
the us-east-1 list prices (sources in stacks/cost/pricing/aws-us-east-1.yaml `dated:`):

    public IPv4 $0.005/h · internet egress $0.09/GB · cross-AZ $0.01/GB each way ·
    NAT $0.045/h + $0.045/GB · CloudWatch Logs $0.50/GB ingested, $0.03/GB-month stored ·
    RDS backup storage $0.095/GB-month (marked unverified) · a month is 730 h
"""

from __future__ import annotations

import pytest
from mlplat.stacks import load_platform
from mlplat.stacks.cost.estimate import estimate

from ..plans import reference
from .helpers import k8s, plan, res

SPEC = """\
apiVersion: mlplat.io/v1alpha1
kind: Platform
metadata: {name: acme}
target: {provider: aws, region: REGION}
network: {az_count: AZS}
cluster:
  node_pools:
    - {name: system, instance_type: m6i.large, min_size: 2, max_size: 2}
USAGE
environments:
  dev: {profile: dev}
"""


@pytest.fixture
def resolved(write_spec):
    def make(usage: str = "", region: str = "us-east-1", azs: int = 2):
        text = SPEC.replace("USAGE", usage).replace("REGION", region).replace("AZS", str(azs))
        return load_platform(write_spec(text), "dev")

    return make


# --------------------------------------------------------------------------- public IPv4


def test_internet_facing_load_balancer_pays_one_ipv4_per_az(resolved):
    r = resolved()
    public = res("aws:lb/loadBalancer:LoadBalancer", "lb-public", "serving", loadBalancerType="network",
                 subnets=["a", "b", "c"])  # fmt: skip
    internal = res("aws:lb/loadBalancer:LoadBalancer", "lb-internal", "serving", loadBalancerType="network",
                   internal=True, subnets=["a", "b", "c"])  # fmt: skip
    e = estimate(r, plan(r, public, internal))
    # NLB 730 h x $0.0225 = 16.425, 1 LCU x 730 h x $0.006 = 4.38; + 3 addresses x 730 h x $0.005 = 10.95
    assert e.line("lb-public").monthly_usd == pytest.approx(16.425 + 4.38 + 10.95)
    assert e.line("lb-internal").monthly_usd == pytest.approx(16.425 + 4.38)
    assert "internet-facing in 3 AZ(s)" in e.line("lb-public").assumption
    assert "internal (no public IPv4)" in e.line("lb-internal").assumption


@pytest.mark.parametrize("annotations,ipv4", [
    ({}, 7.30),  # in-tree CLB: internet-facing by default; 2 AZs x 730 h x $0.005
    ({"service.beta.kubernetes.io/aws-load-balancer-internal": "true"}, 0.0),
    ({"service.beta.kubernetes.io/aws-load-balancer-type": "external"}, 0.0),  # LB controller: internal by default
    ({"service.beta.kubernetes.io/aws-load-balancer-type": "external",
      "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing"}, 7.30),
])  # fmt: skip
def test_service_load_balancer_ipv4_follows_its_scheme(resolved, annotations, ipv4):
    r = resolved()
    svc = k8s("Service", "core/v1", "gw", "serving", {"type": "LoadBalancer"}, annotations=annotations)
    line = estimate(r, plan(r, svc)).line("gw")
    ip = sum(c.monthly_usd for c in line.charges if c.what.startswith("public IPv4"))
    assert ip == pytest.approx(ipv4)


def test_alb_ingress_ipv4_only_when_internet_facing(resolved):
    r = resolved(azs=3)
    public = k8s("Ingress", "networking.k8s.io/v1", "ui", "serving", {"ingressClassName": "alb"},
                 annotations={"alb.ingress.kubernetes.io/scheme": "internet-facing"})  # fmt: skip
    internal = k8s("Ingress", "networking.k8s.io/v1", "api", "serving", {"ingressClassName": "alb"})
    e = estimate(r, plan(r, public, internal))
    # ALB 730 h x $0.0225 = 16.425; 1 LCU x 730 h x $0.008 = 5.84; internet-facing: 3 AZs x 730 x $0.005 = 10.95
    assert e.line("ui").monthly_usd == pytest.approx(16.425 + 5.84 + 10.95)
    assert e.line("api").monthly_usd == pytest.approx(16.425 + 5.84)


def test_reference_plan_public_addresses_are_the_nat_eips():
    """examples/platform.yaml prod: nodes sit in private subnets (mapPublicIpOnLaunch false), so
    the public IPv4 addresses are the NAT gateways' EIPs, one per AZ."""
    resolved_, plan_ = reference("platform", "prod")
    e = estimate(resolved_, plan_)
    subnets = [r for r in plan_.resources if r.type == "aws:ec2/subnet:Subnet"]
    assert subnets and all(r.inputs.get("mapPublicIpOnLaunch") is False for r in subnets)
    eips = [ln for ln in e.lines if ln.type == "aws:ec2/eip:Eip"]
    nats = [r for r in plan_.resources if r.type == "aws:ec2/natGateway:NatGateway"]
    assert len(eips) == len(nats) == 3
    assert all(ln.monthly_usd == pytest.approx(3.65) for ln in eips)  # 730 h x $0.005


# --------------------------------------------------------------------------- data transfer


def vpc(name: str = "network-vpc"):
    return res("aws:ec2/vpc:Vpc", name, "network", cidrBlock="10.0.0.0/16")


def test_data_transfer_defaults(resolved):
    r = resolved()
    line = estimate(r, plan(r, vpc())).line("network-vpc")
    # 50 GB x $0.09 = 4.50 to the internet; 100 GB across AZs billed out and in: 200 x $0.01 = 2.00
    assert line.status == "priced"
    assert line.monthly_usd == pytest.approx(6.50)
    assert "50 GB/month to the internet" in line.assumption and "100 GB/month across 2 AZs" in line.assumption


def test_data_transfer_from_usage(resolved):
    r = resolved("usage: {internet_egress_gb_per_month: 1000, cross_az_gb_per_month: 500}")
    e = estimate(r, plan(r, vpc()))
    # 1000 x $0.09 = 90; 500 x 2 x $0.01 = 10
    assert e.line("network-vpc").monthly_usd == pytest.approx(100.0)
    assert any("1,000 GB/month sent to the internet (usage)" in a for a in e.assumptions())


def test_one_az_has_no_cross_az_transfer(resolved):
    r = resolved(azs=1)
    assert estimate(r, plan(r, vpc())).line("network-vpc").monthly_usd == pytest.approx(4.50)  # egress only


def test_nat_processing_plus_egress(resolved):
    r = resolved("usage: {nat_gb_per_month: 200, nat_egress_share: 0.5}")
    nat = res("aws:ec2/natGateway:NatGateway", "network-nat-a", "network")
    line = estimate(r, plan(r, nat)).line("network-nat-a")
    # 730 h x $0.045 = 32.85; 200 GB x $0.045 = 9.00 processed; half of it out: 100 GB x $0.09 = 9.00
    assert line.monthly_usd == pytest.approx(50.85)
    assert "50% of it (100 GB) out to the internet" in line.assumption


def test_data_transfer_outside_us_east_1_says_unverified(resolved):
    r = resolved(region="eu-west-1")
    line = estimate(r, plan(r, vpc())).line("network-vpc")
    assert line.monthly_usd == pytest.approx(6.50)  # the us-east-1 figures, carried over and marked
    assert all("(price unverified)" in c.what for c in line.charges)


# --------------------------------------------------------------------------- log storage


@pytest.mark.parametrize("retention,total", [
    (30.0, 2.50 + 5 * 30 / (365 / 12) * 0.03),  # 5 GB x $0.50 + 4.93 GB kept x $0.03 = 2.648
    (365.0, 2.50 + 60 * 0.03),  # a year: 12 months' 5 GB = 60 GB x $0.03 = 1.80
    (None, 2.50 + 60 * 0.03),  # never expires: one year's worth assumed (documented)
])  # fmt: skip
def test_log_storage_by_retention(resolved, retention, total):
    r = resolved()
    inputs = {"retentionInDays": retention} if retention is not None else {}
    lg = res("aws:cloudwatch/logGroup:LogGroup", "flow-logs", "network", **inputs)
    line = estimate(r, plan(r, lg)).line("flow-logs")
    assert line.monthly_usd == pytest.approx(total)


def test_reference_plan_log_groups_pay_storage():
    resolved_, plan_ = reference("platform", "prod")
    e = estimate(resolved_, plan_)
    groups = [r for r in plan_.resources if r.type == "aws:cloudwatch/logGroup:LogGroup"]
    assert groups  # flow logs and the EKS control-plane log group
    for r in groups:
        days = r.inputs["retentionInDays"]
        stored = 5 * days / (365 / 12)  # 5 GB/month (default) kept `days` days
        assert e.line(r.name).monthly_usd == pytest.approx(5 * 0.50 + stored * 0.03), r.name


# --------------------------------------------------------------------------- backup storage


@pytest.mark.parametrize("usage,days,billed_gb", [
    ("", 7.0, 14.0),  # 100 GB x 2%/day x 7 days beyond the free 100 GB
    ("usage: {db_backup_change_per_day: 0.05}", 35.0, 175.0),  # 100 x 5% x 35
    ("", 0.0, 0.0),  # no automated backups, nothing stored
])  # fmt: skip
def test_rds_backup_beyond_the_free_allowance(resolved, usage, days, billed_gb):
    r = resolved(usage)
    db = res("aws:rds/instance:Instance", "tracking-db", "tracking", engine="postgres", instanceClass="db.t4g.medium",
             multiAz=False, allocatedStorage=100.0, backupRetentionPeriod=days)  # fmt: skip
    line = estimate(r, plan(r, db)).line("tracking-db")
    # db.t4g.medium Single-AZ 730 h x $0.065 = 47.45; 100 GB x $0.115 = 11.50; backup at $0.095/GB-month
    assert line.monthly_usd == pytest.approx(47.45 + 11.50 + billed_gb * 0.095)
    backup = [c for c in line.charges if c.what.startswith("backup storage")]
    assert [c.quantity for c in backup] == ([pytest.approx(billed_gb)] if billed_gb else [])
    if backup:
        assert "(price unverified)" in backup[0].what  # the source is a third-party page
