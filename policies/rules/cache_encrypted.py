from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule
from ..helpers import CACHE_TYPES, truthy

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource


class CacheEncrypted(PlanRule):
    """The online feature store (Redis) encrypts data at rest and in transit: features are often personal data."""

    id = "MLP-DB-006"
    name = "Ensure the online feature cache is encrypted at rest and in transit"
    default_level = "mandatory"
    remediation = (
        "Create the replication group with at-rest and transit encryption (mlplat's feature store does)."
    )
    resource_types = CACHE_TYPES
    spec_anchor = ("feature_store",)
    checkov_equivalents = ("CKV_AWS_29", "CKV_AWS_30")

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        missing = []
        if not truthy(res.inputs.get("atRestEncryptionEnabled")):
            missing.append("at rest")
        if not truthy(res.inputs.get("transitEncryptionEnabled")):
            missing.append("in transit")
        if missing:
            yield f"cache {res.name} is not encrypted {' or '.join(missing)}"
