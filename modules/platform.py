"""The whole platform as one ComponentResource: wires the components a spec declares."""

from __future__ import annotations

import dataclasses
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


def dag_bucket_name(resolved: ResolvedPlatform) -> str | None:
    """orchestrator.dag_bucket, else the first bucket declared with purpose: dags (MWAA)."""
    spec = resolved.spec
    if spec.orchestrator is not None and spec.orchestrator.dag_bucket:
        return spec.orchestrator.dag_bucket
    if spec.storage is not None:
        return next((b.name for b in spec.storage.buckets if b.purpose == "dags"), None)
    return None


def capture_bucket_name(resolved: ResolvedPlatform, explicit: str | None) -> str | None:
    """A model's data_capture.bucket, else the artifact bucket."""
    return explicit or artifact_bucket_name(resolved)


def logs_bucket_name(resolved: ResolvedPlatform) -> str | None:
    """orchestrator.logs_bucket, else a bucket with purpose: logs, else the artifact bucket."""
    spec = resolved.spec
    if spec.orchestrator is not None and spec.orchestrator.logs_bucket:
        return spec.orchestrator.logs_bucket
    if spec.storage is not None:
        found = next((b.name for b in spec.storage.buckets if b.purpose == "logs"), None)
        if found:
            return found
    return artifact_bucket_name(resolved)


