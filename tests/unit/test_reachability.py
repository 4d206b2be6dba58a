"""`mlplat up`'s early check that the deployer can reach the cluster API: the pure decision."""

from __future__ import annotations

from mlplat.stacks.engine.reachability import EndpointAccess, decide

VPC = "10.40.0.0/16"
RUNNERS = "10.90.0.0/24"  # a CI runner subnet peered to the VPC
OFFICE = "203.0.113.0/24"


def test_public_endpoint_from_a_listed_network_is_ok() -> None:
    v = decide(EndpointAccess(True, (OFFICE,), (VPC,)), "203.0.113.45", ["192.168.1.20"])
    assert v.verdict == "ok" and v.via == [OFFICE]


def test_public_endpoint_from_elsewhere_fails_with_the_callers_address_as_the_fix() -> None:
    v = decide(EndpointAccess(True, (OFFICE,), (VPC,)), "198.51.100.7", ["192.168.1.20"])
    assert v.verdict == "fail"
    assert "198.51.100.7/32" in v.fix and "cluster.public_access_cidrs" in v.fix


def test_public_endpoint_with_an_unknown_address_only_warns() -> None:
    """No answer from checkip (offline proxy, firewall): the deployer may still be allowed."""
    assert decide(EndpointAccess(True, (OFFICE,), (VPC,)), None, []).verdict == "warn"


def test_private_endpoint_from_inside_the_vpc_or_a_routed_network_is_ok() -> None:
    access = EndpointAccess(False, (), (VPC, RUNNERS))
    assert decide(access, None, ["10.40.3.7"]).verdict == "ok"
    assert decide(access, None, ["172.17.0.2", "10.90.0.15"]).via == [RUNNERS]


def test_private_endpoint_from_a_laptop_fails_with_both_ways_out() -> None:
    v = decide(EndpointAccess(False, (), (VPC, RUNNERS)), "198.51.100.7", ["192.168.1.20"])
    assert v.verdict == "fail"
    assert "cluster.private_access_cidrs" in v.fix and "cluster.public_endpoint: true" in v.fix
    assert RUNNERS in v.message


def test_inside_the_vpc_beats_a_public_address_outside_the_cidrs() -> None:
    """A runner in the VPC uses the private endpoint even when the public one is restricted."""
    v = decide(EndpointAccess(True, (OFFICE,), (VPC,)), "198.51.100.7", ["10.40.1.1"])
    assert v.verdict == "ok"


def test_garbage_addresses_never_match() -> None:
    assert decide(EndpointAccess(True, (OFFICE,), (VPC,)), "not-an-ip", ["::1"]).verdict == "fail"
