"""outputs: files that point tools at the platform (today: DVC remotes)."""

from __future__ import annotations

import click

from .options import ENV_OPTION, SPEC_ARG, checked_account


@click.command()
@SPEC_ARG
@ENV_OPTION
@click.option("--dvc", "dvc", is_flag=True, required=True, help="The .dvc/config remote section of the dvc buckets.")
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Write to this file instead of stdout.")
@click.option("--account-id", "account_id", metavar="ID", callback=checked_account,
              help="aws: the account the environment runs in (bucket names end in it); default: STS, "
                   "from the AWS credentials.")  # fmt: skip
def outputs(spec: str, env: str, dvc: bool, out: str | None, account_id: str | None) -> None:
    """Print what a tool needs to use the environment: with --dvc, the `.dvc/config` remotes.

    One `remote "<bucket>"` section per bucket of purpose dvc (url, and region on aws or
    endpointurl for MinIO); the first is the default remote. No credentials are written.

    \b
    Example:
        mlplat outputs platform.yaml --env prod --dvc
        mlplat outputs platform.yaml --env dev --dvc --out .dvc/config
        mlplat outputs platform.yaml --env prod --dvc --account-id 210987654321
    """
    from mlplat.stacks.platform_spec.resolve import load_platform
    from mlplat.stacks.repo.dvc import dvc_config

    resolved = load_platform(spec, env)
    dvc_buckets = [b for b in (resolved.spec.storage.buckets if resolved.spec.storage else []) if b.purpose == "dvc"]
    if resolved.provider == "aws" and account_id is None and dvc_buckets:
        from mlplat.stacks.drift.live_aws import LiveAws

        account_id = LiveAws(getattr(resolved.spec.target, "region", None) or "us-east-1").account_id()
    text = dvc_config(resolved, account_id)
    if out is None:
        click.echo(text, nl=False)
        return
    from pathlib import Path

    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(text, encoding="utf-8")
    click.echo(f"wrote {out}", err=True)
