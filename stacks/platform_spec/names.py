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


# S3 bucket names are global across every AWS account of a partition (DESIGN 4): on aws the
# physical name gains the 12-digit account ID, which every AWS account ID is (STS
# GetCallerIdentity). IAM role names, already `{platform}-{env}-…`, are unique per account too,
# so `{platform}-{env}` is one deployment per account; the suffix gives buckets that same scope.
ACCOUNT_ID = re.compile(r"[0-9]{12}")
BUCKET_NAME_MAX = 63  # S3 general purpose bucket naming rules
BUCKET_ACCOUNT_SUFFIX_LEN = 13  # "-" + 12 digits


def bucket_name(platform: str, env: str, name: str, account_id: str | None) -> str:
    """`{platform}-{env}-{name}-{account_id}` on aws (global names); `{platform}-{env}-{name}`
    where `account_id` is None (MinIO and compose buckets live inside one platform)."""
    base = f"{platform}-{env}-{name}"
    if account_id is None:
        return base
    if ACCOUNT_ID.fullmatch(account_id) is None:
        raise ValueError(f"not an AWS account ID (12 digits): {printable(repr(account_id))}")
    return f"{base}-{account_id}"


def env_name_ok(name: object) -> bool:
    return isinstance(name, str) and ENV_NAME.fullmatch(name) is not None


def check_env_name(name: object, option: str = "--env") -> str:
    """`name` if it is a valid environment name; otherwise a user error (exit 2)."""
    if not env_name_ok(name):
        raise MlplatError(f"{option}: {printable(repr(name))} is not a valid environment name: {ENV_NAME_RULE}")
    assert isinstance(name, str)
    return name


__all__ = ["ACCOUNT_ID", "BUCKET_ACCOUNT_SUFFIX_LEN", "BUCKET_NAME_MAX", "ENV_NAME", "ENV_NAME_RULE", "bucket_name",
           "check_env_name", "env_name_ok"]
