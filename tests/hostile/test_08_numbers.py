"""Item 8: numbers are bounded in validate, and JSON output is strict (never Infinity/NaN)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import EXAMPLES
from tests.hostile.helpers import run, write

BIG = "9" * 400


@pytest.mark.parametrize(
    "old, new, path",
    [
        ("storage_gb: 100}", f"storage_gb: {BIG}}}", "monitoring.prometheus.storage_gb"),
        ("max_size: 8", f"max_size: {BIG}", "cluster.node_pools[1].max_size"),  # was OverflowError, exit 3
        ("monthly_usd: 9000", "monthly_usd: .inf", "budget.monthly_usd"),
        ("monthly_usd: 9000", "monthly_usd: .nan", "budget.monthly_usd"),
        ("retention_days: 15", "retention_days: -1000000000000000", "monitoring.prometheus.retention_days"),
    ],
)
def test_unbounded_numbers_are_refused_in_validate(tmp_path, old, new, path):
    text = (EXAMPLES / "platform.yaml").read_text()
    assert old in text
    spec = write(tmp_path, text.replace(old, new, 1))
    res = run("validate", str(spec))
    assert res.exit_code == 2, res.output
    assert f": {path}: " in res.stderr
    assert BIG not in res.stderr  # the message names the limit, not 400 digits


def test_cost_json_is_strict_json_at_the_largest_accepted_numbers(tmp_path):
    text = (EXAMPLES / "platform.yaml").read_text() + (
        "usage: {nat_gb_per_month: 1000000000000, storage_gb: {artifacts: 1000000000000}}\n"
    )
    text = text.replace("storage_gb: 100}", "storage_gb: 1000000000000}")
    spec = write(tmp_path, text)
    res = run("cost", str(spec), "--env", "prod", "--format", "json")
    assert res.exit_code in (0, 1), res.output  # 1: over budget, which it is
    # json.loads accepts Infinity and NaN; parse_constant makes them fail the test.
    doc = json.loads(res.stdout, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert doc


def test_json_writers_refuse_non_finite_numbers():
    from mlplat.cli.output import echo_json

    with pytest.raises(ValueError):
        echo_json({"x": float("inf")})
