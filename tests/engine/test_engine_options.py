"""What mlplat decides before the Pulumi engine runs: stack name, state backend, secrets,
stack config and tags, workspace options, and the provider-config transformation.

Pure functions: no Pulumi CLI, no cloud.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mlplat.stacks import engine
from mlplat.stacks.errors import MlplatError
from mlplat.stacks.platform_spec.resolve import load_platform

# --------------------------------------------------------------------------- stack naming


def test_stack_is_named_platform_dash_env(storage_spec):
    resolved = load_platform(storage_spec, "prod")
    assert engine.stack_name(resolved) == "demo-prod"
    # the same stem as every physical name, so state, URNs and cloud names line up
    assert engine.stack_name(resolved) == resolved.prefix
    assert engine.stack_name_for("churn", "dev") == "churn-dev"


def test_one_stack_per_environment(storage_spec):
    names = {engine.stack_name(load_platform(storage_spec, env)) for env in ("dev", "prod")}
    assert names == {"demo-dev", "demo-prod"}


# --------------------------------------------------------------------------- backend


def test_default_backend_is_a_file_backend_beside_the_spec(storage_spec):
    b = engine.resolve_backend(storage_spec, None, environ={})
    expected_dir = storage_spec.resolve().parent / ".mlplat" / "state"
    assert b.source == "default"
    assert b.url == "file://" + expected_dir.as_posix()
    assert b.local_dir == expected_dir
    assert not b.is_service


def test_default_backend_does_not_depend_on_the_working_directory(storage_spec, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path.parent)
    relative = Path(storage_spec.name)
    monkeypatch.chdir(storage_spec.parent)
    b = engine.resolve_backend(relative, None, environ={})
    assert b.local_dir == storage_spec.resolve().parent / ".mlplat" / "state"


def test_prepare_backend_creates_the_state_directory(storage_spec):
    b = engine.resolve_backend(storage_spec, None, environ={})
    assert not b.local_dir.exists()
    engine.prepare_backend(b)
    assert b.local_dir.is_dir()
    engine.prepare_backend(b)  # idempotent


def test_env_backend_overrides_the_default(storage_spec):
    b = engine.resolve_backend(storage_spec, None, environ={"PULUMI_BACKEND_URL": "s3://acme-state"})
    assert (b.url, b.source, b.local_dir) == ("s3://acme-state", "PULUMI_BACKEND_URL", None)


def test_flag_backend_overrides_the_env(storage_spec):
    b = engine.resolve_backend(storage_spec, "gs://acme-state", environ={"PULUMI_BACKEND_URL": "s3://acme-state"})
    assert (b.url, b.source) == ("gs://acme-state", "--backend")


def test_empty_env_backend_is_ignored(storage_spec):
    assert engine.resolve_backend(storage_spec, None, environ={"PULUMI_BACKEND_URL": " "}).source == "default"


@pytest.mark.parametrize("url", ["s3://b/prefix", "azblob://c", "gs://b", "https://api.pulumi.com", "file:///tmp/st"])
def test_supported_backends(storage_spec, url):
    assert engine.resolve_backend(storage_spec, url, environ={}).url == url


def test_pulumi_cloud_is_a_service_backend(storage_spec):
    assert engine.resolve_backend(storage_spec, "https://api.pulumi.com", environ={}).is_service


def test_file_backend_dir_is_resolved(storage_spec, tmp_path):
    b = engine.resolve_backend(storage_spec, f"file://{tmp_path}/state", environ={})
    assert b.local_dir == tmp_path / "state"


@pytest.mark.parametrize("url,hint", [("/tmp/state", "file:///tmp/state"), ("ftp://x", "s3://")])
def test_unsupported_backend_is_a_user_error(storage_spec, url, hint):
    with pytest.raises(MlplatError, match="unsupported state backend") as exc:
        engine.resolve_backend(storage_spec, url, environ={})
    assert hint in str(exc.value)
    assert exc.value.exit_code == 2


# --------------------------------------------------------------------------- secrets


def _file_backend(storage_spec):
    return engine.resolve_backend(storage_spec, None, environ={})


def test_passphrase_from_the_environment(storage_spec):
    s = engine.resolve_secrets(None, _file_backend(storage_spec), environ={"PULUMI_CONFIG_PASSPHRASE": "s3cret"})
    assert (s.provider, s.source) == ("passphrase", "PULUMI_CONFIG_PASSPHRASE")


def test_passphrase_file(storage_spec, tmp_path):
    pf = tmp_path / "pass"
    pf.write_text("s3cret")
    s = engine.resolve_secrets(None, _file_backend(storage_spec), environ={"PULUMI_CONFIG_PASSPHRASE_FILE": str(pf)})
    assert (s.provider, s.source) == ("passphrase", "PULUMI_CONFIG_PASSPHRASE_FILE")


def test_missing_passphrase_file_is_refused(storage_spec, tmp_path):
    with pytest.raises(MlplatError, match="no such file"):
        engine.resolve_secrets(None, _file_backend(storage_spec),
                               environ={"PULUMI_CONFIG_PASSPHRASE_FILE": str(tmp_path / "nope")})


def test_no_passphrase_and_no_provider_is_refused_not_invented(storage_spec):
    with pytest.raises(MlplatError) as exc:
        engine.resolve_secrets(None, _file_backend(storage_spec), environ={})
    msg = str(exc.value)
    assert "PULUMI_CONFIG_PASSPHRASE" in msg and "--secrets-provider" in msg and "awskms://" in msg
    assert exc.value.exit_code == 2


def test_empty_passphrase_counts_as_set_as_for_pulumi(storage_spec, tmp_path):
    # Pulumi's readPassphrase (pkg/secrets/passphrase/manager.go) uses PULUMI_CONFIG_PASSPHRASE
    # whenever it is set, even empty, before the file; an empty _FILE variable counts as unset.
    pf = tmp_path / "pass"
    pf.write_text("from-file")
    s = engine.resolve_secrets(None, _file_backend(storage_spec),
                               environ={"PULUMI_CONFIG_PASSPHRASE": "", "PULUMI_CONFIG_PASSPHRASE_FILE": str(pf)})
    assert (s.provider, s.source) == ("passphrase", "PULUMI_CONFIG_PASSPHRASE")
    assert s.env == {}  # the file is not Pulumi's choice here: not handed over
    assert "empty" in s.note  # allowed, as Pulumi allows it, but said
    with pytest.raises(MlplatError, match="PULUMI_CONFIG_PASSPHRASE"):
        engine.resolve_secrets(None, _file_backend(storage_spec), environ={"PULUMI_CONFIG_PASSPHRASE_FILE": ""})


def test_relative_passphrase_file_is_made_absolute(storage_spec, tmp_path, monkeypatch):
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "pass.txt").write_text("s3cret\n")
    monkeypatch.chdir(tmp_path / "ci")
    s = engine.resolve_secrets(None, _file_backend(storage_spec),
                               environ={"PULUMI_CONFIG_PASSPHRASE_FILE": "pass.txt"})
    # the CLI resolves a relative path against its own cwd, the workspace dir: it gets this one
    assert s.env == {"PULUMI_CONFIG_PASSPHRASE_FILE": str(tmp_path / "ci" / "pass.txt")}


@pytest.mark.parametrize("provider", [
    "awskms://alias/pulumi-state", "awskms://1234abcd-12ab-34cd?region=us-east-1", "hashivault://pulumi",
    "gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/k",
    "azurekeyvault://acme.vault.azure.net/keys/pulumi",
])
def test_key_service_secrets_providers_need_no_passphrase(storage_spec, provider):
    s = engine.resolve_secrets(provider, _file_backend(storage_spec), environ={})
    assert (s.provider, s.source) == (provider, "--secrets-provider")


@pytest.mark.parametrize("provider", ["kms://x", "awskms://", "plaintext"])
def test_unknown_secrets_provider_is_refused(storage_spec, provider):
    with pytest.raises(MlplatError, match="secrets provider"):
        engine.resolve_secrets(provider, _file_backend(storage_spec), environ={"PULUMI_CONFIG_PASSPHRASE": "x"})


def test_explicit_passphrase_provider_still_needs_the_passphrase(storage_spec):
    with pytest.raises(MlplatError, match="PULUMI_CONFIG_PASSPHRASE"):
        engine.resolve_secrets("passphrase", _file_backend(storage_spec), environ={})


def test_passphrase_wins_over_the_cloud_default(storage_spec):
    cloud = engine.resolve_backend(storage_spec, "https://api.pulumi.com", environ={})
    s = engine.resolve_secrets(None, cloud, environ={"PULUMI_CONFIG_PASSPHRASE": "x"})
    assert s.provider == "passphrase"


def test_pulumi_cloud_uses_its_own_secrets_manager(storage_spec):
    # Pulumi Cloud encrypts each stack with a per-stack key: nothing to invent or ask for.
    cloud = engine.resolve_backend(storage_spec, "https://api.pulumi.com", environ={})
    assert engine.resolve_secrets(None, cloud, environ={}) == engine.Secrets(None, "service")


def test_default_secrets_provider_only_on_pulumi_cloud(storage_spec):
    with pytest.raises(MlplatError, match="only Pulumi Cloud"):
        engine.resolve_secrets("default", _file_backend(storage_spec), environ={})


# --------------------------------------------------------------------------- project, config, tags


def test_project_settings_come_from_the_spec(storage_spec):
    resolved = load_platform(storage_spec, "dev")
    backend = engine.resolve_backend(storage_spec, "s3://acme-state", environ={})
    ps = engine.project_settings(resolved, backend)
    assert ps.name == "demo"  # project = platform: URNs are urn:pulumi:demo-dev::demo::…
    assert ps.runtime == "python"
    assert ps.backend.url == "s3://acme-state"


def test_workspace_options(storage_spec):
    resolved = load_platform(storage_spec, "prod")
    backend = engine.resolve_backend(storage_spec, None, environ={})
    secrets = engine.resolve_secrets(None, backend, environ={"PULUMI_CONFIG_PASSPHRASE": "never-copied"})
    opts = engine.workspace_options(resolved, backend, secrets)
    assert opts.secrets_provider == "passphrase"
    assert opts.env_vars["PULUMI_BACKEND_URL"] == backend.url
    # the passphrase stays in the inherited environment: options end up in reprs and logs
    assert "never-copied" not in repr(vars(opts))
    # a stable work dir beside the spec keeps Pulumi.<stack>.yaml (the passphrase salt) between runs
    assert Path(opts.work_dir) == storage_spec.resolve().parent / ".mlplat" / "workspace" / "demo-prod"
    assert opts.project_settings.name == "demo"


def test_kms_secrets_provider_reaches_the_workspace(storage_spec):
    resolved = load_platform(storage_spec, "dev")
    backend = engine.resolve_backend(storage_spec, "s3://acme-state", environ={})
    secrets = engine.resolve_secrets("awskms://alias/state", backend, environ={})
    assert engine.workspace_options(resolved, backend, secrets).secrets_provider == "awskms://alias/state"


def test_aws_stack_config_has_the_spec_region(storage_spec):
    assert engine.stack_config(load_platform(storage_spec, "dev")) == {"aws:region": "us-east-1"}


def test_kubernetes_stack_config_has_the_spec_context(k8s_spec):
    assert engine.stack_config(load_platform(k8s_spec, "dev")) == {"kubernetes:context": "lab-cluster"}


def test_extra_config_adds_but_cannot_contradict_the_spec(storage_spec):
    resolved = load_platform(storage_spec, "dev")
    cfg = engine.stack_config(resolved, {"aws:skipCredentialsValidation": "true", "aws:region": "us-east-1"})
    assert cfg == {"aws:region": "us-east-1", "aws:skipCredentialsValidation": "true"}
    with pytest.raises(MlplatError, match="the spec sets aws:region=us-east-1"):
        engine.stack_config(resolved, {"aws:region": "eu-west-1"})


def test_parse_config_items():
    items = ["aws:profile=ops", 'aws:endpoints=[{"s3": "http://127.0.0.1:5000"}]', "aws:empty="]
    assert engine.parse_config_items(items) == {
        "aws:profile": "ops", "aws:endpoints": '[{"s3": "http://127.0.0.1:5000"}]', "aws:empty": "",
    }
    for bad in ("profile=ops", "aws:profile", "=x"):
        with pytest.raises(MlplatError, match="NAMESPACE:KEY=VALUE"):
            engine.parse_config_items([bad])


def test_credential_config_is_stored_as_secret():
    assert engine.is_secret_config("aws:secretKey") and engine.is_secret_config("aws:token")
    assert engine.is_secret_config("aws:accessKey")
    assert not engine.is_secret_config("aws:region") and not engine.is_secret_config("aws:endpoints")


def test_stack_tags(storage_spec):
    tags = engine.stack_tags(load_platform(storage_spec, "prod"))
    assert tags == {
        "mlplat:platform": "demo", "mlplat:environment": "prod", "mlplat:profile": "prod",
        "mlplat:spec": str(storage_spec),
    }


# --------------------------------------------------------------------------- provider config transformation


class _Args:
    def __init__(self, type_, props):
        self.type_, self.props, self.opts = type_, props, object()


def test_explicit_provider_receives_stack_config():
    t = engine.provider_config_transformation({
        "aws:region": "eu-west-1", "aws:skipCredentialsValidation": "true", "aws:maxRetries": "3",
        "aws:unknownKey": "x",
    })
    # pulumi-aws fills skip_credentials_validation=False itself: config must win over that default
    props = {"region": "us-east-1", "skip_credentials_validation": "false", "max_retries": None, "profile": None,
             "default_tags": '{"tags": {}}'}
    res = t(_Args("pulumi:providers:aws", props))
    assert res.props["region"] == "us-east-1"  # the spec decides the region, not config
    assert res.props["default_tags"] == '{"tags": {}}'
    assert res.props["skip_credentials_validation"] == "true"
    assert res.props["max_retries"] == "3"
    assert res.props["profile"] is None
    assert "unknown_key" not in res.props  # only arguments the provider has
    assert props["max_retries"] is None  # the original dict is not mutated


def test_default_tags_cannot_come_from_config(storage_spec):
    with pytest.raises(MlplatError, match="ownership tags come from the spec"):
        engine.stack_config(load_platform(storage_spec, "dev"), {"aws:defaultTags": "{}"})


def test_transformation_ignores_other_resources_and_packages():
    t = engine.provider_config_transformation({"aws:profile": "ops"})
    assert t(_Args("aws:s3/bucket:Bucket", {"profile": None})) is None
    assert t(_Args("pulumi:providers:kubernetes", {"profile": None})) is None
    assert t(_Args("pulumi:providers:aws", {"region": "us-east-1"})) is None  # no such arg in config


def test_operator_settings_never_become_provider_inputs():
    # Even if an earlier mlplat left them in the stack config: inputs of the explicit provider
    # are saved in the state, and destroy/refresh (which do not run the program) reuse them.
    t = engine.provider_config_transformation({
        "aws:profile": "ops", "aws:endpoints": '[{"s3": "http://127.0.0.1:5000"}]', "aws:secretKey": "abc",
        "aws:accessKey": "AKIA", "aws:token": "tok", "kubernetes:kubeconfig": "/home/me/.kube/config",
    })
    aws_props = {"profile": None, "endpoints": None, "secret_key": None, "access_key": None, "token": None}
    assert t(_Args("pulumi:providers:aws", aws_props)) is None  # nothing to change: nothing copied
    assert t(_Args("pulumi:providers:kubernetes", {"kubeconfig": None})) is None


@pytest.mark.parametrize("key,env_var", [
    ("aws:profile", "AWS_PROFILE"), ("aws:endpoints", "AWS_ENDPOINT_URL_<SERVICE>"),
    ("aws:secretKey", "AWS_SECRET_ACCESS_KEY"), ("aws:token", "AWS_SESSION_TOKEN"),
    ("kubernetes:kubeconfig", "KUBECONFIG"),
])
def test_operator_settings_are_refused_as_config_with_the_variable_to_use(storage_spec, key, env_var):
    with pytest.raises(MlplatError, match="operator settings are not saved in the stack") as exc:
        engine.stack_config(load_platform(storage_spec, "dev"), {key: "x"})
    assert env_var in str(exc.value) and exc.value.exit_code == 2


def test_secret_config_is_refused_on_the_command_line(storage_spec):
    with pytest.raises(MlplatError, match="does not go on a command line"):
        engine.stack_config(load_platform(storage_spec, "dev"), {"aws:someApiToken": "x"})


# --------------------------------------------------------------------------- missing CLI


def test_find_cli_without_pulumi_names_the_fix():
    with pytest.raises(MlplatError) as exc:
        engine.find_cli(which=lambda name: None)
    msg = str(exc.value)
    assert "`pulumi` was not found on PATH" in msg
    assert "curl -fsSL https://get.pulumi.com | sh" in msg and "brew install pulumi" in msg
    assert exc.value.exit_code == 2


def test_find_cli_returns_the_executable():
    assert engine.find_cli(which=lambda name: f"/opt/bin/{name}") == "/opt/bin/pulumi"


def test_automation_file_not_found_becomes_the_install_message():
    # What the Automation API raises when it spawns `pulumi` and there is none.
    with pytest.raises(MlplatError, match="get.pulumi.com") as exc, engine.engine_errors("setup", "selecting stack"):
        raise FileNotFoundError(2, "No such file or directory", "pulumi")
    assert exc.value.exit_code == 2


def test_a_broken_pulumi_install_is_a_user_error():
    import subprocess

    with pytest.raises(MlplatError, match="did not run") as exc, engine.engine_errors("setup", "x"):
        raise subprocess.CalledProcessError(127, ["pulumi", "version"])
    assert exc.value.exit_code == 2


def test_other_file_not_found_errors_pass_through():
    with pytest.raises(FileNotFoundError), engine.engine_errors("setup", "x"):
        raise FileNotFoundError(2, "No such file or directory", "/tmp/other")


def test_command_errors_map_to_exit_codes():
    from pulumi.automation import errors as aerr
    from pulumi.automation._cmd import CommandResult

    def fail(stderr):
        return aerr.CommandError(CommandResult("", stderr, 255))

    with pytest.raises(MlplatError) as setup, engine.engine_errors("setup", "selecting stack demo-dev"):
        raise fail("error: failed to load checkpoint: blob (code=NotFound)")
    assert setup.value.exit_code == 2 and "NotFound" in str(setup.value)

    progress = engine.Progress(echo=lambda line: None)
    with pytest.raises(engine.EngineFailed) as run, engine.engine_errors("run", "up of demo-dev", progress):
        raise fail("error: update failed")
    assert run.value.exit_code == 1 and "up of demo-dev failed" in str(run.value)

    with pytest.raises(MlplatError) as pw, engine.engine_errors("run", "up of demo-dev"):
        raise fail("error: getting secrets manager: incorrect passphrase")
    assert pw.value.exit_code == 2 and "passphrase" in str(pw.value)


def test_missing_summary_event_is_a_user_error_and_other_runtime_errors_pass():
    # Stack.preview raises a bare RuntimeError when the CLI reported no summary event
    # (pulumi/automation/_stack.py:597-598): a version mismatch to fix, not an mlplat bug.
    with pytest.raises(MlplatError, match="without reporting its change summary") as exc, \
            engine.engine_errors("preview", "preview of demo-dev"):
        raise RuntimeError("summary event never found")
    assert exc.value.exit_code == 2
    with pytest.raises(RuntimeError, match="something else"), engine.engine_errors("preview", "x"):
        raise RuntimeError("something else")


def test_an_empty_update_history_after_up_is_an_engine_failure_not_a_crash():
    # After `pulumi up` the SDK reads `stack history` and asserts it is not empty
    # (_stack.py:447-448): the real Stack.up against a workspace whose CLI answers `[]`.
    from pulumi.automation import Stack
    from pulumi.automation._cmd import CommandResult

    class Command:
        version = None

        def run(self, args, cwd, env, on_output=None, on_error=None):
            return CommandResult("[]" if args[:2] == ["stack", "history"] else "", "", 0)

    class Workspace:
        pulumi_home, env_vars, program, work_dir, pulumi_command = None, {}, None, ".", Command()

        def serialize_args_for_op(self, name):
            return []

        def post_command_callback(self, name):
            return None

        def stack_outputs(self, name):
            return {}

    stack = object.__new__(Stack)
    stack.name, stack.workspace = "demo-dev", Workspace()
    with pytest.raises(engine.EngineFailed, match="no update history") as exc, engine.engine_errors("run", "up"):
        stack.up()
    assert exc.value.exit_code == 1
    with pytest.raises(AssertionError), engine.engine_errors("run", "up"):
        raise AssertionError("an mlplat bug stays a bug")  # not from pulumi.automation: not hidden
