"""ClusterOperators: cluster-wide operators that other components' custom resources need.

- cert-manager (pinned chart, its CRDs with `crds.enabled`) when KServe serves models: the
  `kserve-resources` chart always renders a cert-manager `Certificate` for its webhooks
  (kserve v0.20.0 charts/kserve-resources/files/kserve/resources.yaml).
- the External Secrets Operator (pinned chart, CRDs installed by the chart) when any spec
  credential is a `{secret_ref: "<store>/<path>"}` on a store other than `kubernetes`: the
  `ExternalSecret` objects mlplat writes are its custom resources. The `ClusterSecretStore`
  named by `<store>` stays a prerequisite (it holds the store's address and auth), except
  `vault`: with `secrets.vault` in the spec, mlplat writes that store (address, KV mount,
  kubernetes or AppRole login) after the operator; ExternalSecrets reading it wait for it.
  It is also installed whenever workloads read an RDS-managed master password (aws: MLflow's
  Postgres, W&B's MySQL; see `db_credentials`).
- Reloader (pinned chart) beside it in that case: after RDS rotates the password and the
  operator rewrites the Secrets, it restarts the workloads that read them.

All live under the Cluster component (their own namespaces, created by Helm); components
that create the custom resources depend on the release through `ClusterRef.operators`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pydantic import BaseModel

from . import k8s as kx
from .common import ClusterRef, Context
from .db_credentials import RELOAD_LABEL

CERT_MANAGER = "cert-manager"
CERT_MANAGER_VERSION = "v1.21.1"  # cert-manager/cert-manager tag v1.21.1 (deploy/charts/cert-manager)
CERT_MANAGER_REPO = "https://charts.jetstack.io"
EXTERNAL_SECRETS = "external-secrets"
EXTERNAL_SECRETS_VERSION = "2.9.0"  # external-secrets/external-secrets tag helm-chart-2.9.0 (app v2.9.0)
EXTERNAL_SECRETS_REPO = "https://charts.external-secrets.io"
# `<store>/…` prefixes that name an existing Kubernetes Secret rather than an external store.
KUBERNETES_STORES = ("kubernetes", "k8s")
RELOADER = "reloader"
RELOADER_VERSION = "2.2.16"  # stakater/Reloader tag chart-v2.2.16 (app v1.4.21), deployments/kubernetes/chart/reloader
RELOADER_REPO = "https://stakater.github.io/stakater-charts"
VAULT_STORE = "vault"  # the ClusterSecretStore `secret_ref: "vault/<path>"` reads (spec: secrets.vault)
VAULT_APPROLE_SECRET = "vault-approle"  # AppRole secret ID, in the operator's namespace
VAULT_APPROLE_KEY = "secret-id"


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


def rds_credentials(spec: Any, aws: bool) -> bool:
    """Whether workloads read an RDS-managed master password (MLflow's Postgres, W&B's MySQL on
    aws): External Secrets delivers it, Reloader restarts its readers after a rotation."""
    t = spec.tracking
    if not aws or t is None or getattr(spec, "cluster", None) is None:
        return False
    return t.kind == "mlflow" or (t.kind == "wandb" and t.mode == "self-managed")


def operators_needed(spec: Any, aws: bool = False) -> list[str]:
    """Which operators the spec's custom resources need, in install order."""
    out = []
    if spec.serving is not None and spec.serving.kind == "kserve":
        out.append(CERT_MANAGER)
    rds = rds_credentials(spec, aws)
    if external_stores(spec) or vault_of(spec) is not None or rds:
        out.append(EXTERNAL_SECRETS)
    if rds:
        out.append(RELOADER)
    return out


def vault_of(spec: Any) -> Any:
    """`secrets.vault` of the spec, or None."""
    secrets = getattr(spec, "secrets", None)
    return secrets.vault if secrets is not None else None


def store_key(store: str) -> str:
    """ClusterRef.operators key of a ClusterSecretStore mlplat writes (ExternalSecrets wait for it)."""
    return f"store/{store}"


def vault_store_spec(vault: Any, approle_secret: tuple[str, str] | None = None) -> dict[str, Any]:
    """The `ClusterSecretStore` spec (external-secrets.io/v1, vault provider) for `secrets.vault`.

    kubernetes auth without `serviceAccountRef`/`secretRef`: the operator logs in with its own
    ServiceAccount token (`external-secrets/external-secrets`), which the Vault role must bind.
    AppRole: the secret ID by reference to a Secret in the operator's namespace, never inline."""
    auth = vault.auth
    if auth.kind == "kubernetes":
        login: dict[str, Any] = {"kubernetes": {"mountPath": auth.mount_path or "kubernetes", "role": auth.role}}
    else:
        if approle_secret is None:
            raise ValueError("approle needs the Secret holding its secret ID")
        login = {"appRole": {
            "path": auth.mount_path or "approle", "roleId": auth.role_id,
            "secretRef": {"name": approle_secret[0], "key": approle_secret[1], "namespace": EXTERNAL_SECRETS},
        }}  # fmt: skip
    provider: dict[str, Any] = {"server": vault.address.rstrip("/"), "path": vault.path, "version": vault.kv_version}
    if vault.namespace:
        provider["namespace"] = vault.namespace
    provider["auth"] = login
    return {"provider": {"vault": provider}}


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


