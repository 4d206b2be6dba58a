"""Rules that relate fields to each other. Pure functions: (spec) → [(path, message)].

A rule may also name the other fields it `reads`: when the loader had to drop one of
them (it was itself invalid and already reported), the rule's verdict would rest on a
default rather than on what the user wrote, so it is not reported.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import re
from collections.abc import Iterator
from typing import Any, NamedTuple

from mlplat.stacks.platform_spec import eks
from mlplat.stacks.platform_spec.catalog import (
    AIRFLOW_CHARTS,
    GPU_FAMILIES,
    INSTANCE_TYPE_PATTERN,
    KFP_VERSIONS,
    instance_type,
    offered,
    unknown_instance_message,
)
from mlplat.stacks.platform_spec.model import EXPOSABLE, Cluster, PlatformSpec
from mlplat.stacks.platform_spec.names import BUCKET_ACCOUNT_SUFFIX_LEN, BUCKET_NAME_MAX

SpecPath = tuple[str | int, ...]
Issue = tuple[SpecPath, str]
# MLflow runs from upstream's `-full` image (psycopg2, boto3, prometheus-flask-exporter, Flask-WTF),
# published from 3.9.0 on; major 4 is not known yet.
MLFLOW_MIN = (3, 9, 0)
MLFLOW_MAJORS = (3,)
# Feast images live on quay.io/feastdev from 0.47.0 on (earlier ones on Docker Hub; `feast serve
# --metrics` exists from 0.41.0).
FEAST_MIN = (0, 47, 0)


class Finding(NamedTuple):
    path: SpecPath
    message: str
    reads: tuple[SpecPath, ...] = ()


def _dym(value: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def check(spec: PlatformSpec, env: str | None = None) -> list[Issue]:
    return [(f.path, f.message) for f in findings(spec, env)]


def findings(spec: PlatformSpec, env: str | None = None) -> list[Finding]:
    return [f if isinstance(f, Finding) else Finding(*f) for f in _check(spec, env)]


def _check(spec: PlatformSpec, env: str | None) -> Iterator[Issue | Finding]:
    aws = spec.target.provider == "aws"
    buckets = [b.name for b in spec.storage.buckets] if spec.storage else []

    # -- what each component needs
    if spec.target.provider == "kubernetes":  # compose leaves these out with a note instead
        if spec.network is not None:
            yield (
                ("network",),
                "network is only for provider: aws (a kubernetes target brings its own network)",
            )
        if spec.cluster is not None and spec.cluster.node_pools:
            yield (
                ("cluster", "node_pools"),
                "node pools are only managed on provider: aws; on a kubernetes target the cluster exists already",
            )
    if aws:
        for section in ("tracking", "orchestrator", "feature_store", "serving", "monitoring", "data_quality"):
            if getattr(spec, section) is not None and spec.cluster is None and not managed(spec, section) \
                    and not wandb_saas(spec, section):
                yield Finding(
                    (section,),
                    f"{section} on provider: aws needs a cluster section (it runs on Kubernetes)",
                    (("cluster",),),
                )
    if spec.cluster is not None and aws and not spec.cluster.node_pools:
        yield ("cluster", "node_pools"), "a cluster on aws needs at least one node pool"
    if aws:
        yield from _label_tags(spec.metadata.labels)

    # -- names, physical name length
    env_len = len(env) if env else 7
    seen: set[str] = set()
    for i, b in enumerate(spec.storage.buckets if spec.storage else []):
        if b.name in seen:
            yield ("storage", "buckets", i, "name"), f"duplicate bucket name {b.name!r}"
        seen.add(b.name)
        if b.ci is not None and b.purpose != "dvc":
            yield Finding(("storage", "buckets", i, "ci"), "ci applies to buckets with purpose: dvc only",
                          (("storage", "buckets", i, "purpose"),))
        elif b.ci is not None and not aws:
            yield Finding(("storage", "buckets", i, "ci"), "ci (a GitHub OIDC role) is only for provider: aws; "
                          "on kubernetes targets DVC uses MinIO keys", (("target", "provider"),))
        # On aws the name ends in "-" + the 12-digit account ID (names.bucket_name): every account
        # ID has 12 digits, so the length is known here, before any account is.
        physical = len(spec.metadata.name) + env_len + len(b.name) + 2
        form = f"{{platform}}-{{env}}-{b.name}"
        if aws:
            physical += BUCKET_ACCOUNT_SUFFIX_LEN
            form += "-{account_id}"
        if physical > BUCKET_NAME_MAX:
            yield Finding(
                ("storage", "buckets", i, "name"),
                f"physical bucket name {form} would be {physical} characters (max {BUCKET_NAME_MAX})",
                (("metadata", "name"),),
            )
        lc = b.lifecycle
        if lc and lc.expire_noncurrent_days and not b.versioning:
            yield Finding(
                ("storage", "buckets", i, "lifecycle", "expire_noncurrent_days"),
                "expire_noncurrent_days needs versioning: true on this bucket",
                (("storage", "buckets", i, "versioning"),),
            )

    # -- cluster and node pools
    if spec.cluster is not None:
        if aws:
            yield from _kubernetes_version(spec.cluster)
            yield from _api_access(spec.cluster)
        else:
            for key in ("public_access_cidrs", "private_access_cidrs", "admins"):
                if getattr(spec.cluster, key):
                    yield ("cluster", key), f"{key} applies to provider: aws only (a kubernetes target brings its own cluster access)"
            if spec.cluster.public_endpoint:
                yield ("cluster", "public_endpoint"), "public_endpoint applies to provider: aws only"
        pools: set[str] = set()
        for i, pool in enumerate(spec.cluster.node_pools):
            base = ("cluster", "node_pools", i)
            if pool.name in pools:
                yield base + ("name",), f"duplicate node pool name {pool.name!r}"
            pools.add(pool.name)
            if pool.max_size < pool.min_size:
                yield Finding(
                    base + ("max_size",),
                    f"must be >= min_size (got {pool.max_size} < {pool.min_size})",
                    (base + ("min_size",),),
                )
            elif pool.max_size < 1:
                yield base + ("max_size",), "must be >= 1 (a node pool needs room for at least one node)"
            region = getattr(spec.target, "region", None)
            if aws and pool.instance_type not in offered(region).types:
                if not (spec.cluster.allow_unknown_instance_types
                        and re.fullmatch(INSTANCE_TYPE_PATTERN, pool.instance_type)):  # fmt: skip
                    yield base + ("instance_type",), unknown_instance_message(pool.instance_type, region)
                continue  # let through by the escape hatch: advisories() warns
            it = instance_type(pool.instance_type)
            if it is None or not it.hardware_known:
                continue  # hardware not listed: the spec's gpu block is taken as written
            if pool.gpu is not None:
                if not it.gpus:
                    gpu_fams = ", ".join(sorted(GPU_FAMILIES))
                    yield Finding(
                        base + ("gpu",),
                        f"{pool.instance_type} has no GPU; GPU pools use a GPU family ({gpu_fams})",
                        (base + ("instance_type",),),
                    )
                    continue
                if pool.gpu.type is not None and pool.gpu.type.upper() != (it.gpu_type or "").upper():
                    yield Finding(
                        base + ("gpu", "type"),
                        f"{pool.instance_type} carries {it.gpu_type} GPUs, not {pool.gpu.type!r} "
                        f"(the GPU type follows from the instance family; drop gpu.type or change instance_type)",
                        (base + ("instance_type",),),
                    )
                if pool.gpu.count > it.gpus:
                    yield Finding(
                        base + ("gpu", "count"),
                        f"{pool.instance_type} has {it.gpus} GPU(s), gpu.count is {pool.gpu.count}",
                        (base + ("instance_type",),),
                    )

    # -- bucket references
    def ref(path: SpecPath, name: str | None, what: str) -> Iterator[Finding]:
        if name is not None and name not in buckets:
            declared = ", ".join(buckets) if buckets else "none declared"
            yield Finding(
                path,
                f"{what} {name!r} is not a declared bucket (declared: {declared}){_dym(name, buckets)}",
                (("storage", "buckets"),),
            )

    if spec.tracking is not None:
        t = spec.tracking
        yield from ref(("tracking", "artifact_bucket"), t.artifact_bucket, "artifact bucket")
        if t.artifact_bucket is None and not _purpose(spec, "artifacts") and not wandb_saas(spec, "tracking"):
            yield Finding(
                ("tracking",),
                "tracking needs an artifact bucket: set artifact_bucket or declare a bucket with purpose: artifacts",
                (("storage", "buckets"),),
            )
        if t.kind == "mlflow" and t.version is not None:
            yield from _mlflow_version(t.version)
    if spec.feature_store is not None:
        fs = spec.feature_store
        yield from ref(("feature_store", "offline_bucket"), fs.offline_bucket, "offline bucket")
        yield from _feast_version(fs.version)
        if fs.repo is not None and fs.repo.git.ssh:
            yield (
                ("feature_store", "repo", "git", "repo"),
                "the feature repository is cloned over https only (https://host/org/repo.git); ssh is not supported",
            )
        elif fs.repo is not None and fs.repo.git.ssh_key is not None:
            yield ("feature_store", "repo", "git", "ssh_key"), "ssh_key is not used: the feature repository is https"
    if spec.monitoring is not None and spec.monitoring.drift_reports is not None:
        yield from ref(
            ("monitoring", "drift_reports", "bucket"), spec.monitoring.drift_reports.bucket, "report bucket"
        )
    if spec.orchestrator is not None:
        o = spec.orchestrator
        if o.executor is not None and o.kind != "airflow":
            yield Finding(
                ("orchestrator", "executor"),
                f"executor applies to airflow only, not {o.kind}",
                (("orchestrator", "kind"),),
            )
        for key in ("dags", "logs_bucket"):
            if getattr(o, key) is not None and o.kind != "airflow":
                yield Finding(
                    ("orchestrator", key), f"{key} applies to airflow only, not {o.kind}", (("orchestrator", "kind"),)
                )
        if o.kind == "kubeflow-pipelines" and o.version is not None and o.version not in KFP_VERSIONS:
            yield (
                ("orchestrator", "version"),
                f"Kubeflow Pipelines {o.version!r} is not vendored: pin one of {', '.join(KFP_VERSIONS)}"
                f"{_dym(o.version, list(KFP_VERSIONS))}",
            )
        if o.kind == "airflow":
            yield from ref(("orchestrator", "logs_bucket"), o.logs_bucket, "logs bucket")
            if o.version is not None:
                yield from _airflow_version(o.version)
        if o.dags is not None:
            git = o.dags.git
            if git.ssh and git.ssh_key is None:
                yield ("orchestrator", "dags", "git", "ssh_key"), "an ssh repository needs ssh_key (a deploy key reference)"
            if not git.ssh and git.ssh_key is not None:
                yield Finding(
                    ("orchestrator", "dags", "git", "ssh_key"),
                    "ssh_key is only used with ssh repositories (ssh://… or git@host:…); this repo is https",
                    (("orchestrator", "dags", "git", "repo"),),
                )

    # -- serving
    if spec.serving is not None:
        names: set[str] = set()
        pools_ = spec.cluster.node_pools if spec.cluster else []
        gpu_pool = any(
            p.gpu is not None or getattr(instance_type(p.instance_type), "gpus", 0) for p in pools_
        )
        for i, m in enumerate(spec.serving.models):
            base = ("serving", "models", i)
            if m.name in names:
                yield base + ("name",), f"duplicate model name {m.name!r}"
            names.add(m.name)
            if m.replicas.max < m.replicas.min:
                yield Finding(
                    base + ("replicas", "max"),
                    f"must be >= replicas.min (got {m.replicas.max} < {m.replicas.min})",
                    (base + ("replicas", "min"),),
                )
            elif m.replicas.max < 1:
                yield (
                    base + ("replicas", "max"),
                    "must be >= 1 (replicas.min: 0 already allows scaling to zero)",
                )
            # inside the loop: a merge once left it after it, where `m` was unbound (exit 3)
            if aws and m.resources.gpu and not gpu_pool:
                yield Finding(
                    base + ("resources", "gpu"),
                    "the model requests GPUs but no node pool has a GPU instance type",
                    (("cluster",),),
                )
            if m.canary is not None:
                tp = m.canary.traffic_percent
                if not 0 <= tp <= 100:
                    yield base + ("canary", "traffic_percent"), f"must be between 0 and 100 (got {tp:g})"
                if spec.serving.kind == "kserve" and m.format == "custom":
                    # KServe v0.20 rejects spec.canary without a `model` on the stable predictor.
                    yield Finding(
                        base + ("canary",),
                        "KServe canaries need a model format (a stable predictor with a model); "
                        "a custom oci:// image cannot have a canary on kserve (use bentoml)",
                        (base + ("format",),),
                    )
                elif spec.serving.kind == "kserve" and m.replicas.min < 1:
                    # The canary runs ceil(stable minReplicas × percent / 100) fixed pods.
                    yield Finding(
                        base + ("canary",),
                        "a KServe canary runs ceil(replicas.min × traffic_percent / 100) pods: with "
                        "replicas.min 0 it runs none; set replicas.min >= 1",
                        (base + ("replicas", "min"),),
                    )
                if spec.serving.kind == "seldon" and spec.serving.traffic_router is None:
                    # Seldon Core v1 turns predictor `traffic` into routes only through Istio
                    # VirtualServices or Ambassador Mappings; without either, main and canary are
                    # two unrelated Services and the split never happens.
                    yield Finding(
                        base + ("canary",),
                        "a Seldon canary needs Istio or Ambassador to split traffic; set "
                        "serving.traffic_router: istio|ambassador (installed beforehand), or drop the canary",
                        (("serving", "traffic_router"),),
                    )
            if aws and m.resources.gpu and not gpu_pool:
                yield Finding(
                    base + ("resources", "gpu"),
                    "the model requests GPUs but no node pool has a GPU instance type",
                    (("cluster",),),
                )
        kv = spec.serving.version
        if spec.serving.kind == "kserve" and kv is not None:
            m_ = re.fullmatch(r"v?(\d+)\.(\d+)(\.\d+)?", kv)
            # mlplat installs kserve-resources + kserve-runtime-configs (v0.17+) and writes
            # spec.canary, which KServe accepts from v0.20 on.
            if m_ is None or (int(m_.group(1)), int(m_.group(2))) < (0, 20):
                yield (
                    ("serving", "version"),
                    f"KServe {kv!r} is not supported: mlplat installs KServe's v0.20+ charts "
                    "(kserve-resources, kserve-runtime-configs) and Standard-mode canaries; use v0.20.0 or newer",
                )
        if spec.serving.traffic_router is not None and spec.serving.kind != "seldon":
            yield Finding(
                ("serving", "traffic_router"),
                f"traffic_router applies to seldon only, not {spec.serving.kind}",
                (("serving", "kind"),),
            )

    yield from _managed_checks(spec, aws, buckets)
    yield from _wandb_checks(spec)
    # -- the in-cluster database of a kubernetes target has no RDS knobs: refuse them, never ignore them
    if not aws and spec.tracking is not None and spec.tracking.kind == "mlflow":
        for key in ("instance_class", "multi_az", "backup_retention_days", "deletion_protection"):
            if key in spec.tracking.database.model_fields_set:
                yield Finding(
                    ("tracking", "database", key),
                    f"{key} configures RDS (provider: aws); on a {spec.target.provider} target Postgres runs as "
                    "one instance without replicas or managed backups, so it cannot be honoured: remove it",
                )

    # -- ingress
    if spec.ingress is not None:
        yield from _ingress(spec, aws)

    # -- Great Expectations (stacks/platform_spec/stores.py)
    from mlplat.stacks.platform_spec import stores, support

    yield from stores.findings(spec)

    # -- what the generators can build (stacks/platform_spec/support.py)

    yield from support.findings(spec)

    # -- policies
    if spec.policies is not None:
        pid = re.compile(r"(MLP-[A-Z]+-\d{3}|CKV2?_[A-Z0-9_]+|DRIFT(-[A-Z]+)?)")
        for k in spec.policies.levels:
            if not pid.fullmatch(k):
                yield ("policies", "levels", k), f"not a policy ID: {k!r} (e.g. MLP-STO-001, CKV_AWS_18)"
        for i, w in enumerate(spec.policies.waivers):
            if not pid.fullmatch(w.policy):
                yield (
                    ("policies", "waivers", i, "policy"),
                    f"not a policy ID: {w.policy!r} (e.g. MLP-STO-001)",
                )


# Sections whose managed AWS kind runs without a cluster (issue 15: the managed path).
MANAGED_KINDS = {"tracking": "sagemaker-mlflow", "orchestrator": "mwaa", "serving": "sagemaker"}


def managed(spec: PlatformSpec, section: str) -> bool:
    """True when `section` uses a managed AWS service instead of the cluster."""
    kind = getattr(getattr(spec, section, None), "kind", None)
    return kind is not None and MANAGED_KINDS.get(section) == kind


def wandb_saas(spec: PlatformSpec, section: str) -> bool:
    """True when `section` is W&B SaaS: nothing runs on the platform for it."""
    t = spec.tracking
    return section == "tracking" and t is not None and t.kind == "wandb" and t.mode == "saas"


WANDB_FIELDS = ("mode", "base_url", "api_key", "license")


def _wandb_checks(spec: PlatformSpec) -> Iterator[Finding]:
    t = spec.tracking
    if t is None:
        return
    kind = (("tracking", "kind"),)
    if t.kind != "wandb":
        for field in WANDB_FIELDS:
            if _set(t, field):
                yield Finding(("tracking", field), f"{field} applies to tracking.kind wandb only", kind)
        return
    if spec.target.provider == "compose":
        yield Finding(("tracking", "kind"), "wandb does not run on target.provider compose (use mlflow on a laptop, "
                      "or log to W&B from outside the compose stack)", (("target", "provider"),))
    if t.mode is None:
        yield Finding(("tracking",), "tracking.kind wandb needs mode: saas or self-managed", kind)
        return
    mode = (("tracking", "mode"),)
    # MLflow's knobs mean nothing to W&B: refused rather than silently ignored.
    for field in ("version", "replicas", "auth"):
        if _set(t, field):
            yield Finding(("tracking", field), f"{field} applies to tracking.kind mlflow only "
                          "(W&B Server's version follows the pinned operator-wandb chart)", kind)
    if t.mode == "saas":
        for field in ("base_url", "api_key"):
            if getattr(t, field) is None:
                yield Finding(("tracking",), f"wandb mode saas needs {field}", mode)
        for field in ("license", "database", "artifact_bucket"):
            if _set(t, field):
                yield Finding(("tracking", field), f"{field} has no effect on wandb mode saas (nothing is deployed)", mode)
    elif t.license is None:
        yield Finding(("tracking",), "wandb mode self-managed needs license (a secret reference)", mode)


def _set(model: object, field: str) -> bool:
    """Did the spec write `field` (not a default)? Keys with no effect are errors, never ignored."""
    return field in getattr(model, "model_fields_set", set())


def _managed_checks(spec: PlatformSpec, aws: bool, buckets: list[str]) -> Iterator[Issue | Finding]:
    from mlplat.stacks.platform_spec import sagemaker_catalog as smc

    for section, kind in MANAGED_KINDS.items():
        if not aws and managed(spec, section):
            yield Finding((section, "kind"), f"{kind} is an AWS service: it needs target.provider: aws")
    if spec.workspace is not None and not aws:
        yield ("workspace",), "workspace (SageMaker Studio) needs target.provider: aws"

    t = spec.tracking
    if t is not None:
        if t.kind == "sagemaker-mlflow":
            for field in ("replicas", "database", "auth"):
                if _set(t, field):
                    yield Finding((("tracking", field)), f"{field} has no effect on sagemaker-mlflow (AWS runs the server)",
                                  (("tracking", "kind"),))
        elif _set(t, "size"):
            yield Finding(("tracking", "size"), "size applies to tracking.kind sagemaker-mlflow only", (("tracking", "kind"),))

    o = spec.orchestrator
    if o is not None:
        if o.kind == "mwaa":
            versions = smc.mwaa_airflow_versions()
            if o.version is not None and o.version not in versions:
                yield ("orchestrator", "version"), (
                    f"MWAA does not offer Airflow {o.version!r}{_dym(o.version, versions)} (offered: {', '.join(versions)})"
                )
            classes = smc.mwaa_environment_classes()
            if o.environment_class is not None and o.environment_class not in classes:
                yield ("orchestrator", "environment_class"), (
                    f"unknown MWAA environment class {o.environment_class!r}{_dym(o.environment_class, classes)} "
                    f"(one of: {', '.join(classes)})"
                )
            if o.dag_bucket is not None and o.dag_bucket not in buckets:
                yield Finding(("orchestrator", "dag_bucket"),
                              f"DAG bucket {o.dag_bucket!r} is not a declared bucket{_dym(o.dag_bucket, buckets)}",
                              (("storage", "buckets"),))
            if o.dag_bucket is None and not _purpose(spec, "dags"):
                yield Finding(("orchestrator",), "mwaa needs a DAG bucket: set dag_bucket or declare a bucket with purpose: dags",
                              (("storage", "buckets"),))
        else:
            for field in ("environment_class", "max_workers", "dag_bucket"):
                if _set(o, field):
                    yield Finding(("orchestrator", field), f"{field} applies to orchestrator.kind mwaa only",
                                  (("orchestrator", "kind"),))

    sv = spec.serving
    if sv is None:
        return
    for i, m in enumerate(sv.models):
        base = ("serving", "models", i)
        if sv.kind != "sagemaker":
            for field in ("instance_type", "data_capture", "image"):
                if _set(m, field):
                    yield Finding(base + (field,), f"{field} applies to serving.kind sagemaker only", (("serving", "kind"),))
            continue
        if not m.uri.startswith("s3://"):
            yield base + ("uri",), "a SageMaker model is an s3:// URI of a model.tar.gz"
        if m.canary is not None and not m.canary.uri.startswith("s3://"):
            yield base + ("canary", "uri"), "a SageMaker canary model is an s3:// URI of a model.tar.gz"
        if _set(m, "resources"):
            yield base + ("resources",), "resources have no effect on SageMaker (the instance_type sizes the variant)"
        if m.instance_type is not None and not smc.is_hosting_instance_type(m.instance_type):
            sugg = smc.suggest_hosting_instance_type(m.instance_type)
            hint = f"; did you mean {sugg!r}?" if sugg else " (an ml.* SageMaker hosting instance type)"
            yield base + ("instance_type",), f"not a SageMaker hosting instance type: {m.instance_type!r}{hint}"
        if m.image is None and m.instance_type and smc.graviton(m.instance_type):
            yield base + ("instance_type",), (
                f"{m.instance_type} is a Graviton (arm64) type and the framework images are x86: "
                "choose an x86 type or set image to an arm64 build"
            )
        if m.image is None and m.format not in smc.SAGEMAKER_FORMATS:
            yield base + ("format",), (
                f"SageMaker has no framework image for format {m.format!r} "
                f"(framework images: {', '.join(smc.SAGEMAKER_FORMATS)}); set image"
            )
        dc = m.data_capture
        if dc is not None and dc.bucket is not None and dc.bucket not in buckets:
            yield Finding(base + ("data_capture", "bucket"),
                          f"data-capture bucket {dc.bucket!r} is not a declared bucket{_dym(dc.bucket, buckets)}",
                          (("storage", "buckets"),))
        if dc is not None and dc.bucket is None and not _purpose(spec, "artifacts"):
            yield Finding(base + ("data_capture",),
                          "data capture needs a bucket: set data_capture.bucket or declare a bucket with purpose: artifacts",
                          (("storage", "buckets"),))
        if m.replicas.min < 1 and m.replicas.max >= 1:
            yield base + ("replicas", "min"), "a SageMaker real-time endpoint keeps at least 1 instance (min >= 1)"


# What a laptop cannot do, by spec section (validate prints these as notes).
COMPOSE_LEFT_OUT = {
    "network": "no VPC on a laptop; compose makes one private network",
    "cluster": "no node pools, GPUs or autoscaling; every service runs once",
    "orchestrator": "the orchestrator needs a cluster; run pipelines against the local MLflow and Feast",
    "serving": "model servers need a cluster; serve a model locally with `mlflow models serve`",
    "workspace": "SageMaker Studio is an AWS service",
}


def compose_left_out(resolved_spec: Any) -> list[tuple[str, str]]:
    """(section, why) for each declared section the compose target does not run."""
    out = [(s, why) for s, why in COMPOSE_LEFT_OUT.items() if getattr(resolved_spec, s, None) is not None]
    mon = getattr(resolved_spec, "monitoring", None)
    if mon is not None and getattr(mon, "drift_reports", None) is not None:
        out.append(("monitoring.drift_reports", "drift reports run as a cluster CronJob"))
    tr = getattr(resolved_spec, "tracking", None)
    if tr is not None and tr.kind == "mlflow" and tr.auth is not None and tr.auth.kind != "none":
        out.append(("tracking.auth", "MLflow listens on 127.0.0.1 only and runs without a login"))
    return out

def _airflow_version(version: str) -> Iterator[Issue]:
    parts = version.split(".")
    minor = ".".join(parts[:2])
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or minor not in AIRFLOW_CHARTS:
        known = ", ".join(f"{m}.x" for m in AIRFLOW_CHARTS)
        yield ("orchestrator", "version"), f"pin a full Airflow release of {known}, got {version!r}"


def _feast_version(version: str) -> Iterator[Issue]:
    path = ("feature_store", "version")
    parts = version.strip().removeprefix("v").split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        yield path, f"pin a full Feast release like '0.66.0', got {version!r}"
    elif tuple(int(p) for p in parts) < FEAST_MIN:
        yield path, (
            f"Feast {version} is not supported: mlplat runs quay.io/feastdev/feature-server:<version> (published "
            "there from 0.47.0 on) with `feast serve --metrics`; pin 0.47.0 or newer, e.g. '0.66.0'"
        )


def _mlflow_version(version: str) -> Iterator[Issue]:
    path = ("tracking", "version")
    parts = version.strip().removeprefix("v").split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        yield path, f"pin a full MLflow release like '3.18.0', got {version!r}"
        return
    v = tuple(int(p) for p in parts)
    if v < MLFLOW_MIN or v[0] not in MLFLOW_MAJORS:
        yield path, (
            f"MLflow {version} is not supported: mlplat runs ghcr.io/mlflow/mlflow:v<version>-full (it carries "
            "psycopg2, boto3 and prometheus-flask-exporter), published from 3.9.0 on; pin a 3.x release >= 3.9.0, "
            "e.g. '3.18.0'"
        )


def advisories(spec: PlatformSpec) -> list[Finding]:
    """Warnings: what validates but deserves a word (never a reason to fail)."""
    out: list[Finding] = []
    if spec.target.provider != "aws" or spec.cluster is None or not spec.cluster.node_pools:
        return out
    region = getattr(spec.target, "region", None)
    where = offered(region)
    if not where.own:
        out.append(Finding(("target", "region"), f"node pool instance types are checked against {where.note}"))
    for i, pool in enumerate(spec.cluster.node_pools):
        path = ("cluster", "node_pools", i, "instance_type")
        if pool.instance_type not in where.types:
            out.append(Finding(path, (
                f"{pool.instance_type!r} is not in {where.note}; let through by "
                "cluster.allow_unknown_instance_types (cost cannot price it, GPU checks rely on the gpu block)"),
                (("cluster", "allow_unknown_instance_types"),)))  # fmt: skip
        elif pool.instance_type in where.without_price:
            out.append(Finding(path, (
                f"{pool.instance_type} has no on-demand list price in {where.note} (AWS sells it through "
                "capacity blocks or reservations); cost lists it as not priced")))  # fmt: skip
    return out


def _kubernetes_version(cluster: Cluster, today: _dt.date | None = None) -> Iterator[Issue]:
    """EKS creates clusters only of versions in standard or extended support (catalogue: eks.py)."""
    version, path = cluster.kubernetes_version, ("cluster", "kubernetes_version")
    day = today or _dt.date.today()
    status = eks.support(version, day)
    usable = eks.in_support(day)
    newest = eks.default_version(day)
    if status == "unknown":
        yield path, f"unknown Kubernetes version {version!r}{_dym(version, usable)} (EKS creates: {', '.join(usable)})"
    elif status == "unreleased":
        yield path, f"EKS does not offer Kubernetes {version} yet (newest in standard support: {newest})"
    elif status == "ended":
        info = eks.version(version)
        ended = info.end_extended.isoformat() if info else "?"
        yield path, (
            f"EKS no longer creates Kubernetes {version} clusters (extended support ended {ended}); "
            f"use {newest} (EKS creates: {', '.join(usable)})"
        )
    elif status == "extended" and cluster.upgrade_policy == "standard":
        yield path, (
            f"Kubernetes {version} is past standard support: with upgrade_policy: standard EKS upgrades it "
            f"on its own; use {newest}, or set cluster.upgrade_policy: extended (+$0.50 per cluster-hour)"
        )


# AWS tag rules (Tagging AWS resources, "Tag naming limits and requirements"): keys 1-128 and
# values 0-256 characters of letters, digits, spaces and _ . : / = + - @; the aws: prefix is
# AWS's own. The ownership tags (DESIGN 4) are mlplat's: a label must not try to set them.
_TAG_TEXT = re.compile(r"[\w .:/=+\-@]*")
_OWNERSHIP_TAGS = ("mlplat:platform", "mlplat:environment", "mlplat:component", "mlplat:resource", "managed-by")


def _label_tags(labels: dict[str, str]) -> Iterator[Issue]:
    """metadata.labels become tags on every AWS resource: what AWS would refuse at `up` is an error here."""
    for key, value in labels.items():
        path = ("metadata", "labels", key)
        if key in _OWNERSHIP_TAGS:
            yield path, f"label {key!r} is an ownership tag mlplat sets itself (DESIGN 4); choose another key"
        elif key.lower().startswith("aws:"):
            yield path, f"label {key!r}: the aws: prefix is reserved for AWS's own tags"
        elif not 1 <= len(key) <= 128 or not _TAG_TEXT.fullmatch(key):
            yield path, (f"label key {key!r} is not a valid AWS tag key (1-128 letters, digits, spaces "
                         "and _ . : / = + - @)")
        elif len(value) > 256 or not _TAG_TEXT.fullmatch(value):
            yield path, (f"label {key!r}: the value is not a valid AWS tag value (up to 256 letters, "
                         "digits, spaces and _ . : / = + - @)")


def _api_access(cluster: Cluster) -> Iterator[Issue]:
    if cluster.public_endpoint and not cluster.public_access_cidrs:
        yield ("cluster", "public_access_cidrs"), (
            "a public endpoint needs the networks allowed to reach it, e.g. [203.0.113.7/32] "
            "(your office or CI egress address); or set public_endpoint: false and deploy from inside the VPC"
        )
    if cluster.public_access_cidrs and not cluster.public_endpoint:
        yield ("cluster", "public_access_cidrs"), "applies only with public_endpoint: true (the endpoint is private)"


def _ingress(spec: PlatformSpec, aws: bool) -> Iterator[Finding]:
    ing = spec.ingress
    assert ing is not None
    models = [m.name for m in spec.serving.models] if spec.serving else []
    choices = [*EXPOSABLE, *(f"models/{m}" for m in models)]
    for i, item in enumerate(ing.expose):
        path = ("ingress", "expose", i)
        if item in ("data-docs", "data_quality") and spec.data_quality is not None:
            # GX Data Docs are static pages without a login of their own
            yield Finding(path, "Data Docs have no login to put behind the ingress: they stay private (an internal "
                          "Service; reach them with kubectl port-forward, README \"Great Expectations\")")
            continue
        if item not in choices:
            yield Finding(path, f"cannot expose {item!r}{_dym(item, choices)} (can: {', '.join(choices)})")
            continue
        section = {"grafana": "monitoring"}.get(item, item.split("/")[0].replace("models", "serving"))
        if section in MANAGED_KINDS and managed(spec, section):
            yield Finding(path, f"{item} runs as a managed AWS service, not behind the platform's ingress",
                          ((section, "kind"),))  # fmt: skip
        elif getattr(spec, section) is None:
            yield Finding(path, f"{item} is exposed but the spec has no {section} section", ((section,),))
        elif item == "grafana" and spec.monitoring is not None and not spec.monitoring.grafana.enabled:
            yield Finding(path, "grafana is exposed but monitoring.grafana.enabled is false")
        elif item == "tracking" and spec.tracking is not None:
            auth = spec.tracking.auth
            if auth is None or auth.kind == "none":
                yield Finding(
                    path,
                    "an exposed MLflow must require a login: set tracking.auth.kind to basic",
                    (("tracking", "auth"),),
                )
    if ing.expose and aws and ing.certificate_arn is None:
        yield Finding(("ingress", "certificate_arn"), "exposing on aws needs an ACM certificate ARN for TLS")
    if ing.expose and not aws and spec.target.provider == "kubernetes":
        if getattr(spec.target, "ingress_class", None) is None:
            yield Finding(
                ("target", "ingress_class"),
                "ingress.expose on a kubernetes target needs target.ingress_class (the cluster's controller)",
                (("ingress",),),
            )
    if not aws:
        for key in ("certificate_arn", "allowed_cidrs"):
            if getattr(ing, key):
                yield Finding(("ingress", key), f"{key} applies to provider: aws only")
    elif ing.tls_secret is not None:
        yield Finding(("ingress", "tls_secret"), "tls_secret applies to kubernetes targets; on aws use certificate_arn")
    if ing.allowed_cidrs and ing.scheme != "internet-facing":
        yield Finding(("ingress", "allowed_cidrs"), "applies to scheme: internet-facing only (internal is VPC-only)")
    if aws and ing.scheme == "internet-facing" and not ing.allowed_cidrs:
        yield Finding(
            ("ingress", "allowed_cidrs"),
            "an internet-facing load balancer needs the networks allowed to connect (e.g. [203.0.113.0/24]); "
            "use [0.0.0.0/0] to open it to everyone on purpose",
        )


def warnings(spec: PlatformSpec, today: _dt.date | None = None) -> list[Issue]:
    """What validates but costs or risks more than it looks: shown by `mlplat validate`, never fatal."""
    out: list[Issue] = []
    cluster = spec.cluster
    if cluster is not None and spec.target.provider == "aws":
        day = today or _dt.date.today()
        info = eks.version(cluster.kubernetes_version)
        if info is not None and info.support(day) == "extended":
            message = (
                f"Kubernetes {cluster.kubernetes_version} is in EKS extended support until "
                f"{info.end_extended.isoformat()}: +${eks.extended_surcharge_per_hour():.2f} per cluster-hour "
                f"(see `mlplat cost`); upgrade to {eks.default_version(day)}"
            )
            out.append((("cluster", "kubernetes_version"), message))
    return out


def _purpose(spec: PlatformSpec, purpose: str) -> bool:
    return bool(spec.storage and any(b.purpose == purpose for b in spec.storage.buckets))


__all__ = ["MLFLOW_MIN", "Finding", "advisories", "check", "findings", "wandb_saas", "warnings"]
