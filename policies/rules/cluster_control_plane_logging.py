from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule
from ..helpers import EKS_CLUSTER_TYPES, as_list

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource

REQUIRED = ("api", "audit", "authenticator")


class ClusterControlPlaneLogging(PlanRule):
    """The control plane ships api, audit and authenticator logs to CloudWatch: who did what to the cluster."""

    id = "MLP-CLU-002"
    name = "Ensure cluster control-plane logging covers api, audit and authenticator"
    default_level = "mandatory"
    remediation = (
        "Enable the api, audit and authenticator log types on the cluster (mlplat enables all five)."
    )
    resource_types = EKS_CLUSTER_TYPES
    checkov_equivalents = ("CKV_AWS_37",)

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        enabled = set(as_list(res.inputs.get("enabledClusterLogTypes")))
        missing = [t for t in REQUIRED if t not in enabled]
        if missing:
            yield f"EKS cluster {res.name} does not log: {', '.join(missing)}"
