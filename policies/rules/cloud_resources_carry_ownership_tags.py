from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule
from ..helpers import OWNERSHIP_TAGS, TAGGABLE_AWS_TYPES, unknown

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource


class CloudResourcesCarryOwnershipTags(PlanRule):
    """Every taggable cloud resource carries the ownership tags in its own `tags` (DESIGN 4), so
    cost, drift and teardown can find everything an environment owns without guessing."""

    id = "MLP-TAG-001"
    name = "Ensure taggable cloud resources carry the mlplat ownership tags"
    default_level = "mandatory"
    remediation = "Pass tags=ctx.tags(component, logical_name) to every taggable resource."

    def applies(self, res: PlanResource) -> bool:
        return (
            super().applies(res) and res.is_aws and ("tags" in res.inputs or res.type in TAGGABLE_AWS_TYPES)
        )

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        tags = res.tags
        missing = [t for t in OWNERSHIP_TAGS if t not in tags or unknown(tags[t])]
        if missing:
            yield f"{res.name} lacks ownership tags: {', '.join(missing)}"
            return
        if tags["mlplat:resource"] != res.name:
            yield f"{res.name} has mlplat:resource={tags['mlplat:resource']!r}, expected its logical name"
        if ctx.plan.platform and tags["mlplat:platform"] != ctx.plan.platform:
            yield f"{res.name} has mlplat:platform={tags['mlplat:platform']!r}, expected {ctx.plan.platform!r}"
        if ctx.environment and tags["mlplat:environment"] != ctx.environment:
            yield f"{res.name} has mlplat:environment={tags['mlplat:environment']!r}, expected {ctx.environment!r}"
