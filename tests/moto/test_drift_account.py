"""Drift, orphans and the teardown check under an account that is NOT moto's default.

S3 bucket names end in the account ID (DESIGN 4). moto's default account (123456789012) is
also the offline plan's, so a drift that planned for the offline account instead of the live
one would pass every test run under moto's default. Here moto answers as 345678901234
(MOTO_ACCOUNT_ID, honoured per request in-process and by its server).
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from mlplat.stacks.drift.detect import detect_drift
from mlplat.stacks.drift.live_aws import find_tagged
from mlplat.stacks.plan.offline import run_offline

from .conftest import ENV, REGION, SPEC
from .materialize import materialize, teardown

ACCOUNT = "345678901234"


@pytest.fixture
def other_account(aws: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The test spec's environment built in account 345678901234 (from a plan made for it)."""
    from mlplat.stacks import load_platform

    monkeypatch.setenv("MOTO_ACCOUNT_ID", ACCOUNT)
    assert boto3.client("sts", region_name=REGION).get_caller_identity()["Account"] == ACCOUNT
    resolved = load_platform(SPEC, ENV)
    plan = run_offline(resolved, account_id=ACCOUNT)
    materialize(plan, REGION)
    return resolved, plan


def test_buckets_exist_under_the_account_suffixed_names(other_account: Any) -> None:
    names = {b["Name"] for b in boto3.client("s3", region_name=REGION).list_buckets()["Buckets"]}
    # the test spec (tests/moto/specs/aws.yaml) declares artifacts and data
    assert names == {f"acme-dev-artifacts-{ACCOUNT}", f"acme-dev-data-{ACCOUNT}"}


def test_drift_plans_for_the_account_it_reads(other_account: Any) -> None:
    resolved, _ = other_account
    report = detect_drift(resolved, state_path=False)  # no plan given: made for STS's account
    assert [(f.kind, f.resource) for f in report.findings] == []
    assert report.in_sync
    assert "aws:s3/bucket:Bucket" not in report.unchecked_types


def test_a_plan_for_another_account_misses_every_bucket(other_account: Any) -> None:
    """What the account in the name buys: the offline account's names are not this account's buckets."""
    resolved, _ = other_account
    report = detect_drift(resolved, plan=run_offline(resolved), state_path=False)
    missing = sorted(f.resource for f in report.findings if f.kind == "missing")
    assert missing == ["acme-dev-artifacts-123456789012", "acme-dev-data-123456789012"]
    unmanaged = sorted(f.resource for f in report.findings if f.kind == "unmanaged" and f.type == "s3:bucket")
    assert unmanaged == [f"acme-dev-artifacts-{ACCOUNT}", f"acme-dev-data-{ACCOUNT}"]


def test_cli_drift_and_orphans_find_the_suffixed_buckets(other_account: Any) -> None:
    from click.testing import CliRunner
    from mlplat.cli.main import cli

    runner = CliRunner()
    res = runner.invoke(cli, ["drift", str(SPEC), "--env", ENV, "--format", "json", "--no-state"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["in_sync"] is True
    res = runner.invoke(cli, ["orphans", str(SPEC), "--env", ENV, "--format", "json"])
    assert res.exit_code == 1, res.output
    buckets = sorted(o["identifier"] for o in json.loads(res.stdout)["orphans"] if o["type"] == "bucket")
    assert buckets == [f"acme-dev-artifacts-{ACCOUNT}", f"acme-dev-data-{ACCOUNT}"]


def test_teardown_leftover_check_sees_suffixed_buckets_until_they_are_gone(other_account: Any) -> None:
    from mlplat.stacks.engine import find_leftovers

    resolved, plan = other_account
    report = find_leftovers(resolved, find_tagged)
    assert {f"s3 bucket acme-dev-artifacts-{ACCOUNT}", f"s3 bucket acme-dev-data-{ACCOUNT}"} <= {
        x.label for x in report.resources
    }
    teardown(plan, REGION)
    assert [x.label for x in find_leftovers(resolved, find_tagged).resources] == []
