"""up, destroy, refresh: the Pulumi engine lifecycle of one environment.

Thin: parse options, decide how to confirm (mlplat.stacks.engine.decisions.confirmation), stream the
engine's progress to stderr, print the change summary on stdout. Every engine call goes
through the `engine` module attribute so tests can replace the Pulumi boundary.
Exit codes (DESIGN 5): 0 ok, 1 the engine failed, 2 user error / refused / aborted.
"""

from __future__ import annotations

from typing import Any

import click

from .options import SPEC_ARG, env_option

ENV_OPTION = env_option("Environment to deploy (e.g. dev, prod).")
DESTROY_ENV_OPTION = env_option("Environment to tear down (e.g. dev); prod asks you to type its name.")
REFRESH_ENV_OPTION = env_option("Environment whose state to refresh from the cloud (e.g. prod).")
BACKEND_OPTION = click.option(
    "--backend", default=None, metavar="URL",
    help="Pulumi state backend: file://DIR, s3://BUCKET, azblob://…, gs://…, https://api.pulumi.com. "
    "Default: PULUMI_BACKEND_URL, else file://<spec dir>/.mlplat/state.",
)
SECRETS_OPTION = click.option(
    "--secrets-provider", "secrets_provider", default=None, metavar="URL",
    help="awskms://…, hashivault://…, gcpkms://…, azurekeyvault://… "
    "Default: the passphrase in PULUMI_CONFIG_PASSPHRASE (required then).",
)
CONFIG_OPTION = click.option(
    "--config", "-c", "config_items", multiple=True, metavar="NS:KEY=VALUE",
    help="Extra stack config, saved in the stack (e.g. aws:skipCredentialsValidation=true); repeatable. "
    "Credentials, profile and endpoints come from the environment: AWS_PROFILE, AWS_ENDPOINT_URL_<SERVICE>.",
)
YES_OPTION = click.option("--yes", "-y", is_flag=True, help="Do not ask (CI). Without a terminal, required.")


def leftover_finder() -> Any:
    """The live reader that lists what still carries an environment's ownership tags (drift's AWS reader)."""
    from mlplat.stacks.drift.live_aws import find_tagged

    return find_tagged


def _engine() -> Any:
    from mlplat.stacks import engine

    return engine


def _prepare(spec: str, env: str, backend: str | None, secrets_provider: str | None,
             config_items: tuple[str, ...]) -> tuple[Any, Any]:
    """Load the environment and check everything that needs no engine run (fail fast, exit 2)."""
    from mlplat.stacks.platform_spec.resolve import load_platform

    eng = _engine()
    resolved = load_platform(spec, env)
    if resolved.provider == "compose":
        import shlex

        from mlplat.stacks.errors import MlplatError

        raise MlplatError(f"{env} runs on the compose target: there is no Pulumi stack to drive; run "
                          f"`mlplat render {shlex.quote(spec)} --env {env} --out DIR`, then `docker compose up -d` in DIR")
    opts = eng.EngineOptions(backend=backend, secrets_provider=secrets_provider,
                             config=eng.parse_config_items(config_items))
    eng.find_cli()
    chosen = eng.resolve_backend(resolved.source, opts.backend, opts.environ)
    eng.resolve_secrets(opts.secrets_provider, chosen, opts.environ)
    eng.stack_config(resolved, opts.config)
    return resolved, opts


def reach_check(resolved: Any) -> Any:
    """The endpoint reachability verdict for this machine (tests replace this boundary)."""
    from mlplat.stacks.engine import reachability

    return reachability.check(resolved)


def _check_reach(resolved: Any) -> None:
    verdict = reach_check(resolved)
    if verdict is None:
        return
    if verdict.verdict == "fail":
        from mlplat.stacks.errors import MlplatError

        raise MlplatError(f"cannot reach the Kubernetes API of {resolved.prefix}: {verdict}\n"
                          "(--skip-reach-check to try anyway)")
    _info(f"{'warning: ' if verdict.verdict == 'warn' else ''}API endpoint: {verdict.message}")


def _info(msg: str) -> None:
    click.echo(msg, err=True)


def _ask(mode: Any, action: str, stack: str, env: str) -> None:
    """Ask on the terminal; anything but a clear yes aborts with exit 2 and nothing changed."""
    eng = _engine()
    if mode is eng.Confirm.NONE:
        return
    if mode is eng.Confirm.TYPE_ENV:
        try:
            typed = click.prompt(f"Type the environment name ({env}) to {action} {stack}", default="",
                                 show_default=False, err=True)
        except click.Abort:
            typed = ""
        if typed.strip() != env:
            from mlplat.stacks.errors import MlplatError

            raise MlplatError(f"aborted: {typed.strip()!r} is not {env!r}; nothing was changed")
        return
    try:
        ok = click.confirm(f"Do you want to {action} {stack}?", default=False, err=True)
    except click.Abort:
        ok = False
    if not ok:
        from mlplat.stacks.errors import MlplatError

        raise MlplatError("aborted: nothing was changed")


