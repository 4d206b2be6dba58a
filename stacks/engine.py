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
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import MlplatError
from .plan import UNKNOWN, Plan, PlanResource

if TYPE_CHECKING:
    from pulumi import automation as auto

    from .resolve import ResolvedPlatform

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


# --------------------------------------------------------------------------- naming


def stack_name_for(platform: str, env: str) -> str:
    """One stack per environment: `{platform}-{env}` (the prefix of every physical name)."""
    return f"{platform}-{env}"


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
        raw = url[len("file://"):].split("?", 1)[0]
        if not raw:
            raise MlplatError(f"{source}: file:// backend URL without a directory: {url!r}")
        local_dir = Path(raw).expanduser()
        if not local_dir.is_absolute():
            local_dir = (Path.cwd() / local_dir).resolve()
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


def _no_secrets_message(backend: Backend) -> str:
    return (
        "no secrets provider for the Pulumi state: mlplat will not make up a passphrase. Either "
        "export PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE=path), keep it somewhere safe "
        "and use the same one for every later run of this environment, or pass --secrets-provider with a "
        "key service: awskms://alias/NAME, hashivault://KEY, gcpkms://projects/…/cryptoKeys/KEY, "
        f"azurekeyvault://VAULT.vault.azure.net/keys/KEY (state backend: {backend.url})"
    )


def _passphrase_source(env: Mapping[str, str]) -> str | None:
    """Which passphrase variable Pulumi will use; MlplatError when one is set but unusable."""
    if "PULUMI_CONFIG_PASSPHRASE" in env:
        if env["PULUMI_CONFIG_PASSPHRASE"] == "":
            raise MlplatError(
                "PULUMI_CONFIG_PASSPHRASE is set but empty: an empty passphrase does not protect the "
                "secrets in the state; set a real one or use --secrets-provider"
            )
        return "PULUMI_CONFIG_PASSPHRASE"
    path = env.get("PULUMI_CONFIG_PASSPHRASE_FILE")
    if path:
        if not Path(path).expanduser().is_file():
            raise MlplatError(f"PULUMI_CONFIG_PASSPHRASE_FILE={path}: no such file")
        return "PULUMI_CONFIG_PASSPHRASE_FILE"
    return None


def resolve_secrets(
    secrets_provider: str | None, backend: Backend, environ: Mapping[str, str] | None = None
) -> Secrets:
    """The secrets provider of the stack, or MlplatError (exit 2) explaining how to give one."""
    env = os.environ if environ is None else environ
    if secrets_provider:
        sp = secrets_provider.strip()
        if sp == "passphrase":
            source = _passphrase_source(env)
            if source is None:
                raise MlplatError("--secrets-provider passphrase: " + _no_secrets_message(backend))
            return Secrets("passphrase", "--secrets-provider")
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
    source = _passphrase_source(env)
    if source is not None:
        return Secrets("passphrase", source)
    if backend.is_service:
        # Pulumi Cloud encrypts each stack with its own key: nothing to invent, nothing to ask.
        return Secrets(None, "service")
    raise MlplatError(_no_secrets_message(backend))


# --------------------------------------------------------------------------- project, config, tags


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


def workspace_options(
    resolved: ResolvedPlatform, backend: Backend, secrets: Secrets
) -> auto.LocalWorkspaceOptions:
    """LocalWorkspace options: project settings, backend, secrets provider.

    The passphrase is never copied into the options (they are printed in reprs): the Pulumi
    CLI reads it from the environment it inherits.
    """
    from pulumi import automation as auto

    return auto.LocalWorkspaceOptions(
        work_dir=str(workspace_dir(resolved)),
        project_settings=project_settings(resolved, backend),
        secrets_provider=secrets.provider,
        env_vars={"PULUMI_BACKEND_URL": backend.url, "PULUMI_SKIP_UPDATE_CHECK": "true"},
    )


# --------------------------------------------------------------------------- the inline program


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


