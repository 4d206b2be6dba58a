"""Today's prices with their dates, and every price older than six months named in every output.

Figures are read off the recorded sources (tests/upstream/aws-pricing/): Karpenter's us-east-1
table generated 2026-07-20 lists p5.48xlarge at 55.04 and p4d.24xlarge at 21.957642 USD/h.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from mlplat.cli.main import cli
from mlplat.stacks.cost.catalogue import load_catalogue
from mlplat.stacks.cost.estimate import estimate
from mlplat.stacks.cost.output import cost_json, to_markdown
from mlplat.stacks.plan.offline import run_offline
from mlplat.stacks.platform_spec.resolve import load_platform

# The module (the package re-exports a function of the same name).
estimate_mod = importlib.import_module("mlplat.stacks.cost.estimate")

SPEC = """\
apiVersion: mlplat.io/v1alpha1
kind: Platform
metadata:
  name: gpu
target:
  provider: aws
  region: {region}
cluster:
  node_pools:
    - name: h100
      instance_type: {itype}
      min_size: 1
      max_size: 1
"""


def _spec(tmp_path: Path, itype: str = "p5.48xlarge", region: str = "us-east-1") -> Path:
    p = tmp_path / "platform.yaml"
    p.write_text(SPEC.format(itype=itype, region=region))
    return p


def test_one_p5_in_us_east_1_costs_todays_price_and_names_its_date(tmp_path, monkeypatch):
    monkeypatch.setattr(estimate_mod, "_today", lambda: dt.date(2026, 12, 2))
    r = CliRunner().invoke(cli, ["cost", str(_spec(tmp_path)), "--env", "prod", "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    node = next(ln for ln in doc["lines"] if ln["name"] == "cluster-h100")
    first = node["charges"][0]
    assert first["unit_price"] == 55.04 and first["quantity"] == 730
    assert first["monthly_usd"] == 40179.2  # 55.04 $/h x 730 h
    assert "list price of 2026-07-20" in first["what"]
    # plus the 100 GB gp3 root volume at $0.08/GB-month = $8
    assert node["monthly_usd"] == 40187.2
    assert 40_000 < doc["monthly_usd"] < 41_000  # NAT, EIP, EKS and logs add tens of dollars
    assert doc["catalogue"]["dated"]["ec2"]["as_of"] == "2026-07-20"
    table = CliRunner().invoke(cli, ["cost", str(_spec(tmp_path)), "--env", "prod"])
    assert "EC2 as of 2026-07-20" in table.output and "$40,179.20" not in table.output  # the line shows its total
    assert "$40,187.20" in table.output


def test_p4d_after_the_june_2025_cut():
    cat = load_catalogue("aws", "us-east-1")
    assert cat.ec2("p4d.24xlarge") == 21.957642  # was 32.7726 in the hand-typed 2024-12 file
    assert cat.ec2("p5.48xlarge") == 55.04  # was 98.32
    assert cat.ec2("c5.8xlarge") is None and cat.ec2("c5.9xlarge") == 1.53
    assert cat.as_of_for("ec2", "p5.48xlarge") == "2026-07-20"
    assert cat.as_of_for("kms", "key_month") == "2024-12-01"  # not refreshed: keeps the file's date


def _estimate(tmp_path: Path, today: dt.date, region: str = "us-east-1"):
    resolved = load_platform(_spec(tmp_path, "m6i.large", region), "dev")
    return estimate(resolved, run_offline(resolved), today=today)


def test_stale_prices_are_named_in_json_markdown_and_table(tmp_path, monkeypatch):
    e = _estimate(tmp_path, dt.date(2026, 12, 2))
    stale = {s["as_of"]: s for s in e.stale()}
    # 2024-12-01 → 2026-12-02: 24 whole months; the EC2 snapshot (2026-07-20) is 4 months old: fresh.
    assert stale["2024-12-01"]["months"] == 24 and "kms" in stale["2024-12-01"]["prices"]
    assert all("ec2" not in s["prices"] for s in e.stale())
    note = next(w for w in e.warnings if w.startswith("prices older than 6 months"))
    assert "kms" in note and "as of 2024-12-01 (24 months old)" in note
    assert cost_json(e)["catalogue"]["stale"] == e.stale()
    assert any(w.startswith("prices older than 6 months") for w in cost_json(e)["warnings"])
    assert "> ⚠️ prices older than 6 months on 2026-12-02" in to_markdown(e)
    monkeypatch.setattr(estimate_mod, "_today", lambda: dt.date(2026, 12, 2))
    table = CliRunner().invoke(cli, ["cost", str(tmp_path / "platform.yaml"), "--env", "dev"])
    assert "stale: " in table.output and "as of 2024-12-01 (24 months old on 2026-12-02)" in table.output


def test_the_snapshot_itself_goes_stale(tmp_path):
    # 2026-07-20 + 6 months = 2027-01-20: on 2027-01-21 the EC2 prices are reported too.
    later = _estimate(tmp_path, dt.date(2027, 1, 21))
    assert any("ec2" in s["prices"] and s["as_of"] == "2026-07-20" and s["months"] == 6 for s in later.stale())
    before = _estimate(tmp_path, dt.date(2027, 1, 19))
    assert not any("ec2" in s["prices"] for s in before.stale())


def test_nothing_stale_means_no_note(tmp_path):
    e = _estimate(tmp_path, dt.date(2025, 1, 15))  # everything is younger than six months then, or in the future
    assert e.stale() == [] and not any(w.startswith("prices older") for w in e.warnings)


@pytest.mark.parametrize("region", ["us-east-2", "us-west-2", "eu-west-1"])
def test_other_regions_keep_their_figures_but_say_how_old(tmp_path, region):
    e = _estimate(tmp_path, dt.date(2026, 12, 2), region)
    old = next(s for s in e.stale() if s["as_of"] == "2024-12-01")
    # no newer EC2 list for these regions: reported as 24 months old (all but the few entries dated apart)
    assert any(p == "ec2" or p.startswith("ec2 (") for p in old["prices"]), old
    cat = load_catalogue("aws", region)
    assert cat.ec2("c5.8xlarge") is None and cat.ec2("c6g.24xlarge") is None  # sizes AWS does not sell


def test_managed_service_prices_report_their_own_age():
    """examples/sagemaker.yaml prices SageMaker and MWAA from managed-aws-us-east-1.yaml (as_of
    2026-03-15): on 2026-12-02 that is 8 whole months, so the estimate says so."""
    from tests.plans import reference

    resolved_, plan_ = reference("sagemaker", "prod")
    e = estimate(resolved_, plan_, today=dt.date(2026, 12, 2))
    assert any(w.startswith("managed-service prices") and "as of 2026-03-15 are 8 months old" in w
               for w in e.warnings), e.warnings  # fmt: skip
    fresh = estimate(resolved_, plan_, today=dt.date(2026, 5, 1))
    assert not any(w.startswith("managed-service prices") for w in fresh.warnings)
