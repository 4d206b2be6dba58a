"""The price catalogues shipped as data: coverage of what users can pick, provenance, consistency."""

from __future__ import annotations

import datetime as dt
import fnmatch
import itertools
import tomllib

import pytest
from mlplat.stacks.cost.catalogue import available_regions, load_catalogue
from mlplat.stacks.platform_spec.catalog import INSTANCE_TYPES, offered
from mlplat.stacks.platform_spec.model import Usage

from .helpers import ROOT, prices, snapshot

REGIONS = ("us-east-1", "us-west-2", "eu-west-1")  # required; every shipped region is checked below
FILES = [f"aws-{r}.yaml" for r in available_regions("aws")]


def test_required_regions_ship():
    assert set(REGIONS) <= set(available_regions("aws"))


@pytest.mark.parametrize("name", [*FILES, "kubernetes.yaml"])
def test_provenance(name):
    data = prices(name)
    dt.date.fromisoformat(data["as_of"])  # a real date
    assert len(data["source"]) > 40  # says where the numbers come from
    assert data["currency"] == "USD" and data["hours_per_month"] == 730


def test_every_type_validate_accepts_in_us_east_1_has_a_price_or_is_declared_unpriced():
    """us-east-1 accepts exactly the snapshot's SKUs; each has an on-demand price, except the
    ones the snapshot lists as launchable without one (capacity blocks: p5e, trn2 …)."""
    snap = snapshot("us-east-1")
    ec2, unpriced = snap["sections"]["ec2"]["prices"], set(snap["unpriced_types"]["types"])
    accepted = offered("us-east-1").types
    assert set(accepted) == set(ec2) | unpriced
    assert not set(ec2) & unpriced
    assert {"p5e.48xlarge", "trn2.48xlarge"} <= unpriced  # no public on-demand price (SUMMARY.md of the research)
    assert all(isinstance(v, (int, float)) and v > 0 for v in ec2.values())


@pytest.mark.parametrize("name", FILES)
def test_hand_kept_prices_name_only_types_aws_sells(name):
    """Every EC2 entry of a hand-kept region file is a real SKU (c5.8xlarge, c6g.24xlarge … were not)."""
    ec2 = prices(name)["ec2"]
    real = set(snapshot("us-east-1")["sections"]["ec2"]["prices"])
    assert not sorted(set(ec2) - real)
    assert all(isinstance(v, (int, float)) and v > 0 for v in ec2.values())


@pytest.mark.parametrize("name", FILES)
def test_families_users_pick(name):
    ec2 = prices(name)["ec2"]
    for family in ("m5", "m6i", "m6a", "m7i", "m7g", "c6i", "c7g", "r6i", "r7g", "t3", "t3a", "t4g",
                   "g4dn", "g5", "g6", "p3", "p4d", "p5"):  # fmt: skip
        assert any(k.startswith(f"{family}.") for k in ec2), family


@pytest.mark.parametrize("name", FILES)
def test_services_priced(name):
    d = prices(name)
    assert d["eks"]["cluster_hour"] > 0
    assert d["vpc"]["nat_gateway_hour"] > 0 and d["vpc"]["nat_gateway_gb"] > 0
    assert d["ebs"]["gp3_gb_month"] > 0
    assert 0 < d["spot"]["discount"] < 1
    assert d["s3"]["standard_gb_month"] > 0 and d["s3"]["put_per_1000"] > d["s3"]["get_per_1000"] > 0
    assert d["kms"]["key_month"] > 0
    assert d["elb"]["alb_hour"] > 0 and d["elb"]["nlb_hour"] > 0
    rds = d["rds_postgres"]
    assert rds["storage_gb_month"]["multi_az"] == pytest.approx(2 * rds["storage_gb_month"]["single_az"])
    for cls in ("db.t4g.micro", "db.t4g.medium", "db.m6g.large", "db.r6g.xlarge", "db.m5.large", "db.r5.large"):
        p = rds["instances"][cls]
        assert p["multi_az"] == pytest.approx(2 * p["single_az"]), cls
    for node in ("cache.t4g.small", "cache.m6g.large", "cache.r6g.large", "cache.r7g.large"):
        assert d["elasticache"][node] > 0


