"""open_stack against a recording stand-in for the Pulumi CLI (tests/engine/standin.py).

The real Automation API runs; only the `pulumi` executable is a small script that logs its
arguments and environment and answers like the CLI (`version`, `config --json`). This checks
the commands mlplat makes Pulumi run: where, with which backend, config, secrets and tags.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mlplat.stacks import engine
from mlplat.stacks.errors import MlplatError
from mlplat.stacks.platform_spec.resolve import load_platform


@pytest.fixture
def standin(tmp_path, monkeypatch, clean_engine_env):
    from tests.engine.standin import install

    s = install(tmp_path, monkeypatch)
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "p4ss")
    return s


@pytest.fixture
def recording_cli(standin):
    """The calls so far, as {argv, cwd, backend, passphrase} (what these tests look at)."""

    def calls() -> list[dict]:
        return [{**c, "backend": c["env"].get("PULUMI_BACKEND_URL"),
                 "passphrase": c["env"].get("PULUMI_CONFIG_PASSPHRASE")} for c in standin.calls()]

    return calls


def _after_version(calls):
    return [c for c in calls if c["argv"][:1] != ["version"] and c["argv"][:2] != ["plugin", "install"]]


def test_open_stack_selects_the_environment_stack_beside_the_spec(storage_spec, recording_cli):
    resolved = load_platform(storage_spec, "prod")
    session = engine.open_stack(resolved, engine.EngineOptions(config={"aws:skipRegionValidation": "true"}))
    calls = _after_version(recording_cli())
    workdir = storage_spec.resolve().parent / ".mlplat" / "workspace" / "demo-prod"
    state = storage_spec.resolve().parent / ".mlplat" / "state"
    assert state.is_dir()  # the file backend directory exists before Pulumi logs into it
    assert all(c["cwd"] == str(workdir) for c in calls)
    assert all(c["backend"] == "file://" + state.as_posix() for c in calls)
    assert calls[0]["argv"][:2] == ["stack", "select"] and "demo-prod" in calls[0]["argv"]
    set_all = next(c["argv"] for c in calls if c["argv"][:2] == ["config", "set-all"])
    assert "aws:region=us-east-1" in set_all and "aws:skipRegionValidation=true" in set_all
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


def test_config_from_an_earlier_run_is_removed(storage_spec, recording_cli, standin):
    # The spec (plus this run's --config) is the whole config: an endpoint set by an earlier
    # run must not linger and silently redirect the provider.
    standin.set(config={
        "aws:region": {"value": "us-east-1", "secret": False},
        "aws:endpoints": {"value": "[]", "secret": False},
    })
    engine.open_stack(load_platform(storage_spec, "dev"))
    rm = [c["argv"] for c in recording_cli() if c["argv"][:2] == ["config", "rm-all"]]
    assert rm and "aws:endpoints" in rm[0] and "aws:region" not in rm[0]


def test_backends_without_stack_tags_only_get_a_note(storage_spec, recording_cli, standin):
    standin.set(no_tags=True)
    session = engine.open_stack(load_platform(storage_spec, "dev"))
    assert session.notes and "stack tags not set" in session.notes[0]


def test_backend_login_failure_is_a_user_error(storage_spec, recording_cli, standin):
    standin.set(select_error="error: could not log in to s3://nope: NoSuchBucket")
    with pytest.raises(MlplatError) as exc:
        engine.open_stack(load_platform(storage_spec, "dev"), engine.EngineOptions(backend="s3://nope"))
    assert exc.value.exit_code == 2
    assert "selecting stack demo-dev in s3://nope" in str(exc.value) and "NoSuchBucket" in str(exc.value)


def test_too_old_pulumi_cli_is_a_user_error(storage_spec, recording_cli, standin, monkeypatch):
    standin.set(version="v2.0.0")
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
def session(storage_spec, recording_cli, standin):
    # a CLI recent enough for inline destroy/refresh (3.181+) that still logs events to a file
    standin.set(version="v3.200.0")
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
    assert "Previewing update (stand-in):" in lines  # streamed through on_output


def test_destroy_of_targets_and_of_everything(session, recording_cli, standin):
    standin.set(changes={"delete": 3})
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
