"""ModelServing: KServe, Seldon Core or BentoML, one serving object per declared model.

- KServe in Standard mode (raw Deployments + HPA; "RawDeployment" before v0.17): cert-manager
  (modules/operators.py, the chart's webhooks need a Certificate), then the pinned charts
  `kserve-crd`, `kserve-resources` and `kserve-runtime-configs` (the ClusterServingRuntimes),
  and one `serving.kserve.io/v1beta1` InferenceService per model (model format, storageUri,
  min/max replicas, HPA on cpu, resources incl. `nvidia.com/gpu` and the GPU toleration).
  Standard mode needs no Knative, Istio or Kourier. A canary is v0.20's `spec.canary`: KServe
  runs the canary predictor as its own Deployment (fixed replicas, ceil(stable min × percent))
  beside the stable one; mlplat's `<model>-endpoint` Service selects the pods of both, so
  requests spread over the revisions in proportion to their ready replicas.
  With drift reports on, the predictor `logger` sends every request/response to
  `s3://<report bucket>/inference-logs/<model>/` (KServe agent, JSON per record), where the
  Evidently report job reads them.
- Seldon Core: the operator release and one SeldonDeployment per model; with a canary, two
  predictors (`main`, `canary`) whose `traffic` is the split.
- BentoML: first-party Deployment + Service + HPA per model (`oci://` bento images); a canary is a
  second Deployment/Service/HPA, with the weights on an NGINX canary Ingress when the target has
  an ingress class (else recorded in the `mlplat.io/traffic-split` annotation).

Every model pod runs as the `model-server` ServiceAccount: on aws an IRSA role with read-only
access to the buckets the model URIs point at; on kubernetes targets MinIO keys in a Secret.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from mlplat.stacks.platform_spec.model import ServedModel, Serving

from . import k8s as kx
from . import tenancy
from .common import BucketRef, ClusterRef, Context, secret

COMPONENT = "serving"
SERVICE_ACCOUNT = "model-server"
S3_SECRET = "model-storage"

# kserve/kserve tag v0.20.0: charts kserve-crd, kserve-resources (named `kserve` before v0.17) and
# kserve-runtime-configs, published to ghcr.io/kserve/charts (.github/workflows/helm-publish.yml).
KSERVE_VERSION = "v0.20.0"
KSERVE_CHARTS = "oci://ghcr.io/kserve/charts"
KSERVE_MODE = "Standard"  # pkg/constants/constants.go: Standard | Knative (RawDeployment/Serverless before)
INFERENCE_LOG_PREFIX = "inference-logs"  # s3://<bucket>/inference-logs/<model>/… (read by the drift job)
KSERVE_AGENT_PORT = 9081  # the logger agent in front of the model server (InferenceServiceDefaultAgentPort)
SELDON_VERSION = "1.17.1"
SELDON_REPO = "https://storage.googleapis.com/seldon-charts"
SELDON_CHART = "seldon-core-operator"

MODEL_PORT = 8080
SELDON_MODEL_PORT = 9000  # REST port of Seldon Core v1 model containers
BENTO_PORT = 3000
SPLIT_ANNOTATION = "mlplat.io/traffic-split"

# KServe model formats (`modelFormat.name`) for the spec's formats; `custom` runs an oci:// image.
KSERVE_FORMATS = {
    "sklearn": "sklearn", "xgboost": "xgboost", "lightgbm": "lightgbm", "pytorch": "pytorch",
    "tensorflow": "tensorflow", "onnx": "onnx", "triton": "triton", "huggingface": "huggingface",
    "mlflow": "mlflow",
}  # fmt: skip
# Seldon Core v1 pre-packaged servers.
SELDON_SERVERS = {
    "sklearn": "SKLEARN_SERVER", "xgboost": "XGBOOST_SERVER", "tensorflow": "TENSORFLOW_SERVER",
    "mlflow": "MLFLOW_SERVER", "triton": "TRITON_SERVER", "onnx": "TRITON_SERVER", "pytorch": "TRITON_SERVER",
    "huggingface": "HUGGINGFACE_SERVER",
}  # fmt: skip
# Python model servers that run with a read-only root filesystem (scratch on /tmp).
READ_ONLY_SERVERS = {"sklearn", "xgboost", "lightgbm", "mlflow"}
INGRESS_NAMESPACES = ("ingress-nginx", "istio-system")

# --------------------------------------------------------------------------- pure


def traffic_split(model: ServedModel) -> dict[str, int]:
    """Percent of requests per revision: {"stable": 100} or e.g. {"stable": 90, "canary": 10}."""
    if model.canary is None:
        return {"stable": 100}
    p = model.canary.traffic_percent
    if not 0 <= p <= 100:
        raise ValueError(f"serving.models[{model.name}].canary.traffic_percent must be 0-100, got {p}")
    canary = int(round(p))
    return {"stable": 100 - canary, "canary": canary}


def split_annotation(split: dict[str, int]) -> str:
    return ",".join(f"{k}={v}" for k, v in split.items())


_S3 = re.compile(r"s3://([^/]+)(/.*)?")


def uri_bucket(uri: str) -> str | None:
    m = _S3.fullmatch(uri)
    return m.group(1) if m else None


def declared_buckets(ctx: Context) -> set[str]:
    spec = ctx.resolved.spec if ctx.resolved is not None else None
    return {b.name for b in spec.storage.buckets} if spec is not None and spec.storage is not None else set()


def resolve_uri(ctx: Context, uri: str, declared: set[str]) -> str:
    """`s3://<declared bucket>/…` → `s3://<its physical name>/…` (Context.resolve_s3_uri: the
    name Storage gives it, account-suffixed on aws); other URIs unchanged. `declared` is kept for
    callers; the context knows the declared buckets."""
    return ctx.resolve_s3_uri(uri) if declared else uri


def model_uris(model: ServedModel) -> list[str]:
    return [model.uri] + ([model.canary.uri] if model.canary else [])


def bucket_arns_for(ctx: Context, models: list[ServedModel], buckets: dict[str, BucketRef]) -> list[BucketRef]:
    """The buckets the models read: declared ones (with their KMS key), else by ARN from the URI."""
    physical = {ctx.bucket_name(n): n for n in buckets}
    out: dict[str, BucketRef] = {}
    for m in models:
        for uri in model_uris(m):
            b = uri_bucket(uri)
            if b is None:
                continue
            name = b if b in buckets else physical.get(b) or ctx.declared_bucket(b)
            if name is not None:
                out[name] = buckets[name]
            else:
                out[b] = BucketRef(b, b, f"arn:aws:s3:::{b}")
    return [out[k] for k in sorted(out)]


def model_resources(model: ServedModel) -> dict[str, Any]:
    """Requests = limits (guaranteed QoS for latency); GPUs in both."""
    r = model.resources
    return kx.resources(r.cpu, r.memory, cpu_limit=r.cpu, memory_limit=r.memory, gpu=r.gpu)


def gpu_tolerations(model: ServedModel) -> list[dict[str, Any]]:
    return [dict(kx.GPU_TOLERATION)] if model.resources.gpu > 0 else []


def oci_image(uri: str) -> str:
    if not uri.startswith("oci://"):
        raise ValueError(f"expected an oci://<image>:<tag> model uri, got {uri!r}")
    return kx.pinned_image(uri.removeprefix("oci://"))


def model_container_security(model: ServedModel) -> dict[str, Any]:
    return kx.container_security_context(read_only_root=model.format in READ_ONLY_SERVERS)


def _readiness_path(model: ServedModel) -> str:
    if model.format in ("tensorflow", "pytorch"):
        return f"/v1/models/{model.name}"
    return "/v2/health/ready"


def _kserve_model(ctx: Context, model: ServedModel, uri: str, declared: set[str]) -> tuple[str, Any]:
    """(field, body) of one predictor revision: `model` (format + storageUri) or `containers`."""
    container: dict[str, Any] = {
        "name": "kserve-container",
        "resources": model_resources(model),
        "securityContext": model_container_security(model),
        "env": [{"name": "HOME", "value": "/tmp"}],
        "livenessProbe": kx.tcp_probe(MODEL_PORT, initial_delay=30, period=15),
        "readinessProbe": kx.http_probe(_readiness_path(model), MODEL_PORT, initial_delay=10),
        "volumeMounts": [{"name": kx.TMP_VOLUME, "mountPath": "/tmp"}],
    }
    if model.format == "custom":
        container["image"] = oci_image(uri)
        container["imagePullPolicy"] = "IfNotPresent"
        return "containers", [container]
    container.update({"modelFormat": {"name": KSERVE_FORMATS[model.format]}, "storageUri": resolve_uri(ctx, uri, declared)})
    return "model", container


def inference_log_url(bucket: pulumi.Input[str], model: str) -> pulumi.Output[str]:
    """`bucket`: the bucket resource's name output (or a MinIO name): nothing recomputes it."""
    return pulumi.Output.concat("s3://", bucket, f"/{INFERENCE_LOG_PREFIX}/{model}")


