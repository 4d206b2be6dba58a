"""AWS data services other components use: RDS PostgreSQL and ElastiCache Redis.

These are not components of their own: `TrackingServer` (and the feature store) call them with
`parent=self`, so the database belongs to the component that needs it. Children are named
`f"{name}-<thing>"` (the instance / replication group itself is `name`), physical names are
`{platform}-{env}-{name}`, every taggable resource carries the ownership tags, and the
data-holding resources (instance, replication group, KMS keys) are `ctx.stateful()`.

Pure functions first (tested without Pulumi), then the resource helpers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pulumi
import pulumi_aws as aws
import pulumi_random as random
from mlplat.stacks.platform_spec.model import Database, Redis

from .aws_iam import bounded_name
from .aws_kms import platform_key
from .common import CacheEndpoint, ClusterRef, Context, DatabaseEndpoint, ManagedPassword, NetworkRef, secret

POSTGRES_MAJOR = "16"
POSTGRES_PORT = 5432
REDIS_ENGINE_VERSION = "7.1"
REDIS_PARAMETER_GROUP = "default.redis7"
REDIS_PORT = 6379
ELASTICACHE_ID_MAX = 40
NO_PERFORMANCE_INSIGHTS = ("db.t2.", "db.t3.micro", "db.t3.small", "db.t4g.micro", "db.t4g.small")

# --------------------------------------------------------------------------- pure


def db_identifier_name(name: str) -> str:
    """A Postgres database name from a logical name: `tracking-db` → `tracking_db`."""
    ident = re.sub(r"[^a-z0-9_]", "_", name.lower()).strip("_") or "app"
    if not ident[0].isalpha():
        ident = f"db_{ident}"
    return ident[:63]


def supports_performance_insights(instance_class: str) -> bool:
    """Performance Insights is not available on the smallest burstable classes."""
    return not instance_class.startswith(NO_PERFORMANCE_INSIGHTS)


def postgres_family(major: str = POSTGRES_MAJOR) -> str:
    return f"postgres{major}"


def postgres_parameters() -> list[dict[str, str]]:
    """Parameters every mlplat database gets: TLS only, and slow/DDL statements logged."""
    return [
        {"name": "rds.force_ssl", "value": "1"},
        {"name": "log_min_duration_statement", "value": "1000"},
        {"name": "log_statement", "value": "ddl"},
    ]


def final_snapshot_name(ctx: Context, name: str) -> str:
    """Deterministic final snapshot identifier (letters, digits, single hyphens)."""
    return re.sub(r"-+", "-", ctx.name(f"{name}-final"))


def replication_group_id(ctx: Context, name: str) -> str:
    """ElastiCache replication group ids are at most 40 characters."""
    return bounded_name(ctx.name(name), ELASTICACHE_ID_MAX)


def redis_failover(spec: Redis) -> bool:
    """Automatic failover (and multi-AZ) needs at least one replica."""
    return spec.num_nodes > 1


def snapshot_retention_days(ctx: Context) -> int:
    return 7 if ctx.protect_stateful else 1


# --------------------------------------------------------------------------- shared pieces


def _kms_key(ctx: Context, component: str, name: str, what: str, parent: pulumi.Resource) -> aws.kms.Key:
    return platform_key(
        ctx, component, name, description=f"mlplat {what} key for {ctx.name(name)}",
        alias=f"alias/{ctx.name(name)}", parent=parent,
    )


def _security_group(
    ctx: Context,
    component: str,
    name: str,
    port: int,
    what: str,
    network: NetworkRef,
    cluster: ClusterRef | None,
    parent: pulumi.Resource,
) -> aws.ec2.SecurityGroup:
    """A security group admitting `port` from the cluster nodes (or, without a cluster, the VPC)."""
    sg = aws.ec2.SecurityGroup(
        f"{name}-sg",
        name=ctx.name(name),
        description=f"mlplat {what} {ctx.name(name)}: {port}/tcp from the cluster",
        vpc_id=network.vpc_id,
        tags=ctx.tags(component, f"{name}-sg"),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    source = cluster.node_security_group_id if cluster is not None else None
    aws.vpc.SecurityGroupIngressRule(
        f"{name}-ingress",
        security_group_id=sg.id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        referenced_security_group_id=source,
        cidr_ipv4=None if source is not None else network.vpc_cidr,
        description=f"{what} from the cluster nodes" if source is not None else f"{what} from the VPC",
        tags=ctx.tags(component, f"{name}-ingress"),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return sg


# --------------------------------------------------------------------------- RDS PostgreSQL


def rds_instance(
    ctx: Context, component: str, name: str, spec: Database, *, engine: str, engine_version: str, port: int,
    db_name: str, username: str, kms_key_arn: pulumi.Input[str],
    subnet_group: pulumi.Input[str], security_group: pulumi.Input[str], parameter_group: pulumi.Input[str],
    log_exports: list[str], parent: pulumi.Resource,
) -> aws.rds.Instance:  # fmt: skip
    """The one RDS instance shape every engine gets: private, encrypted, gp3 with autoscaled storage,
    backups and final snapshot per the environment, IAM auth, logs exported, Performance Insights
    where the class supports it.

    The master password is RDS's (`manage_master_user_password`): it lives in a Secrets Manager
    secret encrypted with the platform key and rotated by RDS, never in Pulumi state; read it
    with `managed_password` (workloads get it through `db_credentials`)."""
    pi = supports_performance_insights(spec.instance_class)
    return aws.rds.Instance(
        name,
        identifier=ctx.name(name),
        engine=engine,
        engine_version=engine_version,
        instance_class=spec.instance_class,
        allocated_storage=spec.storage_gb,
        max_allocated_storage=spec.storage_gb * 2,
        storage_type="gp3",
        storage_encrypted=True,
        kms_key_id=kms_key_arn,
        db_name=db_name,
        username=username,
        manage_master_user_password=True,
        master_user_secret_kms_key_id=kms_key_arn,
        port=port,
        db_subnet_group_name=subnet_group,
        vpc_security_group_ids=[security_group],
        parameter_group_name=parameter_group,
        publicly_accessible=False,
        multi_az=spec.multi_az,
        backup_retention_period=spec.backup_retention_days,
        deletion_protection=spec.deletion_protection,
        skip_final_snapshot=ctx.skip_final_snapshot,
        final_snapshot_identifier=final_snapshot_name(ctx, name),
        copy_tags_to_snapshot=True,
        delete_automated_backups=not ctx.protect_stateful,
        auto_minor_version_upgrade=True,
        iam_database_authentication_enabled=True,
        enabled_cloudwatch_logs_exports=log_exports,
        performance_insights_enabled=pi,
        performance_insights_kms_key_id=kms_key_arn if pi else None,
        performance_insights_retention_period=7 if pi else None,
        tags=ctx.tags(component, name),
        opts=ctx.stateful(pulumi.ResourceOptions(parent=parent)),
    )


def managed_password(instance: aws.rds.Instance, kms_key_arn: pulumi.Input[str]) -> ManagedPassword:
    """The instance's RDS-managed master password: its Secrets Manager secret (known once created)."""
    arn = instance.master_user_secrets.apply(lambda s: s[0].secret_arn if s and s[0].secret_arn else "")
    return ManagedPassword(secret_arn=arn, kms_key_arn=kms_key_arn)


