"""drift, orphans: compare an environment's plan (and state) with what is running."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .options import ENV_OPTION, SPEC_ARG


@click.command()
@SPEC_ARG
@ENV_OPTION
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--kube-context", default=None, help="Also compare first-party Kubernetes objects in this kubeconfig context.")
@click.option("--state", "state_file", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Pulumi checkpoint to compare with (default: .mlplat/state beside the spec, when present).")
@click.option("--no-state", is_flag=True, help="Ignore any Pulumi state.")
def drift(spec: str, env: str, fmt: str, kube_context: str | None, state_file: str | None, no_state: bool) -> None:
    """Compare the running environment with the spec: exit 0 in sync, 1 drift, 2 error.

    Reads AWS with the standard environment (AWS_PROFILE, AWS_* credentials, AWS_ENDPOINT_URL
    for an emulator). Only attributes the spec decides are compared. With a Pulumi state beside
    the spec (.mlplat/state), pending changes (spec vs state) are reported too.

    Waivers (policies.waivers) acknowledge findings until they expire: policy DRIFT (all), or
    DRIFT-<CODE> with CODE one of BUCKET, KMS, EKS, NODEGROUP, RDS, ELASTICACHE, KUBERNETES, a
    resource type (VPC, SUBNET, NATGATEWAY, ROLE, LOGGROUP…), MISSING, CHANGED, UNMANAGED, or
    STATE (pending changes); `resource` is a glob over names (e.g. 'churn-dev-*').

    \b
    Example:
        mlplat drift platform.yaml --env prod
        mlplat drift platform.yaml --env dev --format json
    """
    from mlplat.stacks.drift.detect import detect_drift
    from mlplat.stacks.platform_spec.resolve import load_platform

    from .output import echo_json, progress_status

    resolved = load_platform(spec, env)
    state: Path | bool | None = False if no_state else (Path(state_file) if state_file else None)
    with progress_status(f"reading {resolved.prefix} live…"):
        report = detect_drift(resolved, kube_context=kube_context, state_path=state)
    if fmt == "json":
        echo_json(report.to_dict())
    else:
        _drift_table(report)
    click.get_current_context().exit(report.exit_code)


def _cell(v: Any) -> str:
    import json

    if v is None:
        return "—"
    return v if isinstance(v, str) else json.dumps(v, sort_keys=True, default=str)


def _drift_table(report: Any) -> None:
    from mlplat.stacks.errors import esc
    from mlplat.stacks.errors import esc as escape  # control characters shown, [..] literal
    from rich.table import Table

    from .output import out_console

    console = out_console()
    title = f"drift · {esc(report.platform)}-{esc(report.environment)}"
    if report.findings:
        table = Table(title=title, expand=False)
        table.add_column("finding", no_wrap=True)
        table.add_column("resource", no_wrap=True)
        table.add_column("detail", overflow="fold")
        for f in report.findings:
            status = esc(f.kind)
            if f.acknowledged:
                status += "\n[green]acknowledged[/green]"
            elif f.waiver:
                status += "\n[red]waiver expired[/red]"
            if f.cause:
                status += f"\n[dim]{esc(f.cause)}[/dim]"
            d = f.to_dict()
            if f.kind == "changed":
                detail = (f"[bold]{escape(str(f.attribute))}[/bold]\nexpected: {escape(_cell(d.get('expected')))}"
                          f"\nactual:   {escape(_cell(d.get('actual')))}")  # fmt: skip
            else:
                detail = escape(f.message)
            table.add_row(status, f"{escape(f.resource)}\n[dim]{escape(f.type)}[/dim]", detail)
        console.print(table)
    if report.pending:
        table = Table(title="pending changes (spec vs state: what `mlplat up` would do)", expand=False)
        table.add_column("change", no_wrap=True)
        table.add_column("resource", no_wrap=True)
        table.add_column("detail", overflow="fold")
        for p in report.pending:
            d = p.to_dict()
            status = esc(p.change) + ("\n[green]acknowledged[/green]" if p.acknowledged else "")
            detail = (f"[bold]{escape(str(p.attribute))}[/bold]\nspec:  {escape(_cell(d.get('expected')))}"
                      f"\nstate: {escape(_cell(d.get('actual')))}") if p.attribute else ""  # fmt: skip
            table.add_row(status, f"{escape(p.resource)}\n[dim]{escape(p.type)}[/dim]", detail)
        console.print(table)
    groups: dict[str, int] = {}
    for t, n in report.unchecked_types.items():  # aws:ec2/vpc:Vpc → aws:ec2: short enough for a line
        group = t.split("/", 1)[0]
        groups[group] = groups.get(group, 0) + n
    unchecked = ", ".join(f"{esc(g)} ×{n}" for g, n in sorted(groups.items()))
    console.print(
        f"coverage: {report.coverage_percent}% of planned resources checkable "
        f"({report.checked}/{report.planned})" + (f"; not checked: {unchecked}" if unchecked else "")
    )
    for note in report.notes:
        console.print(f"note: {esc(note)}")
    acked = sum(1 for f in report.findings if f.acknowledged) + sum(1 for p in report.pending if p.acknowledged)
    acked_text = f" ({acked} acknowledged by waivers)" if acked else ""
    if report.in_sync:
        console.print(f"[green]in sync[/green]{acked_text}")
    else:
        parts = []
        if report.failing:
            parts.append(_plural(len(report.failing), "drift finding"))
        if report.failing_pending:
            parts.append(_plural(len(report.failing_pending), "pending change"))
        console.print(f"[red]not in sync: {' and '.join(parts)}[/red]{acked_text}")


def _plural(n: int, what: str) -> str:
    return f"{n} {what}{'s' if n != 1 else ''}"


@click.command()
@SPEC_ARG
@ENV_OPTION
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def orphans(spec: str, env: str, fmt: str) -> None:
    """List live resources that still carry the environment's ownership tags.

    After a teardown this prints nothing and exits 0; it exits 1 when anything is left.
    KMS keys waiting out their deletion window are not listed.

    \b
    Example:
        mlplat orphans platform.yaml --env dev
    """
    from mlplat.stacks.drift.live_aws import find_tagged
    from mlplat.stacks.errors import MlplatError
    from mlplat.stacks.platform_spec.resolve import load_platform

    from .output import echo_json

    resolved = load_platform(spec, env)
    if resolved.provider != "aws":
        raise MlplatError(f"orphans reads cloud tags: target provider {resolved.provider!r} has none (aws only)")
    region = getattr(resolved.spec.target, "region", None) or "us-east-1"
    found = find_tagged(resolved.name, resolved.environment, region)
    if fmt == "json":
        echo_json({"platform": resolved.name, "environment": resolved.environment,
                   "orphans": [r.to_dict() for r in found]})  # fmt: skip
    elif found:
        from mlplat.stacks.errors import esc
        from rich.table import Table

        from .output import out_console

        table = Table(title=f"resources still tagged {resolved.prefix}")
        for col in ("service", "type", "identifier", "component", "logical name", "status"):
            # Identifiers stay whole so they can be copied into a console or a CLI call.
            table.add_column(col, no_wrap=col == "identifier", overflow="fold")
        for r in found:
            table.add_row(*(esc(v or "") for v in (r.service, r.resource_type, r.identifier, r.component, r.logical_name, r.status)))
        out_console().print(table)
    click.get_current_context().exit(1 if found else 0)
