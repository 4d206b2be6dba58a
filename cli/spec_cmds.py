"""validate, schema, init: the commands that work on the spec alone (no cloud SDK imported)."""

from __future__ import annotations

from typing import Any

import click

from .options import writable_path
from .output import echo_json


@click.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def validate(spec: str, fmt: str) -> None:
    """Check a platform spec: schema and semantic rules, every environment.

    Exits 0 when the spec is valid, 2 with every error found, each located
    (FILE:LINE:COL: path: message). Warnings (e.g. a Kubernetes version in EKS extended
    support) are printed on stderr and do not change the exit code. Needs no cloud access and imports no cloud SDK.

    \b
    Example:
        mlplat validate platform.yaml
        mlplat validate platform.yaml --format json
    """
    from mlplat.stacks import SpecError, load_spec
    from mlplat.stacks import validate as validate_doc

    try:
        resolved = validate_doc(load_spec(spec))
    except SpecError as exc:
        if fmt == "json":
            echo_json({"valid": False, "errors": [d.to_dict() for d in exc.diagnostics]})
            raise SystemExit(2) from None
        raise
    from mlplat.stacks.platform_spec.resolve import validation_warnings
    from mlplat.stacks.platform_spec.semantic import compose_left_out

    notes = {e: compose_left_out(r.spec) for e, r in resolved.items() if r.provider == "compose"}
    warnings = _fold_warnings([w for r in resolved.values() for w in r.warnings], list(resolved))
    warnings = [*warnings, *validation_warnings(resolved)]  # EKS support (issue 13)
    if fmt == "json":
        out: dict[str, object] = {"valid": True, "environments": list(resolved),
                                  "warnings": [w.to_dict() for w in warnings]}  # fmt: skip
        if any(notes.values()):  # compose environments only: what that target leaves out
            out["notes"] = {e: [{"section": s, "left_out": why} for s, why in n] for e, n in notes.items() if n}
        echo_json(out)
        return
    for w in warnings:
        click.echo(f"warning: {w}", err=True)
    envs = ", ".join(f"{e} (profile {r.profile.name})" if r.profile.name else e for e, r in resolved.items())
    click.echo(f"{spec}: valid; environments: {envs}")
    for env, items in notes.items():
        for section, why in items:
            click.echo(f"note: {env} (compose target) leaves out {section}: {why}", err=True)


@click.command()
@click.option("--output", "-o", type=click.Path(dir_okay=False), callback=writable_path, help="Write to a file instead of stdout.")
def schema(output: str | None) -> None:
    """Print the JSON Schema of the platform spec (for editors' YAML language servers).

    \b
    Example:
        mlplat schema -o platform.schema.json
        # then in platform.yaml:  # yaml-language-server: $schema=platform.schema.json
    """
    import json

    from mlplat.stacks.platform_spec.schema import spec_json_schema

    from .output import write_output

    write_output(json.dumps(spec_json_schema(), indent=2), output)


@click.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option(
    "--name", default=None, help="Platform name, a lowercase DNS label (default: from the directory name)."
)
@click.option(
    "--provider",
    type=click.Choice(["aws", "kubernetes"]),
    default="aws",
    show_default=True,
    help="aws: mlplat builds network, cluster and services; kubernetes: bring your own cluster.",
)
@click.option(
    "--ci",
    "ci_provider",
    type=click.Choice(["github", "gitlab", "none"]),
    default="github",
    show_default=True,
    help="CI system the repository will use.",
)
@click.option("--mlplat-requirement", "mlplat_requirement", default=None, metavar="VERSION|GIT_URL@TAG|PATH",
              help="The mlplat CI installs: a version (0.2.0), a requirement (mlplat>=0.2), a Git URL with a tag "
                   "(git+https://…/mlplat@v0.2.0), a ./path in the repository or a wheel file (vendored). "
                   "Default: this mlplat, from where it was installed (a wheel vendored under .mlplat/wheels/ "
                   "when it is a source checkout).")
def init(directory: str, name: str | None, provider: str, ci_provider: str, mlplat_requirement: str | None) -> None:
    """Scaffold a platform repository: a commented spec that validates, its JSON Schema, a README.

    Refuses to overwrite existing files (nothing is written then).

    \b
    Example:
        mlplat init my-platform --provider aws
        mlplat validate my-platform/platform.yaml
    """
    from mlplat.stacks.repo.requirement import parse_requirement
    from mlplat.stacks.repo.scaffold import SPEC_FILE, scaffold

    req = parse_requirement(mlplat_requirement) if mlplat_requirement else None
    created = scaffold(directory, name=name, provider=provider, ci_provider=ci_provider, requirement=req)
    for path in created:
        click.echo(f"created {path}")
    spec = next((p for p in created if p.name == SPEC_FILE), None)
    if spec is not None:
        click.echo(f"next: mlplat validate {spec} && mlplat preview {spec} --env dev", err=True)


@click.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script for mlplat (commands, options, choices, files).

    \b
    Example:
        mlplat completion bash > ~/.local/share/bash-completion/completions/mlplat
        mlplat completion zsh > "${fpath[1]}/_mlplat"
        mlplat completion fish > ~/.config/fish/completions/mlplat.fish
    """
    from click.shell_completion import get_completion_class

    from .main import cli

    cls = get_completion_class(shell)
    assert cls is not None  # click ships bash, zsh and fish
    # The script calls `mlplat` back with _MLPLAT_COMPLETE set; click answers from the live command tree.
    click.echo(cls(cli, {}, "mlplat", "_MLPLAT_COMPLETE").source())


def _fold_warnings(warnings: list[Any], envs: list[str]) -> list[Any]:
    """One warning per place and message, naming the environments it was found in (none when
    it holds in every one: then it is the spec's)."""
    from dataclasses import replace

    folded: dict[tuple[Any, str, str], Any] = {}
    for w in warnings:
        key = (w.location, w.path, w.message)
        if key in folded:
            merged = tuple(dict.fromkeys(folded[key].environments + w.environments))
            folded[key] = replace(folded[key], environments=merged)
        else:
            folded[key] = w
    return [replace(w, environments=()) if set(w.environments) >= set(envs) else w for w in folded.values()]
