"""The Pulumi engine: preview, up, destroy and refresh through the Automation API.

The same `build_platform` the offline engine runs is the inline program here. Everything
mlplat decides on its own is a pure function (tested without the Pulumi CLI): the stack
name, where state lives, which secrets provider encrypts it, the stack config and tags, the
URNs a `--target COMPONENT` stands for, what a destroy keeps, and when to ask before acting.
The functions at the bottom drive `pulumi.automation` and turn its failures into messages:

- no `pulumi` on PATH (the Automation API raises FileNotFoundError): exit 2, how to install it;
- setup failures (backend login, stack selection, wrong passphrase): exit 2, the CLI's words;
- a failed operation (a resource could not be created): exit 1, the failed resources.

State: a local file backend beside the spec (`.mlplat/state`) unless `--backend` or
PULUMI_BACKEND_URL says otherwise. Secrets: PULUMI_CONFIG_PASSPHRASE(_FILE) or an explicit
`--secrets-provider` (KMS, Vault); mlplat never makes a passphrase up.

The Pulumi CLI runs in `.mlplat/workspace/<stack>/`, not where mlplat was started: every path
handed to it (a file:// backend, PULUMI_CONFIG_PASSPHRASE_FILE) is made absolute first."""


from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlplat.stacks.errors import MlplatError

if TYPE_CHECKING:
    from mlplat.stacks.platform_spec.resolve import ResolvedPlatform
    from pulumi import automation as auto


# --------------------------------------------------------------------------- constants

INSTALL_HINT = (
    "install the Pulumi CLI with `curl -fsSL https://get.pulumi.com | sh` (or `brew install pulumi`) "
    "and make sure `pulumi` is on PATH (the installer puts it in ~/.pulumi/bin; open a new shell). "
    "`mlplat preview SPEC --env ENV` without --engine needs no Pulumi CLI: it runs offline."
)

STATE_DIR = Path(".mlplat") / "state"  # beside the spec: the default local file backend
WORKSPACE_DIR = Path(".mlplat") / "workspace"  # beside the spec: Pulumi.yaml + Pulumi.<stack>.yaml

BACKEND_SCHEMES = ("file://", "s3://", "azblob://", "gs://", "https://", "http://", "postgres://")
SECRETS_SCHEMES = ("awskms://", "hashivault://", "gcpkms://", "azurekeyvault://")
PASSPHRASE_VARS = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")

# Resources that hold data: what a profile that protects data must protect.
STATEFUL_TYPES: dict[str, str] = {
    "aws:s3/bucket:Bucket": "bucket",
    "aws:s3/bucketV2:BucketV2": "bucket",
    "aws:rds/instance:Instance": "database",
    "aws:rds/cluster:Cluster": "database",
    "aws:elasticache/replicationGroup:ReplicationGroup": "cache",
    "aws:elasticache/cluster:Cluster": "cache",
    "aws:kms/key:Key": "kms key",
    "aws:efs/fileSystem:FileSystem": "file system",
    "aws:dynamodb/table:Table": "table",
}

# Config keys whose values are credentials: stored encrypted in the stack settings.
_SECRET_KEY = re.compile(r"(secret|password|token|passphrase|accesskey)", re.IGNORECASE)

ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


class EngineFailed(MlplatError):
    """The engine ran and an operation failed (DESIGN 5: exit 1)."""

    exit_code = 1


class EngineInterrupted(MlplatError):
    """Ctrl-C (or SIGTERM) reached mlplat while the Pulumi CLI ran; the CLI was asked to cancel."""

    exit_code = 130  # as for any interrupted command (cli/main.py maps KeyboardInterrupt the same)


# --------------------------------------------------------------------------- naming


def stack_name_for(platform: str, env: str) -> str:
    """One stack per environment: `{platform}-{env}` (the prefix of every physical name)."""
    from mlplat.stacks.platform_spec.names import check_env_name

    return f"{platform}-{check_env_name(env)}"


