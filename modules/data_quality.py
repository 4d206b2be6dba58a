"""DataQuality: Great Expectations (GX Core) with its stores and Data Docs in the data-docs bucket.

GX Core 1.x deprecated its S3 store backends and removed them in 2026 (great_expectations PR
#11675; GX 1.24.1 ships only `TupleFilesystemStoreBackend`, in-memory and GX Cloud backends). So
the `great_expectations.yml` mlplat writes keeps every store on the filesystem, relative to the
context root, and the bucket holds the same tree under `gx/`: a checkpoint step pulls
`$GX_STORES_URL` into `$GX_PROJECT_ROOT_DIR/gx/`, runs, and pushes it back (README "Great
Expectations"). The key set of that file and the store classes were read from the 1.24.1 wheel
(tests/upstream/great-expectations/1.24.1/).

- Orchestrator side (called by modules/orchestrator.py, like modules/wandb.py): a ConfigMap
  `great-expectations` with the config in the orchestrator's namespace, mounted read-only into
  Airflow workers; a ServiceAccount `great-expectations` that checkpoint pods (KFP steps, Airflow
  KubernetesPodOperator tasks) run as, allowed to read and write the data-docs bucket (IRSA on
  aws; MinIO keys in a Secret on kubernetes targets); the bucket URLs in `platform-endpoints`.
- This component: a private Data Docs site. One Deployment, two hardened containers: `sync`
  (the AWS CLI, read-only on the bucket) mirrors `gx/data_docs/` into a shared emptyDir every
  minute, `web` (nginx, unprivileged) serves it. The Service is ClusterIP only and the namespace
  admits no other namespace: Data Docs have no login, so they are reached with
  `kubectl port-forward`, never through the ingress (validate refuses exposing them).
  Without an orchestrator on the cluster, the config and the writer account live here instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import yaml
from mlplat.stacks.platform_spec.model import DataQuality as DataQualitySpec

from . import data_services, tenancy
from . import k8s as kx
from .common import BucketRef, ClusterRef, Context

COMPONENT = "data_quality"
CONFIG_MAP = "great-expectations"
CONFIG_KEY = "great_expectations.yml"
CONFIG_DIR = "/etc/great-expectations"  # the ConfigMap, read-only; steps copy it into their project
PROJECT_ROOT = "/tmp/great-expectations"  # GX_PROJECT_ROOT_DIR: GX reads <root>/gx/great_expectations.yml
SERVICE_ACCOUNT = "great-expectations"
S3_SECRET = "great-expectations-s3"
STORES_PREFIX = "gx/"
DOCS_PREFIX = "gx/data_docs/"
SITE_NAME = "platform_site"
SERVER = "data-docs"
PORT = 8080  # nginx-unprivileged listens on 8080
READER_ACCOUNT = "data-docs"
# nginxinc/docker-nginx-unprivileged stable/alpine-slim/Dockerfile: NGINX_VERSION=1.26.2, UID 101,
# listen 8080, pid and temp paths under /tmp (tests/upstream/great-expectations/PROVENANCE.md). It runs
# as the platform's high UID (checkov CKV_K8S_40): with every write under /tmp, any UID serves.
NGINX_IMAGE = "docker.io/nginxinc/nginx-unprivileged:1.26.2-alpine-slim"
# aws/aws-cli 2.22.0 (.changes/2.22.0.json); v2 reads AWS_ENDPOINT_URL (MinIO) since 2.13.
AWS_CLI_IMAGE = "docker.io/amazon/aws-cli:2.22.0"
SYNC_SECONDS = 60

# --------------------------------------------------------------------------- pure


def _filesystem(base_directory: str, **extra: Any) -> dict[str, Any]:
    return {"class_name": "TupleFilesystemStoreBackend", "base_directory": base_directory, **extra}


def gx_config() -> dict[str, Any]:
    """`great_expectations.yml` for GX Core 1.24.1 (config_version 4): every store and the Data Docs
    site on the filesystem under the context root, the tree that mirrors `s3://<bucket>/gx/`.
    Validation results sit in `validations/` (not GX's default `uncommitted/`) so they are synced."""
    return {
        "config_version": 4.0,
        "config_variables_file_path": None,
        "plugins_directory": None,
        "analytics_enabled": False,
        "stores": {
            "expectations_store": {"class_name": "ExpectationsStore", "store_backend": _filesystem("expectations/")},
            "validation_results_store": {"class_name": "ValidationResultsStore", "store_backend": _filesystem("validations/")},
            # GX looks this store up by this exact name (AbstractDataContext.validation_definition_store)
            "validation_definition_store": {
                "class_name": "ValidationDefinitionStore", "store_backend": _filesystem("validation_definitions/"),
            },
            "checkpoint_store": {
                "class_name": "CheckpointStore",
                "store_backend": _filesystem("checkpoints/", suppress_store_backend_id=True),
            },
        },
        "expectations_store_name": "expectations_store",
        "validation_results_store_name": "validation_results_store",
        "checkpoint_store_name": "checkpoint_store",
        "data_docs_sites": {
            SITE_NAME: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": _filesystem("data_docs/"),
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        },
    }  # fmt: skip


def config_yaml() -> str:
    return yaml.safe_dump(gx_config(), sort_keys=False)


def stores_url(bucket: str) -> str:
    return f"s3://{bucket}/{STORES_PREFIX}"


def docs_url(bucket: str) -> str:
    return f"s3://{bucket}/{DOCS_PREFIX}"


def sync_command() -> list[str]:
    """The mirror loop. A constant script: the bucket URL arrives as $DATA_DOCS_URL, never in the text."""
    script = (
        'while :; do aws s3 sync --delete --only-show-errors "$DATA_DOCS_URL" /site || echo "data docs sync failed" >&2; '
        'touch /tmp/synced; sleep "$SYNC_SECONDS"; done'
    )
    return ["/bin/sh", "-c", script]


def endpoint_data(bucket: pulumi.Input[str], version: str) -> dict[str, pulumi.Input[str]]:
    """Keys for the platform-endpoints ConfigMap: where the config, the stores and the account are."""
    b = pulumi.Output.from_input(bucket)
    return {
        "GX_VERSION": version,
        "GX_CONFIG_CONFIGMAP": CONFIG_MAP,
        "GX_PROJECT_ROOT_DIR": PROJECT_ROOT,
        "GX_SERVICE_ACCOUNT": SERVICE_ACCOUNT,
        "GX_STORES_URL": b.apply(lambda n: stores_url(str(n))),
        "GX_DATA_DOCS_URL": b.apply(lambda n: docs_url(str(n))),
    }


def airflow_patch() -> dict[str, Any]:
    """Airflow chart values: the config mounted read-only into workers (and KubernetesExecutor task
    pods, whose pod template reads `workers.extraVolumes`), and where it is."""
    return {
        "workers": {
            "extraVolumes": [{"name": CONFIG_MAP, "configMap": {"name": CONFIG_MAP}}],
            "extraVolumeMounts": [{"name": CONFIG_MAP, "mountPath": CONFIG_DIR, "readOnly": True}],
        },
        "env": [
            {"name": "GX_CONFIG_FILE", "value": f"{CONFIG_DIR}/{CONFIG_KEY}"},
            {"name": "GX_PROJECT_ROOT_DIR", "value": PROJECT_ROOT},
        ],
    }


def wire_airflow(values: dict[str, Any], ctx: Context) -> None:
    """Merge `airflow_patch` into the chart values when the platform runs Great Expectations."""
    if spec_of(ctx) is None:
        return
    patch = airflow_patch()
    workers = values.setdefault("workers", {})
    for key, items in patch["workers"].items():
        workers[key] = [*workers.get(key, []), *items]
    values["env"] = [*values.get("env", []), *patch["env"]]


def spec_of(ctx: Context) -> DataQualitySpec | None:
    spec = ctx.resolved.spec if ctx.resolved is not None else None
    return spec.data_quality if spec is not None else None


def network_access() -> tenancy.NetworkAccess:
    # Private: no platform ingress, no ingress controller; egress HTTPS (S3) and, through the
    # always-on platform egress rule, MinIO.
    return tenancy.NetworkAccess()


# --------------------------------------------------------------------------- shared by both sides


def config_and_account(
    ctx: Context, component: str, name: str, namespace_: str, bucket: BucketRef, cluster: ClusterRef,
    parent: pulumi.Resource, depends_on: Sequence[pulumi.Resource],
) -> list[pulumi.Resource]:  # fmt: skip
    """The `great-expectations` ConfigMap and the writer ServiceAccount (+ MinIO keys) in `namespace_`."""
    cm = k8s.core.v1.ConfigMap(
        f"{name}-gx-config",
        metadata=kx.wire(kx.object_meta(ctx, component, CONFIG_MAP, namespace_, app="great-expectations")),
        data={CONFIG_KEY: config_yaml()},
        opts=kx.k8s_opts(cluster, parent, depends_on),
    )
    sa = kx.irsa_service_account(
        ctx, component, f"{name}-gx-sa", SERVICE_ACCOUNT, namespace_, [bucket], write=True, cluster=cluster,
        parent=parent, depends_on=depends_on,
    )  # fmt: skip
    data_services.s3_credentials_secret(
        ctx, component, f"{name}-gx-s3", bucket, namespace_=namespace_, cluster=cluster, parent=parent,
        secret_name=S3_SECRET, depends_on=depends_on,
    )  # fmt: skip
    return [cm, sa]


# --------------------------------------------------------------------------- component


@dataclass
class DataQualityArgs:
    ctx: Context
    spec: DataQualitySpec
    cluster: ClusterRef
    bucket: BucketRef
    with_config: bool = True  # False when the orchestrator carries the config and the writer account


class DataQuality(pulumi.ComponentResource):
    """mlplat:index:DataQuality — the private Data Docs site (and, alone, the GX config)."""

    namespace: str

    def __init__(self, name: str, args: DataQualityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplat:index:DataQuality", name, None, opts)
        ctx, cluster, bucket = args.ctx, args.cluster, args.bucket
        ns_name = kx.namespace_name(ctx, COMPONENT)
        self.namespace = ns_name
        ns = tenancy.namespace(ctx, COMPONENT, name, cluster, self, tenancy.cluster_quota(ctx), access=network_access())
        if args.with_config:
            config_and_account(ctx, COMPONENT, name, ns_name, bucket, cluster, self, [ns])

        reader = kx.irsa_service_account(
            ctx, COMPONENT, f"{name}-reader", READER_ACCOUNT, ns_name, [bucket], write=False, cluster=cluster,
            parent=self, depends_on=[ns],
        )  # fmt: skip
        s3_secret = data_services.s3_credentials_secret(
            ctx, COMPONENT, f"{name}-reader-s3", bucket, namespace_=ns_name, cluster=cluster, parent=self,
            secret_name="data-docs-s3", depends_on=[ns],
        )  # fmt: skip
        env: list[kx.Obj] = [
            kx.env_value("DATA_DOCS_URL", pulumi.Output.from_input(bucket.bucket).apply(lambda n: docs_url(str(n)))),
            kx.env_value("SYNC_SECONDS", str(SYNC_SECONDS)),
            kx.env_value("HOME", "/tmp"),
        ]
        if ctx.aws and ctx.region:
            env.append(kx.env_value("AWS_DEFAULT_REGION", ctx.region))
        env += data_services.s3_credentials_env(bucket, s3_secret)
        site = {"name": "site", "mountPath": "/site"}
        sync = kx.secure_container(
            "sync", AWS_CLI_IMAGE, command=sync_command(), env=env, cpu="20m", memory="64Mi", cpu_limit="200m",
            memory_limit="256Mi", volume_mounts=[site],
            # ready once the first pass ran; alive while the shared volume is there (a failed pass is logged and retried)
            liveness=kx.exec_probe(["test", "-d", "/site"], initial_delay=30, period=30),
            readiness=kx.exec_probe(["test", "-e", "/tmp/synced"], initial_delay=5),
        )  # fmt: skip
        web = kx.secure_container(
            "web", NGINX_IMAGE, ports={"http": PORT},
            # nginx directly: the image's entrypoint scripts edit /etc/nginx, which is read-only here
            command=["nginx", "-g", "daemon off;"],
            cpu="10m", memory="32Mi", cpu_limit="200m", memory_limit="128Mi",
            volume_mounts=[{"name": "site", "mountPath": "/usr/share/nginx/html", "readOnly": True}],
            # TCP: before the first checkpoint the site is empty and nginx answers / with 403
            liveness=kx.tcp_probe("http", initial_delay=10), readiness=kx.tcp_probe("http", initial_delay=3),
        )  # fmt: skip
        volumes = [{"name": "site", "emptyDir": {"sizeLimit": "2Gi"}}]
        selector = kx.selector_labels(ctx, COMPONENT, SERVER)
        labels = ctx.k8s_labels(COMPONENT, SERVER)
        pod = kx.pod_spec([sync, web], service_account=READER_ACCOUNT, volumes=volumes)
        k8s.apps.v1.Deployment(
            f"{name}-server",
            metadata=kx.wire(kx.object_meta(ctx, COMPONENT, SERVER, ns_name, app=SERVER)),
            spec=kx.wire(kx.deployment_spec(selector, kx.pod_template(labels, pod), 1)),
            opts=kx.k8s_opts(cluster, self, [ns, reader]),
        )
        k8s.core.v1.Service(
            f"{name}-service",
            metadata=kx.wire(kx.object_meta(ctx, COMPONENT, SERVER, ns_name, app=SERVER)),
            spec=kx.wire(kx.service_spec(selector, {"http": PORT})),
            opts=kx.k8s_opts(cluster, self, [ns]),
        )
        self.url = f"http://{kx.service_host(SERVER, ns_name)}:{PORT}"
        self.register_outputs({"namespace": ns_name, "data_docs": self.url})


__all__ = [
    "AWS_CLI_IMAGE", "CONFIG_MAP", "NGINX_IMAGE", "DataQuality", "DataQualityArgs", "airflow_patch", "config_and_account",
    "config_yaml", "docs_url", "endpoint_data", "gx_config", "stores_url", "sync_command", "wire_airflow",
]  # fmt: skip
