"""Acceptance sweep (issue 21): specs written from DESIGN.md alone, run through the CLI contract.

The specs under `specs/` are what an outside team would write from DESIGN.md sections 3-5 without
reading mlplat's own examples: typical AWS and Kubernetes set-ups, several environments with
overrides, a low budget, waivers, an insecure production spec and (under `specs/broken/`) one spec
per class of user error. Each test runs the `mlplat` commands on them with CliRunner and checks
what DESIGN promises: exit codes (0 ok, 1 findings, 2 user error, never 3), `--format json` prints
only JSON, errors are located `FILE:LINE:COL: dotted.path: message`, secrets never leak.

Plans are computed once per spec and environment: the module turns the plan cache on for its own
copy of the specs (a temporary folder), so policy, cost, diff and check reuse them. The moto drift
run and the checkov scan cost more than the rest together and are marked `slow`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from mlplat.cli.main import cli

SPECS = Path(__file__).parent / "specs"


# --------------------------------------------------------------------------- running the CLI


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the specs: the plan cache lives beside them and answers only this module.

    Under xdist the workers share one copy (in the session's common temporary folder), so a plan
    one worker made serves the other; the copy is renamed into place, and cache entries are
    written the same way, so a race costs a duplicate plan, never a half-read file."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    dest = root / "acceptance-specs"
    if not dest.exists():
        staging = tmp_path_factory.mktemp("acceptance") / "specs"
        shutil.copytree(SPECS, staging)
        try:
            staging.rename(dest)
        except OSError:  # the other worker was first: its copy has the same bytes
            pass
    return dest


@pytest.fixture
def mlplat(work: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """`mlplat(*args, code=N)`: run the CLI in the spec folder and check what every run promises."""
    monkeypatch.chdir(work)
    monkeypatch.delenv("MLPLAT_NO_CACHE", raising=False)
    # conftest turns the cache off for every test (a monkeypatched engine must not answer another
    # test); these specs are a private copy no other test plans, so reuse is safe and saves minutes
    monkeypatch.setattr("mlplat.stacks.plan.cache.enabled", lambda: True)
    monkeypatch.setenv("MLPLAT_CHECK_JOBS", "1")  # worker processes would not see the patch above
    runner = CliRunner()

    def run(*args: str | Path, code: int) -> Result:
        res = runner.invoke(cli, [str(a) for a in args])
        shown = f"mlplat {' '.join(map(str, args))}\nstdout:\n{res.stdout[-3000:]}\nstderr:\n{res.stderr[-3000:]}"
        if res.exception is not None and not isinstance(res.exception, SystemExit):
            raise AssertionError(f"exception {res.exception!r} in {shown}") from res.exception
        assert res.exit_code != 3, f"exit 3 is always a bug: {shown}"
        assert res.exit_code == code, f"expected exit {code}, got {res.exit_code}: {shown}"
        assert "Traceback" not in res.output, shown
        if ("json" in args or "sarif" in args) and "--output" not in args:
            if res.stdout.strip():
                json.loads(res.stdout)  # only JSON on stdout
            else:
                assert code == 2, f"no JSON on stdout although the command succeeded: {shown}"
        return res

    yield run


def findings(res: Result) -> list[dict[str, Any]]:
    return list(json.loads(res.stdout)["findings"])


# --------------------------------------------------------------------------- the contract's commands


CONTRACT_COMMANDS = (
    ("validate",), ("preview",), ("up",), ("destroy",), ("policy",), ("cost",), ("drift",), ("check",),
    ("diff",), ("report",), ("render",), ("graph",), ("schema",), ("init",), ("ci", "init"), ("orphans",),
)  # fmt: skip


@pytest.mark.parametrize("command", CONTRACT_COMMANDS, ids=" ".join)
def test_every_contract_command_has_help(mlplat: Any, command: tuple[str, ...]) -> None:
    res = mlplat(*command, "--help", code=0)
    assert res.stdout.startswith("Usage: "), res.stdout[:200]


# --------------------------------------------------------------------------- valid specs validate


VALID = {
    # spec: the environments `--env` accepts (DESIGN 3: the declared ones, else dev/staging/prod)
    "aws-small.yaml": ["dev", "staging", "prod"],
    "aws-full-gpu.yaml": ["dev", "staging", "prod"],
    "kfp.yaml": ["dev", "staging", "prod"],
    "seldon.yaml": ["dev", "staging", "prod"],
    "kserve-canary.yaml": ["dev", "staging", "prod"],
    "storage-only.yaml": ["dev", "staging", "prod"],
    "onprem.yaml": ["dev", "staging", "prod"],
    "multi-env.yaml": ["dev", "staging", "prod", "perf"],
    "budget-low.yaml": ["dev", "staging", "prod"],
    "waivers.yaml": ["dev", "prod"],
    "insecure-prod.yaml": ["prod"],
    "secrets-onprem.yaml": ["dev", "staging", "prod"],
    "laptop-compose.yaml": ["dev", "staging", "prod"],
}


def test_every_spec_in_the_folder_is_swept() -> None:
    assert sorted(p.name for p in SPECS.glob("*.yaml")) == sorted(VALID)


@pytest.mark.parametrize("spec", sorted(VALID))
def test_valid_spec_validates_in_every_environment(mlplat: Any, spec: str) -> None:
    text = mlplat("validate", spec, code=0)
    assert f"{spec}: valid" in text.stdout
    doc = json.loads(mlplat("validate", spec, "--format", "json", code=0).stdout)
    assert doc["valid"] is True
    assert doc["environments"] == VALID[spec]


# --------------------------------------------------------------------------- broken specs are located


BROKEN = [
    # (spec, line, column, dotted path, part of the message): the line and column of the value
    # (or key) at fault, counted by hand in the spec file
    ("typo-key.yaml", 14, 7, "storage.buckets[0].versionning", "did you mean 'versioning'?"),
    ("typo-top.yaml", 9, 1, "storgae", "did you mean 'storage'?"),
    ("bad-enum.yaml", 21, 17, "cluster.node_pools[0].capacity", "unsupported value 'preemptible'"),
    ("max-lt-min.yaml", 19, 17, "cluster.node_pools[1].max_size", "must be >= min_size (got 0 < 2)"),
    ("literal-secret.yaml", 25, 21, "tracking.auth.admin_password", "credentials must be references"),
    ("gpu-mismatch.yaml", 16, 29, "cluster.node_pools[0].gpu.type", "g5.xlarge carries A10G GPUs, not 'T4'"),
    ("offline-bucket.yaml", 24, 19, "feature_store.offline_bucket", "'featurez' is not a declared bucket"),
    ("serving-no-cluster.yaml", 15, 3, "serving", "needs a cluster section"),
    ("bad-env-name.yaml", 15, 3, "environments.Prod_EU", "lowercase DNS labels"),
    ("bad-apiversion.yaml", 1, 13, "apiVersion", "unsupported apiVersion 'mlplat.io/v2'"),
    ("long-name.yaml", 4, 9, "metadata.name", "at most 20 characters"),
    ("bad-profile.yaml", 15, 14, "environments.qa.profile", "unknown profile 'qa-profile'"),
    ("env-override-typo.yaml", 21, 11, "environments.prod.cluster.node_pools[0].max_sise", "did you mean 'max_size'?"),
    # the error is where the base max_size is and names the prod override that broke it
    ("env-override-maxmin.yaml", 15, 17, "cluster.node_pools[0].max_size",
     "see environments.prod.cluster.node_pools[0].min_size on line 21"),
    ("not-yaml.yaml", 4, 1, "", "YAML syntax error"),
    # regression (sweep): a label AWS refuses as a tag validated and failed only at `up`
    ("bad-label.yaml", 8, 21, "metadata.labels.aws:created-by", "the aws: prefix is reserved"),
]  # fmt: skip


def test_every_broken_spec_is_swept() -> None:
    assert sorted(p.name for p in (SPECS / "broken").glob("*.yaml")) == sorted(b[0] for b in BROKEN)


@pytest.mark.parametrize(("spec", "line", "col", "path", "fragment"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_spec_is_refused_with_file_line_col_and_path(
    mlplat: Any, spec: str, line: int, col: int, path: str, fragment: str
) -> None:
    name = f"broken/{spec}"
    res = mlplat("validate", name, code=2)
    first = res.stderr.splitlines()[0]
    prefix = f"{name}:{line}:{col}: {path}: " if path else f"{name}:{line}:{col}: "
    assert first.startswith(prefix), first
    assert fragment in first
    doc = json.loads(mlplat("validate", name, "--format", "json", code=2).stdout)
    assert doc["valid"] is False
    err = doc["errors"][0]
    assert (err["file"], err["line"], err["column"], err["path"]) == (name, line, col, path)
    assert fragment in err["message"]


def test_a_literal_secret_is_never_echoed(mlplat: Any) -> None:
    for fmt in ("text", "json"):
        res = mlplat("validate", "broken/literal-secret.yaml", "--format", fmt, code=2)
        assert "hunter2" not in res.output  # the literal in the spec: hunter2-SuperSecret


@pytest.mark.parametrize(
    "command",
    [
        ("preview", "--env", "dev", "--format", "json"),
        ("policy", "--env", "dev", "--format", "json"),
        ("policy", "--env", "dev", "--format", "sarif"),
        ("cost", "--env", "dev", "--format", "json"),
        ("drift", "--env", "dev", "--format", "json"),
        ("orphans", "--env", "dev", "--format", "json"),
        ("graph", "--env", "dev"),
        ("check",),
        ("diff", "--from-env", "dev", "--to-env", "prod", "--format", "json"),
    ],
    ids=lambda c: " ".join(c),
)
def test_every_command_refuses_a_broken_spec_with_exit_2(mlplat: Any, command: tuple[str, ...]) -> None:
    res = mlplat(command[0], "broken/typo-key.yaml", *command[1:], code=2)
    assert res.stdout == ""  # nothing half-written on stdout for a JSON reader
    assert "broken/typo-key.yaml:14:7: storage.buckets[0].versionning: unknown key" in res.stderr


def test_unknown_environment_suggests_the_close_one(mlplat: Any) -> None:
    res = mlplat("preview", "storage-only.yaml", "--env", "prd", code=2)
    assert "unknown environment 'prd'" in res.stderr and "did you mean 'prod'?" in res.stderr


# --------------------------------------------------------------------------- plans and tags


PLANNED = [
    ("aws-small.yaml", "prod"), ("aws-full-gpu.yaml", "prod"), ("kfp.yaml", "dev"), ("seldon.yaml", "dev"),
    ("kserve-canary.yaml", "dev"), ("storage-only.yaml", "dev"), ("onprem.yaml", "prod"),
    ("multi-env.yaml", "prod"), ("insecure-prod.yaml", "prod"),
]  # fmt: skip
COMPONENTS = {"storage", "network", "cluster", "tracking", "orchestrator", "feature_store", "serving", "monitoring"}


def _plan(mlplat: Any, spec: str, env: str) -> dict[str, Any]:
    return dict(json.loads(mlplat("preview", spec, "--env", env, "--format", "json", code=0).stdout))


@pytest.mark.parametrize(("spec", "env"), PLANNED, ids=[f"{s}-{e}" for s, e in PLANNED])
def test_plan_json_contract_and_ownership_tags(mlplat: Any, spec: str, env: str) -> None:
    plan = _plan(mlplat, spec, env)
    platform = plan["platform"]
    assert plan["environment"] == env
    assert plan["resources"]
    tagged = labelled = 0
    for r in plan["resources"]:
        assert {"urn", "type", "name", "parent", "component", "inputs"} <= set(r), r
        inputs = r["inputs"] or {}
        if r["type"].startswith("aws:") and "tags" in inputs:  # DESIGN 4: in the resource's own tags
            tagged += 1
            tags = inputs["tags"]
            assert (tags["mlplat:platform"], tags["mlplat:environment"]) == (platform, env), r["name"]
            assert (tags["mlplat:resource"], tags["managed-by"]) == (r["name"], "mlplat"), r["name"]
            assert tags["mlplat:component"] in COMPONENTS, r["name"]
        first_party = r["type"].startswith("kubernetes:") and not r["type"].startswith(
            ("kubernetes:helm.sh", "kubernetes:kustomize")  # third-party charts: their own labels
        )
        if first_party:
            labelled += 1
            labels = inputs["metadata"]["labels"]
            assert labels["mlplat.io/platform"] == platform and labels["mlplat.io/environment"] == env, r["name"]
            assert labels["app.kubernetes.io/managed-by"] == "mlplat" and labels["mlplat.io/component"], r["name"]
    assert tagged + labelled > 0
    if spec != "onprem.yaml":
        assert tagged > 0  # AWS targets: the buckets, the VPC, the cluster … carry the tags


def test_storage_only_platform_plans_only_storage(mlplat: Any) -> None:
    plan = _plan(mlplat, "storage-only.yaml", "dev")
    components = {r["component"] for r in plan["resources"] if r["type"].startswith("aws:")}
    assert components == {"storage"}
    buckets = [r["inputs"]["bucket"] for r in plan["resources"] if r["type"] == "aws:s3/bucket:Bucket"]
    assert len(buckets) == 1 and buckets[0].startswith("datalake-dev-raw")  # {platform}-{env}-{name}


def _node_groups(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r["inputs"] for r in plan["resources"] if r["type"] == "aws:eks/nodeGroup:NodeGroup"}


def test_gpu_pools_follow_their_instance_family(mlplat: Any) -> None:
    groups = _node_groups(_plan(mlplat, "aws-full-gpu.yaml", "prod"))
    assert sorted(groups) == ["cluster-gpu-a10", "cluster-gpu-a100", "cluster-inference", "cluster-system"]
    assert groups["cluster-gpu-a10"]["instanceTypes"] == ["g5.2xlarge"]
    assert groups["cluster-gpu-a10"]["capacityType"] == "SPOT"  # the spec's capacity wins over prod's default
    assert groups["cluster-gpu-a100"]["capacityType"] == "ON_DEMAND"
    # NVIDIA AMIs (drivers) on GPU pools, Neuron on Inferentia, the standard AMI elsewhere; GPU
    # pools tainted for GPU work
    assert {n: g["amiType"] for n, g in groups.items()} == {
        "cluster-gpu-a10": "AL2023_x86_64_NVIDIA",
        "cluster-gpu-a100": "AL2023_x86_64_NVIDIA",
        "cluster-inference": "AL2023_x86_64_NEURON",  # regression (sweep): was the standard AMI
        "cluster-system": "AL2023_x86_64_STANDARD",
    }
    assert {"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"} in groups["cluster-gpu-a100"]["taints"]


def test_environment_overrides_merge_by_name_replace_and_remove(mlplat: Any) -> None:
    dev, prod, perf = (_plan(mlplat, "multi-env.yaml", e) for e in ("dev", "prod", "perf"))
    ng = _node_groups(dev)
    # dev overrides only the gpu pool's max_size: merged by name, its other keys stay
    assert ng["cluster-gpu"]["instanceTypes"] == ["g4dn.xlarge"]
    assert ng["cluster-gpu"]["scalingConfig"]["maxSize"] == 1
    assert ng["cluster-system"]["scalingConfig"]["maxSize"] == 3
    ng = _node_groups(prod)
    assert (ng["cluster-system"]["scalingConfig"]["minSize"], ng["cluster-system"]["scalingConfig"]["maxSize"]) == (3, 6)
    assert _node_groups(perf)["cluster-gpu"]["instanceTypes"] == ["g5.xlarge"]

    def versioning(plan: dict[str, Any]) -> dict[str, str]:
        return {r["inputs"]["bucket"].split("-")[2]: r["inputs"]["versioningConfiguration"]["status"]
                for r in plan["resources"] if r["type"] == "aws:s3/bucketVersioning:BucketVersioning"}  # fmt: skip

    assert versioning(dev) == {"artifacts": "Enabled", "scratch": "Suspended"}
    assert versioning(prod) == {"artifacts": "Enabled", "scratch": "Enabled"}  # prod's bucket override
    # `monitoring: null` in prod removes the section the base declares
    assert any(r["component"] == "monitoring" for r in dev["resources"])
    assert not any(r["component"] == "monitoring" for r in prod["resources"])


# --------------------------------------------------------------------------- policy


INSECURE_MANDATORY = {
    # what insecure-prod.yaml does wrong, each a mandatory finding in prod
    "MLP-CLU-008",  # public endpoint open to 0.0.0.0/0
    "MLP-STO-001",  # bucket not encrypted with the platform key (encryption: provider)
    "MLP-STO-002",  # artifacts bucket not versioned
    "MLP-DB-003",  # backup_retention_days: 0
    "MLP-DB-001",  # single-AZ database in prod
    "MLP-BUD-001",  # no budget in prod
}


def test_insecure_prod_spec_fails_policy_in_every_format(mlplat: Any, tmp_path: Path) -> None:
    spec = "insecure-prod.yaml"
    res = mlplat("policy", spec, "--env", "prod", "--format", "json", "--no-checkov", code=1)
    found = findings(res)
    mandatory = {f["policy"] for f in found if f["level"] == "mandatory"}
    assert INSECURE_MANDATORY <= mandatory
    assert found
    for f in found:
        assert {"policy", "level", "source", "resource", "message", "file", "line"} <= set(f), f
        assert f["file"] == spec and isinstance(f["line"], int) and f["line"] >= 1, f
        assert f["level"] in ("mandatory", "advisory") and f["source"] in ("mlplat", "checkov"), f
    by_id = {f["policy"]: f for f in found}
    assert by_id["MLP-DB-003"]["line"] == 35  # backup_retention_days: 0
    assert by_id["MLP-CLU-008"]["line"] == 22  # public_access_cidrs: [0.0.0.0/0]

    sarif = json.loads(mlplat("policy", spec, "--env", "prod", "--format", "sarif", "--no-checkov", code=1).stdout)
    results = sarif["runs"][0]["results"]
    assert {r["ruleId"] for r in results} >= INSECURE_MANDATORY
    for r in results:
        region = r["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1, r

    junit = mlplat("policy", spec, "--env", "prod", "--format", "junit", "--no-checkov", code=1).stdout
    root = ET.fromstring(junit)
    assert len(root.findall(".//failure")) >= len(INSECURE_MANDATORY)

    table = mlplat("policy", spec, "--env", "prod", "--no-checkov", code=1)
    assert "FAIL" in table.stdout

    out = tmp_path / "policy.sarif"
    mlplat("policy", spec, "--env", "prod", "--format", "sarif", "--no-checkov", "--output", out, code=1)
    assert json.loads(out.read_text())["runs"][0]["results"]


def test_waivers_valid_waive_and_expired_fail(mlplat: Any) -> None:
    dev = json.loads(mlplat("policy", "waivers.yaml", "--env", "dev", "--format", "json", "--no-checkov", code=0).stdout)
    assert sorted(w["policy"] for w in dev["waived"]) == ["MLP-CLU-001", "MLP-STO-003"]
    prod = mlplat("policy", "waivers.yaml", "--env", "prod", "--format", "json", "--no-checkov", code=1)
    mandatory = {(f["policy"], f["line"]) for f in findings(prod) if f["level"] == "mandatory"}
    # prod's own waivers list replaces the base list (DESIGN 3: lists without `name` replace), so
    # the public endpoint is no longer waived there, and prod's expired waiver fails the gate
    assert mandatory == {("MLP-CLU-001", 17), ("MLP-GOV-001", 51)}  # line 51: the expired `expires`


def test_prod_replica_floor_is_named_in_the_finding(mlplat: Any) -> None:
    """aws-small serves `replicas: {min: 1, max: 2}`: prod's floor of 2 pins it; the finding says
    so and points at replicas.max (line 48, column 31), the number the user can change."""
    res = mlplat("policy", "aws-small.yaml", "--env", "prod", "--format", "json", "--no-checkov", code=1)
    srv = [f for f in findings(res) if f["policy"] == "MLP-SRV-002"]
    assert [(f["line"], f["column"], f["spec_path"]) for f in srv] == [(48, 31, "serving.models[0].replicas.max")]
    assert "the prod profile sets replicas.min to 2; set replicas.max above 2" in srv[0]["message"]


# --------------------------------------------------------------------------- cost and budget


def test_low_budget_fails_cost_in_every_format(mlplat: Any) -> None:
    doc = json.loads(mlplat("cost", "budget-low.yaml", "--env", "dev", "--format", "json", code=1).stdout)
    assert doc["environment"] == "dev"
    assert isinstance(doc["monthly_usd"], float) and doc["monthly_usd"] > 100  # one p4d.24xlarge alone
    assert set(doc["by_component"]) == {"network", "storage", "cluster"}
    assert abs(sum(doc["by_component"].values()) - doc["monthly_usd"]) < 0.05
    assert doc["lines"]
    assert "over budget" in mlplat("cost", "budget-low.yaml", "--env", "dev", code=1).output
    md = mlplat("cost", "budget-low.yaml", "--env", "dev", "--format", "markdown", code=1).stdout
    assert "|" in md


def test_cost_compare_to_a_file(mlplat: Any, work: Path) -> None:
    bigger = work / "multi-env-bigger.yaml"
    bigger.write_text((work / "multi-env.yaml").read_text().replace("max_size: 6", "max_size: 12"))
    try:
        res = mlplat("cost", bigger.name, "--env", "prod", "--compare-to", "multi-env.yaml", "--format", "json", code=0)
        doc = json.loads(res.stdout)
        assert doc["monthly_usd"] > doc["baseline_monthly_usd"] > 0  # a larger pool costs more
        assert abs(doc["diff_monthly_usd"] - (doc["monthly_usd"] - doc["baseline_monthly_usd"])) < 0.01
        # aws-small as baseline: +73.8% is over multi-env's max_increase_percent 50
        mlplat("cost", "multi-env.yaml", "--env", "prod", "--compare-to", "aws-small.yaml", code=1)
        mlplat("cost", "multi-env.yaml", "--env", "prod", "--compare-to", "broken/typo-key.yaml", code=2)
    finally:
        bigger.unlink()


# --------------------------------------------------------------------------- check, diff, render, graph, report


def test_check_gate_over_every_environment(mlplat: Any, tmp_path: Path) -> None:
    sarif, junit, summary = tmp_path / "c.sarif", tmp_path / "c.xml", tmp_path / "c.md"
    mlplat("check", "onprem.yaml", "--no-checkov", "--sarif", sarif, "--junit", junit, "--summary", summary, code=0)
    assert json.loads(sarif.read_text())["runs"]
    assert ET.parse(junit).getroot().findall(".//testsuite")
    assert "passed" in summary.read_text()
    res = mlplat("check", "multi-env.yaml", "--no-checkov", code=1)
    assert "MLP-MON-001" in res.output  # prod removed monitoring but keeps tracking
    # a broken baseline does not fail the gate (its problems are not this change's), but without
    # it there is no cost diff and no increase gate: regression (sweep), the terminal said nothing
    res = mlplat("check", "onprem.yaml", "--no-checkov", "--compare-to", "broken/typo-key.yaml", code=0)
    assert "baseline broken/typo-key.yaml is not a valid spec for prod" in res.output
    assert "no cost diff" in res.output


def test_promotion_diff_between_environments(mlplat: Any) -> None:
    res = mlplat("diff", "multi-env.yaml", "--from-env", "staging", "--to-env", "prod", "--format", "json", code=0)
    doc = json.loads(res.stdout)
    spec = {c["path"]: (c["from"], c["to"]) for c in doc["spec"]}
    assert spec["network.nat"] == ("single", "per-az")  # the prod profile
    assert spec["storage.buckets[scratch].versioning"] == (False, True)
    assert spec["cluster.node_pools[system].min_size"] == (1, 3)
    # regression (sweep): a section prod sets to null is one change, and nothing reads null → null
    assert spec["monitoring"] == ("<present>", None)
    assert not [p for p, (a, b) in spec.items() if a == b]
    assert doc["plan"]["removed"]
    mlplat("diff", "multi-env.yaml", "--from-env", "staging", "--to-env", "prod", code=0)


def test_diff_against_a_baseline_file(mlplat: Any, work: Path) -> None:
    bigger = work / "multi-env-diff.yaml"
    bigger.write_text((work / "multi-env.yaml").read_text().replace("max_size: 6", "max_size: 12"))
    try:
        res = mlplat("diff", bigger.name, "--env", "prod", "--compare-to", "multi-env.yaml", "--format", "json", code=0)
    finally:
        bigger.unlink()
    doc = json.loads(res.stdout)
    assert (doc["environment"], doc["baseline"]) == ("prod", "multi-env.yaml")
    assert [(c["name"], c["action"], c["properties"]) for c in doc["changes"]] == [
        ("cluster-system", "update", [{"path": "scalingConfig.maxSize", "old": 6, "new": 12}])
    ]
    same = mlplat("diff", "multi-env.yaml", "--env", "prod", "--compare-to", "multi-env.yaml", "--format", "json", code=0)
    assert json.loads(same.stdout)["changes"] == []


def test_render_graph_and_report(mlplat: Any, tmp_path: Path) -> None:
    out = tmp_path / "render"
    mlplat("render", "onprem.yaml", "--env", "prod", "--out", out, code=0)
    written = [p for p in out.rglob("*") if p.is_file()]
    assert len(written) > 3
    mermaid = mlplat("graph", "onprem.yaml", "--env", "prod", code=0).stdout
    assert mermaid.startswith("flowchart")
    dot = mlplat("graph", "onprem.yaml", "--env", "prod", "--format", "dot", code=0).stdout
    assert dot.lstrip().startswith("digraph")
    html = tmp_path / "report.html"
    mlplat("report", "onprem.yaml", "--env", "prod", "--out", html, "--no-checkov", code=0)
    assert html.read_text().lstrip().lower().startswith("<!doctype html")


def test_compose_target_renders_and_has_no_cloud_to_drift(mlplat: Any, tmp_path: Path) -> None:
    out = tmp_path / "compose"
    mlplat("render", "laptop-compose.yaml", "--env", "dev", "--out", out, code=0)
    assert (out / "docker-compose.yml").is_file()
    res = mlplat("drift", "laptop-compose.yaml", "--env", "dev", "--format", "json", code=2)
    assert "compose target" in res.stderr


def test_engine_commands_need_the_pulumi_cli(mlplat: Any) -> None:
    if shutil.which("pulumi"):
        pytest.skip("a Pulumi CLI is installed here")
    for command in ("up", "destroy"):
        res = mlplat(command, "storage-only.yaml", "--env", "dev", "--yes", code=2)
        assert "Pulumi CLI" in res.stderr


# --------------------------------------------------------------------------- secrets


def test_referenced_secrets_never_reach_plan_render_or_reports(
    mlplat: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    canaries = {"MLFLOW_ADMIN_PASSWORD": "canary-mlflow-7f3a", "GRAFANA_ADMIN_PASSWORD": "canary-grafana-9b1c"}
    for var, value in canaries.items():
        monkeypatch.setenv(var, value)
    spec = "secrets-onprem.yaml"
    outputs = [
        mlplat("preview", spec, "--env", "prod", "--format", "json", code=0).output,
        mlplat("policy", spec, "--env", "prod", "--format", "json", "--no-checkov", code=0).output,
        mlplat("cost", spec, "--env", "prod", "--format", "json", code=0).output,
    ]
    out = tmp_path / "render"
    mlplat("render", spec, "--env", "prod", "--out", out, code=0)
    files = [p for p in out.rglob("*") if p.is_file()]
    assert files
    outputs += [p.read_text(errors="replace") for p in files]
    leaked = [text[:80] for text in outputs for value in canaries.values() if value in text]
    assert leaked == []
    plan = _plan(mlplat, spec, "prod")
    secrets = [r for r in plan["resources"] if r["type"] == "kubernetes:core/v1:Secret"]
    assert secrets and {r["inputs"]["stringData"] for r in secrets} == {"<secret>"}


# --------------------------------------------------------------------------- slow: checkov and moto


@pytest.mark.slow
def test_checkov_findings_join_the_insecure_prod_report(mlplat: Any) -> None:
    res = mlplat("policy", "insecure-prod.yaml", "--env", "prod", "--format", "json", code=1)
    sources = {f["source"] for f in findings(res)}
    assert sources == {"mlplat", "checkov"}
    ckv = [f for f in findings(res) if f["source"] == "checkov"]
    assert all(re.fullmatch(r"CKV2?_[A-Z0-9]+_\d+", f["policy"]) for f in ckv), ckv


@pytest.fixture
def moto_endpoint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server._server.server_address  # type: ignore[union-attr]
        endpoint = f"http://{host}:{port}"
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        yield endpoint
    finally:
        server.stop()


def _create_storage_as_planned(plan: dict[str, Any]) -> tuple[str, str]:
    """Create storage-only.yaml's dev resources in moto the way the plan describes them: the
    bucket's name and the key's id."""
    import boto3

    res = {r["name"]: r["inputs"] for r in plan["resources"]}
    kms, s3 = boto3.client("kms", region_name="eu-west-1"), boto3.client("s3", region_name="eu-west-1")
    k = res["storage-kms"]
    key = kms.create_key(Description=k["description"], Tags=[{"TagKey": a, "TagValue": b} for a, b in k["tags"].items()])
    key_id, key_arn = key["KeyMetadata"]["KeyId"], key["KeyMetadata"]["Arn"]
    kms.enable_key_rotation(KeyId=key_id)
    kms.create_alias(AliasName=res["storage-kms-alias"]["name"], TargetKeyId=key_id)
    b = res["storage-raw"]
    name = b["bucket"]
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": a, "Value": v} for a, v in b["tags"].items()]})
    status = res["storage-raw-versioning"]["versioningConfiguration"]["status"]
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": status})
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
         "BucketKeyEnabled": True}]})  # fmt: skip
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})  # fmt: skip
    s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    s3.put_bucket_policy(Bucket=name, Policy=res["storage-raw-policy"]["policy"])
    s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [
        {"ID": "abort-incomplete-multipart-uploads", "Status": "Enabled", "Filter": {"Prefix": ""},
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]})  # fmt: skip
    return str(name), str(key_id)


@pytest.mark.slow
def test_drift_against_moto(mlplat: Any, moto_endpoint: str) -> None:
    import boto3

    spec, env = "storage-only.yaml", "dev"
    args = ("drift", spec, "--env", env, "--format", "json", "--no-state")
    # nothing created: every planned resource is missing
    doc = json.loads(mlplat(*args, code=1).stdout)
    assert doc["in_sync"] is False and isinstance(doc["coverage_percent"], float)
    assert {(f["kind"], f["type"]) for f in doc["findings"]} == {
        ("missing", "aws:kms/key:Key"), ("missing", "aws:s3/bucket:Bucket")}  # fmt: skip

    bucket, key_id = _create_storage_as_planned(_plan(mlplat, spec, env))
    doc = json.loads(mlplat(*args, code=0).stdout)
    assert (doc["in_sync"], doc["findings"]) == (True, [])

    s3 = boto3.client("s3", region_name="eu-west-1")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    doc = json.loads(mlplat(*args, code=1).stdout)
    assert [(f["kind"], f["resource"], f["attribute"], f["expected"], f["actual"]) for f in doc["findings"]] == [
        ("changed", bucket, "versioning", "Enabled", "Suspended")
    ]
    table = mlplat("drift", spec, "--env", env, "--no-state", code=1)
    assert "versioning" in table.stdout

    # a bucket carrying the environment's ownership tags that the plan does not know
    s3.create_bucket(Bucket="stray-datalake", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_tagging(Bucket="stray-datalake", Tagging={"TagSet": [
        {"Key": "mlplat:platform", "Value": "datalake"}, {"Key": "mlplat:environment", "Value": env},
        {"Key": "managed-by", "Value": "mlplat"}]})  # fmt: skip
    doc = json.loads(mlplat(*args, code=1).stdout)
    assert ("unmanaged", "stray-datalake") in {(f["kind"], f["resource"]) for f in doc["findings"]}
    orphans = json.loads(mlplat("orphans", spec, "--env", env, "--format", "json", code=1).stdout)
    # orphans lists what carries the ownership tags, planned or not: the key, the bucket, the stray
    assert {o["identifier"] for o in orphans["orphans"]} == {bucket, "stray-datalake", key_id}
    assert os.environ["AWS_ENDPOINT_URL"] == moto_endpoint  # nothing left the machine
