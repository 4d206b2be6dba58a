"""Spec vs Pulumi state (pending changes), and the error paths: no credentials, no endpoint."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner
from mlplat.cli.main import cli
from mlplat.stacks.drift.detect import detect_drift
from mlplat.stacks.drift.state import find_state, pending_changes, state_plan
from mlplat.stacks.drift.targets import aws_targets
from mlplat.stacks.plan.model import UNKNOWN, Plan

from .conftest import ENV, REGION, SPEC, free_port, resolved_and_plan
from .materialize import materialize

SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "v1:abc"}


def _fill_unknowns(v: Any) -> Any:
    """After apply the state holds real values where the plan had <unknown>."""
    if v == UNKNOWN:
        return "arn:aws:kms:eu-west-1:123456789012:key/filled-by-apply"
    if isinstance(v, dict):
        return {k: _fill_unknowns(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_fill_unknowns(x) for x in v]
    return v


def checkpoint(plan: Plan, edit: Any = None, drop: tuple[str, ...] = (), stack: str = "acme-dev") -> dict[str, Any]:
    """A Pulumi file-backend checkpoint as `pulumi up` of this plan would leave it.

    URNs are the real engine's (whole parent type chain, engine.engine_urn), not the offline
    plan's: plan and state are matched on `<type>::<name>`.
    """
    from mlplat.stacks.engine.decisions import engine_urn

    def urn(u: str) -> str:
        res = plan.by_urn(u)
        return engine_urn(plan, res, "acme", stack) if res is not None else u

    resources = [{"urn": f"urn:pulumi:{stack}::acme::pulumi:pulumi:Stack::acme-{stack}", "type": "pulumi:pulumi:Stack",
                  "custom": False}]  # fmt: skip
    for r in plan.resources:
        if r.name in drop:
            continue
        inputs = _fill_unknowns(copy.deepcopy(r.inputs))
        inputs = {k: (SECRET_SIG if v == "<secret>" else v) for k, v in inputs.items()}
        res = {"urn": urn(r.urn), "type": r.type, "custom": r.custom, "id": f"id-{r.name}",
               "inputs": inputs, "outputs": {**inputs, "arn": f"arn:fake:{r.name}"}, "parent": r.parent and urn(r.parent),
               "dependencies": [urn(d) for d in r.dependencies]}  # fmt: skip
        if edit is not None:
            edit(r.name, res["inputs"])
        resources.append(res)
    return {"version": 3, "checkpoint": {"stack": resources[0]["urn"], "latest": {"manifest": {}, "resources": resources}}}


def _state_as_plan(data: dict[str, Any]) -> Plan:
    return state_plan(data["checkpoint"]["latest"]["resources"], "acme", ENV)[0]


def _db_class(value: str) -> Any:
    def edit(name: str, inputs: dict[str, Any]) -> None:
        if name == "tracking-db":
            inputs["instanceClass"] = value

    return edit


# --------------------------------------------------------------------------- pending changes (pure)


def test_state_equal_to_plan_has_no_pending_changes() -> None:
    _, plan = resolved_and_plan()
    data = checkpoint(plan)
    bucket = next(r["urn"] for r in data["checkpoint"]["latest"]["resources"] if r["urn"].endswith("::storage-data"))
    assert "mlplat:index:Platform$mlplat:index:Storage$aws:s3/bucket:Bucket" in bucket  # engine-style URN
    state = _state_as_plan(data)
    assert pending_changes(plan, state, aws_targets) == []


def test_pending_changes_create_delete_update() -> None:
    _, plan = resolved_and_plan()
    data = checkpoint(plan, edit=_db_class("db.t4g.small"), drop=("storage-data",))
    extra = copy.deepcopy(next(r for r in data["checkpoint"]["latest"]["resources"] if r["urn"].endswith("::storage-artifacts")))
    extra["urn"] = extra["urn"].rsplit("::", 1)[0] + "::retired-thing"
    data["checkpoint"]["latest"]["resources"].append(extra)
    changes = {(p.change, p.logical_name, p.attribute, p.expected, p.actual) for p in
               pending_changes(plan, _state_as_plan(data), aws_targets)}  # fmt: skip
    assert changes == {
        ("create", "storage-data", None, None, None),
        ("delete", "retired-thing", None, None, None),
        ("update", "tracking-db", "instance_class", "db.t4g.medium", "db.t4g.small"),
    }


def test_state_secrets_and_applied_key_arns_are_not_pending() -> None:
    # The plan knows the key ARN as <unknown> and secrets (a Secret's data, a token) as <secret>:
    # never a difference. The database's master password is RDS's and is in neither (issue 13).
    _, plan = resolved_and_plan()
    state = _state_as_plan(checkpoint(plan))
    db = state.named("tracking-db")
    assert db is not None and db.inputs["manageMasterUserPassword"] is True and "password" not in db.inputs
    assert db.inputs["kmsKeyId"].startswith("arn:aws:kms")
    secret_inputs = [(r.name, k) for r in state.resources for k, v in r.inputs.items() if v == "<secret>"]
    assert len(secret_inputs) >= 1, "the spec holds no secret input: this test would check nothing"
    assert pending_changes(plan, state, aws_targets) == []


# --------------------------------------------------------------------------- with live AWS


def _spec_with_state(tmp_path: Path, data: dict[str, Any], gz: bool = False) -> Any:
    from mlplat.stacks import load_platform

    spec = tmp_path / "platform.yaml"
    spec.write_text(SPEC.read_text(encoding="utf-8"), encoding="utf-8")
    stacks = tmp_path / ".mlplat" / "state" / ".pulumi" / "stacks" / "acme"
    stacks.mkdir(parents=True)
    raw = json.dumps(data).encode()
    if gz:
        import gzip

        (stacks / "acme-dev.json.gz").write_bytes(gzip.compress(raw))
    else:
        (stacks / "acme-dev.json").write_bytes(raw)
    return load_platform(spec, ENV)


def test_state_beside_the_spec_tells_out_of_band_from_not_applied(aws_inprocess: str, tmp_path: Path) -> None:
    _, plan = resolved_and_plan()
    materialize(plan, REGION)
    boto3.client("rds", region_name=REGION).modify_db_instance(
        DBInstanceIdentifier="acme-dev-tracking-db", DBInstanceClass="db.r6g.large", ApplyImmediately=True
    )
    # State = spec: Pulumi applied db.t4g.medium, someone changed it since.
    resolved = _spec_with_state(tmp_path, checkpoint(plan))
    assert find_state(resolved) is not None
    report = detect_drift(resolved, plan=plan)
    [f] = report.findings
    assert (f.attribute, f.expected, f.actual, f.cause) == ("instance_class", "db.t4g.medium", "db.r6g.large", "out-of-band")
    assert report.pending == [] and report.state is not None
    assert not any("no Pulumi state" in n for n in report.notes)


def test_spec_change_not_applied_yet_is_pending_and_explained(aws_inprocess: str, tmp_path: Path) -> None:
    _, plan = resolved_and_plan()
    materialize(plan, REGION)
    boto3.client("rds", region_name=REGION).modify_db_instance(
        DBInstanceIdentifier="acme-dev-tracking-db", DBInstanceClass="db.t4g.small", ApplyImmediately=True
    )
    # The state (and live) still have the old class; the spec now says db.t4g.medium.
    resolved = _spec_with_state(tmp_path, checkpoint(plan, edit=_db_class("db.t4g.small")), gz=True)
    report = detect_drift(resolved, plan=plan)
    assert [(f.attribute, f.cause) for f in report.findings] == [("instance_class", "not-applied")]
    [p] = report.pending
    assert (p.change, p.resource, p.attribute, p.expected, p.actual) == (
        "update", "acme-dev-tracking-db", "instance_class", "db.t4g.medium", "db.t4g.small")
    assert report.to_dict()["pending"][0]["change"] == "update"
    assert not report.in_sync


def test_without_state_a_note_says_so(aws_inprocess: str, tmp_path: Path) -> None:
    from mlplat.stacks import load_platform

    _, plan = resolved_and_plan()
    materialize(plan, REGION)
    spec = tmp_path / "platform.yaml"
    spec.write_text(SPEC.read_text(encoding="utf-8"), encoding="utf-8")
    report = detect_drift(load_platform(spec, ENV), plan=plan)
    assert report.in_sync and report.state is None
    assert any("no Pulumi state" in n for n in report.notes)


# --------------------------------------------------------------------------- errors: exit 2, no traceback


def test_no_credentials_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    res = CliRunner().invoke(cli, ["drift", str(SPEC), "--env", ENV, "--format", "json"])
    assert res.exit_code == 2
    assert "no usable AWS credentials" in res.stderr and "Traceback" not in res.output
    assert res.stdout == ""


def test_unreachable_endpoint_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    for cmd in (["drift", str(SPEC), "--env", ENV], ["orphans", str(SPEC), "--env", ENV]):
        res = CliRunner().invoke(cli, cmd)
        assert res.exit_code == 2, res.output
        assert "cannot reach the AWS endpoint" in res.stderr and "Traceback" not in res.output


def test_refused_credentials_are_a_clear_error(aws_inprocess: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.exceptions import ClientError
    from mlplat.stacks.drift.live_aws import AwsAccessError, translate_error

    exc = ClientError({"Error": {"Code": "InvalidClientTokenId", "Message": "The security token is invalid"}},
                      "GetCallerIdentity")  # fmt: skip
    err = translate_error(exc, "sts:get_caller_identity")
    assert isinstance(err, AwsAccessError) and err.exit_code == 2
    assert "InvalidClientTokenId" in str(err) and "security token" in str(err)
