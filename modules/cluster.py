"""Cluster: the Kubernetes cluster workloads run on.

aws: EKS built from `pulumi_aws.eks` primitives (no remote components, so everything shows in
an offline plan): cluster and node IAM roles, a KMS key for secrets encryption, control-plane
logging, an OIDC provider for IRSA, one managed node group per pool (GPU AMIs, GPU labels and
taints, spot/on-demand, scaling bounds), the EBS CSI driver with a default gp3 StorageClass,
a `pulumi_kubernetes.Provider` built from the cluster outputs, and add-ons as pinned
`helm.v3.Release`s: the NVIDIA device plugin (GPU pools only) and the cluster autoscaler.

kubernetes targets: only a provider for the configured kubeconfig context; namespaces and quotas
are created per component by `mlplat.modules.k8s`.

Pure functions first (tested without Pulumi), then the component.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from mlplat.stacks.platform_spec.catalog import instance_type, is_arm
from mlplat.stacks.platform_spec.model import Cluster as ClusterSpec
from mlplat.stacks.platform_spec.model import NodePool

from .aws_iam import irsa_role, service_role
from .aws_kms import platform_key
from .common import ClusterRef, Context, NetworkRef

COMPONENT = "cluster"
CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
GPU_TAINT_KEY = "nvidia.com/gpu"
GPU_PRESENT_LABEL = "nvidia.com/gpu.present"
GPU_TYPE_LABEL = "mlplat.io/gpu-type"
POOL_LABEL = "mlplat.io/node-pool"
NON_NVIDIA_GPUS = {"V520"}  # g4ad: AMD Radeon Pro

TAINT_EFFECTS = {
    "NoSchedule": "NO_SCHEDULE",
    "PreferNoSchedule": "PREFER_NO_SCHEDULE",
    "NoExecute": "NO_EXECUTE",
}

AWS_MANAGED = "arn:aws:iam::aws:policy"
CLUSTER_ROLE_POLICIES = [
    f"{AWS_MANAGED}/AmazonEKSClusterPolicy",
    f"{AWS_MANAGED}/AmazonEKSVPCResourceController",
]
NODE_ROLE_POLICIES = [
    f"{AWS_MANAGED}/AmazonEKSWorkerNodePolicy",
    f"{AWS_MANAGED}/AmazonEKS_CNI_Policy",
    f"{AWS_MANAGED}/AmazonEC2ContainerRegistryReadOnly",
    f"{AWS_MANAGED}/AmazonSSMManagedInstanceCore",
]
EBS_CSI_POLICY = f"{AWS_MANAGED}/service-role/AmazonEBSCSIDriverPolicy"


@dataclass(frozen=True)
class HelmChart:
    chart: str
    version: str
    repo: str
    namespace: str = "kube-system"


NVIDIA_DEVICE_PLUGIN = HelmChart(
    "nvidia-device-plugin", "0.17.0", "https://nvidia.github.io/k8s-device-plugin"
)
CLUSTER_AUTOSCALER = HelmChart("cluster-autoscaler", "9.43.2", "https://kubernetes.github.io/autoscaler")
AUTOSCALER_SA = "cluster-autoscaler"
EBS_CSI_SA = "ebs-csi-controller-sa"

# --------------------------------------------------------------------------- pure: node pools


def pool_gpu_type(pool: NodePool) -> str | None:
    """The GPU model a pool carries (from the instance family; the spec's gpu.type only confirms it)."""
    it = instance_type(pool.instance_type)
    if it is not None and it.gpu_type:
        return it.gpu_type
    return pool.gpu.type if pool.gpu is not None else None


def is_gpu_pool(pool: NodePool) -> bool:
    it = instance_type(pool.instance_type)
    return pool.gpu is not None or bool(it is not None and it.gpus)


def is_nvidia_pool(pool: NodePool) -> bool:
    return is_gpu_pool(pool) and (pool_gpu_type(pool) or "").upper() not in NON_NVIDIA_GPUS


def ami_type(pool: NodePool) -> str:
    """EKS AMI type: NVIDIA AL2023 for NVIDIA GPU pools, ARM for Graviton, x86 standard otherwise."""
    arm = is_arm(pool.instance_type)
    if is_nvidia_pool(pool):
        return "AL2023_ARM_64_NVIDIA" if arm else "AL2023_x86_64_NVIDIA"
    return "AL2023_ARM_64_STANDARD" if arm else "AL2023_x86_64_STANDARD"


def capacity_type(pool: NodePool) -> str:
    return "SPOT" if pool.capacity == "spot" else "ON_DEMAND"


def scaling(pool: NodePool) -> dict[str, int]:
    """min/max from the spec; desired starts at min and is owned by the autoscaler afterwards.

    A pool with min 0 starts empty (EKS accepts desired 0): a scale-to-zero GPU pool must not
    bill a node until a pod asks for one.
    """
    return {"min_size": pool.min_size, "max_size": pool.max_size, "desired_size": pool.min_size}


def pool_labels(pool: NodePool) -> dict[str, str]:
    labels = {POOL_LABEL: pool.name, **pool.labels}
    if is_gpu_pool(pool):
        gpu = pool_gpu_type(pool)
        if is_nvidia_pool(pool):
            labels[GPU_PRESENT_LABEL] = "true"
        if gpu:
            labels[GPU_TYPE_LABEL] = gpu
    return labels


def pool_taints(pool: NodePool) -> list[dict[str, str]]:
    """Spec taints in EKS form; NVIDIA GPU pools always carry `nvidia.com/gpu=true:NoSchedule`."""
    taints = []
    for t in pool.taints:
        taint = {"key": t.key, "effect": TAINT_EFFECTS[t.effect]}
        if t.value:
            taint["value"] = t.value
        taints.append(taint)
    if is_nvidia_pool(pool) and not any(t["key"] == GPU_TAINT_KEY for t in taints):
        taints.append({"key": GPU_TAINT_KEY, "value": "true", "effect": "NO_SCHEDULE"})
    return taints


def autoscaler_tags(cluster_name: str, pool: NodePool) -> dict[str, str]:
    """Cluster-autoscaler discovery tags, plus node-template hints so GPU pools can scale from zero."""
    tags = {
        "k8s.io/cluster-autoscaler/enabled": "true",
        f"k8s.io/cluster-autoscaler/{cluster_name}": "owned",
    }
    for k, v in pool_labels(pool).items():
        tags[f"k8s.io/cluster-autoscaler/node-template/label/{k}"] = v
    for t in pool_taints(pool):
        effect = next(k for k, v in TAINT_EFFECTS.items() if v == t["effect"])
        tags[f"k8s.io/cluster-autoscaler/node-template/taint/{t['key']}"] = f"{t.get('value', '')}:{effect}"
    if is_nvidia_pool(pool):
        it = instance_type(pool.instance_type)
        count = it.gpus if it is not None else (pool.gpu.count if pool.gpu else 1)
        tags["k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu"] = str(count)
    return tags


# --------------------------------------------------------------------------- pure: access and add-ons


def kubeconfig(cluster_name: str, endpoint: str, ca_data: str, region: str) -> dict[str, Any]:
    """A kubeconfig for an EKS cluster that authenticates with `aws eks get-token` (no secrets in it)."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": cluster_name, "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}
        ],
        "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
        "current-context": cluster_name,
        "preferences": {},
        "users": [
            {
                "name": cluster_name,
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "aws",
                        "args": [
                            "eks",
                            "get-token",
                            "--cluster-name",
                            cluster_name,
                            "--region",
                            region,
                            "--output",
                            "json",
                        ],
                        "interactiveMode": "Never",
                    }
                },
            }
        ],
    }


def autoscaler_policy(cluster_name: str) -> dict[str, Any]:
    """Cluster-autoscaler permissions: describe anything, scale only this cluster's node groups."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Describe",
                "Effect": "Allow",
                "Action": [
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations",
                    "autoscaling:DescribeScalingActivities",
                    "autoscaling:DescribeTags",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplateVersions",
                    "ec2:GetInstanceTypesFromInstanceRequirements",
                    "eks:DescribeNodegroup",
                ],
                "Resource": "*",
            },
            {
                "Sid": "ScaleOwnNodeGroups",
                "Effect": "Allow",
                "Action": [
                    "autoscaling:SetDesiredCapacity",
                    "autoscaling:TerminateInstanceInAutoScalingGroup",
                ],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned"}
                },
            },
        ],
    }


