"""Cluster under the offline engine: EKS, node groups, IRSA, add-ons; kubernetes targets."""

from __future__ import annotations

import json

from mlplat.stacks import load_platform
from mlplat.stacks.plan.offline import run_offline

from tests.modules.infra_harness import assert_ownership_tags

SPEC = """\
apiVersion: mlplat.io/v1alpha1
kind: Platform
metadata: {name: churn, labels: {cost-center: ml-42}}
target: {provider: aws, region: us-east-1}
network: {cidr: 10.40.0.0/16, az_count: 2, nat: single}
cluster:
  kubernetes_version: "1.35"
  node_pools:
    - {name: system, instance_type: m6i.large, min_size: 2, max_size: 4}
    - name: gpu-train
      instance_type: g5.2xlarge
      gpu: {count: 1}
      capacity: spot
      min_size: 0
      max_size: 8
      taints: [{key: nvidia.com/gpu, value: "true", effect: NoSchedule}]
    - {name: gpu-serve, instance_type: g5.xlarge, gpu: {count: 1}, min_size: 1, max_size: 4}
    - {name: arm, instance_type: m7g.large, labels: {arch: arm64}, taints: [{key: arch, value: arm64}]}
environments:
  dev: {profile: dev}
  prod: {profile: prod}
"""
CPU_ONLY = """\
apiVersion: mlplat.io/v1alpha1
kind: Platform
metadata: {name: churn}
target: {provider: aws, region: us-east-1}
cluster:
  public_endpoint: true
  public_access_cidrs: [203.0.113.0/24, 198.51.100.7/32]
  admins: [arn:aws:iam::123456789012:role/ci-deployer, arn:aws:iam::123456789012:role/sso-admin]
  node_pools:
    - {name: system, instance_type: m6i.large}
environments:
  dev: {profile: dev}
"""
ONPREM = """\
apiVersion: mlplat.io/v1alpha1
kind: Platform
metadata: {name: lab}
target: {provider: kubernetes, context: lab-admin}
cluster:
  quota: {cpu: "64", memory: 256Gi, gpu: 4}
environments:
  dev: {profile: dev}
"""


def plan(write_spec, text=SPEC, env="prod"):
    return run_offline(load_platform(write_spec(text), env))


def ng(p, pool):
    r = p.named(f"cluster-{pool}")
    assert r is not None and r.type == "aws:eks/nodeGroup:NodeGroup"
    return r


