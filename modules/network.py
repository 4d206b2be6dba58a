"""Network (aws): VPC, public and private subnets over `az_count` AZs, internet gateway,
NAT gateways per `nat` mode, route tables and VPC flow logs.

Pure layout functions first (tested without Pulumi), then the component.
AZ names are derived from the region (`us-east-1` → `us-east-1a`, `-1b`, …) rather than
looked up, so offline plans stay deterministic and need no invoke.
"""

from __future__ import annotations

import ipaddress
import json
import math
import string
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
from mlplat.stacks.platform_spec.model import Network as NetworkSpec

from .aws_kms import platform_key
from .common import Context, NetworkRef

COMPONENT = "network"
FlowLogDestination = Literal["cloudwatch", "s3", "none"]
MIN_SUBNET_PREFIX = 28  # the smallest subnet AWS allows

# --------------------------------------------------------------------------- pure


def pick_azs(available: list[str], count: int, region: str) -> list[str]:
    """The first `count` zones the account has in `region` (sorted: the same pick on every run).

    Zones are looked up, not spelled from letters: accounts map letters to physical zones
    differently, and some regions lack a letter (us-east-1 has no use of "e" for many accounts).
    """
    zones = sorted(available)
    if count > len(zones):
        raise ValueError(
            f"network.az_count is {count} but {region} offers this account {len(zones)} zones "
            f"({', '.join(zones) or 'none'})"
        )
    return zones[:count]


def az_names(region: str, count: int) -> list[str]:
    """Deterministic AZ names for a region: `us-east-1a`, `us-east-1b`, …"""
    if not 1 <= count <= 6:
        raise ValueError(f"az_count must be between 1 and 6, got {count}")
    return [f"{region}{string.ascii_lowercase[i]}" for i in range(count)]


def subnet_cidrs(cidr: str, az_count: int) -> tuple[list[str], list[str]]:
    """Split a VPC CIDR into (public, private) subnets, one of each per AZ.

    The lower half of the VPC holds the private subnets (where nodes, pods and databases live),
    split into the next power of two ≥ az_count; the upper half holds public subnets a quarter
    of that size (load balancers and NAT gateways only), never smaller than /28.
    """
    vpc = ipaddress.IPv4Network(cidr, strict=True)
    slots = 1 << math.ceil(math.log2(az_count)) if az_count > 1 else 1
    bits = int(math.log2(slots))
    private_prefix = vpc.prefixlen + 1 + bits
    if private_prefix > MIN_SUBNET_PREFIX:
        raise ValueError(
            f"{cidr} is too small for {az_count} AZs (private subnets would be /{private_prefix})"
        )
    public_prefix = min(private_prefix + 2, MIN_SUBNET_PREFIX)
    lower, upper = vpc.subnets(prefixlen_diff=1)
    private = [str(s) for s in lower.subnets(new_prefix=private_prefix)][:az_count]
    public = [str(s) for s in upper.subnets(new_prefix=public_prefix)][:az_count]
    return public, private


def nat_gateway_count(mode: str, az_count: int) -> int:
    """NAT gateways per `nat` mode: none → 0, single → 1, per-az → one per AZ."""
    if mode == "none":
        return 0
    if mode == "single":
        return 1
    if mode == "per-az":
        return az_count
    raise ValueError(f"unknown nat mode {mode!r}")


def nat_for_az(mode: str, az_index: int) -> int | None:
    """Which NAT gateway the private route table of AZ `az_index` routes through (None: no egress)."""
    if mode == "none":
        return None
    return az_index if mode == "per-az" else 0


