"""What every component shares: naming, ownership tags and labels (DESIGN 4), safety options,
and the small typed endpoints components hand to each other.

Pure functions first (tested without Pulumi); Pulumi-specific helpers below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi

if TYPE_CHECKING:
    import pulumi_kubernetes as k8s
    from mlplat.stacks.platform_spec.resolve import ResolvedPlatform

MANAGED_BY = "mlplat"
COMPONENT_TAG = "mlplat:component"

# Component type token → the `mlplat:component` value (DESIGN 4). Logical names of components
# are the component key ("tracking"); their children are f"{name}-<thing>" with parent=self.
COMPONENT_TYPES: dict[str, str] = {
    "mlplat:index:Network": "network",
    "mlplat:index:Storage": "storage",
    "mlplat:index:Cluster": "cluster",
    "mlplat:index:TrackingServer": "tracking",
    "mlplat:index:WandbServer": "tracking",
    "mlplat:index:Orchestrator": "orchestrator",
    "mlplat:index:FeatureStore": "feature_store",
    "mlplat:index:ModelServing": "serving",
    "mlplat:index:Monitoring": "monitoring",
    "mlplat:index:SageMakerServing": "serving",
    "mlplat:index:ManagedTracking": "tracking",
    "mlplat:index:ManagedAirflow": "orchestrator",
    "mlplat:index:Studio": "workspace",
    "mlplat:index:Ingress": "ingress",
    # beyond DESIGN 4's list (README "Great Expectations"): the Data Docs site and its namespace
    "mlplat:index:DataQuality": "data_quality",
}


# --------------------------------------------------------------------------- pure naming / tagging


def physical_name(platform: str, env: str, name: str) -> str:
    """Deterministic physical name `{platform}-{env}-{name}` (DESIGN 4)."""
    return f"{platform}-{env}-{name}"


def ownership_tags(
    platform: str, env: str, component: str, resource: str, labels: dict[str, str] | None = None
) -> dict[str, str]:
    """The tags every taggable cloud resource carries; `labels` (metadata.labels) add to them."""
    tags = dict(labels or {})
    tags.update(
        {
            "mlplat:platform": platform,
            "mlplat:environment": env,
            "mlplat:component": component,
            "mlplat:resource": resource,
            "managed-by": MANAGED_BY,
        }
    )
    return tags


def k8s_labels(platform: str, env: str, component: str, app: str | None = None) -> dict[str, str]:
    """The Kubernetes equivalent of the ownership tags."""
    labels = {
        "mlplat.io/platform": platform,
        "mlplat.io/environment": env,
        "mlplat.io/component": component.replace("_", "-"),
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }
    if app:
        labels["app.kubernetes.io/name"] = app
    return labels


# --------------------------------------------------------------------------- context

_S3_URI = re.compile(r"s3://([^/]+)(/.*)?")


@dataclass
class Context:
    """Per-run facts every component needs. Built once from the resolved platform."""

    platform: str
    env: str
    provider: str  # "aws" | "kubernetes"
    region: str | None
    labels: dict[str, str]
    protect_stateful: bool
    force_destroy_buckets: bool
    skip_final_snapshot: bool
    kms_deletion_window_days: int
    storage_class: str | None = None
    ingress_class: str | None = None
    resolved: ResolvedPlatform | None = field(default=None, repr=False)
    # aws: the deploying account (STS GetCallerIdentity through the provider), filled in by the
    # Platform component before anything is named; S3 bucket names carry it (DESIGN 4).
    account_id: str | None = None

    @classmethod
    def from_resolved(cls, r: ResolvedPlatform) -> Context:
        t = r.spec.target
        s = r.profile.safety
        return cls(
            platform=r.name,
            env=r.environment,
            provider=t.provider,
            region=getattr(t, "region", None),
            labels=dict(r.spec.metadata.labels),
            protect_stateful=s.protect_stateful,
            force_destroy_buckets=s.force_destroy_buckets,
            skip_final_snapshot=s.skip_final_snapshot,
            kms_deletion_window_days=s.kms_deletion_window_days,
            storage_class=getattr(t, "storage_class", None),
            ingress_class=getattr(t, "ingress_class", None),
            resolved=r,
        )

    @property
    def aws(self) -> bool:
        return self.provider == "aws"

    def name(self, name: str) -> str:
        return physical_name(self.platform, self.env, name)

    def bucket_name(self, name: str) -> str:
        """A declared bucket's physical name: `{platform}-{env}-{name}-{account}` on aws, where
        names are global; `{platform}-{env}-{name}` in MinIO (kubernetes targets)."""
        from mlplat.stacks.platform_spec.names import bucket_name

        if self.aws and self.account_id is None:
            raise ValueError("Context.account_id is unset: aws bucket names carry the account ID")
        return bucket_name(self.platform, self.env, name, self.account_id if self.aws else None)

    def declared_bucket(self, bucket: str) -> str | None:
        """The declared bucket a name in an `s3://` URI means: its spec name (`artifacts`), or the
        account-less `{platform}-{env}-{name}` form specs wrote before names carried the account."""
        spec = self.resolved.spec if self.resolved is not None else None
        declared = [b.name for b in spec.storage.buckets] if spec is not None and spec.storage is not None else []
        for n in declared:
            if bucket in (n, self.name(n)):
                return n
        return None

    def resolve_s3_uri(self, uri: str) -> str:
        """`s3://<declared bucket>/…` → `s3://<its physical name>/…`; any other URI unchanged."""
        m = _S3_URI.fullmatch(uri)
        declared = self.declared_bucket(m.group(1)) if m else None
        if m is None or declared is None:
            return uri
        return f"s3://{self.bucket_name(declared)}{m.group(2) or ''}"

    def tags(self, component: str, resource: str) -> dict[str, str]:
        return ownership_tags(self.platform, self.env, component, resource, self.labels)

    def k8s_labels(self, component: str, app: str | None = None) -> dict[str, str]:
        return k8s_labels(self.platform, self.env, component, app)

    def stateful(self, opts: pulumi.ResourceOptions | None = None) -> pulumi.ResourceOptions:
        """Options for data-holding resources: protected where the profile protects data."""
        extra = pulumi.ResourceOptions(protect=self.protect_stateful)
        return pulumi.ResourceOptions.merge(opts, extra) if opts else extra


# --------------------------------------------------------------------------- endpoints between components


@dataclass
class BucketRef:
    name: str  # spec name (e.g. "artifacts")
    bucket: pulumi.Input[str]  # physical name
    arn: pulumi.Input[str]
    endpoint: pulumi.Input[str] | None = None  # S3 API endpoint (MinIO on kubernetes targets)
    access_key: pulumi.Input[str] | None = None  # MinIO: static credentials (Pulumi secrets); None on aws (IRSA)
    secret_key: pulumi.Input[str] | None = None
    kms_key_arn: pulumi.Input[str] | None = None  # aws: the key objects are encrypted with (for IRSA policies)


@dataclass(frozen=True)
class ManagedPassword:
    """A master password RDS keeps in Secrets Manager (and rotates): only its secret's ARN is known."""

    secret_arn: pulumi.Output[str]
    kms_key_arn: pulumi.Input[str] | None = None  # the key the secret is encrypted with


