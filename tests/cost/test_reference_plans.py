"""The estimate over the REAL offline plans of the reference specs (computed once per session by
tests/plans.py): lines the modules produce are priced as the catalogue says, by hand, and the
reference platform costs more in prod than in dev."""

from __future__ import annotations

import dataclasses
import json

import pytest
from click.testing import CliRunner
from mlplat.cli.main import cli
from mlplat.stacks.cost.estimate import billable_resources, estimate
from mlplat.stacks.platform_spec.model import Usage

from ..plans import reference
from .helpers import HOURS, prices

USE1 = prices("aws-us-east-1.yaml")
K8S = prices("kubernetes.yaml")
EBS = USE1["ebs"]["gp3_gb_month"]


@pytest.fixture(scope="module")
def aws():
    """env → (resolved, plan, estimate) of examples/platform.yaml."""
    out = {}
    for env in ("dev", "staging", "prod"):
        resolved, plan = reference("platform", env)
        out[env] = (resolved, plan, estimate(resolved, plan))
    return out


@pytest.fixture(scope="module")
def onprem():
    resolved, plan = reference("onprem", "prod")
    return resolved, plan, estimate(resolved, plan)


def test_prod_costs_more_than_dev(aws):
    dev, staging, prod = (aws[e][2].monthly_usd for e in ("dev", "staging", "prod"))
    assert 0 < dev < prod
    assert staging < prod


def test_every_resource_has_exactly_one_line(aws, onprem):
    for _, plan, e in [*aws.values(), onprem]:
        assert sorted(ln.urn for ln in e.lines) == sorted(r.urn for r in billable_resources(plan))
        assert e.monthly_usd == pytest.approx(sum(e.by_component.values()))
        assert e.min_monthly_usd <= e.monthly_usd <= e.max_monthly_usd
        for ln in e.lines:
            assert ln.assumption, ln.name  # priced: what was assumed; free/unpriced: why
            assert ln.status in ("priced", "free", "unpriced")


def test_reference_aws_plan_is_fully_priced(aws):
    assert set(aws) == {"dev", "staging", "prod"}
    for env, (_, _, e) in aws.items():
        cov = e.coverage
        assert cov.unpriced == [], (env, [(ln.name, ln.type, ln.assumption) for ln in cov.unpriced])
        assert cov.percent == 100.0


def test_node_pools_by_hand(aws):
    # examples/platform.yaml: system m6i.large 2–4; gpu-train g5.2xlarge spot 0–8 (spec says spot);
    # gpu-serve g5.xlarge 1–4, dev overrides min 0 and the dev profile makes unset capacity spot.
    # Every node also carries the pool's root volume (disk_gb default 100) as EBS gp3.
    f, spot = 0.25, 1 - USE1["spot"]["discount"]
    ec2 = USE1["ec2"]

    def node(itype: str, discount: float = 1.0) -> float:
        return HOURS * ec2[itype] * discount + 100 * EBS

    cases = {
        ("dev", "cluster-system"): (2, 4, node("m6i.large")),
        ("dev", "cluster-gpu-train"): (0, 8, node("g5.2xlarge", spot)),
        ("dev", "cluster-gpu-serve"): (0, 4, node("g5.xlarge", spot)),
        ("prod", "cluster-system"): (2, 4, node("m6i.large")),
        ("prod", "cluster-gpu-serve"): (1, 4, node("g5.xlarge")),
    }
    for (env, name), (lo, hi, per_node) in cases.items():
        line = aws[env][2].line(name)
        assert line is not None, name
        assert line.low == pytest.approx(lo * per_node), (env, name)
        assert line.monthly_usd == pytest.approx((lo + f * (hi - lo)) * per_node), (env, name)
        assert line.high == pytest.approx(hi * per_node), (env, name)
    # e.g. prod gpu-serve: 1.75 × (730 × $1.006 + 100 × $0.08) = $1,299.16 expected
    assert aws["prod"][2].line("cluster-gpu-serve").monthly_usd == pytest.approx(1.75 * (730 * 1.006 + 8.0))


