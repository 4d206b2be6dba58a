"""`mlplat check`: the combined CI verdict over every environment, and its reports.

Cost control: every offline run costs seconds and checkov ~2 s to import, so each scenario runs
once per module (module-scoped fixtures) and the tests read its result and report files. The
reference specs run through the real CLI (sequentially, --jobs 1: the shared machine has 2 cores);
the failure scenarios use a small network + storage spec (32 resources, a fraction of a second
per environment) and skip checkov where the scenario is not about it.
"""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from mlplat.cli.main import cli
from mlplat.stacks.review.check import check

from tests.conftest import REFERENCE_SPECS

SMALL = """\
apiVersion: mlplat.io/v1alpha1
kind: Platform
metadata: {name: small, owner: team@example.com}
target: {provider: aws, region: us-east-1}
network: {cidr: 10.1.0.0/16, az_count: 2, nat: NAT}
storage:
  encryption: kms
  buckets:
    - {name: artifacts, purpose: artifacts, versioning: true, lifecycle: {expire_noncurrent_days: 30}}
BUDGET
environments:
  dev: {profile: dev}
  prod: {profile: prod}
"""
WITH_BUDGET = "budget: {monthly_usd: 500, max_increase_percent: 10}"


def small(nat: str = "single", budget: str = WITH_BUDGET) -> str:
    return SMALL.replace("NAT", nat).replace("BUDGET", budget)


def run_cli(args: list[str]) -> tuple[int, str, str]:
    res = CliRunner().invoke(cli, args)
    return res.exit_code, res.stdout, res.stderr


# --------------------------------------------------------------------------- the reference specs pass


@pytest.fixture(scope="module", params=list(REFERENCE_SPECS))
def reference_run(request, tmp_path_factory):
    """`mlplat check` on a reference spec with every report: (exit code, stderr, report dir)."""
    spec, _ = REFERENCE_SPECS[request.param]
    out = tmp_path_factory.mktemp(f"check-{request.param}")
    code, _, err = run_cli([
        "check", str(spec), "--jobs", "1",
        "--summary", str(out / "summary.md"), "--sarif", str(out / "check.sarif"), "--junit", str(out / "junit.xml"),
    ])  # fmt: skip
    return request.param, code, err, out


def test_reference_specs_pass(reference_run):
    name, code, err, _ = reference_run
    assert code == 0, f"{name}: exit {code}\n{err}"
    assert "check passed" in err
    assert "Traceback" not in err


def test_reference_summary(reference_run):
    name, _, _, out = reference_run
    text = (out / "summary.md").read_text()
    envs = REFERENCE_SPECS[name][1]
    assert len(envs) >= 2  # platform: dev, staging, prod; onprem: staging, prod
    assert text.startswith("<!-- mlplat-check -->")  # the hidden marker a CI bot finds its own comment by
    assert "mlplat check ✅ passed" in text
    for env in envs:
        assert f"| **{env}** | ✅ pass |" in text
        assert f"### ✅ {env}" in text
        assert f"Cost of {env}: $" in text
    assert len(text) < 65_000  # GitHub's comment limit is 65,536 characters


def test_reference_junit_has_a_suite_per_environment(reference_run):
    name, _, _, out = reference_run
    root = ET.parse(out / "junit.xml").getroot()
    suites = root.findall("testsuite")
    envs = REFERENCE_SPECS[name][1]
    assert len(suites) == len(envs)
    for s, env in zip(suites, envs):
        cases = s.findall("testcase")
        assert int(s.get("tests")) == len(cases) > 1
        assert int(s.get("failures")) == sum(1 for c in cases if c.find("failure") is not None) == 0
        # every testcase of the suite belongs to its environment; the budget is one of them
        assert all(c.get("classname").startswith(f"mlplat.{env}.") for c in cases)
        assert [c.get("classname") for c in cases].count(f"mlplat.{env}.cost") == 1
    assert int(root.get("failures")) == 0
    assert int(root.get("tests")) == sum(int(s.get("tests")) for s in suites)


