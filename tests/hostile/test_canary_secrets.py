"""Canary: a recognisable secret in every credential position, in every YAML form (plain,
tagged, aliased, anchored, or the value of the variable a `from_env` names), never appears
in any output of any command: stdout, stderr, or a file a command writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from tests.hostile.helpers import run

CANARY = "CANARY-7f3a9e-hunter2"
BASE = (EXAMPLES / "platform.yaml").read_text()
# The spec's credential positions (SecretRef fields).
POSITIONS = ("grafana", "slack_webhook", "pagerduty_key", "tracking_auth")

FORMS = {
    "plain": CANARY,
    "quoted": f'"{CANARY}"',
    "str-tag": f"!!str {CANARY}",
    "bool-tag": f"!!bool {CANARY}",
    "int-tag": f"!!int {CANARY}",
    "binary-tag": f"!!binary {CANARY}",
    "custom-tag": f"!secret {CANARY}",
    "alias": "*canary",  # anchored under metadata.labels, used here
    "undefined-alias": f"*{CANARY}",
    "anchored": f"&a {CANARY}",
    "in-map": f"{{from_env: {CANARY}!}}",
    "secret_ref-literal": f"{{secret_ref: {CANARY}}}",
    "both-keys": f"{{from_env: X, secret_ref: {CANARY}}}",
}


def spec_with(value: str, anchor: bool = False) -> str:
    text = BASE.replace("  labels:\n    cost-center: ml-42\n",
                        "  labels:\n    cost-center: ml-42\n" + (f"    x: &canary {CANARY}\n" if anchor else ""))  # fmt: skip
    text = text.replace("  grafana: {enabled: true}", f"  grafana: {{enabled: true, admin_password: {value}}}")
    text = text.replace(
        "    slack_webhook: {from_env: SLACK_WEBHOOK_URL}",
        f"    slack_webhook: {value}\n    pagerduty_key: {value}",
    )
    import re

    # tracking.auth: the reference spec may declare it already; either way it holds the value
    text, n = re.subn(r"\n  auth:\n(    .*\n)+", f"\n  auth: {{kind: basic, admin_password: {value}}}\n", text)
    if not n:
        text = text.replace("  artifact_bucket: artifacts\n",
                            f"  artifact_bucket: artifacts\n  auth: {{kind: basic, admin_password: {value}}}\n")  # fmt: skip
    return text


def _files(folder: Path) -> str:
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("form", sorted(FORMS))
def test_canary_in_invalid_forms_never_printed(tmp_path, form):
    value = FORMS[form]
    text = spec_with(value, anchor=form == "alias")
    assert text.count(value) >= len(POSITIONS) if form != "alias" else True
    spec = tmp_path / "platform.yaml"
    spec.write_text(text)
    out = tmp_path / "out"
    for args in (["validate", str(spec)], ["validate", str(spec), "--format", "json"],
                 ["preview", str(spec), "--env", "dev", "--format", "json"],
                 ["cost", str(spec), "--env", "dev", "--format", "json"],
                 ["render", str(spec), "--env", "dev", "--out", str(out)],
                 ["check", str(spec), "--no-checkov", "--summary", str(tmp_path / "s.md")],
                 ["diff", str(spec), "--from-env", "dev", "--to-env", "prod"],
                 ["ci", "init", "--provider", "github", "--dir", str(tmp_path), "--mlplat-requirement", "0.1.0"]):  # fmt: skip
        res = run(*args)
        assert res.exit_code in (0, 2), (args, res.output)  # never 3
        assert CANARY not in res.output, (form, args, res.output)
    written = _files(tmp_path).replace(text, "")  # the spec itself holds it, nothing else may
    assert CANARY not in written


@pytest.mark.slow
def test_canary_behind_from_env_never_printed_or_written(tmp_path, monkeypatch):
    """Valid references whose variables hold the canary: every command runs, nothing leaks."""
    for var in ("GRAFANA_PW", "SLACK_URL", "PD_KEY", "MLFLOW_PW"):
        monkeypatch.setenv(var, CANARY)
    text = spec_with("{from_env: GRAFANA_PW}")
    text = text.replace("slack_webhook: {from_env: GRAFANA_PW}", "slack_webhook: {from_env: SLACK_URL}")
    text = text.replace("pagerduty_key: {from_env: GRAFANA_PW}", "pagerduty_key: {from_env: PD_KEY}")
    text = text.replace("admin_password: {from_env: GRAFANA_PW}}\n", "admin_password: {from_env: MLFLOW_PW}}\n")
    spec = tmp_path / "platform.yaml"
    spec.write_text(text)
    assert run("validate", str(spec)).exit_code == 0
    out = tmp_path / "out"
    commands = [
        ["preview", str(spec), "--env", "prod", "--format", "json", "--out", str(tmp_path / "plan.json")],
        ["preview", str(spec), "--env", "dev"],
        ["render", str(spec), "--env", "dev", "--out", str(out)],
        ["cost", str(spec), "--env", "dev", "--format", "json"],
        ["graph", str(spec), "--env", "dev"],
        ["policy", "run", str(spec), "--env", "dev", "--no-checkov", "--format", "json"],
        ["check", str(spec), "--no-checkov", "--summary", str(tmp_path / "s.md"), "--sarif",
         str(tmp_path / "r.sarif"), "--junit", str(tmp_path / "j.xml")],
        ["diff", str(spec), "--from-env", "dev", "--to-env", "prod", "--format", "json"],
        ["ci", "init", "--provider", "gitlab", "--dir", str(tmp_path), "--mlplat-requirement", "0.1.0"],
    ]  # fmt: skip
    for args in commands:
        res = run(*args)
        assert res.exit_code in (0, 1), (args, res.output)
        assert CANARY not in res.output, args
    assert CANARY not in _files(tmp_path)