def rds_database(
    ctx: Context, component: str, name: str, spec: Database, network: NetworkRef, cluster: ClusterRef | None,
    parent: pulumi.Resource, *, engine: str, engine_version: str, family: str, parameters: list[dict[str, str]],
    port: int, what: str, db_name: str, username: str, log_exports: list[str],
    kms_key_arn: pulumi.Input[str] | None = None,
) -> DatabaseEndpoint:  # fmt: skip
    """An RDS database in the private subnets with everything it stands on; returns its endpoint
    (the password RDS-managed).

    Resources (logical names): `{name}-kms` + `-kms-alias` (unless `kms_key_arn` is given),
    `{name}-subnets`, `{name}-sg` + `{name}-ingress` (`port` from the node security group, or the
    VPC CIDR without a cluster), `{name}-params` (`family` with `parameters`) and `{name}`
    (`rds_instance`, identifier `{platform}-{env}-{name}`).
    """
    child = pulumi.ResourceOptions(parent=parent)
    if kms_key_arn is None:
        kms_key_arn = _kms_key(ctx, component, name, "database", parent).arn
    subnets = aws.rds.SubnetGroup(
        f"{name}-subnets",
        name=ctx.name(name),
        description=f"mlplat database {ctx.name(name)}: private subnets",
        subnet_ids=network.private_subnet_ids,
        tags=ctx.tags(component, f"{name}-subnets"),
        opts=child,
    )
    sg = _security_group(ctx, component, name, port, what, network, cluster, parent)
    params = aws.rds.ParameterGroup(
        f"{name}-params",
        name=ctx.name(name),
        family=family,
        description=f"mlplat database {ctx.name(name)}",
        parameters=[aws.rds.ParameterGroupParameterArgs(**p) for p in parameters],
        tags=ctx.tags(component, f"{name}-params"),
        opts=child,
    )
    instance = rds_instance(
        ctx, component, name, spec, engine=engine, engine_version=engine_version, port=port,
        db_name=db_name, username=username, kms_key_arn=kms_key_arn,
        subnet_group=subnets.name, security_group=sg.id, parameter_group=params.name,
        log_exports=log_exports, parent=parent,
    )  # fmt: skip
    return DatabaseEndpoint(
        host=instance.address, port=port, username=username, password=None, database=db_name,
        managed=managed_password(instance, kms_key_arn),
    )  # fmt: skip


