"""The AWS foundation of the reference plans (examples/platform.yaml): what issue 13 promises.

Dependencies are walked the way the engine orders creation: a resource waits for what it
lists in `dependencies` and for its provider (every Kubernetes object goes through the
cluster's provider, which itself waits for the node groups and the EKS add-ons).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from mlplat.stacks.plan.model import Plan, PlanResource

from tests.plans import reference

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
RELEASE = "kubernetes:helm.sh/v3:Release"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def waits_for(plan: Plan, res: PlanResource) -> set[str]:
    """Every URN `res` transitively waits for (dependencies and providers)."""
    by_urn = {r.urn: r for r in plan}
    seen: set[str] = set()
    todo = [res]
    while todo:
        r = todo.pop()
        edges = list(r.dependencies) + ([r.provider] if r.provider else [])
        for urn in edges:
            if urn not in seen:
                seen.add(urn)
                if urn in by_urn:
                    todo.append(by_urn[urn])
    return seen


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_every_release_and_deployment_waits_for_a_node_group(env: str) -> None:
    _, plan = reference("platform", env)
    groups = {r.urn for r in plan.of_type(NODE_GROUP)}
    assert groups, "the reference spec has node pools"
    workloads = plan.of_type(RELEASE) + plan.of_type(DEPLOYMENT)
    assert plan.of_type(RELEASE) and plan.of_type(DEPLOYMENT)
    lonely = [r.name for r in workloads if not waits_for(plan, r) & groups]
    assert lonely == []


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_workloads_wait_for_the_addons_they_need(env: str) -> None:
    _, plan = reference("platform", env)
    addons = {r.inputs["addonName"]: r.urn for r in plan.of_type("aws:eks/addon:Addon")}
    needed = {addons["vpc-cni"], addons["coredns"], addons["aws-ebs-csi-driver"]}
    workloads = plan.of_type(RELEASE) + plan.of_type(DEPLOYMENT)
    assert len(workloads) > 5  # operators and first-party services
    for r in workloads:
        assert needed <= waits_for(plan, r), r.name


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_vpc_cni_enforces_network_policies_and_precedes_the_nodes(env: str) -> None:
    _, plan = reference("platform", env)
    (cni,) = [r for r in plan.of_type("aws:eks/addon:Addon") if r.inputs["addonName"] == "vpc-cni"]
    assert json.loads(cni.inputs["configurationValues"]) == {"enableNetworkPolicy": "true"}
    assert plan.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy"), "policies the agent enforces"
    groups = plan.of_type(NODE_GROUP)
    assert len(groups) >= 2  # the reference spec declares a system and a GPU pool
    for group in groups:
        assert cni.urn in group.dependencies, group.name


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_irsa_consumers_wait_for_their_policies(env: str) -> None:
    """A service account annotated with an IRSA role waits for the role's policies to be attached."""
    _, plan = reference("platform", env)
    by_urn = {r.urn: r for r in plan}
    policies = {r.urn for r in plan.of_type("aws:iam/rolePolicy:RolePolicy")}
    accounts = [
        r
        for r in plan.of_type("kubernetes:core/v1:ServiceAccount")
        if "eks.amazonaws.com/role-arn" in ((r.inputs.get("metadata") or {}).get("annotations") or {})
    ]
    assert accounts
    for sa in accounts:
        mine = {u for u in sa.dependencies if u in policies}
        assert mine, sa.name
        assert all(by_urn[u].name.endswith("-irsa-policy") for u in mine)


def test_reference_cluster_version_is_in_standard_support_today() -> None:
    """Fails as soon as the pinned version leaves standard support, or the catalogue goes stale."""
    from mlplat.stacks.platform_spec import eks

    today = dt.date.today()
    age = (today - eks.as_of()).days
    assert age <= eks.max_age_days(), f"EKS catalogue as_of {eks.as_of()} is {age} days old: refresh it"
    for env in ("dev", "prod"):
        _, plan = reference("platform", env)
        (cluster,) = plan.of_type("aws:eks/cluster:Cluster")
        version = cluster.inputs["version"]
        assert eks.support(version, today) == "standard", (env, version, eks.version(version))