def deployed_components(resolved: ResolvedPlatform) -> list[str]:
    spec = resolved.spec
    from mlplat.stacks.platform_spec.semantic import managed

    order = ("network", "storage", "cluster", "tracking", "orchestrator", "feature_store", "serving", "monitoring",
             "data_quality", "workspace")
    present = [c for c in order if getattr(spec, c) is not None]
    needs_cluster = any(c in present and not managed(spec, c) for c in order[3:9])
    in_vpc = "cluster" in present or "workspace" in present or any(managed(spec, c) for c in present)
    if resolved.provider == "aws" and in_vpc and "network" not in present:
        # EKS, SageMaker endpoints, MWAA and Studio live in private subnets: an implied network
        present.insert(0, "network")
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
        if ctx.aws:
            from .storage import deploying_account

            deploying_account(ctx)  # before anything names a bucket (serving URIs, DVC roles)
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

            cluster_component = Cluster("cluster", ClusterArgs(ctx, spec.cluster, network), child)
            cluster = cluster_component.ref
            from .operators import ClusterOperators, ClusterOperatorsArgs, operators_needed, vault_of

            needed = operators_needed(spec, aws=ctx.aws)
            if needed:
                ops = ClusterOperators(
                    "cluster-operators", ClusterOperatorsArgs(ctx, cluster, needed, vault_of(spec)),
                    pulumi.ResourceOptions(parent=cluster_component),
                )  # fmt: skip
                cluster = dataclasses.replace(cluster, operators=ops.releases)

        buckets: dict[str, BucketRef] = {}
        if spec.storage is not None:
            from .storage import Storage, StorageArgs

            buckets = Storage("storage", StorageArgs(ctx, spec.storage, cluster), child).buckets

        from mlplat.stacks.platform_spec.semantic import managed

        platform_key = next((b.kms_key_arn for b in buckets.values() if b.kms_key_arn is not None), None)
        ui_components: list[pulumi.Resource] = []
        database: DatabaseEndpoint | None = None
        tracking_uri: pulumi.Input[str] | None = None
        if spec.tracking is not None and managed(spec, "tracking"):
            from .sagemaker import ManagedTracking, ManagedTrackingArgs

            art = buckets[artifact_bucket_name(r) or ""]
            tracking_uri = ManagedTracking("tracking", ManagedTrackingArgs(ctx, spec.tracking, art), child).uri
        elif spec.tracking is not None and spec.tracking.kind == "wandb":
            if spec.tracking.mode == "self-managed" and cluster is not None:  # saas: nothing to deploy
                from .wandb import WandbServer, WandbServerArgs

                WandbServer("tracking", WandbServerArgs(ctx, spec.tracking, cluster, buckets[artifact_bucket_name(r) or ""],
                                                        network), child)  # fmt: skip
        elif spec.tracking is not None and cluster is not None:
            from .tracking import TrackingServer, TrackingServerArgs

            art = buckets[artifact_bucket_name(r) or ""]
            tracking = TrackingServer("tracking", TrackingServerArgs(ctx, spec.tracking, cluster, art, network), child)
            database, tracking_uri = tracking.database, tracking.uri
            ui_components.append(tracking)

        from mlplat.stacks.platform_spec.stores import data_docs_bucket

        docs_name = data_docs_bucket(spec)
        docs = buckets.get(docs_name) if docs_name and cluster is not None else None
        orchestrated = False  # the orchestrator carries the GX config and writer account
        if spec.orchestrator is not None and managed(spec, "orchestrator") and network is not None:
            from .sagemaker import ManagedAirflow, ManagedAirflowArgs

            dags = buckets[dag_bucket_name(r) or ""]
            ManagedAirflow("orchestrator", ManagedAirflowArgs(ctx, spec.orchestrator, network, dags, platform_key), child)
        elif spec.orchestrator is not None and cluster is not None:
            from .orchestrator import Orchestrator, OrchestratorArgs

            lb = logs_bucket_name(r) if spec.orchestrator.kind == "airflow" else None
            logs = buckets.get(lb) if lb else None
            ui_components.append(
                Orchestrator("orchestrator", OrchestratorArgs(ctx, spec.orchestrator, cluster, database, tracking_uri,
                                                              logs_bucket=logs, data_docs=docs), child)  # fmt: skip
            )
            orchestrated = docs is not None

        if spec.feature_store is not None and cluster is not None:
            from .feature_store import FeatureStore, FeatureStoreArgs

            fs = spec.feature_store
            offline = buckets.get(fs.offline_bucket) if fs.offline_bucket else None
            FeatureStore("feature-store", FeatureStoreArgs(ctx, fs, cluster, network, database, offline), child)

        exposed: list[pulumi.Resource] = []  # components whose namespaces an Ingress may go into
        if spec.serving is not None and managed(spec, "serving") and network is not None:
            from .sagemaker import SageMakerServing, SageMakerServingArgs

            capture = {m.name: buckets[capture_bucket_name(r, m.data_capture.bucket) or ""]
                       for m in spec.serving.models if m.data_capture is not None}
            SageMakerServing("serving", SageMakerServingArgs(ctx, spec.serving, network, capture, platform_key), child)
        elif spec.serving is not None and cluster is not None:
            from .serving import ModelServing, ModelServingArgs

            # Request logs go where the drift-report job reads them (only when it runs).
            drift = spec.monitoring is not None and spec.monitoring.drift_reports is not None
            rb = report_bucket_name(r) if drift else None
            logs = buckets.get(rb) if rb else None
            exposed.append(ModelServing("serving", ModelServingArgs(ctx, spec.serving, cluster, buckets, logs), child))

        if spec.monitoring is not None and cluster is not None:
            from .monitoring import Monitoring, MonitoringArgs

            rb = report_bucket_name(r)
            report = buckets.get(rb) if rb else None
            exposed.append(
                Monitoring("monitoring", MonitoringArgs(ctx, spec.monitoring, cluster, report, components), child)
            )

        if spec.data_quality is not None and cluster is not None and docs is not None:
            from .data_quality import DataQuality, DataQualityArgs

            DataQuality("data-quality", DataQualityArgs(ctx, spec.data_quality, cluster, docs, not orchestrated), child)

        if spec.ingress is not None and spec.ingress.expose and cluster is not None:
            from .ingress import IngressArgs, PlatformIngress

            PlatformIngress("ingress", IngressArgs(ctx, spec, cluster, network, [*ui_components, *exposed]), child)

        if spec.workspace is not None and network is not None:
            from .sagemaker import Studio, StudioArgs

            Studio("workspace", StudioArgs(ctx, spec.workspace, network, list(buckets.values()), platform_key), child)

        self.components = components
        self.register_outputs({"components": components})


__all__ = [
    "Platform", "PlatformArgs", "artifact_bucket_name", "capture_bucket_name", "dag_bucket_name", "deployed_components",
    "logs_bucket_name", "report_bucket_name",
]  # fmt: skip
