"""Orchestrator: Airflow (official chart) or Kubeflow Pipelines (official manifests), pinned.

Airflow — `helm.v3.Release` of the official `apache-airflow/airflow` chart (repository
https://airflow.apache.org), chart version pinned from the Airflow version, with:
- the executor from `spec.executor` (default KubernetesExecutor);
- the metadata database on the platform Postgres: its own `airflow` database, created by an
  idempotent Job, the connection in a Secret (`data.metadataSecretName`), the chart's bundled
  PostgreSQL disabled. Without a platform database, an in-cluster Postgres is created here;
- webserver secret key and Fernet key generated (`pulumi_random`, Pulumi secrets) and passed by
  Secret name; the chart's default admin user (a literal password) disabled;
- restricted security contexts for every Airflow pod, resources, NetworkPolicies in the chart;
- `MLFLOW_TRACKING_URI` in every Airflow container.

Kubeflow Pipelines — the upstream standalone manifests (`cluster-scoped-resources` then
`env/platform-agnostic`) as `kustomize.v2.Directory` resources pinned to the release tag; they
install into the `kubeflow` namespace (the upstream manifests hard-code it), which gets our
NetworkPolicies. KFP 2.x keeps its metadata in the MySQL its manifests bring.

Both get a `platform-endpoints` ConfigMap (tracking URI) for pipeline steps to `envFrom`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
from mlplat.stacks.platform_spec.model import Orchestrator as OrchestratorSpec

from . import data_quality, data_services, tenancy, wandb
from . import k8s as kx
from .common import BucketRef, ClusterRef, Context, DatabaseEndpoint, secret

COMPONENT = "orchestrator"

AIRFLOW_REPO = "https://airflow.apache.org"
AIRFLOW_CHART = "airflow"
AIRFLOW_IMAGE = "apache/airflow"
AIRFLOW_DEFAULT_VERSION = "2.10.3"
AIRFLOW_UID = 50000
AIRFLOW_WEB_PORT = 8080
# Airflow minor version → the official chart release that ships it as default (or supports it).
AIRFLOW_CHARTS: dict[str, str] = {
    "2.6": "1.10.0",
    "2.7": "1.11.0",
    "2.8": "1.13.1",
    "2.9": "1.15.0",
    "2.10": "1.16.0",
    "3.0": "1.18.0",
}
EXECUTORS = {"kubernetes": "KubernetesExecutor", "celery": "CeleryExecutor", "local": "LocalExecutor"}
METADATA_SECRET = "airflow-metadata"
WEBSERVER_SECRET = "airflow-webserver-secret-key"
FERNET_SECRET = "airflow-fernet-key"
ENDPOINTS_CONFIGMAP = "platform-endpoints"

KFP_DEFAULT_VERSION = "2.3.0"
KFP_NAMESPACE = "kubeflow"
KFP_MANIFESTS = "github.com/kubeflow/pipelines/manifests/kustomize"  # kustomize remote target, as upstream documents
KFP_UI_PORT = 3000
KFP_API_PORTS = (8888, 8887)

# --------------------------------------------------------------------------- pure


def airflow_chart_version(airflow_version: str) -> str:
    """The pinned chart version for an Airflow version (`2.10.3` → `1.16.0`)."""
    parts = airflow_version.split(".")
    minor = ".".join(parts[:2])
    if len(parts) < 3 or minor not in AIRFLOW_CHARTS:
        known = ", ".join(sorted(AIRFLOW_CHARTS))
        raise ValueError(f"orchestrator.version {airflow_version!r}: pin a full Airflow version of {known}.x")
    return AIRFLOW_CHARTS[minor]


def executor_name(executor: str | None) -> str:
    return EXECUTORS[executor or "kubernetes"]


def fernet_key(b64_url: str) -> str:
    """A Fernet key from 32 random bytes in unpadded URL-safe base64 (RandomId.b64_url)."""
    return b64_url + "=" * (-len(b64_url) % 4)


def airflow_security_contexts() -> dict[str, Any]:
    return {
        "pod": {
            "runAsNonRoot": True,
            "runAsUser": AIRFLOW_UID,
            "runAsGroup": 0,
            "fsGroup": 0,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }


def _res(cpu: str, memory: str, cpu_limit: str, memory_limit: str) -> dict[str, Any]:
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": cpu_limit, "memory": memory_limit}}


def airflow_values(
    ctx: Context,
    version: str,
    executor: str | None,
    *,
    replicas: int,
    tracking_uri: Any = None,
) -> dict[str, Any]:
    """Values for the official chart. Credentials are only referenced by Secret name."""
    sc = airflow_security_contexts()
    env: list[dict[str, Any]] = []
    if tracking_uri is not None:
        env.append({"name": "MLFLOW_TRACKING_URI", "value": tracking_uri})
    labels = ctx.k8s_labels(COMPONENT)
    ex = executor_name(executor)
    values: dict[str, Any] = {
        "airflowVersion": version,
        "defaultAirflowTag": version,
        "images": {"airflow": {"repository": AIRFLOW_IMAGE, "tag": version, "pullPolicy": "IfNotPresent"}},
        "executor": ex,
        "labels": labels,
        "uid": AIRFLOW_UID,
        "gid": 0,
        "securityContexts": sc,
        "env": env,
        "postgresql": {"enabled": False},
        "redis": {"enabled": ex == "CeleryExecutor"},
        "data": {"metadataSecretName": METADATA_SECRET},
        "webserverSecretKeySecretName": WEBSERVER_SECRET,
        "fernetKeySecretName": FERNET_SECRET,
        "networkPolicies": {"enabled": True},
        "config": {"core": {"load_examples": "False"}, "webserver": {"expose_config": "False"}},
        "webserver": {
            "replicas": replicas,
            "defaultUser": {"enabled": False},
            "resources": _res("250m", "1Gi", "1", "2Gi"),
            "podDisruptionBudget": {"enabled": replicas > 1},
        },
        "scheduler": {
            "replicas": replicas,
            "resources": _res("500m", "1Gi", "2", "2Gi"),
            "podDisruptionBudget": {"enabled": replicas > 1},
        },
        "triggerer": {"replicas": 1, "resources": _res("100m", "512Mi", "500m", "1Gi")},
        "workers": {"resources": _res("500m", "1Gi", "2", "4Gi")},
        "statsd": {
            "enabled": True,
            "resources": _res("50m", "64Mi", "200m", "128Mi"),
            "securityContexts": {
                "pod": {"runAsNonRoot": True, "runAsUser": 65534, "seccompProfile": {"type": "RuntimeDefault"}},
                "container": {
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"drop": ["ALL"]},
                    "readOnlyRootFilesystem": True,
                },
            },
        },
        "migrateDatabaseJob": {"resources": _res("100m", "512Mi", "1", "1Gi")},
        "createUserJob": {"resources": _res("100m", "256Mi", "500m", "512Mi")},
        "logs": {"persistence": {"enabled": False}},
    }
    return values


def kfp_directories(version: str) -> list[tuple[str, str]]:
    """(suffix, pinned kustomize directory) in apply order for Kubeflow Pipelines `version`."""
    if not version or version == "latest" or version.count(".") != 2:
        raise ValueError(f"orchestrator.version must pin a Kubeflow Pipelines release like 2.3.0, got {version!r}")
    return [
        ("kfp-cluster-scoped", f"{KFP_MANIFESTS}/cluster-scoped-resources?ref={version}"),
        ("kfp", f"{KFP_MANIFESTS}/env/platform-agnostic?ref={version}"),
    ]


def network_access(ctx: Context, kind: str, vpc_cidr: str | None) -> tenancy.NetworkAccess:
    cidr = ((vpc_cidr, (data_services.POSTGRES_PORT,)),) if ctx.aws and vpc_cidr else ()
    if kind == "airflow":
        return tenancy.NetworkAccess(ingress_controller_ports=(AIRFLOW_WEB_PORT,), cidr_egress=cidr, kube_api=True)
    return tenancy.NetworkAccess(
        ingress_controller_ports=(KFP_UI_PORT,), platform_ingress_ports=KFP_API_PORTS, cidr_egress=cidr, kube_api=True
    )


# --------------------------------------------------------------------------- component


@dataclass
class OrchestratorArgs:
    ctx: Context
    spec: OrchestratorSpec
    cluster: ClusterRef
    database: DatabaseEndpoint | None = None
    tracking_uri: pulumi.Input[str] | None = None
    data_docs: BucketRef | None = None  # Great Expectations: its config and writer account go here


class Orchestrator(pulumi.ComponentResource):
    """mlplat:index:Orchestrator — Airflow or Kubeflow Pipelines."""

    namespace: str
    release: pulumi.Resource | None

    def __init__(self, name: str, args: OrchestratorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplat:index:Orchestrator", name, None, opts)
        self.release = None
        if args.spec.kind == "airflow":
            self._airflow(name, args)
        else:
            self._kfp(name, args)
        self.register_outputs({"namespace": self.namespace, "kind": args.spec.kind})

    def _vpc_cidr(self, ctx: Context) -> str | None:
        spec = ctx.resolved.spec if ctx.resolved is not None else None
        return spec.network.cidr if spec is not None and spec.network is not None else None

    def _endpoints(self, name: str, args: OrchestratorArgs, ns_name: str, deps: list[pulumi.Resource]) -> None:
        data: dict[str, pulumi.Input[str]] = {"MLPLAT_PLATFORM": args.ctx.platform, "MLPLAT_ENVIRONMENT": args.ctx.env}
        if args.tracking_uri is not None:
            data["MLFLOW_TRACKING_URI"] = args.tracking_uri
        data.update(wandb.endpoint_data(args.ctx))
        if args.data_docs is not None:
            gx = data_quality.spec_of(args.ctx)
            data.update(data_quality.endpoint_data(args.data_docs.bucket, gx.version if gx is not None else ""))
        k8s.core.v1.ConfigMap(
            f"{name}-endpoints",
            metadata=kx.wire(kx.object_meta(args.ctx, COMPONENT, ENDPOINTS_CONFIGMAP, ns_name)),
            data=data,
            opts=kx.k8s_opts(args.cluster, self, deps),
        )

    # ------------------------------------------------------------------ airflow

    def _airflow(self, name: str, args: OrchestratorArgs) -> None:
        ctx, spec, cluster = args.ctx, args.spec, args.cluster
        version = spec.version or AIRFLOW_DEFAULT_VERSION
        chart_version = airflow_chart_version(version)
        ns_name = kx.namespace_name(ctx, COMPONENT)
        self.namespace = ns_name
        # Chart pods are hardened through values; `baseline` is enforced (warn/audit: restricted)
        # because not every chart container exposes every restricted field.
        ns = tenancy.namespace(
            ctx, COMPONENT, name, cluster, self, tenancy.cluster_quota(ctx),
            access=network_access(ctx, "airflow", self._vpc_cidr(ctx)), pod_security=tenancy.PSA_BASELINE,
        )  # fmt: skip

        db = args.database
        if db is None:
            db = data_services.incluster_postgres(
                ctx, COMPONENT, f"{name}-db", namespace_=ns_name, cluster=cluster, parent=self,
                database="airflow", depends_on=[ns],
            )  # fmt: skip
            waits: list[pulumi.Resource] = [ns]
        else:
            db, job = data_services.database_for(
                ctx, COMPONENT, f"{name}-airflow-db", db, "airflow", namespace_=ns_name, cluster=cluster,
                parent=self, depends_on=[ns],
            )  # fmt: skip
            waits = [ns, job]
        sslmode = "require" if ctx.aws and args.database is not None else None
        metadata = kx.opaque_secret(
            ctx, COMPONENT, f"{name}-metadata", METADATA_SECRET, ns_name,
            {"connection": data_services.database_url(db, sslmode=sslmode)}, cluster, self, depends_on=[ns],
        )  # fmt: skip
        webserver_key = data_services.generated_password(f"{name}-webserver-key", self, length=48)
        web = kx.opaque_secret(
            ctx, COMPONENT, f"{name}-webserver-secret-key", WEBSERVER_SECRET, ns_name,
            {"webserver-secret-key": webserver_key}, cluster, self, depends_on=[ns],
        )  # fmt: skip
        fernet_id = random.RandomId(f"{name}-fernet-key-bytes", byte_length=32, opts=pulumi.ResourceOptions(parent=self))
        fernet = kx.opaque_secret(
            ctx, COMPONENT, f"{name}-fernet-key", FERNET_SECRET, ns_name,
            {"fernet-key": secret(fernet_id.b64_url.apply(fernet_key))}, cluster, self, depends_on=[ns],
        )  # fmt: skip
        self._endpoints(name, args, ns_name, [ns])
        gx: list[pulumi.Resource] = []
        if args.data_docs is not None:
            gx = data_quality.config_and_account(ctx, COMPONENT, name, ns_name, args.data_docs, cluster, self, [ns])

        replicas = ctx.resolved.profile.min_replicas if ctx.resolved is not None else 1
        values = airflow_values(ctx, version, spec.executor, replicas=max(1, replicas), tracking_uri=args.tracking_uri)
        wandb.wire_airflow(values, ctx, name, ns_name, cluster, self, [ns])
        if args.data_docs is not None:
            data_quality.wire_airflow(values, ctx)
        self.release = k8s.helm.v3.Release(
            f"{name}-airflow",
            name="airflow",
            chart=AIRFLOW_CHART,
            version=chart_version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=AIRFLOW_REPO),
            namespace=ns_name,
            create_namespace=False,
            atomic=False,
            timeout=900,
            max_history=5,
            values=values,
            opts=kx.k8s_opts(cluster, self, [*waits, metadata, web, fernet, *gx]),
        )

    # ------------------------------------------------------------------ kubeflow pipelines

    def _kfp(self, name: str, args: OrchestratorArgs) -> None:
        ctx, spec, cluster = args.ctx, args.spec, args.cluster
        version = spec.version or KFP_DEFAULT_VERSION
        self.namespace = KFP_NAMESPACE
        previous: list[pulumi.Resource] = []
        for suffix, directory in kfp_directories(version):
            d = k8s.kustomize.v2.Directory(
                f"{name}-{suffix}",
                directory=directory,
                opts=kx.k8s_opts(cluster, self, previous),
            )
            previous = [d]
        self.release = previous[0]
        # The upstream manifests create the `kubeflow` namespace: add our policies to it.
        tenancy.network_policies(
            ctx, COMPONENT, name, KFP_NAMESPACE, network_access(ctx, "kubeflow-pipelines", self._vpc_cidr(ctx)),
            cluster, self, depends_on=previous,
        )  # fmt: skip
        self._endpoints(name, args, KFP_NAMESPACE, previous)
        wandb.api_key_secret(ctx, name, KFP_NAMESPACE, cluster, self, previous)  # for pipeline steps to reference
        if args.data_docs is not None:  # pipeline steps mount the config and run as the writer account
            data_quality.config_and_account(ctx, COMPONENT, name, KFP_NAMESPACE, args.data_docs, cluster, self, previous)


__all__ = [
    "AIRFLOW_CHARTS", "Orchestrator", "OrchestratorArgs", "airflow_chart_version", "airflow_security_contexts",
    "airflow_values", "executor_name", "fernet_key", "kfp_directories", "network_access",
]  # fmt: skip
