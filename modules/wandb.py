"""Weights & Biases as the tracking choice (`tracking.kind: wandb`).

- `mode: saas`: nothing is deployed. Workloads that log runs (orchestrator workers, pipeline
  steps) get `WANDB_BASE_URL` and `WANDB_API_KEY`, the key from a Kubernetes Secret fed by the
  spec's secret reference (`k8s.secret_from_ref`), never a literal.
- `mode: self-managed`: W&B Server from the official chart `operator-wandb` (pinned below; its
  values key tree is kept under tests/upstream/charts/operator-wandb/<version>/), with MySQL (RDS
  MySQL in the private subnets under the platform key on aws; an in-cluster StatefulSet on
  kubernetes targets), the artifact bucket, and the license Secret from the secret reference.

The orchestrator calls `wire_airflow`, `endpoint_data` and `api_key_secret`, which do nothing
unless the platform tracks with W&B.
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
CHART = "operator-wandb"
CHART_VERSION = "0.43.8"  # wandb/helm-charts tag operator-wandb-0.43.8 (2026-07-23)
CHART_REPO = "https://charts.wandb.ai"
RELEASE = "wandb"
APP_PORT = 8080
API_KEY_SECRET = "wandb-api-key"
API_KEY_KEY = "WANDB_API_KEY"
LICENSE_SECRET = "wandb-license"
LICENSE_KEY = "license"
MYSQL_SECRET = "wandb-mysql"
MYSQL_PASSWORD_KEY = "MYSQL_PASSWORD"
MYSQL_ROOT_PASSWORD_KEY = "MYSQL_ROOT_PASSWORD"
MYSQL_PORT = 3306
MYSQL_DATABASE = "wandb_local"
MYSQL_USER = "wandb"
MYSQL_ENGINE_VERSION = "8.0"
MYSQL_IMAGE = "docker.io/library/mysql:8.0.40"
MYSQL_UID = 999  # the mysql user of the official image

# --------------------------------------------------------------------------- pure


def wandb_spec(ctx: Context) -> Tracking | None:
    """The tracking section when it is W&B, else None."""
    spec = ctx.resolved.spec if ctx.resolved is not None else None
    t = spec.tracking if spec is not None else None
    return t if t is not None and t.kind == "wandb" else None


def in_cluster_url(namespace: str) -> str:
    """The W&B app service of the chart release (`<release>-app`, port 8080)."""
    return f"http://{kx.service_host(f'{RELEASE}-app', namespace)}:{APP_PORT}"


def base_url(ctx: Context) -> str | None:
    """Where workloads log runs: `tracking.base_url`, else the self-managed server in the cluster."""
    t = wandb_spec(ctx)
    if t is None:
        return None
    return t.base_url or in_cluster_url(kx.namespace_name(ctx, COMPONENT))


def workload_env(url: str, secret_name: str | None, key: str = API_KEY_KEY) -> list[dict[str, Any]]:
    """Env entries for a pod that logs runs: the URL as a value, the key only by Secret reference."""
    env: list[dict[str, Any]] = [kx.env_value("WANDB_BASE_URL", url)]
    if secret_name is not None:
        env.append(kx.env_secret("WANDB_API_KEY", secret_name, key))
    return env


def airflow_patch(url: str, secret_name: str | None, key: str = API_KEY_KEY) -> dict[str, list[dict[str, str]]]:
    """The Airflow chart's `env` (plain values) and `secret` (envName/secretName/secretKey) entries."""
    patch: dict[str, list[dict[str, str]]] = {"env": [{"name": "WANDB_BASE_URL", "value": url}], "secret": []}
    if secret_name is not None:
        patch["secret"].append({"envName": "WANDB_API_KEY", "secretName": secret_name, "secretKey": key})
    return patch


def chart_values(
    ctx: Context,
    host: str,
    *,
    bucket: Any,
    bucket_region: str | None,
    kms_key: Any,
    s3_secret: str | None,
    mysql_host: Any,
    license_secret: tuple[str, str],
) -> dict[str, Any]:
    """Values for operator-wandb: external MySQL and bucket, license and password only by Secret name."""
    bucket_values: dict[str, Any] = {"provider": "s3", "name": bucket, "region": bucket_region or "", "kmsKey": kms_key or ""}
    if s3_secret is not None:
        bucket_values["secret"] = {
            "secretName": s3_secret, "accessKeyName": "AWS_ACCESS_KEY_ID", "secretKeyName": "AWS_SECRET_ACCESS_KEY",
        }  # fmt: skip
    return {
        "global": {
            "host": host,
            "licenseSecret": {"name": license_secret[0], "key": license_secret[1]},
            "bucket": bucket_values,
            "mysql": {
                "host": mysql_host,
                "port": MYSQL_PORT,
                "database": MYSQL_DATABASE,
                "user": MYSQL_USER,
                "passwordSecret": {
                    "name": MYSQL_SECRET, "passwordKey": MYSQL_PASSWORD_KEY, "rootPasswordKey": MYSQL_ROOT_PASSWORD_KEY,
                },
            },
            "common": {"labels": ctx.k8s_labels(COMPONENT, RELEASE)},
        },
        # MySQL is ours (RDS or the StatefulSet below); the chart's bundled one stays off.
        "mysql": {"install": False},
    }


