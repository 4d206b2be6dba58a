"""Small plan queries shared by the rules (pure: no Pulumi, no checkov)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from mlplat.stacks.plan.model import SECRET, UNKNOWN
from mlplat.stacks.platform_spec.catalog import instance_type

from .base import PlanContext, SpecContext

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import Plan, PlanResource

BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
SSE_TYPES = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
VERSIONING_TYPES = (
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2",
)
PAB_TYPES = ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",)
BUCKET_POLICY_TYPES = ("aws:s3/bucketPolicy:BucketPolicy",)
OWNERSHIP_TYPES = ("aws:s3/bucketOwnershipControls:BucketOwnershipControls",)
KMS_KEY_TYPES = ("aws:kms/key:Key",)
EKS_CLUSTER_TYPES = ("aws:eks/cluster:Cluster",)
NODE_GROUP_TYPES = ("aws:eks/nodeGroup:NodeGroup",)
RDS_INSTANCE_TYPES = ("aws:rds/instance:Instance",)
RDS_CLUSTER_TYPES = ("aws:rds/cluster:Cluster",)
CACHE_TYPES = ("aws:elasticache/replicationGroup:ReplicationGroup",)
VPC_TYPES = ("aws:ec2/vpc:Vpc",)
SUBNET_TYPES = ("aws:ec2/subnet:Subnet",)
FLOW_LOG_TYPES = ("aws:ec2/flowLog:FlowLog",)
LOG_GROUP_TYPES = ("aws:cloudwatch/logGroup:LogGroup",)

# AWS types that accept `tags` and that mlplat's components create (or plausibly could). A resource
# of any type with a `tags` input is checked too; a test keeps this list honest against pulumi_aws.
TAGGABLE_AWS_TYPES = frozenset(
    {
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketV2:BucketV2",
        "aws:kms/key:Key",
        "aws:ec2/vpc:Vpc",
        "aws:ec2/subnet:Subnet",
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/natGateway:NatGateway",
        "aws:ec2/eip:Eip",
        "aws:ec2/routeTable:RouteTable",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        "aws:ec2/flowLog:FlowLog",
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:iam/role:Role",
        "aws:iam/policy:Policy",
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
        "aws:eks/cluster:Cluster",
        "aws:eks/nodeGroup:NodeGroup",
        "aws:eks/addon:Addon",
        "aws:eks/podIdentityAssociation:PodIdentityAssociation",
        "aws:rds/instance:Instance",
        "aws:rds/cluster:Cluster",
        "aws:rds/subnetGroup:SubnetGroup",
        "aws:rds/parameterGroup:ParameterGroup",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "aws:elasticache/subnetGroup:SubnetGroup",
        "aws:elasticache/parameterGroup:ParameterGroup",
        "aws:secretsmanager/secret:Secret",
        "aws:ecr/repository:Repository",
        "aws:sns/topic:Topic",
        "aws:sqs/queue:Queue",
        "aws:efs/fileSystem:FileSystem",
        "aws:lb/loadBalancer:LoadBalancer",
        "aws:acm/certificate:Certificate",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
    }
)

# Ownership tags (DESIGN 4) and their Kubernetes label equivalents. Kept here as data so the
# policy gate does not import Pulumi; a test checks they match mlplat.modules.common.
OWNERSHIP_TAGS = (
    "mlplat:platform",
    "mlplat:environment",
    "mlplat:component",
    "mlplat:resource",
    "managed-by",
)
OWNERSHIP_LABELS = (
    "mlplat.io/platform",
    "mlplat.io/environment",
    "mlplat.io/component",
    "app.kubernetes.io/managed-by",
)


def unknown(value: Any) -> bool:
    return value == UNKNOWN


def is_set(value: Any) -> bool:
    """Set to something (an unknown value counts: it will be known after apply)."""
    return value is not None and value != "" and value != [] and value != {}


def secretish(value: Any) -> bool:
    """A value that is not a plaintext literal: a secret marker or unknown until apply."""
    return value in (SECRET, UNKNOWN)


def truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def linked(
    plan: Plan, target: PlanResource, types: Iterable[str], attr: str = "bucket"
) -> list[PlanResource]:
    """Resources of `types` that configure `target`: they name it in `attr` (the bucket's name is known
    in preview), depend on it, or are its children."""
    types = tuple(types)
    name = target.inputs.get(attr) if attr else None
    out = []
    for r in plan.resources:
        if r.type not in types or r is target:
            continue
        ref = r.inputs.get(attr) if attr else None
        if (
            (name and not unknown(name) and ref == name)
            or target.urn in r.dependencies
            or r.parent == target.urn
        ):
            out.append(r)
    return out


def versioned(plan: Plan, bucket: PlanResource) -> bool:
    """A bucket with versioning Enabled (a BucketVersioning resource, or the deprecated inline block)."""
    for v in linked(plan, bucket, VERSIONING_TYPES):
        conf = v.inputs.get("versioningConfiguration") or {}
        if isinstance(conf, dict) and conf.get("status") == "Enabled":
            return True
    legacy = bucket.inputs.get("versioning")
    return isinstance(legacy, dict) and legacy.get("enabled") is True


def gpu_node_group(res: PlanResource) -> bool:
    """An EKS node group with accelerators (by AMI type or instance type)."""
    ami = str(res.inputs.get("amiType") or "")
    if "NVIDIA" in ami or "GPU" in ami or "NEURON" in ami:
        return True
    for name in as_list(res.inputs.get("instanceTypes")):
        it = instance_type(str(name))
        if it is not None and it.gpus:
            return True
    return False


def walk_paths(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted path, scalar) for every scalar inside a nested inputs value."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk_paths(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk_paths(v, f"{path}[{i}]")
    else:
        yield path, value


def json_doc(value: Any) -> dict[str, Any] | None:
    """A policy document input: a JSON string or an object (None when unknown or not JSON)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None


