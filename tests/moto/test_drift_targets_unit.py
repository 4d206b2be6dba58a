"""What drift checks on a Redis replication group, a cache cluster and a node group's taints,
stated attribute by attribute, and that each check compares (issue 21: these comparisons
survived mutation because the moto tests only looked at whole reports of the reference spec)."""

from __future__ import annotations

from typing import Any

import pytest
from mlplat.stacks.drift.model import Target, compare
from mlplat.stacks.drift.targets import aws_targets
from mlplat.stacks.plan.model import Plan, PlanResource

TAGS = {"managed-by": "mlplat", "mlplat:environment": "dev"}
URN = "urn:pulumi:acme-dev::acme::{type}::{name}"


def _res(type_: str, name: str, **inputs: Any) -> PlanResource:
    return PlanResource(urn=URN.format(type=type_, name=name), type=type_, name=name, parent=None,
                        component="feature_store", inputs={**inputs, "tags": TAGS})  # fmt: skip


def _targets(*resources: PlanResource) -> list[Target]:
    return aws_targets(Plan("acme", "dev", list(resources), "aws"))


def _diffs(target: Target, live: dict[str, Any]) -> list[tuple[str | None, Any, Any]]:
    return [(f.attribute, f.expected, f.actual) for f in compare(target, live)]


REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"
REDIS_LIVE = {"node_type": "cache.r7g.large", "num_nodes": 2, "at_rest_encryption": True, "transit_encryption": True,
              "tags": TAGS}  # fmt: skip


def _redis(**inputs: Any) -> PlanResource:
    base = {"replicationGroupId": "acme-dev-online", "nodeType": "cache.r7g.large", "numCacheClusters": 2.0,
            "atRestEncryptionEnabled": "true", "transitEncryptionEnabled": True}  # fmt: skip
    return _res(REDIS, "online", **{**base, **inputs})


def test_a_replication_group_is_looked_up_by_id_and_checked_field_by_field():
    (t,) = _targets(_redis())
    assert (t.kind, t.resource, t.lookup) == ("elasticache", "acme-dev-online", {"replication_group": "acme-dev-online"})
    assert [(c.attribute, c.expected) for c in t.checks] == [
        ("node_type", "cache.r7g.large"), ("num_nodes", 2),  # 2.0 in the plan, 2 live: the same
        ("at_rest_encryption", True), ("transit_encryption", True),  # "true" from the provider is a bool
        ("tags.managed-by", "mlplat"), ("tags.mlplat:environment", "dev"),
    ]  # fmt: skip
    assert _diffs(t, REDIS_LIVE) == []


@pytest.mark.parametrize(("field", "live_value"), [
    ("node_type", "cache.r7g.xlarge"), ("num_nodes", 3), ("at_rest_encryption", False), ("transit_encryption", False),
])  # fmt: skip
def test_each_replication_group_field_is_one_finding(field, live_value):
    (t,) = _targets(_redis())
    assert _diffs(t, {**REDIS_LIVE, field: live_value}) == [(field, REDIS_LIVE[field], live_value)]


@pytest.mark.parametrize("gid", ["", "<unknown>"])
def test_a_replication_group_without_a_known_id_is_not_a_target(gid):
    assert _targets(_redis(replicationGroupId=gid)) == []


CACHE = "aws:elasticache/cluster:Cluster"


def test_a_cache_cluster_is_looked_up_by_id_with_its_node_type_and_count():
    (t,) = _targets(_res(CACHE, "sessions", clusterId="acme-dev-sessions", nodeType="cache.t4g.small", numCacheNodes=2.0))
    assert (t.kind, t.resource, t.lookup) == ("elasticache", "acme-dev-sessions", {"cache_cluster": "acme-dev-sessions"})
    assert [(c.attribute, c.expected) for c in t.checks][:2] == [("node_type", "cache.t4g.small"), ("num_nodes", 2)]
    live = {"node_type": "cache.t4g.small", "num_nodes": 2, "tags": TAGS}
    assert _diffs(t, live) == []
    assert _diffs(t, {**live, "num_nodes": 1}) == [("num_nodes", 2, 1)]
    assert _diffs(t, {**live, "node_type": "cache.t4g.micro"}) == [("node_type", "cache.t4g.small", "cache.t4g.micro")]
    assert _targets(_res(CACHE, "sessions", clusterId="", nodeType="cache.t4g.small")) == []


NODEGROUP = "aws:eks/nodeGroup:NodeGroup"
GPU_TAINT = {"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}
POOL_TAINT = {"key": "pool", "value": "", "effect": "NO_EXECUTE"}


def _nodegroup(taints: list[dict[str, Any]]) -> Target:
    (t,) = _targets(_res(NODEGROUP, "gpu", nodeGroupName="acme-dev-gpu", clusterName="acme-dev", taints=taints))
    return t


def test_taints_compare_as_a_set_with_an_empty_value_as_none():
    t = _nodegroup([GPU_TAINT, POOL_TAINT])
    (check,) = [c for c in t.checks if c.attribute == "taints"]
    # sorted by key, value, effect; "" is what the plan writes for "no value", None what EKS returns
    assert check.expected == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"},
                              {"key": "pool", "value": None, "effect": "NO_EXECUTE"}]  # fmt: skip
    live = {"taints": [{"key": "pool", "effect": "NO_EXECUTE"}, dict(GPU_TAINT), "not a taint"], "tags": TAGS}
    assert _diffs(t, live) == []


@pytest.mark.parametrize(("changed", "why"), [
    ({**GPU_TAINT, "effect": "PREFER_NO_SCHEDULE"}, "effect"),
    ({**GPU_TAINT, "value": "false"}, "value"),
    ({**GPU_TAINT, "key": "nvidia.com/gpu.shared"}, "key"),
])  # fmt: skip
def test_a_taint_changed_in_any_part_is_drift(changed, why):
    t = _nodegroup([GPU_TAINT])
    found = _diffs(t, {"taints": [changed], "tags": TAGS})
    assert [a for a, _, _ in found] == ["taints"], why


def test_a_node_group_without_scaling_bounds_is_still_a_target():
    # a plan without scalingConfig.minSize/maxSize once raised KeyError inside drift (exit 3)
    t = _nodegroup([])
    assert [c.attribute for c in t.checks if c.attribute == "scaling"] == []
    (t,) = _targets(_res(NODEGROUP, "cpu", nodeGroupName="acme-dev-cpu", clusterName="acme-dev",
                         scalingConfig={"maxSize": 4.0}))  # fmt: skip
    (check,) = [c for c in t.checks if c.attribute == "scaling"]
    assert check.expected == {"max_size": 4}
    assert _diffs(t, {"scaling": {"min_size": 1, "max_size": 4, "desired_size": 3}, "tags": TAGS}) == []


def test_a_removed_or_added_taint_is_drift():
    t = _nodegroup([GPU_TAINT])
    assert [a for a, _, _ in _diffs(t, {"taints": [], "tags": TAGS})] == ["taints"]
    assert [a for a, _, _ in _diffs(t, {"taints": [GPU_TAINT, POOL_TAINT], "tags": TAGS})] == ["taints"]
