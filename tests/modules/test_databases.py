"""RDS PostgreSQL and ElastiCache Redis helpers under the Pulumi mock harness."""

from __future__ import annotations

import pulumi
import pytest
from mlplat.modules.common import ClusterRef, NetworkRef
from mlplat.modules.databases import elasticache_redis, rds_postgres
from mlplat.stacks.platform_spec.model import Database, Redis

from tests.modules.infra_harness import assert_ownership_tags, make_context, run


class _Owner(pulumi.ComponentResource):
    def __init__(self, type_: str, name: str) -> None:
        super().__init__(type_, name)


NETWORK = NetworkRef(vpc_id="vpc-1", vpc_cidr="10.40.0.0/16", private_subnet_ids=["s-a", "s-b"],
                     public_subnet_ids=["p-a", "p-b"])  # fmt: skip


def _cluster() -> ClusterRef:
    return ClusterRef(provider=None, name="churn-prod-cluster", node_security_group_id="sg-nodes")  # type: ignore[arg-type]


def postgres_plan(env: str, spec: Database, with_cluster: bool = True):
    ctx = make_context(env, protect=(env == "prod"))
    out = {}

    def program():
        owner = _Owner("mlplat:index:TrackingServer", "tracking")
        out["ep"] = rds_postgres(ctx, "tracking", "tracking-db", spec, NETWORK,
                                 _cluster() if with_cluster else None, owner)  # fmt: skip

    return run(program), out["ep"]


PROD_DB = Database(instance_class="db.r6g.large", storage_gb=50, multi_az=True, backup_retention_days=14,
                   deletion_protection=True)  # fmt: skip


def test_prod_postgres_multi_az_protected_encrypted():
    plan, ep = postgres_plan("prod", PROD_DB)
    db = plan.one("aws:rds/instance:Instance", "tracking-db")
    i = db.inputs
    assert i["identifier"] == "churn-prod-tracking-db"
    assert i["engine"] == "postgres" and i["engineVersion"] == "16"
    assert i["multiAz"] is True and i["deletionProtection"] is True
    assert i["backupRetentionPeriod"] == 14
    assert i["allocatedStorage"] == 50 and i["instanceClass"] == "db.r6g.large"
    assert i["storageEncrypted"] is True
    assert i["publiclyAccessible"] is False
    assert i["skipFinalSnapshot"] is False and i["finalSnapshotIdentifier"] == "churn-prod-tracking-db-final"
    assert i["copyTagsToSnapshot"] is True
    assert i["performanceInsightsEnabled"] is True
    assert db.protect is True
    key = plan.one("aws:kms/key:Key", "tracking-db-kms")
    assert key.protect is True and key.inputs["enableKeyRotation"] is True
    assert plan.one("aws:kms/alias:Alias").inputs["name"] == "alias/churn-prod-tracking-db"
    assert db.parent.endswith("::tracking")
    assert ep.database == "tracking" and ep.username == "mlplat" and ep.port == 5432


KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/0000aaaa-bbbb-cccc-dddd-eeeeffff0000"


def test_master_password_is_rds_managed_and_never_in_state():
    """Issue 13 item 6: RDS keeps the master password in Secrets Manager (encrypted with the
    platform key, rotated by RDS); Pulumi never generates or holds it."""
    ctx = make_context("prod", protect=True)
    out = {}

    def program():
        owner = _Owner("mlplat:index:TrackingServer", "tracking")
        out["ep"] = rds_postgres(ctx, "tracking", "tracking-db", PROD_DB, NETWORK, _cluster(), owner, kms_key_arn=KEY_ARN)

    plan, ep = run(program), out["ep"]
    db = plan.one("aws:rds/instance:Instance")
    assert db.inputs["manageMasterUserPassword"] is True
    assert "password" not in db.inputs and "passwordWo" not in db.inputs
    assert db.inputs["masterUserSecretKmsKeyId"] == KEY_ARN  # the platform key, not aws/secretsmanager
    assert plan.of_type("random:index/randomPassword:RandomPassword") == []
    assert ep.password is None
    assert ep.managed is not None and isinstance(ep.managed.secret_arn, pulumi.Output)
    assert ep.managed.kms_key_arn == KEY_ARN