def stack_name(resolved: ResolvedPlatform) -> str:
    return stack_name_for(resolved.name, resolved.environment)


# --------------------------------------------------------------------------- the Pulumi CLI


def missing_cli_message(what: str = "`pulumi` was not found on PATH") -> str:
    return f"the Pulumi engine needs the Pulumi CLI: {what}. To fix it, {INSTALL_HINT}"


def find_cli(which: Callable[[str], str | None] = shutil.which) -> str:
    """Path of the `pulumi` executable the Automation API will run; MlplatError (exit 2) without one."""
    path = which("pulumi")
    if not path:
        raise MlplatError(missing_cli_message())
    return path


PROBE_TIMEOUT = 30.0  # seconds for `pulumi version`; MLPLAT_PULUMI_PROBE_TIMEOUT overrides


def probe_cli(path: str, environ: Mapping[str, str] | None = None) -> str:
    """Run `pulumi version` with a bounded timeout before the Automation API runs anything:
    a broken or hanging `pulumi` on PATH is a clear exit 2, never a hang (the Automation API's
    own version check waits forever). Returns the version text."""
    import os
    import subprocess

    env = os.environ if environ is None else environ
    raw = env.get("MLPLAT_PULUMI_PROBE_TIMEOUT", "")
    try:
        timeout = float(raw) if raw else PROBE_TIMEOUT
    except ValueError:
        raise MlplatError(f"MLPLAT_PULUMI_PROBE_TIMEOUT={raw!r} is not a number of seconds") from None
    try:
        proc = subprocess.run([path, "version"], capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, check=False)  # fmt: skip
    except subprocess.TimeoutExpired:
        raise MlplatError(
            f"`{path} version` did not answer within {timeout:g} s: that `pulumi` is broken or hanging; "
            f"reinstall it: {INSTALL_HINT}"
        ) from None
    except OSError as exc:
        raise MlplatError(f"cannot run `{path}`: {exc.strerror or exc}; reinstall it: {INSTALL_HINT}") from None
    if proc.returncode != 0:
        raise MlplatError(f"`{path} version` exited {proc.returncode}; reinstall the Pulumi CLI: {INSTALL_HINT}")
    return proc.stdout.strip()


# --------------------------------------------------------------------------- state backend


@dataclass(frozen=True)
class Backend:
    url: str
    source: str  # "--backend" | "PULUMI_BACKEND_URL" | "default"
    local_dir: Path | None = None  # the directory of a file:// backend

    @property
    def is_service(self) -> bool:
        """Pulumi Cloud (or a self-hosted Pulumi service): it has its own secrets manager."""
        return self.url.startswith(("https://", "http://"))


def spec_dir(spec_path: str | Path) -> Path:
    return Path(spec_path).resolve().parent


def default_backend_url(spec_path: str | Path) -> str:
    """`file://<spec dir>/.mlplat/state`: state beside the spec, no account needed."""
    return "file://" + (spec_dir(spec_path) / STATE_DIR).as_posix()


def resolve_backend(
    spec_path: str | Path, backend: str | None = None, environ: Mapping[str, str] | None = None
) -> Backend:
    """Where state lives. Precedence: `--backend URL` > PULUMI_BACKEND_URL > the default file backend."""
    env = os.environ if environ is None else environ
    if backend:
        url, source = backend.strip(), "--backend"
    elif env.get("PULUMI_BACKEND_URL", "").strip():
        url, source = env["PULUMI_BACKEND_URL"].strip(), "PULUMI_BACKEND_URL"
    else:
        url, source = default_backend_url(spec_path), "default"
    if not url.startswith(BACKEND_SCHEMES):
        hint = f" (a local directory is written file://{url})" if "://" not in url else ""
        raise MlplatError(
            f"{source}: unsupported state backend URL {url!r}{hint}; expected one of "
            "file://DIR, s3://BUCKET, azblob://CONTAINER, gs://BUCKET, https://api.pulumi.com"
        )
    local_dir = None
    if url.startswith("file://"):
        raw, sep, query = url[len("file://"):].partition("?")
        if not raw:
            raise MlplatError(f"{source}: file:// backend URL without a directory: {url!r}")
        local_dir = Path(raw).expanduser()
        if not local_dir.is_absolute():
            local_dir = (Path.cwd() / local_dir).resolve()
        # The CLI runs in the workspace dir (LocalWorkspace passes work_dir as the cwd of every
        # command: pulumi/automation/_local_workspace.py:654, _cmd.py:234-241), so a relative
        # URL would name another directory there. Hand it the directory mlplat created; Pulumi's
        # own options (?no_tmp_dir=…) ride along untouched.
        url = "file://" + local_dir.as_posix() + sep + query
    return Backend(url, source, local_dir)


