"""Spec diagnostics: every error names FILE:LINE:COL, the dotted path and what was expected."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Location:
    file: str
    line: int  # 1-based
    col: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Diagnostic:
    location: Location | None
    path: str
    message: str
    environments: tuple[str, ...] = field(default=())

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        path = f"{self.path}: " if self.path else ""
        envs = f" (environment {', '.join(self.environments)})" if self.environments else ""
        return f"{where}{path}{self.message}{envs}"

    def to_dict(self) -> dict[str, object]:
        loc = self.location
        return {
            "file": loc.file if loc else None,
            "line": loc.line if loc else None,
            "column": loc.col if loc else None,
            "path": self.path,
            "message": self.message,
            "environments": list(self.environments),
        }


class MlplatError(Exception):
    """A user error: printed without a traceback, exit code 2."""

    exit_code = 2


class SpecError(MlplatError):
    """One or more spec diagnostics."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = sorted(
            dict.fromkeys(diagnostics),  # keep order of first appearance, drop exact duplicates
            key=lambda d: (d.location or Location("", 0, 0), d.path),
        )
        super().__init__("\n".join(str(d) for d in self.diagnostics))


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` with terminal control characters (ESC, NUL, BEL, CR, …) made visible as `\\xNN`.

    Echoed spec values, file names and environment names are the user's (or an attacker's)
    bytes: an ESC sequence would rewrite the terminal and a CR hide what came before it.
    Newline and tab are kept; everything else below 0x20, DEL and the C1 range is escaped.
    """
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def esc(value: object) -> str:
    """A data value (spec text, file name, resource name, waiver field) made safe to print
    through rich: control characters visible (printable) and `[…]` shown literally, never
    read as markup (`*[/r]` in a waiver crashed the tables with MarkupError, exit 3)."""
    from rich.markup import escape

    return escape(printable(str(value)))


def md(value: object) -> str:
    """A data value made safe inside a Markdown table cell or code span of a PR comment: HTML
    escaped (a `<script>` in a waiver reason stays text), no backtick to leave a code span, no
    `|` or line break to leave its cell, control characters visible."""
    import html

    text = printable(str(value)).replace("\n", " ").replace("\t", " ")
    return html.escape(text, quote=False).replace("|", "\\|").replace("`", "'")


def format_path(path: tuple[str | int, ...]) -> str:
    """('cluster', 'node_pools', 1, 'max_size') → 'cluster.node_pools[1].max_size'."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


__all__ = ["Diagnostic", "Location", "MlplatError", "SpecError", "esc", "format_path", "md", "printable"]
