"""The Automation API driver: open a stack, run preview/up/destroy/refresh with progress, map engine errors."""


from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlplat.stacks.engine.decisions import _op_key, format_changes, target_urns
from mlplat.stacks.engine.settings import (
    INSTALL_HINT,
    Backend,
    EngineFailed,
    EngineInterrupted,
    Secrets,
    find_cli,
    probe_cli,
    is_secret_config,
    make_program,
    missing_cli_message,
    plugin_install_hint,
    prepare_backend,
    provider_plugins,
    recovery_commands,
    resolve_backend,
    resolve_secrets,
    stack_config,
    stack_name,
    stack_secrets,
    stack_tags,
    workspace_dir,
    workspace_options,
)
from mlplat.stacks.errors import MlplatError
from mlplat.stacks.plan.model import Plan

if TYPE_CHECKING:

    from mlplat.stacks.platform_spec.resolve import ResolvedPlatform



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


def _from_automation(exc: BaseException) -> bool:
    """Was `exc` raised inside pulumi.automation (not by mlplat's own code)?"""
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb.tb_frame.f_code.co_filename
        tb = tb.tb_next
    return bool(last) and f"pulumi{os.sep}automation{os.sep}" in str(last)


@contextmanager
def engine_errors(stage: str, what: str, progress: Progress | None = None,
                  resolved: ResolvedPlatform | None = None) -> Any:
    """Turn Automation API failures into mlplat errors (never a traceback).

    stage "setup": before anything changed (login, stack selection, config) → exit 2.
    stage "run" (changes the stack) / "preview" (does not): an operation failed → exit 1,
    naming the failed resources. An interrupt → exit 130 with the way back for a "run".
    `resolved` names the stack in the recovery commands of a locked or interrupted stack.
    """
    from pulumi.automation import errors as aerr

    recovery = ("\n" + recovery_commands(resolved)) if resolved is not None else ""
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
    except EngineInterrupted as exc:
        if stage == "run":
            raise EngineInterrupted(f"{what}: interrupted; {exc}. Resources whose operation was in flight "
                                    f"may be left as pending operations in the state.{recovery}") from None
        raise EngineInterrupted(f"{what}: interrupted; {exc}. Nothing was changed; if the next run finds "
                                f"the stack locked, see below.{recovery}") from None
    except aerr.ConcurrentUpdateError as exc:
        raise EngineFailed(
            f"{what}: another update of this stack is in progress, or an earlier one was interrupted and "
            f"left its lock ({_stderr_tail(exc, 3)}). Wait for a run that is still going.{recovery}"
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
    except RuntimeError as exc:
        # Stack.preview/preview_refresh/preview_destroy raise a bare RuntimeError when the CLI
        # exited 0 without a summary event (pulumi/automation/_stack.py:597-598, 839-840,
        # 1110-1111): the CLI and this SDK disagree about the event stream.
        if "summary event never found" not in str(exc):
            raise
        raise MlplatError(
            f"{what}: the Pulumi CLI finished without reporting its change summary to the Automation API "
            "(no summary event in its event log). The CLI and the pulumi Python package disagree about the "
            f"event stream: upgrade both (`pulumi version`; pip install -U pulumi). {INSTALL_HINT}"
        ) from None
    except AssertionError as exc:
        # up/refresh/destroy then read `stack history`; an empty one fails an `assert summary is not
        # None` in the SDK (_stack.py:448, 746, 1009): the run ended, but its result is unknown.
        if not _from_automation(exc):
            raise
        raise EngineFailed(
            f"{what}: the Pulumi CLI finished but the stack has no update history to report; "
            "check the stack with `pulumi stack history` in the workspace"
        ) from None


def open_stack(resolved: ResolvedPlatform, options: EngineOptions | None = None,
               notice: Callable[[str], None] | None = None) -> Session:
    """Select (or create) the environment's stack with its backend, secrets, config, tags and plugins.

    `notice` receives what mlplat says while the CLI runs (an interrupt being forwarded).
    """
    from mlplat.stacks.engine.process import ForwardingCommand
    from pulumi import automation as auto

    if resolved.provider == "compose":
        raise MlplatError(f"{resolved.environment} runs on the compose target: there is no Pulumi stack; run "
                          "`mlplat render SPEC --env ENV --out DIR` and `docker compose up -d` in DIR")
    opts = options or EngineOptions()
    probe_cli(find_cli(), opts.environ)
    backend = resolve_backend(resolved.source, opts.backend, opts.environ)
    secrets = resolve_secrets(opts.secrets_provider, backend, opts.environ)
    config = stack_config(resolved, opts.config)
    prepare_backend(backend)
    workspace_dir(resolved).mkdir(parents=True, exist_ok=True)
    name = stack_name(resolved)
    session_notes: list[str] = [secrets.note] if secrets.note else []
    with engine_errors("setup", f"selecting stack {name} in {backend.url}"):
        # LocalWorkspace and Stack.select/create are what create_or_select_stack does
        # (_local_workspace.py:926-954, _stack.py:260-264); doing it here tells an existing stack
        # (whose own secrets provider counts) from a new one.
        command = ForwardingCommand(notice=notice or _echo_err,
                                    skip_version_check=_skip_version_check(opts.environ))
        ws_opts = workspace_options(resolved, backend, secrets, command)
        ws_opts.program = make_program(resolved, config)
        workspace = auto.LocalWorkspace(**vars(ws_opts))
    _install_plugins(workspace, resolved)
    with engine_errors("setup", f"selecting stack {name} in {backend.url}"):
        try:
            stack = auto.Stack.select(name, workspace)
            existing = True
        except auto.StackNotFoundError:
            stack = auto.Stack.create(name, workspace)
            existing = False
        if existing:
            deployment = (getattr(stack.export_stack(), "deployment", None) or {})
            secrets = stack_secrets(secrets, deployment, name)
            if secrets.note and secrets.note not in session_notes:
                session_notes.append(secrets.note)
        # The spec is the source of truth: drop config keys an earlier run set and this one does not.
        stale = [k for k in stack.get_all_config() if k not in config]
        if stale:
            stack.remove_all_config(stale)
        # Only plain values reach `config set-all`, whose values are command-line arguments
        # (_local_workspace.py:350-361) that `ps` shows: stack_config refuses secret ones.
        stack.set_all_config({k: auto.ConfigValue(v, secret=is_secret_config(k)) for k, v in config.items()})
    try:
        for key, value in stack_tags(resolved).items():
            stack.set_tag(key, value)
    except auto.errors.CommandError as exc:
        # DIY backends persist stack tags only from Pulumi 3.211 on: not worth failing for.
        session_notes.append(f"stack tags not set ({_stderr_tail(exc, 1)})")
    return Session(resolved, stack, backend, secrets, session_notes)


def _skip_version_check(environ: Mapping[str, str] | None) -> bool:
    # As LocalWorkspace._version_check_opt_out (_local_workspace.py:626-630).
    env = os.environ if environ is None else environ
    return env.get("PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK") is not None


def _install_plugins(workspace: Any, resolved: ResolvedPlatform) -> None:
    """Install the provider plugins the program needs, at the installed SDKs' versions, up front.

    Otherwise the CLI downloads each the first time a resource needs it, mid-preview, and a
    missing network turns into an engine failure half-way. `pulumi plugin install` does nothing
    when the version is already installed (`--reinstall` forces it).
    """
    from pulumi.automation import errors as aerr

    for name, version in provider_plugins(resolved.provider):
        with engine_errors("setup", f"installing the {name} {version} resource plugin"):
            try:
                workspace.install_plugin(name, version)  # `pulumi plugin install resource NAME VERSION`
            except aerr.CommandError as exc:
                raise MlplatError(
                    f"the Pulumi CLI could not install the {name} {version} resource plugin the program "
                    f"needs ({_stderr_tail(exc, 3)}); {plugin_install_hint(name, version)}"
                ) from None


def offline_plan(resolved: ResolvedPlatform, account_id: str | None = None) -> Plan:
    """The offline plan; `account_id`: the account it is for (default: the offline example account)."""
    from mlplat.stacks.plan.offline import run_offline

    return run_offline(resolved, account_id)


def run_preview(session: Session, targets: Sequence[str] = (), progress: Progress | None = None) -> OpResult:
    p = progress or Progress()
    with engine_errors("preview", f"preview of {stack_name(session.resolved)}", p, session.resolved):
        res = session.stack.preview(
            target=list(targets) or None, target_dependents=True if targets else None,
            on_output=p.on_output, on_event=p.on_event, color=_color(),
        )
    return OpResult("preview", _counts(res.change_summary))


def run_up(session: Session, targets: Sequence[str] = (), progress: Progress | None = None) -> OpResult:
    p = progress or Progress()
    with engine_errors("run", f"up of {stack_name(session.resolved)}", p, session.resolved):
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
    with engine_errors("preview", f"destroy preview of {stack_name(session.resolved)}", p, session.resolved):
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
    with engine_errors("run", f"destroy of {stack_name(session.resolved)}", p, session.resolved):
        res = session.stack.destroy(
            target=list(targets) if targets is not None else None,
            on_output=p.on_output, on_event=p.on_event, color=_color(),
        )
    return OpResult("destroy", _counts(res.summary.resource_changes), p.failures)


def run_preview_refresh(session: Session, progress: Progress | None = None) -> OpResult:
    p = progress or Progress()
    with engine_errors("preview", f"refresh preview of {stack_name(session.resolved)}", p, session.resolved):
        res = session.stack.preview_refresh(on_output=p.on_output, on_event=p.on_event, color=_color())
    return OpResult("preview-refresh", _counts(res.change_summary))


def run_refresh(session: Session, progress: Progress | None = None) -> OpResult:
    p = progress or Progress()
    with engine_errors("run", f"refresh of {stack_name(session.resolved)}", p, session.resolved):
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


def find_leftovers(resolved: ResolvedPlatform, finder: Callable[..., Any] | None = None) -> LeftoverReport:
    """Cloud resources still carrying the environment's ownership tags (DESIGN 4), read by `finder`.

    Degrades to a note when there is no finder, the target is not aws, or AWS credentials or
    the endpoint are missing: the destroy itself has already succeeded by then.
    """
    if resolved.provider != "aws":
        return LeftoverReport(False, note="leftover check skipped: only aws targets are scanned for ownership tags")
    if finder is None:
        return LeftoverReport(False, note="leftover check skipped: no live reader was given")
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


__all__ = ["EngineOptions", "Leftover", "LeftoverReport", "OpResult", "Progress", "Session", "engine_errors", "engine_preview", "find_leftovers", "offline_plan", "open_stack", "remaining_resources", "run_destroy", "run_preview", "run_preview_destroy", "run_preview_refresh", "run_refresh", "run_up", "state_resources"]
