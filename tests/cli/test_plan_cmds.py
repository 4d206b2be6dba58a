"""preview / render / graph through the CLI: output formats, exit codes, no secrets printed."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from mlplat.cli.main import cli

SPEC = "examples/platform.yaml"


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


def test_preview_json_is_only_json(runner, tmp_path):
    out = tmp_path / "plan.json"
    res = runner.invoke(cli, ["preview", SPEC, "--env", "dev", "--format", "json", "--out", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)  # stdout holds nothing but the JSON document
    assert data["platform"] == "churn" and data["environment"] == "dev"
    assert json.loads(out.read_text())["resources"] == data["resources"]
    for r in data["resources"]:
        assert {"urn", "type", "name", "parent", "component", "inputs"} <= set(r)
    assert "mlplat-offline-generated-secret" not in res.stdout


def test_preview_table_groups_by_component(runner):
    res = runner.invoke(cli, ["preview", SPEC, "--env", "prod"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    for comp in ("network", "storage", "cluster", "tracking", "serving", "monitoring"):
        assert comp in res.stdout
    assert "protected" in res.stdout
    assert "Plan:" in res.stdout


def test_preview_unknown_env_is_a_user_error(runner):
    res = runner.invoke(cli, ["preview", SPEC, "--env", "prd"])
    assert res.exit_code == 2
    assert "did you mean 'prod'" in res.output
    assert "Traceback" not in res.output


def test_preview_invalid_spec_exits_2(runner, write_spec):
    bad = write_spec("apiVersion: mlplat.io/v1alpha1\nkind: Platform\nmetadata: {name: x}\ntarget: {provider: gcp}\n")
    res = runner.invoke(cli, ["preview", str(bad), "--env", "dev"])
    assert res.exit_code == 2
    assert f"{bad}:4:" in res.output and "target" in res.output


@pytest.mark.parametrize("fmt,marker", [("mermaid", "flowchart LR"), ("dot", "digraph")])
def test_graph_formats(runner, fmt, marker):
    res = runner.invoke(cli, ["graph", SPEC, "--env", "dev", "--format", fmt])
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith(marker)
    assert "storage" in res.stdout and "cluster" in res.stdout
    assert ("-->" if fmt == "mermaid" else "->") in res.stdout  # dependency edges are drawn


def test_render_command(runner, tmp_path):
    out = tmp_path / "prod"
    res = runner.invoke(cli, ["render", SPEC, "--env", "prod", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert (out / "Pulumi.prod.yaml").exists() and (out / "manifests").is_dir()
    again = runner.invoke(cli, ["render", SPEC, "--env", "prod", "--out", str(out)])
    assert again.exit_code == 2 and "not empty" in again.output