def _open(resolved: Any, opts: Any) -> Any:
    eng = _engine()
    session = eng.open_stack(resolved, opts)
    for note in session.notes:
        _info(f"note: {note}")
    secrets = session.secrets
    _info(f"stack {eng.stack_name(resolved)} · state {session.backend.url} · "
          f"secrets {secrets.provider or 'service'} ({secrets.source})")
    return session


@click.command()
@SPEC_ARG
@ENV_OPTION
@YES_OPTION
@click.option("--target", "targets", multiple=True, metavar="COMPONENT",
              help="Only this component (storage, cluster, tracking…) and what depends on it; repeatable.")
@click.option("--skip-reach-check", is_flag=True,
              help="Do not check first that this machine can reach the cluster's API endpoint.")
@BACKEND_OPTION
@SECRETS_OPTION
@CONFIG_OPTION
def up(spec: str, env: str, yes: bool, targets: tuple[str, ...], skip_reach_check: bool, backend: str | None,
       secrets_provider: str | None, config_items: tuple[str, ...]) -> None:
    """Create or update an environment with the Pulumi engine.

    Checks first (in seconds) that this machine can reach the cluster's API endpoint as the
    spec describes it (public CIDRs, or inside the VPC), and stops with the fix if not.
    Shows the preview and asks before applying, unless --yes. State lives beside the spec
    (.mlplat/state) unless --backend or PULUMI_BACKEND_URL says otherwise; secrets are
    encrypted with PULUMI_CONFIG_PASSPHRASE or --secrets-provider.

    \b
    Example:
        export PULUMI_CONFIG_PASSPHRASE=…
        mlplat up platform.yaml --env dev
        mlplat up platform.yaml --env prod --yes --backend s3://acme-pulumi-state
    """
    eng = _engine()
    resolved, opts = _prepare(spec, env, backend, secrets_provider, config_items)
    if not skip_reach_check:
        _check_reach(resolved)
    stack = eng.stack_name(resolved)
    mode = eng.confirmation("up", env=env, protected=eng.profile_protects(resolved), yes=yes,
                            interactive=eng.is_interactive())
    urns: list[str] = []
    if targets:
        urns = eng.target_urns(eng.offline_plan(resolved), targets, resolved.name, stack)
        _info(f"target {', '.join(targets)}: {len(urns)} resources (and their dependents)")
    session = _open(resolved, opts)
    progress = eng.Progress(_info)
    if mode is not eng.Confirm.NONE:
        preview = eng.run_preview(session, urns, progress)
        click.echo(f"preview {stack}: {preview.summary}")
        if not eng.has_changes(preview.changes):
            click.echo(f"{stack} is up to date")
            return
        _ask(mode, "apply these changes to", stack, env)
    result = eng.run_up(session, urns, progress)
    click.echo(f"up {stack}: {result.summary}")


@click.command()
@SPEC_ARG
@DESTROY_ENV_OPTION
@YES_OPTION
@click.option("--allow-protected", is_flag=True,
              help="With --yes: destroy an environment whose profile protects data (protected resources are kept).")
