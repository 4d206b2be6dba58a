"""FeatureStore: Feast as first-party Kubernetes objects.

- registry: Feast's SQL registry in its own `feast` database on the platform Postgres (created by
  an idempotent Job); without a platform database, an in-cluster Postgres in this namespace
- online store: ElastiCache Redis (TLS + auth token) on aws, in-cluster Redis on kubernetes
  targets, or the platform Postgres (`online_store: postgres`)
- offline store: Feast's file offline store on the declared bucket (IRSA role scoped to that
  bucket on aws; MinIO keys on kubernetes targets)
- `feature_store.yaml` as a ConfigMap; credentials only as `${ENV}` references Feast expands from
  a Secret
- the feature repository (`spec.repo.git`, https) cloned into an emptyDir and applied to the
  registry (`feast apply`) by a Job the feature server waits for, and again before every
  materialization, so the registry follows the repository's branch
- feature server Deployment + Service + PodDisruptionBudget + HPA, and the materialization CronJob
  (only with a feature repository: an empty registry has nothing to materialize)

The image is upstream's `quay.io/feastdev/feature-server:<version>` (published there from 0.47.0;
`feast serve --metrics` exists from 0.41.0; the image carries git, feast[aws,postgres,redis]).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml
from mlplat.stacks.platform_spec.model import FeatureStore as FeatureStoreSpec
from mlplat.stacks.platform_spec.model import GitSource

from . import data_services, db_credentials, tenancy
from . import k8s as kx
from .common import BucketRef, CacheEndpoint, ClusterRef, Context, DatabaseEndpoint, NetworkRef

COMPONENT = "feature_store"
APP = "feast"
SERVER = "feast-feature-server"
IMAGE_REPO = "quay.io/feastdev/feature-server"
PORT = 6566
METRICS_PORT = 8000
CONFIG_MAP = "feast-config"
CREDENTIALS = "feast-credentials"  # the database's (an ExternalSecret when RDS manages the password)
CACHE_CREDENTIALS = "feast-cache-credentials"  # the online cache's auth token
SERVICE_ACCOUNT = "feast"
DATABASE = "feast"
CONFIG_DIR = "/feast"
REPO_DIR = "/repo"
APPLY_JOB = "feast-apply"

# --------------------------------------------------------------------------- pure


def feast_image(version: str) -> str:
    return kx.pinned_image(f"{IMAGE_REPO}:{version.removeprefix('v')}")


def project_name(ctx: Context) -> str:
    """A Feast project name (letters, digits, underscores): `churn-prod` → `churn_prod`."""
    return re.sub(r"[^a-zA-Z0-9_]", "_", f"{ctx.platform}_{ctx.env}")


def online_store_config(kind: str, host: str, port: int, *, tls: bool = False, database: str = DATABASE,
                        user: str | None = None, sslmode: str | None = None) -> dict[str, Any]:  # fmt: skip
    """The `online_store` section; secrets are `${ENV}` references Feast expands at start."""
    if kind == "redis":
        conn = f"{host}:{int(port)},password=${{FEAST_REDIS_PASSWORD}}"
        if tls:
            conn += ",ssl=true"
        return {"type": "redis", "redis_type": "redis", "connection_string": conn}
    cfg: dict[str, Any] = {
        "type": "postgres",
        "host": host,
        "port": int(port),
        "database": database,
        "db_schema": "feast_online",
        "user": user or "${FEAST_DB_USER}",
        "password": "${FEAST_DB_PASSWORD}",
    }
    if sslmode:
        cfg["sslmode"] = sslmode
    return cfg


def feature_store_yaml(project: str, online: dict[str, Any], offline_bucket: str | None) -> str:
    """feature_store.yaml: SQL registry (URL from the environment), online and offline stores."""
    doc: dict[str, Any] = {
        "project": project,
        "provider": "local",
        "registry": {"registry_type": "sql", "path": "${FEAST_REGISTRY_PATH}", "cache_ttl_seconds": 60},
        "online_store": online,
        "offline_store": {"type": "file"},
        "entity_key_serialization_version": 2,
    }
    text = yaml.safe_dump(doc, sort_keys=False)
    # Feast expands ${VAR} in the file text before parsing it: quote the raw password reference so a
    # password with YAML-significant characters (`#`, `:`) stays one string.
    text = text.replace("password: ${FEAST_DB_PASSWORD}", "password: '${FEAST_DB_PASSWORD}'")
    if offline_bucket:
        text = f"# offline data: s3://{offline_bucket}/ (file offline store; data sources point there)\n" + text
    return text


def materialize_command() -> list[str]:
    return ["/bin/sh", "-c", 'exec feast materialize-incremental "$(date -u +%Y-%m-%dT%H:%M:%S)"']


def clone_command(git: GitSource, dest: str = f"{REPO_DIR}/src") -> list[str]:
    """A shallow clone of the branch (argument list: the URL is never shell text)."""
    return ["git", "clone", "--depth", "1", "--single-branch", "--branch", git.branch, "--", git.repo, dest]


def apply_command(git: GitSource, src: str = f"{REPO_DIR}/src") -> list[str]:
    """`feast apply` of the cloned definitions against the platform's feature_store.yaml."""
    folder = f"{src}/{git.subpath}" if git.subpath else src
    return ["feast", "--chdir", folder, "--feature-store-yaml", f"{CONFIG_DIR}/feature_store.yaml", "apply"]