def test_eks_cluster_private_logged_encrypted(write_spec):
    p = plan(write_spec)
    (eks,) = p.of_type("aws:eks/cluster:Cluster")
    assert eks.name == "cluster-eks"
    assert eks.inputs["name"] == "churn-prod-cluster"
    assert eks.inputs["version"] == "1.35"
    vpc = eks.inputs["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True and vpc["endpointPublicAccess"] is False
    assert len(vpc["subnetIds"]) == 2  # the private subnets
    assert sorted(eks.inputs["enabledClusterLogTypes"]) == sorted(
        ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    )
    enc = eks.inputs["encryptionConfig"]
    assert enc["resources"] == ["secrets"]
    key = p.named("cluster-kms")
    assert key is not None and key.inputs["enableKeyRotation"] is True and key.protect is True
    assert key.urn in eks.dependencies
    role = p.named("cluster-role")
    assert role is not None and role.urn in eks.dependencies
    assert p.named("cluster-role-AmazonEKSClusterPolicy").urn in eks.dependencies  # type: ignore[union-attr]
    logs = p.named("cluster-control-plane-logs")
    assert logs is not None and logs.inputs["name"] == "/aws/eks/churn-prod-cluster/cluster"


def test_public_endpoint_when_asked(write_spec):
    p = plan(write_spec, CPU_ONLY, "dev")
    (eks,) = p.of_type("aws:eks/cluster:Cluster")
    vpc = eks.inputs["vpcConfig"]
    assert vpc["endpointPublicAccess"] is True and vpc["endpointPrivateAccess"] is True
    # Only the spec's networks reach the public endpoint (EKS would default to 0.0.0.0/0).
    assert vpc["publicAccessCidrs"] == ["203.0.113.0/24", "198.51.100.7/32"]
    # an implied network is created for the cluster
    assert p.of_type("aws:ec2/vpc:Vpc")


def test_private_endpoint_reachable_from_vpc_and_stated_networks(write_spec):
    text = SPEC.replace("  kubernetes_version:", "  private_access_cidrs: [10.90.0.0/24]\n  kubernetes_version:")
    p = plan(write_spec, text)
    (eks,) = p.of_type("aws:eks/cluster:Cluster")
    assert "publicAccessCidrs" not in eks.inputs["vpcConfig"]
    rule = p.named("cluster-api-private-access")
    assert rule is not None and rule.type == "aws:ec2/securityGroupRule:SecurityGroupRule"
    # The EKS cluster security group admits only itself: the VPC (10.40.0.0/16 in SPEC) and the
    # stated runner subnet get 443, nothing else.
    assert rule.inputs["cidrBlocks"] == ["10.40.0.0/16", "10.90.0.0/24"]
    assert (rule.inputs["fromPort"], rule.inputs["toPort"], rule.inputs["type"]) == (443, 443, "ingress")


def test_admins_get_access_entries_and_the_provider_waits_for_them(write_spec):
    p = plan(write_spec, CPU_ONLY, "dev")
    (eks,) = p.of_type("aws:eks/cluster:Cluster")
    assert eks.inputs["accessConfig"]["authenticationMode"] == "API"
    entries = {r.inputs["principalArn"]: r for r in p.of_type("aws:eks/accessEntry:AccessEntry")}
    assert set(entries) == {"arn:aws:iam::123456789012:role/ci-deployer", "arn:aws:iam::123456789012:role/sso-admin"}
    assocs = p.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert {a.inputs["principalArn"] for a in assocs} == set(entries)
    for a in assocs:
        assert a.inputs["policyArn"] == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
        assert a.inputs["accessScope"] == {"type": "cluster"}
        assert entries[a.inputs["principalArn"]].urn in a.dependencies
    prov = p.named("cluster-k8s")
    assert prov is not None and {a.urn for a in assocs} <= set(prov.dependencies)


def test_upgrade_policy_follows_the_spec(write_spec):
    p = plan(write_spec)
    (eks,) = p.of_type("aws:eks/cluster:Cluster")
    assert eks.inputs["upgradePolicy"] == {"supportType": "STANDARD"}
    text = SPEC.replace("  kubernetes_version:", "  upgrade_policy: extended\n  kubernetes_version:")
    (eks,) = plan(write_spec, text).of_type("aws:eks/cluster:Cluster")
    assert eks.inputs["upgradePolicy"] == {"supportType": "EXTENDED"}


def test_kubeconfig_uses_the_aws_providers_identity(write_spec):
    p = plan(write_spec)
    prov = p.named("cluster-k8s")
    assert prov is not None
    kubeconfig = prov.inputs["kubeconfig"]
    # Offline the cluster endpoint is unknown, so the kubeconfig is too; its identity part is a
    # pure function (tests/unit/test_cluster_pure.py) fed from stack config.
    assert kubeconfig == "<unknown>"


def test_oidc_provider_for_irsa(write_spec):
    p = plan(write_spec)
    (oidc,) = p.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert oidc.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    assert oidc.inputs["url"] == "<unknown>"  # the cluster's issuer, known after apply
    assert p.named("cluster-eks").urn in oidc.dependencies  # type: ignore[union-attr]


def test_gpu_pools_tainted_labelled_with_nvidia_ami(write_spec):
    p = plan(write_spec)
    for pool in ("gpu-train", "gpu-serve"):
        r = ng(p, pool)
        assert r.inputs["amiType"] == "AL2023_x86_64_NVIDIA"
        assert r.inputs["taints"] == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]
        assert r.inputs["labels"]["nvidia.com/gpu.present"] == "true"
        assert r.inputs["labels"]["mlplat.io/gpu-type"] == "A10G"
    system = ng(p, "system")
    assert system.inputs["amiType"] == "AL2023_x86_64_STANDARD"
    assert system.inputs["taints"] == []
    arm = ng(p, "arm")
    assert arm.inputs["amiType"] == "AL2023_ARM_64_STANDARD"
    assert arm.inputs["taints"] == [{"key": "arch", "value": "arm64", "effect": "NO_SCHEDULE"}]
    assert arm.inputs["labels"]["arch"] == "arm64"


