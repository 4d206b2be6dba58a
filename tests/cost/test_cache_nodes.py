"""ElastiCache node counts, worked out by hand: a cluster-mode Redis group has numNodeGroups shards of
one primary plus replicasPerNodeGroup replicas; a non-cluster group numCacheClusters nodes; a
memcached/redis Cluster numCacheNodes. Each count is tested at, under and over its boundary, so a
lost `+ 1` (the primary) or a wrong default changes a figure here (issue 21)."""

from __future__ import annotations

import pytest
from mlplat.stacks.cost.estimate import estimate
from mlplat.stacks.platform_spec.resolve import load_platform

from .helpers import HOURS, plan, prices, res

USE1 = prices("aws-us-east-1.yaml")
NODE = "cache.m5.large"
# The catalogue's own figure, checked against the file's source (ElastiCache on-demand, us-east-1,
# Redis OSS, 2024-12: $0.156 per node-hour); the test reads it as data, not through mlplat.
PRICE = USE1["elasticache"][NODE]
assert PRICE == 0.156

SPEC = """\
apiVersion: mlplat.io/v1alpha1
kind: Platform
metadata: {name: acme}
target: {provider: aws, region: us-east-1}
storage:
  buckets: [{name: artifacts, purpose: artifacts}]
environments:
  dev: {}
"""
GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
CLUSTER = "aws:elasticache/cluster:Cluster"


@pytest.fixture
def resolved(write_spec):
    return load_platform(write_spec(SPEC), "dev")


def _monthly(resolved, type_: str, **inputs) -> tuple[float, str]:
    e = estimate(resolved, plan(resolved, res(type_, "cache", "feature_store", nodeType=NODE, **inputs)))
    line = e.line("cache")
    return line.monthly_usd, line.assumption


@pytest.mark.parametrize(
    ("shards", "replicas", "nodes"),
    [
        (1, 0, 1),  # one shard, no replica: the primary alone
        (1, 1, 2),  # primary + 1 replica
        (3, 0, 3),  # three primaries
        (3, 1, 6),  # 3 × (1 primary + 1 replica)
        (3, 2, 9),  # 3 × (1 primary + 2 replicas)
    ],
)
def test_cluster_mode_redis_counts_each_shards_primary(
    resolved, shards: int, replicas: int, nodes: int
) -> None:
    usd, note = _monthly(resolved, GROUP, numNodeGroups=float(shards), replicasPerNodeGroup=float(replicas))
    assert usd == pytest.approx(nodes * HOURS * 0.156)
    assert note.startswith(f"{nodes} node(s)")


def test_cluster_mode_redis_without_replica_count_is_primaries_only(resolved) -> None:
    """replicasPerNodeGroup unset: the provider's default is 0 replicas, so one node per shard."""
    usd, _ = _monthly(resolved, GROUP, numNodeGroups=2.0)
    assert usd == pytest.approx(2 * HOURS * 0.156)


@pytest.mark.parametrize("clusters", [1, 2, 3])
def test_non_cluster_redis_counts_cache_clusters(resolved, clusters: int) -> None:
    """Cluster mode off: numCacheClusters is the node count (primary included); the shard inputs absent."""
    usd, note = _monthly(resolved, GROUP, numCacheClusters=float(clusters))
    assert usd == pytest.approx(clusters * HOURS * 0.156)
    assert note.startswith(f"{clusters} node(s)")


def test_non_cluster_redis_without_count_is_one_node(resolved) -> None:
    usd, _ = _monthly(resolved, GROUP)
    assert usd == pytest.approx(1 * HOURS * 0.156)


@pytest.mark.parametrize("count", [1, 2, 3])
def test_cache_cluster_counts_cache_nodes(resolved, count: int) -> None:
    usd, note = _monthly(resolved, CLUSTER, numCacheNodes=float(count))
    assert usd == pytest.approx(count * HOURS * 0.156)
    assert note.startswith(f"{count} node(s)")


def test_node_type_comes_from_the_spec_when_the_plan_has_none(write_spec) -> None:
    """A group whose nodeType is unknown in the plan is priced at feature_store.redis.node_type."""
    spec = SPEC.replace(
        "environments:",
        "cluster:\n  node_pools: [{name: system, instance_type: m6i.large, min_size: 2, max_size: 2}]\n"
        "feature_store: {kind: feast, online_store: redis, offline_bucket: artifacts,"
        " redis: {node_type: cache.m5.large, num_nodes: 2}}\nenvironments:",
    )
    r = load_platform(write_spec(spec), "dev")
    e = estimate(r, plan(r, res(GROUP, "cache", "feature_store", numCacheClusters=2.0)))
    assert e.line("cache").monthly_usd == pytest.approx(2 * HOURS * 0.156)


def test_unknown_or_unpriced_node_type_is_named_not_zeroed(resolved) -> None:
    e = estimate(resolved, plan(resolved, res(GROUP, "nameless", "feature_store", numCacheClusters=2.0),
                                res(GROUP, "exotic", "feature_store", nodeType="cache.x99.huge")))  # fmt: skip
    nameless, exotic = e.line("nameless"), e.line("exotic")
    assert (nameless.status, nameless.monthly_usd, nameless.assumption) == (
        "unpriced",
        0.0,
        "node type unknown",
    )
    assert exotic.status == "unpriced" and exotic.monthly_usd == 0.0
    assert exotic.assumption.startswith("no ElastiCache price for cache.x99.huge in ")  # … the catalogue file
    assert "aws-us-east-1" in exotic.assumption  # names the catalogue it looked in