def mysql_parameters() -> list[dict[str, str]]:
    """RDS MySQL parameters: TLS only; row-based binlog as W&B Server's MySQL guide asks."""
    return [
        {"name": "require_secure_transport", "value": "1"},
        {"name": "binlog_format", "value": "ROW"},
    ]


# --------------------------------------------------------------------------- secrets for workloads


def api_key_secret(
    ctx: Context, name: str, namespace_: str, cluster: ClusterRef, parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] | None = None,
) -> str | None:  # fmt: skip
    """The API-key Secret in `namespace_` (from the spec's reference); its name, or None."""
    t = wandb_spec(ctx)
    if t is None or t.api_key is None:
        return None
    secret_name, _ = kx.secret_from_ref(
        ctx, "orchestrator", f"{name}-wandb-api-key", t.api_key, secret_name=API_KEY_SECRET, key=API_KEY_KEY,
        namespace_=namespace_, cluster=cluster, parent=parent, depends_on=depends_on,
    )  # fmt: skip
    return secret_name


def endpoint_data(ctx: Context) -> dict[str, str]:
    """Keys for the platform-endpoints ConfigMap: where W&B lives and which Secret holds the key."""
    url = base_url(ctx)
    if url is None:
        return {}
    t = wandb_spec(ctx)
    data = {"WANDB_BASE_URL": url}
    if t is not None and t.api_key is not None:
        data["WANDB_API_KEY_SECRET"] = API_KEY_SECRET
    return data


def wire_airflow(
    values: dict[str, Any], ctx: Context, name: str, namespace_: str, cluster: ClusterRef, parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] | None = None,
) -> None:  # fmt: skip
    """Add W&B's URL and API key to Airflow's values (every Airflow container, workers included)."""
    url = base_url(ctx)
    if url is None:
        return
    secret_name = api_key_secret(ctx, name, namespace_, cluster, parent, depends_on)
    patch = airflow_patch(url, secret_name)
    values["env"] = [*values.get("env", []), *patch["env"]]
    values["secret"] = [*values.get("secret", []), *patch["secret"]]


# --------------------------------------------------------------------------- MySQL


def _rds_mysql(
    ctx: Context, name: str, spec: Tracking, network: NetworkRef, cluster: ClusterRef, parent: pulumi.Resource,
    kms_key_arn: pulumi.Input[str] | None,
) -> DatabaseEndpoint:  # fmt: skip
    """RDS MySQL in the private subnets, encrypted with the platform key, its master password
    RDS-managed (Secrets Manager, rotated); returns its endpoint."""
    from . import databases

    return databases.rds_database(
        ctx, COMPONENT, name, spec.database, network, cluster, parent, engine="mysql",
        engine_version=MYSQL_ENGINE_VERSION, family=f"mysql{MYSQL_ENGINE_VERSION}", parameters=mysql_parameters(),
        port=MYSQL_PORT, what="MySQL", db_name=MYSQL_DATABASE, username=MYSQL_USER,
        log_exports=["error", "slowquery"], kms_key_arn=kms_key_arn,
    )  # fmt: skip


def _incluster_mysql(
    ctx: Context, name: str, spec: Tracking, namespace_: str, cluster: ClusterRef, parent: pulumi.Resource,
    creds: pulumi.Resource, depends_on: Sequence[pulumi.Resource],
) -> str:  # fmt: skip
    """MySQL as a StatefulSet on a PVC (headless Service `mysql`); returns its host."""
    app = "mysql"
    ready = ["/bin/sh", "-c", 'mysqladmin ping -h 127.0.0.1 -u root -p"$MYSQL_ROOT_PASSWORD" --silent']
    container = kx.secure_container(
        app,
        MYSQL_IMAGE,
        ports={"mysql": MYSQL_PORT},
        env=[
            kx.env_secret("MYSQL_ROOT_PASSWORD", MYSQL_SECRET, MYSQL_ROOT_PASSWORD_KEY),
            kx.env_secret("MYSQL_PASSWORD", MYSQL_SECRET, MYSQL_PASSWORD_KEY),
            kx.env_value("MYSQL_USER", MYSQL_USER),
            kx.env_value("MYSQL_DATABASE", MYSQL_DATABASE),
        ],
        cpu="250m", memory="1Gi", cpu_limit="1", memory_limit="2Gi",
        liveness=kx.exec_probe(ready, initial_delay=60, period=20),
        readiness=kx.exec_probe(ready, initial_delay=10),
        run_as_user=MYSQL_UID,
        volume_mounts=[{"name": "data", "mountPath": "/var/lib/mysql"}, {"name": "run", "mountPath": "/var/run/mysqld"}],
    )  # fmt: skip
    pod = kx.pod_spec(
        [container], run_as_user=MYSQL_UID, fs_group=MYSQL_UID, volumes=[{"name": "run", "emptyDir": {}}],
        termination_grace=60,
    )  # fmt: skip
    data_services._headless_statefulset(
        ctx, COMPONENT, name, app, namespace_, ("mysql", MYSQL_PORT), pod, spec.database.storage_gb,
        cluster, parent, creds, depends_on,
    )  # fmt: skip
    return kx.service_host(app, namespace_)