def prepare_backend(backend: Backend) -> None:
    """Create the directory of a file:// backend (Pulumi refuses a missing one)."""
    if backend.local_dir is not None:
        try:
            backend.local_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MlplatError(f"cannot create the state directory {backend.local_dir}: {exc.strerror}") from exc


# --------------------------------------------------------------------------- secrets


@dataclass(frozen=True)
class Secrets:
    provider: str | None  # for `stack init --secrets-provider`; None: the backend's own (Pulumi Cloud)
    source: str  # "--secrets-provider" | "PULUMI_CONFIG_PASSPHRASE" | "PULUMI_CONFIG_PASSPHRASE_FILE" | "service"
    # | "the stack's state" (an existing stack's own provider, read from its state)
    env: Mapping[str, str] = field(default_factory=dict)  # what the CLI needs in its environment (paths only)
    note: str | None = None


def _no_secrets_message(backend: Backend) -> str:
    return (
        "no secrets provider for the Pulumi state: mlplat will not make up a passphrase. Either "
        "export PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE=path), keep it somewhere safe "
        "and use the same one for every later run of this environment, or pass --secrets-provider with a "
        "key service: awskms://alias/NAME, hashivault://KEY, gcpkms://projects/…/cryptoKeys/KEY, "
        f"azurekeyvault://VAULT.vault.azure.net/keys/KEY (state backend: {backend.url})"
    )


def _passphrase_source(env: Mapping[str, str]) -> Secrets | None:
    """The passphrase variable Pulumi will use, as Pulumi decides it; MlplatError when it cannot work.

    Pulumi (pulumi/pulumi pkg/secrets/passphrase/manager.go@037bd642, readPassphrase) takes PULUMI_CONFIG_PASSPHRASE
    when it is set at all, even empty, and only then PULUMI_CONFIG_PASSPHRASE_FILE when that is
    set and not empty, resolving a relative file against its own working directory. mlplat
    agrees on which one counts and hands the CLI the file's absolute path.
    """
    if "PULUMI_CONFIG_PASSPHRASE" in env:
        note = None
        if env["PULUMI_CONFIG_PASSPHRASE"] == "":
            note = ("PULUMI_CONFIG_PASSPHRASE is set but empty: Pulumi uses the empty passphrase, which "
                    "does not protect the secrets in the state")
        return Secrets("passphrase", "PULUMI_CONFIG_PASSPHRASE", note=note)
    path = env.get("PULUMI_CONFIG_PASSPHRASE_FILE", "")
    if path:
        absolute = (Path.cwd() / Path(path).expanduser()).resolve()
        if not absolute.is_file():
            raise MlplatError(f"PULUMI_CONFIG_PASSPHRASE_FILE={path}: no such file ({absolute})")
        return Secrets("passphrase", "PULUMI_CONFIG_PASSPHRASE_FILE",
                       env={"PULUMI_CONFIG_PASSPHRASE_FILE": str(absolute)})
    return None


