"""In-cluster data services and their connection details: Postgres, Redis, MinIO, database URLs and S3 credentials."""


from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
from mlplat.modules.common import BucketRef, CacheEndpoint, ClusterRef, Context, DatabaseEndpoint, secret

from . import db_credentials
from .db_credentials import postgres_url
from .k8s import (
    DEFAULT_UID,
    Obj,
    env_secret,
    env_value,
    exec_probe,
    http_probe,
    job_spec,
    k8s_opts,
    namespace_name,
    object_meta,
    opaque_secret,
    pod_spec,
    pod_template,
    secure_container,
    selector_labels,
    service_host,
    service_spec,
    tcp_probe,
    wire,
)
from .tenancy import NetworkAccess, cluster_quota, namespace

# --------------------------------------------------------------------------- pinned images

POSTGRES_IMAGE = "docker.io/library/postgres:16.4"
REDIS_IMAGE = "docker.io/library/redis:7.4.1"
MINIO_IMAGE = "quay.io/minio/minio:RELEASE.2024-10-13T17-34-20Z"
MC_IMAGE = "quay.io/minio/mc:RELEASE.2024-10-08T09-37-26Z"
# High UIDs (>= 10000, never a host user): the official postgres/redis images run as an arbitrary
# user (postgres' entrypoint fakes the passwd entry); fsGroup makes the volume writable for it.
POSTGRES_UID = DEFAULT_UID
REDIS_UID = DEFAULT_UID

POSTGRES_PORT = 5432
REDIS_PORT = 6379
MINIO_PORT = 9000
MINIO_CONSOLE_PORT = 9001


def db_name_for(app: str) -> str:
    ident = re.sub(r"[^a-z0-9_]", "_", app.lower()).strip("_") or "app"
    return ident if ident[0].isalpha() else f"db_{ident}"


def create_database_script(database: str) -> str:
    """Idempotent CREATE DATABASE (psql; connection from the PG* environment)."""
    ident = db_name_for(database)
    return (
        "set -eu\n"
        f"if psql -tAc \"SELECT 1 FROM pg_database WHERE datname='{ident}'\" | grep -q 1; then\n"
        f"  echo 'database {ident} exists'\n"
        "else\n"
        f"  psql -v ON_ERROR_STOP=1 -c 'CREATE DATABASE \"{ident}\"'\n"
        "fi\n"
    )


def minio_bucket_script(alias: str, buckets: Sequence[tuple[str, bool, int | None]]) -> str:
    """mc commands creating buckets idempotently: (physical name, versioning, expire_days).

    Every value is shlex-quoted: names are validated DNS labels today, but a shell line must
    not depend on a check made elsewhere (issue 14: `x;id;#` once reached this script)."""
    q = shlex.quote
    lines = [
        "set -eu",
        f'mc alias set {q(alias)} "$MINIO_ENDPOINT" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"',
    ]
    for bucket, versioning, expire_days in buckets:
        target = q(f"{alias}/{bucket}")
        lines.append(f"mc mb --ignore-existing {target}")
        if versioning:
            lines.append(f"mc version enable {target}")
        if expire_days:
            lines.append(f"mc ilm rule add --expire-days {int(expire_days)} {target} || true")
    return "\n".join(lines) + "\n"


def generated_password(name: str, parent: pulumi.Resource, length: int = 32) -> pulumi.Output[str]:
    """A RandomPassword (alphanumeric: safe in URLs and shells) as a Pulumi secret."""
    pw = random.RandomPassword(
        name, length=length, special=False, min_lower=2, min_upper=2, min_numeric=2,
        opts=pulumi.ResourceOptions(parent=parent),
    )  # fmt: skip
    return secret(pw.result)