def test_capacity_scaling_and_names(write_spec):
    p = plan(write_spec)
    train, serve, system = ng(p, "gpu-train"), ng(p, "gpu-serve"), ng(p, "system")
    assert train.inputs["capacityType"] == "SPOT"
    assert serve.inputs["capacityType"] == "ON_DEMAND"
    assert train.inputs["scalingConfig"] == {"minSize": 0, "maxSize": 8, "desiredSize": 0}
    assert system.inputs["scalingConfig"] == {"minSize": 2, "maxSize": 4, "desiredSize": 2}
    assert train.inputs["instanceTypes"] == ["g5.2xlarge"]
    assert train.inputs["nodeGroupName"] == "churn-prod-gpu-train"
    assert train.inputs["diskSize"] == 100
    assert train.inputs["clusterName"] == "churn-prod-cluster"
    assert train.tags["k8s.io/cluster-autoscaler/enabled"] == "true"
    assert train.tags["k8s.io/cluster-autoscaler/churn-prod-cluster"] == "owned"
    node_role = p.named("cluster-node-role")
    assert node_role is not None and node_role.urn in train.dependencies
    assert p.named("cluster-node-role-AmazonEKSWorkerNodePolicy").urn in train.dependencies  # type: ignore[union-attr]


def test_kubernetes_provider_and_helm_addons(write_spec):
    p = plan(write_spec)
    provs = [r for r in p if r.type == "pulumi:providers:kubernetes"]
    assert [r.name for r in provs] == ["cluster-k8s"]
    (prov,) = provs
    releases = {r.name: r for r in p.of_type("kubernetes:helm.sh/v3:Release")}
    assert set(releases) == {"cluster-nvidia-device-plugin", "cluster-autoscaler"}
    for r in releases.values():
        assert r.provider == prov.urn
        assert r.inputs["version"] and r.inputs["repositoryOpts"]["repo"].startswith("https://")
        assert r.inputs["namespace"] == "kube-system"
    dp = releases["cluster-nvidia-device-plugin"].inputs
    assert dp["chart"] == "nvidia-device-plugin"
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in dp["values"][
        "tolerations"
    ]
    ca = releases["cluster-autoscaler"].inputs
    assert ca["chart"] == "cluster-autoscaler"
    assert ca["values"]["autoDiscovery"] == {"clusterName": "churn-prod-cluster"}
    assert ca["values"]["image"]["tag"] == "v1.35.2"  # newest cluster-autoscaler 1.35 patch (tag cluster-autoscaler-1.35.2)
    assert "eks.amazonaws.com/role-arn" in ca["values"]["rbac"]["serviceAccount"]["annotations"]
    # add-ons wait for the node groups, and the IRSA consumer for its role's policy
    assert ng(p, "system").urn in releases["cluster-autoscaler"].dependencies
    assert p.named("cluster-autoscaler-irsa-policy").urn in releases["cluster-autoscaler"].dependencies  # type: ignore[union-attr]


def test_autoscaler_irsa_scoped(write_spec):
    p = plan(write_spec)
    role = p.named("cluster-autoscaler-irsa")
    assert role is not None and role.type == "aws:iam/role:Role"
    pol = json.loads(p.named("cluster-autoscaler-irsa-policy").inputs["policy"])  # type: ignore[union-attr]
    scale = next(s for s in pol["Statement"] if "autoscaling:SetDesiredCapacity" in s["Action"])
    assert scale["Condition"]["StringEquals"] == {
        "aws:ResourceTag/k8s.io/cluster-autoscaler/churn-prod-cluster": "owned"
    }
    assert p.named("cluster-oidc").urn in role.dependencies  # type: ignore[union-attr]