def test_reference_sarif_is_structurally_valid(reference_run):
    _, _, _, out = reference_run
    log = json.loads((out / "check.sarif").read_text())
    results = assert_sarif_structure(log)
    # every result points into the repository's spec, never at a built-in profile
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith(".yaml") for r in results)
    assert not [r for r in results if "<builtin>" in r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]]


def assert_sarif_structure(log: dict) -> list[dict]:
    """The parts of SARIF 2.1.0 code scanning relies on; returns the results."""
    assert log["version"] == "2.1.0"
    assert "sarif" in log["$schema"]
    assert len(log["runs"]) >= 1
    results = []
    for run in log["runs"]:
        driver = run["tool"]["driver"]
        assert driver["name"]
        rule_ids = [r["id"] for r in driver.get("rules", [])]
        assert len(rule_ids) == len(set(rule_ids))
        for res in run.get("results", []):
            assert res["ruleId"] in rule_ids, res["ruleId"]
            assert res["level"] in ("error", "warning", "note", "none")
            assert res["message"]["text"]
            for loc in res.get("locations", []):
                phys = loc["physicalLocation"]
                assert phys["artifactLocation"]["uri"]
                assert phys["region"]["startLine"] >= 1
            results.append(res)
    return results


# --------------------------------------------------------------------------- failures: policy, budget, spec


@pytest.fixture(scope="module")
def mandatory_violation(tmp_path_factory):
    """No budget at all: MLP-BUD-001 (production environments declare a budget) fails in prod only."""
    d = tmp_path_factory.mktemp("mandatory")
    spec = d / "platform.yaml"
    spec.write_text(small(budget=""))
    code, _, err = run_cli(["check", str(spec), "--jobs", "1", "--no-checkov", "--summary", str(d / "s.md"),
                            "--sarif", str(d / "r.sarif"), "--junit", str(d / "j.xml")])
    return code, err, d, spec


def test_mandatory_violation_exits_1(mandatory_violation):
    code, err, _, _ = mandatory_violation
    assert code == 1, err
    assert "MLP-BUD-001" in err and "check failed" in err


def test_mandatory_violation_reports(mandatory_violation):
    _, _, d, spec = mandatory_violation
    summary = (d / "s.md").read_text()
    assert "mlplat check ❌ failed" in summary
    assert "| **dev** | ✅ pass |" in summary and "| **prod** | ❌ fail |" in summary
    assert "`MLP-BUD-001`" in summary
    # JUnit: exactly the prod suite fails, on the MLP-BUD-001 testcase
    root = ET.parse(d / "j.xml").getroot()
    failing = {(c.get("classname").split(".")[1], c.get("name").split()[0]) for c in root.iter("testcase")
               if c.find("failure") is not None}
    assert failing == {("prod", "MLP-BUD-001")}
    assert root.get("failures") == "1"
    # SARIF: the result is an error pointing into the spec file, at a real line
    results = assert_sarif_structure(json.loads((d / "r.sarif").read_text()))
    bud = [r for r in results if r["ruleId"] == "MLP-BUD-001"]
    assert bud and all(r["level"] == "error" for r in bud)
    uri = bud[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri.endswith("platform.yaml")
    line = bud[0]["locations"][0]["physicalLocation"]["region"]["startLine"]
    assert 1 <= line <= len(spec.read_text().splitlines())


def test_over_budget_exits_1(tmp_path):
    spec = tmp_path / "platform.yaml"
    spec.write_text(small(budget="budget: {monthly_usd: 20}"))  # one NAT gateway alone costs more
    result = check(spec, checkov=False, jobs=1)
    assert result.exit_code == 1
    assert all(r.policy_passed for r in result.environments.values())  # the budget alone fails it
    assert all(not r.budget.ok for r in result.environments.values())
    assert any("exceeds budget.monthly_usd" in why for why in result.reasons)
    root = ET.fromstring(result.junit())
    failing = [c.get("classname") for c in root.iter("testcase") if c.find("failure") is not None]
    assert failing == ["mlplat.dev.cost", "mlplat.prod.cost"]


def test_cost_increase_over_a_baseline_file_exits_1(tmp_path):
    base = tmp_path / "base.yaml"
    base.write_text(small(nat="single"))  # one NAT gateway
    spec = tmp_path / "platform.yaml"
    spec.write_text(small(nat="per-az"))  # one per AZ (2): far above +10%
    result = check(spec, compare_to=str(base), checkov=False, jobs=1)
    assert result.exit_code == 1
    dev = result.environments["dev"]
    assert dev.cost_diff is not None and dev.cost_diff.diff_monthly_usd > 0
    assert any("above budget.max_increase_percent" in why for why in result.reasons)
    assert "vs `" in result.summary_markdown()


def test_invalid_spec_exits_2(tmp_path):
    spec = tmp_path / "platform.yaml"
    spec.write_text(small().replace("az_count: 2", "az_count: 9"))
    code, _, err = run_cli(["check", str(spec), "--no-checkov", "--summary", str(tmp_path / "s.md")])
    assert code == 2
    assert "network.az_count" in err and "Traceback" not in err
    assert not (tmp_path / "s.md").exists()  # no verdict on an invalid spec


# --------------------------------------------------------------------------- --compare-to a git revision


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=cwd, check=True,
                   capture_output=True)


