"""Terminal output that fits: tables at 80 and 120 columns keep every column (names wrap instead),
progress is a plain line on stderr when captured, shell completion, help texts."""

from __future__ import annotations

from io import StringIO

import pytest
from click.testing import CliRunner
from mlplat.cli.main import cli
from mlplat.stacks.plan.table import plan_table
from rich.console import Console

from tests.conftest import REFERENCE_SPECS
from tests.plans import reference

SPEC = str(REFERENCE_SPECS["platform"][0])


def render(fn, width: int, *args) -> list[str]:
    buf = StringIO()
    fn(*args, console=Console(file=buf, width=width, highlight=False, color_system=None))
    return buf.getvalue().splitlines()


@pytest.mark.parametrize("width", [80, 120])
def test_preview_table_keeps_action_and_protected_columns(width):
    resolved, plan = reference("platform", "prod")
    lines = render(plan_table, width, plan, resolved)
    assert all(len(ln) <= width for ln in lines), max(lines, key=len)
    resources = plan.custom_resources()
    protected = [r for r in resources if r.protect]
    assert protected  # prod protects its stateful resources (profile prod)
    # one row starts with the `+` action per resource (continuation lines of a wrapped name do not)
    assert sum(1 for ln in lines if ln.startswith("+ ")) == len(resources)
    assert sum(1 for ln in lines if ln.rstrip().endswith("protected")) == len(protected)


def test_preview_captured_keeps_columns():
    # CliRunner captures stdout: rich falls back to 80 columns there, as in a CI log
    res = CliRunner().invoke(cli, ["preview", SPEC, "--env", "prod"], env={"COLUMNS": None})
    assert res.exit_code == 0, res.output
    rows = [ln for ln in res.stdout.splitlines() if ln.startswith("+ ")]
    assert rows and all(len(ln) <= 80 for ln in res.stdout.splitlines())
    assert any(ln.rstrip().endswith("protected") for ln in rows)
    # progress: a plain line on stderr, no spinner control characters
    assert "expanding churn-prod offline…" in res.stderr and "\x1b" not in res.stderr


@pytest.mark.parametrize("width", [80, 120])
def test_policy_table_respects_width(width):
    from mlplat.policies import evaluate
    from mlplat.policies.report import render_table

    resolved, plan = reference("platform", "prod")
    result = evaluate(resolved, plan, checkov=False)
    assert result.findings  # the reference prod spec has advisory findings
    lines = render(render_table, width, result)
    assert all(len(ln) <= width for ln in lines), max(lines, key=len)
    text = "\n".join(lines)
    for f in result.findings:
        assert f.policy in text
    assert text.count("platform.yaml:") == len(result.findings)  # the spec column survives


@pytest.mark.parametrize("width", [80, 120])
def test_revision_diff_table_respects_width(width):
    from mlplat.stacks.plan.model import Plan, PlanResource
    from mlplat.stacks.review.diff import compare_plans, render_revision_table

    t = "aws:eks/nodeGroup:NodeGroup"
    long = "cluster-" + "very-long-node-pool-name-" * 3
    before = PlanResource(f"urn:x::{long}", t, long, None, "cluster", {"scalingConfig": {"maxSize": 4.0}}, protect=True)
    after = PlanResource(f"urn:x::{long}", t, long, None, "cluster", {"scalingConfig": {"maxSize": 6.0}}, protect=True)
    d = compare_plans(Plan("p", "prod", [before]), Plan("p", "prod", [after]), "main")
    lines = render(render_revision_table, width, d)
    assert all(len(ln) <= width for ln in lines), max(lines, key=len)
    text = "\n".join(lines)
    assert "~ update" in text and "protected" in text and "4 → 6" in text


@pytest.mark.parametrize("shell,marker", [("bash", "complete -o nosort -F"), ("zsh", "#compdef mlplat"),
                                          ("fish", "complete --no-files --command mlplat")])
def test_completion_scripts(shell, marker):
    res = CliRunner().invoke(cli, ["completion", shell])
    assert res.exit_code == 0, res.output
    assert marker in res.stdout and "_MLPLAT_COMPLETE" in res.stdout


def test_completion_answers_from_the_command_tree():
    env = {"_MLPLAT_COMPLETE": "bash_complete", "COMP_WORDS": "mlplat pre", "COMP_CWORD": "1"}
    res = CliRunner().invoke(cli, [], env=env, prog_name="mlplat")
    assert "plain,preview" in res.stdout.splitlines()
    env = {"_MLPLAT_COMPLETE": "bash_complete", "COMP_WORDS": "mlplat graph x --level ", "COMP_CWORD": "4"}
    res = CliRunner().invoke(cli, [], env=env, prog_name="mlplat")
    assert {"plain,resource", "plain,component"} <= set(res.stdout.splitlines())


def test_destroy_help_describes_env_as_teardown():
    res = CliRunner().invoke(cli, ["destroy", "--help"])
    assert res.exit_code == 0
    env_help = res.stdout.split("--env TEXT", 1)[1].split("-y, --yes")[0]
    assert "tear down" in env_help and "deploy" not in env_help
