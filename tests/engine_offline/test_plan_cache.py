"""The plan cache: one plan, many judges (stacks/plan/cache.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mlplat.stacks import load_platform
from mlplat.stacks.plan import cache, offline

SPEC = """\
apiVersion: mlplat.io/v1alpha1
kind: Platform
metadata: {name: demo, owner: a@b.c}
target: {provider: aws, region: us-east-1}
storage: {buckets: [{name: artifacts, purpose: artifacts, versioning: true}]}
environments: {dev: {}}
"""


@pytest.fixture
def spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("MLPLAT_NO_CACHE", raising=False)  # these tests are about the cache
    monkeypatch.setitem(cache._DISABLED, "value", False)
    p = tmp_path / "platform.yaml"
    p.write_text(SPEC)
    return p


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count real engine runs (the cache calls offline.plan_uncached)."""
    runs: list[str] = []
    real = offline.plan_uncached

    def counted(resolved, *account):
        runs.append(resolved.environment)
        return real(resolved, *account)

    monkeypatch.setattr(offline, "plan_uncached", counted)
    return runs


def entries(spec: Path) -> list[Path]:
    return sorted((spec.parent / cache.CACHE_DIR).glob("*.json"))


def test_hit_returns_the_identical_plan_without_running_the_engine(spec, counting):
    first = offline.run_offline(load_platform(spec, "dev"))
    second = offline.run_offline(load_platform(spec, "dev"))
    assert counting == ["dev"]  # the second came from the cache
    assert second.to_json() == first.to_json()  # byte-identical plan
    assert second.spec_file == str(spec) and len(entries(spec)) == 1


def test_a_spec_edit_is_a_miss(spec, counting):
    offline.run_offline(load_platform(spec, "dev"))
    spec.write_text(SPEC.replace("versioning: true", "versioning: false"))
    plan = offline.run_offline(load_platform(spec, "dev"))
    assert counting == ["dev", "dev"] and len(entries(spec)) == 2
    versioning = next(r for r in plan.resources if r.type.endswith("BucketVersioning"))
    assert versioning.inputs["versioningConfiguration"]["status"] == "Suspended"


def test_a_package_upgrade_is_a_miss(spec, counting, monkeypatch):
    offline.run_offline(load_platform(spec, "dev"))
    real = cache.metadata.version

    def upgraded(dist):
        return "99.0.0" if dist == "pulumi-aws" else real(dist)

    cache.code_fingerprint.cache_clear()
    monkeypatch.setattr(cache.metadata, "version", upgraded)
    try:
        offline.run_offline(load_platform(spec, "dev"))
    finally:
        cache.code_fingerprint.cache_clear()
    assert counting == ["dev", "dev"]


def test_a_corrupt_entry_is_ignored_and_rewritten(spec, counting):
    offline.run_offline(load_platform(spec, "dev"))
    (entry,) = entries(spec)
    entry.write_text('{"key": "truncated')
    plan = offline.run_offline(load_platform(spec, "dev"))
    assert counting == ["dev", "dev"] and len(plan.resources) > 5
    assert json.loads(entry.read_text())["key"] == entry.stem  # rewritten whole


def test_an_entry_for_another_key_is_not_trusted(spec, counting):
    offline.run_offline(load_platform(spec, "dev"))
    (entry,) = entries(spec)
    data = json.loads(entry.read_text())
    data["key"] = "0" * 64
    entry.write_text(json.dumps(data))
    offline.run_offline(load_platform(spec, "dev"))
    assert counting == ["dev", "dev"]


def test_no_cache_flag_and_variable(spec, counting, monkeypatch):
    from click.testing import CliRunner
    from mlplat.cli.main import cli

    res = CliRunner().invoke(cli, ["--no-cache", "preview", str(spec), "--env", "dev", "--format", "json"])
    assert res.exit_code == 0, res.output
    assert entries(spec) == [] and counting == ["dev"]
    monkeypatch.setitem(cache._DISABLED, "value", False)
    monkeypatch.setenv("MLPLAT_NO_CACHE", "1")
    offline.run_offline(load_platform(spec, "dev"))
    assert entries(spec) == []


def test_two_concurrent_runs_agree_and_leave_one_valid_entry(spec):
    env = {k: v for k, v in os.environ.items() if k != "MLPLAT_NO_CACHE"}
    cmd = [sys.executable, "-m", "mlplat", "preview", str(spec), "--env", "dev", "--format", "json"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outs]
    assert json.loads(outs[0][0]) == json.loads(outs[1][0])
    (entry,) = entries(spec)
    assert json.loads(entry.read_text())["key"] == entry.stem
    assert not list(entry.parent.glob(".tmp-*"))  # no half-written leftovers
    # and a third run is served from it
    start = time.monotonic()
    third = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert third.returncode == 0 and json.loads(third.stdout) == json.loads(outs[0][0])
    assert time.monotonic() - start < 60
