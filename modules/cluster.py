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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from mlplat.stacks.platform_spec import eks as eks_catalogue
from mlplat.stacks.platform_spec.catalog import instance_type, is_arm
from mlplat.stacks.platform_spec.model import Cluster as ClusterSpec
from mlplat.stacks.platform_spec.model import NodePool

from .aws_iam import granted_arn, irsa_role, service_role
from .aws_kms import platform_key
from .common import ClusterRef, Context, NetworkRef

COMPONENT = "cluster"
CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
GPU_TAINT_KEY = "nvidia.com/gpu"
GPU_PRESENT_LABEL = "nvidia.com/gpu.present"
GPU_TYPE_LABEL = "mlplat.io/gpu-type"
POOL_LABEL = "mlplat.io/node-pool"
NON_NVIDIA_GPUS = {"V520"}  # g4ad: AMD Radeon Pro
NEURON_ACCELERATORS = ("inferentia", "trainium")  # catalogue accelerator_type prefixes (inf1/2, trn1/2)

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
# 9.59.0 (app 1.35): values keys checked against tests/upstream; image tag pinned per cluster minor.
CLUSTER_AUTOSCALER = HelmChart("cluster-autoscaler", "9.59.0", "https://kubernetes.github.io/autoscaler")
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


def is_neuron_pool(pool: NodePool) -> bool:
    """Inferentia / Trainium instances: their accelerators need the AWS Neuron driver."""
    it = instance_type(pool.instance_type)
    return bool(it is not None and (it.accelerator_type or "").startswith(NEURON_ACCELERATORS))


def ami_type(pool: NodePool) -> str:
    """EKS AMI type: NVIDIA AL2023 for NVIDIA GPU pools, Neuron AL2023 for Inferentia/Trainium, ARM
    for Graviton, x86 standard otherwise."""
    arm = is_arm(pool.instance_type)
    if is_nvidia_pool(pool):
        return "AL2023_ARM_64_NVIDIA" if arm else "AL2023_x86_64_NVIDIA"
    if is_neuron_pool(pool):
        # the standard AMI has no Neuron driver: the pool's accelerators would sit unusable
        # (EKS API AMITypes, botocore data eks/2017-11-01: AL2023_x86_64_NEURON)
        return "AL2023_x86_64_NEURON"
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


def kubeconfig(
    cluster_name: str,
    endpoint: str,
    ca_data: str,
    region: str,
    *,
    profile: str | None = None,
    role_arn: str | None = None,
) -> dict[str, Any]:
    """A kubeconfig for an EKS cluster that authenticates with `aws eks get-token` (no secrets in it).

    `profile` and `role_arn` are the AWS provider's own (stack config `aws:profile`,
    `aws:assumeRoles`): the token is minted for the identity that created the cluster and its
    access entries, not for whatever the shell happens to have.
    """
    args = ["eks", "get-token", "--cluster-name", cluster_name, "--region", region, "--output", "json"]
    if role_arn:
        args += ["--role-arn", role_arn]
    if profile:
        args += ["--profile", profile]
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
                        "args": args,
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


def aws_identity(aws_config: Mapping[str, str | None]) -> tuple[str | None, str | None]:
    """(profile, role ARN) the AWS provider runs as, from its stack config (`profile`, `assumeRoles`).

    `assumeRoles` is pulumi-aws 7's list of `{roleArn, …}` (JSON in config); the first role is
    the one the provider ends up as. The environment (AWS_PROFILE, …) needs no copying: the
    kubeconfig's `aws` command inherits it like the provider does.
    """
    profile = aws_config.get("profile") or None
    role: str | None = None
    raw = aws_config.get("assumeRoles") or aws_config.get("assumeRole")
    if raw:
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        first = parsed[0] if isinstance(parsed, list) and parsed else parsed
        if isinstance(first, dict):
            role = first.get("roleArn") or first.get("role_arn") or None
    return profile, role


def autoscaler_image_tag(kubernetes_version: str) -> str:
    """The autoscaler minor must match the cluster's: the newest patch pinned for that minor."""
    return eks_catalogue.autoscaler_image_tag(kubernetes_version)


# ------------------------------------------------------------------ pure: API access and add-ons

EKS_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
# The network policy agent ships with vpc-cni >= 1.14 and is off unless asked for: without it
# every NetworkPolicy the platform writes is accepted and silently not enforced.
VPC_CNI_CONFIGURATION = {"enableNetworkPolicy": "true"}


def vpc_config(spec: ClusterSpec, subnet_ids: Any) -> dict[str, Any]:
    """The endpoint access model: always private (nodes stay in the VPC); public only to listed CIDRs."""
    config: dict[str, Any] = {
        "subnet_ids": subnet_ids,
        "endpoint_private_access": True,
        "endpoint_public_access": spec.public_endpoint,
    }
    if spec.public_endpoint:
        config["public_access_cidrs"] = list(spec.public_access_cidrs)
    return config