def autoscaler_image_tag(kubernetes_version: str) -> str:
    """The autoscaler minor must match the cluster's: `1.31` → `v1.31.0`."""
    return f"v{kubernetes_version}.0"


def autoscaler_values(
    cluster_name: str, region: str, kubernetes_version: str, role_arn: Any
) -> dict[str, Any]:
    return {
        "autoDiscovery": {"clusterName": cluster_name},
        "awsRegion": region,
        "cloudProvider": "aws",
        "image": {"tag": autoscaler_image_tag(kubernetes_version)},
        "rbac": {
            "serviceAccount": {
                "create": True,
                "name": AUTOSCALER_SA,
                "annotations": {"eks.amazonaws.com/role-arn": role_arn},
            }
        },
        "extraArgs": {
            "balance-similar-node-groups": True,
            "skip-nodes-with-system-pods": False,
            "expander": "least-waste",
        },
        "resources": {"requests": {"cpu": "100m", "memory": "300Mi"}, "limits": {"memory": "600Mi"}},
        "securityContext": {"runAsNonRoot": True, "runAsUser": 65534, "fsGroup": 65534},
        "containerSecurityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "priorityClassName": "system-cluster-critical",
    }


def device_plugin_values() -> dict[str, Any]:
    return {
        "tolerations": [
            {"key": GPU_TAINT_KEY, "operator": "Exists", "effect": "NoSchedule"},
            {"key": "CriticalAddonsOnly", "operator": "Exists"},
        ],
        "nodeSelector": {GPU_PRESENT_LABEL: "true"},
        "priorityClassName": "system-node-critical",
    }


