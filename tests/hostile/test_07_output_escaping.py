"""Item 7: spec values, file names and waiver fields are data in every output format:
rich markup is shown literally, JUnit stays well-formed XML, HTML is escaped in the PR
comment, and terminal control characters never reach the terminal."""

from __future__ import annotations

import xml.dom.minidom

import pytest

from tests.conftest import EXAMPLES
from tests.hostile.helpers import run

HOSTILE = "*[/r] [bold]x[/bold] <script>alert(1)</script> \x1b[31mred\x00 ` | end"


@pytest.fixture
def hostile_spec(tmp_path):
    """The reference spec under a path holding rich markup, with a waiver whose fields are
    markup, HTML and control characters, matching a real resource so it shows in every report."""
    folder = tmp_path / "*["
    folder.mkdir()
    spec = folder / "r]*.yaml"  # the path reads `…/*[/r]*.yaml`: a closing tag with no opening one
    reason = HOSTILE.replace("\x1b", "\\e").replace("\x00", "\\0")  # YAML double-quoted escapes
    text = (EXAMPLES / "platform.yaml").read_text() + (
        "policies:\n  waivers:\n"
        f'    - {{policy: MLP-STO-002, resource: "*[/r]*", reason: "{reason}", owner: "[/]",'
        " expires: 2099-01-01}\n"
    )
    spec.write_text(text)
    return spec


@pytest.mark.parametrize("command", [["preview"], ["cost"], ["policy", "run", "--no-checkov"], ["graph"]])
def test_tables_survive_markup_in_paths_and_values(hostile_spec, command):
    res = run(*command, str(hostile_spec), "--env", "dev")
    assert res.exit_code in (0, 1), res.output  # was MarkupError, exit 3
    assert "\x1b" not in res.output and "\x00" not in res.output


def _result():
    from mlplat.policies.base import Finding
    from mlplat.policies.engine import PolicyResult

    f = Finding(policy="MLP-STO-002", level="mandatory", source="mlplat", resource="churn-dev-" + HOSTILE,
                message=HOSTILE, file="*[/r]\x1b.yaml", line=3, environment="dev")  # fmt: skip
    return PolicyResult(platform="churn", environment="dev", spec_file="x.yaml", findings=[f])


def test_policy_reports_escape_for_each_format():
    from mlplat.policies import report
    from rich.console import Console

    junit = report.to_junit(_result())
    xml.dom.minidom.parseString(junit)  # NUL and ESC made malformed XML
    assert "\\x00" in junit and "\\x1b" in junit  # shown, not dropped silently
    md = report.to_markdown(_result())
    assert "<script>" not in md and "&lt;script&gt;" in md
    row = [line for line in md.splitlines() if "MLP-STO-002" in line]
    assert len(row) == 1 and row[0].count(" | ") == 5  # one row of 6 cells: `|` in the value is escaped
    console = Console(record=True, width=300, force_terminal=False)
    report.render_table(_result(), console)  # was MarkupError
    shown = console.export_text()
    assert "*[/r]" in shown and "[bold]x[/bold]" in shown  # markup printed literally
    assert "\x1b" not in shown and "\x00" not in shown


def test_check_reports_are_well_formed(hostile_spec, tmp_path):
    junit, summary = tmp_path / "j.xml", tmp_path / "s.md"
    text = hostile_spec.read_text().replace("monthly_usd: 9000", "monthly_usd: 10")  # over budget: reasons everywhere
    text = text.replace("owner: ml-platform@acme.example", 'owner: "<img src=x onerror=alert(1)> \\e[2J"')
    hostile_spec.write_text(text)
    res = run("check", str(hostile_spec), "--no-checkov", "--junit", str(junit), "--summary", str(summary), "--compare-to",
              str(hostile_spec))  # fmt: skip
    assert res.exit_code == 1, res.output
    assert "\x1b" not in res.output
    xml.dom.minidom.parse(str(junit))  # well-formed although file names hold markup
    md = summary.read_text()
    assert "<script>" not in md and "<img" not in md
    assert "\x1b" not in md and "\x00" not in md
