"""Shared bits of the hostile-input tests (issue 14, part 2)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result
from mlplat.cli.main import cli

MINIMAL_K8S = """\
apiVersion: mlplat.io/v1alpha1
kind: Platform
metadata: {name: x}
target: {provider: kubernetes}
storage: {buckets: [{name: a}]}
"""

MINIMAL_AWS = """\
apiVersion: mlplat.io/v1alpha1
kind: Platform
metadata: {name: x}
target: {provider: aws, region: us-east-1}
storage: {buckets: [{name: a}]}
"""


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input)


def write(tmp_path: Path, text: str, name: str = "platform.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p
