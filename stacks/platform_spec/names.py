"""Names that enter from outside (the command line, the spec), checked once, the same way.

An environment name becomes part of stack names, file names (`Pulumi.<env>.yaml`), physical
resource names and Kubernetes labels, so it is checked with `re.fullmatch` wherever it
enters: a `--env` option, a `--from-env`, an `environments:` key. `re.match` with `$` would
pass `dev\\n`; `fullmatch` does not.
"""

from __future__ import annotations

import re

from mlplat.stacks.errors import MlplatError, printable

ENV_NAME = re.compile(r"[a-z][a-z0-9-]{0,14}")
ENV_NAME_RULE = "environment names are lowercase DNS labels (a-z, 0-9, '-', starting with a letter, max 15 chars)"


def env_name_ok(name: object) -> bool:
    return isinstance(name, str) and ENV_NAME.fullmatch(name) is not None


def check_env_name(name: object, option: str = "--env") -> str:
    """`name` if it is a valid environment name; otherwise a user error (exit 2)."""
    if not env_name_ok(name):
        raise MlplatError(f"{option}: {printable(repr(name))} is not a valid environment name: {ENV_NAME_RULE}")
    assert isinstance(name, str)
    return name


__all__ = ["ENV_NAME", "ENV_NAME_RULE", "check_env_name", "env_name_ok"]
