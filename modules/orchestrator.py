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
- `MLFLOW_TRACKING_URI` in every Airflow container;
- the database migration and user jobs as plain Jobs, not Helm hooks (`useHelmHooks: false`,
  `applyCustomEnv: false`): `helm.v3.Release` waits for the release to be ready, like
  `helm --wait`, and the chart documents that the post-install migration hook never runs
  before the pods that wait for it in that mode;
- DAGs through git-sync from `spec.dags.git` (an SSH deploy key only by reference);
- task logs shipped to `s3://<logs bucket>/airflow/logs` (remote logging; IRSA on aws, MinIO
  keys on kubernetes targets), since KubernetesExecutor pods and their local logs go away.

Kubeflow Pipelines — the upstream standalone manifests (`cluster-scoped-resources` then
`env/platform-agnostic`), vendored as rendered YAML at the release tag (modules/kfp_manifests.py)
and emitted as individual objects through `yaml.ConfigGroup`, so they install air-gapped and
show in preview, render, graph, policy and cost. They install into the `kubeflow` namespace (the
upstream manifests hard-code it), labelled as a platform namespace and given our
NetworkPolicies. KFP 2.x keeps its metadata in the MySQL its manifests bring.

Both get a `platform-endpoints` ConfigMap (tracking URI) for pipeline steps to `envFrom`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
from mlplat.stacks.platform_spec.catalog import AIRFLOW_CHARTS
from mlplat.stacks.platform_spec.model import GitSource
from mlplat.stacks.platform_spec.model import Orchestrator as OrchestratorSpec

from . import data_quality, data_services, db_credentials, tenancy, wandb
from . import k8s as kx
from .common import BucketRef, ClusterRef, Context, DatabaseEndpoint, secret

COMPONENT = "orchestrator"

AIRFLOW_REPO = "https://airflow.apache.org"
AIRFLOW_CHART = "airflow"
AIRFLOW_IMAGE = "apache/airflow"
AIRFLOW_DEFAULT_VERSION = "2.10.3"
AIRFLOW_UID = 50000
AIRFLOW_WEB_PORT = 8080
# Chart parts whose pods write (workers, triggerer) or read (webserver) task logs, and the
# ServiceAccount the chart creates for each (`<release>-<suffix>`, release "airflow"): on aws each
# gets an IRSA role scoped to the logs bucket, by annotation, so the chart's RBAC stays as it is.
LOG_ACCESS: dict[str, tuple[str, bool]] = {
    "workers": ("airflow-worker", True),
    "triggerer": ("airflow-triggerer", True),
    "webserver": ("airflow-webserver", False),
}
GIT_SSH_SECRET = "airflow-git-ssh"
GIT_SSH_KEY = "gitSshKey"  # the key the chart's git-sync container reads from sshKeySecret
S3_SECRET = "airflow-s3"
# Airflow's S3 task handler asks for this connection; when it does not exist the amazon provider
# falls back to boto3's default credentials (IRSA web identity, or the AWS_* env from S3_SECRET).
LOG_CONN_ID = "aws_default"
EXECUTORS = {"kubernetes": "KubernetesExecutor", "celery": "CeleryExecutor", "local": "LocalExecutor"}
METADATA_SECRET = "airflow-metadata"
WEBSERVER_SECRET = "airflow-webserver-secret-key"
FERNET_SECRET = "airflow-fernet-key"
ENDPOINTS_CONFIGMAP = "platform-endpoints"

KFP_DEFAULT_VERSION = "2.17.0"
KFP_NAMESPACE = "kubeflow"
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


def logs_folder(bucket: str) -> str:
    return f"s3://{bucket}/airflow/logs"


def git_sync_values(git: GitSource, ssh_secret: str = GIT_SSH_SECRET) -> dict[str, Any]:
    """`dags.gitSync` values: the repository, branch and folder; the SSH key only by Secret name
    (the chart reads key `gitSshKey` from it, so an existing Secret must hold that key)."""
    values: dict[str, Any] = {
        "enabled": True,
        "repo": git.repo,
        "branch": git.branch,
        "rev": "HEAD",
        "depth": 1,
        "subPath": git.subpath,
    }
    if git.ssh:
        values["sshKeySecret"] = ssh_secret
    return values