def test_dev_postgres_disposable():
    plan, _ = postgres_plan("dev", Database(instance_class="db.t4g.micro"))
    db = plan.one("aws:rds/instance:Instance")
    assert db.protect is False
    assert db.inputs["skipFinalSnapshot"] is True
    assert db.inputs["multiAz"] is False and db.inputs["deletionProtection"] is False
    assert db.inputs["performanceInsightsEnabled"] is False  # not on db.t4g.micro


def test_postgres_network_access_and_tls():
    plan, _ = postgres_plan("prod", PROD_DB)
    rule = plan.one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert rule.inputs["fromPort"] == 5432 and rule.inputs["toPort"] == 5432
    assert rule.inputs["referencedSecurityGroupId"] == "sg-nodes"
    assert "cidrIpv4" not in rule.inputs
    subnets = plan.one("aws:rds/subnetGroup:SubnetGroup")
    assert subnets.inputs["subnetIds"] == ["s-a", "s-b"]
    params = plan.one("aws:rds/parameterGroup:ParameterGroup")
    assert params.inputs["family"] == "postgres16"
    assert {"name": "rds.force_ssl", "value": "1"} in [
        {k: v for k, v in p.items() if k in ("name", "value")} for p in params.inputs["parameters"]
    ]
    sg = plan.one("aws:ec2/securityGroup:SecurityGroup")
    assert sg.inputs["vpcId"] == "vpc-1"


def test_postgres_without_cluster_allows_the_vpc():
    plan, _ = postgres_plan("dev", Database(), with_cluster=False)
    rule = plan.one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert rule.inputs["cidrIpv4"] == "10.40.0.0/16"


def test_postgres_tags():
    plan, _ = postgres_plan("prod", PROD_DB)
    assert assert_ownership_tags(plan, "tracking") == 6  # key, subnets, sg, ingress, params, instance


def redis_plan(env: str, spec: Redis, **kw):
    ctx = make_context(env, protect=(env == "prod"))
    out = {}

    def program():
        owner = _Owner("mlplat:index:FeatureStore", "feature-store")
        out["ep"] = elasticache_redis(
            ctx, "feature_store", "feature-store-redis", spec, NETWORK, _cluster(), owner, **kw
        )

    return run(program), out["ep"]


@pytest.mark.parametrize("nodes,failover", [(1, False), (2, True), (3, True)])
def test_redis_encrypted_with_failover_per_nodes(nodes, failover):
    plan, ep = redis_plan("prod", Redis(node_type="cache.r7g.large", num_nodes=nodes))
    rg = plan.one("aws:elasticache/replicationGroup:ReplicationGroup", "feature-store-redis")
    i = rg.inputs
    assert i["transitEncryptionEnabled"] is True and i["atRestEncryptionEnabled"] is True
    assert i["kmsKeyId"] == "<unknown>"
    assert plan.one("aws:kms/key:Key").urn in rg.deps
    assert i["authToken"] == "<secret>"
    assert i["numCacheClusters"] == nodes
    assert i["automaticFailoverEnabled"] is failover and i["multiAzEnabled"] is failover
    assert i["replicationGroupId"] == "churn-prod-feature-store-redis"
    assert i["nodeType"] == "cache.r7g.large"
    assert rg.protect is True
    assert ep.tls is True and ep.port == 6379 and ep.password is not None
    rule = plan.one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert rule.inputs["fromPort"] == 6379


def test_redis_dev_and_shared_key():
    plan, _ = redis_plan("dev", Redis(), kms_key_arn="arn:aws:kms:us-east-1:1:key/k")
    assert not plan.of_type("aws:kms/key:Key")
    rg = plan.one("aws:elasticache/replicationGroup:ReplicationGroup")
    assert rg.inputs["kmsKeyId"] == "arn:aws:kms:us-east-1:1:key/k"
    assert rg.protect is False
    assert "finalSnapshotIdentifier" not in rg.inputs
    assert assert_ownership_tags(plan, "feature_store") == 4  # subnets, sg, ingress, group