def kserve_predictor(
    ctx: Context, model: ServedModel, pod_labels: dict[str, str], log_bucket: pulumi.Input[str] | None = None
) -> dict[str, Any]:
    """The stable predictor of an InferenceService for `model` (always the stable URI)."""
    key, body = _kserve_model(ctx, model, model.uri, declared_buckets(ctx))
    predictor: dict[str, Any] = {
        "serviceAccountName": SERVICE_ACCOUNT,
        "minReplicas": model.replicas.min,
        "maxReplicas": max(model.replicas.max, model.replicas.min, 1),
        # Standard mode scales with an HPA (autoscalerClass hpa): cpu|memory; Knative's KPA
        # would reject cpu ("[cpu] is not a supported metric", inference_service_validation.go).
        "scaleMetric": "cpu",
        "scaleTarget": 75,
        "labels": dict(pod_labels),
        "securityContext": kx.pod_security_context(),
        "volumes": [{"name": kx.TMP_VOLUME, "emptyDir": {"sizeLimit": "1Gi"}}],
        key: body,
    }
    if log_bucket is not None:
        predictor["logger"] = {"mode": "all", "url": inference_log_url(log_bucket, model.name)}
    tolerations = gpu_tolerations(model)
    if tolerations:
        predictor["tolerations"] = tolerations
    return predictor