def database_for(
    ctx: Context,
    component: str,
    name: str,
    db: DatabaseEndpoint,
    database: str,
    *,
    namespace_: str,
    cluster: ClusterRef,
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] | None = None,
    store: db_credentials.Store | None = None,
) -> tuple[DatabaseEndpoint, k8s.batch.v1.Job]:
    """An application database on the platform Postgres server, created by an idempotent Job.

    Children: `{name}-admin` (the server credentials in `namespace_`: an ExternalSecret read
    through `store` when RDS manages the password) and `{name}` (the Job). Returns the endpoint
    for the new database and the Job (depend on it).
    """
    ident = db_name_for(database)
    admin = f"{ident.replace('_', '-')}-db-admin"
    sec = db_credentials.credentials_secret(
        ctx, component, f"{name}-admin", admin, namespace_, {"PGPASSWORD": db_credentials.password()}, db, store,
        cluster, parent, depends_on,
    )  # fmt: skip
    sslmode = "require" if ctx.aws else "prefer"
    container = secure_container(
        "create-database",
        POSTGRES_IMAGE,
        command=["/bin/sh", "-c", create_database_script(ident)],
        env=[
            env_value("PGHOST", db.host),
            env_value("PGPORT", pulumi.Output.from_input(db.port).apply(lambda p: str(int(float(p))))),
            env_value("PGUSER", db.username),
            env_value("PGDATABASE", db.database),
            env_value("PGSSLMODE", sslmode),
            env_value("PGCONNECT_TIMEOUT", "10"),
            env_secret("PGPASSWORD", admin, "PGPASSWORD"),
        ],
        cpu="50m",
        memory="64Mi",
        run_as_user=POSTGRES_UID,
        batch=True,
    )
    labels = ctx.k8s_labels(component, f"{ident.replace('_', '-')}-db-init")
    job = k8s.batch.v1.Job(
        name,
        metadata=wire(object_meta(ctx, component, f"{ident.replace('_', '-')}-db-init", namespace_, app="db-init")),
        spec=wire(job_spec(pod_template(labels, pod_spec([container], run_as_user=POSTGRES_UID, restart_policy="OnFailure")))),
        opts=k8s_opts(cluster, parent, [sec, *(depends_on or [])]),
    )
    return replace(db, database=ident, secret_name=None), job


# --------------------------------------------------------------------------- in-cluster data services


def _statefulset_spec(
    service: str, selector: Mapping[str, str], template: Obj, *, storage_gb: int, storage_class: str | None,
    labels: Mapping[str, str], data_volume: str = "data",
) -> Obj:  # fmt: skip
    pvc_spec: Obj = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": f"{storage_gb}Gi"}}}
    if storage_class:
        pvc_spec["storageClassName"] = storage_class
    return {
        "serviceName": service,
        "replicas": 1,
        "selector": {"matchLabels": dict(selector)},
        "podManagementPolicy": "OrderedReady",
        "updateStrategy": {"type": "RollingUpdate"},
        "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
        "template": template,
        "volumeClaimTemplates": [{"metadata": {"name": data_volume, "labels": dict(labels)}, "spec": pvc_spec}],
    }


def _headless_statefulset(
    ctx: Context,
    component: str,
    name: str,
    app: str,
    namespace_: str,
    port: tuple[str, int],
    spec: dict[str, Any],
    storage_gb: int,
    cluster: ClusterRef,
    parent: pulumi.Resource,
    secret: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] | None,
) -> None:
    """`{name}-service` (headless, named `app`) and `{name}-statefulset` running `spec` on a PVC.

    The StatefulSet holds data: it is protected wherever the profile protects data.
    """
    selector = selector_labels(ctx, component, app)
    labels = ctx.k8s_labels(component, app)
    svc = k8s.core.v1.Service(
        f"{name}-service",
        metadata=wire(object_meta(ctx, component, app, namespace_, app=app)),
        spec=wire(service_spec(selector, dict([port]), headless=True)),
        opts=k8s_opts(cluster, parent, depends_on),
    )
    k8s.apps.v1.StatefulSet(
        f"{name}-statefulset",
        metadata=wire(object_meta(ctx, component, app, namespace_, app=app)),
        spec=wire(
            _statefulset_spec(
                app, selector, pod_template(labels, spec), storage_gb=storage_gb, storage_class=ctx.storage_class,
                labels=labels,
            )
        ),
        opts=ctx.stateful(k8s_opts(cluster, parent, [secret, svc, *(depends_on or [])])),
    )


