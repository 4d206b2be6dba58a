"""drift, orphans: compare an environment's plan (and state) with the live cloud."""

from __future__ import annotations

import click

from mlplat.stacks.errors import MlplatError

ENV_OPTION = click.option("--env", "-e", "env", required=True, help="Environment to resolve (e.g. dev, prod).")
SPEC_ARG = click.argument("spec", type=click.Path(dir_okay=False))


@click.command()
@SPEC_ARG
@ENV_OPTION
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def drift(spec: str, env: str, fmt: str) -> None:
    """Compare the environment's plan with the live cloud (0 in sync, 1 drift, 2 error)."""
    raise MlplatError("drift: not implemented yet")


@click.command()
@SPEC_ARG
@ENV_OPTION
def orphans(spec: str, env: str) -> None:
    """List live resources still carrying the environment's ownership tags."""
    raise MlplatError("orphans: not implemented yet")
