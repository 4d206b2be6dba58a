"""outputs: files that point tools at the platform (today: DVC remotes)."""

from __future__ import annotations

import click

from .options import ENV_OPTION, SPEC_ARG


@click.command()
@SPEC_ARG
@ENV_OPTION
@click.option("--dvc", "dvc", is_flag=True, required=True, help="The .dvc/config remote section of the dvc buckets.")
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Write to this file instead of stdout.")
def outputs(spec: str, env: str, dvc: bool, out: str | None) -> None:
    """Print what a tool needs to use the environment: with --dvc, the `.dvc/config` remotes.

    One `remote "<bucket>"` section per bucket of purpose dvc (url, and region on aws or
    endpointurl for MinIO); the first is the default remote. No credentials are written.

    \b
    Example:
        mlplat outputs platform.yaml --env prod --dvc
        mlplat outputs platform.yaml --env dev --dvc --out .dvc/config
    """
    from mlplat.stacks.platform_spec.resolve import load_platform
    from mlplat.stacks.repo.dvc import dvc_config

    text = dvc_config(load_platform(spec, env))
    if out is None:
        click.echo(text, nl=False)
        return
    from pathlib import Path

    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(text, encoding="utf-8")
    click.echo(f"wrote {out}", err=True)
