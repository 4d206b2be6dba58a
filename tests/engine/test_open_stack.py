"""open_stack against a recording stand-in for the Pulumi CLI.

The real Automation API runs; only the `pulumi` executable is a small script that logs its
arguments and environment and answers like the CLI (`version`, `config --json`). This checks
the commands mlplat makes Pulumi run: where, with which backend, config, secrets and tags.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from mlplat.stacks import engine
from mlplat.stacks.errors import MlplatError
from mlplat.stacks.platform_spec.resolve import load_platform

FAKE = """\
#!{python}
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_PULUMI_LOG"], "a") as f:
    f.write(json.dumps({{"argv": args, "cwd": os.getcwd(), "backend": os.environ.get("PULUMI_BACKEND_URL"),
                        "passphrase": os.environ.get("PULUMI_CONFIG_PASSPHRASE")}}) + "\\n")
if args[:1] == ["version"]:
    print(os.environ.get("FAKE_PULUMI_VERSION", "v3.223.0"))
elif args[:1] == ["config"] and "--json" in args:
    print(os.environ.get("FAKE_PULUMI_CONFIG", "{{}}"))
elif args[:3] == ["stack", "tag", "set"] and os.environ.get("FAKE_PULUMI_NO_TAGS"):
    sys.stderr.write("error: stack tags are not supported by this backend\\n")
    sys.exit(1)
elif args[:2] == ["stack", "select"] and os.environ.get("FAKE_PULUMI_LOGIN_FAILS"):
    sys.stderr.write("error: could not log in to s3://nope: NoSuchBucket\\n")
    sys.exit(255)
elif args[:1] in (["preview"], ["up"], ["destroy"], ["refresh"]):
    changes = json.loads(os.environ.get("FAKE_PULUMI_CHANGES", '{{"create": 2}}'))
    print("Previewing update (fake):")
    with open(args[args.index("--event-log") + 1], "a") as f:
        f.write(json.dumps({{"sequence": 1, "timestamp": 0, "summaryEvent": {{
            "maybeCorrupt": False, "durationSeconds": 0, "resourceChanges": changes, "PolicyPacks": {{}}}}}}) + "\\n")
        # the CLI ends every event log with a cancel event: the SDK's watcher stops on it
        f.write(json.dumps({{"sequence": 2, "timestamp": 0, "cancelEvent": {{}}}}) + "\\n")
elif args[:2] == ["stack", "history"]:
    changes = json.loads(os.environ.get("FAKE_PULUMI_CHANGES", '{{"create": 2}}'))
    print(json.dumps([{{"kind": "update", "startTime": "2026-01-01T00:00:00.000Z", "message": "", "environment": {{}},
                       "config": {{}}, "result": "succeeded", "resourceChanges": changes}}]))
elif args[:2] == ["stack", "output"]:
    print("{{}}")
