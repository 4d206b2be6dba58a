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


def test_targets_carry_their_plan_identity():
    """A finding names the plan resource (type, logical name, component) it stands for."""
    redis, cache = _targets(_redis(), _res(CACHE, "sessions", clusterId="acme-dev-sessions", nodeType="cache.t4g.small"))
    assert (redis.type, redis.logical_name, redis.urn, redis.component, redis.urns) == (
        REDIS, "online", URN.format(type=REDIS, name="online"), "feature_store", [URN.format(type=REDIS, name="online")])
    assert (cache.type, cache.logical_name, cache.component, cache.urns) == (
        CACHE, "sessions", "feature_store", [URN.format(type=CACHE, name="sessions")])
    assert _targets(_res(CACHE, "sessions", clusterId="<unknown>")) == []
    # the provider's string booleans for in-transit encryption too
    (t,) = _targets(_redis(transitEncryptionEnabled="false"))
    assert _diffs(t, REDIS_LIVE) == [("transit_encryption", False, True)]


RDS = "aws:rds/instance:Instance"
RDS_LIVE = {"instance_class": "db.t4g.medium", "multi_az": True, "deletion_protection": True, "storage_encrypted": True,
            "allocated_storage": 50, "backup_retention_period": 14, "tags": TAGS}  # fmt: skip


def _rds_db(**inputs: Any) -> Target:
    base = {"identifier": "acme-prod-tracking-db", "instanceClass": "db.t4g.medium", "multiAz": "true",
            "deletionProtection": True, "storageEncrypted": True, "allocatedStorage": 50.0,
            "backupRetentionPeriod": 14.0}  # fmt: skip
    (t,) = _targets(_res(RDS, "tracking-db", **{**base, **inputs}))
    return t


def test_an_rds_instance_is_checked_field_by_field():
    t = _rds_db()
    assert (t.kind, t.resource, t.lookup, t.type, t.component) == (
        "rds-instance", "acme-prod-tracking-db", {"identifier": "acme-prod-tracking-db"}, RDS, "feature_store")
    assert t.urns == [URN.format(type=RDS, name="tracking-db")]
    assert [(c.attribute, c.expected) for c in t.checks][:6] == [
        ("instance_class", "db.t4g.medium"), ("multi_az", True), ("deletion_protection", True),
        ("storage_encrypted", True), ("allocated_storage", 50), ("backup_retention_period", 14),
    ]  # fmt: skip
    assert _diffs(t, RDS_LIVE) == []
    for field, live_value in (("multi_az", False), ("deletion_protection", False), ("instance_class", "db.t4g.large"),
                              ("backup_retention_period", 7)):
        assert _diffs(t, {**RDS_LIVE, field: live_value}) == [(field, RDS_LIVE[field], live_value)]
    assert _targets(_res(RDS, "db", identifier="<unknown>")) == []
    # the provider's string booleans, as for multiAz
    assert _diffs(_rds_db(deletionProtection="false"), RDS_LIVE) == [("deletion_protection", False, True)]


def test_taints_sort_by_value_within_a_key():
    a, b = {"key": "k", "value": "b", "effect": "NO_SCHEDULE"}, {"key": "k", "value": "a", "effect": "NO_SCHEDULE"}
    (check,) = [c for c in _nodegroup([a, b]).checks if c.attribute == "taints"]
    assert [x["value"] for x in check.expected] == ["a", "b"]


def test_scaling_reads_only_the_planned_bounds_from_live():
    (t,) = _targets(_res(NODEGROUP, "cpu", nodeGroupName="acme-dev-cpu", clusterName="acme-dev",
                         scalingConfig={"minSize": 1.0, "maxSize": 4.0}))  # fmt: skip
    (check,) = [c for c in t.checks if c.attribute == "scaling"]
    assert check.actual({"scaling": {"min_size": 1, "max_size": 4, "desired_size": 3}}) == {"min_size": 1, "max_size": 4}
    assert check.actual({"scaling": None}) is None  # not read live: shown as it is
