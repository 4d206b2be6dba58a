"""Cross-field rules of the data-quality and secret-store sections (issue 18, items 3 and 4).

Pure: (spec) → findings, called by semantic.py. Kept apart so semantic.py stays readable.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from typing import Any

from mlplat.stacks.platform_spec.model import PlatformSpec, SecretRef
from pydantic import BaseModel

SpecPath = tuple[str | int, ...]
Issue = tuple[SpecPath, str]

DATA_DOCS = "data-docs"
VAULT_STORE = "vault"
# `<store>/…` prefixes that name an existing Kubernetes Secret (modules/operators.py KUBERNETES_STORES).
KUBERNETES_STORES = ("kubernetes", "k8s")
# GX Core releases whose config mlplat writes (config_version 4, filesystem stores synced with
# the bucket): tests/upstream/great-expectations/1.24.1/ holds the schema they were read from.
GX_VERSIONS = ("1.24.1",)


def secret_refs(node: Any, path: SpecPath = ()) -> Iterator[tuple[SpecPath, SecretRef]]:
    """(path, ref) of every SecretRef in the spec, depth first, in field order."""
    if isinstance(node, SecretRef):
        yield path, node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            if name == "environments":
                continue  # raw overrides: checked once resolved
            yield from secret_refs(getattr(node, name), (*path, name))
    elif isinstance(node, (list, tuple)):
        for i, v in enumerate(node):
            yield from secret_refs(v, (*path, i))
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from secret_refs(v, (*path, str(k)))


def data_docs_bucket(spec: Any) -> str | None:
    """data_quality.bucket, else the first bucket declared with purpose data-docs."""
    dq = getattr(spec, "data_quality", None)
    if dq is None:
        return None
    if dq.bucket:
        return str(dq.bucket)
    storage = getattr(spec, "storage", None)
    return next((b.name for b in (storage.buckets if storage else []) if b.purpose == DATA_DOCS), None)


def findings(spec: PlatformSpec) -> Iterator[Issue | Any]:
    from mlplat.stacks.platform_spec.semantic import Finding

    dq = spec.data_quality
    if dq is not None:
        buckets = spec.storage.buckets if spec.storage else []
        if dq.version not in GX_VERSIONS:
            yield Finding(("data_quality", "version"), (
                f"mlplat writes the GX Core config of {', '.join(GX_VERSIONS)}, not {dq.version!r} "
                "(GX 1.x removed the S3 store backends; the config format follows the release)"))  # fmt: skip
        if dq.bucket is not None:
            found = next((b for b in buckets if b.name == dq.bucket), None)
            names = [b.name for b in buckets]
            if found is None:
                close = difflib.get_close_matches(dq.bucket, names, n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                yield Finding(("data_quality", "bucket"),
                              f"{dq.bucket!r} is not a declared bucket (declared: {', '.join(names) or 'none'}){hint}",
                              (("storage", "buckets"),))  # fmt: skip
            elif found.purpose != DATA_DOCS:
                i = buckets.index(found)
                yield Finding(("data_quality", "bucket"),
                              f"bucket {dq.bucket!r} has purpose {found.purpose}; Great Expectations keeps its stores "
                              f"and Data Docs in a bucket of purpose data-docs (set storage.buckets[{i}].purpose: data-docs)",
                              (("storage", "buckets", i, "purpose"),))  # fmt: skip
        elif data_docs_bucket(spec) is None:
            yield Finding(("data_quality",), (
                "Great Expectations needs a bucket with purpose data-docs for its stores and Data Docs: declare one "
                "under storage.buckets, e.g. {name: data-docs, purpose: data-docs}"), (("storage", "buckets"),))  # fmt: skip
    yield from _vault(spec)


def _vault(spec: PlatformSpec) -> Iterator[Any]:
    from mlplat.stacks.platform_spec.semantic import Finding

    vault = spec.secrets.vault if spec.secrets is not None else None
    for path, ref in secret_refs(spec):
        store = (ref.secret_ref or "").partition("/")[0]
        if store == VAULT_STORE and vault is None:
            yield Finding((*path, "secret_ref"), (
                f"{ref.secret_ref!r} reads from Vault, but the spec has no secrets.vault section: add "
                "secrets: {vault: {address: https://vault.example:8200, auth: {kind: kubernetes, role: <role>}}} "
                "(mlplat then creates the ClusterSecretStore `vault`)"), (("secrets",),))  # fmt: skip
    if vault is None:
        return
    base: SpecPath = ("secrets", "vault")
    if vault.address.startswith("http://") and not vault.allow_http:
        yield Finding((*base, "address"), (
            "Vault must be reached over https (tokens and secrets cross the network); set allow_http: true "
            "only for a lab Vault without TLS"), ((*base, "allow_http"),))  # fmt: skip
    if vault.allow_http and vault.address.startswith("https://"):
        yield Finding((*base, "allow_http"), "allow_http has no effect on an https:// address (remove it)", ((*base, "address"),))
    auth, apath = vault.auth, (*base, "auth")
    kind = ((*apath, "kind"),)
    if auth.kind == "kubernetes":
        if auth.role is None:
            yield Finding(apath, "kubernetes auth needs role: the Vault role bound to the operator's ServiceAccount "
                          "(external-secrets/external-secrets)", kind)  # fmt: skip
        for key in ("role_id", "secret_id"):
            if getattr(auth, key) is not None:
                yield Finding((*apath, key), f"{key} applies to auth.kind approle only", kind)
    else:
        if auth.role is not None:
            yield Finding((*apath, "role"), "role applies to auth.kind kubernetes (approle takes role_id)", kind)
        if auth.role_id is None:
            yield Finding(apath, "approle auth needs role_id", kind)
        if auth.secret_id is None:
            yield Finding(apath, "approle auth needs secret_id ({from_env: VAR} or {secret_ref: 'kubernetes/<secret>/<key>'})", kind)
        elif auth.secret_id.secret_ref is not None:
            store = auth.secret_id.secret_ref.partition("/")[0]
            # an existing Secret in the operator's namespace: a DNS name, then a key (ESO's SecretKeySelector patterns)
            sel = r"(kubernetes|k8s)/[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?(/[-._a-zA-Z0-9]{1,253})?"
            if store in KUBERNETES_STORES and not re.fullmatch(sel, auth.secret_id.secret_ref):
                yield Finding((*apath, "secret_id", "secret_ref"),
                              "expected kubernetes/<secret>/<key>: a lowercase DNS name, then a key of letters, digits, "
                              "'-', '_' or '.'")  # fmt: skip
            if store not in KUBERNETES_STORES:
                yield Finding((*apath, "secret_id", "secret_ref"), (
                    f"the Vault login secret cannot come from the store {store!r} (the operator needs it to reach any "
                    "store): use {from_env: VAR} or {secret_ref: 'kubernetes/<secret>/<key>'}"))  # fmt: skip
    if spec.target.provider == "compose":
        yield Finding(base, "the compose target runs no External Secrets Operator: secrets.vault applies to aws and "
                      "kubernetes targets", (("target", "provider"),))  # fmt: skip


__all__ = ["DATA_DOCS", "GX_VERSIONS", "VAULT_STORE", "data_docs_bucket", "findings", "secret_refs"]
