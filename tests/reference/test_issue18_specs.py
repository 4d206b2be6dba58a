"""The issue-18 reference specs (large org: W&B self-managed + Feast + Airflow + KServe; small team:
MLflow + DVC + BentoML + GitHub Actions) in every environment: validate, preview, policy, cost.

Kept out of tests/conftest.py REFERENCE_SPECS on purpose (those drive the golden plans)."""

from __future__ import annotations

import configparser
import json
from functools import cache
from pathlib import Path

import pytest
from mlplat.policies import evaluate
from mlplat.stacks import load_platform, load_spec, validate
from mlplat.stacks.cost.estimate import estimate
from mlplat.stacks.plan.offline import run_offline
from mlplat.stacks.repo.dvc import dvc_config

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SPECS = {"large-org": ("dev", "staging", "prod"), "small-team": ("dev", "prod")}
CASES = [(s, e) for s, envs in SPECS.items() for e in envs]


@cache
def planned(spec: str, env: str):
    resolved = load_platform(EXAMPLES / f"{spec}.yaml", env)
    return resolved, run_offline(resolved)


@pytest.mark.parametrize("spec", SPECS)
def test_validates_with_exactly_its_environments(spec):
    validated = validate(load_spec(EXAMPLES / f"{spec}.yaml"))
    assert tuple(validated) == SPECS[spec]  # environment → resolved platform, no SpecError raised


@pytest.mark.parametrize("spec, env", CASES)
def test_previews_the_scenario(spec, env):
    _, plan = planned(spec, env)
    comps = plan.counts_by_component()
    if spec == "large-org":
        rel = plan.named("tracking-wandb")
        assert rel.inputs["chart"] == "operator-wandb" and rel.inputs["version"] == "0.43.8"
        assert plan.named("tracking-db").inputs["engine"] == "mysql"
        assert {"orchestrator", "feature_store", "serving"} <= set(comps)
        air = plan.named("orchestrator-airflow").inputs["values"]
        assert {"name": "WANDB_BASE_URL", "value": "https://wandb.bigco.example"} in air["env"]
        assert plan.named("serving").type == "mlplat:index:ModelServing"
    else:
        role = plan.named("storage-datasets-ci")
        trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
        assert trust["Condition"]["StringLike"] == {"token.actions.githubusercontent.com:sub": "repo:acme-ml/models:*"}
        assert plan.named("tracking").type == "mlplat:index:TrackingServer"
        assert any(r.inputs.get("kind") == "Deployment" and r.component == "serving" for r in plan.resources)


@pytest.mark.parametrize("spec, env", CASES)
def test_passes_every_mandatory_policy(spec, env):
    resolved, plan = planned(spec, env)
    result = evaluate(resolved, plan, checkov=True)
    assert result.checkov and result.rules
    assert [f"{f.policy} {f.resource}: {f.message}" for f in result.mandatory_failures] == []


# What the catalogue cannot price, and why (README "Weights & Biases and DVC"): RDS MySQL.
UNPRICED = {"large-org": {"tracking-db"}, "small-team": set()}


@pytest.mark.parametrize("spec, env", CASES)
def test_is_priced(spec, env):
    resolved, plan = planned(spec, env)
    est = estimate(resolved, plan)
    assert est.monthly_usd > 100  # an EKS control plane alone is ~$73/month: the cluster was priced
    unpriced = {ln.name for ln in est.lines if ln.status == "unpriced"}
    assert unpriced == UNPRICED[spec]


def test_prod_costs_more_than_dev():
    for spec in SPECS:
        dev, prod = (estimate(*planned(spec, e)).monthly_usd for e in ("dev", "prod"))
        assert prod > dev, spec


def test_small_team_dvc_remote():
    cp = configparser.ConfigParser(interpolation=None)
    cp.read_string(dvc_config(load_platform(EXAMPLES / "small-team.yaml", "prod"), "210987654321"))
    # on aws the account ID ends the bucket name (DESIGN 4)
    assert dict(cp['remote "datasets"']) == {"url": "s3://acme-prod-datasets-210987654321", "region": "us-east-1"}


# The workloads issue's judges (tests/upstream), applied to these plans as to the golden ones.
@pytest.mark.parametrize("spec, env", CASES)
def test_upstream_judges_pass(spec, env):
    from tests.upstream.judges import RELEASE, api_of, crd_provider, is_custom_resource, load_json
    from tests.upstream.test_crd_judge import _violations
    from tests.upstream.test_values_judge import judge_release

    _, plan = planned(spec, env)
    failures = [f for r in plan.of_type(RELEASE) if r.inputs["chart"] != "airflow" for f in judge_release(r)]
    for res in plan.resources:
        if not is_custom_resource(res):
            continue
        found = crd_provider(plan, res)
        if found is None or found[1] is None:
            failures.append(f"{res.name} {api_of(res)}: no CRD from a release it waits for")
            continue
        body = {k: res.inputs[k] for k in ("apiVersion", "kind", "metadata", "spec") if k in res.inputs}
        failures += [f"{res.name}: {v}" for v in _violations(body, load_json(found[1])["openAPIV3Schema"])]
    assert failures == []
    if spec == "large-org":  # the W&B release was judged against operator-wandb 0.43.8's key tree
        assert judge_release(plan.named("tracking-wandb")) == []


@pytest.mark.parametrize("env", SPECS["large-org"])
def test_large_org_gx_config_passes_the_gx_judge(env):
    from tests.upstream.judges import load_json
    from tests.upstream.test_great_expectations_judge import SCHEMA, gx_configs, judge

    _, plan = planned("large-org", env)
    configs = gx_configs(plan)
    assert [n for n, _ in configs] == ["orchestrator-gx-config"]  # in Airflow's namespace, mounted by workers
    assert judge(configs[0][1], load_json(SCHEMA)) == []
