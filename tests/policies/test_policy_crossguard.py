"""The CrossGuard pack runs the same plan rules: policies are validated offline (no PolicyPack,
which would start a gRPC server) with the analyzer's argument types, and agree with `evaluate`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pulumi_policy = pytest.importorskip("pulumi_policy")

from mlplat.policies import evaluate
from mlplat.policies.crossguard import exported_rules, plain_props, policies
from mlplat.stacks.plan.model import Plan, PlanResource
from mlplat.stacks.plan.offline import run_offline
from mlplat.stacks.platform_spec.resolve import load_platform

from .builders import bucket, eks_cluster, kms_key, plan

INSECURE = Path(__file__).with_name("insecure.yaml")


def _opts(r: PlanResource) -> Any:
    timeouts = pulumi_policy.PolicyCustomTimeouts(0, 0, 0)
    return pulumi_policy.PolicyResourceOptions(r.protect, [], None, [], timeouts, [], r.parent)


def resource_args(r: PlanResource) -> Any:
    return pulumi_policy.ResourceValidationArgs(r.type, r.inputs, r.urn, r.name, _opts(r), None)


def stack_args(p: Plan) -> Any:
    made: dict[str, Any] = {}
    for r in p.resources:
        made[r.urn] = pulumi_policy.PolicyResource(
            r.type, r.inputs, r.urn, r.name, _opts(r), None, None, [], {}
        )
    for r in p.resources:
        pr = made[r.urn]
        pr.parent = made.get(r.parent) if r.parent else None
        pr.dependencies = [made[d] for d in r.dependencies if d in made]
    return pulumi_policy.StackValidationArgs(list(made.values()))


def run_pack(p: Plan, levels: dict[str, str] | None = None) -> set[tuple[str, str]]:
    """(policy, resource name) for every violation the pack reports on a plan."""
    names = {r.urn: r.name for r in p.resources}
    out: set[tuple[str, str]] = set()
    for pol in policies(levels, environment=p.environment):
        if isinstance(pol, pulumi_policy.StackValidationPolicy):
            pol.validate(
                stack_args(p), lambda msg, urn, pol=pol: out.add((pol.name, names.get(urn or "", "?")))
            )
        else:
            for r in p.resources:
                pol.validate(resource_args(r), lambda msg, urn, pol=pol, r=r: out.add((pol.name, r.name)))
    return out


def test_pack_exports_every_portable_plan_rule() -> None:
    pols = policies()
    assert [p.name for p in pols] == [r.id for r in exported_rules()]
    assert len(pols) >= 30
    kinds = {type(p).__name__ for p in pols}
    assert kinds == {"ResourceValidationPolicy", "StackValidationPolicy"}
    clu = next(p for p in pols if p.name == "MLP-CLU-001")
    assert clu.enforcement_level == pulumi_policy.EnforcementLevel.ADVISORY
    raised = next(p for p in policies({"MLP-CLU-001": "mandatory"}) if p.name == "MLP-CLU-001")
    assert raised.enforcement_level == pulumi_policy.EnforcementLevel.MANDATORY


def test_resource_and_stack_policies_on_hand_made_plan() -> None:
    p = plan(
        kms_key(),
        bucket("ok"),
        bucket("bad", sse="AES256", pab="absent"),
        eks_cluster("cluster-pub", vpcConfig={"endpointPublicAccess": True}),
    )
    got = run_pack(p)
    assert ("MLP-CLU-001", "cluster-pub") in got  # resource policy
    assert {("MLP-STO-001", "storage-bad"), ("MLP-STO-004", "storage-bad")} <= got  # stack policies (graph)
    assert not {x for x in got if x[1] == "storage-ok"}


def test_analyzer_unknowns_are_normalised() -> None:
    props = {"a": "04da6b54-80e4-46f7-96ec-b56ff0331ba9", "b": [{"c": 1}]}
    assert plain_props(props) == {"a": "<unknown>", "b": [{"c": 1}]}


@pytest.fixture(scope="module")
def insecure_prod() -> tuple[Any, Plan]:
    resolved = load_platform(INSECURE, "prod")
    return resolved, run_offline(resolved)


def test_pack_agrees_with_evaluate_on_a_real_plan(insecure_prod) -> None:
    resolved, p = insecure_prod
    exported = {r.id for r in exported_rules()}
    expected = {
        (f.policy, f.resource)
        for f in evaluate(resolved, p, checkov=False).findings
        if f.source == "mlplat" and f.policy in exported
    }
    assert ("MLP-CLU-001", "cluster-eks") in expected
    assert run_pack(p) == expected
