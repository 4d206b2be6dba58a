import pytest
from mlplat.modules.cluster import (
    ami_type,
    autoscaler_image_tag,
    autoscaler_policy,
    autoscaler_tags,
    capacity_type,
    device_plugin_values,
    is_gpu_pool,
    kubeconfig,
    pool_labels,
    pool_taints,
    scaling,
)
from mlplat.stacks.platform_spec.model import Gpu, NodePool, Taint


def pool(**kw):
    kw.setdefault("name", "p")
    return NodePool(**kw)


@pytest.mark.parametrize(
    "itype,gpu,expected",
    [
        ("g5.xlarge", True, "AL2023_x86_64_NVIDIA"),
        ("p4d.24xlarge", True, "AL2023_x86_64_NVIDIA"),
        ("g5g.xlarge", True, "AL2023_ARM_64_NVIDIA"),
        ("m7g.large", False, "AL2023_ARM_64_STANDARD"),
        ("t4g.medium", False, "AL2023_ARM_64_STANDARD"),
        ("m6i.large", False, "AL2023_x86_64_STANDARD"),
        ("c5.xlarge", False, "AL2023_x86_64_STANDARD"),
        # Inferentia / Trainium: the Neuron AMI (EKS AMITypes: AL2023_x86_64_NEURON); found by
        # the acceptance sweep, they got the standard AMI, which has no Neuron driver
        ("inf2.xlarge", False, "AL2023_x86_64_NEURON"),
        ("inf1.xlarge", False, "AL2023_x86_64_NEURON"),
        ("trn1.2xlarge", False, "AL2023_x86_64_NEURON"),
    ],
)
def test_ami_type(itype, gpu, expected):
    p = pool(instance_type=itype, gpu=Gpu() if gpu else None)
    assert ami_type(p) == expected


def test_gpu_pool_detected_from_instance_family_even_without_gpu_block():
    assert is_gpu_pool(pool(instance_type="g5.xlarge"))
    assert ami_type(pool(instance_type="g5.xlarge")) == "AL2023_x86_64_NVIDIA"
    assert not is_gpu_pool(pool(instance_type="m6i.large"))


def test_gpu_pool_labels_and_taint():
    p = pool(instance_type="g5.2xlarge", gpu=Gpu(), labels={"team": "ml"})
    assert pool_labels(p) == {
        "mlplat.io/node-pool": "p", "team": "ml", "nvidia.com/gpu.present": "true", "mlplat.io/gpu-type": "A10G",
    }  # fmt: skip
    assert pool_taints(p) == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]


def test_gpu_taint_not_duplicated_and_effects_mapped():
    p = pool(
        instance_type="g4dn.xlarge",
        gpu=Gpu(),
        taints=[Taint(key="nvidia.com/gpu", value="true"), Taint(key="dedicated", effect="NoExecute")],
    )
    taints = pool_taints(p)
    assert [t["key"] for t in taints] == ["nvidia.com/gpu", "dedicated"]
    assert taints[1] == {"key": "dedicated", "effect": "NO_EXECUTE"}  # empty value omitted
    assert pool_labels(p)["mlplat.io/gpu-type"] == "T4"


def test_cpu_pool_untainted():
    assert pool_taints(pool(instance_type="m6i.large")) == []
    assert "nvidia.com/gpu.present" not in pool_labels(pool(instance_type="m6i.large"))


def test_capacity_and_scaling():
    assert capacity_type(pool(instance_type="g5.xlarge", capacity="spot")) == "SPOT"
    assert capacity_type(pool(instance_type="m6i.large")) == "ON_DEMAND"
    assert scaling(pool(instance_type="m6i.large", min_size=2, max_size=4)) == {
        "min_size": 2, "max_size": 4, "desired_size": 2,
    }  # fmt: skip
    assert scaling(pool(instance_type="g5.xlarge", min_size=0, max_size=8))["desired_size"] == 0