def kserve_canary(ctx: Context, model: ServedModel) -> list[dict[str, Any]]:
    """v0.20 `spec.canary`: the new revision as a named predictor with its share of traffic.

    Only the model changes; KServe copies the rest from the stable predictor and runs the
    canary with fixed replicas (no scale fields allowed), ceil(stable min × percent / 100).
    """
    if model.canary is None:
        return []
    assert model.canary is not None
    key, body = _kserve_model(ctx, model, model.canary.uri, declared_buckets(ctx))
    return [{"predictor": {"name": "canary", key: body}, "trafficPercent": traffic_split(model)["canary"]}]


def kserve_annotations(ctx: Context, model: ServedModel) -> dict[str, str]:
    return {
        "serving.kserve.io/deploymentMode": KSERVE_MODE,
        SPLIT_ANNOTATION: split_annotation(traffic_split(model)),
    }


def kserve_endpoint_service(model: str) -> str:
    """mlplat's Service in front of every revision of `model` (stable + canary pods)."""
    return f"{model}-endpoint"


def seldon_graph(ctx: Context, model: ServedModel, uri: str, secret_name: str | None) -> dict[str, Any]:
    if model.format == "custom":
        return {"name": "model", "type": "MODEL", "endpoint": {"type": "REST"}, "children": []}
    server = SELDON_SERVERS.get(model.format)
    if server is None:
        raise ValueError(
            f"serving.models[{model.name}]: format {model.format!r} has no Seldon Core pre-packaged server; "
            "use kserve, or a custom oci:// image"
        )
    declared = declared_buckets(ctx)
    graph: dict[str, Any] = {
        "name": "model",
        "implementation": server,
        "modelUri": resolve_uri(ctx, uri, declared),
        "serviceAccountName": SERVICE_ACCOUNT,
        "children": [],
    }
    if secret_name:
        graph["envSecretRefName"] = secret_name
    return graph


