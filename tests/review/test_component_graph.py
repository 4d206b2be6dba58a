"""`graph --level component`: one node per component, one edge per component pair that depends on the other."""

from __future__ import annotations

from click.testing import CliRunner
from mlplat.cli.main import cli
from mlplat.stacks.plan.graph import component_dot, component_graph, component_mermaid
from mlplat.stacks.plan.model import Plan, PlanResource

from tests.conftest import REFERENCE_SPECS
from tests.plans import reference


def r(name: str, type_: str, component: str, deps: tuple[str, ...] = ()) -> PlanResource:
    urn = f"urn:pulumi:s::p::{type_}::{name}"
    return PlanResource(urn, type_, name, None, component, {}, dependencies=[f"urn:pulumi:s::p::{d}" for d in deps])


def test_edges_count_cross_component_dependencies_only():
    vpc, subnet = "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet"
    cluster, pool = "aws:eks/cluster:Cluster", "aws:eks/nodeGroup:NodeGroup"
    plan = Plan("p", "dev", [
        r("vpc", vpc, "network"),
        r("subnet-a", subnet, "network", (f"{vpc}::vpc",)),  # inside network: no edge
        r("subnet-b", subnet, "network", (f"{vpc}::vpc",)),
        r("eks", cluster, "cluster", (f"{subnet}::subnet-a", f"{subnet}::subnet-b")),  # 2 deps into network
        r("pool", pool, "cluster", (f"{cluster}::eks", f"{subnet}::subnet-a")),  # 1 more into network
    ])  # fmt: skip
    g = component_graph(plan)
    assert [(n.name, n.resources) for n in g.nodes] == [("network", 3), ("cluster", 2)]
    assert g.edges == (("cluster", "network", 3),)
    assert g.node("network").kinds == (("aws:ec2:Subnet", 2), ("aws:ec2:Vpc", 1))
    assert component_mermaid(g).splitlines()[-1] == "  c_cluster -->|3| c_network"
    assert 'c_cluster -> c_network [label="3"];' in component_dot(g)


def test_reference_platform_reads_at_a_glance():
    _, plan = reference("platform", "prod")
    g = component_graph(plan)
    text = component_mermaid(g)
    lines = text.splitlines()
    # a line per component and per link between two of them, instead of a node per resource
    # (~240 resources in prod): 9 components (ingress included), at most one link per pair
    assert len(g.nodes) == 9
    assert len(lines) == 1 + len(g.nodes) + len(g.edges) < 40, len(lines)
    assert len({(a, b) for a, b, _ in g.edges}) == len(g.edges)
    for comp in ("network", "storage", "cluster", "tracking", "orchestrator", "feature_store", "serving", "monitoring"):
        assert sum(1 for ln in lines if ln.startswith(f"  c_{comp}[")) == 1
    # the EKS cluster lives in the VPC's subnets: cluster depends on network
    assert any(ln.startswith("  c_cluster -->|") and ln.endswith("| c_network") for ln in lines)


def test_cli_level_component():
    spec = str(REFERENCE_SPECS["onprem"][0])
    res = CliRunner().invoke(cli, ["graph", spec, "--env", "staging", "--level", "component", "--format", "dot"])
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith('digraph "') and "rankdir=LR;" in res.stdout
    assert "resources" in res.stdout and "->" in res.stdout