def test_eks_addons_pinned_and_ordered(write_spec):
    p = plan(write_spec)
    addons = {r.inputs["addonName"]: r for r in p.of_type("aws:eks/addon:Addon")}
    assert set(addons) == {"vpc-cni", "kube-proxy", "coredns", "aws-ebs-csi-driver"}
    # The network policy agent is off unless configured: without it NetworkPolicies do nothing.
    assert json.loads(addons["vpc-cni"].inputs["configurationValues"]) == {"enableNetworkPolicy": "true"}
    # Pins for 1.35 from the EKS user guide tables (docs.aws.amazon.com managing-kube-proxy,
    # docs.amazonaws.cn managing-coredns); see stacks/platform_spec/eks_catalogue.json.
    assert addons["kube-proxy"].inputs["addonVersion"] == "v1.35.3-eksbuild.13"
    assert addons["coredns"].inputs["addonVersion"] == "v1.14.2-eksbuild.4"
    pools = [ng(p, n) for n in ("system", "gpu-train", "gpu-serve", "arm")]
    for pool in pools:  # vpc-cni before compute, like terraform-aws-eks `before_compute`
        assert addons["vpc-cni"].urn in pool.dependencies
        assert addons["kube-proxy"].urn in pool.dependencies
    for late in ("coredns", "aws-ebs-csi-driver"):  # these run as pods: after the nodes
        assert {pool.urn for pool in pools} <= set(addons[late].dependencies)
    ebs = addons["aws-ebs-csi-driver"]
    assert ebs.inputs["serviceAccountRoleArn"] == "<unknown>"
    assert p.named("cluster-ebs-csi-irsa-AmazonEBSCSIDriverPolicy").urn in ebs.dependencies  # type: ignore[union-attr]
    prov = p.named("cluster-k8s")
    assert prov is not None and {a.urn for a in addons.values()} <= set(prov.dependencies)


def test_ebs_csi_and_default_storage_class(write_spec):
    p = plan(write_spec)
    (sc,) = p.of_type("kubernetes:storage.k8s.io/v1:StorageClass")
    assert sc.inputs["provisioner"] == "ebs.csi.aws.com"
    assert sc.inputs["parameters"]["encrypted"] == "true"
    assert sc.inputs["metadata"]["labels"]["mlplat.io/component"] == "cluster"


def test_no_device_plugin_without_gpu_pools(write_spec):
    p = plan(write_spec, CPU_ONLY, "dev")
    names = {r.name for r in p.of_type("kubernetes:helm.sh/v3:Release")}
    assert names == {"cluster-autoscaler"}


def test_ownership_tags(write_spec):
    p = plan(write_spec)
    assert assert_ownership_tags([r for r in p if r.component == "cluster"], "cluster") >= 12


def test_kubernetes_target_only_a_provider(write_spec):
    p = plan(write_spec, ONPREM, "dev")
    cluster = [r for r in p if r.component == "cluster"]
    assert sorted(r.type for r in cluster) == ["mlplat:index:Cluster", "pulumi:providers:kubernetes"]
    prov = next(r for r in cluster if r.type == "pulumi:providers:kubernetes")
    assert prov.name == "cluster-k8s"
    assert prov.inputs["context"] == "lab-admin"
    assert not [r for r in p if r.type.startswith("aws:")]


def test_cluster_ref_on_kubernetes_target():
    from mlplat.modules.cluster import Cluster, ClusterArgs
    from mlplat.stacks.platform_spec.model import Cluster as ClusterSpec
    from mlplat.stacks.platform_spec.model import Quota

    from tests.modules.infra_harness import make_context, run

    ctx = make_context("dev", provider="kubernetes", region=None)
    refs = []

    def program():
        refs.append(Cluster("cluster", ClusterArgs(ctx, ClusterSpec(quota=Quota(gpu=2)), None, "ctx-a")).ref)
        refs.append(Cluster("other", ClusterArgs(ctx, None, None, "ctx-b")).ref)

    p = run(program)
    assert refs[0].gpu is True and refs[0].name == "ctx-a" and refs[0].oidc_provider_arn is None
    assert refs[1].gpu is False
    assert [r.inputs.get("context") for r in p.records if r.type == "pulumi:providers:kubernetes"] == [
        "ctx-a",
        "ctx-b",
    ]


def test_control_plane_logs_encrypted_with_a_key_logs_may_use(write_spec):
    p = plan(write_spec)
    logs = p.named("cluster-control-plane-logs")
    key = p.named("cluster-kms")
    assert logs is not None and key is not None
    assert logs.inputs["kmsKeyId"] == "<unknown>" and key.urn in logs.dependencies
    policy = json.loads(key.inputs["policy"])
    svc = next(s for s in policy["Statement"] if s.get("Principal", {}).get("Service"))
    assert svc["Principal"]["Service"] == "logs.us-east-1.amazonaws.com"
    # Only this account's log groups (offline account id 123456789012 from the mocked caller identity).
    assert svc["Condition"]["ArnLike"] == {
        "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:123456789012:log-group:*"
    }
    root = next(s for s in policy["Statement"] if s.get("Principal", {}).get("AWS"))
    assert root["Principal"]["AWS"] == "arn:aws:iam::123456789012:root"  # no lock-out of the account
