"""`mlplat diff --env E --compare-to REV|FILE`: the plan now against the plan at a baseline.

Synthetic plans test each action and the property paths (no Pulumi, milliseconds); the one-field
edit runs the real offline engine on the reference spec, in a temporary git repository (`git show`
reads the baseline) and against a baseline FILE.
"""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from mlplat.cli.main import cli
from mlplat.stacks.plan.model import Plan, PlanResource
from mlplat.stacks.review.diff import compare_plans, render_revision_table, revision_markdown

from tests.conftest import REFERENCE_SPECS

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
STACK = "urn:pulumi:shop-prod::shop::"


def res(type_: str, name: str, inputs: dict, protect: bool = False, component: str = "cluster") -> PlanResource:
    return PlanResource(urn=f"{STACK}{type_}::{name}", type=type_, name=name, parent=None, component=component,
                        inputs=inputs, protect=protect)  # fmt: skip


def plan(*resources: PlanResource) -> Plan:
    return Plan("shop", "prod", list(resources), "aws")


def pool(**over) -> dict:
    inputs = {"clusterName": "shop-prod-cluster", "instanceTypes": ["m6i.large"], "nodeGroupName": "shop-prod-system",
              "scalingConfig": {"desiredSize": 2.0, "maxSize": 4.0, "minSize": 2.0},
              "subnetIds": ["subnet-a", "subnet-b"], "labels": {"pool": "system"}}  # fmt: skip
    inputs.update(over)
    return inputs


def deployment(image: str = "mlflow:2.22.0", extra_container: bool = False) -> dict:
    containers = [{"name": "mlflow", "image": image, "args": ["server"]}]
    if extra_container:
        containers.append({"name": "proxy", "image": "oauth2-proxy:7.9.0"})
    return {"metadata": {"name": "mlflow", "namespace": "shop-prod-tracking"},
            "spec": {"selector": {"matchLabels": {"app": "mlflow"}},
                     "template": {"spec": {"containers": containers}}}}  # fmt: skip


def one(d):
    assert len(d.changes) == 1, [(c.name, c.action) for c in d.changes]
    return d.changes[0]


# --------------------------------------------------------------------------- actions


def test_create_and_delete():
    a = res(NODE_GROUP, "cluster-system", pool())
    b = res(NODE_GROUP, "cluster-gpu", pool(nodeGroupName="shop-prod-gpu"))
    d = compare_plans(plan(a), plan(a, b), "main")
    c = one(d)
    assert (c.action, c.name) == ("create", "cluster-gpu")
    d = compare_plans(plan(a, b), plan(a), "main")
    c = one(d)
    assert (c.action, c.name) == ("delete", "cluster-gpu")
    assert d.to_dict()["summary"] == {"create": 0, "update": 0, "replace": 0, "delete": 1}


def test_update_in_place_names_the_nested_wire_path():
    before = res(NODE_GROUP, "cluster-system", pool())
    after = res(NODE_GROUP, "cluster-system", pool(scalingConfig={"desiredSize": 2.0, "maxSize": 6.0, "minSize": 2.0}))
    c = one(compare_plans(plan(before), plan(after), "main"))
    # scaling_config is not ForceNew in terraform-provider-aws node_group.go: an in-place update
    assert c.action == "update" and not c.may_replace
    assert [p.to_dict() for p in c.properties] == [{"path": "scalingConfig.maxSize", "old": 4, "new": 6}]


def test_replace_when_a_force_new_input_changes():
    before = res(NODE_GROUP, "cluster-system", pool())
    after = res(NODE_GROUP, "cluster-system", pool(instanceTypes=["m6i.xlarge"], labels={"pool": "big"}))
    c = one(compare_plans(plan(before), plan(after), "main"))
    # instance_types is ForceNew (node_group.go); labels alone would update in place
    assert c.action == "replace"
    assert c.to_dict()["replaced_by"] == ["instanceTypes"]
    paths = {p.path: (p.old, p.new, p.effect) for p in c.properties}
    assert paths["instanceTypes"] == (["m6i.large"], ["m6i.xlarge"], "replace")  # a list of scalars: one value
    assert paths["labels.pool"] == ("system", "big", "update")


