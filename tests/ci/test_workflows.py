"""`mlplat ci init`: generated workflows parse, call only real commands/options, pin the version."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import mlplat
import pytest
import yaml
from click.testing import CliRunner
from mlplat.stacks.errors import MlplatError
from mlplat.stacks.repo.ci import workflow_files, write_workflows

from tests.ci.cli_contract import Invocation, invocations, problems, workflow_invocations
from tests.conftest import REFERENCE_SPECS, ROOT

PROVIDERS = ("github", "gitlab")
# The files `mlplat ci init` writes (README "CI": PR gate, apply on merge, nightly drift, teardown),
# written out rather than read from mlplat.stacks.repo.ci, so a renamed or dropped file fails here.
WORKFLOW_FILES = {
    "github": {".github/workflows/mlplat-pr.yml", ".github/workflows/mlplat-deploy.yml",
               ".github/workflows/mlplat-drift.yml", ".github/workflows/mlplat-teardown.yml"},
    "gitlab": {".gitlab-ci.yml"},
}  # fmt: skip


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict[tuple[str, str], dict[str, Path]]:
    """(provider, reference spec) → {relative path: written file}; rendering once per module."""
    out = {}
    for spec_name, (spec_path, _) in REFERENCE_SPECS.items():
        for provider in PROVIDERS:
            repo = tmp_path_factory.mktemp(f"{provider}-{spec_name}")
            shutil.copy(spec_path, repo / "platform.yaml")
            written = write_workflows(repo, provider)
            # the workflows (the vendored mlplat wheel they install is tested in test_ci_install.py)
            out[(provider, spec_name)] = {str(p.relative_to(repo)): p for p in written if p.suffix == ".yml"}
    return out


def _load(path: Path) -> dict:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict), path
    return doc


def _on(doc: dict) -> dict:
    # YAML 1.1 (PyYAML) reads the key `on` as the boolean True; GitHub reads it as "on".
    return doc.get("on") or doc.get(True) or {}


def _all_invocations(files: dict[str, Path]) -> list[Invocation]:
    return [inv for p in files.values() for inv in workflow_invocations(p)]


# --------------------------------------------------------------------------- parse + contract with the CLI


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("spec_name", list(REFERENCE_SPECS))
def test_workflows_parse_as_yaml_and_no_template_syntax_leaks(generated, provider, spec_name):
    files = generated[(provider, spec_name)]
    assert set(files) == WORKFLOW_FILES[provider]
    for path in files.values():
        text = path.read_text(encoding="utf-8")
        _load(path)
        assert "[[" not in text and "[%" not in text, f"unrendered template syntax in {path.name}"


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("spec_name", list(REFERENCE_SPECS))
def test_every_mlplat_invocation_exists_in_the_cli(generated, provider, spec_name):
    invs = _all_invocations(generated[(provider, spec_name)])
    # Guard the extractor: it must find the commands the workflows are built around.
    commands = {inv.args[0] for inv in invs if inv.args}
    assert {"check", "preview", "up", "drift", "destroy", "orphans"} <= commands, commands
    errors = [msg for inv in invs for msg in problems(inv)]
    assert not errors, "\n".join(errors)


def test_contract_checker_rejects_unknown_commands_options_and_values():
    # The checker itself must fail on what a broken workflow would contain.
    bad = [
        "mlplat frobnicate platform.yaml",
        "mlplat check platform.yaml --no-such-option",
        "mlplat ci init --provider github --nope",
        "mlplat ci launch",
        "mlplat diff platform.yaml --from-env a --to-env b --format yaml",  # not a choice
        "mlplat report platform.yaml --env prod",  # required --out missing
        "mlplat ci",  # a group without its subcommand
    ]
    for line in bad:
        (inv,) = invocations(line, "synthetic")
        assert problems(inv), f"accepted a broken invocation: {line}"
    good = ["mlplat check platform.yaml --compare-to origin/main --summary s.md --sarif a.sarif --junit j.xml",
            "mlplat ci init --provider gitlab --dir x", "mlplat diff p.yaml --from-env staging --to-env prod"]
    for line in good:
        (inv,) = invocations(line, "synthetic")
        assert problems(inv) == [], line


def test_extractor_handles_shell_constructs():
    script = (
        'code=0; mlplat check "$SPEC" --summary s.md || code=$?\n'
        'if [ "$A" = "true" ]; then\n  mlplat destroy p.yaml --env "$E" --yes --allow-protected\nfi\n'
        "mlplat drift p.yaml --env ${{ matrix.environment }} --format json > drift.json 2>&1\n"
        'python -m pip install "mlplat==1.0"\necho mlplat is not a command here\n'
    )
    got = [inv.args for inv in invocations(script, "t")]
    assert got == [
        ["check", "$SPEC", "--summary", "s.md"],
        ["destroy", "p.yaml", "--env", "$E", "--yes", "--allow-protected"],
        ["drift", "p.yaml", "--env", "GH_EXPR", "--format", "json"],
    ]


# --------------------------------------------------------------------------- version pin


@pytest.mark.parametrize("provider", PROVIDERS)
def test_tool_version_is_pinned_to_the_running_version(generated, provider):
    installs = []
    for path in generated[(provider, "platform")].values():
        for line in path.read_text(encoding="utf-8").splitlines():
            if "pip install" in line and "mlplat" in line:
                installs.append(line.strip().removeprefix("- ").removeprefix("run: "))
    assert installs
    assert len(set(installs)) == 1, installs  # every job installs the same mlplat
    # this checkout has no release to pin: the running version, as a vendored wheel (or, installed
    # from an index, as mlplat==VERSION)
    v = mlplat.__version__
    assert installs[0] in (f'"python -m pip install ./.mlplat/wheels/mlplat-{v}-py3-none-any.whl"',
                           f'"python -m pip install mlplat=={v}"'), installs[0]


# --------------------------------------------------------------------------- what the workflows do (github)


def test_github_pr_gate(generated):
    files = generated[("github", "platform")]
    doc = _load(files[".github/workflows/mlplat-pr.yml"])
    assert "pull_request" in _on(doc)
    steps = doc["jobs"]["check"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("github/codeql-action/upload-sarif") for u in uses)
    assert any("sticky-pull-request-comment" in u for u in uses)
    assert doc["permissions"]["security-events"] == "write"
    (inv,) = [i for i in workflow_invocations(files[".github/workflows/mlplat-pr.yml"]) if i.args[0] == "check"]
    for opt in ("--compare-to", "--summary", "--sarif", "--junit"):
        assert opt in inv.args
    assert inv.args[inv.args.index("--compare-to") + 1] == "origin/$BASE_REF"  # the base branch
    # a full clone: the base branch must be there for the cost diff
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    # the comment and the SARIF upload run even when the gate fails
    reporting = [s for s in steps if "sticky" in s.get("uses", "") or "upload-sarif" in s.get("uses", "")]
    assert len(reporting) == 2  # the PR comment and the SARIF upload
    for s in reporting:
        assert s["if"].startswith("always()")


def test_github_apply_on_merge_promotes_with_approval_for_prod(generated):
    doc = _load(generated[("github", "platform")][".github/workflows/mlplat-deploy.yml"])
    assert "push" in _on(doc)
    jobs = doc["jobs"]
    assert jobs["up-dev"]["needs"] == ["gate"]
    assert jobs["up-staging"]["needs"] == ["up-dev"]
    assert jobs["up-prod"]["needs"] == ["up-staging"]
    assert [jobs[f"up-{e}"]["environment"] for e in ("dev", "staging", "prod")] == ["dev", "staging", "prod"]
    assert doc["concurrency"]["cancel-in-progress"] is False
    runs = [s["run"] for s in jobs["up-prod"]["steps"] if "run" in s]
    assert "mlplat up platform.yaml --env prod --yes" in runs


def test_github_drift_nightly_and_alerting(generated):
    doc = _load(generated[("github", "platform")][".github/workflows/mlplat-drift.yml"])
    assert _on(doc)["schedule"][0]["cron"]
    job = doc["jobs"]["drift"]
    assert job["strategy"]["matrix"]["environment"] == ["dev", "staging", "prod"]
    assert job["strategy"]["fail-fast"] is False
    alerts = [s for s in job["steps"] if s.get("if") == "failure()"]
    assert len(alerts) == 2  # issue + Slack


def test_github_teardown_on_demand(generated):
    path = generated[("github", "platform")][".github/workflows/mlplat-teardown.yml"]
    doc = _load(path)
    inputs = _on(doc)["workflow_dispatch"]["inputs"]
    assert inputs["environment"]["options"] == ["dev", "staging", "prod"]
    assert inputs["allow_protected"]["default"] is False
    destroys = [i.args for i in workflow_invocations(path) if i.args[0] == "destroy"]
    assert sorted("--allow-protected" in a for a in destroys) == [False, True]
    assert all("--yes" in a for a in destroys)


def test_onprem_uses_kubeconfig_and_its_own_environments(generated):
    files = generated[("github", "onprem")]
    deploy = _load(files[".github/workflows/mlplat-deploy.yml"])
    assert [j for j in deploy["jobs"] if j.startswith("up-")] == ["up-staging", "up-prod"]
    text = files[".github/workflows/mlplat-deploy.yml"].read_text()
    assert "MLPLAT_KUBECONFIG" in text and "configure-aws-credentials" not in text


# --------------------------------------------------------------------------- what the pipeline does (gitlab)


def test_gitlab_pipeline(generated):
    doc = _load(generated[("gitlab", "platform")][".gitlab-ci.yml"])
    check = doc["mlplat-check"]
    assert check["rules"][0]["if"] == '$CI_PIPELINE_SOURCE == "merge_request_event"'
    assert check["artifacts"]["reports"]["junit"] == "mlplat-junit.xml"
    assert any("merge_requests/$CI_MERGE_REQUEST_IID/notes" in line for line in check["script"])
    assert doc["up-dev"]["needs"] == ["mlplat-gate"]
    assert doc["up-prod"]["needs"] == ["up-staging"]
    manual = {j for j in ("up-dev", "up-staging", "up-prod") if doc[j]["rules"][0].get("when") == "manual"}
    assert manual == {"up-prod"}
    assert doc["mlplat-drift"]["parallel"]["matrix"][0]["MLPLAT_ENV"] == ["dev", "staging", "prod"]
    assert doc["mlplat-teardown"]["rules"][0]["when"] == "manual"
    # GitLab requires the default value of a variable with options to be one of them
    for var in ("MLPLAT_TEARDOWN_ENV", "MLPLAT_ALLOW_PROTECTED"):
        assert doc["variables"][var]["value"] in doc["variables"][var]["options"]


# --------------------------------------------------------------------------- files, CLI, packaging


def test_refuses_to_overwrite_and_writes_nothing_then(tmp_path):
    target = tmp_path / ".github" / "workflows" / "mlplat-drift.yml"
    target.parent.mkdir(parents=True)
    target.write_text("mine\n")
    with pytest.raises(MlplatError, match="refusing to overwrite"):
        write_workflows(tmp_path, "github")
    assert target.read_text() == "mine\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["mlplat-drift.yml"]


def test_provider_none_writes_nothing(tmp_path):
    assert write_workflows(tmp_path, "none") == []
    assert list(tmp_path.iterdir()) == []


def test_cli_ci_init(tmp_path):
    from mlplat.cli.main import cli

    shutil.copy(REFERENCE_SPECS["onprem"][0], tmp_path / "platform.yaml")
    runner = CliRunner()
    res = runner.invoke(cli, ["ci", "init", "--provider", "gitlab", "--dir", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / ".gitlab-ci.yml").is_file()
    res = runner.invoke(cli, ["ci", "init", "--provider", "gitlab", "--dir", str(tmp_path)])
    assert res.exit_code == 2 and "refusing to overwrite" in res.output
    assert "Traceback" not in res.output


def test_explicit_environment_order(tmp_path):
    write_workflows(tmp_path, "github", environments=["qa", "live"])
    doc = _load(tmp_path / ".github/workflows/mlplat-deploy.yml")
    assert doc["jobs"]["up-live"]["needs"] == ["up-qa"]


def test_templates_are_package_data():
    # `pip install .` (not editable) must ship templates/ci/**: every file matches a package-data glob.
    # (Verified once by hand with a wheel build + install into a fresh venv; this keeps it true.)
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "mlplat.templates" in cfg["packages"]
    globs = cfg["package-data"].get("mlplat.templates", []) + cfg["package-data"].get("*", [])
    templates = ROOT / "templates"
    shipped = {p for g in globs for p in templates.glob(g)}
    files = [f for f in (templates / "ci").rglob("*") if f.is_file() and "__pycache__" not in f.parts]
    assert files
    missing = [str(f.relative_to(ROOT)) for f in files if f not in shipped]
    assert not missing, f"not package data: {missing}"


def test_workflow_files_hook_for_init_reads_the_spec_text():
    # `mlplat init` renders the spec first and asks for the CI files without writing anything.
    spec = REFERENCE_SPECS["onprem"][0].read_text()
    files = workflow_files("github", spec_text=spec)
    deploy = yaml.safe_load(files[".github/workflows/mlplat-deploy.yml"])
    assert [j for j in deploy["jobs"] if j.startswith("up-")] == ["up-staging", "up-prod"]
    assert "MLPLAT_KUBECONFIG" in files[".github/workflows/mlplat-deploy.yml"]
    assert workflow_files("none") == {}
    assert set(workflow_files("gitlab", target="kubernetes")) == {".gitlab-ci.yml"}


def test_spec_without_environments_deploys_to_the_builtin_profiles(tmp_path):
    text = REFERENCE_SPECS["onprem"][0].read_text()
    text = text[: text.index("environments:")]
    files = workflow_files("gitlab", spec_text=text)
    doc = yaml.safe_load(files[".gitlab-ci.yml"])
    assert doc["mlplat-drift"]["parallel"]["matrix"][0]["MLPLAT_ENV"] == ["dev", "staging", "prod"]


@pytest.mark.parametrize("ci_provider", ["github", "gitlab", "none"])
def test_mlplat_init_includes_the_workflows(tmp_path, ci_provider):
    from mlplat.stacks.repo.scaffold import scaffold

    created = {str(p.relative_to(tmp_path / "repo")) for p in scaffold(tmp_path / "repo", ci_provider=ci_provider)}
    expected = WORKFLOW_FILES.get(ci_provider, set())
    assert expected <= created
    if ci_provider == "none":
        assert not [p for p in created if "workflows" in p or "gitlab-ci" in p]
    for rel in expected:
        invs = workflow_invocations(tmp_path / "repo" / rel)
        assert invs and not [m for inv in invs for m in problems(inv)]