def namespace_of(plan: Plan, res: PlanResource) -> str:
    """A Kubernetes object's namespace; when it is computed from a Namespace resource (unknown in
    preview), the name of the Namespace it depends on."""
    ns = k8s_namespace(res)
    if not unknown(ns):
        return ns
    for dep in res.dependencies:
        d = plan.by_urn(dep)
        if d is not None and k8s_kind(d) == "Namespace":
            return k8s_name(d)
    return ns


def tag_or_label(res: PlanResource, tag: str, label: str | None = None) -> Any:
    if tag in res.tags:
        return res.tags[tag]
    return res.labels.get(label) if label else None


def is_prod_spec(ctx: SpecContext) -> bool:
    """Production: the environment uses the prod profile (or is called prod)."""
    return ctx.resolved.profile.name == "prod" or ctx.environment == "prod"


def is_prod_plan(ctx: PlanContext) -> bool:
    if ctx.resolved is not None:
        return ctx.resolved.profile.name == "prod" or ctx.environment == "prod"
    return ctx.environment == "prod"


def k8s_kind(res: PlanResource) -> str:
    return res.type.rsplit(":", 1)[-1] if res.is_kubernetes else ""


def k8s_namespace(res: PlanResource) -> str:
    meta = res.inputs.get("metadata")
    ns = meta.get("namespace") if isinstance(meta, dict) else None
    return ns if isinstance(ns, str) and ns else "default"


def k8s_name(res: PlanResource) -> str:
    meta = res.inputs.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    return name if isinstance(name, str) and name and not unknown(name) else res.name


__all__ = [
    "BUCKET_POLICY_TYPES",
    "BUCKET_TYPES",
    "CACHE_TYPES",
    "EKS_CLUSTER_TYPES",
    "FLOW_LOG_TYPES",
    "KMS_KEY_TYPES",
    "LOG_GROUP_TYPES",
    "NODE_GROUP_TYPES",
    "OWNERSHIP_LABELS",
    "OWNERSHIP_TAGS",
    "OWNERSHIP_TYPES",
    "PAB_TYPES",
    "RDS_CLUSTER_TYPES",
    "RDS_INSTANCE_TYPES",
    "SSE_TYPES",
    "SUBNET_TYPES",
    "TAGGABLE_AWS_TYPES",
    "VERSIONING_TYPES",
    "VPC_TYPES",
    "as_list",
    "gpu_node_group",
    "is_prod_plan",
    "is_prod_spec",
    "is_set",
    "json_doc",
    "k8s_kind",
    "k8s_name",
    "k8s_namespace",
    "linked",
    "namespace_of",
    "number",
    "secretish",
    "tag_or_label",
    "truthy",
    "unknown",
    "versioned",
    "walk_paths",
]  # fmt: skip
