"""Pulumi ComponentResources, one per file; the platform wiring in `platform.py`.

Names are exported lazily: importing `mlplat.modules.common` should not import every
component (and every pulumi_aws / pulumi_kubernetes submodule they use).
"""

from __future__ import annotations

import importlib
from typing import Any

from .sdk_imports import install as _lean_sdk_imports

# Before any component imports pulumi_aws / pulumi_kubernetes: their service packages then load
# a resource module at a time (sdk_imports.py).
_lean_sdk_imports()

_EXPORTS = {
    "Platform": "platform", "PlatformArgs": "platform",
    "Network": "network", "NetworkArgs": "network",
    "Storage": "storage", "StorageArgs": "storage",
    "Cluster": "cluster", "ClusterArgs": "cluster",
    "TrackingServer": "tracking", "TrackingServerArgs": "tracking",
    "Orchestrator": "orchestrator", "OrchestratorArgs": "orchestrator",
    "FeatureStore": "feature_store", "FeatureStoreArgs": "feature_store",
    "ModelServing": "serving", "ModelServingArgs": "serving",
    "Monitoring": "monitoring", "MonitoringArgs": "monitoring",
    "ClusterOperators": "operators", "ClusterOperatorsArgs": "operators",
    "Context": "common", "COMPONENT_TYPES": "common",
}  # fmt: skip

__all__ = [
    "COMPONENT_TYPES",
    "Cluster",
    "ClusterArgs",
    "ClusterOperators",
    "ClusterOperatorsArgs",
    "Context",
    "FeatureStore",
    "FeatureStoreArgs",
    "ModelServing",
    "ModelServingArgs",
    "Monitoring",
    "MonitoringArgs",
    "Network",
    "NetworkArgs",
    "Orchestrator",
    "OrchestratorArgs",
    "Platform",
    "PlatformArgs",
    "Storage",
    "StorageArgs",
    "TrackingServer",
    "TrackingServerArgs",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
