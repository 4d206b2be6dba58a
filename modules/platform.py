"""The whole platform as one ComponentResource: wires the components a spec declares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi

from .common import BucketRef, ClusterRef, Context, DatabaseEndpoint, NetworkRef

if TYPE_CHECKING:
    from mlplat.stacks.platform_spec.resolve import ResolvedPlatform


@dataclass
class PlatformArgs:
    resolved: ResolvedPlatform


def artifact_bucket_name(resolved: ResolvedPlatform) -> str | None:
    """tracking.artifact_bucket, else the first bucket declared with purpose: artifacts."""
    spec = resolved.spec
    if spec.tracking is not None and spec.tracking.artifact_bucket:
        return spec.tracking.artifact_bucket
    if spec.storage is not None:
        return next((b.name for b in spec.storage.buckets if b.purpose == "artifacts"), None)
    return None


def report_bucket_name(resolved: ResolvedPlatform) -> str | None:
    """monitoring.drift_reports.bucket, else a drift-reports bucket, else the artifact bucket."""
    spec = resolved.spec
    mon = spec.monitoring
    if mon is not None and mon.drift_reports is not None and mon.drift_reports.bucket:
        return mon.drift_reports.bucket
    if spec.storage is not None:
        found = next((b.name for b in spec.storage.buckets if b.purpose == "drift-reports"), None)
        if found:
            return found
    return artifact_bucket_name(resolved)


def deployed_components(resolved: ResolvedPlatform) -> list[str]:
    spec = resolved.spec
    order = ("network", "storage", "cluster", "tracking", "orchestrator", "feature_store", "serving", "monitoring")
    present = [c for c in order if getattr(spec, c) is not None]
    needs_cluster = any(c in present for c in order[3:])
    if resolved.provider == "aws" and "cluster" in present and "network" not in present:
        present.insert(0, "network")  # EKS needs a VPC: an implied network with defaults
    if resolved.provider == "kubernetes" and needs_cluster and "cluster" not in present:
        present.insert(0, "cluster")  # the existing cluster: a provider for its context
    return present


class Platform(pulumi.ComponentResource):
    """mlplat:index:Platform — one environment of an ML platform."""

    def __init__(self, name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplat:index:Platform", name, None, opts)
        r = args.resolved
        spec = r.spec
        ctx = Context.from_resolved(r)
        child = pulumi.ResourceOptions(parent=self)
        components = deployed_components(r)

        network: NetworkRef | None = None
        if "network" in components:
            from mlplat.stacks.platform_spec.model import Network as NetworkSpec

            from .network import Network, NetworkArgs

            network = Network("network", NetworkArgs(ctx, spec.network or NetworkSpec()), child).ref

        cluster: ClusterRef | None = None
        if "cluster" in components:
            from .cluster import Cluster, ClusterArgs

            cluster = Cluster("cluster", ClusterArgs(ctx, spec.cluster, network), child).ref

        buckets: dict[str, BucketRef] = {}
        if spec.storage is not None:
            from .storage import Storage, StorageArgs

            buckets = Storage("storage", StorageArgs(ctx, spec.storage, cluster), child).buckets

        database: DatabaseEndpoint | None = None
        tracking_uri: pulumi.Input[str] | None = None
        if spec.tracking is not None and cluster is not None:
            from .tracking import TrackingServer, TrackingServerArgs

            art = buckets[artifact_bucket_name(r) or ""]
            tracking = TrackingServer("tracking", TrackingServerArgs(ctx, spec.tracking, cluster, art, network), child)
            database, tracking_uri = tracking.database, tracking.uri

        if spec.orchestrator is not None and cluster is not None:
            from .orchestrator import Orchestrator, OrchestratorArgs

            Orchestrator("orchestrator", OrchestratorArgs(ctx, spec.orchestrator, cluster, database, tracking_uri), child)

        if spec.feature_store is not None and cluster is not None:
            from .feature_store import FeatureStore, FeatureStoreArgs

            fs = spec.feature_store
            offline = buckets.get(fs.offline_bucket) if fs.offline_bucket else None
            FeatureStore("feature-store", FeatureStoreArgs(ctx, fs, cluster, network, database, offline), child)

        if spec.serving is not None and cluster is not None:
            from .serving import ModelServing, ModelServingArgs

            ModelServing("serving", ModelServingArgs(ctx, spec.serving, cluster, buckets), child)

        if spec.monitoring is not None and cluster is not None:
            from .monitoring import Monitoring, MonitoringArgs

            rb = report_bucket_name(r)
            report = buckets.get(rb) if rb else None
            Monitoring("monitoring", MonitoringArgs(ctx, spec.monitoring, cluster, report, components), child)

        self.components = components
        self.register_outputs({"components": components})


__all__ = ["Platform", "PlatformArgs", "artifact_bucket_name", "deployed_components", "report_bucket_name"]
