"""up, destroy, refresh: the Pulumi engine lifecycle (work in progress)."""

from __future__ import annotations

import click


@click.command()
def up() -> None:
    """Deploy an environment with the Pulumi engine (not yet available)."""
    raise click.UsageError("mlplat up is not implemented yet")


@click.command()
def destroy() -> None:
    """Tear an environment down with the Pulumi engine (not yet available)."""
    raise click.UsageError("mlplat destroy is not implemented yet")


@click.command()
def refresh() -> None:
    """Refresh an environment's state with the Pulumi engine (not yet available)."""
    raise click.UsageError("mlplat refresh is not implemented yet")
