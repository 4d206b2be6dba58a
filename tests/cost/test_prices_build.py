"""The price-snapshot builder (`mlplat prices build`) on recorded real Price List records.

Test data (tests/upstream/aws-pricing/, see PROVENANCE.md there): an AmazonEC2 bulk offer
excerpt for us-east-2 (2023-03-22, from opencost), EC2 and RDS GetProducts records (lyft/
awspricing), the offer index and EC2 region index (2019), Karpenter's generated us-east-1
table (2026-07-20) and an excerpt of Karpenter's instance-type reference. Expected values are
read off those files by eye and written here as literals.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from mlplat.cli.main import cli
from mlplat.stacks.pricelist import build as b

DATA = Path(__file__).resolve().parents[1] / "upstream" / "aws-pricing"


def _dir(tmp_path: Path, *names: str) -> Path:
    for n in names:
        shutil.copy(DATA / n, tmp_path / n)
    return tmp_path


def test_bulk_offer_file_excerpt(tmp_path):
    docs, built = b.build(offers=_dir(tmp_path, "opencost-ec2-us-east-2-20230322.json"))
    doc = docs["aws-us-east-2.json"]
    assert doc["region"] == "us-east-2" and doc["currency"] == "USD"
    ebs = doc["sections"]["ebs"]
    # SKU M6UGCCQ3CDJQAA37: "$0.08 per GB-month of General Purpose (gp3) provisioned storage - US East (Ohio)"
    assert ebs["prices"] == {"gp3_gb_month": 0.08}
    assert ebs["as_of"] == "2023-03-22"  # the offer's publicationDate 2023-03-22T14:56:51Z
    assert "AmazonEC2 version 20230322145651" in ebs["source"]
    # p3.8xlarge is Windows BYOL ($12.24/h): not a Linux on-demand price. m5.large's only term
    # filed under OnDemand is a 3-year convertible reservation (offerTermCode MZU6U2429S, $1161
    # upfront): not an hourly on-demand price either. So no EC2 price comes out of this file.
    assert "ec2" not in doc["sections"]
    assert not built.unclaimed


def test_getproducts_records_ec2_and_rds(tmp_path):
    docs, built = b.build(offers=_dir(tmp_path, "lyft-awspricing-ec2-records.json", "lyft-awspricing-rds-records.json"))
    ec2 = docs["aws-us-east-1.json"]["sections"]["ec2"]
    # c4.large, US East (N. Virginia), Linux, Shared: "$0.1 per On Demand Linux c4.large Instance Hour";
    # the reserved terms ($0.03, $0.021 …/h) and the Windows SQL Enterprise i3.metal are left out.
    assert ec2["prices"] == {"c4.large": 0.1}
    assert ec2["as_of"] == "2016-12-01"  # GetProducts records carry no publicationDate: the term's effectiveDate
    # The RDS records are Oracle (us-west-2) and MariaDB (Tokyo): claimed by the RDS rule, no PostgreSQL price.
    assert "aws-us-west-2.json" not in docs and "aws-ap-northeast-1.json" not in docs
    assert not built.unclaimed


def test_offer_index_selects_the_current_files(tmp_path):
    """Through the offer index and region index (their real 2019 excerpt), only the file the
    region index names is read; an older version lying beside it is not."""
    idx = json.loads((DATA / "aws-offer-index-excerpt-20190916.json").read_text())
    root = tmp_path / "prices"
    (root / "offers/v1.0/aws/AmazonEC2/current").mkdir(parents=True)
    (root / "offers/v1.0/aws/index.json").write_text(json.dumps(idx["offers_v1.0_aws_index.json"]))
    (root / "offers/v1.0/aws/AmazonEC2/current/region_index.json").write_text(
        json.dumps(idx["offers_v1.0_aws_AmazonEC2_current_region_index.json"]))
    current = root / "offers/v1.0/aws/AmazonEC2/20190916220712/us-east-1/index.json"
    current.parent.mkdir(parents=True)
    shutil.copy(DATA / "lyft-awspricing-ec2-records.json", current)  # us-east-1 EC2 records of that era
    stale = root / "offers/v1.0/aws/AmazonEC2/20230322145651/us-east-2/index.json"
    stale.parent.mkdir(parents=True)
    shutil.copy(DATA / "opencost-ec2-us-east-2-20230322.json", stale)
    assert b.offer_files(root) == [current]
    docs, _ = b.build(offers=root)
    assert set(docs) == {"aws-us-east-1.json"}
    assert docs["aws-us-east-1.json"]["sections"]["ec2"]["prices"] == {"c4.large": 0.1}


def test_karpenter_table_and_instance_reference(tmp_path):
    docs, _ = b.build(karpenter_prices=DATA / "karpenter-ec2-ondemand-us-east-1-20260720.json",
                          instance_types=DATA / "karpenter-instance-types-excerpt.md", hardware_source="excerpt")  # fmt: skip
    use1 = docs["aws-us-east-1.json"]
    ec2 = use1["sections"]["ec2"]
    assert len(ec2["prices"]) == 1367  # the table's us-east-1 map (SUMMARY.md of the research: 1,367 types)
    assert ec2["prices"]["p5.48xlarge"] == 55.04  # after AWS's June 2025 cut
    assert ec2["prices"]["p4d.24xlarge"] == 21.957642
    assert ec2["prices"]["c5.9xlarge"] == 1.53 and "c5.8xlarge" not in ec2["prices"]
    assert ec2["as_of"] == "2026-07-20" and "karpenter-provider-aws" in ec2["source"]
    # Sizes come out in size order, not string order (large before 2xlarge before 12xlarge).
    c5 = [k for k in ec2["prices"] if k.startswith("c5.")]
    assert c5[:4] == ["c5.large", "c5.xlarge", "c5.2xlarge", "c5.4xlarge"]
    # The reference lists p5e.48xlarge, which the price table does not (capacity blocks only).
    assert use1["unpriced_types"]["types"] == ["p5e.48xlarge"]
    hw = docs["aws-instance-types.json"]["types"]
    assert hw["p5.48xlarge"] == {"cpu": 192, "mem": 2097152, "arch": "amd64", "gpu": 8, "gpu_name": "h100",
                                 "gpu_maker": "nvidia"}  # fmt: skip
    assert hw["inf2.xlarge"] == {"cpu": 4, "mem": 16384, "arch": "amd64", "accel": 1, "accel_name": "inferentia2"}
    assert hw["g4ad.xlarge"]["gpu_name"] == "radeon-pro-v520" and hw["c6g.16xlarge"]["arch"] == "arm64"


def test_karpenter_go_file(tmp_path):
    """The generated Go map itself (lines in the form of zz_generated.pricing_aws.go)."""
    go = tmp_path / "zz_generated.pricing_aws.go"
    go.write_text(
        "// generated at 2026-07-20T13:44:30Z for us-east-1\n"
        "var InitialOnDemandPricesAWS = map[string]map[ec2types.InstanceType]float64{\n"
        '\t// us-east-1\n\t"us-east-1": {\n'
        '\t\t// a1 family\n\t\t"a1.2xlarge": 0.204000, "a1.4xlarge": 0.408000,\n'
        '\t\t// p5 family\n\t\t"p5.48xlarge": 55.040000,\n\t},\n}\n'
    )
    regions, meta = b.read_karpenter_prices(go)
    assert regions == {"us-east-1": {"a1.2xlarge": 0.204, "a1.4xlarge": 0.408, "p5.48xlarge": 55.04}}
    assert meta["date"] == "2026-07-20"


def test_offer_file_wins_over_karpenter_for_its_region(tmp_path):
    docs, _ = b.build(offers=_dir(tmp_path, "lyft-awspricing-ec2-records.json"),
                      karpenter_prices=DATA / "karpenter-ec2-ondemand-us-east-1-20260720.json")  # fmt: skip
    assert docs["aws-us-east-1.json"]["sections"]["ec2"]["prices"] == {"c4.large": 0.1}


def test_rules_map_other_services():
    """One record per service in the Price List's shape, with the attributes AWS documents for it.
    (No real excerpt of these offers could be had: see PROVENANCE.md; these pin the mapping.)"""

    def rec(offer: str, family: str, unit: str, usd: str, **attrs: str) -> dict:
        return {"product": {"productFamily": family, "attributes": {"regionCode": "us-east-1", **attrs}},
                "serviceCode": offer, "publicationDate": "2026-11-01T00:00:00Z",
                "terms": {"OnDemand": {"S.JRTCKXETXF": {"offerTermCode": "JRTCKXETXF", "priceDimensions": {
                    "S.JRTCKXETXF.A": {"unit": unit, "beginRange": "0", "endRange": "Inf",
                                       "pricePerUnit": {"USD": usd}}}}}}}  # fmt: skip

    page = {"PriceList": [
        rec("AmazonEKS", "Compute", "Hours", "0.10", usagetype="USE1-AmazonEKS-Hours:perCluster"),
        rec("AmazonVPC", "NAT Gateway", "Hrs", "0.045", usagetype="USE1-NatGateway-Hours"),
        rec("AmazonVPC", "NAT Gateway", "GB", "0.045", usagetype="USE1-NatGateway-Bytes"),
        rec("AmazonRDS", "Database Instance", "Hrs", "0.065", databaseEngine="PostgreSQL",
            deploymentOption="Single-AZ", instanceType="db.t4g.medium"),
        rec("AmazonRDS", "Database Instance", "Hrs", "0.9", databaseEngine="MySQL",
            deploymentOption="Single-AZ", instanceType="db.t4g.medium"),
        rec("AmazonElastiCache", "Cache Instance", "Hrs", "0.032", cacheEngine="Redis", instanceType="cache.t4g.small"),
        rec("AmazonS3", "API Request", "Requests", "0.000005", group="S3-API-Tier1"),
        rec("AmazonCloudWatch", "Storage Snapshot", "GB-Mo", "0.03", usagetype="USE1-TimedStorage-ByteHrs"),
        rec("AmazonGuardDuty", "Other", "Hrs", "1.0"),
    ]}  # fmt: skip
    built = b.Built()
    for r in b.records(page):
        def put(key, value, r=r):
            built.section("us-east-1", key[0]).put(key[1:], value)
        if not any(rule(r, put) for rule in b.RULES):
            built.unclaimed[r.offer] += 1
    got = {name: s.prices for name, s in built.regions["us-east-1"].items()}
    assert got == {
        "eks": {"cluster_hour": 0.1},
        "vpc": {"nat_gateway_hour": 0.045, "nat_gateway_gb": 0.045},
        "rds_postgres": {"instances": {"db.t4g.medium": {"single_az": 0.065}}},  # MySQL left out
        "elasticache": {"cache.t4g.small": 0.032},
        "s3": {"put_per_1000": 0.005},  # per request x 1000
        "cloudwatch": {"logs_storage_gb_month": 0.03},
    }
    assert built.unclaimed == {"AmazonGuardDuty": 1}  # counted, never guessed at


def test_cli_writes_the_snapshot(tmp_path):
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["prices", "build", "--karpenter-prices",
                                 str(DATA / "karpenter-ec2-ondemand-us-east-1-20260720.json"), "--out", str(out)])  # fmt: skip
    assert r.exit_code == 0, r.output
    doc = json.loads((out / "aws-us-east-1.json").read_text())
    assert doc["sections"]["ec2"]["prices"]["p5.48xlarge"] == 55.04
    r = CliRunner().invoke(cli, ["prices", "build", "--out", str(out)])
    assert r.exit_code == 2 and "nothing to build from" in r.output


def test_shipped_snapshot_is_the_karpenter_table():
    """What ships for us-east-1 is exactly the recorded Karpenter table (rebuilt here from it)."""
    docs, _ = b.build(karpenter_prices=DATA / "karpenter-ec2-ondemand-us-east-1-20260720.json")
    from importlib import resources

    shipped = json.loads((resources.files("mlplat.stacks.pricelist") / "aws-us-east-1.json").read_text())
    assert shipped["sections"]["ec2"] == docs["aws-us-east-1.json"]["sections"]["ec2"]


@pytest.mark.parametrize("size,rank", [("medium", 0.5), ("large", 1.0), ("xlarge", 2.0), ("24xlarge", 48.0)])
def test_size_rank(size, rank):
    assert b.size_rank(size) == rank