# Provider arguments the program derives from the spec: stack config never overrides them.
SPEC_OWNED_PROVIDER_ARGS = frozenset({"region", "default_tags", "context", "kubeconfig"})


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
        wanted = by_pkg.get(args.type_.split(":", 2)[2])
        if not wanted:
            return None
        props = dict(args.props)
        changed = False
        for name, value in wanted.items():
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

        from .program import build_platform

        pulumi.runtime.register_stack_transformation(provider_config_transformation(config))
        build_platform(resolved)

    return program


# --------------------------------------------------------------------------- targets


def engine_urn(plan: Plan, resource: PlanResource, project: str | None = None, stack: str | None = None) -> str:
    """The URN the real engine gives a resource of the offline plan.

    The engine qualifies a type with the whole chain of its parents' types, leaving out the
    root stack (`Platform$Storage$aws:s3/bucket:Bucket`), as the SDK's own `create_urn` does
    (parent URN up to its last `::`, then `$type`). The offline plan's URNs come from
    Pulumi's mock monitor, which keeps only the immediate parent's type and the root stack's:
    rebuild the URN from the parent chain rather than trusting them.
    """
    project = project or plan.platform
    stack = stack or stack_name_for(plan.platform, plan.environment)
    chain = [a.type for a in reversed(plan.ancestors(resource))] + [resource.type]
    qualified = "$".join(t for t in chain if t != ROOT_STACK_TYPE)
    return f"urn:pulumi:{stack}::{project}::{qualified}::{resource.name}"