def test_managed_services_by_hand(aws):
    dev, prod = aws["dev"][2], aws["prod"][2]
    rds = USE1["rds_postgres"]

    def backup(e):  # 50 GB x 2%/day (default change) x the plan's retention days, beyond the free 50 GB
        days = next(r for r in e_plans[e].resources if r.name == "tracking-db").inputs["backupRetentionPeriod"]
        return 50 * 0.02 * days * rds["backup_gb_month"]

    e_plans = {"dev": aws["dev"][1], "prod": aws["prod"][1]}
    # tracking database: db.t4g.medium, 50 GB; Single-AZ in dev, Multi-AZ in prod (profiles); plus
    # the Secrets Manager secret RDS keeps the master password in ($0.40 a secret-month, AWS price list)
    secret = 0.40
    assert dev.line("tracking-db").monthly_usd == pytest.approx(
        HOURS * rds["instances"]["db.t4g.medium"]["single_az"] + 50 * rds["storage_gb_month"]["single_az"]
        + backup("dev") + secret
    )
    assert prod.line("tracking-db").monthly_usd == pytest.approx(
        HOURS * rds["instances"]["db.t4g.medium"]["multi_az"] + 50 * rds["storage_gb_month"]["multi_az"]
        + backup("prod") + secret
    )
    # NAT: single in dev, one per AZ (3) in prod, each with its public IPv4 address; 100 GB split
    nat_types = ("aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip")

    def nat_total(e):
        return sum(ln.monthly_usd for ln in e.lines if ln.type in nat_types)

    hour, gb, ip = USE1["vpc"]["nat_gateway_hour"], USE1["vpc"]["nat_gateway_gb"], USE1["vpc"]["public_ipv4_hour"]
    egress = 10 * USE1["data_transfer"]["internet_egress_gb"]  # 10% of the 100 GB leave for the internet
    assert nat_total(dev) == pytest.approx(HOURS * hour + 100 * gb + HOURS * ip + egress)
    assert nat_total(prod) == pytest.approx(3 * HOURS * hour + 100 * gb + 3 * HOURS * ip + egress)
    # EKS control plane
    assert prod.line("cluster-eks").monthly_usd == pytest.approx(HOURS * USE1["eks"]["cluster_hour"])


def test_kubernetes_target_priced_from_requests(onprem):
    resolved, plan, e = onprem
    assert e.provider == "kubernetes" and e.catalogue.file.endswith("kubernetes.yaml")
    rate = K8S["rates"]
    # fraud-detector: spec default requests (500m, 1Gi), replicas 2–6 in the spec.
    line = e.line("serving-fraud-detector")
    per = HOURS * (0.5 * rate["vcpu_hour"] + 1 * rate["gib_hour"])
    assert (line.low, line.high) == (pytest.approx(2 * per), pytest.approx(6 * per))
    # Rates are configurable (usage.k8s_rates): doubling every rate doubles every figure.
    spec2 = resolved.spec.model_copy(update={"usage": Usage(k8s_rates={k: 2 * v for k, v in rate.items()})})
    e2 = estimate(dataclasses.replace(resolved, spec=spec2), plan)
    assert e2.monthly_usd == pytest.approx(2 * e.monthly_usd)
    # What cannot be priced from the plan is named (e.g. upstream Kubeflow manifests), never zeroed.
    # the Kubeflow manifests and the Seldon chart: their pods' requests are not in the plan
    assert e.coverage.unpriced
    for ln in e.coverage.unpriced:
        assert ln.assumption
    assert 0 < e.coverage.percent <= 100


def test_cli_json_on_a_saved_reference_plan(aws, tmp_path):
    _, plan, e = aws["prod"]
    saved = tmp_path / "plan.json"
    saved.write_text(plan.to_json())
    res = CliRunner().invoke(cli, ["cost", "examples/platform.yaml", "--env", "prod", "--format", "json",
                                   "--plan", str(saved)])  # fmt: skip
    assert res.exit_code in (0, 1), res.output
    data = json.loads(res.stdout)
    assert data["environment"] == "prod"
    assert data["monthly_usd"] == pytest.approx(e.monthly_usd, abs=0.01)
    assert set(data["by_component"]) >= {"network", "storage", "cluster", "tracking"}
    assert len(data["lines"]) == len(e.lines)
    assert res.exit_code == (1 if e.monthly_usd > 9000 else 0)  # budget.monthly_usd 9000 in the spec
