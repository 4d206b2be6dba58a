from __future__ import annotations

from collections.abc import Iterable

from ..base import SpecContext, SpecRule, Violation
from ..helpers import is_prod_spec


class NatGatewayPerAzInProd(SpecRule):
    """In production one NAT gateway is a single point of failure for all egress (image pulls,
    model downloads): use one per availability zone."""

    id = "MLP-NET-006"
    name = "Ensure production networks have a NAT gateway per AZ"
    default_level = "advisory"
    remediation = "Set `network.nat: per-az` for production environments (the prod profile's default)."

    def check(self, ctx: SpecContext) -> Iterable[Violation]:
        if ctx.provider != "aws" or not is_prod_spec(ctx) or ctx.spec.network is None:
            return
        net = ctx.spec.network
        if net.az_count > 1 and net.nat != "per-az":
            yield Violation(
                "network",
                f"production network uses nat: {net.nat} over {net.az_count} AZs",
                spec_path=("network", "nat"),
                component="network",
            )