def replica_bounds(min_replicas: int) -> tuple[int, int]:
    lo = max(1, min_replicas)
    return lo, max(2, 3 * lo)


def network_access(ctx: Context, network: NetworkRef | None, local_ports: tuple[int, ...]) -> tenancy.NetworkAccess:
    cidr = ((network.vpc_cidr, (data_services.POSTGRES_PORT, data_services.REDIS_PORT)),) if ctx.aws and network is not None else ()
    return tenancy.NetworkAccess(platform_ingress_ports=(PORT, *local_ports), cidr_egress=cidr)


# --------------------------------------------------------------------------- component


@dataclass
class FeatureStoreArgs:
    ctx: Context
    spec: FeatureStoreSpec
    cluster: ClusterRef
    network: NetworkRef | None = None
    database: DatabaseEndpoint | None = None
    offline_bucket: BucketRef | None = None


class FeatureStore(pulumi.ComponentResource):
    """mlplat:index:FeatureStore — Feast registry, online/offline stores, feature server."""

    namespace: str
    endpoint: pulumi.Output[str]
    online: CacheEndpoint | DatabaseEndpoint

    def __init__(self, name: str, args: FeatureStoreArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplat:index:FeatureStore", name, None, opts)
        ctx, spec, cluster = args.ctx, args.spec, args.cluster
        ns_name = kx.namespace_name(ctx, COMPONENT)
        self.namespace = ns_name
        local_ports: tuple[int, ...] = ()
        if args.database is None:
            local_ports += (data_services.POSTGRES_PORT,)
        if spec.online_store == "redis" and not ctx.aws:
            local_ports += (data_services.REDIS_PORT,)
        ns = tenancy.namespace(
            ctx, COMPONENT, name, cluster, self, tenancy.cluster_quota(ctx),
            access=network_access(ctx, args.network, local_ports),
        )  # fmt: skip
        waits: list[pulumi.Resource] = [ns]

        # Registry: a `feast` database on the platform Postgres (or a local one).
        store: db_credentials.Store | None = None
        if args.database is not None:
            store = db_credentials.secret_store(ctx, COMPONENT, f"{name}-db-store", ns_name, args.database, cluster, self, [ns])
            db, job = data_services.database_for(
                ctx, COMPONENT, f"{name}-registry-db", args.database, DATABASE, namespace_=ns_name, cluster=cluster,
                parent=self, depends_on=[ns], store=store,
            )  # fmt: skip
            waits.append(job)
        else:
            db = data_services.incluster_postgres(
                ctx, COMPONENT, f"{name}-db", namespace_=ns_name, cluster=cluster, parent=self, database=DATABASE,
                depends_on=[ns],
            )  # fmt: skip
        sslmode = "require" if ctx.aws and args.database is not None else None
        # Database credentials (RDS-managed on aws: rendered by External Secrets); the cache's token apart.
        db_creds = {"FEAST_REGISTRY_PATH": db_credentials.url(db, driver="postgresql+psycopg", sslmode=sslmode)}
        creds: dict[str, pulumi.Input[str]] = {}
        if spec.online_store == "redis":
            if ctx.aws:
                if args.network is None:
                    raise ValueError("FeatureStore with a redis online store on aws needs the network (ElastiCache)")
                from .databases import elasticache_redis

                cache = elasticache_redis(ctx, COMPONENT, f"{name}-redis", spec.redis, args.network, cluster, self)
            else:
                cache = data_services.incluster_redis(
                    ctx, COMPONENT, f"{name}-redis", namespace_=ns_name, cluster=cluster, parent=self, depends_on=[ns]
                )
            self.online = cache
            if cache.password is not None:
                creds["FEAST_REDIS_PASSWORD"] = cache.password
            online = pulumi.Output.all(cache.host, cache.port).apply(
                lambda a: online_store_config("redis", str(a[0]), int(float(a[1])), tls=cache.tls)
            )
        else:
            self.online = db
            db_creds["FEAST_DB_USER"] = db_credentials.literal(db.username)
            db_creds["FEAST_DB_PASSWORD"] = db_credentials.password()
            online = pulumi.Output.all(db.host, db.port).apply(
                lambda a: online_store_config("postgres", str(a[0]), int(float(a[1])), database=db.database, sslmode=sslmode)
            )
        waits.append(db_credentials.credentials_secret(
            ctx, COMPONENT, f"{name}-credentials", CREDENTIALS, ns_name, db_creds, db, store, cluster, self, [ns]
        ))  # fmt: skip
        if creds:
            waits.append(kx.opaque_secret(
                ctx, COMPONENT, f"{name}-cache-credentials", CACHE_CREDENTIALS, ns_name, creds, cluster, self, depends_on=[ns]
            ))  # fmt: skip

        # Offline store + service account.
        bucket = args.offline_bucket
        offline_name = pulumi.Output.from_input(bucket.bucket) if bucket is not None else pulumi.Output.from_input("")
        config_text = pulumi.Output.all(online, offline_name).apply(
            lambda a: feature_store_yaml(project_name(ctx), a[0], str(a[1]) or None)
        )
        config = k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata=kx.wire(kx.object_meta(ctx, COMPONENT, CONFIG_MAP, ns_name, app=APP)),
            data={"feature_store.yaml": config_text},
            opts=kx.k8s_opts(cluster, self, [ns]),
        )
        waits.append(config)
        sa = kx.irsa_service_account(
            ctx, COMPONENT, f"{name}-sa", SERVICE_ACCOUNT, ns_name, [bucket] if bucket is not None else [],
            write=True, cluster=cluster, parent=self, depends_on=[ns],
        )  # fmt: skip
        waits.append(sa)
        s3_secret = None
        if bucket is not None:
            s3_secret = data_services.s3_credentials_secret(
                ctx, COMPONENT, f"{name}-s3", bucket, namespace_=ns_name, cluster=cluster, parent=self, depends_on=[ns]
            )

        env: list[kx.Obj] = [
            kx.env_value("HOME", "/tmp"),
            kx.env_value("FEAST_USAGE", "False"),
            kx.env_value("FEAST_PROJECT", project_name(ctx)),
        ]
        if ctx.aws and ctx.region:
            env.append(kx.env_value("AWS_DEFAULT_REGION", ctx.region))
        if bucket is not None:
            env.append(kx.env_value("FEAST_OFFLINE_BUCKET", pulumi.Output.concat("s3://", bucket.bucket)))
            if bucket.endpoint is not None:
                env.append(kx.env_value("FEAST_S3_ENDPOINT_URL", bucket.endpoint))
            env += data_services.s3_credentials_env(BucketRef(bucket.name, bucket.bucket, bucket.arn, bucket.endpoint), s3_secret)
        env_from: list[kx.Obj] = [{"secretRef": {"name": CREDENTIALS}}]
        if creds:
            env_from.append({"secretRef": {"name": CACHE_CREDENTIALS}})
        mounts: list[kx.Obj] = [{"name": "config", "mountPath": CONFIG_DIR, "readOnly": True}]
        volumes: list[kx.Obj] = [{"name": "config", "configMap": {"name": CONFIG_MAP}}]
        image = feast_image(spec.version)
        git = spec.repo.git if spec.repo is not None else None
        repo_volumes = [*volumes, {"name": "repo", "emptyDir": {"sizeLimit": "1Gi"}}]
        repo_mounts = [*mounts, {"name": "repo", "mountPath": REPO_DIR}]

        def repo_steps() -> list[kx.Obj]:
            """Init containers: clone the feature repository, then `feast apply` it."""
            assert git is not None
            clone = kx.secure_container(
                "clone", image, command=clone_command(git), env=[kx.env_value("HOME", "/tmp")],
                cpu="100m", memory="256Mi", cpu_limit="500m", memory_limit="512Mi",
                volume_mounts=[{"name": "repo", "mountPath": REPO_DIR}], batch=True,
            )  # fmt: skip
            apply = kx.secure_container(
                "apply", image, command=apply_command(git), env=env, env_from=env_from,
                cpu="250m", memory="512Mi", cpu_limit="1", memory_limit="2Gi", volume_mounts=repo_mounts,
                working_dir=CONFIG_DIR, batch=True,
            )  # fmt: skip
            return [clone, apply]

        if git is not None:
            # The registry gets the definitions before the server starts (Pulumi waits for the Job).
            clone, apply = repo_steps()
            apply_labels = ctx.k8s_labels(COMPONENT, APPLY_JOB)
            apply_pod = kx.pod_spec(
                [apply], service_account=SERVICE_ACCOUNT, volumes=repo_volumes, init_containers=[clone],
                restart_policy="OnFailure",
            )  # fmt: skip
            waits.append(
                k8s.batch.v1.Job(
                    f"{name}-apply",
                    metadata=kx.wire(kx.object_meta(ctx, COMPONENT, APPLY_JOB, ns_name, app=APPLY_JOB)),
                    spec=kx.wire(kx.job_spec(kx.pod_template(apply_labels, apply_pod), backoff_limit=3, active_deadline=1800)),
                    opts=kx.k8s_opts(cluster, self, list(waits)),
                )
            )

        server = kx.secure_container(
            SERVER,
            image,
            ports={"http": PORT, "metrics": METRICS_PORT},
            command=["feast", "serve", "--host", "0.0.0.0", "--port", str(PORT), "--no-access-log", "--metrics"],
            env=env,
            env_from=env_from,
            cpu="250m",
            memory="512Mi",
            cpu_limit="1",
            memory_limit="1Gi",
            liveness=kx.http_probe("/health", "http", initial_delay=30, period=20),
            readiness=kx.http_probe("/health", "http", initial_delay=10),
            volume_mounts=mounts,
            working_dir=CONFIG_DIR,
        )
        selector = kx.selector_labels(ctx, COMPONENT, SERVER)
        labels = ctx.k8s_labels(COMPONENT, SERVER)
        min_replicas = ctx.resolved.profile.min_replicas if ctx.resolved is not None else 1
        lo, hi = replica_bounds(min_replicas)
        pod = kx.pod_spec([server], service_account=SERVICE_ACCOUNT, volumes=volumes)
        deployment = k8s.apps.v1.Deployment(
            f"{name}-server",
            metadata=kx.wire(kx.object_meta(ctx, COMPONENT, SERVER, ns_name, app=SERVER)),
            spec=kx.wire(kx.deployment_spec(selector, kx.pod_template(labels, pod), lo)),
            opts=kx.k8s_opts(cluster, self, waits, autoscaled=True),
        )
        k8s.core.v1.Service(
            f"{name}-service",
            metadata=kx.wire(kx.object_meta(ctx, COMPONENT, SERVER, ns_name, app=SERVER)),
            spec=kx.wire(kx.service_spec(selector, {"http": PORT, "metrics": METRICS_PORT})),
            opts=kx.k8s_opts(cluster, self, [ns]),
        )
        k8s.policy.v1.PodDisruptionBudget(
            f"{name}-pdb",
            metadata=kx.wire(kx.object_meta(ctx, COMPONENT, SERVER, ns_name, app=SERVER)),
            spec=kx.wire(kx.pdb_spec(selector, lo)),
            opts=kx.k8s_opts(cluster, self, [ns]),
        )
        k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{name}-hpa",
            metadata=kx.wire(kx.object_meta(ctx, COMPONENT, SERVER, ns_name, app=SERVER)),
            spec=kx.wire(kx.hpa_spec("Deployment", SERVER, lo, hi)),
            opts=kx.k8s_opts(cluster, self, [deployment]),
        )

        if git is not None:
            self._materialize(name, args, ns_name, image, env, env_from, mounts, repo_volumes, repo_steps(), waits)
        self.endpoint = pulumi.Output.from_input(f"http://{kx.service_host(SERVER, ns_name)}:{PORT}")
        self.register_outputs({"endpoint": self.endpoint, "namespace": ns_name, "online_store": spec.online_store})

    def _materialize(
        self, name: str, args: FeatureStoreArgs, ns_name: str, image: str, env: list[kx.Obj], env_from: list[kx.Obj],
        mounts: list[kx.Obj], volumes: list[kx.Obj], steps: list[kx.Obj], waits: list[pulumi.Resource],
    ) -> None:  # fmt: skip
        ctx, spec, cluster = args.ctx, args.spec, args.cluster
        # Materialization: offline → online on the spec's schedule, after re-applying the
        # repository's definitions (new feature views get materialized from their first run).
        materializer = kx.secure_container(
            "materialize",
            image,
            command=materialize_command(),
            env=env,
            env_from=env_from,
            cpu="500m",
            memory="1Gi",
            cpu_limit="2",
            memory_limit="4Gi",
            volume_mounts=mounts,
            working_dir=CONFIG_DIR,
            batch=True,
        )
        job_labels = ctx.k8s_labels(COMPONENT, "feast-materialize")
        job_pod = kx.pod_spec(
            [materializer], service_account=SERVICE_ACCOUNT, volumes=volumes, init_containers=steps,
            restart_policy="OnFailure",
        )  # fmt: skip
        k8s.batch.v1.CronJob(
            f"{name}-materialize",
            metadata=kx.wire(kx.object_meta(ctx, COMPONENT, "feast-materialize", ns_name, app="feast-materialize")),
            spec=kx.wire(
                kx.cronjob_spec(
                    spec.materialize_schedule,
                    kx.job_spec(kx.pod_template(job_labels, job_pod), backoff_limit=2, active_deadline=3 * 3600),
                    labels=job_labels,
                )
            ),
            opts=kx.k8s_opts(cluster, self, waits),
        )


__all__ = [
    "FeatureStore", "FeatureStoreArgs", "apply_command", "clone_command", "feast_image", "feature_store_yaml",
    "materialize_command", "network_access", "online_store_config", "project_name", "replica_bounds",
]  # fmt: skip