def resolve_secrets(
    secrets_provider: str | None, backend: Backend, environ: Mapping[str, str] | None = None
) -> Secrets:
    """The secrets provider of the stack, or MlplatError (exit 2) explaining how to give one."""
    env = os.environ if environ is None else environ
    if secrets_provider:
        sp = secrets_provider.strip()
        if sp == "passphrase":
            found = _passphrase_source(env)
            if found is None:
                raise MlplatError("--secrets-provider passphrase: " + _no_secrets_message(backend))
            return Secrets("passphrase", "--secrets-provider", found.env, found.note)
        if sp in ("default", "service"):
            if not backend.is_service:
                raise MlplatError(
                    f"--secrets-provider {sp}: only Pulumi Cloud has a default secrets manager; "
                    f"the backend here is {backend.url}"
                )
            return Secrets("default", "--secrets-provider")
        if sp.startswith(SECRETS_SCHEMES) and len(sp) > len(sp.split("://", 1)[0]) + 3:
            return Secrets(sp, "--secrets-provider")
        raise MlplatError(
            f"--secrets-provider: unsupported secrets provider {sp!r}; expected passphrase, "
            "awskms://…, hashivault://…, gcpkms://… or azurekeyvault://…"
        )
    found = _passphrase_source(env)
    if found is not None:
        return found
    if backend.is_service:
        # Pulumi Cloud encrypts each stack with its own key: nothing to invent, nothing to ask.
        return Secrets(None, "service")
    raise MlplatError(_no_secrets_message(backend))


def state_secrets_provider(deployment: Mapping[str, Any] | None) -> str | None:
    """The secrets provider an existing stack was created with, from its exported state.

    `deployment.secrets_providers` is {"type": "passphrase"|"cloud"|"service", "state": …}; a
    key service ("cloud") keeps its URL in the state. None when the state does not say.
    """
    sp = (deployment or {}).get("secrets_providers") or {}
    kind = sp.get("type") if isinstance(sp, Mapping) else None
    if kind == "passphrase":
        return "passphrase"
    if kind == "service":
        return "service"
    if kind == "cloud":
        url = (sp.get("state") or {}).get("url") if isinstance(sp.get("state"), Mapping) else None
        return str(url) if url else None
    return None


def stack_secrets(requested: Secrets, deployment: Mapping[str, Any] | None, stack: str) -> Secrets:
    """Which secrets provider an existing stack really uses, and a note when it is not the requested one.

    Pulumi hands `--secrets-provider` only to `stack init` (pulumi/automation/
    _local_workspace.py:446-452): an existing stack keeps its own, whatever is asked. With the
    workspace's Pulumi.<stack>.yaml absent (a fresh CI checkout: `.mlplat/` is not committed),
    PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER makes the CLI use, and write back, the one in the
    state (pulumi/pulumi tests/smoke_test.go@b981dab4 TestSecretsProvidersFallbackSmoke; CLI 3.134.0+,
    CHANGELOG #17236; inline destroy/refresh need 3.181 anyway).
    """
    actual = state_secrets_provider(deployment)
    wanted = "service" if requested.provider in (None, "default") else requested.provider
    if actual is None or actual == wanted:
        return requested
    how = {"passphrase": "a passphrase", "service": "the Pulumi Cloud per-stack key"}.get(actual, actual)
    if requested.source == "--secrets-provider":
        unused = f"; --secrets-provider {requested.provider} is not used"
    elif requested.source.startswith("PULUMI_CONFIG_PASSPHRASE"):
        unused = f"; {requested.source} is not used"
    else:
        unused = ""
    note = (f"stack {stack} keeps the secrets provider it was created with, {how}{unused} "
            "(change it on purpose with `pulumi stack change-secrets-provider`)")
    return Secrets(actual, "the stack's state", requested.env, note)


# --------------------------------------------------------------------------- project, config, tags


