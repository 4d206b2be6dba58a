"""`mlplat diff`: what promoting staging → prod changes, on the resolved specs and on the plans."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from mlplat.stacks.plan.model import Plan, PlanResource
from mlplat.stacks.review.diff import diff_values, neutralise, plan_diff, promotion_diff

from tests.conftest import REFERENCE_SPECS
from tests.plans import reference

NAT = "aws:ec2/natGateway:NatGateway"
RDS = "aws:rds/instance:Instance"


@pytest.fixture(scope="module")
def staging_to_prod():
    # Plans come from the session cache (tests/plans.py): each offline run costs seconds.
    (rs, ps), (rp, pp) = reference("platform", "staging"), reference("platform", "prod")
    return promotion_diff(rs, rp, ps, pp)


def test_spec_differences_staging_to_prod(staging_to_prod):
    d = staging_to_prod
    nat = d.spec_change("network.nat")
    assert (nat.before, nat.after) == ("single", "per-az")
    multi_az = d.spec_change("tracking.database.multi_az")
    assert (multi_az.before, multi_az.after) == (False, True)
    # the environment name itself is not a spec difference; metadata is shared
    assert not [c for c in d.spec if c.path.startswith("metadata")]
    # the profile's safety differs too (prod protects stateful resources)
    assert any(c.path == "safety.protect_stateful" and c.after is True for c in d.profile)


def test_plan_differences_staging_to_prod(staging_to_prod):
    d = staging_to_prod
    # single NAT → one per AZ (az_count 3): two more NAT gateways, matched by neutralised name
    nat_added = [r for r in d.added if r.type == NAT]
    assert len(nat_added) == 2, [r.name for r in d.added]
    assert not [r for r in d.removed if r.type == NAT]
    # the same database, with Multi-AZ switched on (inputs compared by wire name)
    dbs = [r for r in d.changed if r.type == RDS]
    assert dbs, [r.name for r in d.changed]
    changes = {c.path: (c.before, c.after) for r in dbs for c in r.changes}
    assert changes.get("multiAz") == (False, True), changes
    # neutralised: no resource appears as removed+added just because its name carries the env
    assert all("staging" not in r.key and "-prod-" not in r.key for r in d.resources), [r.key for r in d.resources]
    counts = d.resource_counts
    assert counts["prod"] > counts["staging"]


def test_same_environment_is_no_difference():
    r, p = reference("platform", "staging")
    d = promotion_diff(r, r, p, p)
    assert d.spec == [] and d.profile == [] and d.resources == []
    assert d.empty


def test_cli_json_and_table(monkeypatch):
    from mlplat.cli.main import cli
    from mlplat.stacks.plan import offline

    # Reuse the cached reference plans instead of two fresh offline runs.
    monkeypatch.setattr(offline, "run_offline", lambda resolved: reference("platform", resolved.environment)[1])
    spec = str(REFERENCE_SPECS["platform"][0])
    runner = CliRunner()  # click >= 8.2: result.stdout is stdout only
    res = runner.invoke(cli, ["diff", spec, "--from-env", "staging", "--to-env", "prod", "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert {"path": "network.nat", "from": "single", "to": "per-az"} in data["spec"]
    assert {"path": "tracking.database.multi_az", "from": False, "to": True} in data["spec"]
    assert any(r["type"] == NAT for r in data["plan"]["added"])
    res = runner.invoke(cli, ["diff", spec, "--from-env", "staging", "--to-env", "prod"])
    assert res.exit_code == 0
    assert "network.nat" in res.stdout and "per-az" in res.stdout


def test_cli_errors_exit_2():
    from mlplat.cli.main import cli

    spec = str(REFERENCE_SPECS["platform"][0])
    runner = CliRunner()
    res = runner.invoke(cli, ["diff", spec, "--from-env", "prod", "--to-env", "prod"])
    assert res.exit_code == 2 and "nothing to compare" in res.output
    res = runner.invoke(cli, ["diff", spec, "--from-env", "staging", "--to-env", "qa"])
    assert res.exit_code == 2 and "unknown environment" in res.output
    assert "Traceback" not in res.output


# --------------------------------------------------------------------------- pure helpers (no Pulumi)


def test_flatten_matches_named_list_items_by_name():
    a = {"pools": [{"name": "a", "size": 1}, {"name": "b", "size": 2}]}
    b = {"pools": [{"name": "b", "size": 3}, {"name": "c", "size": 1}]}
    got = {(c.path, c.before if isinstance(c.before, (int, str)) else None,
            c.after if isinstance(c.after, (int, str)) else None) for c in diff_values(a, b)}
    assert ("pools[b].size", 2, 3) in got
    paths = [c.path for c in diff_values(a, b)]
    assert "pools[a]" in paths and "pools[c]" in paths  # whole items, not each field
    assert "pools[a].size" not in paths
    assert diff_values({"n": 2}, {"n": 2.0}) == []  # wire floats equal ints


def test_a_section_removed_by_null_is_one_change_and_null_equals_absent():
    # Found by the acceptance sweep (multi-env.yaml, `diff --from-env staging --to-env prod` where
    # prod sets `monitoring: null`): the spec diff listed `monitoring: ∅ → null` and
    # `monitoring.alerts: null → ∅`, changes of nothing, beside one line per removed field.
    staging = {"monitoring": {"alerts": None, "prometheus": {"retention_days": 7}}, "nat": "single"}
    prod = {"monitoring": None, "nat": "per-az"}
    got = [(c.path, c.to_dict()["from"], c.to_dict()["to"]) for c in diff_values(staging, prod)]
    assert got == [("monitoring", "<present>", None), ("nat", "single", "per-az")]
    back = [(c.path, c.to_dict()["from"], c.to_dict()["to"]) for c in diff_values(prod, staging)]
    assert back == [("monitoring", None, "<present>"), ("nat", "per-az", "single")]
    assert diff_values({"alerts": None}, {}) == []  # null and absent both mean "not set"
    assert [c.path for c in diff_values({"a": {"b": None}}, {"a": {"b": 1}})] == ["a.b"]


def test_neutralise_and_plan_diff_on_synthetic_plans():
    def res(env, name, **inputs):
        urn = f"urn:pulumi:p-{env}::p::mlplat:index:Platform$aws:s3/bucket:Bucket::p-{env}-{name}"
        return PlanResource(urn=urn, type="aws:s3/bucket:Bucket", name=f"p-{env}-{name}", parent=None,
                            component="storage", inputs=inputs)

    a = Plan("p", "staging", [res("staging", "data", bucket="p-staging-data", tags={"mlplat:environment": "staging"}),
                              res("staging", "old")])
    b = Plan("p", "prod", [res("prod", "data", bucket="p-prod-data", tags={"mlplat:environment": "prod"},
                               forceDestroy=False),
                           res("prod", "new")])
    assert neutralise({"x": "p-prod-data", "y": "prod"}, "p", "prod") == {"x": "p-<env>-data", "y": "<env>"}
    got = {(r.status, r.name): r for r in plan_diff(a, b)}
    assert set(got) == {("changed", "p-<env>-data"), ("removed", "p-<env>-old"), ("added", "p-<env>-new")}
    assert [c.path for c in got[("changed", "p-<env>-data")].changes] == ["forceDestroy"]


def test_json_text_inputs_diff_by_field_and_shared_literals_do_not_differ():
    from mlplat.stacks.review.diff import _resource_changes

    a = Plan("p", "staging", [])
    b = Plan("p", "prod", [])
    ia = {"data": {"d.json": '{"title": "p/staging: GPU", "panels": [1, 2]}'}, "uri": "s3://p-prod-models/v1",
          "project": "p_staging", "policy": '{"Version": "2012-10-17"}'}
    ib = {"data": {"d.json": '{"title": "p/prod: GPU", "panels": [1, 3]}'}, "uri": "s3://p-prod-models/v1",
          "project": "p_prod", "policy": "<unknown>"}
    got = {c.path: (c.before, c.after) for c in _resource_changes(ia, ib, a, b)}
    # the env-specific title, Feast project and a literal both environments share are no change;
    # the panel that changed is named inside the JSON; JSON against unknown is one change
    assert got == {"data.d.json#.panels": ([1, 2], [1, 3]), "policy": ("<json>", "<unknown>")}
