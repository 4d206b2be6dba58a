"""`mlplat policy`: exit codes, formats, --output, export-pack and rules, through click's CliRunner."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner
from mlplat.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
INSECURE = str(Path(__file__).with_name("insecure.yaml"))
ONPREM = str(ROOT / "examples" / "onprem.yaml")


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Saved offline plans of the insecure spec (each expansion costs seconds: done once)."""
    from mlplat.stacks.plan.offline import run_offline
    from mlplat.stacks.platform_spec.resolve import load_platform

    d = tmp_path_factory.mktemp("plans")
    out = {}
    for env in ("dev", "prod"):
        p = d / f"{env}.json"
        p.write_text(run_offline(load_platform(INSECURE, env)).to_json())
        out[env] = str(p)
    return out


def test_mandatory_violation_exits_1_and_json_is_only_json(runner: CliRunner, plans: dict[str, str]) -> None:
    res = runner.invoke(
        cli, ["policy", INSECURE, "--env", "prod", "--format", "json", "--plan", plans["prod"]]
    )
    assert res.exit_code == 1, res.output
    data = json.loads(res.stdout)
    assert data["passed"] is False
    assert {"MLP-CLU-001", "MLP-CLU-008", "MLP-STO-001", "MLP-STO-002", "MLP-DB-001", "MLP-SRV-001"} <= {
        f["policy"] for f in data["findings"] if f["level"] == "mandatory"
    }


def test_world_open_endpoint_is_mandatory_in_staging_and_prod_only() -> None:
    """0.0.0.0/0 on a public endpoint: a mandatory finding in staging and prod, advisory in dev."""
    from mlplat.policies.base import LevelResolver, rule_by_id
    from mlplat.stacks.platform_spec.resolve import load_profile

    rule = rule_by_id("MLP-CLU-008")
    assert rule is not None
    levels = {
        env: LevelResolver(dict(load_profile(env).policy_levels)).level(rule) for env in ("dev", "staging", "prod")
    }
    assert levels == {"dev": "advisory", "staging": "mandatory", "prod": "mandatory"}


def test_pass_exits_0(runner: CliRunner, plans: dict[str, str]) -> None:
    res = runner.invoke(cli, ["policy", INSECURE, "--env", "dev", "--plan", plans["dev"], "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["passed"] is True


def test_spec_error_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: mlplat.io/v1alpha1\nkind: Platform\nmetadata: {name: x}\ntarget: {provider: gcp}\n"
    )
    res = runner.invoke(cli, ["policy", str(bad), "--env", "prod"])
    assert res.exit_code == 2
    assert "bad.yaml:4" in res.stderr
    res = runner.invoke(cli, ["policy", INSECURE, "--env", "qa"])
    assert res.exit_code == 2 and "unknown environment" in res.stderr


@pytest.mark.parametrize("fmt", ["sarif", "junit", "markdown", "table"])
def test_output_file_per_format(runner: CliRunner, plans: dict[str, str], tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"report.{fmt}"
    res = runner.invoke(
        cli,
        [
            "policy",
            INSECURE,
            "--env",
            "prod",
            "--plan",
            plans["prod"],
            "--no-checkov",
            "--format",
            fmt,
            "--output",
            str(out),
        ],
    )
    assert res.exit_code == 1, res.output
    text = out.read_text()
    assert "MLP-CLU-001" in text and "cluster-eks" in text
    if fmt == "sarif":
        assert json.loads(text)["version"] == "2.1.0"
    if fmt == "junit":
        assert ET.fromstring(text).tag == "testsuites"
    assert res.stdout == ""  # the report went to the file


def test_full_run_expands_the_spec_itself(runner: CliRunner) -> None:
    """No --plan: the command expands the spec offline and runs checkov too."""
    res = runner.invoke(cli, ["policy", INSECURE, "--env", "prod", "--format", "json"])
    assert res.exit_code == 1, res.output
    data = json.loads(res.stdout)
    assert "MLP-CLU-001" in {f["policy"] for f in data["findings"]}
    assert data["summary"]["by_source"]["checkov"] > 0


def test_plan_of_another_environment_is_refused(runner: CliRunner, plans: dict[str, str]) -> None:
    res = runner.invoke(cli, ["policy", INSECURE, "--env", "dev", "--plan", plans["prod"]])
    assert res.exit_code == 2 and "not leaky/dev" in res.stderr  # a plan of another environment


def test_onprem_reference_passes_without_checkov(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["policy", ONPREM, "--env", "prod", "--no-checkov", "--format", "json"])
    assert res.exit_code == 0, res.output


def test_run_subcommand_and_options_first(runner: CliRunner, plans: dict[str, str]) -> None:
    res = runner.invoke(
        cli,
        ["policy", "run", INSECURE, "-e", "dev", "--plan", plans["dev"], "--no-checkov", "--format", "json"],
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        cli, ["policy", "--env", "dev", INSECURE, "--plan", plans["dev"], "--no-checkov", "--format", "json"]
    )
    assert res.exit_code == 0, res.output


def test_help_shows_both_usages(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["policy", "--help"])
    assert res.exit_code == 0
    assert "policy SPEC --env E" in res.stdout and "policy export-pack DIR" in res.stdout


def test_rules_listing(runner: CliRunner) -> None:
    res = runner.invoke(cli, ["policy", "rules", "--format", "json"])
    assert res.exit_code == 0
    rules = json.loads(res.stdout)
    assert len(rules) >= 30 and all(r["name"].startswith("Ensure") for r in rules)


def test_export_pack(runner: CliRunner, tmp_path: Path) -> None:
    d = tmp_path / "pack"
    res = runner.invoke(cli, ["policy", "export-pack", str(d), "--profile", "prod"])
    assert res.exit_code == 0, res.output
    # .mlplat-generated: the folder is mlplat's, so a later export may replace it whole (stacks/safe_io.py)
    assert sorted(p.name for p in d.iterdir()) == [".mlplat-generated", "PulumiPolicy.yaml", "__main__.py", "requirements.txt"]
    assert "runtime: python" in (d / "PulumiPolicy.yaml").read_text()
    assert "pulumi-policy" in (d / "requirements.txt").read_text()
    main = (d / "__main__.py").read_text()
    tree = ast.parse(main)  # valid Python
    levels = next(
        json.loads(ast.literal_eval(n.value.args[0]))  # type: ignore[attr-defined]
        for n in tree.body
        if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "LEVELS"
    )
    assert levels["MLP-CLU-001"] == "mandatory" and levels["MLP-NET-002"] == "mandatory"
    assert "PolicyPack(" in main


def test_export_pack_with_spec_levels(runner: CliRunner, tmp_path: Path) -> None:
    d = tmp_path / "pack"
    res = runner.invoke(cli, ["policy", "export-pack", str(d), "--spec", INSECURE, "--env", "dev"])
    assert res.exit_code == 0, res.output
    assert '"MLP-CLU-001": "advisory"' in (d / "__main__.py").read_text()
    res = runner.invoke(cli, ["policy", "export-pack", str(d), "--spec", INSECURE])
    assert res.exit_code == 2 and "--env" in res.stderr
