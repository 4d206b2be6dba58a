"""What reaches the `pulumi` executable when mlplat runs as CI runs it: from a checkout folder
other than the spec's, with relative paths, on a fresh `.mlplat/` (it is not committed).

The real commands and the real Automation API run; `pulumi` is the recording stand-in of
tests/engine/standin.py, which logs argv, working directory and environment of every call.
One test per way a real CLI would have failed (issue 19); README "Running in CI" names them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import pytest
from click.testing import CliRunner
from mlplat.cli.main import cli

from tests.engine.conftest import STORAGE_SPEC, state_from_plan
from tests.engine.standin import install

SPEC = "../repo/platform.yaml"  # relative, from the CI folder
WORKSPACE = Path("repo/.mlplat/workspace")  # under tmp_path: where the CLI runs


@pytest.fixture
def ci(tmp_path, monkeypatch, clean_engine_env):
    """tmp_path/repo/platform.yaml, mlplat started in tmp_path/ci, the stand-in first on PATH."""
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "platform.yaml").write_text(STORAGE_SPEC, encoding="utf-8")
    (tmp_path / "ci").mkdir()
    monkeypatch.chdir(tmp_path / "ci")
    for var in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "ci-passphrase")
    return install(tmp_path, monkeypatch)


def _run(*args: str):
    res = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in res.output and "internal error" not in res.output, res.output
    return res


def _ops(standin) -> list[list[str]]:
    return [a for a in standin.argvs() if a[:1] in (["preview"], ["up"], ["destroy"], ["refresh"])]


# --------------------------------------------------------------------------- 1. backends


def test_relative_file_backend_reaches_the_cli_as_an_absolute_url(ci, tmp_path):
    res = _run("up", SPEC, "--env", "dev", "--yes", "--backend", "file://state?no_tmp_dir=true")
    assert res.exit_code == 0, res.output
    expected = f"file://{tmp_path}/ci/state?no_tmp_dir=true"  # the user's folder, the query kept
    calls = ci.calls()
    assert {c["env"]["PULUMI_BACKEND_URL"] for c in calls if c["argv"] != ["version"]} == {expected}
    assert (tmp_path / "ci" / "state").is_dir()
    # the CLI runs in the workspace: a relative URL would have named a directory there
    assert {c["cwd"] for c in calls if c["argv"] != ["version"]} == {str(tmp_path / WORKSPACE / "demo-dev")}
    assert f"url: {expected}" in (tmp_path / WORKSPACE / "demo-dev" / "Pulumi.yaml").read_text()


# --------------------------------------------------------------------------- 2. passphrase file


def test_relative_passphrase_file_reaches_the_cli_absolute_and_an_empty_passphrase_counts(ci, tmp_path, monkeypatch):
    (tmp_path / "ci" / "pass.txt").write_text("from-a-file\n")
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE_FILE", "pass.txt")
    res = _run("up", SPEC, "--env", "dev", "--yes")
    assert res.exit_code == 0, res.output
    seen = {c["env"]["PULUMI_CONFIG_PASSPHRASE_FILE"] for c in ci.calls() if c["argv"] != ["version"]}
    assert seen == {str(tmp_path / "ci" / "pass.txt")}  # absolute: valid from the workspace too
    # set but empty: Pulumi uses it (readPassphrase: os.LookupEnv), so mlplat does not refuse it
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "")
    res = _run("up", SPEC, "--env", "dev", "--yes")
    assert res.exit_code == 0, res.output
    assert "PULUMI_CONFIG_PASSPHRASE is set but empty" in res.stderr


# --------------------------------------------------------------------------- 3. secrets provider


def test_existing_stack_keeps_its_own_secrets_provider_and_says_so(ci, tmp_path):
    # a KMS-encrypted stack in a remote backend; the workspace's Pulumi.demo-dev.yaml is absent
    ci.set(stacks=["demo-dev"], deployment={"resources": [], "secrets_providers": {
        "type": "cloud", "state": {"url": "awskms://alias/state-key", "encryptedkey": "AQID"}}})
    res = _run("up", SPEC, "--env", "dev", "--yes", "--backend", "s3://acme-state",
               "--secrets-provider", "hashivault://other")
    assert res.exit_code == 0, res.output
    calls = [c for c in ci.calls() if c["argv"] != ["version"]]
    # the state's secrets manager wins over Pulumi's passphrase default when the stack file is missing
    assert {c["env"].get("PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER") for c in calls} == {"true"}
    assert not [c for c in calls if c["argv"][:2] == ["stack", "init"]]
    assert ["stack", "export"] == ci.call("stack", "export")["argv"][:2]
    assert ("keeps the secrets provider it was created with, awskms://alias/state-key; "
            "--secrets-provider hashivault://other is not used") in res.stderr
    assert "secrets awskms://alias/state-key (the stack's state)" in res.stderr
    assert "secrets hashivault://other" not in res.stderr
    # a new stack is created with the requested one: the only moment it counts
    ci.set(stacks=[])
    res = _run("up", SPEC, "--env", "prod", "--yes", "--backend", "s3://acme-state",
               "--secrets-provider", "hashivault://other")
    assert res.exit_code == 0, res.output
    init = ci.call("stack", "init")["argv"]
    assert init[init.index("--secrets-provider") + 1] == "hashivault://other"


# --------------------------------------------------------------------------- 4. identity


def test_operator_identity_and_endpoints_come_from_the_environment(ci, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "ops")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:4566")
    res = _run("up", SPEC, "--env", "dev", "--yes")
    assert res.exit_code == 0, res.output
    set_all = ci.call("config", "set-all")["argv"]
    assert [a for a in set_all if "=" in a] == ["aws:region=us-east-1"]  # the spec's, nothing of the operator
    assert not any("ops" in a or "4566" in a for argv in ci.argvs() for a in argv)
    up = ci.call("up")
    assert up["env"]["AWS_PROFILE"] == "ops" and up["env"]["AWS_ENDPOINT_URL_S3"] == "http://127.0.0.1:4566"
    before = len(ci.calls())
    res = _run("up", SPEC, "--env", "dev", "--yes", "--config", "aws:profile=ops")
    assert res.exit_code == 2 and "set AWS_PROFILE in the environment instead" in res.stderr
    assert len(ci.calls()) == before  # refused before the CLI ran


# --------------------------------------------------------------------------- 5. protection from the state


def test_destroy_reads_protection_from_the_exported_state(ci, tmp_path):
    from mlplat.stacks.plan.offline import run_offline
    from mlplat.stacks.platform_spec.resolve import load_platform

    # dev: the profile protects nothing, but the state says the bucket is protected
    # (`pulumi state protect` by hand, or an earlier profile)
    state = state_from_plan(run_offline(load_platform(tmp_path / "repo" / "platform.yaml", "dev")))
    bucket = next(r for r in state if r["type"] == "aws:s3/bucket:Bucket")
    bucket["protect"] = True
    ci.set(stacks=["demo-dev"], deployment={"resources": state, "secrets_providers": {"type": "passphrase"}},
           changes={"delete": 3})
    res = _run("destroy", SPEC, "--env", "dev", "--yes")
    assert res.exit_code == 0, res.output
    argvs = ci.argvs()
    destroy = next(a for a in argvs if a[:1] == ["destroy"])
    assert argvs.index(destroy) > argvs.index(next(a for a in argvs if a[:2] == ["stack", "export"]))
    targets = [destroy[i + 1] for i, a in enumerate(destroy) if a == "--target"]
    assert targets and bucket["urn"] not in targets  # never a full destroy Pulumi refuses half-way
    block = next(r["urn"] for r in state if r["type"] == "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert block not in targets  # the kept bucket stays locked down
    network_free = {r["urn"] for r in state} - {r["urn"] for r in state if r["type"] == "pulumi:pulumi:Stack"}
    assert set(targets) < network_free  # only resources of the state, and not all of them
    assert "the stack's state holds 1 protected resources" in res.stderr


# --------------------------------------------------------------------------- 6. no summary event


def test_missing_summary_event_is_a_clear_user_error_not_exit_3(ci):
    ci.set(no_summary=True)
    res = _run("preview", SPEC, "--env", "dev", "--engine", "pulumi")
    assert res.exit_code == 2, res.output
    assert "without reporting its change summary" in res.stderr and "pip install -U pulumi" in res.stderr


# --------------------------------------------------------------------------- 7. interrupted update


def test_ctrl_c_is_forwarded_once_and_the_cli_cancels_with_its_program_server_alive(ci, tmp_path):
    ci.set(sleep_on="up", sleep_seconds=90)
    env = {**os.environ, "MLPLAT_DEBUG": ""}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlplat.cli.main", "up", SPEC, "--env", "dev", "--yes"],
        cwd=tmp_path / "ci", env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # its own process group: a terminal's Ctrl-C goes to the whole group
    )
    try:
        running = Path(str(ci.log) + ".running")
        deadline = time.time() + 120
        while not running.exists() and proc.poll() is None and time.time() < deadline:
            time.sleep(0.1)
        assert running.exists(), proc.communicate(timeout=5)
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in the terminal: mlplat's whole process group
        _out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    up = ci.call("up")
    assert up["signals"] == ["SIGINT"], err  # exactly once: through mlplat, not twice
    assert up["pgid"] != proc.pid  # the CLI has its own group; mlplat decides what reaches it
    assert up["client_alive_after_interrupt"] is True  # the inline program's server outlived the cancel
    assert proc.returncode == 130, err
    assert "interrupt received: asking `pulumi up` to cancel cleanly" in err
    assert "pulumi cancel --yes --stack demo-dev" in err
    assert "pulumi stack export --stack demo-dev --file demo-dev.state.json" in err
    assert "pulumi stack import --stack demo-dev --file demo-dev.state.json" in err
    assert "Traceback" not in err


def test_a_second_interrupt_is_forwarded_too_and_handlers_are_restored(ci, tmp_path):
    # Unit level: ForwardingCommand.run in this (main) thread, interrupted twice by a timer.
    import threading

    from mlplat.stacks.engine import EngineInterrupted
    from mlplat.stacks.engine.process import ForwardingCommand

    ci.set(sleep_on="up", sleep_seconds=30)
    said: list[str] = []
    command = ForwardingCommand(notice=said.append)
    before = signal.getsignal(signal.SIGINT)
    running = Path(str(ci.log) + ".running")
    events = tmp_path / "events.log"
    events.write_text("")

    def interrupt_twice() -> None:
        deadline = time.time() + 60
        while not running.exists() and time.time() < deadline:
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.15)
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Thread(target=interrupt_twice)
    timer.start()
    with pytest.raises(EngineInterrupted, match="interrupted and cancelled"):
        command.run(["up", "--event-log", str(events)], str(tmp_path), {})
    timer.join()
    assert ci.call("up")["signals"] == ["SIGINT", "SIGINT"]  # the CLI's "terminate now"
    assert said[0].startswith("interrupt received") and said[1].startswith("second interrupt")
    assert signal.getsignal(signal.SIGINT) is before  # mlplat's own Ctrl-C handling is back


def test_locked_stack_gives_the_recovery_commands(ci, tmp_path):
    ci.set(locked=True)
    res = _run("up", SPEC, "--env", "dev", "--yes")
    assert res.exit_code == 1, res.output
    assert "another update of this stack is in progress, or an earlier one was interrupted" in res.stderr
    assert "the stack is currently locked by 1 lock(s)" in res.stderr  # Pulumi's own words
    assert f"cd {tmp_path / WORKSPACE / 'demo-dev'}" in res.stderr
    assert "pulumi cancel --yes --stack demo-dev" in res.stderr
    assert "pending_operations" in res.stderr and "pulumi stack import --stack demo-dev" in res.stderr


# --------------------------------------------------------------------------- 8. plugins


def _sdk_version(package: str) -> str:
    return metadata.version(package)  # the installed provider SDK: the plugin it was generated for


def test_plugins_are_installed_up_front_at_the_sdk_versions(ci):
    res = _run("up", SPEC, "--env", "dev", "--yes")
    assert res.exit_code == 0, res.output
    argvs = ci.argvs()
    installs = [a[:5] for a in argvs if a[:2] == ["plugin", "install"]]
    assert installs == [
        ["plugin", "install", "resource", "aws", _sdk_version("pulumi_aws")],
        ["plugin", "install", "resource", "kubernetes", _sdk_version("pulumi_kubernetes")],
        ["plugin", "install", "resource", "random", _sdk_version("pulumi_random")],
    ]
    first_op = argvs.index(next(a for a in argvs if a[:1] == ["up"]))
    assert max(i for i, a in enumerate(argvs) if a[:2] == ["plugin", "install"]) < first_op


def test_a_plugin_that_cannot_be_installed_is_an_early_exit_2_with_the_fix(ci):
    ci.set(plugin_error="error: [resource plugin aws-7.29.0] downloading from https://get.pulumi.com: "
                        "dial tcp: lookup get.pulumi.com: no such host")
    res = _run("up", SPEC, "--env", "dev", "--yes")
    assert res.exit_code == 2, res.output
    version = _sdk_version("pulumi_aws")
    assert f"could not install the aws {version} resource plugin" in res.stderr
    assert "no such host" in res.stderr  # the CLI's reason
    assert f"pulumi plugin install resource aws {version} --file" in res.stderr  # the offline fix
    assert _ops(ci) == [] and not [a for a in ci.argvs() if a[:2] == ["stack", "select"]]


# --------------------------------------------------------------------------- 9. secrets off the command line


def test_no_secret_ever_reaches_a_command_line(ci, monkeypatch):
    secrets = {"PULUMI_CONFIG_PASSPHRASE": "pp-s3cret", "AWS_SECRET_ACCESS_KEY": "aws-s3cret",
               "AWS_SESSION_TOKEN": "tok-s3cret"}
    for k, v in secrets.items():
        monkeypatch.setenv(k, v)
    # an earlier mlplat stored a credential as secret stack config: it is removed by name only
    ci.set(stacks=["demo-dev"], deployment={"resources": [], "secrets_providers": {"type": "passphrase"}},
           config={"aws:region": {"value": "us-east-1", "secret": False},
                   "aws:secretKey": {"value": "old-s3cret", "secret": True}})
    for args in (["up", SPEC, "--env", "dev", "--yes"], ["refresh", SPEC, "--env", "dev", "--yes"],
                 ["preview", SPEC, "--env", "dev", "--engine", "pulumi"], ["destroy", SPEC, "--env", "dev", "--yes"]):
        res = _run(*args)
        assert res.exit_code == 0, res.output
    argv_text = json.dumps(ci.argvs())
    for value in [*secrets.values(), "old-s3cret"]:
        assert value not in argv_text
    assert "aws:secretKey" in ci.call("config", "rm-all")["argv"]
    up = ci.call("up")
    assert all(up["env"][k] == v for k, v in secrets.items())  # the provider still gets them
    before = len(ci.calls())
    res = _run("up", SPEC, "--env", "dev", "--yes", "--config", "aws:secretKey=typed-s3cret")
    assert res.exit_code == 2 and "AWS_SECRET_ACCESS_KEY" in res.stderr
    assert len(ci.calls()) == before