def _issuer(identities: Any) -> str:
    """The OIDC issuer URL from `aws.eks.Cluster.identities` (empty until the cluster exists)."""
    if identities and identities[0].oidcs:
        return str(identities[0].oidcs[0].issuer or "")
    return ""


# --------------------------------------------------------------------------- component


@dataclass
class ClusterArgs:
    ctx: Context
    spec: ClusterSpec | None
    network: NetworkRef | None = None
    kube_context: str | None = None  # kubernetes targets; default: target.context of the spec


class Cluster(pulumi.ComponentResource):
    """mlplat:index:Cluster — EKS on aws, an existing cluster's context on kubernetes targets."""

    ref: ClusterRef
    provider: k8s.Provider

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplat:index:Cluster", name, None, opts)
        if args.ctx.aws:
            self._aws(name, args)
        else:
            self._kubernetes(name, args)
        self.register_outputs({"name": self.ref.name, "gpu": self.ref.gpu})

    # ------------------------------------------------------------------ kubernetes targets

    def _kubernetes(self, name: str, args: ClusterArgs) -> None:
        ctx = args.ctx
        context = args.kube_context
        if context is None and ctx.resolved is not None:
            context = getattr(ctx.resolved.spec.target, "context", None)
        self.provider = k8s.Provider(f"{name}-k8s", context=context, opts=pulumi.ResourceOptions(parent=self))
        spec = args.spec
        # An existing cluster offers GPUs when its quota grants them (node pools are aws-only).
        gpu = spec is not None and (
            bool(spec.quota and spec.quota.gpu) or any(is_gpu_pool(p) for p in spec.node_pools)
        )
        self.ref = ClusterRef(provider=self.provider, name=context, gpu=gpu)

    # ------------------------------------------------------------------ aws

    def _aws(self, name: str, args: ClusterArgs) -> None:
        ctx, network = args.ctx, args.network
        spec = args.spec or ClusterSpec()
        if network is None:
            raise ValueError("Cluster on aws needs a network (NetworkRef)")
        region = ctx.region or "us-east-1"
        child = pulumi.ResourceOptions(parent=self)
        cluster_name = ctx.name(name)
        pools = spec.node_pools
        gpu = any(is_gpu_pool(p) for p in pools)

        # Secrets envelope encryption.
        key = platform_key(
            ctx, COMPONENT, name, description=f"mlplat EKS secrets key for {cluster_name}",
            alias=f"alias/{ctx.platform}-{ctx.env}-eks", parent=self,
        )

        cluster_role, cluster_attachments = service_role(
            ctx, COMPONENT, f"{name}-role", ["eks.amazonaws.com"], CLUSTER_ROLE_POLICIES, self
        )
        # Created before the cluster so EKS does not create it without a retention.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane-logs",
            name=f"/aws/eks/{cluster_name}/cluster",
            retention_in_days=365 if ctx.protect_stateful else 30,
            tags=ctx.tags(COMPONENT, f"{name}-control-plane-logs"),
            opts=child,
        )
        self.eks = aws.eks.Cluster(
            f"{name}-eks",
            name=cluster_name,
            version=spec.kubernetes_version,
            role_arn=cluster_role.arn,
            vpc_config={
                "subnet_ids": network.private_subnet_ids,
                "endpoint_private_access": True,
                "endpoint_public_access": spec.public_endpoint,
            },
            access_config={
                "authentication_mode": "API_AND_CONFIG_MAP",
                "bootstrap_cluster_creator_admin_permissions": True,
            },
            enabled_cluster_log_types=CONTROL_PLANE_LOG_TYPES,
            encryption_config={"provider": {"key_arn": key.arn}, "resources": ["secrets"]},
            tags=ctx.tags(COMPONENT, f"{name}-eks"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*cluster_attachments, log_group]),
        )

        issuer_url = self.eks.identities.apply(_issuer)
        self.oidc = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=issuer_url,
            client_id_lists=["sts.amazonaws.com"],
            tags=ctx.tags(COMPONENT, f"{name}-oidc"),
            opts=child,
        )

        node_role, node_attachments = service_role(
            ctx, COMPONENT, f"{name}-node-role", ["ec2.amazonaws.com"], NODE_ROLE_POLICIES, self
        )
        self.node_groups: dict[str, aws.eks.NodeGroup] = {}
        for pool in pools:
            logical = f"{name}-{pool.name}"
            taints = [
                aws.eks.NodeGroupTaintArgs(key=t["key"], value=t.get("value"), effect=t["effect"])
                for t in pool_taints(pool)
            ]
            self.node_groups[pool.name] = aws.eks.NodeGroup(
                logical,
                cluster_name=self.eks.name,
                node_group_name=ctx.name(pool.name),
                node_role_arn=node_role.arn,
                subnet_ids=network.private_subnet_ids,
                instance_types=[pool.instance_type],
                capacity_type=capacity_type(pool),
                ami_type=ami_type(pool),
                disk_size=pool.disk_gb,
                scaling_config=aws.eks.NodeGroupScalingConfigArgs(**scaling(pool)),
                update_config={"max_unavailable": 1},
                labels=pool_labels(pool),
                taints=taints,
                tags={**ctx.tags(COMPONENT, logical), **autoscaler_tags(cluster_name, pool)},
                opts=pulumi.ResourceOptions(
                    parent=self,
                    depends_on=node_attachments,
                    ignore_changes=["scalingConfig.desiredSize"],
                ),
            )

        # Kubernetes access: a provider from the cluster outputs (values only, no resources in apply).
        kubeconfig_json = pulumi.Output.all(
            self.eks.name, self.eks.endpoint, self.eks.certificate_authority.apply(lambda ca: ca.data or "")
        ).apply(lambda a: json.dumps(kubeconfig(str(a[0]), str(a[1]), str(a[2]), region)))
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=kubeconfig_json,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.eks]),
        )

        self.ref = ClusterRef(
            provider=self.provider,
            name=self.eks.name,
            oidc_provider_arn=self.oidc.arn,
            oidc_issuer=issuer_url.apply(lambda u: u.removeprefix("https://")),
            node_security_group_id=self.eks.vpc_config.apply(lambda v: v.cluster_security_group_id or ""),
            gpu=gpu,
        )

        self._addons(name, ctx, spec, cluster_name, region, list(self.node_groups.values()))

    def _addons(
        self,
        name: str,
        ctx: Context,
        spec: ClusterSpec,
        cluster_name: str,
        region: str,
        node_groups: list[aws.eks.NodeGroup],
    ) -> None:
        if not node_groups:
            return  # nothing can schedule add-ons
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=node_groups)

        # EBS CSI driver (persistent volumes) with its own IRSA role, and a default gp3 StorageClass.
        ebs_role = irsa_role(
            ctx, COMPONENT, f"{name}-ebs-csi-irsa", EBS_CSI_SA, "kube-system", None, self.ref, self,
            managed_policy_arns=[EBS_CSI_POLICY],
        )  # fmt: skip
        aws.eks.Addon(
            f"{name}-ebs-csi-driver",
            cluster_name=self.eks.name,
            addon_name="aws-ebs-csi-driver",
            service_account_role_arn=ebs_role.arn,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            tags=ctx.tags(COMPONENT, f"{name}-ebs-csi-driver"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=node_groups),
        )
        k8s.storage.v1.StorageClass(
            f"{name}-gp3",
            metadata={
                "name": "gp3",
                "labels": ctx.k8s_labels(COMPONENT),
                "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
            },
            provisioner="ebs.csi.aws.com",
            parameters={"type": "gp3", "encrypted": "true"},
            reclaim_policy="Delete",
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            opts=k8s_opts,
        )

        if any(is_nvidia_pool(p) for p in spec.node_pools):
            k8s.helm.v3.Release(
                f"{name}-nvidia-device-plugin",
                name="nvidia-device-plugin",
                chart=NVIDIA_DEVICE_PLUGIN.chart,
                version=NVIDIA_DEVICE_PLUGIN.version,
                repository_opts={"repo": NVIDIA_DEVICE_PLUGIN.repo},
                namespace=NVIDIA_DEVICE_PLUGIN.namespace,
                values=device_plugin_values(),
                opts=k8s_opts,
            )

        autoscaler_role = irsa_role(
            ctx, COMPONENT, f"{name}-autoscaler-irsa", AUTOSCALER_SA, CLUSTER_AUTOSCALER.namespace,
            json.dumps(autoscaler_policy(cluster_name)), self.ref, self,
        )  # fmt: skip
        k8s.helm.v3.Release(
            f"{name}-autoscaler",
            name="cluster-autoscaler",
            chart=CLUSTER_AUTOSCALER.chart,
            version=CLUSTER_AUTOSCALER.version,
            repository_opts={"repo": CLUSTER_AUTOSCALER.repo},
            namespace=CLUSTER_AUTOSCALER.namespace,
            values=autoscaler_values(cluster_name, region, spec.kubernetes_version, autoscaler_role.arn),
            opts=k8s_opts,
        )


__all__ = [
    "Cluster", "ClusterArgs", "ami_type", "autoscaler_policy", "autoscaler_tags", "autoscaler_values",
    "capacity_type", "device_plugin_values", "is_gpu_pool", "is_nvidia_pool", "kubeconfig", "pool_gpu_type",
    "pool_labels", "pool_taints", "scaling",
]  # fmt: skip
