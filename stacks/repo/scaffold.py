"""`mlplat init`: scaffold a platform repository from the jinja2 templates in templates/init/.

What a new repository gets: a commented `platform.yaml` that validates as generated, its
JSON Schema for editors, a README and a .gitignore. Nothing existing is ever overwritten.

CI workflows belong to `mlplat ci init` (stacks/ci.py, templates under templates/ci/);
`ci_files()` is the single place where `init` asks for them, so both commands write the same
workflows and `init` applies its no-overwrite rule to them too.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlplat.stacks.errors import MlplatError

if TYPE_CHECKING:
    from mlplat.stacks.repo.requirement import MlplatRequirement

PROVIDERS = ("aws", "kubernetes")
CI_PROVIDERS = ("github", "gitlab", "none")
SPEC_FILE = "platform.yaml"
SCHEMA_FILE = "platform.schema.json"
MAX_NAME = 20


@dataclass(frozen=True)
class ScaffoldContext:
    """Everything the templates see."""

    name: str
    provider: str
    ci_provider: str
    owner: str = "ml-platform@example.com"
    region: str = "us-east-1"
    context: str = "my-cluster"
    budget: int = 3000


def platform_name(directory: str | Path) -> str:
    """A valid metadata.name from a directory name: 'My Platform_v2' → 'my-platform-v2'."""
    raw = Path(directory).resolve().name.lower()
    name = re.sub(r"[^a-z0-9-]+", "-", raw)
    name = re.sub(r"^[^a-z]+", "", name)[:MAX_NAME].strip("-")
    name = re.sub(r"-{2,}", "-", name)
    return name or "platform"


def ci_files(ctx: ScaffoldContext, requirement: MlplatRequirement | None = None) -> dict[str, str]:
    """CI workflow files for `ctx.ci_provider`, as {relative path: content} (none for "none")."""
    from mlplat.stacks.repo.ci import workflow_files

    return workflow_files(ctx.ci_provider, spec=SPEC_FILE, target=ctx.provider, region=ctx.region,
                          requirement=requirement)  # fmt: skip


def render(ctx: ScaffoldContext, requirement: MlplatRequirement | None = None) -> dict[str, str]:
    """{relative path: content} of every file `init` would write."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("mlplat.templates", "init"),
        undefined=jinja2.StrictUndefined,  # a missing variable is a template bug, not an empty string
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # YAML and Markdown, not HTML
    )
    values = asdict(ctx)
    files = {
        SPEC_FILE: env.get_template("platform.yaml.j2").render(values),
        "README.md": env.get_template("README.md.j2").render(values),
        ".gitignore": env.get_template("gitignore.j2").render(values),
        SCHEMA_FILE: _schema_text(),
    }
    files.update(ci_files(ctx, requirement))
    return files


def scaffold(
    directory: str | Path,
    *,
    name: str | None = None,
    provider: str = "aws",
    ci_provider: str = "github",
    requirement: MlplatRequirement | None = None,
) -> list[Path]:
    """Write a new platform repository into `directory`; returns the files created.

    Refuses (MlplatError, nothing written) when any of the files exists already.
    """
    if provider not in PROVIDERS:
        raise MlplatError(f"unknown provider {provider!r} (supported: {', '.join(PROVIDERS)})")
    if ci_provider not in CI_PROVIDERS:
        raise MlplatError(f"unknown CI provider {ci_provider!r} (supported: {', '.join(CI_PROVIDERS)})")
    root = Path(directory)
    if root.exists() and not root.is_dir():
        raise MlplatError(f"{root} exists and is not a directory")
    if name is None:
        name = platform_name(root)
    elif not re.fullmatch(r"[a-z]([a-z0-9-]*[a-z0-9])?", name) or len(name) > MAX_NAME:
        raise MlplatError(
            f"--name {name!r} is not a valid platform name: a lowercase DNS label "
            f"(a-z, 0-9, '-', starting with a letter), at most {MAX_NAME} characters"
        )
    ctx = ScaffoldContext(name=name, provider=provider, ci_provider=ci_provider,
                          budget=3000 if provider == "aws" else 1000, context=name)  # fmt: skip
    if ci_provider != "none":
        from mlplat.stacks.repo.requirement import default_requirement

        requirement = requirement or default_requirement()
    files = render(ctx, requirement)
    _check_rendered_spec(files[SPEC_FILE], root / SPEC_FILE)

    from mlplat.stacks.safe_io import create_files

    # A new folder is built aside and renamed into place; an existing one only gains new files,
    # never through a symlink, never over an existing file (stacks/safe_io.py).
    created = create_files(root, files)
    if requirement is not None and ci_provider != "none":
        created += requirement.materialise(root)  # the vendored mlplat wheel the CI files install
    return created


def _schema_text() -> str:
    from mlplat.stacks.platform_spec.schema import spec_json_schema

    return json.dumps(spec_json_schema(), indent=2) + "\n"


def _check_rendered_spec(text: str, path: Path) -> None:
    """The scaffolded spec must validate as written; a failure here is an mlplat bug."""
    from mlplat.stacks.errors import SpecError
    from mlplat.stacks.platform_spec.resolve import SpecDocument, validate
    from mlplat.stacks.platform_spec.tree import parse_yaml

    try:
        validate(SpecDocument(path, parse_yaml(text, str(path))))
    except SpecError as exc:  # pragma: no cover - guarded by tests of every provider
        raise RuntimeError(f"the scaffolded spec does not validate:\n{exc}") from None


__all__ = ["CI_PROVIDERS", "PROVIDERS", "ScaffoldContext", "ci_files", "platform_name", "render", "scaffold"]