def airflow_values(
    ctx: Context,
    version: str,
    executor: str | None,
    *,
    replicas: int,
    tracking_uri: Any = None,
    dags: GitSource | None = None,
    git_ssh_secret: str = GIT_SSH_SECRET,
    logs_bucket: Any = None,
    log_roles: dict[str, Any] | None = None,
    s3_endpoint: Any = None,
    s3_secret: str | None = None,
) -> dict[str, Any]:
    """Values for the official chart. Credentials are only referenced by Secret name."""
    sc = airflow_security_contexts()
    env: list[dict[str, Any]] = []
    if tracking_uri is not None:
        env.append({"name": "MLFLOW_TRACKING_URI", "value": tracking_uri})
    if s3_endpoint is not None:
        env.append({"name": "AWS_ENDPOINT_URL", "value": s3_endpoint})
    if ctx.aws and ctx.region:
        env.append({"name": "AWS_DEFAULT_REGION", "value": ctx.region})
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
        # Plain Jobs, not hooks: a waiting installer never runs post-install hooks before the
        # pods that wait for the migration (chart docs: "--wait" needs useHelmHooks: false).
        "migrateDatabaseJob": {
            "useHelmHooks": False,
            "applyCustomEnv": False,
            "resources": _res("100m", "512Mi", "1", "1Gi"),
        },
        "createUserJob": {
            "useHelmHooks": False,
            "applyCustomEnv": False,
            "resources": _res("100m", "256Mi", "500m", "512Mi"),
        },
        "logs": {"persistence": {"enabled": False}},
    }
    if dags is not None:
        values["dags"] = {"persistence": {"enabled": False}, "gitSync": git_sync_values(dags, git_ssh_secret)}
    if logs_bucket is not None:
        values["config"]["logging"] = {
            "remote_logging": "True",
            "remote_base_log_folder": logs_bucket,
            "remote_log_conn_id": LOG_CONN_ID,
        }
    for part, role_arn in (log_roles or {}).items():
        values[part]["serviceAccount"] = {"annotations": {"eks.amazonaws.com/role-arn": role_arn}}
    if s3_secret is not None:
        values["secret"] = [
            {"envName": key, "secretName": s3_secret, "secretKey": key}
            for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
        ]
    return values


def _log_policy(write: bool) -> Any:
    """(bucket ARN, *KMS key ARNs) → the IAM policy JSON for reading (and writing) task logs."""

    def build(arns: list[Any]) -> str:
        return json.dumps(kx.s3_access_policy([str(arns[0])], write=write, kms_key_arns=[str(x) for x in arns[1:]]))

    return build