def seldon_predictors(
    ctx: Context, model: ServedModel, pod_labels: dict[str, str], secret_name: str | None
) -> list[dict[str, Any]]:
    """`main` (stable) and, with a canary, `canary` predictors carrying the traffic split."""
    split = traffic_split(model)
    container: dict[str, Any] = {
        "name": "model",
        "resources": model_resources(model),
        "securityContext": model_container_security(model),
        "livenessProbe": kx.tcp_probe(SELDON_MODEL_PORT, initial_delay=60, period=15),
        "readinessProbe": kx.tcp_probe(SELDON_MODEL_PORT, initial_delay=20, period=10),
        "volumeMounts": [{"name": kx.TMP_VOLUME, "mountPath": "/tmp"}],
    }
    predictors = []
    for role, uri in (("main", model.uri), ("canary", model.canary.uri if model.canary else None)):
        if uri is None:
            continue
        c = dict(container)
        if model.format == "custom":
            c["image"] = oci_image(uri)
            c["imagePullPolicy"] = "IfNotPresent"
        pod: dict[str, Any] = {
            "serviceAccountName": SERVICE_ACCOUNT,
            "automountServiceAccountToken": False,
            "securityContext": kx.pod_security_context(),
            "containers": [c],
            "volumes": [{"name": kx.TMP_VOLUME, "emptyDir": {"sizeLimit": "1Gi"}}],
        }
        if gpu_tolerations(model):
            pod["tolerations"] = gpu_tolerations(model)
        main = role == "main"
        lo = model.replicas.min if main else 1
        hi = max(model.replicas.max, lo, 1) if main else max(1, model.replicas.max // 2)
        predictors.append(
            {
                "name": role,
                "replicas": max(lo, 1),
                "traffic": split["stable" if main else "canary"],
                "labels": {**pod_labels, "mlplat.io/revision": "stable" if main else "canary"},
                "graph": seldon_graph(ctx, model, uri, secret_name),
                "componentSpecs": [
                    {
                        "metadata": {"labels": dict(pod_labels)},
                        "spec": pod,
                        "hpaSpec": {
                            "minReplicas": max(lo, 1),
                            "maxReplicas": hi,
                            "metricsv2": [
                                {
                                    "type": "Resource",
                                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 75}},
                                }
                            ],
                        },
                    }
                ],
            }
        )
    return predictors


SELDON_EXECUTOR_PORT = 8000  # the chart's executor.port: the predictor Service's HTTP port


def seldon_endpoint(deployment: str, namespace: str) -> str:
    """The Service the operator creates for the `main` predictor: `<deployment>-<predictor>`
    (operator/apis/machinelearning.seldon.io/v1/seldondeployment_types.go, v1.17.1)."""
    return f"http://{deployment}-main.{namespace}.svc.cluster.local:{SELDON_EXECUTOR_PORT}"


def seldon_router_values(router: str | None) -> dict[str, Any]:
    """Operator values that turn predictor weights into routes (ISTIO_ENABLED / AMBASSADOR_ENABLED)."""
    if router is None:
        return {}
    return {router: {"enabled": True}}


def rclone_env(bucket: BucketRef | None, aws: bool, region: str | None) -> dict[str, Any]:
    """Seldon's storage initializer (rclone) configuration for the `s3://` remote."""
    if aws or bucket is None or bucket.access_key is None:
        env: dict[str, Any] = {"RCLONE_CONFIG_S3_TYPE": "s3", "RCLONE_CONFIG_S3_PROVIDER": "AWS", "RCLONE_CONFIG_S3_ENV_AUTH": "true"}
        if region:
            env["RCLONE_CONFIG_S3_REGION"] = region
        return env
    return {
        "RCLONE_CONFIG_S3_TYPE": "s3",
        "RCLONE_CONFIG_S3_PROVIDER": "Minio",
        "RCLONE_CONFIG_S3_ENV_AUTH": "false",
        "RCLONE_CONFIG_S3_ACCESS_KEY_ID": bucket.access_key,
        "RCLONE_CONFIG_S3_SECRET_ACCESS_KEY": bucket.secret_key,
        "RCLONE_CONFIG_S3_ENDPOINT": bucket.endpoint,
    }