# --------------------------------------------------------------------------- component


@dataclass
class WandbServerArgs:
    ctx: Context
    spec: Tracking
    cluster: ClusterRef
    artifact_bucket: BucketRef
    network: NetworkRef | None = None


class WandbServer(pulumi.ComponentResource):
    """mlplat:index:WandbServer — self-managed W&B Server (chart operator-wandb) with MySQL."""

    uri: str
    namespace: str

    def __init__(self, name: str, args: WandbServerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplat:index:WandbServer", name, None, opts)
        ctx, spec, cluster, bucket = args.ctx, args.spec, args.cluster, args.artifact_bucket
        if spec.license is None:
            raise ValueError("tracking.license is required for wandb mode self-managed")
        ns_name = kx.namespace_name(ctx, COMPONENT)
        self.namespace = ns_name
        cidr = ((args.network.vpc_cidr, (MYSQL_PORT,)),) if ctx.aws and args.network is not None else ()
        # The chart's pods are not all restricted-ready: baseline enforced, restricted warned.
        ns = tenancy.namespace(
            ctx, COMPONENT, name, cluster, self, tenancy.cluster_quota(ctx),
            access=tenancy.NetworkAccess(platform_ingress_ports=(APP_PORT,), ingress_controller_ports=(APP_PORT,),
                                         cidr_egress=cidr),
            pod_security=tenancy.PSA_BASELINE,
        )  # fmt: skip
        after_ns: list[pulumi.Resource] = [ns]

        mysql_host: Any
        creds: pulumi.Resource
        if ctx.aws:
            if args.network is None:
                raise ValueError("W&B Server on aws needs the network (RDS lives in its private subnets)")
            db = _rds_mysql(ctx, f"{name}-db", spec, args.network, cluster, self, bucket.kms_key_arn)
            mysql_host = db.host
            # RDS has no root user: the chart's root key (read only by its bundled MySQL) gets the same.
            store = db_credentials.secret_store(ctx, COMPONENT, f"{name}-db-store", ns_name, db, cluster, self, after_ns)
            creds = db_credentials.credentials_secret(
                ctx, COMPONENT, f"{name}-mysql-credentials", MYSQL_SECRET, ns_name,
                {MYSQL_PASSWORD_KEY: db_credentials.password(), MYSQL_ROOT_PASSWORD_KEY: db_credentials.password()},
                db, store, cluster, self, after_ns,
            )  # fmt: skip
        else:
            password = data_services.generated_password(f"{name}-mysql-password", self)
            root_password = data_services.generated_password(f"{name}-mysql-root-password", self)
            creds = kx.opaque_secret(
                ctx, COMPONENT, f"{name}-mysql-credentials", MYSQL_SECRET, ns_name,
                {MYSQL_PASSWORD_KEY: password, MYSQL_ROOT_PASSWORD_KEY: root_password}, cluster, self,
                depends_on=after_ns,
            )  # fmt: skip
            mysql_host = _incluster_mysql(ctx, f"{name}-db", spec, ns_name, cluster, self, creds, after_ns)

        license_name, license_key = kx.secret_from_ref(
            ctx, COMPONENT, f"{name}-license", spec.license, secret_name=LICENSE_SECRET, key=LICENSE_KEY,
            namespace_=ns_name, cluster=cluster, parent=self, depends_on=after_ns,
        )  # fmt: skip
        s3_secret = data_services.s3_credentials_secret(
            ctx, COMPONENT, f"{name}-s3", bucket, namespace_=ns_name, cluster=cluster, parent=self, depends_on=after_ns
        )
        self.uri = spec.base_url or in_cluster_url(ns_name)
        k8s.helm.v3.Release(
            f"{name}-wandb",
            name=RELEASE,
            chart=CHART,
            version=CHART_VERSION,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=CHART_REPO),
            namespace=ns_name,
            create_namespace=False,
            atomic=False,
            timeout=1200,
            max_history=5,
            values=chart_values(
                ctx, self.uri, bucket=bucket.bucket, bucket_region=ctx.region, kms_key=bucket.kms_key_arn,
                s3_secret=s3_secret, mysql_host=mysql_host, license_secret=(license_name, license_key),
            ),
            opts=kx.k8s_opts(cluster, self, [*after_ns, creds]),
        )
        self.register_outputs({"namespace": ns_name, "uri": self.uri})


__all__ = [
    "CHART", "CHART_VERSION", "WandbServer", "WandbServerArgs", "airflow_patch", "api_key_secret", "base_url",
    "chart_values", "endpoint_data", "in_cluster_url", "mysql_parameters", "wandb_spec", "wire_airflow",
    "workload_env",
]  # fmt: skip
