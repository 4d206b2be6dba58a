"""Customer-managed KMS keys: rotation on, deletion window per profile, protected with the data."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
from mlplat.modules.common import Context


def platform_key(
    ctx: Context, component: str, name: str, *, description: str, alias: str, parent: pulumi.Resource
) -> aws.kms.Key:
    """`{name}-kms` with alias `{name}-kms-alias` → `alias`.

    The key is stateful: losing it loses the data it encrypts, so it is protected wherever the
    profile protects data, and its deletion window follows the profile.
    """
    key = aws.kms.Key(
        f"{name}-kms",
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=ctx.kms_deletion_window_days,
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


__all__ = ["platform_key"]