# Operator-side settings: who runs mlplat and from where, not what the environment is. As stack
# config they would become inputs of the providers in the state (explicit ones through
# provider_config_transformation, default ones directly), and `destroy`/`refresh`, which do not
# run the program, would reuse them on another machine. Each provider reads them from the
# environment of the CLI, which mlplat passes on: the variable to use instead.
OPERATOR_CONFIG: dict[str, str] = {
    "aws:profile": "AWS_PROFILE",
    "aws:accessKey": "AWS_ACCESS_KEY_ID",
    "aws:secretKey": "AWS_SECRET_ACCESS_KEY",
    "aws:token": "AWS_SESSION_TOKEN",
    "aws:endpoints": "AWS_ENDPOINT_URL (every service) or AWS_ENDPOINT_URL_<SERVICE> (e.g. AWS_ENDPOINT_URL_S3)",
    "aws:sharedCredentialsFiles": "AWS_SHARED_CREDENTIALS_FILE",
    "aws:sharedConfigFiles": "AWS_CONFIG_FILE",
    "kubernetes:kubeconfig": "KUBECONFIG",
}


def parse_config_items(items: Iterable[str]) -> dict[str, str]:
    """`--config KEY=VALUE` options → {key: value}; keys are `namespace:name` like Pulumi's."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not re.fullmatch(r"[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+", key):
            raise MlplatError(f"--config {item!r}: expected NAMESPACE:KEY=VALUE, e.g. aws:profile=prod")
        out[key] = value
    return out


def stack_config(resolved: ResolvedPlatform, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The stack's config, all derived from the spec (plus operator settings such as aws:profile).

    The spec is the source of truth: `--config` may add keys (credentials profile, endpoints)
    but not contradict what the spec says (the region, the kubeconfig context).
    """
    t = resolved.spec.target
    config: dict[str, str] = {}
    if t.provider == "aws":
        config["aws:region"] = getattr(t, "region", None) or "us-east-1"
    elif t.provider == "kubernetes":
        context = getattr(t, "context", None)
        if context:
            config["kubernetes:context"] = context
    for key, value in (extra or {}).items():
        if key in OPERATOR_CONFIG:
            raise MlplatError(
                f"--config {key}: operator settings are not saved in the stack (its providers would keep "
                "them in the state, and destroy/refresh would reuse them on another machine); "
                f"set {OPERATOR_CONFIG[key]} in the environment instead"
            )
        if is_secret_config(key):
            raise MlplatError(
                f"--config {key}: a secret value does not go on a command line (`ps` shows it to every "
                "user of the machine); give it to the provider through its environment variable"
            )
        if key.partition(":")[2] in ("defaultTags", "ignoreTags"):
            raise MlplatError(
                f"--config {key}: ownership tags come from the spec (metadata.labels and DESIGN 4 tags)"
            )
        if key in config and config[key] != value:
            raise MlplatError(
                f"--config {key}={value}: the spec sets {key}={config[key]} "
                f"({resolved.source}: target); change it there"
            )
        config[key] = value
    return config


def is_secret_config(key: str) -> bool:
    return bool(_SECRET_KEY.search(key.split(":", 1)[-1]))


def stack_tags(resolved: ResolvedPlatform) -> dict[str, str]:
    """Stack tags: find every mlplat stack of a platform (`pulumi stack ls --tag-filter`)."""
    spec_file = str(resolved.source)
    if len(spec_file) > 256:  # Pulumi's limit on tag values
        spec_file = Path(spec_file).name
    return {
        "mlplat:platform": resolved.name,
        "mlplat:environment": resolved.environment,
        "mlplat:profile": resolved.profile.name,
        "mlplat:spec": spec_file,
    }


def project_settings(resolved: ResolvedPlatform, backend: Backend) -> auto.ProjectSettings:
    from pulumi import automation as auto

    return auto.ProjectSettings(
        name=resolved.name,
        runtime="python",
        description=f"mlplat platform {resolved.name} (generated from {Path(resolved.source).name})",
        backend=auto.ProjectBackend(backend.url),
    )


