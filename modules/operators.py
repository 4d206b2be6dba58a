"""ClusterOperators: cluster-wide operators that other components' custom resources need.

- cert-manager (pinned chart, its CRDs with `crds.enabled`) when KServe serves models: the
  `kserve-resources` chart always renders a cert-manager `Certificate` for its webhooks
  (kserve v0.20.0 charts/kserve-resources/files/kserve/resources.yaml).
- the External Secrets Operator (pinned chart, CRDs installed by the chart) when any spec
  credential is a `{secret_ref: "<store>/<path>"}` on a store other than `kubernetes`: the
  `ExternalSecret` objects mlplat writes are its custom resources. The `ClusterSecretStore`
  named by `<store>` stays a prerequisite (it holds the store's address and auth).

Both live under the Cluster component (their own namespaces, created by Helm); components
that create the custom resources depend on the release through `ClusterRef.operators`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pydantic import BaseModel

from . import k8s as kx
from .common import ClusterRef, Context

CERT_MANAGER = "cert-manager"
CERT_MANAGER_VERSION = "v1.21.1"  # cert-manager/cert-manager tag v1.21.1 (deploy/charts/cert-manager)
CERT_MANAGER_REPO = "https://charts.jetstack.io"
EXTERNAL_SECRETS = "external-secrets"
EXTERNAL_SECRETS_VERSION = "2.9.0"  # external-secrets/external-secrets tag helm-chart-2.9.0 (app v2.9.0)
EXTERNAL_SECRETS_REPO = "https://charts.external-secrets.io"
# `<store>/…` prefixes that name an existing Kubernetes Secret rather than an external store.
KUBERNETES_STORES = ("kubernetes", "k8s")


def _secret_refs(node: Any) -> Iterator[str]:
    if isinstance(node, BaseModel):
        ref = getattr(node, "secret_ref", None) if type(node).__name__ == "SecretRef" else None
        if isinstance(ref, str):
            yield ref
        for name in type(node).model_fields:
            yield from _secret_refs(getattr(node, name))
    elif isinstance(node, (list, tuple)):
        for v in node:
            yield from _secret_refs(v)
    elif isinstance(node, dict):
        for v in node.values():
            yield from _secret_refs(v)


def external_stores(spec: Any) -> list[str]:
    """The ClusterSecretStore names the spec's credentials are read from (sorted, unique)."""
    stores = {ref.partition("/")[0] for ref in _secret_refs(spec)}
    return sorted(s for s in stores if s not in KUBERNETES_STORES)


def operators_needed(spec: Any) -> list[str]:
    """Which operators the spec's custom resources need, in install order."""
    out = []
    if spec.serving is not None and spec.serving.kind == "kserve":
        out.append(CERT_MANAGER)
    if external_stores(spec):
        out.append(EXTERNAL_SECRETS)
    return out


def cert_manager_values() -> dict[str, Any]:
    # crds.enabled replaces the deprecated installCRDs; crds.keep leaves the CRDs (and every
    # Certificate) in place if the release is removed.
    return {
        "crds": {"enabled": True, "keep": True},
        "resources": kx.resources("50m", "128Mi", cpu_limit="500m", memory_limit="256Mi"),
        "webhook": {"resources": kx.resources("20m", "64Mi", cpu_limit="200m", memory_limit="128Mi")},
        "cainjector": {"resources": kx.resources("20m", "128Mi", cpu_limit="200m", memory_limit="256Mi")},
    }


def external_secrets_values() -> dict[str, Any]:
    return {
        "installCRDs": True,
        "resources": kx.resources("50m", "128Mi", cpu_limit="500m", memory_limit="256Mi"),
        "webhook": {"resources": kx.resources("20m", "64Mi", cpu_limit="200m", memory_limit="128Mi")},
        "certController": {"resources": kx.resources("20m", "64Mi", cpu_limit="200m", memory_limit="128Mi")},
    }


@dataclass
class ClusterOperatorsArgs:
    ctx: Context
    cluster: ClusterRef
    operators: list[str]


class ClusterOperators(pulumi.ComponentResource):
    """mlplat:index:ClusterOperators — cert-manager and/or External Secrets, pinned Helm releases."""

    releases: dict[str, pulumi.Resource]

    def __init__(self, name: str, args: ClusterOperatorsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplat:index:ClusterOperators", name, None, opts)
        self.releases = {}
        table = {
            CERT_MANAGER: (CERT_MANAGER_VERSION, CERT_MANAGER_REPO, cert_manager_values()),
            EXTERNAL_SECRETS: (EXTERNAL_SECRETS_VERSION, EXTERNAL_SECRETS_REPO, external_secrets_values()),
        }
        for op in args.operators:
            version, repo, values = table[op]
            self.releases[op] = k8s.helm.v3.Release(
                f"{name}-{op}",
                name=op,
                chart=op,
                version=version,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=repo),
                namespace=op,
                create_namespace=True,
                values=values,
                opts=kx.k8s_opts(args.cluster, self),
            )
        self.register_outputs({"operators": list(args.operators)})


__all__ = [
    "CERT_MANAGER", "EXTERNAL_SECRETS", "ClusterOperators", "ClusterOperatorsArgs", "cert_manager_values",
    "external_secrets_values", "external_stores", "operators_needed",
]  # fmt: skip