def incluster_postgres(
    ctx: Context,
    component: str,
    name: str,
    *,
    namespace_: str,
    cluster: ClusterRef,
    parent: pulumi.Resource,
    storage_gb: int = 20,
    database: str = "mlplat",
    username: str = "mlplat",
    depends_on: Sequence[pulumi.Resource] | None = None,
) -> DatabaseEndpoint:
    """PostgreSQL as a StatefulSet with a PVC, a headless Service and a generated password.

    Children: `{name}-password` (RandomPassword), `{name}-credentials` (Secret), `{name}-service`
    (headless Service `postgres`), `{name}-statefulset` (StatefulSet `postgres`, protected where the
    profile protects data). The host is `postgres.<namespace>.svc.cluster.local`.
    """
    app = "postgres"
    password = generated_password(f"{name}-password", parent)
    creds = f"{app}-credentials"
    db_ident = db_name_for(database)
    sec = opaque_secret(
        ctx, component, f"{name}-credentials", creds, namespace_,
        {"POSTGRES_USER": username, "POSTGRES_PASSWORD": password, "POSTGRES_DB": db_ident},
        cluster, parent, depends_on=depends_on,
    )  # fmt: skip
    ready = ["/bin/sh", "-c", 'pg_isready -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB"']
    container = secure_container(
        app,
        POSTGRES_IMAGE,
        ports={"postgres": POSTGRES_PORT},
        env=[
            env_secret("POSTGRES_USER", creds, "POSTGRES_USER"),
            env_secret("POSTGRES_PASSWORD", creds, "POSTGRES_PASSWORD"),
            env_secret("POSTGRES_DB", creds, "POSTGRES_DB"),
            env_value("PGDATA", "/var/lib/postgresql/data/pgdata"),
        ],
        cpu="250m",
        memory="512Mi",
        cpu_limit="1",
        memory_limit="1Gi",
        liveness=exec_probe(ready, initial_delay=30),
        readiness=exec_probe(ready, initial_delay=5),
        run_as_user=POSTGRES_UID,
        volume_mounts=[
            {"name": "data", "mountPath": "/var/lib/postgresql/data"},
            {"name": "run", "mountPath": "/var/run/postgresql"},
        ],
    )
    spec = pod_spec(
        [container],
        run_as_user=POSTGRES_UID,
        volumes=[{"name": "run", "emptyDir": {}}],
        termination_grace=60,
    )
    _headless_statefulset(
        ctx, component, name, app, namespace_, ("postgres", POSTGRES_PORT), spec, storage_gb,
        cluster, parent, sec, depends_on,
    )  # fmt: skip
    return DatabaseEndpoint(
        host=service_host(app, namespace_),
        port=POSTGRES_PORT,
        username=username,
        password=password,
        database=db_ident,
        secret_name=creds,
    )


def incluster_redis(
    ctx: Context,
    component: str,
    name: str,
    *,
    namespace_: str,
    cluster: ClusterRef,
    parent: pulumi.Resource,
    storage_gb: int = 5,
    depends_on: Sequence[pulumi.Resource] | None = None,
) -> CacheEndpoint:
    """Redis (password-protected, append-only file on a PVC) as a StatefulSet + headless Service.

    Children: `{name}-password`, `{name}-credentials` (Secret), `{name}-service`, `{name}-statefulset`.
    """
    app = "redis"
    password = generated_password(f"{name}-password", parent)
    creds = f"{app}-credentials"
    sec = opaque_secret(
        ctx, component, f"{name}-credentials", creds, namespace_, {"REDIS_PASSWORD": password}, cluster, parent,
        depends_on=depends_on,
    )  # fmt: skip
    ping = ["/bin/sh", "-c", 'redis-cli -a "$REDIS_PASSWORD" --no-auth-warning ping | grep -q PONG']
    container = secure_container(
        app,
        REDIS_IMAGE,
        ports={"redis": REDIS_PORT},
        command=["redis-server"],
        args=["--appendonly", "yes", "--dir", "/data", "--requirepass", "$(REDIS_PASSWORD)", "--protected-mode", "yes"],
        env=[env_secret("REDIS_PASSWORD", creds, "REDIS_PASSWORD")],
        cpu="100m",
        memory="256Mi",
        cpu_limit="500m",
        memory_limit="512Mi",
        liveness=tcp_probe("redis", initial_delay=15),
        readiness=exec_probe(ping, initial_delay=5),
        run_as_user=REDIS_UID,
        volume_mounts=[{"name": "data", "mountPath": "/data"}],
    )
    _headless_statefulset(
        ctx, component, name, app, namespace_, ("redis", REDIS_PORT), pod_spec([container], run_as_user=REDIS_UID),
        storage_gb, cluster, parent, sec, depends_on,
    )  # fmt: skip
    return CacheEndpoint(host=service_host(app, namespace_), port=REDIS_PORT, tls=False, password=password)


