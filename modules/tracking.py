"""TrackingServer: MLflow as first-party Kubernetes objects, with its Postgres backend store.

- namespace `{platform}-{env}-tracking` (restricted pod security, default-deny NetworkPolicies)
- the backend database: RDS PostgreSQL on aws (`databases.rds_postgres`), an in-cluster
  StatefulSet on kubernetes targets (`k8s.incluster_postgres`); the connection URI lives in a
  Kubernetes Secret built from the endpoint outputs (a Pulumi secret end to end)
- ServiceAccount `mlflow` (on aws: an IRSA role limited to the artifact bucket: List/Get/Put)
- Deployment `mlflow` (image pinned from `spec.version`), Service, PodDisruptionBudget, HPA
  (min = replicas, max = 2 × replicas)

Why these server flags (evidence in tests/upstream/mlflow/ and tests/upstream/cli/mlflow/):
- the image is upstream's `-full` variant (`pip install mlflow[extras,db,auth,…]`): the plain
  `ghcr.io/mlflow/mlflow:vX` image has no psycopg2 (the backend is `postgresql://`), no boto3
  (artifacts on S3) and no prometheus-flask-exporter (`--expose-prometheus`). `-full` is
  published from MLflow 3.9.0 on, so validate refuses older versions.
- artifacts are proxied (`--serve-artifacts --artifacts-destination s3://…`): clients without
  cloud credentials (Airflow workers, KFP steps, notebooks) log models through the server.
- MLflow 3 rejects requests whose Host header is not allowed (403): `--allowed-hosts` lists the
  Service's DNS names and the private pod-IP ranges Prometheus scrapes on.
- basic auth: `basic_auth.ini` is read by ConfigParser, which interpolates `%`, so every value is
  escaped (`%` → `%%`); `MLFLOW_FLASK_SERVER_SECRET_KEY` (required by the auth app) comes from a
  generated Secret shared by all replicas; Prometheus authenticates with a Secret in this
  namespace (`/metrics` is protected when auth is on).

The platform's other services (Airflow, Feast) share this Postgres server, each with its own
database: `.database` is the server endpoint they receive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from mlplat.stacks.platform_spec.model import Tracking

from . import data_services, db_credentials, tenancy
from . import k8s as kx
from .common import BucketRef, ClusterRef, Context, DatabaseEndpoint, NetworkRef

COMPONENT = "tracking"
APP = "mlflow"
PORT = 5000
IMAGE_REPO = "ghcr.io/mlflow/mlflow"
DATABASE = "mlflow"
AUTH_DATABASE = "mlflow_auth"
BACKEND_SECRET = "mlflow-backend-store"
BACKEND_KEY = "MLFLOW_BACKEND_STORE_URI"
AUTH_SECRET = "mlflow-auth"
AUTH_CONFIG_PATH = "/etc/mlflow-auth/basic_auth.ini"
DEFAULT_VERSION = "3.18.0"  # newest on PyPI on 2026-12-02 (tests/upstream/mlflow/)
FLASK_SECRET = "mlflow-flask-secret"
FLASK_SECRET_KEY = "MLFLOW_FLASK_SERVER_SECRET_KEY"
METRICS_AUTH_SECRET = "mlflow-metrics-auth"
ADMIN_USERNAME = "admin"
# The first release that publishes the `-full` image (upstream docker/README.md).
FULL_IMAGE_SINCE = (3, 9, 0)
# RFC 1918 private ranges: pod IPs Prometheus uses as the Host header when scraping.
POD_IP_HOSTS = ("10.*", *(f"172.{i}.*" for i in range(16, 32)), "192.168.*")

# --------------------------------------------------------------------------- pure


def mlflow_image(version: str | None) -> str:
    """The pinned MLflow image for `version` (`3.18.0` → `ghcr.io/mlflow/mlflow:v3.18.0-full`; None: the default)."""
    v = (version or DEFAULT_VERSION).strip().removeprefix("v")
    parts = v.split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"tracking.version must be a pinned MLflow version like 3.18.0, got {version!r}")
    if tuple(int(p) for p in parts) < FULL_IMAGE_SINCE:
        raise ValueError(f"tracking.version {version!r}: the -full image exists from MLflow 3.9.0 on")
    return kx.pinned_image(f"{IMAGE_REPO}:v{v}-full")


def artifact_root(bucket: str) -> str:
    return f"s3://{bucket}/mlflow"


def allowed_hosts(namespace: str) -> list[str]:
    """Host headers MLflow 3 accepts: the Service's DNS names (with and without the port) and pod IPs."""
    names = [APP, f"{APP}.{namespace}", f"{APP}.{namespace}.svc", kx.service_host(APP, namespace)]
    return [h for n in names for h in (n, f"{n}:{PORT}")] + ["localhost", f"localhost:{PORT}", *POD_IP_HOSTS]