@dataclass
class DatabaseEndpoint:
    host: pulumi.Input[str]
    port: pulumi.Input[int]
    username: str
    password: pulumi.Output[str] | None  # a Pulumi secret; None when RDS manages it (`managed`)
    database: str
    secret_name: str | None = None  # Kubernetes Secret holding the credentials, when created
    managed: ManagedPassword | None = None


@dataclass
class CacheEndpoint:
    host: pulumi.Input[str]
    port: pulumi.Input[int]
    tls: bool
    password: pulumi.Output[str] | None = None  # auth token (a Pulumi secret) when the cache requires one


@dataclass
class ClusterRef:
    """What workloads need from the cluster: a provider, and IRSA facts on aws."""

    provider: k8s.Provider
    name: pulumi.Input[str] | None = None
    oidc_provider_arn: pulumi.Input[str] | None = None
    oidc_issuer: pulumi.Input[str] | None = None  # issuer URL without https://
    node_security_group_id: pulumi.Input[str] | None = None
    gpu: bool = False
    # Cluster-wide operators in the plan (modules/operators.py), by chart name: custom resources
    # of theirs depend on the release, so the CRDs exist first.
    operators: dict[str, pulumi.Resource] = field(default_factory=dict)


@dataclass
class NetworkRef:
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    private_subnet_ids: list[pulumi.Input[str]]
    public_subnet_ids: list[pulumi.Input[str]]


def secret(value: Any) -> pulumi.Output[Any]:
    """Mark a value secret (mocks do not do it for provider outputs such as RandomPassword.result)."""
    return pulumi.Output.secret(value)


__all__ = [
    "COMPONENT_TAG", "COMPONENT_TYPES", "MANAGED_BY", "BucketRef", "CacheEndpoint", "ClusterRef", "Context", "DatabaseEndpoint",
    "ManagedPassword",
    "NetworkRef", "k8s_labels", "ownership_tags", "physical_name", "secret",
]  # fmt: skip
