"""Options shared by the commands, defined once so their names and help stay consistent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

SPEC_ARG = click.argument("spec", type=click.Path(dir_okay=False))


def env_option(help: str = "Environment to resolve (e.g. dev, prod).") -> Callable[[Any], Any]:
    return click.option("--env", "-e", "env", required=True, help=help)


ENV_OPTION = env_option()