@pytest.mark.parametrize("name", FILES)
def test_prices_grow_with_size(name):
    ec2 = prices(name)["ec2"]
    by_family: dict[str, list[tuple[int, float]]] = {}
    for itype, spec in INSTANCE_TYPES.items():
        # Bare-metal sizes follow no size ladder (Karpenter's table: m8gb.metal-24xl 14.80608 > m8gb.48xlarge 13.968).
        if itype in ec2 and spec.hardware_known and "metal" not in itype:
            by_family.setdefault(spec.family, []).append((spec.vcpu, ec2[itype]))
    # GPU sizes do not scale linearly; hpc7g sizes are one machine with cores switched off, sold at
    # one price (Karpenter's table: hpc7g.4/8/16xlarge all 1.6832): their families are left out.
    steps = [(family, a, b) for family, rows in by_family.items() for a, b in itertools.pairwise(sorted(rows))
             if b[0] > a[0] and not family.startswith(("g4dn", "g5", "g6", "hpc"))]  # fmt: skip
    assert len(steps) > 20  # most CPU families list several sizes
    for family, (v1, p1), (v2, p2) in steps:
        assert p2 > p1, (family, v1, v2)


def test_derived_entries_are_declared_and_exist():
    assert len(FILES) >= 4  # the shipped AWS regions
    patterns = [(name, d, pattern) for name in FILES for d in [prices(name)] for pattern in d["derived"]]
    assert patterns  # eu-west-1 derives families from us-east-1, p5e has no list price
    for name, d, pattern in patterns:
        keys = [*d["ec2"], *d["rds_postgres"]["instances"], *d["elasticache"]]
        assert any(fnmatch.fnmatch(k, pattern) for k in keys), (name, pattern)
    # Ireland lists above N. Virginia for the same type.
    use1, euw1 = prices("aws-us-east-1.yaml")["ec2"], prices("aws-eu-west-1.yaml")["ec2"]
    assert all(euw1[k] >= use1[k] for k in euw1)


def test_kubernetes_rates_match_the_usage_keys():
    rates = prices("kubernetes.yaml")["rates"]
    Usage.model_validate({"k8s_rates": rates})  # every catalogue key is a key the spec accepts
    assert {"vcpu_hour", "gib_hour", "gpu_hour", "storage_gb_month"} <= set(rates)


def test_loader_agrees_with_the_file():
    cat = load_catalogue("aws", "us-west-2")
    assert cat.ec2("g5.xlarge") == prices("aws-us-west-2.yaml")["ec2"]["g5.xlarge"]
    assert cat.spot_discount == prices("aws-us-west-2.yaml")["spot"]["discount"]
    assert load_catalogue("aws", "eu-west-1").is_derived("p5.48xlarge")
    assert not load_catalogue("aws", "eu-west-1").is_derived("m5.large")



def test_region_without_catalogue_is_an_explicit_estimate():
    """ap-south-1 has no file: us-east-1 prices x its listed factor, every entry marked derived."""
    factors = prices("regional-factors.yaml")
    factor = factors["factors"]["ap-south-1"]
    base = prices("aws-us-east-1.yaml")
    cat = load_catalogue("aws", "ap-south-1")
    assert cat.region == "ap-south-1"
    assert cat.ec2("g5.xlarge") == pytest.approx(base["ec2"]["g5.xlarge"] * factor)
    assert cat.price("eks", "cluster_hour") == pytest.approx(base["eks"]["cluster_hour"] * factor)
    assert cat.section("rds_postgres")["instances"]["db.t4g.medium"]["multi_az"] == pytest.approx(
        base["rds_postgres"]["instances"]["db.t4g.medium"]["multi_az"] * factor
    )
    assert cat.spot_discount == base["spot"]["discount"]  # a fraction, not a price: not scaled
    assert cat.hours_per_month == base["hours_per_month"]
    assert cat.is_derived("m5.large") and cat.is_derived("db.t4g.medium")
    assert "ESTIMATE" in cat.source and "regional-factors.yaml" in cat.file
    unlisted = load_catalogue("aws", "il-central-1")
    assert unlisted.ec2("m5.large") == pytest.approx(base["ec2"]["m5.large"] * factors["default"])


def test_pricing_package_is_installed_data():
    # A non-editable install ships the YAML only if the subpackage is listed (package data is "*.yaml").
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "mlplat.stacks.cost.pricing" in project["tool"]["setuptools"]["packages"]