def reloader_values() -> dict[str, Any]:
    """Reloader restarts a workload when a Secret it reads changes, but only the Secrets mlplat
    labels (the rendered database credentials, rewritten after RDS rotates the password).

    autoReloadAll: charts' workloads (Airflow, W&B) need no per-chart annotation; the label
    selector keeps every other Secret and ConfigMap out. The annotations strategy stamps the pod
    template with an annotation instead of an env var, which server-side apply leaves alone."""
    key, value = RELOAD_LABEL
    return {
        "reloader": {
            "autoReloadAll": True,
            "resourceLabelSelector": f"{key}={value}",
            "ignoreConfigMaps": True,
            # a Job read the password when it ran (the database-creating Jobs ran once); a
            # CronJob's next run reads the rewritten Secret anyway: nothing to restart
            "ignoreJobs": True,
            "ignoreCronJobs": True,
            "reloadStrategy": "annotations",
            "readOnlyRootFileSystem": True,
            "deployment": {"resources": kx.resources("10m", "64Mi", cpu_limit="100m", memory_limit="128Mi")},
        }
    }


@dataclass
class ClusterOperatorsArgs:
    ctx: Context
    cluster: ClusterRef
    operators: list[str]
    vault: Any = field(default=None)  # secrets.vault: the ClusterSecretStore `vault` after External Secrets


class ClusterOperators(pulumi.ComponentResource):
    """mlplat:index:ClusterOperators — cert-manager and/or External Secrets, pinned Helm releases."""

    releases: dict[str, pulumi.Resource]

    def __init__(self, name: str, args: ClusterOperatorsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplat:index:ClusterOperators", name, None, opts)
        self.releases = {}
        table = {
            CERT_MANAGER: (CERT_MANAGER_VERSION, CERT_MANAGER_REPO, cert_manager_values()),
            EXTERNAL_SECRETS: (EXTERNAL_SECRETS_VERSION, EXTERNAL_SECRETS_REPO, external_secrets_values()),
            RELOADER: (RELOADER_VERSION, RELOADER_REPO, reloader_values()),
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
        if args.vault is not None and EXTERNAL_SECRETS in self.releases:
            self.releases[store_key(VAULT_STORE)] = self._vault_store(name, args)
        self.register_outputs({"operators": list(args.operators)})

    def _vault_store(self, name: str, args: ClusterOperatorsArgs) -> pulumi.Resource:
        release = self.releases[EXTERNAL_SECRETS]
        vault, waits = args.vault, [release]
        approle: tuple[str, str] | None = None
        ref = vault.auth.secret_id if vault.auth.kind == "approle" else None
        if ref is not None and ref.from_env:
            # read from the environment of `mlplat up` into a Secret (a Pulumi secret, never in the plan)
            waits.append(kx.opaque_secret(
                args.ctx, "cluster", f"{name}-vault-approle", VAULT_APPROLE_SECRET, EXTERNAL_SECRETS,
                {VAULT_APPROLE_KEY: os.environ.get(str(ref.from_env), "")}, args.cluster, self, depends_on=[release],
            ))  # fmt: skip
            approle = (VAULT_APPROLE_SECRET, VAULT_APPROLE_KEY)
        elif ref is not None:  # kubernetes/<secret>[/<key>]: an existing Secret in the operator's namespace
            existing, _, key = str(ref.secret_ref).partition("/")[2].partition("/")
            approle = (existing, key or VAULT_APPROLE_KEY)
        return k8s.apiextensions.CustomResource(
            f"{name}-vault-store",
            api_version="external-secrets.io/v1",
            kind="ClusterSecretStore",
            metadata=kx.wire(kx.object_meta(args.ctx, "cluster", VAULT_STORE, app=VAULT_STORE)),
            spec=vault_store_spec(vault, approle),
            opts=kx.k8s_opts(args.cluster, self, waits),
        )


__all__ = [
    "CERT_MANAGER", "EXTERNAL_SECRETS", "RELOADER", "VAULT_STORE", "ClusterOperators", "ClusterOperatorsArgs", "cert_manager_values",
    "external_secrets_values", "external_stores", "operators_needed", "rds_credentials", "reloader_values", "store_key", "vault_of", "vault_store_spec",
]  # fmt: skip