def private_api_cidrs(spec: ClusterSpec, vpc_cidr: str) -> list[str]:
    """Who may open the private endpoint (443 on the cluster security group): the VPC and stated networks."""
    return list(dict.fromkeys([vpc_cidr, *spec.private_access_cidrs]))


def upgrade_policy(spec: ClusterSpec) -> dict[str, str]:
    return {"support_type": spec.upgrade_policy.upper()}


@dataclass(frozen=True)
class AddonPin:
    name: str
    version: str | None  # None: no sourced pin, EKS installs its default build for the cluster version
    before_compute: bool  # created before the node groups (terraform-aws-eks `before_compute`)
    configuration: dict[str, Any] | None = None


def addons(kubernetes_version: str) -> list[AddonPin]:
    """The EKS-managed add-ons, pinned per Kubernetes version (catalogue: platform_spec/eks).

    vpc-cni goes first so nodes join with pod networking and the network policy agent already
    configured; coredns and the EBS CSI driver need nodes to run on.
    """
    pin = eks_catalogue.addon_version
    return [
        AddonPin("vpc-cni", pin("vpc-cni", kubernetes_version), True, VPC_CNI_CONFIGURATION),
        AddonPin("kube-proxy", pin("kube-proxy", kubernetes_version), True),
        AddonPin("coredns", pin("coredns", kubernetes_version), False),
        AddonPin("aws-ebs-csi-driver", pin("aws-ebs-csi-driver", kubernetes_version), False),
    ]


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

        # Secrets envelope encryption, and the control-plane log group.
        key = platform_key(
            ctx, COMPONENT, name, description=f"mlplat EKS secrets key for {cluster_name}",
            alias=f"alias/{ctx.platform}-{ctx.env}-eks", parent=self, for_logs=True,
        )

        cluster_role, cluster_attachments = service_role(
            ctx, COMPONENT, f"{name}-role", ["eks.amazonaws.com"], CLUSTER_ROLE_POLICIES, self
        )
        # Created before the cluster so EKS does not create it without a retention.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane-logs",
            name=f"/aws/eks/{cluster_name}/cluster",
            retention_in_days=365 if ctx.protect_stateful else 30,
            kms_key_id=key.arn,
            tags=ctx.tags(COMPONENT, f"{name}-control-plane-logs"),
            opts=child,
        )
        self.eks = aws.eks.Cluster(
            f"{name}-eks",
            name=cluster_name,
            version=spec.kubernetes_version,
            role_arn=cluster_role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(**vpc_config(spec, network.private_subnet_ids)),
            # Access entries only (no aws-auth ConfigMap): admins below, node roles by EKS itself.
            access_config={
                "authentication_mode": "API",
                "bootstrap_cluster_creator_admin_permissions": True,
            },
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(**upgrade_policy(spec)),
            enabled_cluster_log_types=CONTROL_PLANE_LOG_TYPES,
            encryption_config={"provider": {"key_arn": key.arn}, "resources": ["secrets"]},
            tags=ctx.tags(COMPONENT, f"{name}-eks"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*cluster_attachments, log_group]),
        )
        cluster_sg = self.eks.vpc_config.apply(lambda v: v.cluster_security_group_id or "")
        # The EKS-made cluster security group admits only itself: a deployer inside the VPC (or on
        # a network routed to it) needs 443 opened explicitly to use the private endpoint.
        aws.ec2.SecurityGroupRule(
            f"{name}-api-private-access",
            type="ingress",
            description="Kubernetes API from the VPC and the networks the spec names",
            security_group_id=cluster_sg,
            protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_blocks=private_api_cidrs(spec, network.vpc_cidr),
            opts=child,
        )
        admin_grants: list[pulumi.Resource] = []
        for i, principal in enumerate(spec.admins):
            entry = aws.eks.AccessEntry(
                f"{name}-admin-{i}",
                cluster_name=self.eks.name,
                principal_arn=principal,
                type="STANDARD",
                tags=ctx.tags(COMPONENT, f"{name}-admin-{i}"),
                opts=child,
            )
            admin_grants.append(
                aws.eks.AccessPolicyAssociation(
                    f"{name}-admin-{i}-policy",
                    cluster_name=self.eks.name,
                    principal_arn=principal,
                    policy_arn=EKS_ADMIN_POLICY,
                    access_scope={"type": "cluster"},
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[entry]),
                )
            )

        issuer_url = self.eks.identities.apply(_issuer)
        self.oidc = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=issuer_url,
            client_id_lists=["sts.amazonaws.com"],
            tags=ctx.tags(COMPONENT, f"{name}-oidc"),
            opts=child,
        )
        self.ref = ClusterRef(
            provider=None,  # type: ignore[arg-type]  # set below, once the cluster is ready for workloads
            name=self.eks.name,
            oidc_provider_arn=self.oidc.arn,
            oidc_issuer=issuer_url.apply(lambda u: u.removeprefix("https://")),
            node_security_group_id=cluster_sg,
            gpu=gpu,
        )

        pins = addons(spec.kubernetes_version)
        self.addons: dict[str, aws.eks.Addon] = {}
        for pin in (p for p in pins if p.before_compute):
            self.addons[pin.name] = self._addon(name, ctx, pin, [])

        node_role, node_attachments = service_role(
            ctx, COMPONENT, f"{name}-node-role", ["ec2.amazonaws.com"], NODE_ROLE_POLICIES, self
        )
        self.node_groups: dict[str, aws.eks.NodeGroup] = {}
        early_addons = list(self.addons.values())
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
                    depends_on=[*node_attachments, *early_addons],
                    ignore_changes=["scalingConfig.desiredSize"],
                ),
            )
        node_groups = list(self.node_groups.values())

        # Add-ons that run as pods: after the nodes (an add-on without nodes never turns ACTIVE).
        for pin in (p for p in pins if not p.before_compute):
            role_arn: pulumi.Input[str] | None = None
            if pin.name == "aws-ebs-csi-driver":
                ebs_role = irsa_role(
                    ctx, COMPONENT, f"{name}-ebs-csi-irsa", EBS_CSI_SA, "kube-system", None, self.ref, self,
                    managed_policy_arns=[EBS_CSI_POLICY],
                )  # fmt: skip
                role_arn = granted_arn(ebs_role)
            if node_groups:
                self.addons[pin.name] = self._addon(name, ctx, pin, node_groups, role_arn)

        # Kubernetes access: a provider from the cluster outputs (values only, no resources in apply),
        # minting tokens as the same identity as the AWS provider. Every Kubernetes object and Helm
        # release goes through this provider, and the provider waits for the nodes, the add-ons and
        # the admins' access: nothing races an empty cluster.
        profile, role = aws_identity(_aws_config())
        kubeconfig_json = pulumi.Output.all(
            self.eks.name, self.eks.endpoint, self.eks.certificate_authority.apply(lambda ca: ca.data or "")
        ).apply(
            lambda a: json.dumps(
                kubeconfig(str(a[0]), str(a[1]), str(a[2]), region, profile=profile, role_arn=role)
            )
        )
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=kubeconfig_json,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[self.eks, *node_groups, *self.addons.values(), *admin_grants],
            ),
        )
        self.ref.provider = self.provider

        self._workload_addons(name, ctx, spec, cluster_name, region, node_groups)

    def _addon(
        self,
        name: str,
        ctx: Context,
        pin: AddonPin,
        after: list[aws.eks.NodeGroup],
        role_arn: pulumi.Input[str] | None = None,
    ) -> aws.eks.Addon:
        extra: dict[str, Any] = {}
        if pin.version is not None:
            extra["addon_version"] = pin.version
        if pin.configuration is not None:
            extra["configuration_values"] = json.dumps(pin.configuration, sort_keys=True)
        if role_arn is not None:
            extra["service_account_role_arn"] = role_arn
        return aws.eks.Addon(
            f"{name}-{pin.name}",
            cluster_name=self.eks.name,
            addon_name=pin.name,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            tags=ctx.tags(COMPONENT, f"{name}-{pin.name}"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
            **extra,
        )

    def _workload_addons(
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

        # A default gp3 StorageClass for the EBS CSI driver (the add-on is above).
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
            values=autoscaler_values(
                cluster_name, region, spec.kubernetes_version, granted_arn(autoscaler_role)
            ),
            opts=k8s_opts,
        )


def _aws_config() -> dict[str, str | None]:
    """The AWS provider's identity settings from stack config (empty offline)."""
    cfg = pulumi.Config("aws")
    return {key: cfg.get(key) for key in ("profile", "assumeRoles", "assumeRole")}


__all__ = [
    "AddonPin",
    "Cluster",
    "ClusterArgs",
    "addons",
    "ami_type",
    "autoscaler_policy",
    "autoscaler_tags",
    "autoscaler_values",
    "aws_identity",
    "capacity_type",
    "device_plugin_values",
    "is_gpu_pool",
    "is_nvidia_pool",
    "kubeconfig",
    "pool_gpu_type",
    "pool_labels",
    "pool_taints",
    "private_api_cidrs",
    "scaling",
    "upgrade_policy",
    "vpc_config",
]  # fmt: skip
