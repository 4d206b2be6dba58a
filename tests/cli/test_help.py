"""Every registered command (and every subcommand of a group) documents itself with an example."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner
from mlplat import __version__
from mlplat.cli.main import COMMANDS, cli


def _walk(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    ctx = click.Context(group)
    out = []
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None, f"{' '.join(prefix + (name,))} is listed but cannot be loaded"
        out.append(prefix + (name,))
        if isinstance(cmd, click.Group):
            out.extend(_walk(cmd, prefix + (name,)))
    return out


ALL = _walk(cli)


def test_every_registered_command_is_listed():
    assert set(COMMANDS) <= {path[0] for path in ALL}
    assert {"validate", "schema", "init"} <= set(COMMANDS)


@pytest.mark.parametrize("path", [(), *ALL], ids=lambda p: " ".join(p) or "mlplat")
def test_help_exits_zero_and_has_an_example(path):
    res = CliRunner().invoke(cli, [*path, "--help"])
    assert res.exit_code == 0, res.output
    assert "Example" in res.output, f"`mlplat {' '.join(path)} --help` shows no example"
    assert "Traceback" not in res.output


def test_version():
    res = subprocess.run(
        [sys.executable, "-m", "mlplat", "--version"], check=False, capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == f"mlplat, version {__version__}"


def test_unknown_command_is_a_usage_error():
    res = CliRunner().invoke(cli, ["validat", "x.yaml"])
    assert res.exit_code == 2
    assert "Traceback" not in res.output