def test_unknown_type_is_update_may_replace():
    t = "aws:fictional/widget:Widget"  # not in force_new.yaml (and never will be: no such type)
    c = one(compare_plans(plan(res(t, "w", {"size": 1.0})), plan(res(t, "w", {"size": 2.0})), "main"))
    assert (c.action, c.may_replace, c.label) == ("update", True, "update (may replace)")


def test_conditional_force_new_is_may_replace():
    t = "aws:elasticache/replicationGroup:ReplicationGroup"
    before = res(t, "redis", {"engineVersion": "7.1", "replicationGroupId": "shop-prod-redis"})
    after = res(t, "redis", {"engineVersion": "7.0", "replicationGroupId": "shop-prod-redis"})
    # a downgrade replaces (CustomizeDiff), an upgrade does not: the data says "may"
    c = one(compare_plans(plan(before), plan(after), "main"))
    assert c.label == "update (may replace)"


def test_kubernetes_containers_are_matched_by_name_and_selector_replaces():
    t = "kubernetes:apps/v1:Deployment"
    before = res(t, "tracking-mlflow", deployment(), component="tracking")
    after = res(t, "tracking-mlflow", deployment(image="mlflow:3.1.0", extra_container=True), component="tracking")
    c = one(compare_plans(plan(before), plan(after), "main"))
    got = {p.path: (p.old, p.new) for p in c.properties}
    assert got["spec.template.spec.containers[mlflow].image"] == ("mlflow:2.22.0", "mlflow:3.1.0")
    # a whole list item added is one change, not one per field
    assert [p for p in got if p.startswith("spec.template.spec.containers[proxy]")] == [
        "spec.template.spec.containers[proxy]"]
    assert c.action == "update" and not c.may_replace  # pulumi-kubernetes: only the selector replaces a Deployment
    sel = copy.deepcopy(deployment())
    sel["spec"]["selector"]["matchLabels"]["app"] = "mlflow-v2"
    c = one(compare_plans(plan(before), plan(res(t, "tracking-mlflow", sel, component="tracking")), "main"))
    assert c.action == "replace"


def test_secrets_are_masked_everywhere():
    t = "kubernetes:core/v1:Secret"
    meta = {"name": "db", "namespace": "shop-prod-tracking"}
    before = res(t, "db", {"metadata": meta, "stringData": {"password": "hunter2-old"}, "type": "Opaque"})
    after = res(t, "db", {"metadata": meta, "stringData": {"password": "hunter2-new"}, "type": "Opaque"})
    rds = "aws:rds/instance:Instance"
    db_before = res(rds, "db", {"instanceClass": "db.t4g.small", "password": "s3cr3t-old"})
    db_after = res(rds, "db", {"instanceClass": "db.t4g.small", "password": "<secret>"})
    d = compare_plans(plan(before, db_before), plan(after, db_after), "main")
    assert {c.name for c in d.changes} == {"db"} and len(d.changes) == 2
    dumped = json.dumps(d.to_dict())
    from io import StringIO

    from rich.console import Console

    buf = StringIO()
    render_revision_table(d, Console(file=buf, width=200))
    for text in (dumped, revision_markdown(d), buf.getvalue()):
        for literal in ("hunter2-old", "hunter2-new", "s3cr3t-old"):
            assert literal not in text
    secret = next(c for c in d.changes if c.type == t)
    # the change is still shown (a rotated secret matters), as masked values
    assert [p.to_dict() for p in secret.properties] == [
        {"path": "stringData.password", "old": "<secret>", "new": "<secret>"}]
    assert secret.action == "replace"  # Secrets are immutable by default in pulumi-kubernetes
    assert "&lt;secret&gt;" in revision_markdown(d)  # markdown would swallow a bare <secret> as HTML


def test_protected_replacement_comes_first():
    before = [res(NODE_GROUP, "a-pool", pool()), res("aws:rds/instance:Instance", "db", {"engine": "postgres"}, True)]
    after = [res(NODE_GROUP, "a-pool", pool(labels={"x": "y"})),
             res("aws:rds/instance:Instance", "db", {"engine": "mysql"}, True)]
    d = compare_plans(plan(*before), plan(*after), "main")
    assert [(c.name, c.action, c.dangerous) for c in d.changes] == [("db", "replace", True), ("a-pool", "update", False)]
    assert "protected" in revision_markdown(d).splitlines()[0]


