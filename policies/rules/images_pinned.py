from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule, containers, iter_pod_specs, workload_kind
from ..helpers import unknown

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource


def image_tag(image: str) -> str | None:
    """The tag of an image reference (`repo/name:tag`), or None; a digest counts as pinned."""
    if "@sha256:" in image:
        return "@digest"
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


class ImagesPinned(PlanRule):
    """Images name an explicit version (a tag other than `latest`, or a digest), so what runs is what
    was reviewed and a restart never silently upgrades."""

    id = "MLP-WRK-004"
    name = "Ensure container images are pinned to a version"
    default_level = "mandatory"
    remediation = "Use image references with an explicit version tag or a sha256 digest."
    checkov_equivalents = ("CKV_K8S_14",)

    def applies(self, res: PlanResource) -> bool:
        return workload_kind(res) is not None

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        for _, pod in iter_pod_specs(res):
            for c in containers(pod):
                image = c.get("image")
                if not isinstance(image, str) or unknown(image):
                    continue  # computed after apply (e.g. a registry URL): checked where it is built
                tag = image_tag(image)
                if tag is None or tag == "latest":
                    yield f"container {c.get('name', '?')} in {res.name} uses an unpinned image {image}"
