"""Kubeflow Pipelines' upstream manifests, vendored (rendered at the release tag) as package data.

`templates/kfp/<version>/` holds `cluster-scoped-resources.yaml` (CRDs, the `kubeflow` Namespace,
cluster RBAC) and `env-platform-agnostic.yaml` (everything in `kubeflow`), rendered with
`kubectl kustomize` from the tags recorded in `templates/kfp/PROVENANCE.md`. Installing them needs
no network, and every object is in the plan (preview, render, graph, policy, cost).

mlplat changes two things only: every object carries the platform's ownership labels, and the
Namespace carries the platform/environment labels the platform's NetworkPolicies select on, so
pods in `kubeflow` may reach the platform's services (MLflow) and be scraped.
"""

from __future__ import annotations

import copy
import re
from functools import cache
from importlib import resources
from typing import Any

import yaml
from mlplat.stacks.platform_spec.catalog import KFP_VERSIONS as VERSIONS

STAGES = ("cluster-scoped-resources", "env-platform-agnostic")
NAMESPACE = "kubeflow"


@cache
def _documents(version: str, stage: str) -> tuple[dict[str, Any], ...]:
    text = (resources.files("mlplat.templates") / "kfp" / version / f"{stage}.yaml").read_text(encoding="utf-8")
    return tuple(d for d in yaml.safe_load_all(text) if isinstance(d, dict))


def manifests(version: str, labels: dict[str, str], namespace_labels: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
    """(stage, object) in apply order, with mlplat's labels added (copies; the data stays as vendored)."""
    if version not in VERSIONS:
        raise ValueError(f"Kubeflow Pipelines {version!r} is not vendored (vendored: {', '.join(VERSIONS)})")
    out: list[tuple[str, dict[str, Any]]] = []
    for stage in STAGES:
        for doc in _documents(version, stage):
            obj = copy.deepcopy(doc)
            meta = obj.setdefault("metadata", {})
            extra = {**labels, **namespace_labels} if obj.get("kind") == "Namespace" else labels
            meta["labels"] = {**(meta.get("labels") or {}), **extra}
            out.append((stage, obj))
    return out


# apiVersion group → pulumi_kubernetes module (the groups the vendored manifests use).
SDK_MODULES = {
    "": "core", "apps": "apps", "batch": "batch", "policy": "policy", "rbac.authorization.k8s.io": "rbac",
    "apiextensions.k8s.io": "apiextensions", "scheduling.k8s.io": "scheduling", "networking.k8s.io": "networking",
    "admissionregistration.k8s.io": "admissionregistration",
}  # fmt: skip


def sdk_class(api_version: str, kind: str) -> tuple[str, str, str]:
    """(module, version, class) of the typed pulumi_kubernetes resource for an object."""
    group, _, version = api_version.rpartition("/")
    if group not in SDK_MODULES:
        raise ValueError(f"no typed resource for {api_version} {kind} (add its group to SDK_MODULES)")
    return SDK_MODULES[group], version, kind


def sdk_kwargs(obj: dict[str, Any]) -> dict[str, Any]:
    """Top-level fields as the typed constructor's keyword arguments (nested values keep wire names)."""
    return {re.sub(r"(?<!^)(?=[A-Z])", "_", k).lower(): v for k, v in obj.items()}


def resource_name(prefix: str, obj: dict[str, Any]) -> str:
    """`{prefix}-{kind}-{name}` (lower case): stable, unique within the vendored manifests."""
    return f"{prefix}-{obj['kind'].lower()}-{obj['metadata']['name']}"


def images(version: str) -> set[str]:
    """Every container image the vendored manifests run."""
    found: set[str] = set()

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                if k == "image" and isinstance(x, str):
                    found.add(x)
                else:
                    walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    for stage in STAGES:
        for doc in _documents(version, stage):
            walk(doc)
    return found


__all__ = [
    "NAMESPACE", "SDK_MODULES", "STAGES", "VERSIONS", "images", "manifests", "resource_name", "sdk_class", "sdk_kwargs",
]  # fmt: skip
