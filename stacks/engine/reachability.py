"""Will `mlplat up` reach the Kubernetes API it is about to create? Decided before anything runs.

Every Kubernetes object and Helm release goes through the cluster's API endpoint. When the
deployer cannot reach it, the engine creates the VPC and the cluster and then times out on
each Kubernetes resource, ten minutes later. This decides in seconds, from the spec's access
model and where the deployer stands, and names the fix.

`decide` is pure (tested without network); `caller_public_ip` and `local_addresses` are the
two small probes `up` feeds it, both allowed to come back empty.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from typing import Literal

from mlplat.stacks.platform_spec.resolve import ResolvedPlatform

Verdict = Literal["ok", "warn", "fail"]
CHECKIP_URL = "https://checkip.amazonaws.com"


@dataclass(frozen=True)
class EndpointAccess:
    """The spec's API access model for one environment (aws targets with a cluster)."""

    public: bool
    public_cidrs: tuple[str, ...] = ()
    private_cidrs: tuple[str, ...] = ()  # the VPC, then the networks the spec says are routed to it
    spec_path: str = "cluster"


@dataclass(frozen=True)
class Reachability:
    verdict: Verdict
    message: str
    fix: str = ""
    via: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.message}\n  fix: {self.fix}" if self.fix else self.message


def endpoint_access(resolved: ResolvedPlatform) -> EndpointAccess | None:
    """The access model of an aws environment with a cluster; None where there is no EKS endpoint."""
    spec = resolved.spec
    if resolved.provider != "aws" or spec.cluster is None:
        return None
    from mlplat.stacks.platform_spec.model import Network

    vpc = (spec.network or Network()).cidr
    c = spec.cluster
    return EndpointAccess(
        public=c.public_endpoint,
        public_cidrs=tuple(c.public_access_cidrs),
        private_cidrs=tuple(dict.fromkeys([vpc, *c.private_access_cidrs])),
    )


def _within(ip: str, cidrs: tuple[str, ...]) -> list[str]:
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return []
    return [c for c in cidrs if addr.version == 4 and addr in ipaddress.ip_network(c)]


def decide(access: EndpointAccess, caller_ip: str | None, local_ips: list[str]) -> Reachability:
    """ok / warn / fail for a deployer with public address `caller_ip` (None: unknown) and `local_ips`.

    A public endpoint answers the listed CIDRs on the deployer's public address; the private
    endpoint answers the VPC and the networks routed to it on the deployer's own address.
    """
    private_hits = sorted({c for ip in local_ips for c in _within(ip, access.private_cidrs)})
    if private_hits:
        return Reachability("ok", f"private endpoint: this machine is inside {', '.join(private_hits)}", via=private_hits)
    if access.public:
        if caller_ip is None:
            return Reachability(
                "warn",
                "could not tell this machine's public address; the public endpoint answers only "
                f"{', '.join(access.public_cidrs)}",
            )
        hits = _within(caller_ip, access.public_cidrs)
        if hits:
            return Reachability("ok", f"public endpoint: {caller_ip} is inside {', '.join(hits)}", via=hits)
        return Reachability(
            "fail",
            f"the public API endpoint answers only {', '.join(access.public_cidrs)}, and this machine "
            f"reaches the internet as {caller_ip}: every Kubernetes resource would time out",
            f"add {caller_ip}/32 (or your office/VPN range) to cluster.public_access_cidrs, or run "
            "`mlplat up` from a network listed there",
        )
    return Reachability(
        "fail",
        "the API endpoint is private and this machine is not in the VPC "
        f"({access.private_cidrs[0]}) nor in a network the spec routes to it"
        + (f" ({', '.join(access.private_cidrs[1:])})" if len(access.private_cidrs) > 1 else ""),
        "run `mlplat up` from a CI runner inside the VPC or on a peered/VPN network listed in "
        "cluster.private_access_cidrs; or set cluster.public_endpoint: true with "
        "cluster.public_access_cidrs: [<your address>/32]",
    )


# --------------------------------------------------------------------------- probes (network; not in tests)


def caller_public_ip(timeout: float = 3.0) -> str | None:
    """The address this machine reaches the internet with (AWS's checkip), None when unknown."""
    import urllib.request

    try:
        with urllib.request.urlopen(CHECKIP_URL, timeout=timeout) as resp:
            text = resp.read(64).decode("ascii", "replace").strip()
        ipaddress.ip_address(text)
        return text
    except (OSError, ValueError):
        return None


def local_addresses() -> list[str]:
    """This machine's own IPv4 addresses (the source address of its default route; no packet sent)."""
    found: list[str] = []
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # UDP connect only picks a route
            found.append(s.getsockname()[0])
    except OSError:
        pass
    try:
        found += [str(info[4][0]) for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)]
    except OSError:
        pass
    return list(dict.fromkeys(ip for ip in found if not ip.startswith("127.")))


def check(resolved: ResolvedPlatform) -> Reachability | None:
    """The verdict for this machine, or None when the environment has no EKS endpoint."""
    access = endpoint_access(resolved)
    if access is None:
        return None
    local = local_addresses()
    if _within_any(local, access.private_cidrs):
        return decide(access, None, local)
    return decide(access, caller_public_ip() if access.public else None, local)


def _within_any(ips: list[str], cidrs: tuple[str, ...]) -> bool:
    return any(_within(ip, cidrs) for ip in ips)


__all__ = [
    "CHECKIP_URL", "EndpointAccess", "Reachability", "Verdict", "caller_public_ip", "check", "decide",
    "endpoint_access", "local_addresses",
]  # fmt: skip