def bento_replicas(model: ServedModel) -> dict[str, tuple[int, int]]:
    """(min, max) per revision: the stable keeps the declared bounds; a canary runs 1..max(1, max//2)."""
    out = {"stable": (max(1, model.replicas.min), max(model.replicas.max, model.replicas.min, 1))}
    if model.canary is not None:
        out["canary"] = (1, max(1, model.replicas.max // 2))
    return out


def nginx_canary_annotations(weight: int) -> dict[str, str]:
    return {"nginx.ingress.kubernetes.io/canary": "true", "nginx.ingress.kubernetes.io/canary-weight": str(weight)}


def network_access(kind: str) -> tenancy.NetworkAccess:
    ports = {"kserve": (MODEL_PORT, KSERVE_AGENT_PORT), "seldon": (8000, 9000, MODEL_PORT), "bentoml": (BENTO_PORT,)}[kind]
    webhooks = {"kserve": (9443,), "seldon": (4443, 9443), "bentoml": ()}[kind]
    return tenancy.NetworkAccess(
        platform_ingress_ports=ports,
        ingress_controller_ports=ports,
        ingress_namespaces=INGRESS_NAMESPACES,
        kube_api=kind != "bentoml",
        webhook_ports=webhooks,
    )


# --------------------------------------------------------------------------- component


@dataclass
class ModelServingArgs:
    ctx: Context
    spec: Serving
    cluster: ClusterRef
    buckets: dict[str, BucketRef]
    # Where KServe's request logger writes (`inference-logs/<model>/`); None: no request logging.
    log_bucket: BucketRef | None = None


class ModelServing(pulumi.ComponentResource):
    """mlplat:index:ModelServing — an operator (KServe/Seldon) or BentoML Deployments, per model."""

    namespace: str
    endpoints: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: ModelServingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplat:index:ModelServing", name, None, opts)
        ctx, spec, cluster = args.ctx, args.spec, args.cluster
        ns_name = kx.namespace_name(ctx, COMPONENT)
        self.namespace = ns_name
        self.endpoints = {}
        # Operator-injected sidecars (queue-proxy, storage initializer, executor) are not all
        # `restricted`-clean: enforce baseline, warn/audit restricted. BentoML is all ours.
        ns = tenancy.namespace(
            ctx, COMPONENT, name, cluster, self, tenancy.cluster_quota(ctx), access=network_access(spec.kind),
            pod_security=tenancy.PSA_RESTRICTED if spec.kind == "bentoml" else tenancy.PSA_BASELINE,
        )  # fmt: skip
        deps: list[pulumi.Resource] = [ns]

        read = bucket_arns_for(ctx, spec.models, args.buckets)
        minio = next((b for b in read if b.access_key is not None), None)
        secrets: list[str] = []
        if minio is not None and spec.kind == "kserve":
            deps.append(self._kserve_s3_secret(name, ctx, cluster, ns_name, minio, [ns]))
            secrets.append(S3_SECRET)
        logs = args.log_bucket if spec.kind == "kserve" else None
        sa = kx.irsa_service_account(
            ctx, COMPONENT, f"{name}-sa", SERVICE_ACCOUNT, ns_name, read, write=False, cluster=cluster, parent=self,
            secrets=secrets, depends_on=deps,
            write_prefix=(logs, f"{INFERENCE_LOG_PREFIX}/") if logs is not None else None,
        )  # fmt: skip
        deps.append(sa)

        if spec.kind == "kserve":
            self._kserve(name, args, ns_name, deps)
        elif spec.kind == "seldon":
            self._seldon(name, args, ns_name, deps, minio)
        else:
            self._bentoml(name, args, ns_name, deps)
        self.register_outputs({"namespace": ns_name, "models": [m.name for m in spec.models]})

    # ------------------------------------------------------------------ shared

    def _kserve_s3_secret(
        self, name: str, ctx: Context, cluster: ClusterRef, ns_name: str, bucket: BucketRef, deps: list[Any]
    ) -> pulumi.Resource:
        """KServe's S3 credentials for MinIO: a Secret with the endpoint annotations, on the SA."""
        assert bucket.access_key is not None and bucket.secret_key is not None
        endpoint = pulumi.Output.from_input(bucket.endpoint or "").apply(
            lambda e: re.sub(r"^https?://", "", str(e))
        )
        https = pulumi.Output.from_input(bucket.endpoint or "").apply(lambda e: "1" if str(e).startswith("https") else "0")
        meta = kx.object_meta(
            ctx, COMPONENT, S3_SECRET, ns_name,
            annotations={"serving.kserve.io/s3-endpoint": endpoint, "serving.kserve.io/s3-usehttps": https},
        )  # fmt: skip
        return k8s.core.v1.Secret(
            f"{name}-s3",
            metadata=kx.wire(meta),
            type="Opaque",
            string_data={"AWS_ACCESS_KEY_ID": secret(bucket.access_key), "AWS_SECRET_ACCESS_KEY": secret(bucket.secret_key)},
            opts=kx.k8s_opts(cluster, self, deps),
        )

    # ------------------------------------------------------------------ kserve

    def _kserve(self, name: str, args: ModelServingArgs, ns_name: str, deps: list[pulumi.Resource]) -> None:
        ctx, spec, cluster = args.ctx, args.spec, args.cluster
        version = spec.version or KSERVE_VERSION
        version = version if version.startswith("v") else f"v{version}"
        cert_manager = [cluster.operators["cert-manager"]] if "cert-manager" in cluster.operators else []
        crds = k8s.helm.v3.Release(
            f"{name}-kserve-crd",
            name="kserve-crd",
            chart=f"{KSERVE_CHARTS}/kserve-crd",
            version=version,
            namespace=ns_name,
            values={},
            opts=kx.k8s_opts(cluster, self, deps[:1]),
        )
        operator = k8s.helm.v3.Release(
            f"{name}-kserve",
            name="kserve",
            chart=f"{KSERVE_CHARTS}/kserve-resources",
            version=version,
            namespace=ns_name,
            values={
                "kserve": {
                    "controller": {
                        "deploymentMode": KSERVE_MODE,
                        "resources": kx.resources("100m", "300Mi", cpu_limit="500m", memory_limit="600Mi"),
                        "labels": ctx.k8s_labels(COMPONENT, "kserve-controller"),
                    },
                    # The webhook Certificate's self-signed Issuer (cert-manager is in the plan).
                    "certManager": {"enabled": True},
                }
            },
            opts=kx.k8s_opts(cluster, self, [*deps[:1], crds, *cert_manager]),
        )
        runtimes = k8s.helm.v3.Release(
            f"{name}-kserve-runtimes",
            name="kserve-runtime-configs",
            chart=f"{KSERVE_CHARTS}/kserve-runtime-configs",
            version=version,
            namespace=ns_name,
            # The ClusterServingRuntimes (sklearn, xgboost, mlserver, triton …) that `modelFormat` picks.
            values={"kserve": {"servingruntime": {"enabled": True}}},
            opts=kx.k8s_opts(cluster, self, [*deps[:1], operator]),
        )
        log_bucket = args.log_bucket.bucket if args.log_bucket is not None else None
        for model in spec.models:
            labels = {**ctx.k8s_labels(COMPONENT, model.name), "mlplat.io/model": model.name}
            isvc_spec: dict[str, Any] = {"predictor": kserve_predictor(ctx, model, labels, log_bucket)}
            canary = kserve_canary(ctx, model)
            if canary:
                isvc_spec["canary"] = canary
            isvc = k8s.apiextensions.CustomResource(
                f"{name}-{model.name}",
                api_version="serving.kserve.io/v1beta1",
                kind="InferenceService",
                metadata=kx.wire(
                    kx.object_meta(ctx, COMPONENT, model.name, ns_name, app=model.name,
                                   labels={"mlplat.io/model": model.name}, annotations=kserve_annotations(ctx, model))
                ),  # fmt: skip
                spec=isvc_spec,
                opts=kx.k8s_opts(cluster, self, [*deps, operator, runtimes]),
            )
            # Stable and canary pods both carry the predictor labels (KServe copies the stable
            # predictor into the canary), so one Service spreads requests over both revisions.
            # With the logger on, requests go through the agent port so that they are logged.
            target = KSERVE_AGENT_PORT if log_bucket is not None else MODEL_PORT
            svc = kserve_endpoint_service(model.name)
            k8s.core.v1.Service(
                f"{name}-{model.name}-endpoint",
                metadata=kx.wire(kx.object_meta(ctx, COMPONENT, svc, ns_name, app=svc, labels={"mlplat.io/model": model.name})),
                spec=kx.wire({"selector": {"mlplat.io/model": model.name, "mlplat.io/component": COMPONENT},
                              "ports": [{"name": "http", "port": 80, "targetPort": target, "protocol": "TCP"}]}),
                opts=kx.k8s_opts(cluster, self, [*deps[:1], isvc]),
            )  # fmt: skip
            self.endpoints[model.name] = pulumi.Output.from_input(
                f"http://{svc}.{ns_name}.svc.cluster.local/v1/models/{model.name}"
            )

    # ------------------------------------------------------------------ seldon

    def _seldon(
        self, name: str, args: ModelServingArgs, ns_name: str, deps: list[pulumi.Resource], minio: BucketRef | None
    ) -> None:
        ctx, spec, cluster = args.ctx, args.spec, args.cluster
        operator = k8s.helm.v3.Release(
            f"{name}-seldon-core",
            name="seldon-core",
            chart=SELDON_CHART,
            version=spec.version or SELDON_VERSION,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=SELDON_REPO),
            namespace=ns_name,
            values={
                "usageMetrics": {"enabled": False},
                "crd": {"create": True},
                "singleNamespace": True,
                "manager": {
                    "cpuRequest": "100m", "cpuLimit": "500m", "memoryRequest": "200Mi", "memoryLimit": "500Mi",
                    "containerSecurityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                                                 "readOnlyRootFilesystem": True, "runAsNonRoot": True},
                },  # fmt: skip
                "executor": {"resources": {"cpuRequest": "100m", "cpuLimit": "500m", "memoryRequest": "128Mi", "memoryLimit": "512Mi"}},
                **seldon_router_values(spec.traffic_router),
            },
            opts=kx.k8s_opts(cluster, self, deps[:1]),
        )
        rclone = k8s.core.v1.Secret(
            f"{name}-storage",
            metadata=kx.wire(kx.object_meta(ctx, COMPONENT, S3_SECRET, ns_name)),
            type="Opaque",
            string_data={k: secret(v) for k, v in rclone_env(minio, ctx.aws, ctx.region).items()},
            opts=kx.k8s_opts(cluster, self, deps[:1]),
        )
        for model in spec.models:
            labels = {**ctx.k8s_labels(COMPONENT, model.name), "mlplat.io/model": model.name}
            split = traffic_split(model)
            k8s.apiextensions.CustomResource(
                f"{name}-{model.name}",
                api_version="machinelearning.seldon.io/v1",
                kind="SeldonDeployment",
                metadata=kx.wire(
                    kx.object_meta(ctx, COMPONENT, model.name, ns_name, app=model.name,
                                   labels={"mlplat.io/model": model.name},
                                   annotations={SPLIT_ANNOTATION: split_annotation(split)})
                ),  # fmt: skip
                spec={"name": model.name, "predictors": seldon_predictors(ctx, model, labels, S3_SECRET)},
                opts=kx.k8s_opts(cluster, self, [*deps, operator, rclone]),
            )
            self.endpoints[model.name] = pulumi.Output.from_input(seldon_endpoint(model.name, ns_name))

    # ------------------------------------------------------------------ bentoml

    def _bentoml(self, name: str, args: ModelServingArgs, ns_name: str, deps: list[pulumi.Resource]) -> None:
        ctx, spec, cluster = args.ctx, args.spec, args.cluster
        for model in spec.models:
            split = traffic_split(model)
            bounds = bento_replicas(model)
            for revision, uri in (("stable", model.uri), ("canary", model.canary.uri if model.canary else None)):
                if uri is None:
                    continue
                app = model.name if revision == "stable" else f"{model.name}-canary"
                logical = f"{name}-{app}"
                selector = {**kx.selector_labels(ctx, COMPONENT, app), "mlplat.io/revision": revision}
                labels = {**ctx.k8s_labels(COMPONENT, app), "mlplat.io/model": model.name, "mlplat.io/revision": revision}
                container = kx.secure_container(
                    "bento",
                    oci_image(uri),
                    ports={"http": BENTO_PORT},
                    env=[kx.env_value("BENTOML_HOME", "/tmp/bentoml"), kx.env_value("HOME", "/tmp")],
                    cpu=model.resources.cpu,
                    memory=model.resources.memory,
                    cpu_limit=model.resources.cpu,
                    memory_limit=model.resources.memory,
                    gpu=model.resources.gpu,
                    liveness=kx.http_probe("/livez", "http", initial_delay=20),
                    readiness=kx.http_probe("/readyz", "http", initial_delay=5),
                )
                pod = kx.pod_spec([container], service_account=SERVICE_ACCOUNT, tolerations=gpu_tolerations(model))
                lo, hi = bounds[revision]
                ann = {SPLIT_ANNOTATION: split_annotation(split)}
                deployment = k8s.apps.v1.Deployment(
                    f"{logical}-deployment",
                    metadata=kx.wire(kx.object_meta(ctx, COMPONENT, app, ns_name, app=app, labels=labels, annotations=ann)),
                    spec=kx.wire(kx.deployment_spec(selector, kx.pod_template(labels, pod), lo)),
                    opts=kx.k8s_opts(cluster, self, deps, autoscaled=True),
                )
                k8s.core.v1.Service(
                    f"{logical}-service",
                    metadata=kx.wire(kx.object_meta(ctx, COMPONENT, app, ns_name, app=app, labels=labels, annotations=ann)),
                    spec=kx.wire(kx.service_spec(selector, {"http": BENTO_PORT})),
                    opts=kx.k8s_opts(cluster, self, deps[:1]),
                )
                k8s.autoscaling.v2.HorizontalPodAutoscaler(
                    f"{logical}-hpa",
                    metadata=kx.wire(kx.object_meta(ctx, COMPONENT, app, ns_name, app=app, labels=labels)),
                    spec=kx.wire(kx.hpa_spec("Deployment", app, lo, hi)),
                    opts=kx.k8s_opts(cluster, self, [deployment]),
                )
                k8s.policy.v1.PodDisruptionBudget(
                    f"{logical}-pdb",
                    metadata=kx.wire(kx.object_meta(ctx, COMPONENT, app, ns_name, app=app, labels=labels)),
                    spec=kx.wire(kx.pdb_spec(selector, lo)),
                    opts=kx.k8s_opts(cluster, self, deps[:1]),
                )
                if ctx.ingress_class:
                    ing_ann = {
                        "nginx.ingress.kubernetes.io/rewrite-target": "/$2",
                        **(nginx_canary_annotations(split["canary"]) if revision == "canary" else {}),
                    }
                    k8s.networking.v1.Ingress(
                        f"{logical}-ingress",
                        metadata=kx.wire(
                            kx.object_meta(ctx, COMPONENT, app, ns_name, app=app, labels=labels, annotations=ing_ann)
                        ),
                        spec=kx.wire(
                            {
                                "ingressClassName": ctx.ingress_class,
                                "rules": [
                                    {
                                        "http": {
                                            "paths": [
                                                {
                                                    "path": f"/{model.name}(/|$)(.*)",
                                                    "pathType": "ImplementationSpecific",
                                                    "backend": {"service": {"name": app, "port": {"name": "http"}}},
                                                }
                                            ]
                                        }
                                    }
                                ],
                            }
                        ),
                        opts=kx.k8s_opts(cluster, self, deps[:1]),
                    )
            self.endpoints[model.name] = pulumi.Output.from_input(
                f"http://{model.name}.{ns_name}.svc.cluster.local:{BENTO_PORT}"
            )


__all__ = [
    "ModelServing", "ModelServingArgs", "bento_replicas", "bucket_arns_for", "gpu_tolerations", "inference_log_url",
    "kserve_annotations", "kserve_canary", "kserve_endpoint_service", "kserve_predictor", "model_resources",
    "network_access", "resolve_uri", "seldon_endpoint", "seldon_predictors", "seldon_router_values", "traffic_split",
    "uri_bucket",
]  # fmt: skip
