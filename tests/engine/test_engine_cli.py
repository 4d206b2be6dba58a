"""up / destroy / refresh / preview --engine pulumi through the CLI: exit codes, refusals,
confirmation, what a destroy explains, and the missing-CLI message.

The Pulumi boundary (open_stack) is a FakeStack recording what the engine was asked to do;
option parsing, confirmation, offline plans, URNs and output are the real code.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from mlplat.cli import engine_cmds
from mlplat.cli.main import cli
from mlplat.stacks import engine

PASS = "test-passphrase"


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def passphrase(monkeypatch, clean_engine_env):
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", PASS)


@pytest.fixture
def tty(monkeypatch):
    """Pretend both ends are a terminal (CliRunner's streams are not)."""
    monkeypatch.setattr(engine, "is_interactive", lambda: True)


def _no_traceback(res):
    assert "Traceback" not in res.output, res.output


# --------------------------------------------------------------------------- missing Pulumi CLI


@pytest.mark.parametrize("args", [
    ["up", "{spec}", "--env", "dev", "--yes"],
    ["destroy", "{spec}", "--env", "dev", "--yes"],
    ["refresh", "{spec}", "--env", "dev", "--yes"],
    ["preview", "{spec}", "--env", "dev", "--engine", "pulumi"],
])
def test_without_the_pulumi_cli_every_engine_command_exits_2(runner, storage_spec, monkeypatch, passphrase, args):
    monkeypatch.setenv("PATH", "")  # no `pulumi` anywhere
    res = runner.invoke(cli, [a.format(spec=storage_spec) for a in args])
    assert res.exit_code == 2, res.output
    assert "`pulumi` was not found on PATH" in res.stderr
    assert "curl -fsSL https://get.pulumi.com | sh" in res.stderr and "brew install pulumi" in res.stderr
    assert "offline" in res.stderr  # says what still works without it
    _no_traceback(res)
    assert not (storage_spec.parent / ".mlplat").exists()  # nothing was created


def test_missing_cli_is_reported_before_the_missing_passphrase(runner, storage_spec, monkeypatch, clean_engine_env):
    monkeypatch.setenv("PATH", "")
    res = runner.invoke(cli, ["up", str(storage_spec), "--env", "dev", "--yes"])
    assert res.exit_code == 2 and "get.pulumi.com" in res.stderr


# --------------------------------------------------------------------------- secrets and options


def test_no_passphrase_is_refused_before_touching_the_stack(runner, storage_spec, fake_stack, clean_engine_env):
    res = runner.invoke(cli, ["up", str(storage_spec), "--env", "dev", "--yes"])
    assert res.exit_code == 2, res.output
    assert "PULUMI_CONFIG_PASSPHRASE" in res.stderr and "will not make up a passphrase" in res.stderr
    assert fake_stack.calls == []
    _no_traceback(res)


def test_secrets_provider_replaces_the_passphrase(runner, storage_spec, fake_stack, clean_engine_env):
    res = runner.invoke(cli, ["up", str(storage_spec), "--env", "dev", "--yes",
                              "--secrets-provider", "awskms://alias/pulumi-state"])
    assert res.exit_code == 0, res.output
    assert fake_stack.names() == ["up"]


def test_bad_backend_is_a_user_error(runner, storage_spec, fake_stack, passphrase):
    res = runner.invoke(cli, ["up", str(storage_spec), "--env", "dev", "--yes", "--backend", "/srv/state"])
    assert res.exit_code == 2 and "file:///srv/state" in res.stderr
    assert fake_stack.calls == []


def test_config_that_contradicts_the_spec_is_refused(runner, storage_spec, fake_stack, passphrase):
    res = runner.invoke(cli, ["up", str(storage_spec), "--env", "dev", "--yes", "-c", "aws:region=eu-west-1"])
    assert res.exit_code == 2 and "the spec sets aws:region=us-east-1" in res.stderr


# --------------------------------------------------------------------------- confirmation: no terminal


@pytest.mark.parametrize("cmd,env", [("up", "dev"), ("destroy", "dev"), ("refresh", "dev"), ("destroy", "prod"),
                                     ("up", "prod")])
def test_no_terminal_and_no_yes_is_refused_without_waiting(runner, storage_spec, fake_stack, passphrase, cmd, env):
    res = runner.invoke(cli, [cmd, str(storage_spec), "--env", env], input=None)
    assert res.exit_code == 2, res.output
    assert "no terminal" in res.stderr
    assert fake_stack.calls == []  # refused before any engine call


def test_prod_destroy_with_yes_but_without_allow_protected_is_refused(runner, storage_spec, fake_stack, passphrase):
    res = runner.invoke(cli, ["destroy", str(storage_spec), "--env", "prod", "--yes"])
    assert res.exit_code == 2
    assert "--allow-protected" in res.stderr
    assert fake_stack.calls == []


# --------------------------------------------------------------------------- destroy


@pytest.fixture
def deployed(fake_stack):
    """Fill the fake state with a fully deployed environment of `spec` (from its offline plan)."""
    from mlplat.stacks.plan.offline import run_offline
    from mlplat.stacks.platform_spec.resolve import load_platform

    from tests.engine.conftest import state_from_plan

    def deploy(spec, env):
        fake_stack.state = state_from_plan(run_offline(load_platform(spec, env)))
        return fake_stack.state

    return deploy


def _custom(state):
    return {r["urn"] for r in state if r.get("custom") and not r["type"].startswith("pulumi:providers:")}


def test_prod_destroy_wrong_name_aborts(runner, network_spec, fake_stack, deployed, passphrase, tty):
    before = list(deployed(network_spec, "prod"))
    res = runner.invoke(cli, ["destroy", str(network_spec), "--env", "prod"], input="production\n")
    assert res.exit_code == 2, res.output
    assert "aborted" in res.stderr and "nothing was changed" in res.stderr
    assert fake_stack.names() == ["preview_destroy"]  # shown, never applied
    assert fake_stack.state == before
    assert "Type the environment name (prod)" in res.stderr
    # explains what will be kept, from the offline plan (for the account in the state: the
    # offline one, 123456789012, which ends the bucket names)
    assert "bucket demo-prod-artifacts-123456789012 (protected)" in res.stderr and "kms key" in res.stderr
    assert "BucketPublicAccessBlock demo-prod-artifacts-123456789012 (settings of protected data)" in res.stderr


def test_destroy_names_the_buckets_of_the_account_in_the_state(runner, network_spec, fake_stack, passphrase, tty):
    """Deployed into another account: the summary names that account's buckets, not the offline ones."""
    from mlplat.stacks.plan.offline import run_offline
    from mlplat.stacks.platform_spec.resolve import load_platform

    from tests.engine.conftest import state_from_plan

    fake_stack.state = state_from_plan(run_offline(load_platform(network_spec, "prod"), account_id="210987654321"))
    res = runner.invoke(cli, ["destroy", str(network_spec), "--env", "prod"], input="production\n")
    assert res.exit_code == 2, res.output
    assert "bucket demo-prod-artifacts-210987654321 (protected)" in res.stderr
    assert "123456789012" not in res.stderr


def test_prod_destroy_empty_answer_aborts(runner, network_spec, fake_stack, deployed, passphrase, tty):
    deployed(network_spec, "prod")
    res = runner.invoke(cli, ["destroy", str(network_spec), "--env", "prod"], input="\n")
    assert res.exit_code == 2 and "destroy" not in fake_stack.names()


def test_prod_destroy_typed_name_keeps_protected_data(runner, network_spec, fake_stack, deployed, passphrase, tty):
    state = deployed(network_spec, "prod")
    protected = {r["urn"] for r in state if r.get("protect")}
    # The network's own resources go; its flow-log key (protected: it encrypts a year of logs)
    # stays with what is attached to it (the log group, the alias) and the component parenting it.
    network = {
        r["urn"] for r in state
        if "mlplat:index:Network" in r["urn"] and r.get("custom") and not r.get("protect")
        and not protected & set(r.get("dependencies") or [])
    }  # fmt: skip
    assert protected and network
    assert any("network-logs-kms" in u for u in protected)
    res = runner.invoke(cli, ["destroy", str(network_spec), "--env", "prod"], input="prod\n")
    assert res.exit_code == 0, res.output
    assert fake_stack.names() == ["preview_destroy", "destroy"]
    targets = fake_stack.kwargs("destroy")["target"]
    assert fake_stack.kwargs("preview_destroy")["target"] == targets  # what was shown is what runs
    assert not protected & set(targets)
    assert network <= set(targets)  # the network is not needed by the data: it goes
    left = _custom(fake_stack.state)
    assert protected <= left and not network & left
    assert f"destroy demo-prod: {len(targets)} deleted" in res.stdout
    assert "bucket demo-prod-artifacts-123456789012 (protected)" in res.stdout  # the report after the destroy
    assert "BucketPolicy demo-prod-artifacts-123456789012 (kept for protected data)" in res.stdout
    assert "pulumi:providers" not in res.stdout  # providers are not "kept data"
    assert "pulumi state unprotect --stack demo-prod" in res.stderr


def test_protected_destroy_never_deletes_what_kept_data_needs(network_spec, fake_stack, deployed):
    # The targets are closed under dependents: nothing that stays depends on something that goes.
    from mlplat.stacks import engine as eng

    state = deployed(network_spec, "prod")
    targets = set(eng.teardown_targets(eng.state_nodes(state)))
    staying = [r for r in state if r["urn"] not in targets and r["type"] != "pulumi:pulumi:Stack"]
    assert staying and targets  # prod keeps its protected data and tears down the rest
    for r in staying:
        needs = set(r.get("dependencies") or []) | {r.get("parent")} | {(r.get("provider") or "").rsplit("::", 1)[0]}
        assert not needs & targets, r["urn"]


def test_ci_destroys_prod_with_yes_and_allow_protected(runner, network_spec, fake_stack, deployed, passphrase):
    deployed(network_spec, "prod")
    res = runner.invoke(cli, ["destroy", str(network_spec), "--env", "prod", "--yes", "--allow-protected"])
    assert res.exit_code == 0, res.output
    assert fake_stack.names() == ["destroy"]  # no preview, no prompt
    assert fake_stack.kwargs("destroy")["target"]
    assert "protects data" in res.stderr


def test_prod_destroy_with_only_data_left_deletes_nothing(runner, storage_spec, fake_stack, deployed, passphrase):
    # storage only: every resource is protected data or its settings; no empty --target (= everything)
    deployed(storage_spec, "prod")
    res = runner.invoke(cli, ["destroy", str(storage_spec), "--env", "prod", "--yes", "--allow-protected"])
    assert res.exit_code == 0, res.output
    assert "nothing to destroy in demo-prod" in res.stdout
    assert "destroy" not in fake_stack.names()
    assert "bucket demo-prod-artifacts-123456789012 (protected)" in res.stdout


def test_dev_destroy_tears_down_completely(runner, network_spec, fake_stack, deployed, passphrase):
    deployed(network_spec, "dev")
    res = runner.invoke(cli, ["destroy", str(network_spec), "--env", "dev", "--yes"])
    assert res.exit_code == 0, res.output
    assert fake_stack.kwargs("destroy")["target"] is None  # no filter: everything
    assert _custom(fake_stack.state) == set()
    assert "every resource of the environment is deleted" in res.stderr
    assert "kept" not in res.output
    assert "leftover check skipped" in res.stderr  # no finder here: a note, not a failure


def test_dev_destroy_asks_yes_no_on_a_terminal(runner, storage_spec, fake_stack, deployed, passphrase, tty):
    deployed(storage_spec, "dev")
    res = runner.invoke(cli, ["destroy", str(storage_spec), "--env", "dev"], input="n\n")
    assert res.exit_code == 2 and fake_stack.names() == ["preview_destroy"]
    res = runner.invoke(cli, ["destroy", str(storage_spec), "--env", "dev"], input="y\n")
    assert res.exit_code == 0 and "destroy" in fake_stack.names()


def test_destroy_with_nothing_to_destroy_does_not_ask(runner, storage_spec, fake_stack, passphrase, tty):
    res = runner.invoke(cli, ["destroy", str(storage_spec), "--env", "dev"], input="")
    assert res.exit_code == 0 and "nothing to destroy" in res.stdout
    assert fake_stack.names() == ["preview_destroy"]


def test_destroy_reports_resources_still_tagged(runner, storage_spec, fake_stack, passphrase, monkeypatch):
    from mlplat.stacks.drift.live_aws import TaggedResource

    seen = {}

    def finder(platform, env, region):
        seen["args"] = (platform, env, region)
        return [
            TaggedResource("s3", "bucket", "demo-prod-artifacts", "arn:aws:s3:::demo-prod-artifacts"),
            TaggedResource("ec2", "volume", "vol-0abc"),
        ]

    monkeypatch.setattr(engine_cmds, "leftover_finder", lambda: finder)
    fake_stack.state = [{"urn": "u", "type": "aws:s3/bucket:Bucket", "id": "demo-prod-artifacts",
                         "custom": True, "protect": True}]
    res = runner.invoke(cli, ["destroy", str(storage_spec), "--env", "prod", "--yes", "--allow-protected"])
    assert res.exit_code == 0, res.output
    assert seen["args"] == ("demo", "prod", "us-east-1")
    # the protected bucket was kept on purpose; the volume is a real leftover
    assert "warning: 1 resources still carry the ownership tags of demo-prod" in res.stdout
    assert "ec2 volume vol-0abc" in res.stdout
    assert "s3 bucket demo-prod-artifacts" not in res.stdout


def test_leftover_check_without_aws_credentials_is_a_note(runner, storage_spec, fake_stack, passphrase, monkeypatch):
    from mlplat.stacks.drift.live_aws import AwsAccessError

    def finder(platform, env, region):
        raise AwsAccessError("no usable AWS credentials (tagging)")

    monkeypatch.setattr(engine_cmds, "leftover_finder", lambda: finder)
    res = runner.invoke(cli, ["destroy", str(storage_spec), "--env", "dev", "--yes"])
    assert res.exit_code == 0, res.output
    assert "leftover check skipped: no usable AWS credentials" in res.stderr


# --------------------------------------------------------------------------- up


def test_up_shows_the_preview_and_asks(runner, storage_spec, fake_stack, passphrase, tty):
    res = runner.invoke(cli, ["up", str(storage_spec), "--env", "dev"], input="n\n")
    assert res.exit_code == 2 and fake_stack.names() == ["preview"]
    assert "preview demo-dev: 2 to create, 1 unchanged" in res.stdout
    res = runner.invoke(cli, ["up", str(storage_spec), "--env", "dev"], input="y\n")
    assert res.exit_code == 0, res.output
    assert fake_stack.names()[-2:] == ["preview", "up"]
    assert "up demo-dev: 2 created, 1 unchanged" in res.stdout


def test_up_with_no_changes_does_not_ask(runner, storage_spec, fake_stack, passphrase, tty):
    fake_stack.changes = {"same": 12}
    res = runner.invoke(cli, ["up", str(storage_spec), "--env", "dev"], input="")
    assert res.exit_code == 0 and "up to date" in res.stdout
    assert fake_stack.names() == ["preview"]


def test_up_yes_applies_without_asking(runner, storage_spec, fake_stack, passphrase):
    res = runner.invoke(cli, ["up", str(storage_spec), "--env", "prod", "--yes"])
    assert res.exit_code == 0, res.output
    assert fake_stack.names() == ["up"]
    assert fake_stack.kwargs("up")["target"] is None


def test_up_target_maps_the_component_to_urns(runner, storage_spec, fake_stack, passphrase):
    res = runner.invoke(cli, ["up", str(storage_spec), "--env", "dev", "--yes", "--target", "storage"])
    assert res.exit_code == 0, res.output
    kw = fake_stack.kwargs("up")
    assert kw["target_dependents"] is True
    assert "urn:pulumi:demo-dev::demo::mlplat:index:Platform$mlplat:index:Storage$aws:s3/bucket:Bucket::storage-artifacts" \
        in kw["target"]
    assert all(u.startswith("urn:pulumi:demo-dev::demo::") for u in kw["target"])


def test_up_unknown_target_is_a_user_error(runner, storage_spec, fake_stack, passphrase):
    res = runner.invoke(cli, ["up", str(storage_spec), "--env", "dev", "--yes", "--target", "cluster"])
    assert res.exit_code == 2 and "no such component" in res.stderr and "storage" in res.stderr
    assert fake_stack.calls == []


def test_a_failed_update_exits_1_naming_the_failure(runner, storage_spec, fake_stack, passphrase):
    from pulumi.automation import errors as aerr
    from pulumi.automation._cmd import CommandResult

    fake_stack.fail = aerr.CommandError(CommandResult(
        "", "error: update failed\n  aws:s3:Bucket storage-artifacts: BucketAlreadyExists", 255))
    res = runner.invoke(cli, ["up", str(storage_spec), "--env", "dev", "--yes"])
    assert res.exit_code == 1, res.output
    assert "up of demo-dev failed" in res.stderr and "BucketAlreadyExists" in res.stderr
    _no_traceback(res)


# --------------------------------------------------------------------------- refresh and preview


def test_refresh_yes(runner, storage_spec, fake_stack, passphrase):
    fake_stack.changes = {"same": 3, "update": 1}
    res = runner.invoke(cli, ["refresh", str(storage_spec), "--env", "dev", "--yes"])
    assert res.exit_code == 0, res.output
    assert fake_stack.names() == ["refresh"]
    assert "refresh demo-dev: 1 updated, 3 unchanged" in res.stdout


def test_refresh_in_sync_does_not_ask(runner, storage_spec, fake_stack, passphrase, tty):
    fake_stack.changes = {"same": 3}
    res = runner.invoke(cli, ["refresh", str(storage_spec), "--env", "dev"], input="")
    assert res.exit_code == 0 and "matches the cloud" in res.stdout
    assert fake_stack.names() == ["preview_refresh"]


def test_preview_engine_pulumi(runner, storage_spec, fake_stack, passphrase):
    res = runner.invoke(cli, ["preview", str(storage_spec), "--env", "dev", "--engine", "pulumi",
                              "--target", "storage"])
    assert res.exit_code == 0, res.output
    assert fake_stack.names() == ["preview"]
    assert fake_stack.kwargs("preview")["target"]
    assert "preview demo-dev: 2 to create, 1 unchanged" in res.stdout


# --------------------------------------------------------------------------- reaching the cluster API

PUBLIC_CLUSTER = """\
apiVersion: mlplat.io/v1alpha1
kind: Platform
metadata: {name: demo}
target: {provider: aws, region: us-east-1}
cluster:
  public_endpoint: true
  public_access_cidrs: [203.0.113.0/24]
  node_pools: [{name: system, instance_type: m6i.large}]
"""


def test_up_stops_in_seconds_when_the_api_endpoint_is_out_of_reach(
    runner, tmp_path, fake_stack, passphrase, monkeypatch
):
    import time

    from mlplat.stacks.engine import reachability

    spec = tmp_path / "platform.yaml"
    spec.write_text(PUBLIC_CLUSTER)
    monkeypatch.setattr(reachability, "caller_public_ip", lambda timeout=3.0: "198.51.100.7")
    monkeypatch.setattr(reachability, "local_addresses", lambda: ["192.168.1.20"])
    t0 = time.perf_counter()
    res = runner.invoke(cli, ["up", str(spec), "--env", "dev", "--yes"])
    assert res.exit_code == 2, res.output
    assert time.perf_counter() - t0 < 30  # not the engine's ten-minute Kubernetes timeout
    assert "add 198.51.100.7/32" in res.stderr and "cluster.public_access_cidrs" in res.stderr
    assert fake_stack.calls == []  # nothing was created
    _no_traceback(res)

    monkeypatch.setattr(reachability, "caller_public_ip", lambda timeout=3.0: "203.0.113.9")
    res = runner.invoke(cli, ["up", str(spec), "--env", "dev", "--yes"])
    assert res.exit_code == 0, res.output
    assert "API endpoint: public endpoint: 203.0.113.9 is inside 203.0.113.0/24" in res.stderr