def test_compare_to_git_revision(tmp_path):
    _git(tmp_path, "init", "-q", "-b", "main")
    spec = tmp_path / "platform.yaml"
    spec.write_text(small())
    _git(tmp_path, "add", "platform.yaml")
    _git(tmp_path, "commit", "-q", "-m", "base")
    # unchanged: same resolved spec → zero diff, no second offline run needed
    result = check(spec, compare_to="main", checkov=False, jobs=1)
    assert result.exit_code == 0
    assert all(r.cost_diff is not None and r.cost_diff.diff_monthly_usd == 0 for r in result.environments.values())
    # per-az NAT on the branch: the increase gate trips
    spec.write_text(small(nat="per-az"))
    assert check(spec, compare_to="main", checkov=False, jobs=1).exit_code == 1
    # an unknown revision is a usage error
    code, _, err = run_cli(["check", str(spec), "--no-checkov", "--compare-to", "no-such-ref"])
    assert code == 2 and "no-such-ref" in err


def test_spec_added_by_the_change_has_no_baseline(tmp_path):
    _git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "README.md").write_text("x\n")
    _git(tmp_path, "add", "README.md")
    _git(tmp_path, "commit", "-q", "-m", "base")
    spec = tmp_path / "platform.yaml"
    spec.write_text(small())
    result = check(spec, compare_to="main", checkov=False, jobs=1)
    # a new platform: every environment is new; the increase percentage does not apply
    assert result.exit_code == 0
    assert result.environments  # one result per environment of the new spec
    for r in result.environments.values():
        assert r.cost_diff is not None and r.cost_diff.baseline is None
        assert "does not exist in main" in r.baseline_note


# --------------------------------------------------------------------------- parallel = sequential


@pytest.mark.parametrize(("strategy", "jobs"), [("pipeline", 2), ("processes", 2), ("pipeline", 4)])
def test_parallel_strategies_match_sequential(tmp_path, strategy, jobs):
    # The spawned-process paths must give the same verdicts and figures as the sequential one,
    # including a cost diff computed from a baseline plan made in another process.
    base = tmp_path / "base.yaml"
    base.write_text(small(nat="single", budget=""))
    spec = tmp_path / "platform.yaml"
    spec.write_text(small(nat="per-az", budget=""))
    seq = check(spec, compare_to=str(base), checkov=False, jobs=1)
    par = check(spec, compare_to=str(base), checkov=False, jobs=jobs, strategy=strategy)
    assert seq.mode == "sequential" and par.mode.startswith(strategy)
    if jobs == 4:  # 2 environments: this process plans one (a worker judges it), a worker plans and judges the other
        assert "and in 1 of them" in par.mode, par.mode
    assert list(par.environments) == list(seq.environments)
    for env in seq.environments:
        a, b = seq.environments[env], par.environments[env]
        assert (a.passed, len(a.mandatory), len(a.advisory), round(a.estimate.monthly_usd, 2)) == (
            b.passed, len(b.mandatory), len(b.advisory), round(b.estimate.monthly_usd, 2))
        assert round(a.cost_diff.diff_monthly_usd, 2) == round(b.cost_diff.diff_monthly_usd, 2) > 0
    assert par.exit_code == seq.exit_code == 1
    assert par.junit().count("<failure") == seq.junit().count("<failure")