@dataclass
class _BucketSpecLike:
    name: str
    versioning: bool = False
    expire_days: int | None = None


def _bucket_specs(buckets: Iterable[Any]) -> list[_BucketSpecLike]:
    out = []
    for b in buckets:
        if isinstance(b, str):
            out.append(_BucketSpecLike(b))
        else:
            lc = getattr(b, "lifecycle", None)
            out.append(_BucketSpecLike(b.name, bool(getattr(b, "versioning", False)), getattr(lc, "expire_days", None)))
    return out


def minio(
    ctx: Context,
    name: str,
    buckets: Iterable[Any],
    cluster: ClusterRef,
    parent: pulumi.Resource,
    *,
    storage_gb: int = 100,
) -> dict[str, BucketRef]:
    """MinIO object storage for kubernetes targets: the declared buckets, S3-compatible.

    `buckets`: spec `Bucket`s (or names). Children: the `storage` namespace (`{name}-namespace`,
    policies), `{name}-root-user` / `{name}-root-password` (RandomPassword), `{name}-credentials`
    (Secret), `{name}-service` (ClusterIP `minio`: 9000 API, 9001 console), `{name}-headless`,
    `{name}-statefulset` (with a PVC) and `{name}-buckets` (Job creating the buckets, versioning and
    expiry). Returns spec name → BucketRef with endpoint and root credentials (secrets).
    """
    component = "storage"
    app = "minio"
    specs = _bucket_specs(buckets)
    ns_name = namespace_name(ctx, component)
    ns = namespace(
        ctx, component, name, cluster, parent, cluster_quota(ctx),
        access=NetworkAccess(platform_ingress_ports=(MINIO_PORT,), ingress_controller_ports=(MINIO_CONSOLE_PORT,),
                             internet_egress_ports=()),
    )  # fmt: skip
    user = generated_password(f"{name}-root-user", parent, length=20)
    password = generated_password(f"{name}-root-password", parent, length=40)
    creds = f"{app}-root-credentials"
    sec = opaque_secret(
        ctx, component, f"{name}-credentials", creds, ns_name,
        {"MINIO_ROOT_USER": user, "MINIO_ROOT_PASSWORD": password}, cluster, parent, depends_on=[ns],
    )  # fmt: skip
    selector = selector_labels(ctx, component, app)
    labels = ctx.k8s_labels(component, app)
    ports = {"api": MINIO_PORT, "console": MINIO_CONSOLE_PORT}
    svc = k8s.core.v1.Service(
        f"{name}-service",
        metadata=wire(object_meta(ctx, component, app, ns_name, app=app)),
        spec=wire(service_spec(selector, ports)),
        opts=k8s_opts(cluster, parent, [ns]),
    )
    headless = k8s.core.v1.Service(
        f"{name}-headless",
        metadata=wire(object_meta(ctx, component, f"{app}-headless", ns_name, app=app)),
        spec=wire(service_spec(selector, ports, headless=True)),
        opts=k8s_opts(cluster, parent, [ns]),
    )
    container = secure_container(
        app,
        MINIO_IMAGE,
        ports=ports,
        command=["minio"],
        args=["server", "/data", "--address", f":{MINIO_PORT}", "--console-address", f":{MINIO_CONSOLE_PORT}"],
        env=[
            env_secret("MINIO_ROOT_USER", creds, "MINIO_ROOT_USER"),
            env_secret("MINIO_ROOT_PASSWORD", creds, "MINIO_ROOT_PASSWORD"),
            env_value("MINIO_PROMETHEUS_AUTH_TYPE", "public"),
            env_value("HOME", "/tmp"),
        ],
        cpu="250m",
        memory="512Mi",
        cpu_limit="1",
        memory_limit="2Gi",
        liveness=http_probe("/minio/health/live", "api", initial_delay=20),
        readiness=http_probe("/minio/health/ready", "api", initial_delay=5),
        volume_mounts=[{"name": "data", "mountPath": "/data"}],
    )
    sts = k8s.apps.v1.StatefulSet(
        f"{name}-statefulset",
        metadata=wire(object_meta(ctx, component, app, ns_name, app=app)),
        spec=wire(
            _statefulset_spec(
                f"{app}-headless", selector, pod_template(labels, pod_spec([container])), storage_gb=storage_gb,
                storage_class=ctx.storage_class, labels=labels,
            )
        ),
        opts=ctx.stateful(k8s_opts(cluster, parent, [ns, sec, headless])),
    )
    endpoint = f"http://{service_host(app, ns_name)}:{MINIO_PORT}"
    job_container = secure_container(
        "create-buckets",
        MC_IMAGE,
        command=["/bin/sh", "-c", minio_bucket_script("mlplat", [(ctx.bucket_name(b.name), b.versioning, b.expire_days) for b in specs])],
        env=[
            env_value("MINIO_ENDPOINT", endpoint),
            env_value("MC_CONFIG_DIR", "/tmp/.mc"),
            env_secret("MINIO_ROOT_USER", creds, "MINIO_ROOT_USER"),
            env_secret("MINIO_ROOT_PASSWORD", creds, "MINIO_ROOT_PASSWORD"),
        ],
        cpu="50m",
        memory="64Mi",
        batch=True,
    )
    job_labels = ctx.k8s_labels(component, "minio-buckets")
    k8s.batch.v1.Job(
        f"{name}-buckets",
        metadata=wire(object_meta(ctx, component, "minio-buckets", ns_name, app="minio-buckets")),
        spec=wire(job_spec(pod_template(job_labels, pod_spec([job_container], restart_policy="OnFailure")))),
        opts=k8s_opts(cluster, parent, [sts, svc, sec]),
    )
    return {
        b.name: BucketRef(
            name=b.name,
            bucket=ctx.bucket_name(b.name),
            arn=f"arn:aws:s3:::{ctx.bucket_name(b.name)}",
            endpoint=endpoint,
            access_key=user,
            secret_key=password,
        )
        for b in specs
    }


