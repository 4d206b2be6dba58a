"""policy: the policy-as-code gate (own rules + checkov), and its CrossGuard export.

`mlplat policy SPEC --env E` evaluates one environment; `mlplat policy export-pack DIR` writes a
Pulumi policy pack; `mlplat policy rules` lists the rules. A first argument that is not a
subcommand is the SPEC of the default `run` subcommand.
"""

from __future__ import annotations

from typing import Any

import click

from .options import checked_env, writable_path

FORMATS = ("table", "json", "sarif", "junit", "markdown")


class PolicyGroup(click.Group):
    """`policy SPEC …` runs the gate; `policy export-pack DIR` and `policy rules` are subcommands."""

    default_command = "run"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ctx.help_option_names):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, "SPEC --env E [OPTIONS]")
        formatter.write_usage(ctx.command_path, "export-pack DIR [OPTIONS]", prefix="       ")
        formatter.write_usage(ctx.command_path, "rules [--format table|json]", prefix="       ")


@click.group(cls=PolicyGroup)
def policy() -> None:
    """Evaluate the policy gate: mlplat rules and checkov over the spec and its offline plan.

    \b
    Exit codes: 0 pass, 1 a mandatory violation, 2 spec error.
    Levels: rule default → profile policy_levels → spec policies.levels;
    waivers (policies.waivers) suppress matching findings until they expire.

    \b
    Example:
        mlplat policy platform.yaml --env prod
        mlplat policy platform.yaml --env prod --format sarif --output policy.sarif
        mlplat policy export-pack ./policy-pack --profile prod
    """


@policy.command("run")
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--env", "-e", "env", required=True, callback=checked_env, help="Environment to evaluate (e.g. dev, prod).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option(
    "--output", "-o", "output", type=click.Path(dir_okay=False), callback=writable_path, help="Write the report to this file."
)
@click.option("--no-checkov", "no_checkov", is_flag=True, help="Only mlplat's own rules (faster).")
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Evaluate a saved plan JSON (`preview --out`) instead of expanding the spec.",
)
@click.option("--mandatory-only", is_flag=True, help="Table: hide advisory findings.")
def run(
    spec: str,
    env: str,
    fmt: str,
    output: str | None,
    no_checkov: bool,
    plan_file: str | None,
    mandatory_only: bool,
) -> None:
    """Evaluate SPEC for one environment (`mlplat policy SPEC …` is the same command).

    \b
    Example:
        mlplat policy run platform.yaml --env prod --format json
        mlplat policy run platform.yaml --env dev --no-checkov
    """
    import contextlib

    from mlplat.policies.checkov_worker import CheckovWorker, spare_core

    with contextlib.ExitStack() as stack:
        # checkov's ~2 s import runs in a second process while this one plans (a spare core).
        worker = stack.enter_context(CheckovWorker()) if not no_checkov and spare_core() else None
        result = _evaluate(spec, env, plan_file, no_checkov, worker)
    _emit(result, fmt, output, mandatory_only)
    if not result.passed:
        click.get_current_context().exit(1)


def _evaluate(spec: str, env: str, plan_file: str | None, no_checkov: bool, worker: Any) -> Any:
    from mlplat.policies import evaluate
    from mlplat.stacks.platform_spec.resolve import load_platform

    from .output import progress_status

    resolved = load_platform(spec, env)
    plan = None
    if plan_file:
        from mlplat.stacks.plan.model import Plan

        plan = Plan.load(plan_file)
        if plan.environment != resolved.environment or plan.platform != resolved.name:
            from mlplat.stacks.errors import MlplatError

            raise MlplatError(
                f"{plan_file} is the plan of {plan.platform}/{plan.environment}, not {resolved.name}/{resolved.environment}"
            )
    else:
        from mlplat.stacks.plan.offline import run_offline

        with progress_status(f"expanding {resolved.prefix} offline…"):
            plan = run_offline(resolved)
    with progress_status("evaluating policies…"):
        return evaluate(resolved, plan, checkov=not no_checkov, checkov_worker=worker)


