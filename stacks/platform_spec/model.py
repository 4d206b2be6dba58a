"""The platform spec (DESIGN section 3) as strict pydantic models.

Structural rules live here (types, closed sets, unknown keys); rules that relate
fields to each other live in :mod:`mlplat.stacks.platform_spec.semantic` so that every error can
be reported against the exact node that caused it.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import re
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

API_VERSION = "mlplat.io/v1alpha1"
SUPPORTED_API_VERSIONS = (API_VERSION,)
# Input limits on list lengths (README "Error handling"): validate refuses more, located.
MAX_BUCKETS = 100
MAX_NODE_POOLS = 30
MAX_MODELS = 1_000
DNS_LABEL = re.compile(r"[a-z]([a-z0-9-]*[a-z0-9])?")


class Model(BaseModel):
    # allow_inf_nan=False: .inf or .nan are never meaningful sizes, budgets or percentages.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=False, populate_by_name=True, allow_inf_nan=False)


def _dns_label(value: str, what: str, max_len: int = 63) -> str:
    if not DNS_LABEL.fullmatch(value):
        raise ValueError(
            f"{what} must be a lowercase DNS label (a-z, 0-9, '-', starting with a letter), got {value!r}"
        )
    if len(value) > max_len:
        raise ValueError(f"{what} must be at most {max_len} characters, got {len(value)}")
    return value


# --------------------------------------------------------------------------- secrets


class SecretRef(Model):
    """A credential reference: `{from_env: VAR}` or `{secret_ref: "<store>/<path>"}`. Never a literal."""

    from_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="Env variable")
    secret_ref: str | None = Field(
        default=None, pattern=r"^[a-z0-9-]+/[^#]+(#[^#/]+)?$", description="<store>/<path>[#<property>]"
    )

    @model_validator(mode="before")
    @classmethod
    def _not_literal(cls, v: Any) -> Any:
        # The value is never echoed: a literal here is most likely a real credential.
        if not isinstance(v, dict):
            raise ValueError(
                "credentials must be references, not literals: use {from_env: VAR} or "
                "{secret_ref: '<store>/<path>'}"
            )
        return v

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretRef:
        if (self.from_env is None) == (self.secret_ref is None):
            raise ValueError("give exactly one of from_env or secret_ref")
        return self


# --------------------------------------------------------------------------- metadata / target


class Metadata(Model):
    name: str = Field(description="Platform name: lowercase DNS label, at most 20 characters")
    owner: str | None = Field(default=None, description="Owning team (e-mail or handle)")
    labels: dict[str, str] = Field(default_factory=dict, description="Extra labels, become tags")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _dns_label(v, "metadata.name", 20)


class AwsTarget(Model):
    provider: Literal["aws"]
    region: str = Field(default="us-east-1", description="AWS region, e.g. us-east-1")

    @field_validator("region")
    @classmethod
    def _region(cls, v: str) -> str:
        known = aws_regions()
        if v not in known:
            import difflib

            close = difflib.get_close_matches(v, known, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else " (e.g. us-east-1, eu-west-1)"
            raise ValueError(f"unknown AWS region {v!r}{hint}")
        return v


@cache
def aws_regions() -> tuple[str, ...]:
    """Every region of every AWS partition (aws, aws-cn, aws-us-gov, …), from botocore's
    endpoints.json kept as data (aws_regions.json; tests/upstream/aws-regions/PROVENANCE.md)."""
    import json
    from importlib import resources

    data = json.loads((resources.files("mlplat.stacks.platform_spec") / "aws_regions.json").read_text("utf-8"))
    return tuple(r for regions in data["partitions"].values() for r in regions)


class KubernetesTarget(Model):
    provider: Literal["kubernetes"]
    context: str | None = Field(default=None, description="kubeconfig context of the existing cluster")
    storage_class: str | None = Field(default=None, description="StorageClass for volumes")
    ingress_class: str | None = Field(default=None, description="IngressClass for exposed services")


class ComposeTarget(Model):
    provider: Literal["compose"]
    project_name: str | None = Field(
        default=None, description="docker compose project name (default: {platform}-{env})"
    )

    @field_validator("project_name")
    @classmethod
    def _project(cls, v: str | None) -> str | None:
        # compose project names: lowercase letters, digits, dashes and underscores, starting alphanumeric
        if v is not None and not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,62}", v):
            raise ValueError(f"not a compose project name: {v!r} (lowercase letters, digits, '-', '_')")
        return v


Target = Annotated[AwsTarget | KubernetesTarget | ComposeTarget, Field(discriminator="provider")]


# --------------------------------------------------------------------------- network / storage


class Network(Model):
    cidr: str = Field(default="10.0.0.0/16", description="VPC CIDR block")
    az_count: int = Field(default=2, ge=1, le=6, description="Availability zones to spread over")
    nat: Literal["none", "single", "per-az"] = Field(default="single", description="NAT gateway layout")

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, v: str) -> str:
        try:
            net = ipaddress.IPv4Network(v, strict=True)
        except ValueError as exc:
            raise ValueError(f"not a valid IPv4 CIDR block: {v!r} ({exc})") from None
        if not 16 <= net.prefixlen <= 24:
            raise ValueError(f"VPC CIDR prefix must be between /16 and /24, got /{net.prefixlen}")
        return v


class Lifecycle(Model):
    expire_noncurrent_days: int | None = Field(default=None, ge=1)
    expire_days: int | None = Field(default=None, ge=1)
    transition_ia_days: int | None = Field(default=None, ge=30)


BucketPurpose = Literal[
    "artifacts", "dvc", "datasets", "feature-offline", "data-docs", "drift-reports", "logs", "dags", "general"
]


class BucketCi(Model):
    github: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$",
        description="GitHub repository 'org/repo' whose Actions may assume a role scoped to this bucket (OIDC)",
    )


class Bucket(Model):
    name: str = Field(description="Short name; the physical name is {platform}-{env}-{name}")
    purpose: BucketPurpose = "general"
    versioning: bool = False
    lifecycle: Lifecycle | None = None
    ci: BucketCi | None = Field(
        default=None,
        description="aws, purpose dvc only: an IAM role CI assumes through GitHub's OIDC provider "
        "(token.actions.githubusercontent.com, which must already exist in the account) to push and pull DVC data",
    )

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _dns_label(v, "bucket name", 30)


class Storage(Model):
    encryption: Literal["kms", "provider"] = Field(
        default="kms", description="kms: a platform KMS key (rotation on); provider: provider-managed keys"
    )
    # Input limit (README "Error handling"): each bucket is ~8 resources; 1,000 buckets took 44 s
    # and 680 MB to plan. 100 is far beyond any platform's needs and plans in seconds.
    buckets: list[Bucket] = Field(default_factory=list, max_length=MAX_BUCKETS)


# --------------------------------------------------------------------------- cluster


class Gpu(Model):
    count: int = Field(default=1, ge=1, le=16)
    type: str | None = Field(default=None, description="Derived from the instance family; only to double-check")


class Taint(Model):
    key: str
    value: str = ""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] = "NoSchedule"


class NodePool(Model):
    name: str
    instance_type: str
    min_size: int = Field(default=1, ge=0)
    # >= 1 and >= min_size are checked in semantic.py, so max_size: 0 under min_size: 2 reads
    # "must be >= min_size (got 0 < 2)", the actual mistake.
    max_size: int = Field(default=3, ge=0)
    capacity: Literal["on-demand", "spot"] = "on-demand"
    gpu: Gpu | None = None
    disk_gb: int = Field(default=100, ge=20, le=16384)
    labels: dict[str, str] = Field(default_factory=dict)
    taints: list[Taint] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _dns_label(v, "node pool name", 30)


class Quota(Model):
    cpu: str | None = None
    memory: str | None = None
    gpu: int | None = Field(default=None, ge=0)


def _ipv4_cidr(v: str) -> str:
    try:
        ipaddress.IPv4Network(v, strict=True)
    except ValueError as exc:
        raise ValueError(f"not a valid IPv4 CIDR block: {v!r} ({exc})") from None
    return v


def _iam_principal(v: str) -> str:
    # Access entries take IAM roles and users; an STS assumed-role session ARN expires with the
    # session, and EKS refuses it: ask for the role itself.
    if re.fullmatch(r"arn:aws[a-z-]*:sts::\d{12}:assumed-role/.+", v):
        raise ValueError(f"{v!r} is an STS session; name the IAM role (arn:aws:iam::ACCOUNT:role/NAME) instead")
    if not re.fullmatch(r"arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]{1,512}", v):
        raise ValueError(
            f"not an IAM role or user ARN: {v!r} (e.g. arn:aws:iam::123456789012:role/ci-deployer)"
        )
    return v


Cidr = Annotated[str, AfterValidator(_ipv4_cidr)]
IamPrincipal = Annotated[str, AfterValidator(_iam_principal)]


def _default_kubernetes_version() -> str:
    from mlplat.stacks.platform_spec.eks import default_version

    return default_version()


class Cluster(Model):
    kubernetes_version: str = Field(
        default_factory=_default_kubernetes_version,
        description="Kubernetes minor version, e.g. '1.35' (default: the newest in EKS standard support today)",
    )
    upgrade_policy: Literal["standard", "extended"] = Field(
        default="standard",
        description="aws: at the end of standard support EKS upgrades the cluster (standard) or keeps it "
        "in extended support at +$0.50 per cluster-hour (extended)",
    )
    public_endpoint: bool = Field(default=False, description="aws: also expose the API endpoint publicly")
    public_access_cidrs: list[Cidr] = Field(
        default_factory=list,
        description="aws, required with public_endpoint: the networks that may reach the public endpoint",
    )
    private_access_cidrs: list[Cidr] = Field(
        default_factory=list,
        description="aws: networks routed to the VPC (VPN, a peered CI runner subnet) that may reach the "
        "private endpoint; the VPC itself always may",
    )
    admins: list[IamPrincipal] = Field(
        default_factory=list,
        description="aws: IAM role ARNs (a CI role, an SSO role) given cluster-admin access entries",
    )
    # EKS allows 30 managed node groups per cluster (service quota); more could never apply.
    node_pools: list[NodePool] = Field(default_factory=list, max_length=MAX_NODE_POOLS)
    quota: Quota | None = Field(default=None, description="Namespace resource quota per mlplat namespace")
    allow_unknown_instance_types: bool = Field(
        default=False,
        description="Let node pools use instance types missing from mlplat's price-list snapshot of the "
        "region (a family newer than the snapshot), with a warning instead of an error",
    )

    @field_validator("kubernetes_version")
    @classmethod
    def _version(cls, v: str) -> str:
        if not re.fullmatch(r"1\.\d{2}", v):
            raise ValueError(f"kubernetes_version must look like '1.31' (a quoted string), got {v!r}")
        return v


# --------------------------------------------------------------------------- components


class Database(Model):
    instance_class: str = Field(default="db.t4g.medium", description="RDS instance class (aws)")
    storage_gb: int = Field(default=20, ge=5, le=65536)
    multi_az: bool = False
    backup_retention_days: int = Field(default=7, ge=0, le=35)
    deletion_protection: bool = False


class TrackingAuth(Model):
    # oidc is not offered: MLflow has no built-in OIDC and mlplat generates no auth proxy yet,
    # so it is refused by validate (an unknown value) rather than failing at plan time.
    kind: Literal["none", "basic"] = Field(
        default="basic", description="none, or basic (MLflow's built-in auth; users kept in its database)"
    )
    admin_password: SecretRef | None = Field(
        default=None,
        description="basic: the admin password as {from_env: VAR} (read at deploy time); unset: generated",
    )


class Tracking(Model):
    kind: Literal["mlflow", "sagemaker-mlflow", "wandb"] = Field(
        default="mlflow",
        description="mlflow: MLflow on the cluster; sagemaker-mlflow: SageMaker managed MLflow (aws, no cluster); "
        "wandb: Weights & Biases (see mode)",
    )
    mode: Literal["saas", "self-managed"] | None = Field(
        default=None,
        description="wandb only (required): saas = nothing deployed, workloads get base_url and api_key; "
        "self-managed = W&B Server on the cluster (chart operator-wandb) with MySQL and the artifact bucket",
    )
    base_url: str | None = Field(
        default=None,
        description="wandb only: the W&B URL workloads log to (saas: required, e.g. https://api.wandb.ai; "
        "self-managed: the public host users reach, default the in-cluster service)",
    )
    api_key: SecretRef | None = Field(
        default=None, description="wandb only: API key for workloads, a secret reference (saas: required)"
    )
    license: SecretRef | None = Field(
        default=None, description="wandb self-managed only (required): the W&B Server license, a secret reference"
    )
    size: Literal["Small", "Medium", "Large"] | None = Field(
        default=None, description="sagemaker-mlflow only: tracking server size (default Small)"
    )
    version: str | None = Field(
        default=None,
        description="MLflow version. kind mlflow: 3.9.0 or newer (default 3.18.0), pins the image "
        "ghcr.io/mlflow/mlflow:v<version>-full; kind sagemaker-mlflow: default is AWS's current version",
    )
    replicas: int = Field(default=1, ge=1, le=20)
    database: Database = Field(default_factory=Database)
    artifact_bucket: str | None = Field(default=None, description="Name of a declared bucket")
    auth: TrackingAuth | None = None

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, v: str | None) -> str | None:
        # Reaches pods as an env value: a plain http(s) URL without credentials or whitespace.
        if v is not None and not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?(/[A-Za-z0-9._~/-]*)?", v):
            raise ValueError(f"base_url must be an http(s) URL without credentials, got {v!r}")
        return v


# Used with fullmatch (a `$` anchor would admit a trailing newline).
GIT_REPO = re.compile(r"https://[^\s@/]+/\S+|ssh://[^\s/]+/\S+|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:\S+")
GIT_BRANCH = re.compile(r"(?!-)(?!.*\.\.)[A-Za-z0-9._/-]{1,200}")


class GitSource(Model):
    """Files from a Git repository (Airflow DAGs by git-sync, a Feast feature repository by clone)."""

    repo: str = Field(
        description="Repository URL: https://host/org/repo.git (public, or credentials in the URL are refused), "
        "ssh://git@host/org/repo.git or git@host:org/repo.git (then ssh_key is required)"
    )
    branch: str = Field(default="main", description="Branch to follow")
    subpath: str = Field(default="", description="Folder of the repository that holds the files (relative)")
    ssh_key: SecretRef | None = Field(default=None, description="Private SSH deploy key, for ssh repositories")

    @field_validator("repo")
    @classmethod
    def _repo(cls, v: str) -> str:
        if not GIT_REPO.fullmatch(v):
            raise ValueError(
                f"not a Git repository URL: {v!r} (use https://host/org/repo.git, ssh://git@host/org/repo.git "
                "or git@host:org/repo.git)"
            )
        return v

    @field_validator("branch")
    @classmethod
    def _branch(cls, v: str) -> str:
        if not GIT_BRANCH.fullmatch(v):
            raise ValueError(f"not a Git branch name: {v!r}")
        return v

    @field_validator("subpath")
    @classmethod
    def _subpath(cls, v: str) -> str:
        if v.startswith("/") or ".." in v.split("/") or not re.fullmatch(r"[A-Za-z0-9._/-]*", v):
            raise ValueError(f"subpath must be a relative folder inside the repository, got {v!r}")
        return v.strip("/")

    @property
    def ssh(self) -> bool:
        return not self.repo.startswith("https://")


class Dags(Model):
    git: GitSource = Field(description="git-sync from a repository")


class Orchestrator(Model):
    kind: Literal["airflow", "kubeflow-pipelines", "mwaa"] = Field(
        description="airflow / kubeflow-pipelines on the cluster; mwaa: Amazon Managed Workflows for Apache Airflow"
    )
    version: str | None = Field(
        default=None,
        description="A full release: Airflow 2.6-2.10 or 3.0 (e.g. 2.10.3), Kubeflow Pipelines e.g. 2.3.0; "
        "unset: mlplat's pinned default",
    )
    executor: Literal["kubernetes", "celery", "local"] | None = None
    environment_class: str | None = Field(
        default=None, description="mwaa only: mw1.micro, mw1.small (default), mw1.medium, mw1.large, mw1.xlarge, mw1.2xlarge"
    )
    max_workers: int | None = Field(default=None, ge=1, le=25, description="mwaa only: autoscaling ceiling (default 10)")
    dag_bucket: str | None = Field(
        default=None, description="mwaa only: a declared bucket holding dags/ (default: the first bucket of purpose dags)"
    )
    dags: Dags | None = Field(default=None, description="airflow: where DAG files come from (git-sync)")
    logs_bucket: str | None = Field(
        default=None,
        description="airflow: declared bucket for task logs (default: the bucket with purpose: logs, else the "
        "artifact bucket); logs go to s3://<bucket>/airflow/logs",
    )


class Redis(Model):
    node_type: str = Field(default="cache.t4g.small", description="ElastiCache node type (aws)")
    num_nodes: int = Field(default=1, ge=1, le=6)


class FeatureRepo(Model):
    git: GitSource = Field(description="The feature repository (Python definitions): cloned, then `feast apply`")


class FeatureStore(Model):
    kind: Literal["feast"] = "feast"
    version: str = Field(
        default="0.66.0", description="Feast version, 0.47.0 or newer; pins quay.io/feastdev/feature-server:<version>"
    )
    repo: FeatureRepo | None = Field(
        default=None,
        description="Where the feature definitions live: applied to the registry before the feature server starts "
        "and before every materialization",
    )
    online_store: Literal["redis", "postgres"] = "redis"
    offline_bucket: str | None = None
    redis: Redis = Field(default_factory=Redis)
    materialize_schedule: str = "0 * * * *"


class Replicas(Model):
    min: int = Field(default=1, ge=0)
    max: int = Field(default=1, ge=0)  # >= 1 and >= min: semantic.py (see NodePool.max_size)


class Resources(Model):
    cpu: str | int | float = "500m"
    memory: str = "1Gi"
    gpu: int = Field(default=0, ge=0, le=16)

    @field_validator("memory")
    @classmethod
    def _memory(cls, v: str) -> str:
        if not re.fullmatch(r"\d+(\.\d+)?(Ki|Mi|Gi|Ti|k|M|G|T)?", v):
            raise ValueError(f"not a Kubernetes memory quantity: {v!r} (e.g. 512Mi, 2Gi)")
        return v

    @field_validator("cpu")
    @classmethod
    def _cpu(cls, v: str | float) -> str | int | float:
        if isinstance(v, str) and not re.fullmatch(r"\d+(\.\d+)?m?", v):
            raise ValueError(f"not a Kubernetes CPU quantity: {v!r} (e.g. 500m, '2')")
        if not isinstance(v, str) and v <= 0:
            raise ValueError("cpu must be positive")
        return v


class Canary(Model):
    uri: str
    traffic_percent: float = Field(description="Share of traffic (0-100) sent to the canary")


ModelFormat = Literal[
    "sklearn", "xgboost", "lightgbm", "pytorch", "tensorflow", "onnx", "triton", "huggingface", "mlflow", "custom"
]


class DataCapture(Model):
    sampling_percent: int = Field(
        default=20, ge=1, le=100, description="Share of requests (and responses) captured to the bucket"
    )
    bucket: str | None = Field(default=None, description="A declared bucket (default: the artifact bucket)")


class ServedModel(Model):
    name: str
    format: ModelFormat
    uri: str = Field(
        description="Model location: s3://, gs://, pvc://, http(s)://, hf:// for kserve and seldon; "
        "oci://<image>:<tag> for bentoml and for format custom"
    )
    replicas: Replicas = Field(default_factory=Replicas)
    resources: Resources = Field(default_factory=Resources)
    canary: Canary | None = None
    instance_type: str | None = Field(
        default=None, description="serving.kind sagemaker only: an ml.* hosting instance type"
    )
    data_capture: DataCapture | None = Field(
        default=None, description="serving.kind sagemaker only: capture requests and responses to a bucket"
    )
    image: str | None = Field(
        default=None, description="serving.kind sagemaker only: container image (default: the framework image for format)"
    )

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _dns_label(v, "model name", 40)

    @field_validator("uri")
    @classmethod
    def _uri(cls, v: str) -> str:
        if not re.fullmatch(r"(s3|gs|pvc|https?|oci|hf)://\S+", v):
            raise ValueError(f"model uri must start with s3://, gs://, pvc://, https://, oci:// or hf://, got {v!r}")
        return v


class Serving(Model):
    kind: Literal["kserve", "seldon", "bentoml", "sagemaker"] = Field(
        description="kserve / seldon / bentoml on the cluster; sagemaker: SageMaker real-time endpoints (aws, no cluster)"
    )
    version: str | None = None
    # Input limit: 800 models (1,009 resources) plan in ~3.3 s (README "Performance").
    models: list[ServedModel] = Field(default_factory=list, max_length=MAX_MODELS)
    traffic_router: Literal["istio", "ambassador"] | None = Field(
        default=None,
        description="Seldon only: the Istio or Ambassador installation (a prerequisite mlplat does not "
        "install) that applies predictor traffic weights; a Seldon canary needs one",
    )


class Prometheus(Model):
    retention_days: int = Field(default=15, ge=1, le=3650)
    storage_gb: int = Field(default=50, ge=1)


class Grafana(Model):
    enabled: bool = True
    admin_password: SecretRef | None = None


class DriftReports(Model):
    kind: Literal["evidently"] = "evidently"
    schedule: str = "0 3 * * *"
    bucket: str | None = Field(default=None, description="Declared bucket for reports (default: artifacts)")
    image: str | None = Field(
        default=None,
        description="Prebuilt job image with python and evidently[s3]==0.7.23 (air-gapped clusters); "
        "default: python:3.12-slim-bookworm, installing evidently from PyPI at start",
    )

    @field_validator("image")
    @classmethod
    def _image(cls, v: str | None) -> str | None:
        if v is None:
            return v
        last = v.rsplit("/", 1)[-1]
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/:@-]*", v) or ("@sha256:" not in v and (
            ":" not in last or last.endswith(":latest"))):  # fmt: skip
            raise ValueError(f"image must be pinned by tag (not latest) or digest, got {v!r}")
        return v

    @field_validator("schedule")
    @classmethod
    def _cron(cls, v: str) -> str:
        if len(v.split()) != 5:
            raise ValueError(f"schedule must be a 5-field cron expression, got {v!r}")
        return v


class Alerts(Model):
    slack_webhook: SecretRef | None = None
    pagerduty_key: SecretRef | None = None
    email: list[str] = Field(default_factory=list)


class Monitoring(Model):
    prometheus: Prometheus = Field(default_factory=Prometheus)
    grafana: Grafana = Field(default_factory=Grafana)
    drift_reports: DriftReports | None = None
    alerts: Alerts | None = None


EXPOSABLE = ("tracking", "orchestrator", "grafana")


class Ingress(Model):
    """One entry point for what the spec exposes; everything else stays inside the cluster."""

    host: str = Field(description="DNS name the platform answers on (the DNS record is managed outside mlplat)")
    certificate_arn: str | None = Field(
        default=None, description="aws: ACM certificate ARN for TLS on the load balancer (required on aws)"
    )
    tls_secret: str | None = Field(
        default=None, description="kubernetes: name of a TLS Secret (kubernetes.io/tls) in each exposed namespace"
    )
    scheme: Literal["internal", "internet-facing"] = Field(
        default="internal", description="aws: load balancer reachable from the VPC only, or from the internet"
    )
    allowed_cidrs: list[Cidr] = Field(
        default_factory=list, description="aws, internet-facing: the networks allowed to connect"
    )
    expose: list[str] = Field(
        default_factory=list,
        description="What to publish: tracking, orchestrator, grafana, models/<name>; nothing else is exposed",
    )

    @field_validator("host")
    @classmethod
    def _host(cls, v: str) -> str:
        if not re.fullmatch(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}", v):
            raise ValueError(f"not a DNS host name: {v!r} (e.g. ml.acme.example)")
        return v

    @field_validator("certificate_arn")
    @classmethod
    def _cert(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}", v):
            raise ValueError(
                f"not an ACM certificate ARN: {v!r} (arn:aws:acm:REGION:ACCOUNT:certificate/UUID)"
            )
        return v

    @field_validator("tls_secret")
    @classmethod
    def _secret(cls, v: str | None) -> str | None:
        return None if v is None else _dns_label(v, "tls_secret", 253)


class Budget(Model):
    monthly_usd: float = Field(gt=0)
    max_increase_percent: float | None = Field(default=None, ge=0)


class Waiver(Model):
    policy: str = Field(description="Policy ID, e.g. MLP-STO-002")
    resource: str = Field(description="Resource name glob, e.g. 'churn-dev-*'")
    reason: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    expires: _dt.date

    @field_validator("expires", mode="before")
    @classmethod
    def _date(cls, v: Any) -> Any:
        if isinstance(v, _dt.datetime):
            return v.date()
        if isinstance(v, str):
            try:
                return _dt.date.fromisoformat(v)
            except ValueError:
                raise ValueError(f"expires must be a date like 2026-12-31, got {v!r}") from None
        return v


PolicyLevel = Literal["mandatory", "advisory", "disabled"]


class Policies(Model):
    levels: dict[str, PolicyLevel] = Field(default_factory=dict, description="Policy ID → enforcement level")
    waivers: list[Waiver] = Field(default_factory=list)


class Usage(Model):
    """Usage assumptions for cost estimates (all optional)."""

    autoscale_fraction: float | None = Field(
        default=None, ge=0, le=1, description="Share of the month an autoscaling pool runs above its minimum"
    )
    storage_gb: dict[str, float] = Field(default_factory=dict, description="Stored GB per bucket name")
    nat_gb_per_month: float | None = Field(default=None, ge=0)
    s3_requests_per_month: float | None = Field(default=None, ge=0)
    k8s_rates: dict[str, float] = Field(
        default_factory=dict, description="kubernetes targets: vcpu_hour, gib_hour, gpu_hour, storage_gb_month"
    )
    spot_discount: float | None = Field(
        default=None, ge=0, lt=1, description="Average spot discount off on-demand (default: the price catalogue's)"
    )
    logs_gb_per_month: float | None = Field(default=None, ge=0, description="GB ingested per log group per month")
    lb_lcu_per_hour: float | None = Field(default=None, ge=0, description="Average load balancer capacity units")
    job_minutes: float | None = Field(default=None, ge=0, description="Average minutes one CronJob run takes")
    internet_egress_gb_per_month: float | None = Field(
        default=None, ge=0, le=1e9, description="GB the platform sends to the internet per month (aws)"
    )
    nat_egress_share: float | None = Field(
        default=None, ge=0, le=1, description="Share of the GB through NAT gateways that leaves for the internet"
    )
    cross_az_gb_per_month: float | None = Field(
        default=None, ge=0, le=1e9, description="GB crossing availability zones per month (each GB billed out and in)"
    )
    db_backup_change_per_day: float | None = Field(
        default=None, ge=0, le=1, description="Share of a database that changes per day (backup storage)"
    )

    @field_validator("k8s_rates")
    @classmethod
    def _rates(cls, v: dict[str, float]) -> dict[str, float]:
        known = ("vcpu_hour", "gib_hour", "gpu_hour", "storage_gb_month", "load_balancer_hour")
        for key, rate in v.items():
            if key not in known:
                import difflib

                close = difflib.get_close_matches(key, known, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ValueError(f"unknown rate {key!r}{hint} (known: {', '.join(known)})")
            if rate < 0:
                raise ValueError(f"rate {key!r} must be >= 0 (got {rate})")
        return v


class DataQuality(Model):
    """Great Expectations: stores and Data Docs in a `data-docs` bucket, config for the orchestrator."""

    kind: Literal["great-expectations"] = Field(
        default="great-expectations", description="great-expectations: GX Core (the open-source library)"
    )
    version: str = Field(
        default="1.24.1", description="GX Core release the config is written for (config_version 4), e.g. 1.24.1"
    )
    bucket: str | None = Field(
        default=None, description="A declared bucket of purpose data-docs (default: the first one declared)"
    )


class VaultAuth(Model):
    """How the External Secrets Operator logs in to Vault."""

    kind: Literal["kubernetes", "approle"] = Field(
        description="kubernetes: the operator's ServiceAccount token against a Vault role; approle: a role ID and secret ID"
    )
    role: str | None = Field(
        default=None, description="kubernetes: the Vault role bound to the operator's ServiceAccount (required)"
    )
    mount_path: str | None = Field(
        default=None, description="Where the auth method is mounted in Vault (default: kubernetes, or approle)"
    )
    role_id: str | None = Field(default=None, description="approle: the role ID (not a secret; required)")
    secret_id: SecretRef | None = Field(
        default=None,
        description="approle: the secret ID, {from_env: VAR} or {secret_ref: 'kubernetes/<secret>/<key>'} (required)",
    )

    @field_validator("role", "mount_path", "role_id")
    @classmethod
    def _plain(cls, v: str | None) -> str | None:
        # Vault role names, mount paths and role IDs: no spaces, quotes or URL syntax.
        if v is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,127}", v):
            raise ValueError(f"letters, digits, '.', '_', '-' and '/' only (at most 128), got {v!r}")
        return v


class Vault(Model):
    address: str = Field(description="Vault server URL, e.g. https://vault.example:8200 (https unless allow_http)")
    path: str = Field(default="secret", description="Mount path of the KV secrets engine (default: secret)")
    kv_version: Literal["v1", "v2"] = Field(default="v2", description="KV engine version (default: v2)")
    namespace: str | None = Field(default=None, description="Vault Enterprise namespace")
    auth: VaultAuth = Field(description="How the operator logs in: {kind: kubernetes, role} or {kind: approle, role_id, secret_id}")
    allow_http: bool = Field(
        default=False, description="Allow an http:// address (tokens and secrets cross the network in clear; refused by policy in prod)"
    )

    @field_validator("address")
    @classmethod
    def _address(cls, v: str) -> str:
        if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?/?", v):
            raise ValueError(f"address must be a URL like https://vault.example:8200 (no path or credentials), got {v!r}")
        return v

    @field_validator("path", "namespace")
    @classmethod
    def _path(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,127}", v):
            raise ValueError(f"letters, digits, '.', '_', '-' and '/' only (at most 128), got {v!r}")
        return v


class Secrets(Model):
    """Secret stores that `{secret_ref: "<store>/<path>"}` references resolve through."""

    vault: Vault | None = Field(
        default=None, description="HashiCorp Vault: a ClusterSecretStore named `vault` for secret_ref 'vault/<path>'"
    )


# --------------------------------------------------------------------------- the platform

SECTION_KEYS = (
    "target", "network", "storage", "cluster", "tracking", "orchestrator", "feature_store",
    "serving", "monitoring", "workspace", "ingress", "budget", "policies", "usage", "data_quality", "secrets",
)  # fmt: skip
class Workspace(Model):
    kind: Literal["sagemaker-studio"] = Field(default="sagemaker-studio", description="sagemaker-studio: a Studio domain (VPC only, IAM auth)")
    users: list[str] = Field(default_factory=list, description="A Studio user profile per name")

    @field_validator("users")
    @classmethod
    def _users(cls, v: list[str]) -> list[str]:
        for u in v:
            if not re.fullmatch(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", u):
                raise ValueError(f"user names are lowercase letters, digits and '-' (at most 63), got {u!r}")
        return v


COMPONENTS = (
    "storage", "network", "cluster", "tracking", "orchestrator", "feature_store", "serving", "monitoring", "workspace",
)  # fmt: skip


class PlatformSpec(Model):
    """A whole ML platform: every component section is optional."""

    apiVersion: str = Field(description=f"Spec version; supported: {', '.join(SUPPORTED_API_VERSIONS)}")
    kind: Literal["Platform"]
    metadata: Metadata
    target: Target
    network: Network | None = None
    storage: Storage | None = None
    cluster: Cluster | None = None
    tracking: Tracking | None = None
    orchestrator: Orchestrator | None = None
    feature_store: FeatureStore | None = None
    serving: Serving | None = None
    monitoring: Monitoring | None = None
    workspace: Workspace | None = Field(default=None, description="aws only: a SageMaker Studio domain")
    ingress: Ingress | None = Field(
        default=None, description="The one way in: what to expose (tracking, orchestrator, grafana, models/<name>) and its TLS"
    )
    data_quality: DataQuality | None = Field(
        default=None, description="Great Expectations: stores and Data Docs in the data-docs bucket"
    )
    secrets: Secrets | None = Field(default=None, description="Secret stores: vault (for secret_ref 'vault/<path>')")
    budget: Budget | None = None
    policies: Policies | None = None
    usage: Usage | None = None
    environments: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Environment name → {profile, any top-level section as an override}",
    )

    @field_validator("apiVersion")
    @classmethod
    def _api(cls, v: str) -> str:
        if v not in SUPPORTED_API_VERSIONS:
            raise ValueError(f"unsupported apiVersion {v!r}; supported: {', '.join(SUPPORTED_API_VERSIONS)}")
        return v

    @property
    def provider(self) -> str:
        return self.target.provider

    def bucket(self, name: str | None) -> Bucket | None:
        if not name or not self.storage:
            return None
        return next((b for b in self.storage.buckets if b.name == name), None)


__all__ = [
    "API_VERSION",
    "COMPONENTS",
    "SECTION_KEYS",
    "SUPPORTED_API_VERSIONS",
    "AwsTarget",
    "Bucket",
    "Budget",
    "Canary",
    "Cluster",
    "ComposeTarget",
    "DataCapture",
    "DataQuality",
    "Database",
    "Dags",
    "DriftReports",
    "FeatureRepo",
    "FeatureStore",
    "GitSource",
    "Gpu",
    "Ingress",
    "KubernetesTarget",
    "Lifecycle",
    "Metadata",
    "Monitoring",
    "Network",
    "NodePool",
    "Orchestrator",
    "PlatformSpec",
    "Policies",
    "Replicas",
    "Resources",
    "SecretRef",
    "Secrets",
    "ServedModel",
    "Serving",
    "Storage",
    "Taint",
    "Tracking",
    "Usage",
    "Vault",
    "VaultAuth",
    "Waiver",
    "Workspace",
]  # fmt: skip
