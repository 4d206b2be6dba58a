"""Options shared by the commands, defined once so their names and help stay consistent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

SPEC_ARG = click.argument("spec", type=click.Path(dir_okay=False))


def checked_account(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """An AWS account ID is 12 digits (fullmatch), or the option is a user error (exit 2)."""
    from mlplat.stacks.platform_spec.names import ACCOUNT_ID

    if value is not None and ACCOUNT_ID.fullmatch(value) is None:
        raise click.BadParameter("an AWS account ID is 12 digits")
    return value


# aws: S3 bucket names end in the account ID (DESIGN 4). Offline there is no account to ask, so
# the plan uses AWS's documentation example 123456789012 unless told the real one.
ACCOUNT_OPTION = click.option(
    "--account-id", "account_id", metavar="ID", default=None, callback=checked_account,
    help="aws: the account the plan is for (bucket names end in it); default offline: 123456789012.",
)


def checked_env(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Every environment name that enters on the command line passes the one name check
    (stacks/platform_spec/names.py): `x;id;#` or `a/b` never reach a stack name, a file name
    or a generated shell line."""
    from mlplat.stacks.errors import MlplatError
    from mlplat.stacks.platform_spec.names import check_env_name

    if value is None:
        return value
    try:
        if isinstance(value, tuple):
            return tuple(check_env_name(v, f"--{param.name}") for v in value)
        return check_env_name(value, "/".join(param.opts) if param.opts else "--env")
    except MlplatError as exc:
        raise click.BadParameter(str(exc).split(": ", 1)[-1]) from None


def writable_path(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """An output FILE is checked before the work starts: `check` plans every environment
    for a minute, and only then found `-o /proc/x` unwritable (exit 3). Exit 2, up front."""
    import os
    from pathlib import Path

    if value is None or value == "-":
        return value
    p = Path(value)
    if p.is_dir():
        raise click.BadParameter(f"{value!r} is a directory")
    parent = p.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent  # the nearest existing folder must let us create the rest
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise click.BadParameter(f"cannot write {value!r}: {parent} is not a writable folder")
    if p.exists() and not os.access(p, os.W_OK) and not p.is_symlink():
        raise click.BadParameter(f"cannot write {value!r}: permission denied")
    return value


def env_option(help: str = "Environment to resolve (e.g. dev, prod).") -> Callable[[Any], Any]:
    return click.option("--env", "-e", "env", required=True, help=help, callback=checked_env)


ENV_OPTION = env_option()
