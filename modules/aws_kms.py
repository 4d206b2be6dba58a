"""Customer-managed KMS keys: rotation on, deletion window per profile, protected with the data."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
from mlplat.modules.common import Context


def logs_key_policy(partition: str, account_id: str, region: str) -> dict[str, Any]:
    """A key policy for a key CloudWatch Logs encrypts log groups with.

    The account keeps full control (IAM policies decide who uses the key, as with the default
    policy); the logs service of this region may use it only for this account's log groups,
    which the encryption context names.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministers",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchLogsEncrypts",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{account_id}:log-group:*"
                    }
                },
            },
        ],
    }


def platform_key(
    ctx: Context,
    component: str,
    name: str,
    *,
    description: str,
    alias: str,
    parent: pulumi.Resource,
    for_logs: bool = False,
) -> aws.kms.Key:
    """`{name}-kms` with alias `{name}-kms-alias` → `alias`.

    The key is stateful: losing it loses the data it encrypts, so it is protected wherever the
    profile protects data, and its deletion window follows the profile. `for_logs`: its policy
    also lets CloudWatch Logs encrypt this account's log groups with it.
    """
    policy: str | None = None
    if for_logs:
        account = aws.get_caller_identity().account_id
        partition = aws.get_partition().partition
        policy = json.dumps(logs_key_policy(partition, account, ctx.region or "us-east-1"))
    key = aws.kms.Key(
        f"{name}-kms",
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=ctx.kms_deletion_window_days,
        policy=policy,
        tags=ctx.tags(component, f"{name}-kms"),
        opts=ctx.stateful(pulumi.ResourceOptions(parent=parent)),
    )
    aws.kms.Alias(
        f"{name}-kms-alias",
        name=alias,
        target_key_id=key.key_id,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return key


__all__ = ["logs_key_policy", "platform_key"]