def network_access(ctx: Context, kind: str, vpc_cidr: str | None, git_ssh: bool = False) -> tenancy.NetworkAccess:
    cidr = ((vpc_cidr, (data_services.POSTGRES_PORT,)),) if ctx.aws and vpc_cidr else ()
    if kind == "airflow":
        # git-sync over SSH needs port 22 out; HTTPS (443) is open for every namespace.
        internet = (443, 22) if git_ssh else (443,)
        return tenancy.NetworkAccess(
            ingress_controller_ports=(AIRFLOW_WEB_PORT,), cidr_egress=cidr, kube_api=True, internet_egress_ports=internet
        )
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
    logs_bucket: BucketRef | None = None
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
            access=network_access(ctx, "airflow", self._vpc_cidr(ctx), git_ssh=spec.dags is not None and spec.dags.git.ssh),
            pod_security=tenancy.PSA_BASELINE,
        )  # fmt: skip

        db = args.database
        store: db_credentials.Store | None = None
        if db is None:
            db = data_services.incluster_postgres(
                ctx, COMPONENT, f"{name}-db", namespace_=ns_name, cluster=cluster, parent=self,
                database="airflow", depends_on=[ns],
            )  # fmt: skip
            waits: list[pulumi.Resource] = [ns]
        else:
            store = db_credentials.secret_store(ctx, COMPONENT, f"{name}-db-store", ns_name, db, cluster, self, [ns])
            db, job = data_services.database_for(
                ctx, COMPONENT, f"{name}-airflow-db", db, "airflow", namespace_=ns_name, cluster=cluster,
                parent=self, depends_on=[ns], store=store,
            )  # fmt: skip
            waits = [ns, job]
        sslmode = "require" if ctx.aws and args.database is not None else None
        metadata = db_credentials.credentials_secret(
            ctx, COMPONENT, f"{name}-metadata", METADATA_SECRET, ns_name,
            {"connection": db_credentials.url(db, sslmode=sslmode)}, db, store, cluster, self, [ns],
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
        extra: list[pulumi.Resource] = []
        git = spec.dags.git if spec.dags is not None else None
        ssh_secret = GIT_SSH_SECRET
        if git is not None and git.ssh_key is not None:
            ssh_secret, _ = kx.secret_from_ref(
                ctx, COMPONENT, f"{name}-git-ssh", git.ssh_key, secret_name=GIT_SSH_SECRET, key=GIT_SSH_KEY,
                namespace_=ns_name, cluster=cluster, parent=self, depends_on=[ns],
            )  # fmt: skip
        logs = args.logs_bucket
        logs_folder_uri: Any = None
        s3_secret: str | None = None
        log_roles: dict[str, Any] = {}
        if logs is not None:
            if ctx.aws and cluster.oidc_provider_arn is not None:
                from .aws_iam import irsa_role

                for part, (sa_name, write) in LOG_ACCESS.items():
                    policy = pulumi.Output.all(logs.arn, *([logs.kms_key_arn] if logs.kms_key_arn else [])).apply(
                        _log_policy(write)
                    )
                    role = irsa_role(ctx, COMPONENT, f"{name}-logs-{sa_name}", sa_name, ns_name, policy, cluster, self)
                    log_roles[part] = role.arn
                    extra.append(role)
            s3_secret = data_services.s3_credentials_secret(
                ctx, COMPONENT, f"{name}-s3", logs, namespace_=ns_name, cluster=cluster, parent=self,
                secret_name=S3_SECRET, depends_on=[ns],
            )  # fmt: skip
            logs_folder_uri = pulumi.Output.from_input(logs.bucket).apply(logs_folder)
        gx: list[pulumi.Resource] = []
        if args.data_docs is not None:
            gx = data_quality.config_and_account(ctx, COMPONENT, name, ns_name, args.data_docs, cluster, self, [ns])

        replicas = ctx.resolved.profile.min_replicas if ctx.resolved is not None else 1
        values = airflow_values(
            ctx, version, spec.executor, replicas=max(1, replicas), tracking_uri=args.tracking_uri, dags=git,
            git_ssh_secret=ssh_secret, logs_bucket=logs_folder_uri, log_roles=log_roles,
            s3_endpoint=logs.endpoint if logs is not None else None, s3_secret=s3_secret,
        )  # fmt: skip
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
            opts=kx.k8s_opts(cluster, self, [*waits, metadata, web, fernet, *extra, *gx]),
        )

    # ------------------------------------------------------------------ kubeflow pipelines

    def _kfp(self, name: str, args: OrchestratorArgs) -> None:
        from .kfp_manifests import STAGES, manifests, resource_name, sdk_class, sdk_kwargs

        ctx, spec, cluster = args.ctx, args.spec, args.cluster
        version = spec.version or KFP_DEFAULT_VERSION
        self.namespace = KFP_NAMESPACE
        # Platform labels on the namespace: the other namespaces' NetworkPolicies admit pods from
        # namespaces carrying them (tenancy.platform_namespace_selector).
        ns_labels = tenancy.platform_namespace_selector(ctx, COMPONENT)["matchLabels"]
        objects = manifests(version, ctx.k8s_labels(COMPONENT), ns_labels)

        # Individual typed objects (not a ConfigGroup: its provider-side YAML decode is invisible to
        # the offline plan): cluster-scoped first, then everything in the namespace after them.
        created: dict[str, list[pulumi.Resource]] = {stage: [] for stage in STAGES}
        namespace: list[pulumi.Resource] = []
        for stage, obj in objects:
            module, api, kind = sdk_class(obj["apiVersion"], obj["kind"])
            cls = getattr(getattr(getattr(k8s, module), api), kind)
            fields = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "status")}
            # Namespaced objects wait for the Namespace (the first cluster-scoped object created).
            deps = namespace if stage != STAGES[0] else []
            res = cls(resource_name(f"{name}-kfp", obj), **sdk_kwargs(fields), opts=kx.k8s_opts(cluster, self, deps))
            created[stage].append(res)
            if obj["kind"] == "Namespace":
                namespace = [res]
        env = created[STAGES[1]]
        self.release = env[0] if env else None
        tenancy.network_policies(
            ctx, COMPONENT, name, KFP_NAMESPACE, network_access(ctx, "kubeflow-pipelines", self._vpc_cidr(ctx)),
            cluster, self, depends_on=namespace,
        )  # fmt: skip
        self._endpoints(name, args, KFP_NAMESPACE, namespace)
        wandb.api_key_secret(ctx, name, KFP_NAMESPACE, cluster, self, namespace)  # for pipeline steps to reference
        if args.data_docs is not None:  # pipeline steps mount the config and run as the writer account
            data_quality.config_and_account(ctx, COMPONENT, name, KFP_NAMESPACE, args.data_docs, cluster, self, namespace)


__all__ = [
    "AIRFLOW_CHARTS", "Orchestrator", "OrchestratorArgs", "airflow_chart_version", "airflow_security_contexts",
    "airflow_values", "executor_name", "fernet_key", "git_sync_values", "logs_folder", "network_access",
]  # fmt: skip
