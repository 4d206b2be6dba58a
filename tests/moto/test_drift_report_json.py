"""`drift --format json` as DESIGN 5 promises it, built in process from the report objects.

The CLI tests check the same output through a subprocess, which mutation testing cannot see; these
state every key of a finding, a pending change and the report (issue 21: the drift model's
survivors were its JSON shape)."""

from __future__ import annotations

from mlplat.stacks.drift.model import DriftReport, Finding, LiveRef, PendingChange

WAIVER = {"policy": "DRIFT-RDS", "reason": "resized by the DBA", "expires": "2027-01-31"}
KEY = LiveRef("urn:pulumi:s::p::aws:kms/key:Key::storage-kms", "the key of storage-kms")


def _changed() -> Finding:
    return Finding("changed", "acme-dev-data", "aws:s3/bucket:Bucket", logical_name="storage-data", component="storage",
                   attribute="sse.kmsMasterKeyId", expected={"keys": [KEY], "n": 2}, actual=["alias/other"],
                   message="encryption key differs")  # fmt: skip


def test_a_changed_finding_carries_its_attribute_and_both_values():
    assert _changed().to_dict() == {
        "kind": "changed", "resource": "acme-dev-data", "type": "aws:s3/bucket:Bucket",
        "attribute": "sse.kmsMasterKeyId", "expected": {"keys": ["the key of storage-kms"], "n": 2},
        "actual": ["alias/other"], "source": "aws", "logical_name": "storage-data", "component": "storage",
        "message": "encryption key differs", "acknowledged": False,
    }  # fmt: skip


def test_a_missing_finding_has_no_values_but_its_waiver_and_cause():
    f = Finding("missing", "acme-dev-db", "aws:rds/instance:Instance", source="aws", logical_name="tracking-db",
                component="tracking", attribute="ignored", expected=1, actual=2, message="planned rds-instance not found live",
                acknowledged=True, waiver=WAIVER, cause="not-applied")  # fmt: skip
    assert f.to_dict() == {
        "kind": "missing", "resource": "acme-dev-db", "type": "aws:rds/instance:Instance", "source": "aws",
        "logical_name": "tracking-db", "component": "tracking", "message": "planned rds-instance not found live",
        "acknowledged": True, "waiver": WAIVER, "cause": "not-applied",
    }  # fmt: skip


def test_pending_changes_show_values_only_for_updates():
    upd = PendingChange("update", "acme-dev-db", "aws:rds/instance:Instance", "tracking-db", attribute="instanceClass",
                        expected="db.t4g.medium", actual="db.t4g.small")  # fmt: skip
    assert upd.to_dict() == {
        "change": "update", "resource": "acme-dev-db", "type": "aws:rds/instance:Instance", "logical_name": "tracking-db",
        "attribute": "instanceClass", "expected": "db.t4g.medium", "actual": "db.t4g.small", "acknowledged": False,
    }  # fmt: skip
    new = PendingChange("create", "acme-dev-logs", "aws:s3/bucket:Bucket", "storage-logs", attribute="x", expected=[KEY],
                        acknowledged=True, waiver=WAIVER)  # fmt: skip
    assert new.to_dict() == {
        "change": "create", "resource": "acme-dev-logs", "type": "aws:s3/bucket:Bucket", "logical_name": "storage-logs",
        "acknowledged": True, "waiver": WAIVER,
    }  # fmt: skip
    assert PendingChange("update", "r", "t", "n", expected={"a": [KEY]}).to_dict()["expected"] == {"a": ["the key of storage-kms"]}


def test_the_report_keys_and_its_verdict():
    waived = Finding("unmanaged", "acme-dev-old", "aws:s3/bucket:Bucket", acknowledged=True, waiver=WAIVER)
    pending = PendingChange("delete", "acme-dev-gone", "aws:s3/bucket:Bucket", "storage-gone")
    report = DriftReport("acme", "dev", [_changed(), waived], planned=3, checked=2, unchecked_types={"aws:iam/role:Role": 1},
                         pending=[pending], state=".mlplat/state/acme-dev.json", notes=["a note"])  # fmt: skip
    assert report.to_dict() == {
        "platform": "acme", "environment": "dev", "in_sync": False, "coverage_percent": 66.7,  # 2 of 3, one decimal
        "findings": [_changed().to_dict(), waived.to_dict()],
        "coverage": {"planned": 3, "checked": 2, "unchecked_types": {"aws:iam/role:Role": 1}},
        "pending": [pending.to_dict()], "state": ".mlplat/state/acme-dev.json", "notes": ["a note"],
    }  # fmt: skip
    assert report.exit_code == 1
    # only acknowledged findings and no pending change: in sync, exit 0
    calm = DriftReport("acme", "dev", [waived], planned=0, checked=0)
    assert calm.to_dict()["in_sync"] is True and calm.exit_code == 0
    assert calm.to_dict()["coverage_percent"] == 100.0  # nothing planned: nothing unchecked
    # an unacknowledged pending change alone is drift
    assert DriftReport("acme", "dev", [], planned=1, checked=1, pending=[pending]).exit_code == 1