def test_unchanged_plan_lists_nothing():
    p = plan(res(NODE_GROUP, "cluster-system", pool()), res("kubernetes:apps/v1:Deployment", "m", deployment()))
    d = compare_plans(p, copy.deepcopy(p), "main")
    assert d.changes == [] and d.summary() == "no changes"
    assert d.to_dict()["changes"] == []


# --------------------------------------------------------------------------- the force-new data is true to the SDK


def test_force_new_paths_are_inputs_of_the_pulumi_aws_resources():
    import importlib
    import inspect
    import re

    from mlplat.stacks.review.force_new import _data

    aws = _data()["aws"]
    assert aws, "no AWS force-new data"
    for token, entry in aws.items():
        assert {"repo", "commit", "path"} <= set(entry["source"]), token
        module, cls = token.split(":")[1].split("/")[0], token.split(":")[2]
        resource = getattr(importlib.import_module(f"pulumi_aws.{module}"), cls)
        params = set(inspect.signature(resource._internal_init).parameters)
        for path in entry.get("replace", []) + entry.get("may_replace", []):  # may be empty: no force-new input
            top = re.sub(r"(?<!^)(?=[A-Z])", "_", path.split(".")[0]).lower()
            assert top in params, f"{token}: {path} is no input of pulumi_aws ({top})"


# --------------------------------------------------------------------------- the one-field edit, end to end


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=cwd, check=True,
                   capture_output=True)


@pytest.fixture(scope="module")
def edited_repo(tmp_path_factory):
    """The reference spec committed, then one node pool's max_size raised in the working tree."""
    root = tmp_path_factory.mktemp("repo")
    text = REFERENCE_SPECS["platform"][0].read_text()
    _git(root, "init", "-q", "-b", "main")
    (root / "platform.yaml").write_text(text)
    (root / "baseline.yaml").write_text(text)
    _git(root, "add", "platform.yaml")
    _git(root, "commit", "-q", "-m", "base")
    old = "    - name: system\n      instance_type: m6i.large\n      min_size: 2\n      max_size: 4\n"
    assert text.count(old) == 1  # the edit below touches exactly this pool
    (root / "platform.yaml").write_text(text.replace(old, old.replace("max_size: 4", "max_size: 6")))
    return root


@pytest.mark.parametrize("form", ["revision", "file"])
def test_one_field_edit_is_exactly_one_update(edited_repo, form):
    baseline = "main" if form == "revision" else str(edited_repo / "baseline.yaml")
    res = CliRunner().invoke(cli, ["diff", str(edited_repo / "platform.yaml"), "--env", "prod",
                                   "--compare-to", baseline, "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert (data["environment"], data["baseline"]) == ("prod", baseline)
    assert [(c["name"], c["action"]) for c in data["changes"]] == [("cluster-system", "update")]
    change = data["changes"][0]
    assert change["type"] == NODE_GROUP
    assert change["properties"] == [{"path": "scalingConfig.maxSize", "old": 4, "new": 6}]


def test_unchanged_spec_gives_no_changes_and_table_and_markdown(edited_repo):
    spec = str(edited_repo / "baseline.yaml")  # identical to main's platform.yaml
    runner = CliRunner()
    res = runner.invoke(cli, ["diff", spec, "--env", "dev", "--compare-to", spec, "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["changes"] == []
    res = runner.invoke(cli, ["diff", str(edited_repo / "platform.yaml"), "--env", "dev", "--compare-to", "main",
                              "--format", "markdown"])
    assert res.exit_code == 0, res.output
    assert "scalingConfig.maxSize: 4 → 6" in res.stdout and "| update |" in res.stdout


def test_usage_errors_exit_2(edited_repo):
    spec = str(edited_repo / "platform.yaml")
    runner = CliRunner()
    for args in (["--env", "prod"], ["--compare-to", "main"], ["--env", "prod", "--compare-to", "main", "--from-env", "dev"]):
        res = runner.invoke(cli, ["diff", spec, *args])
        assert res.exit_code == 2, (args, res.output)
    res = runner.invoke(cli, ["diff", spec, "--env", "prod", "--compare-to", "no-such-ref"])
    assert res.exit_code == 2 and "no-such-ref" in res.output and "Traceback" not in res.output
