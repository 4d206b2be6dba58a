"""Drift of an ElastiCache cache cluster (`aws:elasticache/cluster:Cluster`) against moto (issue 21).

The reference specs make Redis replication groups only, so the cache-cluster target (memcached,
or a single-node Redis) had no test. A one-resource plan is built by hand, the cluster created
with boto3, and each out-of-band change must come back as exactly one finding.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from mlplat.stacks.drift.detect import detect_drift
from mlplat.stacks.drift.model import DriftReport
from mlplat.stacks.plan.model import Plan, PlanResource

from .conftest import REGION, resolved_and_plan

CLUSTER_ID = "acme-dev-sessions"
TAGS = {"managed-by": "mlplat", "mlplat:platform": "acme", "mlplat:environment": "dev",
        "mlplat:component": "feature_store", "mlplat:resource": "sessions"}  # fmt: skip
TYPE = "aws:elasticache/cluster:Cluster"


def _plan(nodes: float = 2.0) -> Plan:
    res = PlanResource(
        urn=f"urn:pulumi:acme-dev::acme::{TYPE}::sessions", type=TYPE, name="sessions", parent=None,
        component="feature_store",
        inputs={"clusterId": CLUSTER_ID, "engine": "memcached", "nodeType": "cache.t4g.small",
                "numCacheNodes": nodes, "tags": TAGS},
    )  # fmt: skip
    return Plan("acme", "dev", [res], "aws")


def _create(nodes: int = 2) -> None:
    boto3.client("elasticache", region_name=REGION).create_cache_cluster(
        CacheClusterId=CLUSTER_ID, Engine="memcached", CacheNodeType="cache.t4g.small", NumCacheNodes=nodes,
        Tags=[{"Key": k, "Value": v} for k, v in TAGS.items()],
    )  # fmt: skip


def _drift(plan: Plan) -> DriftReport:
    resolved, _ = resolved_and_plan()
    return detect_drift(resolved, plan=plan, state_path=False)


def _summary(report: DriftReport) -> list[tuple[Any, ...]]:
    return [(f.kind, f.resource, f.attribute, f.expected, f.actual) for f in report.findings]


def _backend_cluster() -> Any:
    # moto has no ModifyCacheCluster: change its record, as a console "modify" would.
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.elasticache.models import elasticache_backends

    return elasticache_backends[DEFAULT_ACCOUNT_ID][REGION].cache_clusters[CLUSTER_ID]


def test_cache_cluster_built_as_planned_is_in_sync_and_checked(aws_inprocess: str) -> None:
    _create()
    report = _drift(_plan())
    assert _summary(report) == []
    assert (report.planned, report.checked) == (1, 1)  # the cluster counts as checked, not skipped


def test_cache_cluster_node_count_changed_is_one_finding(aws_inprocess: str) -> None:
    _create()
    _backend_cluster().num_cache_nodes = 3
    assert _summary(_drift(_plan())) == [("changed", CLUSTER_ID, "num_nodes", 2, 3)]


def test_cache_cluster_node_type_changed_is_one_finding(aws_inprocess: str) -> None:
    _create()
    _backend_cluster().cache_node_type = "cache.r7g.large"
    assert _summary(_drift(_plan())) == [("changed", CLUSTER_ID, "node_type", "cache.t4g.small", "cache.r7g.large")]


def test_cache_cluster_tag_removed_is_one_finding(aws_inprocess: str) -> None:
    _create()
    ec = boto3.client("elasticache", region_name=REGION)
    arn = ec.describe_cache_clusters(CacheClusterId=CLUSTER_ID)["CacheClusters"][0]["ARN"]
    ec.remove_tags_from_resource(ResourceName=arn, TagKeys=["mlplat:component"])
    assert _summary(_drift(_plan())) == [("changed", CLUSTER_ID, "tags.mlplat:component", "feature_store", None)]


@pytest.mark.parametrize("planned", [1.0, 3.0])
def test_cache_cluster_planned_count_differs_from_live(aws_inprocess: str, planned: float) -> None:
    """Just under and just over the live count of 2: each is drift, the live value reported."""
    _create(2)
    assert _summary(_drift(_plan(planned))) == [("changed", CLUSTER_ID, "num_nodes", int(planned), 2)]


def test_cache_cluster_deleted_is_missing_once(aws_inprocess: str) -> None:
    report = _drift(_plan())
    assert _summary(report) == [("missing", CLUSTER_ID, None, None, None)]
