from __future__ import annotations

from collections.abc import Iterable

from mlplat.stacks.platform_spec import eks

from ..base import SpecContext, SpecRule, Violation


class KubernetesVersionSupported(SpecRule):
    """The cluster runs a Kubernetes minor version still in EKS standard support on the day the
    policy runs (catalogue: stacks/platform_spec/eks_catalogue.json). Past it, extended support
    costs $0.50 more per cluster-hour and ends in a forced upgrade."""

    id = "MLP-CLU-006"
    name = "Ensure the Kubernetes version is in standard support"
    default_level = "advisory"
    remediation = "Set `cluster.kubernetes_version` to a version in EKS standard support (the default is the newest)."

    def check(self, ctx: SpecContext) -> Iterable[Violation]:
        cluster = ctx.spec.cluster
        if cluster is None or ctx.provider != "aws":
            return
        status = eks.support(cluster.kubernetes_version, ctx.today)
        if status != "standard":
            yield Violation(
                "cluster",
                f"Kubernetes {cluster.kubernetes_version} is not in EKS standard support on "
                f"{ctx.today.isoformat()} ({status}); newest in standard support: {eks.default_version(ctx.today)}",
                spec_path=("cluster", "kubernetes_version"),
                component="cluster",
            )