def _emit(result: Any, fmt: str, output: str | None, mandatory_only: bool) -> None:
    from mlplat.policies import report

    from .output import write_output

    if fmt == "table":
        if output:
            import io

            from rich.console import Console

            buf = io.StringIO()
            report.render_table(result, Console(file=buf, width=160, no_color=True), not mandatory_only)
            write_output(buf.getvalue(), output)
        else:
            report.render_table(result, advisory=not mandatory_only)
        return
    if fmt == "json":
        text = report.to_json(result)
    elif fmt == "sarif":
        import json

        text = json.dumps(report.to_sarif(result), indent=2, allow_nan=False)
    elif fmt == "junit":
        text = report.to_junit(result)
    else:
        text = report.to_markdown(result)
    write_output(text, output)
    if output:
        s = result.summary()
        verdict = "pass" if result.passed else "FAIL"
        click.echo(
            f"policy {result.environment}: {verdict} ({s['mandatory']} mandatory, {s['advisory']} advisory)",
            err=True,
        )


@policy.command("export-pack")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option(
    "--profile",
    type=click.Choice(["dev", "staging", "prod"]),
    default=None,
    help="Bake in the levels of this built-in profile.",
)
@click.option(
    "--spec", type=click.Path(exists=True, dir_okay=False), help="Bake in this spec's levels (with --env)."
)
@click.option("--env", "-e", "env", default=None, callback=checked_env, help="Environment of --spec whose levels to bake in.")
def export_pack_cmd(directory: str, profile: str | None, spec: str | None, env: str | None) -> None:
    """Write a Pulumi CrossGuard policy pack running mlplat's plan rules.

    \b
    Use it with: pulumi preview --policy-pack DIRECTORY

    \b
    Example:
        mlplat policy export-pack ./policy-pack --profile prod
        mlplat policy export-pack ./policy-pack --spec platform.yaml --env prod
    """
    from mlplat.policies.base import LevelResolver
    from mlplat.policies.crossguard import export_pack, resolved_levels
    from mlplat.stacks.errors import MlplatError

    origin = ""
    if spec:
        if not env:
            raise MlplatError("--spec needs --env: the levels of which environment?")
        from mlplat.stacks.platform_spec.resolve import load_platform

        resolved = load_platform(spec, env)
        levels = resolved_levels(LevelResolver.of(resolved))
        environment, origin = resolved.environment, f"levels of {spec} --env {env}"
    elif profile:
        from mlplat.stacks.platform_spec.resolve import load_profile

        levels = resolved_levels(LevelResolver(load_profile(profile).policy_levels))
        environment, origin = profile, f"profile {profile}"
    else:
        levels, environment = resolved_levels(LevelResolver()), ""
    for p in export_pack(directory, levels, environment, origin):
        click.echo(f"wrote {p}", err=True)


@policy.command("rules")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def rules_cmd(fmt: str) -> None:
    """List the rules: id, default level, kind and name.

    \b
    Example:
        mlplat policy rules
        mlplat policy rules --format json
    """
    from mlplat.policies.base import all_rules

    from .output import echo_json, out_console

    rules = all_rules()
    if fmt == "json":
        echo_json(
            [
                {
                    "id": r.id,
                    "name": r.name,
                    "level": r.default_level,
                    "kind": r.kind,
                    "area": r.area(),
                    "remediation": r.remediation,
                    "checkov_equivalents": list(r.checkov_equivalents),
                }
                for r in rules
            ]
        )
        return
    from rich.table import Table

    table = Table(title=f"{len(rules)} mlplat rules", title_justify="left")
    for col in ("id", "level", "kind", "name"):
        table.add_column(col)
    for r in rules:
        table.add_row(r.id, r.default_level, r.kind, r.name)
    out_console().print(table)
