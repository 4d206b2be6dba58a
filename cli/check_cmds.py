"""check, diff, ci: the CI gate over every environment, promotion diffs, CI workflow generation."""

from __future__ import annotations

import click

from .options import SPEC_ARG, checked_env, writable_path


@click.command()
@SPEC_ARG
@click.option("--compare-to", "compare_to", default=None, metavar="GIT_REF|FILE",
              help="Baseline for the cost diff and the increase gate: a git ref (e.g. origin/main) or a spec file.")
@click.option("--summary", "summary", type=click.Path(dir_okay=False), callback=writable_path, default=None,
              help="Write a markdown summary (for a pull-request comment).")
@click.option("--sarif", "sarif", type=click.Path(dir_okay=False), callback=writable_path, default=None,
              help="Write the policy findings of every environment as one SARIF log.")
@click.option("--junit", "junit", type=click.Path(dir_okay=False), callback=writable_path, default=None,
              help="Write a JUnit XML report (a testsuite per environment).")
@click.option("--no-checkov", "no_checkov", is_flag=True, default=False,
              help="Only mlplat's own policy rules (skip the checkov scan).")
@click.option("--report-dir", "report_dir", type=click.Path(file_okay=False), default=None,
              help="Write one self-contained HTML report per environment (report-<env>.html), e.g. for CI artifacts.")
@click.option("--jobs", "-j", "jobs", type=click.IntRange(min=1), default=None,
              help="Processes: 1 = everything in this one; 2+ = plan here while worker(s) run policy and cost. "
                   "Default: 2 with several environments and a free core (measured 25-38% faster), else 1. "
                   "Env: MLPLAT_CHECK_JOBS.")
def check(spec: str, compare_to: str | None, summary: str | None, sarif: str | None, junit: str | None,
          no_checkov: bool, report_dir: str | None, jobs: int | None) -> None:
    """CI gate: validate, then policy and cost/budget for every environment.

    Exit 0 when every environment passes, 1 on any mandatory policy violation, a budget
    overrun or a cost increase above budget.max_increase_percent, 2 on an invalid spec.

    \b
    Example:
        mlplat check platform.yaml
        mlplat check platform.yaml --compare-to origin/main --summary summary.md --sarif mlplat.sarif
        mlplat check platform.yaml --compare-to origin/main --report-dir reports/
    """
    from mlplat.stacks.errors import esc
    from mlplat.stacks.review.check import check as run_check
    from mlplat.stacks.review.check import print_verdict

    from .output import err_console

    console = err_console()
    result = run_check(
        spec, compare_to=compare_to, checkov=not no_checkov, jobs=jobs,
        progress=lambda msg: console.print(f"[dim]{esc(msg)}[/]"),
    )  # fmt: skip
    for path, text in result.reports(summary=summary, sarif=sarif, junit=junit).items():
        from mlplat.stacks.safe_io import write_file

        write_file(path, text)
        console.print(f"wrote {esc(path)}")
    if report_dir:
        from mlplat.stacks.review.report import write_reports

        for path in write_reports(result, report_dir):
            console.print(f"wrote {esc(path)}")
    print_verdict(result, console)
    click.get_current_context().exit(result.exit_code)


@click.command()
@SPEC_ARG
@click.option("--env", "-e", "env", default=None, callback=checked_env,
              help="Environment to compare with its baseline (with --compare-to).")
@click.option("--compare-to", "compare_to", default=None, metavar="GIT_REF|FILE",
              help="Baseline: a git revision of SPEC (read with `git show`, e.g. origin/main) or a spec file.")
@click.option("--from-env", "from_env", default=None, callback=checked_env,
              help="Promotion form: the environment promoted from (e.g. staging).")
@click.option("--to-env", "to_env", default=None, callback=checked_env,
              help="Promotion form: the environment promoted to (e.g. prod).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table", show_default=True)
def diff(spec: str, env: str | None, compare_to: str | None, from_env: str | None, to_env: str | None,
         fmt: str) -> None:
    """What a change does to the plan, resource by resource and property by property.

    With --env and --compare-to: the offline plan of ENV at the baseline against the plan now.
    Each changed resource gets an action (create, update, replace, delete; "update (may
    replace)" where the provider's force-new data does not cover it) and its changed inputs
    (wire names, e.g. scalingConfig.maxSize) with old and new values; secrets are masked.

    With --from-env and --to-env: what promoting one environment to another changes (resolved
    specs and plans, resources matched with the environment neutralised).

    \b
    Example:
        mlplat diff platform.yaml --env prod --compare-to origin/main
        mlplat diff platform.yaml --env prod --compare-to old-platform.yaml --format json
        mlplat diff platform.yaml --from-env staging --to-env prod
    """
    from .output import echo_json, out_console, progress_status

    if from_env or to_env:
        if env or compare_to:
            raise click.UsageError("use either --env/--compare-to or --from-env/--to-env, not both")
        if not (from_env and to_env):
            raise click.UsageError("--from-env and --to-env go together")
        if fmt == "markdown":
            raise click.UsageError("--format markdown needs --env/--compare-to")
        from mlplat.stacks.review.diff import diff_environments, render_table

        with progress_status(f"comparing {from_env} → {to_env} offline…"):
            result = diff_environments(spec, from_env, to_env)
        if fmt == "json":
            echo_json(result.to_dict())
            return
        render_table(result, out_console())
        return
    if not (env and compare_to):
        raise click.UsageError("give --env ENV --compare-to GIT_REF|FILE (or --from-env/--to-env)")
    from mlplat.stacks.review.diff import diff_against, render_revision_table, revision_markdown

    with progress_status(f"planning {env} now and at {compare_to} offline…"):
        rdiff = diff_against(spec, env, compare_to)
    if fmt == "json":
        echo_json(rdiff.to_dict())
    elif fmt == "markdown":
        click.echo(revision_markdown(rdiff), nl=False)
    else:
        render_revision_table(rdiff, out_console())


