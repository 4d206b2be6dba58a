from __future__ import annotations

from collections.abc import Iterable

from ..base import SpecContext, SpecRule, Violation

# Oldest minor still in EKS standard support when this rule was written; older versions go to
# extended support (6x the control-plane price) and stop getting fixes.
MIN_SUPPORTED = (1, 30)


class KubernetesVersionSupported(SpecRule):
    """The cluster runs a Kubernetes minor version still in standard support."""

    id = "MLP-CLU-006"
    name = "Ensure the Kubernetes version is in standard support"
    default_level = "advisory"
    remediation = f"Set `cluster.kubernetes_version` to {MIN_SUPPORTED[0]}.{MIN_SUPPORTED[1]} or newer."

    def check(self, ctx: SpecContext) -> Iterable[Violation]:
        cluster = ctx.spec.cluster
        if cluster is None or ctx.provider != "aws":
            return
        major, minor = (int(p) for p in cluster.kubernetes_version.split(".")[:2])
        if (major, minor) < MIN_SUPPORTED:
            yield Violation(
                "cluster",
                f"Kubernetes {cluster.kubernetes_version} is out of standard support",
                spec_path=("cluster", "kubernetes_version"),
                component="cluster",
            )
