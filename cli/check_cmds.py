"""check, diff, ci: the CI gate over every environment, promotion diffs, CI workflow generation."""

from __future__ import annotations

import click


@click.command()
@click.argument("spec", type=click.Path(dir_okay=False))
def check(spec: str) -> None:
    """CI gate (work in progress)."""
    raise click.ClickException("not implemented yet")


@click.command()
@click.argument("spec", type=click.Path(dir_okay=False))
def diff(spec: str) -> None:
    """Promotion diff (work in progress)."""
    raise click.ClickException("not implemented yet")


@click.group()
def ci() -> None:
    """CI workflows (work in progress)."""