def test_worker_user_error_surfaces_as_mlplat_error(tmp_path):
    # A user error raised inside a worker keeps its message and exit code (not an "internal error").
    from mlplat.stacks.errors import MlplatError
    from mlplat.stacks.review import check as check_mod

    with check_mod._spawn_pool(1) as pool:
        pool.submit("x", check_mod.load_baseline, str(tmp_path / "nope.yaml"), "no-such-ref")
        with pytest.raises(MlplatError) as exc:
            list(pool.completed())
    assert exc.value.exit_code == 2


def test_sarif_moves_builtin_profile_locations_onto_the_spec():
    # A finding traced into a built-in profile is not a repository file: code scanning could not
    # show it. The check's SARIF places it on the spec (line 1) and names the profile line.
    from types import SimpleNamespace

    from mlplat.policies import Finding, PolicyResult
    from mlplat.stacks.review.check import CheckResult, EnvironmentResult

    f = Finding(policy="MLP-DB-001", level="mandatory", source="mlplat", resource="tracking-db",
                message="not multi-AZ", file="<builtin>/envs/prod.yaml", line=7, environment="prod")
    policy = PolicyResult("p", "prod", "platform.yaml", findings=[f])
    budget = SimpleNamespace(ok=True, reasons=[], notes=[])
    env = EnvironmentResult("prod", 1, policy, estimate=None, budget=budget)  # type: ignore[arg-type]
    log = json.loads(CheckResult("platform.yaml", {"prod": env}).sarif())
    results = assert_sarif_structure(log)
    (res,) = results
    phys = res["locations"][0]["physicalLocation"]
    assert phys["artifactLocation"]["uri"] == "platform.yaml" and phys["region"]["startLine"] == 1
    assert "<builtin>/envs/prod.yaml:7" in res["message"]["text"]


def test_auto_jobs_follows_the_measurement(monkeypatch):
    # pipeline (2) with several environments, two cores and a free core; else sequential (1)
    from mlplat.stacks.review import check as check_mod

    monkeypatch.delenv("MLPLAT_CHECK_JOBS", raising=False)
    monkeypatch.setattr(check_mod.os, "sched_getaffinity", lambda _pid: {0, 1}, raising=False)
    monkeypatch.setattr(check_mod.os, "getloadavg", lambda: (1.0, 1.0, 1.0))
    assert check_mod.auto_jobs(3) == 2
    assert check_mod.auto_jobs(1) == 1
    monkeypatch.setattr(check_mod.os, "sched_getaffinity", lambda _pid: set(range(16)), raising=False)
    assert check_mod.auto_jobs(3) == 6  # sized to the cores: a planner and a judge per environment
    assert check_mod.auto_jobs(2) == 4
    assert check_mod.planners_for(6, 3) == 3 and check_mod.planners_for(4, 3) == 2
    assert check_mod.planners_for(2, 3) == 1  # two cores: this process plans, one worker judges
    monkeypatch.setattr(check_mod.os, "sched_getaffinity", lambda _pid: {0, 1}, raising=False)
    monkeypatch.setattr(check_mod.os, "getloadavg", lambda: (6.0, 6.0, 6.0))  # saturated
    assert check_mod.auto_jobs(3) == 1
    monkeypatch.setattr(check_mod.os, "sched_getaffinity", lambda _pid: {0}, raising=False)
    monkeypatch.setattr(check_mod.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert check_mod.auto_jobs(3) == 1  # one core: nothing to overlap on
    monkeypatch.setenv("MLPLAT_CHECK_JOBS", "3")
    assert check_mod.auto_jobs(3) == 3