def _component_key(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def target_urns(plan: Plan, components: Sequence[str], project: str, stack: str) -> list[str]:
    """`--target COMPONENT...` → the engine URNs of those components' resources.

    Each component brings its whole subtree, the components above it (a child cannot be
    created under a parent the engine skipped) and the providers its resources use.
    Dependencies in other components are not added: Pulumi's `--target` means "only these".
    """
    if not components:
        return []
    present = sorted({r.component for r in plan.resources if r.component})
    wanted = {_component_key(c) for c in components}
    unknown = sorted(wanted - set(present))
    if unknown:
        raise MlplatError(
            f"--target {', '.join(unknown)}: no such component in {plan.platform}-{plan.environment}; "
            f"components: {', '.join(present) or '(none)'}"
        )
    selected: dict[str, PlanResource] = {}
    for r in plan.resources:
        if r.component in wanted:
            selected[r.urn] = r
            for a in plan.ancestors(r):
                selected.setdefault(a.urn, a)
    for r in list(selected.values()):
        prov = plan.by_urn(r.provider) if r.provider else None
        if prov is not None:
            selected.setdefault(prov.urn, prov)
    return sorted(engine_urn(plan, r, project, stack) for r in selected.values())


# --------------------------------------------------------------------------- teardown safety


def physical_name(r: PlanResource) -> str | None:
    for key in ("bucket", "identifier", "replicationGroupId", "clusterId", "clusterIdentifier", "name"):
        v = r.inputs.get(key)
        if isinstance(v, str) and v and v != UNKNOWN:
            return v
    return None


def stateful_resources(plan: Plan) -> list[PlanResource]:
    return [r for r in plan.custom_resources() if r.type in STATEFUL_TYPES]


def protected_resources(plan: Plan) -> list[PlanResource]:
    """What `destroy` keeps: resources marked protect (or retain_on_delete) in the plan."""
    return [r for r in plan.custom_resources() if r.protect or r.retain_on_delete]


def short_type(type_: str) -> str:
    """`aws:s3/bucketPolicy:BucketPolicy` → `BucketPolicy` (stateful types by their kind: `bucket`)."""
    return STATEFUL_TYPES.get(type_) or type_.rsplit(":", 1)[-1]


def describe(r: PlanResource) -> str:
    kind = short_type(r.type)
    phys = physical_name(r)
    return f"{kind} {phys}" if phys and phys != r.name else f"{kind} {r.name}"


# --------------------------------------------------------------------------- what a protected destroy keeps


@dataclass(frozen=True)
class GraphNode:
    """A resource as the teardown planner sees it, from the offline plan or from the state."""

    urn: str
    type: str
    custom: bool
    protect: bool
    parent: str | None = None
    provider: str | None = None
    dependencies: tuple[str, ...] = ()

    @property
    def is_provider(self) -> bool:
        return self.type.startswith("pulumi:providers:")


def plan_nodes(plan: Plan) -> list[GraphNode]:
    return [
        GraphNode(r.urn, r.type, r.custom, r.protect, r.parent, r.provider, tuple(r.dependencies))
        for r in plan.resources
    ]


def _ref_urn(ref: str | None) -> str | None:
    """A provider reference `<urn>::<id>` → the provider's URN."""
    if not ref:
        return None
    return ref.rsplit("::", 1)[0] if ref.count("::") >= 4 else ref


def state_nodes(resources: Iterable[Mapping[str, Any]]) -> list[GraphNode]:
    """Resources of a Pulumi state (export_stack `deployment.resources`) as graph nodes."""
    out = []
    for r in resources:
        deps = list(r.get("dependencies") or [])
        if r.get("deletedWith"):
            deps.append(str(r["deletedWith"]))
        out.append(GraphNode(
            str(r.get("urn", "")), str(r.get("type", "")), bool(r.get("custom")), bool(r.get("protect")),
            r.get("parent") or None, _ref_urn(r.get("provider")), tuple(deps),
        ))
    return out


KEEP_PROTECTED = "protected"
KEEP_NEEDED = "needed by protected data"  # something protected depends on it (subnets, keys, provider)
KEEP_ATTACHED = "settings of protected data"  # depends only on kept resources (a bucket's policy, a key's alias)


def keep_set(nodes: Sequence[GraphNode]) -> dict[str, str]:
    """Which resources a destroy of a data-protecting environment keeps, and why.

    Protected resources, everything they need (dependencies, parents, providers, transitively:
    an RDS instance keeps its subnet group, subnets and VPC), and the settings attached to
    them (resources that depend on protected ones and on nothing that goes: a bucket's public
    access block, encryption and policy stay, so kept data stays locked down).
    The set is closed under "needs", so deleting everything else never deletes something a
    kept resource uses; Pulumi accepts it as a destroy target list without dependents.
    """
    by_urn = {n.urn: n for n in nodes}

    def needs(n: GraphNode) -> list[str]:
        refs = [*n.dependencies, n.parent, n.provider]
        return [u for u in refs if u and u in by_urn]

    keep: dict[str, str] = {}
    protected = [n.urn for n in nodes if n.protect]
    todo = list(protected)
    while todo:
        urn = todo.pop()
        if urn in keep:
            continue
        keep[urn] = KEEP_PROTECTED if by_urn[urn].protect else KEEP_NEEDED
        todo.extend(needs(by_urn[urn]))
    protected_set = set(protected)
    changed = True
    while changed:
        changed = False
        for n in nodes:
            if n.urn in keep or not n.custom or n.is_provider:
                continue
            if protected_set & set(n.dependencies) and all(u in keep for u in needs(n)):
                keep[n.urn] = KEEP_ATTACHED
                changed = True
    return keep


def teardown_targets(nodes: Sequence[GraphNode]) -> list[str]:
    """URNs a protected destroy deletes: everything outside the keep set (never the root stack)."""
    keep = keep_set(nodes)
    return [n.urn for n in nodes if n.urn not in keep and n.type != ROOT_STACK_TYPE]


@dataclass
class TeardownSummary:
    kept: list[str] = field(default_factory=list)  # stays in the cloud and in the state
    notes: list[str] = field(default_factory=list)  # deleted, but with something kept / caveats
    unprotected_stateful: list[str] = field(default_factory=list)  # data that will be deleted

    def lines(self) -> list[str]:
        out: list[str] = []
        if self.kept:
            out.append(f"kept ({len(self.kept)}):")
            out += [f"  {k}" for k in self.kept]
        if self.notes:
            out += [f"note: {n}" for n in self.notes]
        if self.unprotected_stateful:
            out.append(f"deleted with their data ({len(self.unprotected_stateful)}):")
            out += [f"  {k}" for k in self.unprotected_stateful]
        return out


def teardown_summary(plan: Plan, keep_protected: bool = True) -> TeardownSummary:
    """What a destroy of this environment keeps and deletes, from the offline plan.

    keep_protected: the destroy keeps protected data (mlplat's protected teardown); without
    it every resource goes, except those retained on delete.
    """
    s = TeardownSummary()
    keep = keep_set(plan_nodes(plan)) if keep_protected else {}
    for r in plan.custom_resources():
        if r.urn in keep:
            s.kept.append(f"{describe(r)} ({keep[r.urn]})")
            continue
        if r.retain_on_delete:
            s.kept.append(f"{describe(r)} (retained on delete: left in the cloud, dropped from the state)")
            continue
        if r.type == "aws:rds/instance:Instance" and r.inputs.get("skipFinalSnapshot") is not True:
            snap = r.inputs.get("finalSnapshotIdentifier")
            s.notes.append(f"{describe(r)}: deleted, a final snapshot {snap or ''} is kept".replace("  ", " "))
        elif r.type in ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2") and r.inputs.get("forceDestroy") is not True:
            s.notes.append(f"{describe(r)}: not force-destroyed; its deletion fails while it holds objects")
        elif r.type == "aws:kms/key:Key":
            days = r.inputs.get("deletionWindowInDays")
            window = f"{int(days)} days" if isinstance(days, (int, float)) else "its deletion window"
            s.notes.append(f"{describe(r)}: scheduled for deletion after {window} (recoverable until then)")
        if r.type in STATEFUL_TYPES:
            s.unprotected_stateful.append(describe(r))
    return s


def profile_protects(resolved: ResolvedPlatform) -> bool:
    return bool(resolved.profile.safety.protect_stateful)


# --------------------------------------------------------------------------- confirmation


class Confirm(Enum):
    NONE = "none"  # --yes: go ahead
    YES_NO = "yes-no"  # ask y/N
    TYPE_ENV = "type-env"  # the operator types the environment name


def confirmation(
    action: str, *, env: str, protected: bool, yes: bool, allow_protected: bool = False, interactive: bool
) -> Confirm:
    """How to confirm `action` (up, destroy, refresh), or MlplatError (exit 2) refusing it.

    Never waits for input that cannot come: without a terminal, only flags confirm.
    A destroy of an environment whose profile protects data needs the operator to type the
    environment name, or `--yes --allow-protected` together (CI).
    """
    if action == "destroy" and protected:
        if yes and allow_protected:
            return Confirm.NONE
        if yes:
            raise MlplatError(
                f"refusing to destroy {env}: its profile protects data; --yes alone is not enough. "
                "Pass --yes --allow-protected (protected resources are kept), or run interactively "
                "and type the environment name"
            )
        if not interactive:
            raise MlplatError(
                f"refusing to destroy {env} without confirmation: no terminal to ask on. "
                "Pass --yes --allow-protected (protected resources are kept)"
            )
        return Confirm.TYPE_ENV
    if yes:
        return Confirm.NONE
    if not interactive:
        raise MlplatError(f"refusing to {action} {env} without confirmation: no terminal to ask on; pass --yes")
    return Confirm.YES_NO


def is_interactive() -> bool:
    """Both ends of a conversation: input from a terminal, prompts visible on one."""
    try:
        return sys.stdin.isatty() and (sys.stderr.isatty() or sys.stdout.isatty())
    except (AttributeError, ValueError):
        return False


# --------------------------------------------------------------------------- change summaries

_OP_WORDS = {
    "create": "to create", "update": "to update", "delete": "to delete", "replace": "to replace",
    "same": "unchanged", "read": "to read", "refresh": "to refresh", "import": "to import",
}
_DONE_WORDS = {
    "create": "created", "update": "updated", "delete": "deleted", "replace": "replaced",
    "same": "unchanged", "read": "read", "refresh": "refreshed", "import": "imported",
}
_ORDER = ["create", "update", "replace", "delete", "read", "import", "refresh", "same"]


def _op_key(op: Any) -> str:
    return str(getattr(op, "value", op))


def format_changes(changes: Mapping[Any, int] | None, *, done: bool) -> str:
    """{create: 3, same: 2} → '3 to create, 2 unchanged' (or 'created' once applied)."""
    counts: dict[str, int] = {}
    for op, n in (changes or {}).items():
        key = _op_key(op)
        counts[key] = counts.get(key, 0) + int(n)
    if not any(n for k, n in counts.items() if k != "same"):
        total = counts.get("same", 0)
        return f"no changes ({total} unchanged)" if total else "no changes"
    words = _DONE_WORDS if done else _OP_WORDS
    keys = sorted(counts, key=lambda k: (_ORDER.index(k) if k in _ORDER else len(_ORDER), k))
    return ", ".join(f"{counts[k]} {words.get(k, k)}" for k in keys if counts[k])


def has_changes(changes: Mapping[Any, int] | None) -> bool:
    return any(n for op, n in (changes or {}).items() if _op_key(op) != "same")


# --------------------------------------------------------------------------- running the engine


@dataclass
class EngineOptions:
    """What a command line gives the engine besides the environment."""

    backend: str | None = None
    secrets_provider: str | None = None
    config: dict[str, str] = field(default_factory=dict)
    environ: Mapping[str, str] | None = None  # tests; default os.environ


@dataclass
class Session:
    """An opened stack and what was decided on the way."""

    resolved: ResolvedPlatform
    stack: Any  # pulumi.automation.Stack
    backend: Backend
    secrets: Secrets
    notes: list[str] = field(default_factory=list)


@dataclass
class OpResult:
    kind: str  # preview | up | destroy | refresh | preview-destroy | preview-refresh
    changes: dict[str, int]
    failures: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return format_changes(self.changes, done=not self.kind.startswith("preview"))


class Progress:
    """Streams the engine's output and collects failures from its events.

    on_output receives Pulumi's own progress lines; on_event the structured events, from
    which the resource-level errors are kept for the final message.
    """

    def __init__(self, echo: Callable[[str], None] | None = None):
        self.echo = echo or _echo_err
        self.failures: list[str] = []
        self.resource_errors: dict[str, str] = {}

    def on_output(self, line: str) -> None:
        self.echo(line.rstrip("\n"))

    def on_event(self, event: Any) -> None:
        diag = getattr(event, "diagnostic_event", None)
        if diag is not None and getattr(diag, "severity", "") == "error" and getattr(diag, "urn", None):
            msg = " ".join(str(diag.message).split())
            self.resource_errors[diag.urn] = msg[:500]
        failed = getattr(event, "res_op_failed_event", None)
        if failed is not None:
            urn = failed.metadata.urn
            op = _op_key(failed.metadata.op)
            err = self.resource_errors.get(urn, "")
            self.failures.append(f"{op} {_short_urn(urn)}" + (f": {err}" if err else ""))

    def failure_lines(self) -> list[str]:
        if self.failures:
            return self.failures
        return [f"{_short_urn(u)}: {m}" for u, m in self.resource_errors.items()]


def _echo_err(line: str) -> None:
    import click

    click.echo(line, err=True)


def _short_urn(urn: str) -> str:
    parts = urn.split("::")
    return f"{parts[-2].split('$')[-1]} {parts[-1]}" if len(parts) >= 4 else urn


def _color() -> str:
    try:
        return "always" if sys.stderr.isatty() else "never"
    except (AttributeError, ValueError):
        return "never"


def _stderr_tail(exc: Any, limit: int = 15) -> str:
    result = getattr(exc, "command_result", None)
    text = (getattr(result, "stderr", "") or "") + "\n" + (getattr(result, "stdout", "") or "")
    lines = [ln for ln in text.splitlines() if ln.strip()]
    errors = [ln.strip() for ln in lines if "error" in ln.lower()]
    picked = errors or lines
    return "\n".join(picked[-limit:]) if picked else str(exc)


@contextmanager
def engine_errors(stage: str, what: str, progress: Progress | None = None) -> Any:
    """Turn Automation API failures into mlplat errors (never a traceback).

    stage "setup": before anything changed (login, stack selection, config) → exit 2.
    stage "run": an operation failed → exit 1, naming the failed resources.
    """
    from pulumi.automation import errors as aerr

    try:
        yield
    except FileNotFoundError as exc:
        if "pulumi" in str(exc) or "pulumi" in str(getattr(exc, "filename", "") or ""):
            raise MlplatError(missing_cli_message("running `pulumi` failed (not installed)")) from None
        raise
    except subprocess.CalledProcessError as exc:  # `pulumi version` itself failed: a broken install
        raise MlplatError(
            f"the Pulumi CLI did not run (`{' '.join(map(str, exc.cmd))}` exited {exc.returncode}); "
            f"reinstall it: {INSTALL_HINT}"
        ) from None
    except aerr.InvalidVersionError as exc:
        raise MlplatError(f"unsupported Pulumi CLI version: {exc}; upgrade it: {INSTALL_HINT}") from None
    except aerr.ConcurrentUpdateError:
        raise EngineFailed(
            f"{what}: another update of this stack is in progress (or a previous one was killed); "
            "wait for it, or clear the lock with `pulumi cancel` in the workspace"
        ) from None
    except aerr.CommandError as exc:
        tail = _stderr_tail(exc)
        if "passphrase" in tail.lower():
            raise MlplatError(
                f"{what}: the secrets provider could not decrypt the stack: {tail}\n"
                "Use the passphrase (or --secrets-provider) this environment was created with."
            ) from None
        if stage == "setup":
            raise MlplatError(f"{what}: {tail}") from None
        lines = progress.failure_lines() if progress else []
        detail = "\n".join(f"  {ln}" for ln in lines) if lines else tail
        raise EngineFailed(f"{what} failed:\n{detail}") from None


def open_stack(resolved: ResolvedPlatform, options: EngineOptions | None = None) -> Session:
    """Select (or create) the environment's stack with its backend, secrets, config and tags."""
    from pulumi import automation as auto

    opts = options or EngineOptions()
    find_cli()
    backend = resolve_backend(resolved.source, opts.backend, opts.environ)
    secrets = resolve_secrets(opts.secrets_provider, backend, opts.environ)
    config = stack_config(resolved, opts.config)
    prepare_backend(backend)
    workspace_dir(resolved).mkdir(parents=True, exist_ok=True)
    name = stack_name(resolved)
    session_notes: list[str] = []
    with engine_errors("setup", f"selecting stack {name} in {backend.url}"):
        stack = auto.create_or_select_stack(
            name,
            project_name=resolved.name,
            program=make_program(resolved, config),
            opts=workspace_options(resolved, backend, secrets),
        )
        # The spec is the source of truth: drop config keys an earlier run set and this one does not.
        stale = [k for k in stack.get_all_config() if k not in config]
        if stale:
            stack.remove_all_config(stale)
        stack.set_all_config({k: auto.ConfigValue(v, secret=is_secret_config(k)) for k, v in config.items()})
    try:
        for key, value in stack_tags(resolved).items():
            stack.set_tag(key, value)
    except auto.errors.CommandError as exc:
        # DIY backends persist stack tags only from Pulumi 3.211 on: not worth failing for.
        session_notes.append(f"stack tags not set ({_stderr_tail(exc, 1)})")
    return Session(resolved, stack, backend, secrets, session_notes)


def offline_plan(resolved: ResolvedPlatform) -> Plan:
    from .offline import run_offline

    return run_offline(resolved)


def run_preview(session: Session, targets: Sequence[str] = (), progress: Progress | None = None) -> OpResult:
    p = progress or Progress()
    with engine_errors("run", f"preview of {stack_name(session.resolved)}", p):
        res = session.stack.preview(
            target=list(targets) or None, target_dependents=True if targets else None,
            on_output=p.on_output, on_event=p.on_event, color=_color(),
        )
    return OpResult("preview", _counts(res.change_summary))


def run_up(session: Session, targets: Sequence[str] = (), progress: Progress | None = None) -> OpResult:
    p = progress or Progress()
    with engine_errors("run", f"up of {stack_name(session.resolved)}", p):
        res = session.stack.up(
            target=list(targets) or None, target_dependents=True if targets else None,
            on_output=p.on_output, on_event=p.on_event, color=_color(),
        )
    return OpResult("up", _counts(res.summary.resource_changes), p.failures)


def run_preview_destroy(session: Session, targets: Sequence[str] | None = None,
                        progress: Progress | None = None) -> OpResult:
    """What a destroy would delete: everything, or only `targets` (a protected teardown)."""
    if targets is not None and not list(targets):
        return OpResult("preview-destroy", {})  # see run_destroy: never an empty target list
    p = progress or Progress()
    with engine_errors("run", f"destroy preview of {stack_name(session.resolved)}", p):
        res = session.stack.preview_destroy(
            target=list(targets) if targets is not None else None,
            on_output=p.on_output, on_event=p.on_event, color=_color(),
        )
    return OpResult("preview-destroy", _counts(res.change_summary))


def run_destroy(session: Session, targets: Sequence[str] | None = None, progress: Progress | None = None) -> OpResult:
    """Destroy everything, or only `targets` (closed under dependents: see teardown_targets)."""
    if targets is not None and not list(targets):
        # An empty --target list means "no filter" to Pulumi: that would destroy everything.
        return OpResult("destroy", {})
    p = progress or Progress()
    with engine_errors("run", f"destroy of {stack_name(session.resolved)}", p):
        res = session.stack.destroy(
            target=list(targets) if targets is not None else None,
            on_output=p.on_output, on_event=p.on_event, color=_color(),
        )
    return OpResult("destroy", _counts(res.summary.resource_changes), p.failures)


def run_preview_refresh(session: Session, progress: Progress | None = None) -> OpResult:
    p = progress or Progress()
    with engine_errors("run", f"refresh preview of {stack_name(session.resolved)}", p):
        res = session.stack.preview_refresh(on_output=p.on_output, on_event=p.on_event, color=_color())
    return OpResult("preview-refresh", _counts(res.change_summary))


def run_refresh(session: Session, progress: Progress | None = None) -> OpResult:
    p = progress or Progress()
    with engine_errors("run", f"refresh of {stack_name(session.resolved)}", p):
        res = session.stack.refresh(on_output=p.on_output, on_event=p.on_event, color=_color())
    return OpResult("refresh", _counts(res.summary.resource_changes), p.failures)


def state_resources(session: Session) -> list[dict[str, Any]]:
    """Every resource in the stack's state (export_stack)."""
    with engine_errors("run", f"reading the state of {stack_name(session.resolved)}"):
        deployment = session.stack.export_stack()
    resources = (getattr(deployment, "deployment", None) or {}).get("resources") or []
    return [r for r in resources if isinstance(r, dict)]


def remaining_resources(session: Session) -> list[dict[str, Any]]:
    """Custom resources still in the state (after a destroy that kept protected data)."""
    return [
        r for r in state_resources(session)
        if r.get("custom") and not str(r.get("type", "")).startswith("pulumi:providers:")
    ]


def _counts(changes: Mapping[Any, int] | None) -> dict[str, int]:
    out: dict[str, int] = {}
    for op, n in (changes or {}).items():
        out[_op_key(op)] = out.get(_op_key(op), 0) + int(n)
    return out


# --------------------------------------------------------------------------- after a destroy


@dataclass(frozen=True)
class Leftover:
    label: str  # what to show: "s3 bucket demo-dev-artifacts"
    identifier: str  # the name or id, comparable with a state resource's id


@dataclass
class LeftoverReport:
    checked: bool
    resources: list[Leftover] = field(default_factory=list)
    note: str | None = None

    def unexpected(self, kept_ids: Iterable[str] = ()) -> list[Leftover]:
        """Leftovers other than the resources the destroy kept on purpose (protected)."""
        kept = {k for k in kept_ids if k}
        return [r for r in self.resources if r.identifier not in kept]


def _default_finder() -> Callable[..., Any] | None:
    import importlib

    for module in ("mlplat.stacks.live_aws", "mlplat.stacks.drift"):
        try:
            finder = getattr(importlib.import_module(module), "find_tagged", None)
        except ImportError:
            continue
        if finder is not None:
            return finder  # type: ignore[no-any-return]
    return None


def find_leftovers(resolved: ResolvedPlatform, finder: Callable[..., Any] | None = None) -> LeftoverReport:
    """Cloud resources still carrying the environment's ownership tags (DESIGN 4), via the drift engine.

    Degrades to a note when there is no finder, the target is not aws, or AWS credentials or
    the endpoint are missing: the destroy itself has already succeeded by then.
    """
    if resolved.provider != "aws":
        return LeftoverReport(False, note="leftover check skipped: only aws targets are scanned for ownership tags")
    finder = finder or _default_finder()
    if finder is None:
        return LeftoverReport(False, note="leftover check skipped: the drift engine (find_tagged) is not available")
    region = getattr(resolved.spec.target, "region", None) or "us-east-1"
    try:
        found = finder(resolved.name, resolved.environment, region)
    except MlplatError as exc:  # live_aws.AwsAccessError: no credentials, endpoint unreachable, denied
        return LeftoverReport(False, note=f"leftover check skipped: {exc}")
    except Exception as exc:  # noqa: BLE001 - a finder without error translation: still only a note
        kind = type(exc).__name__
        if "Credential" in kind or "Endpoint" in kind or "credentials" in str(exc).lower():
            why = "no usable AWS credentials (configure them, or AWS_ENDPOINT_URL for an emulator)"
        else:
            why = f"{kind}: {exc}"
        return LeftoverReport(False, note=f"leftover check skipped: {why}")
    return LeftoverReport(True, sorted((_leftover(x) for x in found or []), key=lambda x: x.label))


def _leftover(item: Any) -> Leftover:
    if isinstance(item, str):
        return Leftover(item, item)
    get = item.get if isinstance(item, Mapping) else (lambda k, d=None: getattr(item, k, d))
    ident = str(get("identifier") or get("id") or get("name") or get("arn") or item)
    kind = " ".join(str(x) for x in (get("service"), get("resource_type")) if x)
    return Leftover(f"{kind} {ident}".strip(), ident)


# --------------------------------------------------------------------------- preview --engine pulumi


def engine_preview(
    resolved: ResolvedPlatform,
    backend: str | None = None,
    targets: Sequence[str] | None = None,
    *,
    secrets_provider: str | None = None,
    config: Mapping[str, str] | None = None,
    echo: Callable[[str], None] | None = None,
) -> OpResult:
    """`mlplat preview --engine pulumi`: a real `pulumi preview`, streamed, with a change summary."""
    out = echo or _echo_err
    opts = EngineOptions(backend=backend, secrets_provider=secrets_provider, config=dict(config or {}))
    find_cli()
    urns: list[str] = []
    if targets:
        urns = target_urns(offline_plan(resolved), targets, resolved.name, stack_name(resolved))
    session = open_stack(resolved, opts)
    for n in session.notes:
        out(f"note: {n}")
    out(f"previewing {stack_name(session.resolved)} (state: {session.backend.url})")
    result = run_preview(session, urns, Progress(out))
    import click

    click.echo(f"preview {stack_name(resolved)}: {result.summary}")
    return result


__all__ = [
    "BACKEND_SCHEMES", "INSTALL_HINT", "SECRETS_SCHEMES", "SPEC_OWNED_PROVIDER_ARGS", "STATEFUL_TYPES",
    "Backend", "Confirm", "EngineFailed", "EngineOptions", "GraphNode", "Leftover", "LeftoverReport",
    "OpResult", "Progress", "Secrets", "Session", "TeardownSummary", "confirmation", "default_backend_url",
    "engine_preview", "engine_urn", "find_cli", "find_leftovers", "format_changes", "has_changes",
    "is_interactive", "keep_set", "make_program", "missing_cli_message", "offline_plan", "open_stack",
    "parse_config_items", "plan_nodes", "prepare_backend", "profile_protects", "project_settings",
    "protected_resources", "provider_config_transformation", "remaining_resources", "resolve_backend",
    "resolve_secrets", "run_destroy", "run_preview", "run_preview_destroy", "run_preview_refresh",
    "run_refresh", "run_up", "short_type", "stack_config", "stack_name", "stack_name_for", "stack_tags",
    "state_nodes", "state_resources", "stateful_resources", "target_urns", "teardown_summary",
    "teardown_targets", "workspace_dir", "workspace_options",
]  # fmt: skip