def hpa_bounds(replicas: int) -> tuple[int, int]:
    """(min, max) replicas for the HPA: the declared replicas, up to twice as many."""
    return replicas, 2 * replicas


def server_args(artifacts_destination: Any, auth: bool, hosts: Sequence[str], workers: int = 2) -> list[Any]:
    """`mlflow server` arguments: proxied artifacts, Prometheus metrics, the Host allow-list."""
    args: list[Any] = [
        "server",
        "--host", "0.0.0.0",
        "--port", str(PORT),
        "--backend-store-uri", f"$({BACKEND_KEY})",
        "--serve-artifacts",
        "--artifacts-destination", artifacts_destination,
        "--workers", str(workers),
        "--expose-prometheus", "/tmp/prometheus",
        "--allowed-hosts", ",".join(hosts),
    ]  # fmt: skip
    if auth:
        args += ["--app-name", "basic-auth"]
    return args


def _ini_value(value: str) -> str:
    # MLflow reads the file with configparser.ConfigParser (BasicInterpolation): a bare `%` (a
    # percent-encoded password in the database URI) raises InterpolationSyntaxError at start.
    if "\n" in value or "\r" in value:
        raise ValueError("basic-auth config values must be single-line")
    return value.replace("%", "%%")


def basic_auth_ini(database_uri: str, admin_password: str, admin_username: str = ADMIN_USERNAME) -> str:
    """MLflow's basic-auth config (users live in their own database on the platform server)."""
    return (
        "[mlflow]\n"
        "default_permission = READ\n"
        f"database_uri = {_ini_value(database_uri)}\n"
        f"admin_username = {_ini_value(admin_username)}\n"
        f"admin_password = {_ini_value(admin_password)}\n"
    )


def tracking_uri(namespace: str) -> str:
    return f"http://{kx.service_host(APP, namespace)}:{PORT}"


def network_access(ctx: Context, network: NetworkRef | None, incluster_db: bool) -> tenancy.NetworkAccess:
    platform_ports = (PORT, data_services.POSTGRES_PORT) if incluster_db else (PORT,)
    cidr = ((network.vpc_cidr, (data_services.POSTGRES_PORT,)),) if ctx.aws and network is not None else ()
    return tenancy.NetworkAccess(platform_ingress_ports=platform_ports, ingress_controller_ports=(PORT,), cidr_egress=cidr)


# --------------------------------------------------------------------------- component


@dataclass
class TrackingServerArgs:
    ctx: Context
    spec: Tracking
    cluster: ClusterRef
    artifact_bucket: BucketRef
    network: NetworkRef | None = None