def s3_credentials_env(bucket: BucketRef, secret_name: str | None) -> list[Obj]:
    """Env for S3 clients: the endpoint (MinIO) and keys from `secret_name` when not on IRSA."""
    env: list[Obj] = []
    if bucket.endpoint is not None:
        env += [env_value("AWS_ENDPOINT_URL", bucket.endpoint), env_value("AWS_ENDPOINT_URL_S3", bucket.endpoint)]
    if secret_name is not None:
        env += [
            env_secret("AWS_ACCESS_KEY_ID", secret_name, "AWS_ACCESS_KEY_ID"),
            env_secret("AWS_SECRET_ACCESS_KEY", secret_name, "AWS_SECRET_ACCESS_KEY"),
        ]
    return env


def s3_credentials_secret(
    ctx: Context,
    component: str,
    name: str,
    bucket: BucketRef,
    *,
    namespace_: str,
    cluster: ClusterRef,
    parent: pulumi.Resource,
    secret_name: str = "s3-credentials",
    depends_on: Sequence[pulumi.Resource] | None = None,
) -> str | None:
    """On kubernetes targets (MinIO), a Secret with the S3 keys in `namespace_`; None on IRSA."""
    if bucket.access_key is None or bucket.secret_key is None:
        return None
    data: dict[str, pulumi.Input[str]] = {
        "AWS_ACCESS_KEY_ID": bucket.access_key,
        "AWS_SECRET_ACCESS_KEY": bucket.secret_key,
    }
    if bucket.endpoint is not None:
        data["AWS_ENDPOINT_URL"] = bucket.endpoint
    opaque_secret(ctx, component, name, secret_name, namespace_, data, cluster, parent, depends_on=depends_on)
    return secret_name


__all__ = ["database_for", "generated_password", "incluster_postgres", "incluster_redis", "minio", "minio_bucket_script", "postgres_url", "s3_credentials_env", "s3_credentials_secret"]
