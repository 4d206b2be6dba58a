"""Extract every `mlplat …` invocation from CI workflow files and check it against the real click CLI.

Used by test_workflows.py. The extractor tokenises shell with shlex (punctuation aware) so
`a && mlplat x`, `code=0; mlplat y || code=$?`, `if …; then mlplat z` and redirections are all
handled; GitHub `${{ expr }}` is replaced by a placeholder first (it contains spaces).
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

_GH_EXPR = re.compile(r"\$\{\{.*?\}\}")
_OPERATORS = {";", "&&", "||", "|", "&", "(", ")", ";;", "|&"}
_REDIRECTS = {">", ">>", "<", "<<", "2>", "&>", ">&"}
_KEYWORDS = {"then", "else", "do", "if", "elif", "while", "until", "!", "{", "}", "time", "exec"}


@dataclass
class Invocation:
    source: str  # file and where inside it
    args: list[str]  # after `mlplat`

    def __str__(self) -> str:
        return f"{self.source}: mlplat {' '.join(self.args)}"


# --------------------------------------------------------------------------- scripts out of workflow YAML


def scripts_github(doc: dict[str, Any], name: str) -> Iterator[tuple[str, str]]:
    for job_id, job in (doc.get("jobs") or {}).items():
        for i, step in enumerate(job.get("steps") or []):
            if isinstance(step, dict) and "run" in step:
                yield f"{name}:jobs.{job_id}.steps[{i}]", str(step["run"])


def scripts_gitlab(doc: dict[str, Any], name: str) -> Iterator[tuple[str, str]]:
    for job_id, job in doc.items():
        if not isinstance(job, dict):
            continue
        for key in ("before_script", "script", "after_script"):
            lines = job.get(key)
            if isinstance(lines, str):
                lines = [lines]
            for i, line in enumerate(lines or []):
                yield f"{name}:{job_id}.{key}[{i}]", str(line)


def invocations(script: str, source: str) -> list[Invocation]:
    """Every `mlplat` command in a shell script (line continuations joined)."""
    text = _GH_EXPR.sub("GH_EXPR", script.replace("\\\n", " "))
    out: list[Invocation] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        lex = shlex.shlex(line, posix=True, punctuation_chars=True)
        lex.whitespace_split = True
        try:
            tokens = list(lex)
        except ValueError as exc:  # unbalanced quotes: the workflow itself is broken
            raise AssertionError(f"{source} line {lineno}: cannot tokenise {line!r}: {exc}") from None
        at_start, i = True, 0
        while i < len(tokens):
            tok = tokens[i]
            if tok in _OPERATORS:
                at_start = True
            elif at_start and tok in _KEYWORDS:
                pass
            elif at_start and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", tok):
                pass  # VAR=value prefix (or a plain assignment)
            elif at_start and tok == "mlplat":
                args = []
                i += 1
                while i < len(tokens) and tokens[i] not in _OPERATORS:
                    if tokens[i].isdigit() and i + 1 < len(tokens) and tokens[i + 1][:1] in "<>":
                        i += 1  # a file descriptor number: `2>&1`
                        continue
                    if tokens[i] in _REDIRECTS or re.match(r"^\d?[<>]", tokens[i]):
                        i += 2  # the redirection and its target
                        continue
                    args.append(tokens[i])
                    i += 1
                out.append(Invocation(f"{source} line {lineno}", args))
                at_start = True
                continue
            else:
                at_start = False
            i += 1
    return out


def workflow_invocations(path: Path) -> list[Invocation]:
    import yaml

    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    scripts = scripts_gitlab(doc, path.name) if path.name == ".gitlab-ci.yml" else scripts_github(doc, path.name)
    return [inv for source, script in scripts for inv in invocations(script, source)]


# --------------------------------------------------------------------------- the click CLI


def _option_names(cmd: click.Command) -> set[str]:
    names = {"--help", "-h"}
    for p in cmd.params:
        if isinstance(p, click.Option):
            names.update(p.opts)
            names.update(p.secondary_opts)
    return names


def _placeholder(token: str) -> str:
    # A shell variable or a GitHub expression: its value is only known in CI.
    return "placeholder" if token.startswith("$") or token == "GH_EXPR" else token


def problems(inv: Invocation, root: click.Group | None = None) -> list[str]:
    """Why this invocation would not run against the installed CLI (empty list: it would)."""
    from mlplat.cli.main import cli

    group: click.Command = root or cli
    args = list(inv.args)
    path = ["mlplat"]
    # Walk groups down to the leaf command (`mlplat ci init`).
    while isinstance(group, click.Group):
        if not args or args[0].startswith("-"):
            return [f"{inv}: no subcommand after {' '.join(path)}"]
        name = args.pop(0)
        ctx = click.Context(group, info_name=path[-1])
        sub = group.get_command(ctx, name)
        if sub is None:
            return [f"{inv}: {' '.join(path)} has no command {name!r}"]
        group, path = sub, path + [name]
    errors = []
    known = _option_names(group)
    for tok in args:
        if tok.startswith("-") and tok != "-":
            opt = tok.split("=", 1)[0]
            if opt not in known:
                errors.append(f"{inv}: {' '.join(path)} has no option {opt!r} (has: {', '.join(sorted(known))})")
    if errors:
        return errors
    # Names exist; now let click parse it for real: arity, choices (--format sarif), required options.
    cwd = os.getcwd()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            group.make_context(" ".join(path), [_placeholder(a) for a in args])
        except click.exceptions.Exit:
            pass
        except click.UsageError as exc:
            errors.append(f"{inv}: click rejects it: {exc.format_message()}")
        finally:
            os.chdir(cwd)
    return errors
