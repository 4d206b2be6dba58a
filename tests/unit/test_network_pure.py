import ipaddress

import pytest
from mlplat.modules.network import az_names, flow_log_policy, nat_for_az, nat_gateway_count, subnet_cidrs


def _nets(cidrs):
    return [ipaddress.IPv4Network(c) for c in cidrs]


@pytest.mark.parametrize("cidr", ["10.0.0.0/16", "10.40.0.0/16", "172.16.0.0/20", "192.168.1.0/24"])
@pytest.mark.parametrize("azs", [1, 2, 3, 4, 5, 6])
def test_subnets_fit_do_not_overlap_and_respect_aws_minimum(cidr, azs):
    public, private = subnet_cidrs(cidr, azs)
    assert len(public) == len(private) == azs
    vpc = ipaddress.IPv4Network(cidr)
    nets = _nets(public + private)
    for n in nets:
        assert n.subnet_of(vpc)
        assert n.prefixlen <= 28
    for i, a in enumerate(nets):
        for b in nets[i + 1 :]:  # may be empty: the last subnet has no later one to compare with
            assert not a.overlaps(b)
    # private subnets (nodes, pods) are the larger ones
    assert _nets(private)[0].num_addresses >= _nets(public)[0].num_addresses


def test_subnets_reference_layout():
    public, private = subnet_cidrs("10.40.0.0/16", 3)
    assert private == ["10.40.0.0/19", "10.40.32.0/19", "10.40.64.0/19"]
    assert public == ["10.40.128.0/21", "10.40.136.0/21", "10.40.144.0/21"]


def test_az_names_deterministic():
    assert az_names("eu-west-1", 3) == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    with pytest.raises(ValueError):
        az_names("eu-west-1", 7)


@pytest.mark.parametrize(
    "mode,azs,count", [("none", 3, 0), ("single", 3, 1), ("per-az", 3, 3), ("per-az", 1, 1)]
)
def test_nat_gateway_count(mode, azs, count):
    assert nat_gateway_count(mode, azs) == count


def test_nat_for_az():
    assert [nat_for_az("per-az", i) for i in range(3)] == [0, 1, 2]
    assert [nat_for_az("single", i) for i in range(3)] == [0, 0, 0]
    assert nat_for_az("none", 1) is None


def test_flow_log_policy_scoped_to_log_group():
    st = flow_log_policy("arn:lg")["Statement"][0]
    assert st["Resource"] == ["arn:lg", "arn:lg:*"]
    assert "logs:PutLogEvents" in st["Action"]


def test_endpoints():
    from mlplat.modules.network import endpoint_service_name, interface_endpoints

    assert endpoint_service_name("us-east-1", "s3") == "com.amazonaws.us-east-1.s3"
    assert endpoint_service_name("cn-north-1", "ecr.api") == "cn.com.amazonaws.cn-north-1.ecr.api"
    assert interface_endpoints("single") == ()
    assert {"ecr.api", "ecr.dkr", "sts", "ec2", "eks-auth"} <= set(interface_endpoints("none"))


def test_zones_come_from_the_lookup_not_from_letters():
    from mlplat.modules.network import pick_azs

    # An account whose us-east-1 lacks "c" in its list (zones are per account): no made-up us-east-1c.
    assert pick_azs(["us-east-1d", "us-east-1a", "us-east-1b"], 3, "us-east-1") == [
        "us-east-1a", "us-east-1b", "us-east-1d",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="offers this account 2 zones"):
        pick_azs(["ap-x-1a", "ap-x-1b"], 3, "ap-x-1")