@click.command()
@SPEC_ARG
@click.option("--env", "-e", "env", required=True, help="Environment to report on (e.g. prod).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="The HTML file to write.")
@click.option("--compare-to", "compare_to", default=None, metavar="GIT_REF|FILE",
              help="Baseline for the cost change and the plan diff: a git revision of SPEC or a spec file.")
@click.option("--no-checkov", "no_checkov", is_flag=True, default=False, help="Only mlplat's own policy rules.")
def report(spec: str, env: str, out: str, compare_to: str | None, no_checkov: bool) -> None:
    """One self-contained HTML page: component graph, cost chart, policy findings, plan diff.

    The file loads nothing from the network (open it anywhere, attach it to a CI run). The graph
    is laid out by Graphviz `dot` when it is installed (else its DOT source is shown).

    \b
    Example:
        mlplat report platform.yaml --env prod --out report.html
        mlplat report platform.yaml --env prod --out report.html --compare-to origin/main
    """
    from pathlib import Path

    from mlplat.stacks.review.report import build_report

    from .output import err_console, progress_status

    with progress_status(f"planning, judging and pricing {env} offline…"):
        html = build_report(spec, env, compare_to=compare_to, checkov=not no_checkov)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(html, encoding="utf-8")
    err_console().print(f"wrote {out} ({len(html) // 1024} KiB)")


@click.group()
def ci() -> None:
    """CI workflows for a platform repository.

    \b
    Example:
        mlplat ci init --provider github
        mlplat ci init --provider gitlab --dir ./platform-repo
    """


@ci.command("init")
@click.option("--provider", type=click.Choice(["github", "gitlab"]), required=True, help="CI system.")
@click.option("--dir", "directory", type=click.Path(file_okay=False), default=".", show_default=True,
              help="Repository root to write the workflows into.")
@click.option("--spec", "spec", default="platform.yaml", show_default=True,
              help="Path of the spec, relative to --dir (environments are read from it when it exists).")
@click.option("--env", "environments", multiple=True, callback=checked_env,
              help="Environments to deploy, in promotion order (default: the spec's).")
@click.option("--branch", default="main", show_default=True, help="Branch whose merges deploy.")
@click.option("--mlplat-requirement", "mlplat_requirement", default=None, metavar="VERSION|GIT_URL@TAG|PATH",
              help="The mlplat CI installs: a version (0.2.0), a requirement (mlplat>=0.2), a Git URL with a tag "
                   "(git+https://…/mlplat@v0.2.0), a ./path in the repository or a wheel file (vendored). "
                   "Default: this mlplat, from where it was installed (a wheel vendored under .mlplat/wheels/ "
                   "when it is a source checkout).")
def ci_init(provider: str, directory: str, spec: str, environments: tuple[str, ...], branch: str,
            mlplat_requirement: str | None) -> None:
    """Generate CI workflows: PR gate, apply on merge with promotion, nightly drift, teardown.

    Refuses to overwrite existing files.

    \b
    Example:
        mlplat ci init --provider github
        mlplat ci init --provider gitlab --dir my-platform
        mlplat ci init --provider github --mlplat-requirement 0.2.0
    """
    from mlplat.stacks.repo.ci import make_context, write_workflows
    from mlplat.stacks.repo.requirement import default_requirement, parse_requirement

    req = parse_requirement(mlplat_requirement) if mlplat_requirement else default_requirement()
    written = write_workflows(directory, provider, spec=spec, environments=list(environments) or None,
                              branch=branch, requirement=req)  # fmt: skip
    for path in written:
        click.echo(f"created {path}")
    click.echo(f"CI installs mlplat with: {req.install_command}" + (f" ({req.note}; commit it)" if req.note else ""),
               err=True)  # fmt: skip
    ctx = make_context(directory, spec=spec, environments=list(environments) or None, branch=branch,
                       requirement=req)  # fmt: skip
    approvals = ", ".join(e.name for e in ctx.environments if e.approval)
    if provider == "github":
        click.echo(
            f"next: create GitHub environments {', '.join(ctx.env_names)} and add required reviewers to "
            f"{approvals or 'the ones that need approval'}; set PULUMI_BACKEND_URL (variable), "
            "PULUMI_CONFIG_PASSPHRASE (secret) and cloud credentials (MLPLAT_AWS_ROLE_ARN or MLPLAT_KUBECONFIG).",
            err=True,
        )
    else:
        click.echo(
            "next: set PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE, MLPLAT_GITLAB_TOKEN and cloud credentials as "
            "CI/CD variables; add a nightly pipeline schedule with MLPLAT_JOB=drift.",
            err=True,
        )