def rds_postgres(
    ctx: Context,
    component: str,
    name: str,
    spec: Database,
    network: NetworkRef,
    cluster: ClusterRef | None,
    parent: pulumi.Resource,
    *,
    database: str | None = None,
    username: str = "mlplat",
    kms_key_arn: pulumi.Input[str] | None = None,
) -> DatabaseEndpoint:
    """An encrypted, private RDS PostgreSQL (`rds_database`): TLS forced (rds.force_ssl=1), the
    PostgreSQL and upgrade logs exported."""
    return rds_database(
        ctx, component, name, spec, network, cluster, parent, engine="postgres", engine_version=POSTGRES_MAJOR,
        family=postgres_family(), parameters=postgres_parameters(), port=POSTGRES_PORT, what="PostgreSQL",
        db_name=database or db_identifier_name(component), username=username, log_exports=["postgresql", "upgrade"],
        kms_key_arn=kms_key_arn,
    )  # fmt: skip


# --------------------------------------------------------------------------- ElastiCache Redis


def elasticache_redis(
    ctx: Context,
    component: str,
    name: str,
    spec: Redis,
    network: NetworkRef,
    cluster: ClusterRef | None,
    parent: pulumi.Resource,
    *,
    kms_key_arn: pulumi.Input[str] | None = None,
    subnet_ids: Sequence[pulumi.Input[str]] | None = None,
) -> CacheEndpoint:
    """An ElastiCache Redis replication group, encrypted in transit (TLS + auth token) and at rest.

    Resources (logical names): `{name}` (aws.elasticache.ReplicationGroup, id
    `{platform}-{env}-{name}` bounded to 40 chars), `{name}-auth-token` (RandomPassword),
    `{name}-kms` + `-kms-alias` (unless `kms_key_arn`), `{name}-subnets`, `{name}-sg` + `{name}-ingress`.
    Automatic failover and multi-AZ when `num_nodes > 1`.
    """
    child = pulumi.ResourceOptions(parent=parent)
    if kms_key_arn is None:
        kms_key_arn = _kms_key(ctx, component, name, "cache", parent).arn

    token = random.RandomPassword(
        f"{name}-auth-token",
        length=48,
        special=False,
        opts=child,
    )
    token_secret = secret(token.result)

    subnets = aws.elasticache.SubnetGroup(
        f"{name}-subnets",
        name=ctx.name(name),
        description=f"mlplat cache {ctx.name(name)}: private subnets",
        subnet_ids=list(subnet_ids) if subnet_ids is not None else network.private_subnet_ids,
        tags=ctx.tags(component, f"{name}-subnets"),
        opts=child,
    )
    sg = _security_group(ctx, component, name, REDIS_PORT, "Redis", network, cluster, parent)

    failover = redis_failover(spec)
    group = aws.elasticache.ReplicationGroup(
        name,
        replication_group_id=replication_group_id(ctx, name),
        description=f"mlplat {component} cache {ctx.name(name)}",
        engine="redis",
        engine_version=REDIS_ENGINE_VERSION,
        parameter_group_name=REDIS_PARAMETER_GROUP,
        node_type=spec.node_type,
        num_cache_clusters=spec.num_nodes,
        port=REDIS_PORT,
        automatic_failover_enabled=failover,
        multi_az_enabled=failover,
        transit_encryption_enabled=True,
        auth_token=token_secret,
        at_rest_encryption_enabled=True,
        kms_key_id=kms_key_arn,
        subnet_group_name=subnets.name,
        security_group_ids=[sg.id],
        auto_minor_version_upgrade=True,
        snapshot_retention_limit=snapshot_retention_days(ctx),
        final_snapshot_identifier=None if ctx.skip_final_snapshot else final_snapshot_name(ctx, name),
        tags=ctx.tags(component, name),
        opts=ctx.stateful(child),
    )
    return CacheEndpoint(
        host=group.primary_endpoint_address, port=REDIS_PORT, tls=True, password=token_secret
    )


__all__ = [
    "db_identifier_name", "elasticache_redis", "final_snapshot_name", "managed_password", "postgres_family", "postgres_parameters",
    "rds_database",
    "rds_instance", "rds_postgres", "redis_failover", "replication_group_id", "snapshot_retention_days",
    "supports_performance_insights",
]  # fmt: skip
