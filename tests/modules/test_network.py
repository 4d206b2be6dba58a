"""Network under the offline engine: layout, NAT per mode, routing, flow logs, tags."""

from __future__ import annotations

import json

import pytest
from mlplat.stacks import load_platform
from mlplat.stacks.plan.offline import run_offline

from tests.modules.infra_harness import assert_ownership_tags

SPEC = """\
apiVersion: mlplat.io/v1alpha1
kind: Platform
metadata: {{name: churn, labels: {{cost-center: ml-42}}}}
target: {{provider: aws, region: eu-west-1}}
network: {{cidr: 10.40.0.0/16, az_count: {azs}, nat: {nat}}}
environments:
  dev: {{profile: dev}}
  prod: {{profile: prod}}
"""


def plan(write_spec, env="dev", nat="single", azs=3):
    # Profiles put a NAT default below the spec; the spec's value wins.
    return run_offline(load_platform(write_spec(SPEC.format(nat=nat, azs=azs)), env))


@pytest.mark.parametrize(
    "nat,azs,expected", [("none", 3, 0), ("single", 3, 1), ("per-az", 3, 3), ("per-az", 2, 2)]
)
def test_nat_gateways_per_mode(write_spec, nat, azs, expected):
    p = plan(write_spec, nat=nat, azs=azs)
    assert len(p.of_type("aws:ec2/natGateway:NatGateway")) == expected
    assert len(p.of_type("aws:ec2/eip:Eip")) == expected
    private_routes = [r for r in p.of_type("aws:ec2/route:Route") if "private" in r.name]
    assert len(private_routes) == (0 if nat == "none" else azs)
    nat_urns = {r.urn for r in p.of_type("aws:ec2/natGateway:NatGateway")}
    for route in private_routes:
        assert route.inputs["destinationCidrBlock"] == "0.0.0.0/0"
        assert set(route.dependencies) & nat_urns


def test_per_az_routes_use_their_own_nat(write_spec):
    p = plan(write_spec, nat="per-az", azs=3)
    for s in "abc":
        route = p.named(f"network-private-default-route-{s}")
        nat = p.named(f"network-nat-{s}")
        assert route is not None and nat is not None
        assert nat.urn in route.dependencies


def test_vpc_and_subnets(write_spec):
    p = plan(write_spec)
    vpc = p.named("network-vpc")
    assert vpc is not None
    assert vpc.inputs["cidrBlock"] == "10.40.0.0/16"
    assert vpc.inputs["enableDnsHostnames"] is True and vpc.inputs["enableDnsSupport"] is True
    subnets = p.of_type("aws:ec2/subnet:Subnet")
    assert len(subnets) == 6
    private = [s for s in subnets if "private" in s.name]
    public = [s for s in subnets if "public" in s.name]
    assert {s.inputs["availabilityZone"] for s in private} == {"eu-west-1a", "eu-west-1b", "eu-west-1c"}
    assert all(s.tags["kubernetes.io/role/internal-elb"] == "1" for s in private)
    assert all(s.tags["kubernetes.io/role/elb"] == "1" for s in public)
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in subnets)
    assert len(p.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")) == 6
    igw_route = p.named("network-public-default-route")
    assert igw_route is not None and p.named("network-igw").urn in igw_route.dependencies  # type: ignore[union-attr]
    # the default security group is locked down (no rules)
    sg = p.named("network-default-sg")
    assert sg is not None and not sg.inputs.get("ingress") and not sg.inputs.get("egress")


def test_flow_logs_to_cloudwatch(write_spec):
    p = plan(write_spec, env="prod")
    flow = p.named("network-flow-log")
    assert flow is not None
    assert flow.inputs["trafficType"] == "ALL"
    assert flow.inputs["logDestinationType"] == "cloud-watch-logs"
    group = p.named("network-flow-logs")
    assert group is not None and group.inputs["retentionInDays"] == 365  # protected env keeps a year
    role = p.named("network-flow-logs-role")
    assert role is not None
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert group.urn in flow.dependencies and role.urn in flow.dependencies
    assert plan(write_spec, env="dev").named("network-flow-logs").inputs["retentionInDays"] == 30  # type: ignore[union-attr]


def test_every_taggable_resource_has_ownership_tags(write_spec):
    p = plan(write_spec, nat="per-az")
    n = assert_ownership_tags([r for r in p if r.component == "network"], "network")
    assert n >= 20
    assert p.named("network-vpc").tags["Name"] == "churn-dev-vpc"  # type: ignore[union-attr]
    assert p.named("network-vpc").tags["cost-center"] == "ml-42"  # type: ignore[union-attr]


def test_children_parented_to_component(write_spec):
    p = plan(write_spec)
    comp = p.of_type("mlplat:index:Network")
    assert len(comp) == 1
    for r in p:
        if r.component == "network" and r.type != "mlplat:index:Network":
            assert r.parent == comp[0].urn
            assert r.name.startswith("network-")


def test_deterministic(write_spec):
    a = plan(write_spec, nat="per-az").to_json()
    b = plan(write_spec, nat="per-az").to_json()
    assert a == b


def test_s3_gateway_endpoint_always_and_interface_endpoints_without_nat(write_spec):
    p = plan(write_spec, nat="single")
    eps = p.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    assert [e.inputs["serviceName"] for e in eps] == ["com.amazonaws.eu-west-1.s3"]
    assert eps[0].inputs["vpcEndpointType"] == "Gateway"
    assert len(eps[0].inputs["routeTableIds"]) == 3
    p = plan(write_spec, nat="none")
    iface = [
        e for e in p.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") if e.inputs["vpcEndpointType"] == "Interface"
    ]
    names = {e.inputs["serviceName"].rsplit(".", 1)[-1] for e in iface}
    assert {"api", "dkr", "sts", "ec2", "eks-auth"} <= names
    assert all(e.inputs["privateDnsEnabled"] is True and len(e.inputs["subnetIds"]) == 3 for e in iface)
    rule = p.named("network-endpoints-ingress")
    assert rule is not None and rule.inputs["cidrIpv4"] == "10.40.0.0/16" and rule.inputs["fromPort"] == 443
