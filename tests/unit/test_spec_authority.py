"""Issue 14, part 1: nothing is silently ignored, entries can be removed per environment,
regions are real (with a did-you-mean)."""

from __future__ import annotations

import pytest

from tests.conftest import EXAMPLES
from tests.hostile.helpers import MINIMAL_AWS, run, write

REFERENCE = (EXAMPLES / "platform.yaml").read_text()


def _plan(spec, env):
    from mlplat.stacks import load_platform
    from mlplat.stacks.plan.offline import run_offline

    return run_offline(load_platform(spec, env))


NAT = "aws:ec2/natGateway:NatGateway"


def test_prod_profile_nat_per_az_applies_without_a_network_key(tmp_path):
    text = REFERENCE.replace("network:\n  cidr: 10.40.0.0/16\n  az_count: 3\n  nat: single\n", "")
    text = text.replace("    network: {nat: per-az}\n", "")
    assert "\nnetwork:" not in text and "  network:" not in text  # no network section anywhere
    spec = write(tmp_path, text)
    # the implied network has the default 2 AZs: per-az (prod profile) → 2 NATs, single (dev) → 1
    assert len(_plan(spec, "prod").of_type(NAT)) == 2
    assert len(_plan(spec, "dev").of_type(NAT)) == 1


def test_delete_patch_removes_inherited_entries(tmp_path):
    text = REFERENCE.replace(
        "        - name: gpu-serve\n          min_size: 0\n", "        - name: gpu-serve\n          $patch: delete\n"
    ).replace(
        "        - name: churn-classifier\n          replicas: {min: 1, max: 2}\n",
        "        - {name: churn-explainer, $patch: delete}\n",
    ).replace("    budget: {monthly_usd: 2500}\n",
              "    budget: {monthly_usd: 2500}\n    storage:\n      buckets:\n        - {name: data-docs, $patch: delete}\n")  # fmt: skip
    spec = write(tmp_path, text)
    assert run("validate", str(spec)).exit_code == 0
    dev = [r.name for r in _plan(spec, "dev").resources]
    staging = [r.name for r in _plan(spec, "staging").resources]
    for gone in ("gpu-serve", "churn-explainer", "data-docs"):
        assert not any(gone in n for n in dev), gone  # removed in dev
        assert any(gone in n for n in staging), gone  # still inherited elsewhere


@pytest.mark.parametrize(
    "item, says",
    [
        ("{name: nope, $patch: delete}", "$patch: delete names 'nope', which is not inherited here"),
        ("{name: data-docs, $patch: remove}", "$patch supports only `delete`"),
        ("{name: data-docs, $patch: delete, versioning: true}", "$patch supports only `delete`"),
    ],
)
def test_delete_patch_mistakes_are_located(tmp_path, item, says):
    text = REFERENCE.replace("    budget: {monthly_usd: 2500}\n",
                             f"    budget: {{monthly_usd: 2500}}\n    storage:\n      buckets:\n        - {item}\n")  # fmt: skip
    spec = write(tmp_path, text)
    res = run("validate", str(spec))
    assert res.exit_code == 2
    assert f"{spec}:" in res.stderr and says in res.stderr, res.stderr


@pytest.mark.parametrize(
    "region, says",
    [
        ("eu-wset-1", "unknown AWS region 'eu-wset-1'; did you mean 'eu-west-1'?"),
        ("us-east-7", "unknown AWS region 'us-east-7'; did you mean"),
        ("mars-north-1", "unknown AWS region 'mars-north-1'"),
    ],
)
def test_regions_are_checked_against_the_partitions(tmp_path, region, says):
    res = run("validate", str(write(tmp_path, MINIMAL_AWS.replace("us-east-1", region))))
    assert res.exit_code == 2
    assert f"target.region: {says}" in res.stderr, res.stderr


@pytest.mark.parametrize("region", ["us-gov-west-1", "cn-north-1", "eusc-de-east-1", "ap-southeast-7"])
def test_regions_of_every_partition_validate(tmp_path, region):
    assert run("validate", str(write(tmp_path, MINIMAL_AWS.replace("us-east-1", region)))).exit_code == 0


@pytest.mark.parametrize(
    "extra, path",
    [
        ('cluster: {kubernetes_version: "1.31"}\n', "cluster.kubernetes_version"),
        ("cluster: {public_endpoint: true}\n", "cluster.public_endpoint"),
        ("feature_store: {online_store: redis, redis: {node_type: cache.r6g.large}}\n", "feature_store.redis.node_type"),
    ],
)
def test_keys_without_effect_on_kubernetes_are_errors(tmp_path, extra, path):
    from tests.hostile.helpers import MINIMAL_K8S

    res = run("validate", str(write(tmp_path, MINIMAL_K8S + extra)))
    assert res.exit_code == 2
    assert f": {path}: " in res.stderr and "no effect" in res.stderr, res.stderr


def test_k8s_rates_have_no_effect_on_aws(tmp_path):
    res = run("validate", str(write(tmp_path, MINIMAL_AWS + "usage: {k8s_rates: {vcpu_hour: 0.03}}\n")))
    assert res.exit_code == 2
    assert ": usage.k8s_rates: " in res.stderr
