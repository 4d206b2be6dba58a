from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule
from ..helpers import BUCKET_TYPES, truthy

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource


class BucketForceDestroyDisabled(PlanRule):
    """`forceDestroy` lets a destroy empty a bucket and delete every object version. Fine for
    disposable dev data (the dev profile disables this rule), never where data must survive."""

    id = "MLP-STO-009"
    name = "Ensure buckets cannot be emptied by a destroy (force_destroy off)"
    default_level = "advisory"  # dev: disabled; prod: mandatory
    remediation = "Use a profile with safety.force_destroy_buckets: false (staging, prod)."
    resource_types = BUCKET_TYPES

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        if truthy(res.inputs.get("forceDestroy")):
            yield f"bucket {res.inputs.get('bucket', res.name)} has force_destroy on"
