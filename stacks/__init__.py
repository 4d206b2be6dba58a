"""The spec, environment resolution, the Pulumi program, engines, cost, drift and reports.

Only light modules are imported here: `validate` must not pay for the cloud SDKs.
"""

from mlplat.stacks.platform_spec.model import PlatformSpec
from mlplat.stacks.platform_spec.resolve import (
    Profile,
    ResolvedPlatform,
    SpecDocument,
    builtin_profiles,
    load_platform,
    load_profile,
    load_spec,
    resolve,
    validate,
)

from .errors import Diagnostic, Location, MlplatError, SpecError

__all__ = [
    "Diagnostic", "Location", "MlplatError", "PlatformSpec", "Profile", "ResolvedPlatform", "SpecDocument",
    "SpecError", "builtin_profiles", "load_platform", "load_profile", "load_spec", "resolve", "validate",
]  # fmt: skip
