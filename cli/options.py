"""Options shared by the commands, defined once so their names and help stay consistent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

SPEC_ARG = click.argument("spec", type=click.Path(dir_okay=False))


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


def env_option(help: str = "Environment to resolve (e.g. dev, prod).") -> Callable[[Any], Any]:
    return click.option("--env", "-e", "env", required=True, help=help, callback=checked_env)


ENV_OPTION = env_option()
