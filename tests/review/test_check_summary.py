"""`check --summary` carries the plan diff per environment, calls out replacements and protected
deletions at the top, counts failed environments with their reason, and states each budget breach once."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from mlplat.cli.main import cli

SPEC = """\
apiVersion: mlplat.io/v1alpha1
kind: Platform
metadata: {name: small, owner: team@example.com}
target: {provider: aws, region: us-east-1}
network: {cidr: 10.1.0.0/16, az_count: 2, nat: NAT}
storage:
  encryption: kms
  buckets:
    - {name: artifacts, purpose: artifacts, versioning: true, lifecycle: {expire_noncurrent_days: 30}}
RAW
budget: {monthly_usd: BUDGET, max_increase_percent: 10}
environments:
  dev: {profile: dev}
  prod: {profile: prod}
"""
RAW = "    - {name: raw, purpose: datasets}"


def spec(nat: str, raw: bool, budget: int = 500) -> str:
    return SPEC.replace("NAT", nat).replace("RAW\n", RAW + "\n" if raw else "").replace("BUDGET", str(budget))


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=cwd, check=True,
                   capture_output=True)


@pytest.fixture(scope="module")
def branch_check(tmp_path_factory):
    """main: one NAT, two buckets. The branch: a NAT per AZ (cost +42 %, over the +10 % gate) and
    the `raw` bucket removed, which prod protects (profile prod: protect_stateful)."""
    root = tmp_path_factory.mktemp("branch")
    _git(root, "init", "-q", "-b", "main")
    (root / "platform.yaml").write_text(spec("single", raw=True))
    _git(root, "add", "platform.yaml")
    _git(root, "commit", "-q", "-m", "base")
    (root / "platform.yaml").write_text(spec("per-az", raw=False))
    res = CliRunner().invoke(cli, ["check", str(root / "platform.yaml"), "--no-checkov", "--jobs", "1",
                                   "--compare-to", "main", "--summary", str(root / "s.md")])
    return res.exit_code, res.stderr, (root / "s.md").read_text()


def test_summary_holds_the_plan_diff_after_the_cost(branch_check):
    code, _, text = branch_check
    assert code == 1
    lines = text.splitlines()
    for env in ("dev", "prod"):
        cost = next(i for i, ln in enumerate(lines) if ln.startswith(f"<details><summary>Cost of {env}:"))
        plan = next(i for i, ln in enumerate(lines) if ln.startswith(f"<details><summary>Plan changes of {env} vs `main`"))
        assert cost < plan  # collapsed, after the cost block
    # the deleted bucket and the NAT gateways added for the second AZ show as resource changes
    assert "| delete (protected) | `storage-raw` | `aws:s3/bucket:Bucket` |" in text
    assert "| create | `network-nat-b` | `aws:ec2/natGateway:NatGateway` |" in text


def test_protected_deletion_is_called_out_at_the_top(branch_check):
    _, err, text = branch_check
    lines = text.splitlines()
    callout = lines.index("> ❗ **prod**: delete of protected `storage-raw` (aws:s3/bucket:Bucket)")
    table = next(i for i, ln in enumerate(lines) if ln.startswith("| environment |"))
    assert callout < table
    # dev does not protect stateful resources: its deletion is in the diff, not a top callout
    assert "**dev**: delete" not in text
    assert "delete of protected storage-raw" in err


def test_failed_environments_counted_with_reason_and_breach_once(branch_check):
    _, err, text = branch_check
    assert "## mlplat check ❌ failed: 2 of 2 environments (dev: budget; prod: budget)" in text
    assert "check failed: 2 of 2 environments (dev: budget; prod: budget)" in err
    import re as _re

    # the second NAT gateway and its EIP (+$25.00); the percentage follows the priced lines of the day
    found = _re.search(r"prod: cost rises \d+\.\d% over main", text)
    assert found, text
    breach = found.group(0)
    assert text.count(breach) == 1, text
    assert err.count(breach) == 1, err


def test_policy_and_budget_failures_named_apart(tmp_path):
    from mlplat.stacks.review.check import check

    path = tmp_path / "platform.yaml"
    path.write_text(spec("single", raw=True, budget=20))  # a NAT gateway alone costs more than $20
    result = check(path, checkov=False, jobs=1)
    assert [r.failed_on for r in result.environments.values()] == [["budget"], ["budget"]]
    assert result.headline() == "failed: 2 of 2 environments (dev: budget; prod: budget)"
    # no budget at all: MLP-BUD-001 (production declares a budget) fails prod on policy alone
    path.write_text(spec("single", raw=True).replace("budget: {monthly_usd: 500, max_increase_percent: 10}\n", ""))
    result = check(path, checkov=False, jobs=1)
    assert result.headline() == "failed: 1 of 2 environments (prod: policy)"
    assert result.to_dict()["environments"]["prod"]["failed_on"] == ["policy"]
