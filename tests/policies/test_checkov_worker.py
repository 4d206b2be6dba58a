"""checkov in a second process (policies/checkov_worker.py): the same scan, sooner, never lost."""

from __future__ import annotations

import json
import os
import signal

import pytest
from click.testing import CliRunner
from mlplat.policies import checkov_bridge
from mlplat.policies.checkov_worker import CheckovWorker, spare_core

from .builders import bucket, container, deployment, kms_key, plan


def _insecure_plan():
    bad = container(securityContext={"privileged": True, "allowPrivilegeEscalation": True}, image="nginx")
    return plan(kms_key(), bucket("scratch", versioning="Suspended", sse="AES256", pab="absent"),
                deployment("bad", [bad], pod={"hostNetwork": True}))


def _failures(scan) -> list[tuple[str, str | None, str]]:
    return sorted((f.check_id, f.urn, f.framework) for f in scan.failures)


@pytest.fixture(scope="module")
def in_process():
    p = _insecure_plan()
    return p, checkov_bridge.scan_plan(p)


def test_the_worker_scans_in_its_own_process(in_process, monkeypatch: pytest.MonkeyPatch) -> None:
    p, here = in_process
    assert {"CKV_K8S_16", "CKV_AWS_21"} <= {f.check_id for f in here.failures}

    def not_here(*_: object, **__: object) -> None:
        raise AssertionError("scanned in the parent")

    with CheckovWorker() as worker:
        monkeypatch.setattr(checkov_bridge, "scan_plan", not_here)  # the parent must not scan
        worker.submit(p)
        scan = worker.result()
    assert _failures(scan) == _failures(here)
    assert (scan.passed, scan.scanned) == (here.passed, here.scanned)


def test_a_dead_worker_falls_back_to_scanning_here(in_process) -> None:
    p, here = in_process
    with CheckovWorker() as worker:
        os.kill(worker._proc.pid, signal.SIGKILL)
        worker._proc.join(timeout=10)
        worker.submit(p)
        scan = worker.result()
    assert _failures(scan) == _failures(here)


def test_result_needs_a_plan() -> None:
    with CheckovWorker() as worker, pytest.raises(RuntimeError, match="before submit"):
        worker.result()


@pytest.mark.parametrize("forced, expected", [("0", False), ("1", True)])
def test_spare_core_can_be_forced(monkeypatch: pytest.MonkeyPatch, forced: str, expected: bool) -> None:
    monkeypatch.setenv("MLPLAT_CHECKOV_WORKER", forced)
    assert spare_core() is expected


def test_spare_core_follows_cores_and_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLPLAT_CHECKOV_WORKER", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1})
    monkeypatch.setattr(os, "getloadavg", lambda: (0.5, 0.0, 0.0))
    assert spare_core() is True
    monkeypatch.setattr(os, "getloadavg", lambda: (3.0, 0.0, 0.0))  # 1.5 per core: none spare
    assert spare_core() is False
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0})
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert spare_core() is False


def test_policy_reports_the_same_with_and_without_the_worker(tmp_path, monkeypatch) -> None:
    from mlplat.cli.main import cli

    from tests.conftest import REFERENCE_SPECS

    spec = REFERENCE_SPECS["platform"][0]
    monkeypatch.setenv("MLPLAT_NO_CACHE", "1")
    reports = {}
    for forced in ("0", "1"):
        monkeypatch.setenv("MLPLAT_CHECKOV_WORKER", forced)
        out = CliRunner().invoke(cli, ["policy", str(spec), "--env", "dev", "--format", "json"])
        assert out.exit_code in (0, 1), out.output
        doc = json.loads(out.stdout)
        for env in doc["environments"]:
            env.pop("timings")
        reports[forced] = doc
    findings = reports["0"]["findings"]
    assert [f for f in findings if f["source"] == "checkov"]  # checkov did report something
    assert reports["1"] == reports["0"]