"""


@pytest.fixture
def recording_cli(tmp_path, monkeypatch, clean_engine_env):
    bindir = tmp_path / "fakebin"
    bindir.mkdir()
    exe = bindir / "pulumi"
    exe.write_text(FAKE.format(python=sys.executable), encoding="utf-8")
    exe.chmod(0o755)
    log = tmp_path / "pulumi.log"
    monkeypatch.setenv("PATH", str(bindir) + os.pathsep + os.environ.get("PATH", ""))
    monkeypatch.setenv("FAKE_PULUMI_LOG", str(log))
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "p4ss")

    def calls() -> list[dict]:
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    return calls


def _after_version(calls):
    return [c for c in calls if c["argv"][:1] != ["version"]]


def test_open_stack_selects_the_environment_stack_beside_the_spec(storage_spec, recording_cli):
    resolved = load_platform(storage_spec, "prod")
    session = engine.open_stack(resolved, engine.EngineOptions(config={"aws:profile": "ops"}))
    calls = _after_version(recording_cli())
    workdir = storage_spec.resolve().parent / ".mlplat" / "workspace" / "demo-prod"
    state = storage_spec.resolve().parent / ".mlplat" / "state"
    assert state.is_dir()  # the file backend directory exists before Pulumi logs into it
    assert all(c["cwd"] == str(workdir) for c in calls)
    assert all(c["backend"] == "file://" + state.as_posix() for c in calls)
    assert calls[0]["argv"][:2] == ["stack", "select"] and "demo-prod" in calls[0]["argv"]
    set_all = next(c["argv"] for c in calls if c["argv"][:2] == ["config", "set-all"])
    assert "aws:region=us-east-1" in set_all and "aws:profile=ops" in set_all
    tags = {tuple(c["argv"][3:5]) for c in calls if c["argv"][:3] == ["stack", "tag", "set"]}
    assert tags == {("mlplat:platform", "demo"), ("mlplat:environment", "prod"), ("mlplat:profile", "prod"),
                    ("mlplat:spec", str(storage_spec))}
    # the passphrase reaches the CLI through the inherited environment only
    assert all(c["passphrase"] == "p4ss" for c in calls)
    assert "p4ss" not in json.dumps([c["argv"] for c in calls])
    # the generated project: name = platform, python runtime, the chosen backend
    project = (workdir / "Pulumi.yaml").read_text()
    assert "name: demo" in project and "runtime: python" in project and f"url: file://{state.as_posix()}" in project
    assert session.notes == []


def test_credentials_in_config_are_set_as_secrets(storage_spec, recording_cli):
    engine.open_stack(load_platform(storage_spec, "dev"), engine.EngineOptions(config={"aws:secretKey": "abc"}))
    set_all = next(c["argv"] for c in recording_cli() if c["argv"][:2] == ["config", "set-all"])
    assert set_all[set_all.index("aws:secretKey=abc") - 1] == "--secret"


def test_config_from_an_earlier_run_is_removed(storage_spec, recording_cli, monkeypatch):
    # The spec (plus this run's --config) is the whole config: an endpoint set by an earlier
    # run must not linger and silently redirect the provider.
    monkeypatch.setenv("FAKE_PULUMI_CONFIG", json.dumps({
        "aws:region": {"value": "us-east-1", "secret": False},
        "aws:endpoints": {"value": "[]", "secret": False},
    }))
    engine.open_stack(load_platform(storage_spec, "dev"))
    rm = [c["argv"] for c in recording_cli() if c["argv"][:2] == ["config", "rm-all"]]
    assert rm and "aws:endpoints" in rm[0] and "aws:region" not in rm[0]


def test_backends_without_stack_tags_only_get_a_note(storage_spec, recording_cli, monkeypatch):
    monkeypatch.setenv("FAKE_PULUMI_NO_TAGS", "1")
    session = engine.open_stack(load_platform(storage_spec, "dev"))
    assert session.notes and "stack tags not set" in session.notes[0]


def test_backend_login_failure_is_a_user_error(storage_spec, recording_cli, monkeypatch):
    monkeypatch.setenv("FAKE_PULUMI_LOGIN_FAILS", "1")
    with pytest.raises(MlplatError) as exc:
        engine.open_stack(load_platform(storage_spec, "dev"), engine.EngineOptions(backend="s3://nope"))
    assert exc.value.exit_code == 2
    assert "selecting stack demo-dev in s3://nope" in str(exc.value) and "NoSuchBucket" in str(exc.value)


def test_too_old_pulumi_cli_is_a_user_error(storage_spec, recording_cli, monkeypatch):
    monkeypatch.setenv("FAKE_PULUMI_VERSION", "v2.0.0")
    monkeypatch.delenv("PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK", raising=False)
    with pytest.raises(MlplatError, match="unsupported Pulumi CLI version") as exc:
        engine.open_stack(load_platform(storage_spec, "dev"))
    assert exc.value.exit_code == 2


def test_secrets_provider_is_given_to_the_workspace(storage_spec, recording_cli, monkeypatch):
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE")
    session = engine.open_stack(load_platform(storage_spec, "dev"),
                                engine.EngineOptions(secrets_provider="awskms://alias/state"))
    assert session.stack.workspace.secrets_provider == "awskms://alias/state"
    assert Path(session.stack.workspace.work_dir).name == "demo-dev"


# --------------------------------------------------------------------------- operations


@pytest.fixture
def session(storage_spec, recording_cli, monkeypatch):
    # a CLI recent enough for inline destroy/refresh (3.181+) that still logs events to a file
    monkeypatch.setenv("FAKE_PULUMI_VERSION", "v3.200.0")
    return engine.open_stack(load_platform(storage_spec, "prod"))


def _op(calls, name):
    return next(c["argv"] for c in calls if c["argv"][:1] == [name])


def test_preview_passes_targets_and_reads_the_summary(session, recording_cli):
    urns = ["urn:pulumi:demo-prod::demo::mlplat:index:Platform::demo-prod",
            "urn:pulumi:demo-prod::demo::mlplat:index:Platform$mlplat:index:Storage::storage"]
    lines: list[str] = []
    result = engine.run_preview(session, urns, engine.Progress(lines.append))
    argv = _op(recording_cli(), "preview")
    assert [argv[i + 1] for i, a in enumerate(argv) if a == "--target"] == urns
    assert "--target-dependents" in argv
    assert result.changes == {"create": 2} and result.summary == "2 to create"
    assert "Previewing update (fake):" in lines  # streamed through on_output


def test_destroy_of_targets_and_of_everything(session, recording_cli, monkeypatch):
    monkeypatch.setenv("FAKE_PULUMI_CHANGES", '{"delete": 3}')
    result = engine.run_destroy(session, ["urn:a", "urn:b"])
    argv = _op(recording_cli(), "destroy")
    assert [argv[i + 1] for i, a in enumerate(argv) if a == "--target"] == ["urn:a", "urn:b"]
    assert "--exclude-protected" not in argv  # mlplat decides what stays, from the state
    assert result.summary == "3 deleted"
    before = len(recording_cli())
    assert engine.run_destroy(session, []).changes == {}  # an empty target list never reaches Pulumi
    assert len(recording_cli()) == before
    engine.run_destroy(session, None)
    assert "--target" not in next(c for c in recording_cli()[before:] if c["argv"][:1] == ["destroy"])["argv"]


def test_up_and_refresh(session, recording_cli):
    assert engine.run_up(session).summary == "2 created"
    assert engine.run_refresh(session).summary == "2 created"
    ops = [c["argv"][0] for c in recording_cli() if c["argv"][:1] in (["up"], ["refresh"])]
    assert ops == ["up", "refresh"]
    assert "--target" not in _op(recording_cli(), "up")