class TrackingServer(pulumi.ComponentResource):
    """mlplat:index:TrackingServer — MLflow with a Postgres backend and an S3 artifact store."""

    uri: pulumi.Output[str]
    database: DatabaseEndpoint
    namespace: str

    def __init__(self, name: str, args: TrackingServerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplat:index:TrackingServer", name, None, opts)
        ctx, spec, cluster, bucket = args.ctx, args.spec, args.cluster, args.artifact_bucket
        ns_name = kx.namespace_name(ctx, COMPONENT)
        self.namespace = ns_name
        ns = tenancy.namespace(
            ctx, COMPONENT, name, cluster, self, tenancy.cluster_quota(ctx),
            access=network_access(ctx, args.network, incluster_db=not ctx.aws),
        )  # fmt: skip
        after_ns = [ns]

        # The backend store: the platform's Postgres server.
        if ctx.aws:
            if args.network is None:
                raise ValueError("TrackingServer on aws needs the network (RDS lives in its private subnets)")
            from .databases import rds_postgres

            self.database = rds_postgres(
                ctx, COMPONENT, f"{name}-db", spec.database, args.network, cluster, self, database=DATABASE
            )
        else:
            self.database = data_services.incluster_postgres(
                ctx, COMPONENT, f"{name}-db", namespace_=ns_name, cluster=cluster, parent=self,
                storage_gb=spec.database.storage_gb, database=DATABASE, depends_on=after_ns,
            )  # fmt: skip
        sslmode = "require" if ctx.aws else None
        self._store = db_credentials.secret_store(
            ctx, COMPONENT, f"{name}-db-store", ns_name, self.database, cluster, self, after_ns
        )
        backend = db_credentials.credentials_secret(
            ctx, COMPONENT, f"{name}-backend-store", BACKEND_SECRET, ns_name,
            {BACKEND_KEY: db_credentials.url(self.database, DATABASE, sslmode=sslmode)}, self.database, self._store,
            cluster, self, after_ns,
        )  # fmt: skip
        waits: list[pulumi.Resource] = [ns, backend]

        # Object storage: IRSA on aws, MinIO keys on kubernetes targets.
        sa = kx.irsa_service_account(
            ctx, COMPONENT, f"{name}-sa", APP, ns_name, [bucket], write=True, cluster=cluster, parent=self,
            depends_on=after_ns,
        )  # fmt: skip
        s3_secret = data_services.s3_credentials_secret(
            ctx, COMPONENT, f"{name}-s3", bucket, namespace_=ns_name, cluster=cluster, parent=self, depends_on=after_ns
        )
        waits.append(sa)

        env: list[kx.Obj] = [
            kx.env_secret(BACKEND_KEY, BACKEND_SECRET, BACKEND_KEY),
            kx.env_value("HOME", "/tmp"),
            kx.env_value("PROMETHEUS_MULTIPROC_DIR", "/tmp/prometheus"),
        ]
        if ctx.aws and ctx.region:
            env.append(kx.env_value("AWS_DEFAULT_REGION", ctx.region))
        if bucket.endpoint is not None:
            env.append(kx.env_value("MLFLOW_S3_ENDPOINT_URL", bucket.endpoint))
        env += data_services.s3_credentials_env(BucketRef(bucket.name, bucket.bucket, bucket.arn), s3_secret)

        volumes: list[kx.Obj] = []
        mounts: list[kx.Obj] = []
        auth = spec.auth is not None and spec.auth.kind == "basic"
        if auth:
            waits += self._basic_auth(name, args, ns_name, after_ns, sslmode)
            env.append(kx.env_value("MLFLOW_AUTH_CONFIG_PATH", AUTH_CONFIG_PATH))
            env.append(kx.env_secret(FLASK_SECRET_KEY, FLASK_SECRET, FLASK_SECRET_KEY))
            volumes.append({"name": "auth", "secret": {"secretName": AUTH_SECRET, "defaultMode": 0o440}})
            mounts.append({"name": "auth", "mountPath": "/etc/mlflow-auth", "readOnly": True})

        root = pulumi.Output.from_input(bucket.bucket).apply(artifact_root)
        container = kx.secure_container(
            APP,
            mlflow_image(spec.version),
            ports={"http": PORT},
            command=["mlflow"],
            args=server_args(root, auth, allowed_hosts(ns_name)),
            env=env,
            cpu="250m",
            memory="1Gi",
            cpu_limit="1",
            memory_limit="2Gi",
            liveness=kx.http_probe("/health", "http", initial_delay=30, period=20),
            readiness=kx.http_probe("/health", "http", initial_delay=10),
            volume_mounts=mounts,
        )
        selector = kx.selector_labels(ctx, COMPONENT, APP)
        labels = ctx.k8s_labels(COMPONENT, APP)
        pod = kx.pod_spec([container], service_account=APP, volumes=volumes)
        if spec.replicas > 1:
            pod["topologySpreadConstraints"] = [
                {
                    "maxSkew": 1,
                    "topologyKey": "kubernetes.io/hostname",
                    "whenUnsatisfiable": "ScheduleAnyway",
                    "labelSelector": {"matchLabels": selector},
                }
            ]
        deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=kx.wire(kx.object_meta(ctx, COMPONENT, APP, ns_name, app=APP)),
            spec=kx.wire(kx.deployment_spec(selector, kx.pod_template(labels, pod), spec.replicas)),
            opts=kx.k8s_opts(cluster, self, waits, autoscaled=True),
        )
        k8s.core.v1.Service(
            f"{name}-service",
            metadata=kx.wire(kx.object_meta(ctx, COMPONENT, APP, ns_name, app=APP)),
            spec=kx.wire(kx.service_spec(selector, {"http": PORT})),
            opts=kx.k8s_opts(cluster, self, after_ns),
        )
        k8s.policy.v1.PodDisruptionBudget(
            f"{name}-pdb",
            metadata=kx.wire(kx.object_meta(ctx, COMPONENT, APP, ns_name, app=APP)),
            spec=kx.wire(kx.pdb_spec(selector, spec.replicas)),
            opts=kx.k8s_opts(cluster, self, after_ns),
        )
        lo, hi = hpa_bounds(spec.replicas)
        k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{name}-hpa",
            metadata=kx.wire(kx.object_meta(ctx, COMPONENT, APP, ns_name, app=APP)),
            spec=kx.wire(kx.hpa_spec("Deployment", APP, lo, hi)),
            opts=kx.k8s_opts(cluster, self, [deployment]),
        )

        self.uri = pulumi.Output.from_input(tracking_uri(ns_name))
        self.register_outputs({"uri": self.uri, "namespace": ns_name})

    def _basic_auth(
        self, name: str, args: TrackingServerArgs, ns_name: str, after_ns: Sequence[pulumi.Resource], sslmode: str | None
    ) -> list[pulumi.Resource]:
        """The basic-auth config Secret (users in their own database, admin password from the spec
        ref), the Flask secret key every replica shares, and Prometheus' scrape credentials."""
        ctx, cluster, auth = args.ctx, args.cluster, args.spec.auth
        assert auth is not None
        auth_db, job = data_services.database_for(
            ctx, COMPONENT, f"{name}-auth-db", self.database, AUTH_DATABASE, namespace_=ns_name, cluster=cluster,
            parent=self, depends_on=after_ns, store=self._store,
        )  # fmt: skip
        ref = auth.admin_password
        if ref is not None and getattr(ref, "secret_ref", None):
            raise ValueError(
                "tracking.auth.admin_password: secret_ref is not supported for MLflow basic auth yet "
                "(the password is rendered into MLflow's auth config); use {from_env: VAR} or leave it "
                "unset to generate one"
            )
        if ref is not None and ref.from_env:
            import os

            password: pulumi.Output[str] = pulumi.Output.secret(os.environ.get(ref.from_env, ""))
        else:
            password = data_services.generated_password(f"{name}-admin-password", self)
        ini = pulumi.Output.all(db_credentials.url(auth_db, sslmode=sslmode).text, password).apply(
            lambda a: basic_auth_ini(str(a[0]), str(a[1]))
        )
        config = db_credentials.credentials_secret(
            ctx, COMPONENT, f"{name}-auth", AUTH_SECRET, ns_name,
            {"basic_auth.ini": db_credentials.Credential(ini, "url-ini", secret_text=True)}, auth_db, self._store,
            cluster, self, [*after_ns, job],
        )  # fmt: skip
        flask = kx.opaque_secret(
            ctx, COMPONENT, f"{name}-flask-secret", FLASK_SECRET, ns_name,
            {FLASK_SECRET_KEY: data_services.generated_password(f"{name}-flask-secret-key", self, length=48)},
            cluster, self, depends_on=after_ns,
        )  # fmt: skip
        # The ServiceMonitor that scrapes /metrics lives in this namespace and reads this Secret
        # (prometheus-operator only resolves basicAuth Secrets in the monitor's own namespace).
        metrics = kx.opaque_secret(
            ctx, COMPONENT, f"{name}-metrics-auth", METRICS_AUTH_SECRET, ns_name,
            {"username": ADMIN_USERNAME, "password": password}, cluster, self, depends_on=after_ns,
        )  # fmt: skip
        return [config, flask, metrics]


__all__ = [
    "TrackingServer", "TrackingServerArgs", "allowed_hosts", "artifact_root", "basic_auth_ini", "hpa_bounds", "mlflow_image",
    "network_access", "server_args", "tracking_uri",
]  # fmt: skip
