from mlplat.modules.common import Context
from mlplat.modules.databases import (
    db_identifier_name,
    final_snapshot_name,
    postgres_parameters,
    redis_failover,
    replication_group_id,
    snapshot_retention_days,
    supports_performance_insights,
)
from mlplat.stacks.platform_spec.model import Redis


def ctx(env="prod", protect=True):
    return Context("churn", env, "aws", "us-east-1", {}, protect, not protect, not protect, 30)


def test_db_identifier_name():
    assert db_identifier_name("tracking") == "tracking"
    assert db_identifier_name("feature_store") == "feature_store"
    assert db_identifier_name("tracking-db") == "tracking_db"
    assert db_identifier_name("1x") == "db_1x"


def test_performance_insights_support():
    assert supports_performance_insights("db.t4g.medium")
    assert supports_performance_insights("db.r6g.large")
    assert not supports_performance_insights("db.t4g.micro")
    assert not supports_performance_insights("db.t3.small")


def test_force_ssl_parameter():
    assert {"name": "rds.force_ssl", "value": "1"} in postgres_parameters()


def test_names_deterministic_and_bounded():
    assert final_snapshot_name(ctx(), "tracking-db") == "churn-prod-tracking-db-final"
    long = replication_group_id(ctx(), "feature-store-online-redis-cache")
    assert len(long) <= 40 and long == replication_group_id(ctx(), "feature-store-online-redis-cache")
    assert replication_group_id(ctx(), "fs-redis") == "churn-prod-fs-redis"


def test_failover_and_retention():
    assert not redis_failover(Redis(num_nodes=1))
    assert redis_failover(Redis(num_nodes=2))
    assert snapshot_retention_days(ctx()) == 7
    assert snapshot_retention_days(ctx("dev", False)) == 1
