"""irsa_role / service_role under Pulumi mocks."""

from __future__ import annotations

import json

import pulumi
import pytest
from mlplat.modules.aws_iam import irsa_role, service_role
from mlplat.modules.common import ClusterRef

from tests.modules.infra_harness import assert_ownership_tags, make_context, run


class _Parent(pulumi.ComponentResource):
    def __init__(self, name: str) -> None:
        super().__init__("mlplat:index:TrackingServer", name)


def test_irsa_role_registers_role_and_inline_policy():
    ctx = make_context("prod")

    def program():
        parent = _Parent("tracking")
        ref = ClusterRef(
            provider=None,  # type: ignore[arg-type]
            name="churn-prod-cluster",
            oidc_provider_arn="arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC",
            oidc_issuer="https://oidc.eks.us-east-1.amazonaws.com/id/ABC",
        )
        irsa_role(
            ctx,
            "tracking",
            "tracking-irsa",
            "mlflow",
            "mlflow",
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "s3:GetObject",
                        "Resource": pulumi.Output.from_input("arn:aws:s3:::b/*"),
                    }
                ],
            },
            ref,
            parent,
        )

    plan = run(program)
    role = plan.one("aws:iam/role:Role", "tracking-irsa")
    assert role.inputs["name"] == "churn-prod-tracking-irsa"
    assert role.parent.endswith("::tracking")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    cond = trust["Statement"][0]["Condition"]["StringEquals"]
    assert cond["oidc.eks.us-east-1.amazonaws.com/id/ABC:sub"] == "system:serviceaccount:mlflow:mlflow"
    assert cond["oidc.eks.us-east-1.amazonaws.com/id/ABC:aud"] == "sts.amazonaws.com"
    pol = plan.one("aws:iam/rolePolicy:RolePolicy", "tracking-irsa-policy")
    assert json.loads(pol.inputs["policy"])["Statement"][0]["Resource"] == "arn:aws:s3:::b/*"
    assert assert_ownership_tags(plan, "tracking") == 1


def test_irsa_role_needs_oidc():
    ctx = make_context()
    with pytest.raises(ValueError, match="OIDC"):
        irsa_role(ctx, "tracking", "x", "sa", "ns", "{}", ClusterRef(provider=None), None)  # type: ignore[arg-type]


def test_service_role_attachments():
    ctx = make_context()

    def program():
        parent = _Parent("cluster")
        _role, atts = service_role(
            ctx,
            "cluster",
            "cluster-role",
            ["eks.amazonaws.com"],
            ["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"],
            parent,
        )
        assert len(atts) == 1

    plan = run(program)
    role = plan.one("aws:iam/role:Role")
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {
        "Service": "eks.amazonaws.com"
    }
    att = plan.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert att.name == "cluster-role-AmazonEKSClusterPolicy"
    assert att.inputs["policyArn"].endswith("AmazonEKSClusterPolicy")