def workspace_dir(resolved: ResolvedPlatform) -> Path:
    """A stable work dir per stack: keeps Pulumi.<stack>.yaml (secrets-provider salt) between runs."""
    return spec_dir(resolved.source) / WORKSPACE_DIR / stack_name(resolved)


def cli_env(backend: Backend, secrets: Secrets) -> dict[str, str]:
    """What every Pulumi command gets in its environment on top of the inherited one.

    Only locations and switches: the passphrase and credentials stay in the inherited
    environment (workspace options are printed in reprs: _local_workspace.py:182-188).
    """
    return {
        "PULUMI_BACKEND_URL": backend.url,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        # An existing stack's secrets manager comes from its state when Pulumi.<stack>.yaml is
        # missing (fresh checkout), instead of Pulumi falling back to asking for a passphrase.
        "PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER": "true",
        **secrets.env,
    }


def workspace_options(
    resolved: ResolvedPlatform, backend: Backend, secrets: Secrets, pulumi_command: Any = None
) -> auto.LocalWorkspaceOptions:
    """LocalWorkspace options: project settings, backend, secrets provider, the CLI to run.

    The passphrase is never copied into the options (they are printed in reprs): the Pulumi
    CLI reads it from the environment it inherits.
    """
    from pulumi import automation as auto

    return auto.LocalWorkspaceOptions(
        work_dir=str(workspace_dir(resolved)),
        project_settings=project_settings(resolved, backend),
        secrets_provider=secrets.provider,
        env_vars=cli_env(backend, secrets),
        pulumi_command=pulumi_command,
    )


# --------------------------------------------------------------------------- provider plugins

# The provider packages the program imports, by target: the plugin each needs is the one its
# wheel declares in pulumi-plugin.json (what Pulumi's own language host reads to find plugins).
PLUGIN_PACKAGES: dict[str, tuple[str, ...]] = {
    "aws": ("pulumi_aws", "pulumi_kubernetes", "pulumi_random"),
    "kubernetes": ("pulumi_kubernetes", "pulumi_random"),
}


def provider_plugins(provider: str) -> list[tuple[str, str]]:
    """[(plugin name, version)] to install before running the program for a `provider` target.

    The inline program's language server reports no required plugins
    (pulumi/automation/_server.py:44-45), so without this the CLI fetches each plugin the first
    time a resource needs it, in the middle of a preview.
    """
    import json
    from importlib import metadata

    out: list[tuple[str, str]] = []
    for package in PLUGIN_PACKAGES.get(provider, PLUGIN_PACKAGES["aws"]):
        try:
            dist = metadata.distribution(package)
        except metadata.PackageNotFoundError:
            raise MlplatError(f"the Python package {package} is not installed: pip install mlplat again") from None
        text = dist.read_text(f"{package}/pulumi-plugin.json")
        info = json.loads(text) if text else {"name": package.removeprefix("pulumi_"), "version": dist.version}
        out.append((str(info["name"]), str(info.get("version") or dist.version)))
    return out


def plugin_install_hint(name: str, version: str) -> str:
    return (
        f"install it once where the network is reachable: `pulumi plugin install resource {name} {version}` "
        f"(offline: download pulumi-resource-{name}-v{version}-<os>-<arch>.tar.gz from "
        f"https://github.com/pulumi/pulumi-{name}/releases and run "
        f"`pulumi plugin install resource {name} {version} --file THAT.tar.gz`; behind a proxy, set HTTPS_PROXY)"
    )


# --------------------------------------------------------------------------- recovery