@BACKEND_OPTION
@SECRETS_OPTION
@CONFIG_OPTION
def destroy(spec: str, env: str, yes: bool, allow_protected: bool, backend: str | None,
            secrets_provider: str | None, config_items: tuple[str, ...]) -> None:
    """Tear an environment down with the Pulumi engine.

    Where the profile protects data (prod), buckets, databases, caches and KMS keys are
    protected: they are kept (in the cloud and in the state) with what they need and their
    own settings, and everything else is deleted; you confirm by typing the environment
    name, or pass --yes --allow-protected in CI.
    Dev environments are torn down completely, except what the stack's state itself protects
    (an earlier profile, `pulumi state protect`): that stays, as in prod. Afterwards, any
    resource still carrying the environment's ownership tags is reported.

    \b
    Example:
        mlplat destroy platform.yaml --env dev --yes
        mlplat destroy platform.yaml --env prod            # asks you to type "prod"
    """
    eng = _engine()
    resolved, opts = _prepare(spec, env, backend, secrets_provider, config_items)
    stack = eng.stack_name(resolved)
    protected = eng.profile_protects(resolved)
    mode = eng.confirmation("destroy", env=env, protected=protected, yes=yes, allow_protected=allow_protected,
                            interactive=eng.is_interactive())
    session = _open(resolved, opts)
    # Protection is read from the state, not the profile: Pulumi refuses to delete what the state
    # protects (an earlier profile, `pulumi state protect`), and a full destroy would stop half-way.
    state = eng.state_resources(session)
    # Described for the account the state lives in: bucket names end in it.
    plan = eng.offline_plan(resolved, eng.deployed_account(state))
    teardown = eng.teardown_plan(state, protected)
    deployed = any(r.get("custom") for r in state)
    summary = eng.teardown_summary(plan, keep_protected=protected, state_keep=teardown.keep if deployed else None)
    if protected:
        _info(f"{stack}: profile {resolved.profile.name} protects data. Protected resources stay, in the cloud "
              "and in the stack's state, with what they need (network, keys) and their own settings; "
              "everything else is deleted.")
    elif teardown.keeps_data:
        _info(f"{stack}: profile {resolved.profile.name} does not protect data, but the stack's state holds "
              f"{len(teardown.protected)} protected resources (protected by an earlier profile or by hand): "
              "they stay, with what they need and their own settings; everything else is deleted.")
    else:
        _info(f"{stack}: profile {resolved.profile.name}: every resource of the environment is deleted.")
    for line in summary.lines():
        _info(line)
    if protected and summary.unprotected_stateful:
        _info(f"warning: profile {resolved.profile.name} protects data, but these stateful resources are "
              f"not protected and will be deleted: {', '.join(summary.unprotected_stateful)}")
    targets = teardown.targets  # None: everything
    if targets == []:
        click.echo(f"nothing to destroy in {stack}: only protected data and what it needs remain")
    else:
        progress = eng.Progress(_info)
        if mode is not eng.Confirm.NONE:
            preview = eng.run_preview_destroy(session, targets, progress)
            click.echo(f"destroy preview {stack}: {preview.summary}")
            if not eng.has_changes(preview.changes):
                click.echo(f"nothing to destroy in {stack}")
                return
            _ask(mode, "destroy", stack, env)
        result = eng.run_destroy(session, targets, progress)
        click.echo(f"destroy {stack}: {result.summary}")
    remaining = eng.remaining_resources(session)
    kept_ids: set[str] = set()
    if remaining:
        click.echo(f"kept in {stack} ({len(remaining)}):")
        for r in remaining:
            rid = str(r.get("id") or "")
            kept_ids.add(rid)
            why = "protected" if r.get("protect") else "kept for protected data"
            click.echo(f"  {eng.short_type(str(r.get('type')))} {rid or r.get('urn')} ({why})")
        _info("To delete protected data on purpose, unprotect it first (cd "
              f"{eng.workspace_dir(resolved)} && pulumi state unprotect --stack {stack} URN), then destroy again.")
    report = eng.find_leftovers(resolved, leftover_finder())
    if not report.checked:
        _info(report.note or "leftover check skipped")
        return
    unexpected = report.unexpected(kept_ids)
    if unexpected:
        click.echo(f"warning: {len(unexpected)} resources still carry the ownership tags of {stack} "
                   "(mlplat:platform / mlplat:environment):")
        for x in unexpected:
            click.echo(f"  {x.label}")
        _info("The tagging API can lag a few minutes behind deletions; check again with `mlplat drift`.")
    else:
        click.echo(f"no other resource carries the ownership tags of {stack}")


@click.command()
@SPEC_ARG
@REFRESH_ENV_OPTION
@YES_OPTION
@BACKEND_OPTION
@SECRETS_OPTION
@CONFIG_OPTION
def refresh(spec: str, env: str, yes: bool, backend: str | None, secrets_provider: str | None,
            config_items: tuple[str, ...]) -> None:
    """Bring the stack's state in line with the cloud (changes the state, never the cloud).

    Shows what the refresh would change and asks, unless --yes.

    \b
    Example:
        mlplat refresh platform.yaml --env staging --yes
    """
    eng = _engine()
    resolved, opts = _prepare(spec, env, backend, secrets_provider, config_items)
    stack = eng.stack_name(resolved)
    mode = eng.confirmation("refresh", env=env, protected=False, yes=yes, interactive=eng.is_interactive())
    session = _open(resolved, opts)
    progress = eng.Progress(_info)
    if mode is not eng.Confirm.NONE:
        preview = eng.run_preview_refresh(session, progress)
        click.echo(f"refresh preview {stack}: {preview.summary}")
        if not eng.has_changes(preview.changes):
            click.echo(f"the state of {stack} matches the cloud")
            return
        _ask(mode, "update the state of", stack, env)
    result = eng.run_refresh(session, progress)
    click.echo(f"refresh {stack}: {result.summary}")
