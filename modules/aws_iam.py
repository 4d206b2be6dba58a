"""IAM helpers shared by the AWS components: service roles and IRSA roles.

Pure policy-document builders first (tested without Pulumi), then the resource helpers.
`irsa_role` is what workloads (MLflow, Feast, Evidently, cluster-autoscaler) call to give a
Kubernetes service account scoped AWS permissions through the cluster's OIDC provider.
"""

from __future__ import annotations

import hashlib
import json
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
from mlplat.modules.common import ClusterRef, Context

IAM_ROLE_NAME_MAX = 64
POLICY_VERSION = "2012-10-17"

# --------------------------------------------------------------------------- pure


def bounded_name(name: str, limit: int = IAM_ROLE_NAME_MAX) -> str:
    """`name` if it fits in `limit`, else a deterministic truncation with a short hash suffix."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: limit - 9].rstrip('-')}-{digest}"


def service_assume_role_policy(*services: str) -> dict[str, Any]:
    """Trust policy letting AWS services (e.g. `eks.amazonaws.com`) assume a role."""
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": sorted(services) if len(services) > 1 else services[0]},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def strip_scheme(issuer: str) -> str:
    return issuer.removeprefix("https://").removeprefix("http://")


def irsa_trust_policy(
    oidc_provider_arn: str, oidc_issuer: str, namespace: str, service_account: str
) -> dict[str, Any]:
    """Trust policy for IRSA: only `system:serviceaccount:<namespace>:<service_account>` may assume."""
    issuer = strip_scheme(oidc_issuer)
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": oidc_provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                        f"{issuer}:aud": "sts.amazonaws.com",
                    }
                },
            }
        ],
    }


def policy_document(statements: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """An IAM policy document from statements."""
    return {"Version": POLICY_VERSION, "Statement": [dict(s) for s in statements]}


def s3_bucket_access_statements(bucket_arns: Sequence[str], write: bool = True) -> list[dict[str, Any]]:
    """Statements granting list + object read (and write) on the given bucket ARNs (plain strings)."""
    object_actions = ["s3:GetObject", "s3:GetObjectVersion"]
    if write:
        object_actions += ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    return [
        {
            "Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
            "Resource": list(bucket_arns),
        },
        {"Effect": "Allow", "Action": object_actions, "Resource": [f"{a}/*" for a in bucket_arns]},
    ]


def _json(policy: pulumi.Input[str] | Mapping[str, Any]) -> pulumi.Input[str]:
    """A policy as a JSON string input; dicts may hold Outputs (resolved by Output.json_dumps)."""
    if isinstance(policy, Mapping):
        return pulumi.Output.json_dumps(policy)
    return policy


# --------------------------------------------------------------------------- resources


def service_role(
    ctx: Context,
    component: str,
    name: str,
    services: Sequence[str],
    managed_policy_arns: Sequence[str],
    parent: pulumi.Resource,
) -> tuple[aws.iam.Role, list[aws.iam.RolePolicyAttachment]]:
    """An IAM role assumable by AWS `services`, with one `RolePolicyAttachment` per managed policy.

    Logical names: the role is `name`, attachments `f"{name}-<policy short name>"`. Returns the
    role and its attachments (depend on the attachments before using the role).
    """
    opts = pulumi.ResourceOptions(parent=parent)
    role = aws.iam.Role(
        name,
        name=bounded_name(ctx.name(name)),
        assume_role_policy=json.dumps(service_assume_role_policy(*services)),
        tags=ctx.tags(component, name),
        opts=opts,
    )
    return role, _attach(name, role, managed_policy_arns, parent)


def _attach(
    name: str, role: aws.iam.Role, managed_policy_arns: Sequence[str], parent: pulumi.Resource
) -> list[aws.iam.RolePolicyAttachment]:
    return [
        aws.iam.RolePolicyAttachment(
            f"{name}-{arn.rsplit('/', 1)[-1]}",
            role=role.name,
            policy_arn=arn,
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for arn in managed_policy_arns
    ]


def irsa_role(
    ctx: Context,
    component: str,
    name: str,
    service_account: str,
    namespace: str,
    policy_json: pulumi.Input[str] | Mapping[str, Any] | None,
    cluster: ClusterRef,
    parent: pulumi.Resource,
    *,
    managed_policy_arns: Sequence[str] = (),
) -> aws.iam.Role:
    """An IAM role for a Kubernetes service account (IRSA) with an inline policy.

    - role: logical name `name`, physical `{platform}-{env}-{name}` (bounded to 64 chars), trust
      policy limited to `system:serviceaccount:{namespace}:{service_account}` via the cluster's
      OIDC provider; tagged with the ownership tags.
    - inline policy: `aws.iam.RolePolicy` named `f"{name}-policy"`; `policy_json` is a JSON
      string (or Output of one) or a dict (which may contain Outputs, e.g. bucket ARNs);
      None for no inline policy.
    - managed_policy_arns: AWS managed policies to attach (`f"{name}-<policy name>"`).

    Annotate the service account with `eks.amazonaws.com/role-arn: role.arn`.
    Only for aws targets: raises ValueError when the cluster has no OIDC provider.
    """
    if cluster.oidc_provider_arn is None or cluster.oidc_issuer is None:
        raise ValueError(
            f"irsa_role({name!r}): the cluster has no OIDC provider (IRSA needs an aws EKS cluster)"
        )
    trust = pulumi.Output.all(cluster.oidc_provider_arn, cluster.oidc_issuer).apply(
        lambda a: json.dumps(irsa_trust_policy(str(a[0]), str(a[1]), namespace, service_account))
    )
    role = aws.iam.Role(
        name,
        name=bounded_name(ctx.name(name)),
        description=f"IRSA role for {namespace}/{service_account}",
        assume_role_policy=trust,
        tags=ctx.tags(component, name),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    grants: list[pulumi.Resource] = []
    if policy_json is not None:
        grants.append(
            aws.iam.RolePolicy(
                f"{name}-policy",
                role=role.name,
                policy=_json(policy_json),
                opts=pulumi.ResourceOptions(parent=parent),
            )
        )
    grants.extend(_attach(name, role, managed_policy_arns, parent))
    _GRANTS[role] = grants
    return role


# Role → the policies attached to it by irsa_role (weak: a plan run must not keep resources alive).
_GRANTS: weakref.WeakKeyDictionary[aws.iam.Role, list[pulumi.Resource]] = weakref.WeakKeyDictionary()


def granted_arn(role: aws.iam.Role) -> pulumi.Output[str]:
    """The role's ARN, available only once its policies are attached.

    Use it where a workload takes the role (the service account annotation): the pod then
    starts with its permissions in place instead of failing its first AWS calls while IAM
    catches up.
    """
    grants = _GRANTS.get(role, [])
    if not grants:
        return role.arn
    return pulumi.Output.all(role.arn, *[g.urn for g in grants]).apply(lambda a: str(a[0]))


__all__ = [
    "bounded_name", "granted_arn", "irsa_role", "irsa_trust_policy", "policy_document", "s3_bucket_access_statements",
    "service_assume_role_policy", "service_role", "strip_scheme",
]  # fmt: skip