def test_autoscaler_tags_and_policy():
    p = pool(instance_type="g5.12xlarge", gpu=Gpu(count=4))
    tags = autoscaler_tags("churn-prod-cluster", p)
    assert tags["k8s.io/cluster-autoscaler/enabled"] == "true"
    assert tags["k8s.io/cluster-autoscaler/churn-prod-cluster"] == "owned"
    assert tags["k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu"] == "true:NoSchedule"
    assert tags["k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu"] == "4"
    pol = autoscaler_policy("churn-prod-cluster")
    scale = pol["Statement"][1]
    assert "autoscaling:SetDesiredCapacity" in scale["Action"]
    assert scale["Condition"]["StringEquals"] == {
        "aws:ResourceTag/k8s.io/cluster-autoscaler/churn-prod-cluster": "owned"
    }
    assert all(a.split(":")[1].startswith(("Describe", "Get")) for a in pol["Statement"][0]["Action"])
    # Newest cluster-autoscaler patch per minor (kubernetes/autoscaler tags cluster-autoscaler-1.35.2,
    # -1.34.5): not the unpatched v1.M.0 first release.
    assert autoscaler_image_tag("1.35") == "v1.35.2"
    assert autoscaler_image_tag("1.34") == "v1.34.5"


def test_device_plugin_tolerates_gpu_taint():
    vals = device_plugin_values()
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in vals["tolerations"]


def test_kubeconfig_uses_exec_auth_and_no_secret():
    kc = kubeconfig("c", "https://x", "Q0E=", "eu-west-1")
    assert kc["current-context"] == "c"
    assert kc["clusters"][0]["cluster"] == {"server": "https://x", "certificate-authority-data": "Q0E="}
    ex = kc["users"][0]["user"]["exec"]
    assert ex["command"] == "aws" and ex["args"][:4] == ["eks", "get-token", "--cluster-name", "c"]
    assert "eu-west-1" in ex["args"]
    assert "token" not in kc["users"][0]["user"]


def test_kubeconfig_mints_tokens_as_the_aws_providers_identity():
    """The same profile/role as the AWS provider: otherwise the token belongs to whatever the shell has."""
    from mlplat.modules.cluster import aws_identity

    profile, role = aws_identity(
        {"profile": "acme-prod", "assumeRoles": '[{"roleArn": "arn:aws:iam::123456789012:role/deployer"}]'}
    )
    assert (profile, role) == ("acme-prod", "arn:aws:iam::123456789012:role/deployer")
    args = kubeconfig("c", "https://x", "Q0E=", "eu-west-1", profile=profile, role_arn=role)["users"][0]["user"][
        "exec"
    ]["args"]
    assert args[args.index("--profile") + 1] == "acme-prod"
    assert args[args.index("--role-arn") + 1] == "arn:aws:iam::123456789012:role/deployer"
    # Nothing configured: no flags, the aws CLI inherits AWS_PROFILE & co. like the provider does.
    assert aws_identity({}) == (None, None)
    plain = kubeconfig("c", "https://x", "Q0E=", "eu-west-1")["users"][0]["user"]["exec"]["args"]
    assert "--profile" not in plain and "--role-arn" not in plain
    # pulumi-aws 6's single assumeRole object is read too
    assert aws_identity({"assumeRole": '{"roleArn": "arn:aws:iam::1:role/r"}'})[1] == "arn:aws:iam::1:role/r"


def test_endpoint_access_model():
    from mlplat.modules.cluster import private_api_cidrs, vpc_config
    from mlplat.stacks.platform_spec.model import Cluster as ClusterSpec

    private = ClusterSpec(private_access_cidrs=["10.90.0.0/24"])
    assert vpc_config(private, ["s1"]) == {
        "subnet_ids": ["s1"], "endpoint_private_access": True, "endpoint_public_access": False,
    }  # fmt: skip
    assert private_api_cidrs(private, "10.40.0.0/16") == ["10.40.0.0/16", "10.90.0.0/24"]
    public = ClusterSpec(public_endpoint=True, public_access_cidrs=["198.51.100.7/32"])
    assert vpc_config(public, [])["public_access_cidrs"] == ["198.51.100.7/32"]


def test_addons_pinned_per_version_and_vpc_cni_first():
    from mlplat.modules.cluster import addons

    pins = {a.name: a for a in addons("1.34")}
    assert [a.name for a in addons("1.34") if a.before_compute] == ["vpc-cni", "kube-proxy"]
    assert pins["vpc-cni"].configuration == {"enableNetworkPolicy": "true"}
    # kube-proxy tracks the Kubernetes patch: 1.34 → v1.34.x (EKS user guide managing-kube-proxy table)
    assert pins["kube-proxy"].version == "v1.34.6-eksbuild.13"
    assert addons("1.35")[1].version != pins["kube-proxy"].version
