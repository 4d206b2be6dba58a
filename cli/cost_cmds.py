"""cost: the monthly estimate of one environment, a diff against a revision, the budget gate."""

from __future__ import annotations

import click


@click.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--env", "-e", "env", required=True, help="Environment to resolve (e.g. dev, prod).")
def cost(spec: str, env: str) -> None:
    """Monthly cost estimate of one environment (work in progress)."""
    raise click.ClickException("cost: not implemented yet")
