"""Cost of the managed AWS path (examples/sagemaker.yaml), every line worked out by hand.

Prices (stacks/cost/pricing/managed-aws-us-east-1.yaml, dated 2026-03-15, third-party pages):
ml.m5.xlarge hosting $0.269/h, MWAA mw1.small $0.49/h + $0.055 per extra worker-hour; S3 Standard
$0.023/GB-month (aws-us-east-1.yaml). A month is 730 hours; autoscaled counts are expected at
minimum + 25 % × (maximum − minimum) (the documented default).
"""

from __future__ import annotations

import pytest
from mlplat.stacks.cost import estimate

from tests.plans import reference

HOURS = 730.0
ML_M5_XLARGE = 0.269
MW1_SMALL, MW1_SMALL_WORKER = 0.49, 0.055
S3_GB = 0.023
CAPTURE_GB = 10.0  # the price file's data_capture_gb_per_model_month assumption


def lines(env):
    resolved, plan = reference("sagemaker", env)
    est = estimate(resolved, plan)
    return est, {ln.name: ln for ln in est.lines}


@pytest.mark.parametrize(
    "env,primary_expected,primary_range,canary",
    [
        # dev: primary 1–2 instances → 1 + 0.25 × 1 = 1.25; canary 10 % of max 2 → 1 instance
        ("dev", 1.25, (1, 2), 1),
        # prod: primary 2–10 → 2 + 0.25 × 8 = 4; canary 10 % of 10 → 1
        ("prod", 4.0, (2, 10), 1),
    ],
)
def test_endpoint_configuration_line(env, primary_expected, primary_range, canary):
    _, by = lines(env)
    ln = by["serving-fraud-scorer-config"]
    capture = CAPTURE_GB * S3_GB  # 0.23
    expected = (primary_expected + canary) * HOURS * ML_M5_XLARGE + capture
    assert ln.monthly_usd == pytest.approx(expected, abs=0.01)  # dev 442.06, prod 982.08
    assert ln.min_monthly_usd == pytest.approx((primary_range[0] + canary) * HOURS * ML_M5_XLARGE + capture, abs=0.01)
    assert ln.max_monthly_usd == pytest.approx((primary_range[1] + canary) * HOURS * ML_M5_XLARGE + capture, abs=0.01)


def test_mwaa_line():
    _, by = lines("prod")
    ln = by["orchestrator-environment"]
    # base all month + extra workers 0–4 (max_workers 5, one included) → expected 1
    assert ln.monthly_usd == pytest.approx(HOURS * MW1_SMALL + 1 * HOURS * MW1_SMALL_WORKER, abs=0.01)  # 397.85
    assert ln.max_monthly_usd == pytest.approx(HOURS * MW1_SMALL + 4 * HOURS * MW1_SMALL_WORKER, abs=0.01)  # 518.30


def test_unsourced_prices_are_reported_not_guessed():
    est, by = lines("prod")
    mlflow = by["tracking-server"]
    assert mlflow.status == "unpriced" and "no dated public price" in mlflow.assumption
    assert by["workspace-domain"].status == "free" and "Studio apps" in by["workspace-domain"].assumption
    assert [ln.name for ln in est.coverage.unpriced] == ["tracking-server"]


def test_dev_default_instance_is_the_smallest_and_reported_unpriced(tmp_path):
    """A model without instance_type in dev gets ml.t2.medium, for which no dated price exists."""
    from mlplat.stacks import load_platform
    from mlplat.stacks.plan.offline import run_offline

    spec = tmp_path / "p.yaml"
    spec.write_text(
        "apiVersion: mlplat.io/v1alpha1\nkind: Platform\nmetadata: {name: sm, owner: a@b.c}\n"
        "target: {provider: aws, region: us-east-1}\n"
        "storage: {buckets: [{name: artifacts, purpose: artifacts}]}\n"
        "serving: {kind: sagemaker, models: [{name: m, format: sklearn, uri: 's3://b/m.tar.gz'}]}\n"
        "environments: {dev: {}}\n"
    )
    resolved = load_platform(spec, "dev")
    plan = run_offline(resolved)
    cfg = next(r for r in plan.resources if r.type.endswith("EndpointConfiguration"))
    assert [v["instanceType"] for v in cfg.inputs["productionVariants"]] == ["ml.t2.medium"]
    est = estimate(resolved, plan)
    line = next(ln for ln in est.lines if ln.name == cfg.name)
    assert line.status == "unpriced" and "ml.t2.medium" in line.assumption
