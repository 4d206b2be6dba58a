"""CI workflows for a platform repository (`mlplat ci init`, and `mlplat init`).

Rendered from jinja2 templates shipped in `mlplat.templates/ci/<provider>/`. The templates use
`[[ var ]]` / `[% block %]` delimiters so GitHub's own `${{ expr }}` passes through untouched.

What is generated (DESIGN 5, issue 8):
- a pull-request gate: `mlplat check` of every environment with the cost diff against the base
  branch, the markdown summary as a PR/MR comment, SARIF (code scanning) and JUnit;
- apply on merge: the gate again, then promotion through the environments in order
  (dev → staging → prod), the production environment behind a manual approval;
- a nightly drift job per environment that fails and alerts on drift;
- teardown of one environment on demand.

CI installs the mlplat that generated the files (`stacks/repo/requirement.py`: a release, a Git URL
at a commit, or a wheel vendored into the repository before any release exists), or what
`--mlplat-requirement` says, so CI runs the gate this repository was set up with.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from mlplat import __version__
from mlplat.stacks.errors import MlplatError, printable
from mlplat.stacks.platform_spec.model import aws_regions
from mlplat.stacks.platform_spec.names import check_env_name, env_name_ok
from mlplat.stacks.repo.requirement import MlplatRequirement, default_requirement

PROVIDERS = ("github", "gitlab")
PACKAGE = "mlplat"
DEFAULT_ENVIRONMENTS = ("dev", "staging", "prod")
DEFAULT_DRIFT_CRON = "17 3 * * *"  # nightly, off the hour (scheduler load is lower)

# template (relative to templates/ci) → file written (relative to the repository root)
OUTPUTS: dict[str, dict[str, str]] = {
    "github": {
        "github/mlplat-pr.yml.j2": ".github/workflows/mlplat-pr.yml",
        "github/mlplat-deploy.yml.j2": ".github/workflows/mlplat-deploy.yml",
        "github/mlplat-drift.yml.j2": ".github/workflows/mlplat-drift.yml",
        "github/mlplat-teardown.yml.j2": ".github/workflows/mlplat-teardown.yml",
    },
    "gitlab": {
        "gitlab/gitlab-ci.yml.j2": ".gitlab-ci.yml",
    },
}

_PROFILE_RANK = {"dev": 0, "staging": 1, "prod": 2}


@dataclass
class CiEnvironment:
    name: str
    profile: str | None = None
    approval: bool = False  # promotion into it waits for a human
    job: str = ""
    needs: str = ""  # GitHub `needs:` (flow list)
    gitlab_needs: str = ""


@dataclass
class CiContext:
    """Everything the templates see (kept explicit so templates cannot reach anything else)."""

    spec: str
    environments: list[CiEnvironment]
    provider: str = "aws"  # the spec's target provider: aws | kubernetes
    region: str = "us-east-1"
    branch: str = "main"
    python_version: str = "3.11"
    drift_cron: str = DEFAULT_DRIFT_CRON
    version: str = __version__
    package: str = PACKAGE
    install: str = f"python -m pip install {PACKAGE}=={__version__}"  # the shell line CI runs
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Every value the templates see is checked here, whole-string (fullmatch): the
        # workflows are YAML holding shell lines, and a newline in a region once added a
        # `run:` step of its own (issue 14, item 1).
        _checked("--spec", self.spec, _PATH)
        _checked("--branch", self.branch, _BRANCH)
        _checked("python version", self.python_version, _PYVER)
        _checked("drift schedule", self.drift_cron, _CRON)
        _checked("target provider", self.provider, _PROVIDER)
        _checked("region", self.region, _REGION)
        for e in self.environments:
            check_env_name(e.name, "environment")

    @property
    def install_yaml(self) -> str:
        # a JSON string is a YAML double-quoted scalar: the line goes in as data, whatever it holds
        return json.dumps(self.install)

    @property
    def spec_q(self) -> str:
        return _shell_quote(self.spec)

    @property
    def env_names(self) -> list[str]:
        return [e.name for e in self.environments]

    @property
    def env_names_json(self) -> str:
        return json.dumps(self.env_names)

    @property
    def teardown_options_json(self) -> str:
        return json.dumps([""] + self.env_names)

    @property
    def branches_json(self) -> str:
        return json.dumps([self.branch])

    @property
    def promotion_text(self) -> str:
        return " → ".join(self.env_names)

    @property
    def approval_text(self) -> str:
        return ", ".join(e.name for e in self.environments if e.approval) or "(none)"


_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/-]{0,200}")
_BRANCH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/-]{0,200}")
_PYVER = re.compile(r"3\.\d{1,2}")
_CRON = re.compile(r"[0-9*/,-]+( [0-9*/,-]+){4}")
_PROVIDER = re.compile(r"aws|kubernetes")
_REGION = re.compile(r"[a-z]{2,4}(-[a-z]+)+-\d{1,2}")


def _checked(what: str, value: str, pattern: re.Pattern[str]) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value) or ".." in value:
        raise MlplatError(f"{what}: {printable(repr(value))} is not allowed in a generated workflow")
    return value


def _no_control(value: Any) -> Any:
    """Jinja `finalize`: the last guard before a value lands in a workflow file. Values were
    checked on entry (CiContext); a control character reaching here is a bug, not output.
    (Line breaks are allowed here only because the macros' multi-line steps pass through too.)"""
    if isinstance(value, str) and re.search(r"[\x00-\x08\x0b-\x1f\x7f]", value):
        raise MlplatError(f"refusing to write a control character into a workflow: {printable(repr(value))}")
    return value


def _shell_quote(value: str) -> str:
    import shlex

    return shlex.quote(value)


# --------------------------------------------------------------------------- context from the spec


def environments_of(spec_path: Path | None, names: list[str] | None = None) -> tuple[list[CiEnvironment], str, str]:
    """Promotion order, approvals, target provider and region, read from the spec when it exists.

    An unreadable or invalid spec is not an error here: `ci init` may run before the spec is
    finished; the defaults (dev, staging, prod on aws) apply and `mlplat check` reports the spec.
    """
    doc = None
    if spec_path is not None and spec_path.is_file():
        from mlplat.stacks.platform_spec.resolve import load_spec

        try:
            doc = load_spec(spec_path)
        except MlplatError:
            doc = None
    return _environments(doc, names)


def _environments(doc: Any, names: list[str] | None, provider: str = "aws",
                  region: str = "us-east-1") -> tuple[list[CiEnvironment], str, str]:
    profiles: dict[str, str | None] = {}
    if doc is not None:
        from mlplat.stacks.platform_spec.resolve import validate

        try:
            resolved = validate(doc)
            for env, r in resolved.items():
                profiles[env] = r.profile.name or None
            first = next(iter(resolved.values()), None)
            if first is not None:
                provider = first.provider
                region = getattr(first.spec.target, "region", region) or region
        except MlplatError:
            # The spec is invalid (`mlplat check` reports it). Only what passes the same checks
            # as a valid spec is taken from it; anything else keeps its default (issue 14).
            profiles = {e: (e if e in _PROFILE_RANK else None) for e in doc.environment_names() if env_name_ok(e)}
            target = doc.root.plain().get("target") or {}
            if isinstance(target, dict):
                if target.get("provider") in ("aws", "kubernetes"):
                    provider = target["provider"]
                if target.get("region") in aws_regions():
                    region = target["region"]
    if names:
        profiles = {n: profiles.get(n, n if n in _PROFILE_RANK else None) for n in names}
    if not profiles:
        profiles = {n: n for n in DEFAULT_ENVIRONMENTS}
    if "default" in profiles and doc is not None:
        # A spec without `environments:` validates as one nameless environment, and deploys to
        # the built-in profiles' names (`--env dev` resolves against envs/dev.yaml).
        profiles = {n: n for n in doc.environment_names()}

    # Promotion: names given explicitly are the order; otherwise dev-like first, prod-like last,
    # declared order breaking ties (stable sort).
    order = list(profiles) if names else sorted(profiles, key=lambda n: _PROFILE_RANK.get(profiles[n] or n, 1))
    envs = [CiEnvironment(n, profiles[n]) for n in order]
    prod_like = [e for e in envs if e.profile == "prod" or e.name in ("prod", "production")]
    for e in prod_like or (envs[-1:] if len(envs) > 1 else []):
        e.approval = True
    prev: CiEnvironment | None = None
    for e in envs:
        e.job = f"up-{e.name}"
        e.needs = f"[{prev.job if prev else 'gate'}]"
        e.gitlab_needs = f"[{prev.job if prev else 'mlplat-gate'}]"
        prev = e
    return envs, provider, region


def workflow_files(
    provider: str,
    *,
    spec: str = "platform.yaml",
    spec_text: str | None = None,
    environments: list[str] | None = None,
    target: str = "aws",
    region: str = "us-east-1",
    branch: str = "main",
    requirement: MlplatRequirement | None = None,
) -> dict[str, str]:
    """{relative path: content} of the CI files for `provider` (github | gitlab | none), without
    writing anything: the hook `mlplat init` uses (stacks/scaffold.py `ci_files`).

    `spec_text`, when given, is the spec the repository will hold (environments, target and
    region are read from it); otherwise `environments` (default dev, staging, prod), `target`
    (aws | kubernetes) and `region` describe it.
    """
    if provider == "none":
        return {}
    doc = None
    if spec_text is not None:
        from mlplat.stacks.platform_spec.resolve import SpecDocument
        from mlplat.stacks.platform_spec.tree import parse_yaml

        doc = SpecDocument(Path(spec), parse_yaml(spec_text, spec))
    envs, target, region = _environments(doc, environments, target, region)
    req = requirement or default_requirement()
    ctx = CiContext(spec=spec, environments=envs, provider=target, region=region, branch=branch,
                    install=req.install_command)  # fmt: skip
    return render_workflows(provider, ctx)


def make_context(
    directory: str | Path = ".",
    *,
    spec: str = "platform.yaml",
    environments: list[str] | None = None,
    branch: str = "main",
    python_version: str = "3.11",
    drift_cron: str = DEFAULT_DRIFT_CRON,
    requirement: MlplatRequirement | None = None,
) -> CiContext:
    envs, provider, region = environments_of(Path(directory) / spec, environments)
    req = requirement or default_requirement()
    return CiContext(
        spec=spec, environments=envs, provider=provider, region=region, branch=branch,
        python_version=python_version, drift_cron=drift_cron, install=req.install_command,
    )  # fmt: skip


# --------------------------------------------------------------------------- rendering


def _jinja_env() -> Any:
    import jinja2

    root = resources.files("mlplat.templates") / "ci"

    def load(name: str) -> str | None:
        node = root.joinpath(*name.split("/"))
        return node.read_text(encoding="utf-8") if node.is_file() else None

    return jinja2.Environment(
        loader=jinja2.FunctionLoader(load),
        variable_start_string="[[",
        variable_end_string="]]",
        block_start_string="[%",
        block_end_string="%]",
        comment_start_string="[#",
        comment_end_string="#]",
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,  # a typo in a template fails loudly, never renders ""
        autoescape=False,
        finalize=_no_control,
    )


def render_workflows(provider: str, ctx: CiContext) -> dict[str, str]:
    """Relative output path → file text, for one CI provider."""
    if provider not in OUTPUTS:
        raise MlplatError(f"unknown CI provider {provider!r} (supported: {', '.join(PROVIDERS)})")
    env = _jinja_env()
    out: dict[str, str] = {}
    for template, target in OUTPUTS[provider].items():
        text = env.get_template(template).render(ctx=ctx)
        # Collapse the blank lines left by block tags so the files read as hand-written.
        while "\n\n\n" in text:
            text = text.replace("\n\n\n", "\n\n")
        _parses(target, text)
        out[target] = text
    return out


def _parses(name: str, text: str) -> None:
    """Every generated workflow is read back as YAML: a file that would not parse is a bug."""
    import yaml

    try:
        yaml.safe_load(text)
    except yaml.YAMLError as exc:  # pragma: no cover - a template bug, caught by the tests
        raise RuntimeError(f"generated {name} is not valid YAML: {exc}") from exc


def write_workflows(
    directory: str | Path,
    provider: str,
    *,
    spec: str = "platform.yaml",
    environments: list[str] | None = None,
    branch: str = "main",
    python_version: str = "3.11",
    drift_cron: str = DEFAULT_DRIFT_CRON,
    requirement: MlplatRequirement | None = None,
) -> list[Path]:
    """Write the CI workflows for `provider` (github | gitlab | none) under `directory`.

    `spec` is the spec's path relative to `directory` (the repository root): environments,
    target provider and region are read from it when it exists. Refuses to overwrite any
    existing file (nothing is written then). A vendored mlplat wheel (the default before any
    release) is put under `.mlplat/wheels/`. Returns the paths written.
    """
    if provider == "none":
        return []
    req = requirement or default_requirement()
    ctx = make_context(
        directory, spec=spec, environments=environments, branch=branch,
        python_version=python_version, drift_cron=drift_cron, requirement=req,
    )  # fmt: skip
    files = render_workflows(provider, ctx)
    root = Path(directory)
    existing = [str(root / rel) for rel in files if (root / rel).exists()]
    if existing:
        raise MlplatError(f"refusing to overwrite existing file(s): {', '.join(existing)}")
    vendored = req.materialise(root)  # first: a failed wheel build leaves no workflow pointing at nothing
    from mlplat.stacks.safe_io import create_files

    # Never over an existing file, never through a symlink (stacks/safe_io.py).
    return create_files(root, dict(files)) + vendored


__all__ = [
    "DEFAULT_DRIFT_CRON", "OUTPUTS", "PROVIDERS", "CiContext", "CiEnvironment", "environments_of",
    "make_context", "render_workflows", "workflow_files", "write_workflows",
]  # fmt: skip
