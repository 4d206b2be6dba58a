"""Drift's tolerances, each at, just under and just over its edge (issue 21, found by mutation testing):

- RDS storage autoscaling: a volume grown by AWS up to maxAllocatedStorage is not drift; smaller
  than planned or beyond the ceiling is; without autoscaling the size must match exactly.
- S3 versioning: "Suspended", "Disabled" and never-enabled (no status at all) all mean "no new
  versions are kept", so a plan with versioning off matches any of them, and only them.

Targets are built from hand-made plan resources shaped like the offline engine's (floats for
numbers) and compared with live records as the boto3 reader returns them; the moto tests then
drive the same edges through the real reader.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from mlplat.stacks.drift.detect import detect_drift
from mlplat.stacks.drift.model import Finding, Target, compare
from mlplat.stacks.drift.targets import aws_targets
from mlplat.stacks.plan.model import Plan, PlanResource

from .conftest import REGION, resolved_and_plan
from .materialize import materialize

URN = "urn:pulumi:acme-dev::acme::{type}::{name}"


def _res(type_: str, name: str, **inputs: Any) -> PlanResource:
    return PlanResource(urn=URN.format(type=type_, name=name), type=type_, name=name, parent=None,
                        component="test", inputs=inputs)  # fmt: skip


def _only_target(*resources: PlanResource) -> Target:
    targets = aws_targets(Plan("acme", "dev", list(resources), "aws"))
    assert len(targets) == 1, targets
    return targets[0]


def _summary(findings: list[Finding]) -> list[tuple[Any, ...]]:
    return [(f.kind, f.attribute, f.expected, f.actual) for f in findings]


# --------------------------------------------------------------------------- RDS storage autoscaling


def _rds(**inputs: Any) -> Target:
    return _only_target(_res("aws:rds/instance:Instance", "db", identifier="acme-dev-db", **inputs))


@pytest.mark.parametrize("live_gb", [20, 21, 39, 40])
def test_rds_storage_growth_up_to_the_autoscaling_ceiling_is_not_drift(live_gb: int) -> None:
    """Planned 20 GB with maxAllocatedStorage 40: AWS may grow the volume to 40 (at the plan, just
    over it, just under and at the ceiling). An exact-equality check would report 21..40."""
    t = _rds(allocatedStorage=20.0, maxAllocatedStorage=40.0)
    assert compare(t, {"allocated_storage": live_gb}) == []


@pytest.mark.parametrize("live_gb", [19, 41, 400])
def test_rds_storage_below_the_plan_or_beyond_the_ceiling_is_drift(live_gb: int) -> None:
    """Just under the planned size, just over the ceiling, far over: one finding each, naming the
    tolerance. A check that always agrees ("in sync") would report nothing."""
    t = _rds(allocatedStorage=20.0, maxAllocatedStorage=40.0)
    findings = compare(t, {"allocated_storage": live_gb})
    assert _summary(findings) == [("changed", "allocated_storage", 20, live_gb)]
    assert "(storage autoscaling up to 40 GB)" in findings[0].message


@pytest.mark.parametrize("max_allocated", [None, 0.0])
@pytest.mark.parametrize(("live_gb", "drift"), [(19, True), (20, False), (21, True)])
def test_rds_storage_without_autoscaling_must_match_exactly(max_allocated: float | None, live_gb: int,
                                                            drift: bool) -> None:  # fmt: skip
    """No maxAllocatedStorage (or 0, which AWS reads as autoscaling off): any other size is drift."""
    inputs: dict[str, Any] = {"allocatedStorage": 20.0}
    if max_allocated is not None:
        inputs["maxAllocatedStorage"] = max_allocated
    findings = compare(_rds(**inputs), {"allocated_storage": live_gb})
    assert _summary(findings) == ([("changed", "allocated_storage", 20, live_gb)] if drift else [])


@pytest.mark.parametrize("live_value", [None, "20"])
def test_rds_storage_not_a_number_live_is_drift(live_value: Any) -> None:
    t = _rds(allocatedStorage=20.0, maxAllocatedStorage=40.0)
    assert _summary(compare(t, {"allocated_storage": live_value})) == [
        ("changed", "allocated_storage", 20, live_value)
    ]


def test_rds_storage_autoscaling_in_moto(aws_inprocess: str) -> None:
    """Through boto3 and the real reader: the test spec plans 20 GB growing to 40 GB (2 × storage_gb)."""
    resolved, plan = resolved_and_plan()
    db = next(r for r in plan.of_type("aws:rds/instance:Instance"))
    assert (db.inputs["allocatedStorage"], db.inputs["maxAllocatedStorage"]) == (20.0, 40.0)
    materialize(plan, REGION)
    rds = boto3.client("rds", region_name=REGION)
    seen = {}
    for gb in (40, 41):
        rds.modify_db_instance(
            DBInstanceIdentifier="acme-dev-tracking-db", AllocatedStorage=gb, ApplyImmediately=True
        )
        report = detect_drift(resolved, plan=plan, state_path=False)
        seen[gb] = [(f.resource, f.attribute, f.expected, f.actual) for f in report.findings]
    assert seen == {40: [], 41: [("acme-dev-tracking-db", "allocated_storage", 20, 41)]}


# --------------------------------------------------------------------------- S3 versioning


def _bucket(status: str | None) -> Target:
    """A bucket, with a BucketVersioning resource of that status (None: the plan has none)."""
    b = _res("aws:s3/bucket:Bucket", "b", bucket="acme-dev-b")
    if status is None:
        return _only_target(b)
    v = _res("aws:s3/bucketVersioning:BucketVersioning", "b-versioning", bucket="acme-dev-b",
             versioningConfiguration={"status": status})  # fmt: skip
    v.dependencies.append(b.urn)
    return _only_target(b, v)


@pytest.mark.parametrize("planned", ["Suspended", None])
@pytest.mark.parametrize("live", ["Suspended", "Disabled", None])
def test_versioning_off_matches_suspended_disabled_or_never_enabled(
    planned: str | None, live: str | None
) -> None:
    """Versioning off in the plan (Suspended, or no versioning resource at all) against a bucket
    whose versioning was suspended, reported Disabled, or never set (S3 returns no Status)."""
    assert compare(_bucket(planned), {"versioning": live}) == []


@pytest.mark.parametrize("planned", ["Suspended", None])
def test_versioning_off_in_the_plan_but_enabled_live_is_drift(planned: str | None) -> None:
    assert _summary(compare(_bucket(planned), {"versioning": "Enabled"})) == [
        ("changed", "versioning", "Suspended", "Enabled")
    ]


@pytest.mark.parametrize(
    ("live", "shown"), [("Suspended", "Suspended"), ("Disabled", "Disabled"), (None, "Disabled")]
)
def test_versioning_on_in_the_plan_needs_enabled(live: str | None, shown: str) -> None:
    """The equivalence is only among the "off" states: Enabled never matches any of them."""
    t = _bucket("Enabled")
    assert compare(t, {"versioning": "Enabled"}) == []
    assert _summary(compare(t, {"versioning": live})) == [("changed", "versioning", "Enabled", shown)]


def test_never_versioned_bucket_matches_a_plan_without_versioning_in_moto(aws_inprocess: str) -> None:
    """Through the real reader: S3 answers GetBucketVersioning with no Status for a bucket that
    never had versioning, and a plan without a versioning resource agrees with it."""
    resolved, _ = resolved_and_plan()
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="acme-dev-b", CreateBucketConfiguration={"LocationConstraint": REGION})
    assert "Status" not in s3.get_bucket_versioning(Bucket="acme-dev-b")
    plan = Plan("acme", "dev", [_res("aws:s3/bucket:Bucket", "b", bucket="acme-dev-b")], "aws")
    assert detect_drift(resolved, plan=plan, state_path=False).findings == []
    s3.put_bucket_versioning(Bucket="acme-dev-b", VersioningConfiguration={"Status": "Enabled"})
    got = detect_drift(resolved, plan=plan, state_path=False).findings
    assert [(f.resource, f.attribute, f.expected, f.actual) for f in got] == [
        ("acme-dev-b", "versioning", "Suspended", "Enabled")
    ]
