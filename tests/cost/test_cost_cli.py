"""`mlplat cost` through the CLI on a small storage-only platform (its offline plan takes well under a
second): the JSON contract, formats, the budget and increase gates, --compare-to FILE and a git revision."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from mlplat.cli.main import cli

from .helpers import prices

USE1 = prices("aws-us-east-1.yaml")

SPEC = """\
apiVersion: mlplat.io/v1alpha1
kind: Platform
metadata: {name: shop}
target: {provider: aws, region: REGION}
storage:
  encryption: kms
  buckets:
    - {name: artifacts, purpose: artifacts}
budget: {monthly_usd: BUDGET, max_increase_percent: 10}
usage:
  storage_gb: {artifacts: GB}
  s3_requests_per_month: 0
environments:
  dev: {profile: dev}
"""


def spec_text(gb: float = 1000, budget: float = 30, region: str = "us-east-1") -> str:
    return SPEC.replace("GB", str(gb)).replace("BUDGET", str(budget)).replace("REGION", region)


def by_hand(gb: float) -> float:
    """One bucket (gb × S3 Standard) + the platform KMS key; no requests (usage says 0)."""
    return gb * USE1["s3"]["standard_gb_month"] + USE1["kms"]["key_month"]


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


def run(runner, *args: str):
    return runner.invoke(cli, ["cost", *args], env={"COLUMNS": "160"})


def test_json_contract(runner, write_spec):
    path = write_spec(spec_text())
    res = run(runner, str(path), "--env", "dev", "--format", "json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)  # stdout carries nothing but the document
    assert {"environment", "monthly_usd", "by_component", "lines"} <= set(data)
    assert data["environment"] == "dev"
    assert isinstance(data["monthly_usd"], (int, float))
    assert data["monthly_usd"] == pytest.approx(by_hand(1000), abs=0.01)  # 1000 × $0.023 + $1 = $24.00
    assert data["by_component"] == {"storage": pytest.approx(by_hand(1000), abs=0.01)}
    names = {ln["name"]: ln for ln in data["lines"]}
    assert names["storage-artifacts"]["status"] == "priced"
    assert names["storage-artifacts"]["unit_price"] == USE1["s3"]["standard_gb_month"]
    assert {"name", "type", "component", "monthly_usd", "assumption"} <= set(names["storage-artifacts"])
    assert "baseline_monthly_usd" not in data  # only with --compare-to
    assert data["coverage_percent"] == 100.0 and data["unpriced"] == []


def test_table_and_markdown(runner, write_spec):
    path = write_spec(spec_text())
    table = run(runner, str(path), "--env", "dev")
    assert table.exit_code == 0, table.output
    assert "$24.00" in table.stdout and "By component" in table.stdout and "coverage: 100%" in table.stdout
    md = run(runner, str(path), "--env", "dev", "--format", "markdown")
    assert md.exit_code == 0, md.output
    assert md.stdout.startswith("### ✅ mlplat cost: `shop` / `dev`")
    assert "| storage | $24.00 | $24.00 | $24.00 |" in md.stdout
    assert "**$24.00 / month**" in md.stdout


def test_budget_gate_exit_1(runner, write_spec):
    path = write_spec(spec_text(budget=20))  # $24.00 > $20
    res = run(runner, str(path), "--env", "dev", "--format", "json")
    assert res.exit_code == 1
    assert json.loads(res.stdout)["budget_check"]["ok"] is False  # the report is still printed
    assert "exceeds budget.monthly_usd $20.00 by $4.00" in res.stderr


def test_compare_to_file_and_increase_gate(runner, tmp_path):
    base = tmp_path / "base.yaml"
    base.write_text(spec_text(gb=1000, budget=100))
    grown = tmp_path / "grown.yaml"
    grown.write_text(spec_text(gb=2000, budget=100))  # $47.00 vs $24.00: +95.8% > 10%
    res = run(runner, str(grown), "--env", "dev", "--format", "json", "--compare-to", str(base))
    assert res.exit_code == 1, res.output
    data = json.loads(res.stdout)
    assert data["baseline_monthly_usd"] == pytest.approx(by_hand(1000), abs=0.01)
    assert data["diff_monthly_usd"] == pytest.approx(by_hand(2000) - by_hand(1000), abs=0.01)
    assert data["diff_by_component"]["storage"]["diff"] == pytest.approx(1000 * USE1["s3"]["standard_gb_month"])
    assert "max_increase_percent 10%" in res.stderr

    small = tmp_path / "small.yaml"
    small.write_text(spec_text(gb=1040, budget=100))  # +$0.92: +3.8%, within 10%
    ok = run(runner, str(small), "--env", "dev", "--compare-to", str(base), "--format", "markdown")
    assert ok.exit_code == 0, ok.output
    assert "↑ **+$0.92, +3.8%** compared with" in ok.stdout
    assert "| storage | $24.00 | $24.92 | ↑ +$0.92 |" in ok.stdout


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", *args],
        cwd=cwd, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip


def test_compare_to_git_revision(runner, tmp_path):
    repo = tmp_path / "repo"
    (repo / "infra").mkdir(parents=True)
    git(repo, "init", "-q")
    spec = repo / "infra" / "platform.yaml"
    spec.write_text(spec_text(gb=1000, budget=100))
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    spec.write_text(spec_text(gb=3000, budget=100))  # working tree: 3000 GB, uncommitted

    # Run from another directory: the repository is found from the spec's own location.
    res = run(runner, str(spec), "--env", "dev", "--format", "json", "--compare-to", "HEAD")
    assert res.exit_code == 1, res.output  # +191%: over max_increase_percent
    data = json.loads(res.stdout)
    assert data["baseline"] == "HEAD"
    assert data["baseline_monthly_usd"] == pytest.approx(by_hand(1000), abs=0.01)
    assert data["monthly_usd"] == pytest.approx(by_hand(3000), abs=0.01)
    assert data["diff_monthly_usd"] == pytest.approx(2000 * USE1["s3"]["standard_gb_month"], abs=0.01)
    assert git(repo, "status", "--porcelain").strip() == "M infra/platform.yaml"  # no checkout happened

    git(repo, "commit", "-qam", "grow")
    same = run(runner, str(spec), "--env", "dev", "--format", "json", "--compare-to", "HEAD")
    assert same.exit_code == 0, same.output
    assert json.loads(same.stdout)["diff_monthly_usd"] == 0
    back = run(runner, str(spec), "--env", "dev", "--format", "json", "--compare-to", "HEAD~1")
    assert json.loads(back.stdout)["baseline_monthly_usd"] == pytest.approx(by_hand(1000), abs=0.01)


def test_compare_to_errors(runner, tmp_path):
    loose = tmp_path / "loose"
    loose.mkdir()
    spec = loose / "platform.yaml"
    spec.write_text(spec_text())
    res = run(runner, str(spec), "--env", "dev", "--compare-to", "HEAD")
    assert res.exit_code == 2
    assert "not inside a git repository" in res.stderr and "Traceback" not in res.output

    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "README").write_text("x")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "first")
    new = repo / "platform.yaml"
    new.write_text(spec_text())
    res = run(runner, str(new), "--env", "dev", "--compare-to", "HEAD")
    assert res.exit_code == 2
    assert "platform.yaml does not exist at revision 'HEAD'" in res.stderr
    res = run(runner, str(new), "--env", "dev", "--compare-to", "no-such-branch")
    assert res.exit_code == 2
    assert "neither a spec file nor a git revision" in res.stderr


def test_region_without_catalogue_is_priced_as_a_marked_estimate(runner, write_spec):
    """A valid spec in a region without a catalogue must not block `cost` or the CI gate."""
    base = json.loads(run(runner, str(write_spec(spec_text(region="us-east-1"))), "--env", "dev",
                          "--format", "json").stdout)
    path = write_spec(spec_text(region="ap-south-1"), "south.yaml")
    res = run(runner, str(path), "--env", "dev", "--format", "json")
    assert res.exit_code == 0, res.stderr
    est = json.loads(res.stdout)
    factor = prices("regional-factors.yaml")["factors"]["ap-south-1"]
    assert est["monthly_usd"] == pytest.approx(base["monthly_usd"] * factor, abs=0.05)
    assert any(w.startswith("ESTIMATE: no price catalogue for ap-south-1") for w in est["warnings"])
    table = run(runner, str(path), "--env", "dev")
    assert "warning: ESTIMATE: no price catalogue for ap-south-1" in table.stderr
    markdown = run(runner, str(path), "--env", "dev", "--format", "markdown")
    assert "ESTIMATE: no price catalogue for ap-south-1" in markdown.stdout


def test_saved_plan_is_priced_without_expanding_again(runner, write_spec, tmp_path):
    path = write_spec(spec_text())
    plan = tmp_path / "plan.json"
    assert runner.invoke(cli, ["preview", str(path), "--env", "dev", "--out", str(plan)]).exit_code == 0
    res = run(runner, str(path), "--env", "dev", "--format", "json", "--plan", str(plan))
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["monthly_usd"] == pytest.approx(by_hand(1000), abs=0.01)
