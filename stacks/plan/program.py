"""The Pulumi program: expand a resolved environment into the platform's resources.

The same function runs under the offline engine, the Automation API (inline program)
and the standalone project `mlplat render` writes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlplat.stacks.platform_spec.resolve import ResolvedPlatform


def build_platform(resolved: ResolvedPlatform) -> Any:
    from mlplat.modules.sdk_imports import install

    install()  # before pulumi_aws is first imported: it creates its service packages then
    import pulumi
    import pulumi_aws as aws
    from mlplat.modules.platform import Platform, PlatformArgs

    opts = None
    if resolved.provider == "aws":
        # An explicit provider pins the region so the program never depends on ambient config.
        # Ownership tags stay in each resource's own `tags` (DESIGN 4); default tags only add.
        region = getattr(resolved.spec.target, "region", "us-east-1")
        provider = aws.Provider(
            "aws",
            region=region,
            default_tags=aws.ProviderDefaultTagsArgs(
                tags={"mlplat:platform": resolved.name, "mlplat:environment": resolved.environment}
            ),
        )
        opts = pulumi.ResourceOptions(providers=[provider])
    platform = Platform(resolved.prefix, PlatformArgs(resolved), opts)
    pulumi.export("platform", resolved.name)
    pulumi.export("environment", resolved.environment)
    pulumi.export("components", platform.components)
    return platform


__all__ = ["build_platform"]
