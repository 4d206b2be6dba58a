from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule
from ..helpers import BUCKET_TYPES, CACHE_TYPES, KMS_KEY_TYPES, RDS_CLUSTER_TYPES, RDS_INSTANCE_TYPES

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource


class StatefulResourcesProtected(PlanRule):
    """Data-holding resources (buckets, databases, caches, KMS keys) carry Pulumi `protect`, so a
    `destroy` or an accidental rename cannot delete them. Only where data must survive: the prod
    profile makes this mandatory; elsewhere it is disabled."""

    id = "MLP-STO-008"
    name = "Ensure stateful resources are protected from deletion"
    default_level = "disabled"
    remediation = (
        "Use the prod profile (safety.protect_stateful: true) for environments whose data must survive."
    )
    resource_types = BUCKET_TYPES + RDS_INSTANCE_TYPES + RDS_CLUSTER_TYPES + CACHE_TYPES + KMS_KEY_TYPES
    crossguard = False  # `protect` is a resource option the analyzer does not pass to resource policies

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        if not res.protect:
            yield f"{res.type.rsplit(':', 1)[-1]} {res.name} is not protected (pulumi protect)"
