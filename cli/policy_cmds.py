"""policy: own rules + checkov over one environment's plan (work in progress)."""

from __future__ import annotations

import click


@click.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--env", "-e", "env", required=True)
def policy(spec: str, env: str) -> None:
    """Evaluate the policy rules for one environment."""
    raise click.ClickException("not implemented yet")
