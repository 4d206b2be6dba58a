"""Shared terminal output helpers (rich on stderr for humans; stdout stays clean for JSON)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click


def err_console():  # rich is imported only when something is printed
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def out_console():
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


@contextmanager
def progress_status(message: str) -> Iterator[None]:
    """A long step: a spinner on a terminal; one plain line on stderr when output is captured (CI
    logs keep what ran, and no control characters)."""
    console = err_console()
    if console.is_terminal:
        with console.status(message):
            yield
    else:
        click.echo(message, err=True)
        yield


def print_diagnostics(diagnostics: list[Any]) -> None:
    # Compiler style, FILE:LINE:COL: path: message, so editors and CI logs link to the line.
    from mlplat.stacks.errors import printable

    for d in diagnostics:
        text = printable(str(d))  # file names and quoted values are the user's bytes: no ESC reaches the terminal
        located = getattr(d, "location", None) is not None
        click.echo(text if located or text.startswith("error") else f"error: {text}", err=True)
    n = len(diagnostics)
    click.echo(f"{n} error{'s' if n != 1 else ''} found", err=True)


def echo_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=str, allow_nan=False) + "\n")


def write_output(text: str, path: str | None) -> None:
    if path:
        from mlplat.stacks.errors import printable
        from mlplat.stacks.safe_io import write_file

        write_file(path, text)  # aside and renamed: never half a file, never through a symlink
        click.echo(f"wrote {printable(path)}", err=True)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