def flow_log_policy(log_group_arn: str) -> dict[str, Any]:
    """What the flow-log delivery role may do: write to its own log group only."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:DescribeLogGroups",
                    "logs:DescribeLogStreams",
                ],
                "Resource": [log_group_arn, f"{log_group_arn}:*"],
            }
        ],
    }


def flow_log_trust_policy() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }


# Interface endpoints private nodes need to join EKS and pull images when there is no NAT.
PRIVATE_ONLY_ENDPOINTS = (
    "ecr.api", "ecr.dkr", "sts", "ec2", "eks", "eks-auth", "logs", "autoscaling", "elasticloadbalancing",
)  # fmt: skip


def endpoint_service_name(region: str, service: str) -> str:
    """`com.amazonaws.<region>.<service>` (China regions use the `cn.` prefix)."""
    prefix = "cn.com.amazonaws" if region.startswith("cn-") else "com.amazonaws"
    return f"{prefix}.{region}.{service}"


def interface_endpoints(nat_mode: str) -> tuple[str, ...]:
    """Interface endpoints the VPC gets: only when private subnets have no NAT egress."""
    return PRIVATE_ONLY_ENDPOINTS if nat_mode == "none" else ()


def az_suffix(az: str) -> str:
    """`us-east-1a` → `a`: the short form used in logical names."""
    return az[-1]


# --------------------------------------------------------------------------- component


@dataclass
class NetworkArgs:
    ctx: Context
    spec: NetworkSpec
    flow_logs: FlowLogDestination = "cloudwatch"
    flow_log_bucket_arn: pulumi.Input[str] | None = None  # required when flow_logs == "s3"
    flow_log_retention_days: int | None = None  # default: 365 where data is protected, else 30


class Network(pulumi.ComponentResource):
    """mlplat:index:Network — a VPC laid out for EKS."""

    ref: NetworkRef

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplat:index:Network", name, None, opts)
        ctx, spec = args.ctx, args.spec
        if not ctx.aws or not ctx.region:
            raise ValueError("Network is an aws component: the target needs a region")
        child = pulumi.ResourceOptions(parent=self)

        def tags(logical: str, physical: str | None = None, **extra: str) -> dict[str, str]:
            t = ctx.tags(COMPONENT, logical)
            t["Name"] = physical or ctx.name(logical)
            t.update(extra)
            return t

        # Regular zones only (no Local/Wavelength zones, which need opting in and lack NAT).
        found = aws.get_availability_zones(
            state="available", filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}]
        )
        azs = pick_azs(list(found.names or []), spec.az_count, ctx.region)
        public_cidrs, private_cidrs = subnet_cidrs(spec.cidr, spec.az_count)

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=spec.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags=tags(f"{name}-vpc", ctx.name("vpc")),
            opts=child,
        )
        # Lock down the default security group: no rules at all (nothing should use it).
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=self.vpc.id,
            tags=tags(f"{name}-default-sg", ctx.name("default")),
            opts=child,
        )

        self.public_subnets: list[aws.ec2.Subnet] = []
        self.private_subnets: list[aws.ec2.Subnet] = []
        for az, pub, priv in zip(azs, public_cidrs, private_cidrs):
            s = az_suffix(az)
            self.public_subnets.append(
                aws.ec2.Subnet(
                    f"{name}-public-{s}",
                    vpc_id=self.vpc.id,
                    cidr_block=pub,
                    availability_zone=az,
                    map_public_ip_on_launch=False,
                    tags=tags(
                        f"{name}-public-{s}", ctx.name(f"public-{s}"), **{"kubernetes.io/role/elb": "1"}
                    ),
                    opts=child,
                )
            )
            self.private_subnets.append(
                aws.ec2.Subnet(
                    f"{name}-private-{s}",
                    vpc_id=self.vpc.id,
                    cidr_block=priv,
                    availability_zone=az,
                    map_public_ip_on_launch=False,
                    tags=tags(
                        f"{name}-private-{s}",
                        ctx.name(f"private-{s}"),
                        **{"kubernetes.io/role/internal-elb": "1"},
                    ),
                    opts=child,
                )
            )

        self.igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=self.vpc.id, tags=tags(f"{name}-igw", ctx.name("igw")), opts=child
        )

        # Public routing: one table, default route to the internet gateway.
        public_rt = aws.ec2.RouteTable(
            f"{name}-public-rt",
            vpc_id=self.vpc.id,
            tags=tags(f"{name}-public-rt", ctx.name("public")),
            opts=child,
        )
        aws.ec2.Route(
            f"{name}-public-default-route",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=self.igw.id,
            opts=child,
        )
        for az, subnet in zip(azs, self.public_subnets):
            aws.ec2.RouteTableAssociation(
                f"{name}-public-rta-{az_suffix(az)}",
                subnet_id=subnet.id,
                route_table_id=public_rt.id,
                opts=child,
            )

        # NAT gateways (each with an Elastic IP) in the first public subnets.
        self.nat_gateways: list[aws.ec2.NatGateway] = []
        for i in range(nat_gateway_count(spec.nat, spec.az_count)):
            s = az_suffix(azs[i])
            eip = aws.ec2.Eip(
                f"{name}-nat-eip-{s}",
                domain="vpc",
                tags=tags(f"{name}-nat-eip-{s}", ctx.name(f"nat-{s}")),
                opts=child,
            )
            self.nat_gateways.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{s}",
                    allocation_id=eip.id,
                    subnet_id=self.public_subnets[i].id,
                    connectivity_type="public",
                    tags=tags(f"{name}-nat-{s}", ctx.name(f"nat-{s}")),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[self.igw]),
                )
            )

        # Private routing: one table per AZ, default route through its NAT gateway (if any).
        private_rts: list[aws.ec2.RouteTable] = []
        for i, (az, subnet) in enumerate(zip(azs, self.private_subnets)):
            s = az_suffix(az)
            rt = aws.ec2.RouteTable(
                f"{name}-private-rt-{s}",
                vpc_id=self.vpc.id,
                tags=tags(f"{name}-private-rt-{s}", ctx.name(f"private-{s}")),
                opts=child,
            )
            private_rts.append(rt)
            nat = nat_for_az(spec.nat, i)
            if nat is not None:
                aws.ec2.Route(
                    f"{name}-private-default-route-{s}",
                    route_table_id=rt.id,
                    destination_cidr_block="0.0.0.0/0",
                    nat_gateway_id=self.nat_gateways[nat].id,
                    opts=child,
                )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-rta-{s}", subnet_id=subnet.id, route_table_id=rt.id, opts=child
            )

        self._endpoints(name, args, private_rts, tags)
        self._flow_logs(name, args, tags)

        self.ref = NetworkRef(
            vpc_id=self.vpc.id,
            vpc_cidr=spec.cidr,
            private_subnet_ids=[s.id for s in self.private_subnets],
            public_subnet_ids=[s.id for s in self.public_subnets],
        )
        self.register_outputs(
            {
                "vpc_id": self.vpc.id,
                "private_subnet_ids": self.ref.private_subnet_ids,
                "public_subnet_ids": self.ref.public_subnet_ids,
                "nat_gateways": len(self.nat_gateways),
            }
        )

    def _endpoints(
        self, name: str, args: NetworkArgs, private_rts: list[aws.ec2.RouteTable], tags: Any
    ) -> None:
        """S3 gateway endpoint (free; keeps S3 traffic off the NAT) and, without NAT, the interface
        endpoints private EKS nodes need."""
        ctx, region = args.ctx, args.ctx.region or "us-east-1"
        child = pulumi.ResourceOptions(parent=self)
        aws.ec2.VpcEndpoint(
            f"{name}-s3-endpoint",
            vpc_id=self.vpc.id,
            service_name=endpoint_service_name(region, "s3"),
            vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id for rt in private_rts],
            tags=tags(f"{name}-s3-endpoint", ctx.name("s3")),
            opts=child,
        )
        services = interface_endpoints(args.spec.nat)
        if not services:
            return
        sg = aws.ec2.SecurityGroup(
            f"{name}-endpoints-sg",
            name=ctx.name("vpc-endpoints"),
            description=f"mlplat {ctx.name('vpc')}: HTTPS to VPC interface endpoints",
            vpc_id=self.vpc.id,
            tags=tags(f"{name}-endpoints-sg", ctx.name("vpc-endpoints")),
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-endpoints-ingress",
            security_group_id=sg.id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4=args.spec.cidr,
            description="HTTPS from the VPC",
            tags=ctx.tags(COMPONENT, f"{name}-endpoints-ingress"),
            opts=child,
        )
        for svc in services:
            logical = f"{name}-{svc.replace('.', '-')}-endpoint"
            aws.ec2.VpcEndpoint(
                logical,
                vpc_id=self.vpc.id,
                service_name=endpoint_service_name(region, svc),
                vpc_endpoint_type="Interface",
                subnet_ids=[s.id for s in self.private_subnets],
                security_group_ids=[sg.id],
                private_dns_enabled=True,
                tags=tags(logical, ctx.name(svc.replace(".", "-"))),
                opts=child,
            )

    def _flow_logs(self, name: str, args: NetworkArgs, tags: Any) -> None:
        ctx = args.ctx
        child = pulumi.ResourceOptions(parent=self)
        if args.flow_logs == "none":
            return
        if args.flow_logs == "s3":
            if args.flow_log_bucket_arn is None:
                raise ValueError("flow_logs='s3' needs flow_log_bucket_arn")
            aws.ec2.FlowLog(
                f"{name}-flow-log",
                vpc_id=self.vpc.id,
                traffic_type="ALL",
                log_destination_type="s3",
                log_destination=args.flow_log_bucket_arn,
                max_aggregation_interval=600,
                tags=tags(f"{name}-flow-log", ctx.name("vpc-flow-log")),
                opts=child,
            )
            return
        retention = args.flow_log_retention_days or (365 if ctx.protect_stateful else 30)
        key = platform_key(
            ctx, COMPONENT, f"{name}-logs", description=f"mlplat log key for {ctx.name('vpc')} flow logs",
            alias=f"alias/{ctx.platform}-{ctx.env}-network-logs", parent=self, for_logs=True,
        )  # fmt: skip
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/mlplat/{ctx.name('vpc')}/flow-logs",
            retention_in_days=retention,
            kms_key_id=key.arn,
            tags=tags(f"{name}-flow-logs", ctx.name("vpc-flow-logs")),
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-flow-logs-role",
            name=ctx.name("vpc-flow-logs"),
            assume_role_policy=json.dumps(flow_log_trust_policy()),
            tags=ctx.tags(COMPONENT, f"{name}-flow-logs-role"),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs-policy",
            role=role.name,
            policy=log_group.arn.apply(lambda arn: json.dumps(flow_log_policy(arn))),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags=tags(f"{name}-flow-log", ctx.name("vpc-flow-log")),
            opts=child,
        )


__all__ = [
    "Network",
    "NetworkArgs",
    "az_names",
    "az_suffix",
    "endpoint_service_name",
    "flow_log_policy",
    "interface_endpoints",
    "nat_for_az",
    "nat_gateway_count",
    "pick_azs",
    "subnet_cidrs",
]  # fmt: skip
