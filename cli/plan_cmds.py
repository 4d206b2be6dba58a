"""preview, render, graph: commands over the plan of one environment."""

from __future__ import annotations

import click

from .options import ACCOUNT_OPTION, ENV_OPTION, SPEC_ARG, writable_path


@click.command()
@SPEC_ARG
@ENV_OPTION
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--out", "out", type=click.Path(dir_okay=False), callback=writable_path, help="Also write the plan JSON to this file.")
@click.option("--engine", type=click.Choice(["offline", "pulumi"]), default="offline", show_default=True,
              help="offline: no cloud, no Pulumi CLI. pulumi: a real `pulumi preview` via the Automation API.")
@click.option("--backend", default=None, help="Pulumi state backend URL (engine pulumi).")
@click.option("--target", "targets", multiple=True, help="Limit to a component (engine pulumi).")
@click.option("--secrets-provider", "secrets_provider", default=None, metavar="URL",
              help="Secrets provider for the stack (engine pulumi); default: PULUMI_CONFIG_PASSPHRASE.")
@click.option("--config", "-c", "config_items", multiple=True, metavar="NS:KEY=VALUE",
              help="Extra stack config (engine pulumi); repeatable.")
@ACCOUNT_OPTION
def preview(spec: str, env: str, fmt: str, out: str | None, engine: str, backend: str | None,
            targets: tuple[str, ...], secrets_provider: str | None, config_items: tuple[str, ...],
            account_id: str | None) -> None:
    """Show the plan: every resource the environment would create, grouped by component.

    The offline engine (default) runs the Pulumi program in-process under mocks: values
    known only after apply show as <unknown>, secrets as <secret>. On aws, bucket names end
    in the account ID: 123456789012 offline unless --account-id names yours.

    \b
    Example:
        mlplat preview platform.yaml --env dev
        mlplat preview platform.yaml --env prod --format json --out plan.json
        mlplat preview platform.yaml --env prod --account-id 210987654321
    """
    from mlplat.stacks.platform_spec.resolve import load_platform

    resolved = load_platform(spec, env)
    if engine == "pulumi":
        from mlplat.stacks.engine.driver import engine_preview
        from mlplat.stacks.engine.settings import parse_config_items

        result = engine_preview(resolved, backend=backend, targets=list(targets), secrets_provider=secrets_provider,
                                config=parse_config_items(config_items))
        if result.failures:
            raise SystemExit(1)
        return
    from mlplat.stacks.plan.offline import run_offline

    from .output import echo_json, progress_status

    with progress_status(f"expanding {resolved.prefix} offline…"):
        plan = run_offline(resolved, account_id)
    if out:
        from mlplat.stacks.safe_io import write_file

        write_file(out, plan.to_json() + "\n")
    if fmt == "json":
        echo_json(plan.to_dict())
        return
    from mlplat.stacks.plan.table import plan_table

    plan_table(plan, resolved)
    if out:
        click.echo(f"plan written to {out}", err=True)


@click.command()
@SPEC_ARG
@ENV_OPTION
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Directory to write.")
@click.option("--force", is_flag=True, help="Write into a non-empty directory.")
@click.option("--mlplat-requirement", "mlplat_requirement", default=None, metavar="VERSION|GIT_URL@TAG|PATH",
              help="The mlplat requirements.txt installs: a version (0.2.0), a requirement (mlplat>=0.2), a Git URL with a tag "
                   "(git+https://…/mlplat@v0.2.0), a ./path in the repository or a wheel file (vendored). "
                   "Default: this mlplat, from where it was installed (a wheel vendored under wheels/ "
                   "when it is a source checkout).")
@ACCOUNT_OPTION
def render(spec: str, env: str, out: str, force: bool, mlplat_requirement: str | None, account_id: str | None) -> None:
    """Write a standalone Pulumi project and the plan's Kubernetes manifests.

    The project (Pulumi.yaml, __main__.py, requirements.txt, Pulumi.<env>.yaml and a
    copy of the spec) runs with the Pulumi CLI; manifests/ holds every first-party
    Kubernetes object, one file each, for review or GitOps (on aws, the bucket names in
    them end in --account-id, 123456789012 unless given). An environment on the
    compose target gets a docker compose project instead: docker-compose.yml, its
    config files, and a .env of random credentials (kept on re-render, git-ignored).

    \b
    Example:
        mlplat render platform.yaml --env prod --out build/prod --account-id 210987654321
        mlplat render platform.yaml --env local --out build/local && (cd build/local && docker compose up -d)
    """
    from mlplat.stacks.plan.offline import run_offline
    from mlplat.stacks.plan.render import render as render_project
    from mlplat.stacks.platform_spec.resolve import load_platform

    from .output import progress_status

    resolved = load_platform(spec, env)
    with progress_status(f"expanding {resolved.prefix} offline…"):
        plan = run_offline(resolved, account_id)
    from mlplat.stacks.repo.requirement import default_requirement, parse_requirement

    if resolved.provider == "compose":  # a docker compose project: no Python, nothing to install
        written = render_project(resolved, plan, out, force=force)
    else:
        req = parse_requirement(mlplat_requirement) if mlplat_requirement else default_requirement()
        req = req.relocated("wheels")  # a vendored wheel sits in the project's wheels/
        written = render_project(resolved, plan, out, force=force, mlplat_requirement=req.pip_arg)
        written += req.materialise(out)
    manifests = sum(1 for p in written if "manifests" in p.parts)
    if resolved.provider == "compose":
        click.echo(f"wrote {len(written)} files to {out}: a docker compose project (run `docker compose up -d` there)")
    else:
        click.echo(f"wrote {len(written)} files to {out} ({manifests} Kubernetes manifests)")


@click.command()
@SPEC_ARG
@ENV_OPTION
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True)
@click.option("--level", type=click.Choice(["resource", "component"]), default="resource", show_default=True,
              help="resource: every resource, grouped by component; component: one node per component and "
                   "the dependencies between components (readable at a glance).")
@click.option("--output", "-o", type=click.Path(dir_okay=False), callback=writable_path, help="Write to a file instead of stdout.")
def graph(spec: str, env: str, fmt: str, level: str, output: str | None) -> None:
    """Draw the platform: components and their dependencies, or every resource.

    \b
    Example:
        mlplat graph platform.yaml --env prod --level component
        mlplat graph platform.yaml --env dev --format mermaid > graph.mmd
        mlplat graph platform.yaml --env dev --format dot | dot -Tsvg > graph.svg
    """
    from mlplat.stacks.plan.graph import component_dot, component_graph, component_mermaid, to_dot, to_mermaid
    from mlplat.stacks.plan.offline import run_offline
    from mlplat.stacks.platform_spec.resolve import load_platform

    from .output import progress_status, write_output

    resolved = load_platform(spec, env)
    with progress_status(f"expanding {resolved.prefix} offline…"):
        plan = run_offline(resolved)
    if level == "component":
        g = component_graph(plan)
        write_output(component_mermaid(g) if fmt == "mermaid" else component_dot(g), output)
    else:
        write_output(to_mermaid(plan) if fmt == "mermaid" else to_dot(plan), output)