def recovery_commands(resolved: ResolvedPlatform) -> str:
    """How to unlock a stack and clear pending operations after an interrupted update.

    A DIY backend (file, s3, gs, azblob) locks a stack with a lock file that `pulumi cancel`
    deletes (pulumi/pulumi pkg/backend/diy/lock.go@1e5fa8de, diy/backend.go CancelCurrentUpdate);
    resources whose operation was in flight stay as `pending_operations` in the state until
    they are checked and removed (Pulumi's "Recovering from an interrupted update").
    """
    import shlex

    stack = stack_name(resolved)
    ws = shlex.quote(str(workspace_dir(resolved)))
    state = shlex.quote(f"{stack}.state.json")
    return (
        "To recover, once no other run on this stack is still going (with the same passphrase or "
        "credentials in the environment):\n"
        f"  cd {ws}\n"
        f"  pulumi cancel --yes --stack {stack}    # deletes the lock the interrupted run left\n"
        f"  pulumi stack export --stack {stack} --file {state}\n"
        "  # check each entry of deployment.pending_operations in the cloud console, delete the entries\n"
        f"  pulumi stack import --stack {stack} --file {state}\n"
        "then run `mlplat refresh` and `mlplat up` again."
    )


# --------------------------------------------------------------------------- the inline program


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


# Provider arguments the program derives from the spec: stack config never overrides them.
SPEC_OWNED_PROVIDER_ARGS = frozenset({"region", "default_tags", "context", "kubeconfig"})


def pkg_of(provider_type: str) -> str:
    """`pulumi:providers:aws` → `aws`."""
    return provider_type.split(":", 2)[2]


def provider_config_transformation(config: Mapping[str, str]) -> Callable[[Any], Any]:
    """A stack transformation giving explicit providers the stack's `<pkg>:*` config.

    `build_platform` creates an explicit `aws.Provider` (to pin the region), and explicit
    providers do not read stack config: without this, `aws:profile`, `aws:endpoints` or
    `aws:skipCredentialsValidation` would be silently ignored. Config wins over the SDK's
    defaults (pulumi-aws fills skip_credentials_validation=False itself, so "unset" cannot be
    told apart), but never over what the spec decides (region, default tags, kube context).
    Provider inputs are strings (JSON for non-strings), as config values are.
    """
    by_pkg: dict[str, dict[str, str]] = {}
    for key, value in config.items():
        pkg, _, name = key.partition(":")
        by_pkg.setdefault(pkg, {})[name] = value

    def transform(args: Any) -> Any:
        import pulumi

        if not args.type_.startswith("pulumi:providers:"):
            return None
        wanted = by_pkg.get(pkg_of(args.type_))
        if not wanted:
            return None
        props = dict(args.props)
        changed = False
        for name, value in wanted.items():
            if f"{pkg_of(args.type_)}:{name}" in OPERATOR_CONFIG:
                continue  # never into the state: see OPERATOR_CONFIG
            key = _snake(name)
            if key not in props or key in SPEC_OWNED_PROVIDER_ARGS:
                continue
            props[key] = pulumi.Output.secret(value) if is_secret_config(name) else value
            changed = True
        return pulumi.ResourceTransformationResult(props, args.opts) if changed else None

    return transform


def make_program(resolved: ResolvedPlatform, config: Mapping[str, str]) -> Callable[[], None]:
    """The inline program: the same `build_platform` the offline engine runs."""

    def program() -> None:
        import pulumi
        from mlplat.stacks.plan.program import build_platform

        pulumi.runtime.register_stack_transformation(provider_config_transformation(config))
        build_platform(resolved)

    return program


__all__ = ["BACKEND_SCHEMES", "INSTALL_HINT", "OPERATOR_CONFIG", "PLUGIN_PACKAGES", "SECRETS_SCHEMES", "SPEC_OWNED_PROVIDER_ARGS", "STATEFUL_TYPES", "Backend", "EngineFailed", "EngineInterrupted", "Secrets", "cli_env", "default_backend_url", "find_cli", "is_secret_config", "make_program", "missing_cli_message", "parse_config_items", "pkg_of", "probe_cli", "plugin_install_hint", "prepare_backend", "project_settings", "provider_config_transformation", "provider_plugins", "recovery_commands", "resolve_backend", "resolve_secrets", "stack_config", "stack_name", "stack_name_for", "stack_secrets", "stack_tags", "state_secrets_provider", "workspace_dir", "workspace_options"]
