"""DVC remotes' access path for CI on aws: an IAM role GitHub Actions assumes through OIDC.

Decision: the GitHub OIDC provider (`token.actions.githubusercontent.com`) is NOT created here.
IAM allows one provider per URL per account, and dev/staging/prod usually share an account:
an environment creating it would collide with the next one and delete it for all on destroy.
The role trusts `arn:<partition>:iam::<account>:oidc-provider/token.actions.githubusercontent.com`,
which the account owner creates once (README, "DVC remotes").
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from .aws_iam import bounded_name
from .common import BucketRef, Context
from .k8s import s3_access_policy
from .storage import aws_partition

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
COMPONENT = "storage"

# --------------------------------------------------------------------------- pure


def github_provider_arn(account_id: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account_id}:oidc-provider/{GITHUB_OIDC_HOST}"


def github_trust_policy(provider_arn: str, repo: str) -> dict[str, Any]:
    """Only workflows of `repo` (any branch, tag or environment), with the STS audience, may assume."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {f"{GITHUB_OIDC_HOST}:aud": "sts.amazonaws.com"},
                    "StringLike": {f"{GITHUB_OIDC_HOST}:sub": f"repo:{repo}:*"},
                },
            }
        ],
    }


# --------------------------------------------------------------------------- resources


def ci_role(ctx: Context, name: str, repo: str, bucket: BucketRef, parent: pulumi.Resource) -> aws.iam.Role:
    """`{name}` (Role, trust: `repo` via GitHub OIDC) and `{name}-policy` (this bucket + the platform key)."""
    child = pulumi.ResourceOptions(parent=parent)
    partition = aws_partition(ctx.region)
    account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=parent)).account_id
    trust = account.apply(lambda a: json.dumps(github_trust_policy(github_provider_arn(a, partition), repo)))
    role = aws.iam.Role(
        name,
        name=bounded_name(ctx.name(name)),
        description=f"mlplat DVC remote {bucket.name}: GitHub Actions of {repo}",
        assume_role_policy=trust,
        max_session_duration=3600,
        tags=ctx.tags(COMPONENT, name),
        opts=child,
    )
    keys = [bucket.kms_key_arn] if bucket.kms_key_arn is not None else []
    policy = pulumi.Output.all(bucket.arn, *keys).apply(
        lambda a: json.dumps(s3_access_policy([str(a[0])], write=True, kms_key_arns=[str(k) for k in a[1:]]))
    )
    aws.iam.RolePolicy(f"{name}-policy", role=role.id, policy=policy, opts=child)
    return role


__all__ = ["GITHUB_OIDC_HOST", "ci_role", "github_provider_arn", "github_trust_policy"]
