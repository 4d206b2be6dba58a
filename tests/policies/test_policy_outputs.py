"""The insecure spec fails in prod with a finding for each problem, in every output format.

One offline plan and one checkov scan for the module; the writers are then checked on the
same result, plus SARIF 2.1.0 structure and multi-environment reports.
"""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from mlplat.policies import evaluate, render_table, to_dict, to_json, to_junit, to_markdown, to_sarif
from mlplat.stacks.platform_spec.resolve import load_platform
from rich.console import Console

INSECURE = Path(__file__).with_name("insecure.yaml")
LINES = INSECURE.read_text().splitlines()

# policy → (resource, text on the spec line the finding must point at)
EXPECTED = {
    "MLP-CLU-001": ("cluster-eks", "public_endpoint: true"),
    "MLP-CLU-008": ("cluster-eks", "public_access_cidrs: [0.0.0.0/0]"),
    "MLP-STO-001": ("storage-artifacts", "encryption: provider"),
    "MLP-STO-002": ("storage-artifacts", "versioning: false"),
    "MLP-DB-001": ("tracking-db", "multi_az: false"),
    "MLP-SRV-001": ("scorer", "traffic_percent: 90"),
}


@pytest.fixture(scope="module")
def result():
    return evaluate(load_platform(INSECURE, "prod"), checkov=True)


@pytest.fixture(scope="module")
def dev_result():
    return evaluate(load_platform(INSECURE, "dev"), checkov=False)


def test_fails_in_prod_with_a_located_finding_for_each_problem(result) -> None:
    assert not result.passed
    got = {(f.policy, f.resource): f for f in result.mandatory_failures}
    for policy, (resource, text) in EXPECTED.items():
        f = got[(policy, resource)]
        assert f.file == str(INSECURE) and f.line is not None
        assert text in LINES[f.line - 1], (policy, f.line, LINES[f.line - 1])
    # nothing else is mandatory: the rest of the spec is fine
    assert set(got) == {(p, r) for p, (r, _) in EXPECTED.items()}


def test_same_spec_only_advises_in_dev(dev_result) -> None:
    """Levels: what prod makes mandatory stays advisory in dev (public endpoint, canary, single AZ)."""
    assert dev_result.passed
    assert {"MLP-CLU-001", "MLP-SRV-001", "MLP-DB-001"} <= {f.policy for f in dev_result.advisories}


def test_json(result) -> None:
    data = json.loads(to_json(result))
    assert data["environment"] == "prod" and data["passed"] is False
    assert data["summary"]["mandatory"] == len(EXPECTED)
    found = {(f["policy"], f["resource"]): f for f in data["findings"]}
    for policy, (resource, text) in EXPECTED.items():
        f = found[(policy, resource)]
        assert {"policy", "level", "source", "resource", "message", "file", "line"} <= set(f)
        assert f["level"] == "mandatory" and f["source"] == "mlplat"
        assert text in LINES[f["line"] - 1]
    assert {f["source"] for f in data["findings"]} == {"mlplat", "checkov"}


def test_sarif(result) -> None:
    sarif = to_sarif(result)
    assert sarif["version"] == "2.1.0" and "sarif" in sarif["$schema"]
    (run,) = sarif["runs"]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids))
    by_rule: dict[str, list[dict]] = {}
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        by_rule.setdefault(res["ruleId"], []).append(res)
    for policy, (resource, text) in EXPECTED.items():
        res = next(r for r in by_rule[policy] if r["properties"]["resource"] == resource)
        assert res["level"] == "error"
        loc = res["locations"][0]["physicalLocation"]
        assert Path(loc["artifactLocation"]["uri"]).name == "insecure.yaml"
        assert text in LINES[loc["region"]["startLine"] - 1]
        assert res["locations"][0]["logicalLocations"][0]["name"] == resource
        assert res["partialFingerprints"]
    assert all(r["level"] in ("error", "warning") for r in run["results"])


def test_sarif_uri_is_relative_to_the_working_directory(result, monkeypatch) -> None:
    monkeypatch.chdir(INSECURE.parents[2])
    uri = to_sarif(result)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"][
        "uri"
    ]
    assert uri == "tests/policies/insecure.yaml"


def test_junit(result, dev_result) -> None:
    root = ET.fromstring(to_junit(result))
    assert root.tag == "testsuites"
    suite = root.find("testsuite")
    assert suite is not None and int(suite.get("failures", "0")) >= len({p for p in EXPECTED})
    failures = {
        case.get("name", "").split()[0]: (case.find("failure").text or "")  # type: ignore[union-attr]
        for case in suite.iter("testcase")
        if case.find("failure") is not None
    }
    for policy, (resource, _) in EXPECTED.items():
        assert resource in failures[policy] and "insecure.yaml:" in failures[policy]
    dev_suite = ET.fromstring(to_junit(dev_result)).find("testsuite")
    assert dev_suite is not None
    skipped = {
        c.get("name", "").split()[0] for c in dev_suite.iter("testcase") if c.find("skipped") is not None
    }
    assert {"MLP-STO-008", "MLP-STO-009"} <= skipped  # disabled in dev: listed, skipped


def test_table(result) -> None:
    console = Console(record=True, width=400)
    render_table(result, console)
    text = console.export_text()
    assert "FAIL" in text
    for policy, (resource, _) in EXPECTED.items():
        row = next(line for line in text.splitlines() if policy in line and resource in line)
        assert "mandatory" in row and "insecure.yaml:" in row


def test_markdown(result) -> None:
    md = to_markdown(result)
    assert "❌ fail" in md
    for policy, (resource, _) in EXPECTED.items():
        assert f"`{policy}`" in md and f"`{resource}`" in md


def test_writers_combine_environments(result, dev_result) -> None:
    data = to_dict([dev_result, result])
    assert data["passed"] is False
    assert [e["environment"] for e in data["environments"]] == ["dev", "prod"]
    assert {f["environment"] for f in data["findings"]} == {"dev", "prod"}
    sarif = to_sarif([dev_result, result])
    assert {r["properties"]["environment"] for r in sarif["runs"][0]["results"]} == {"dev", "prod"}
    suites = ET.fromstring(to_junit([dev_result, result])).findall("testsuite")
    assert [s.get("name") for s in suites] == ["mlplat policy (dev)", "mlplat policy (prod)"]
