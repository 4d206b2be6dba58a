"""modules/k8s.py resource helpers under the recording mocks: namespaces, data services, MinIO."""

from __future__ import annotations

import pulumi
import pytest
from mlplat.modules import data_services, tenancy
from mlplat.stacks.platform_spec.model import Quota

from tests.modules import workload_harness as h


class _Parent(pulumi.ComponentResource):
    def __init__(self, fn) -> None:
        super().__init__("mlplat:index:Storage", "storage")
        fn(self)


@pytest.fixture(scope="module")
def plan():
    ctx = h.context("onprem", "prod")

    def program() -> None:
        cl = h.cluster(aws=False)

        def body(parent):
            tenancy.namespace(ctx, "tracking", "ns-quota", cl, parent, Quota(cpu="16", memory="64Gi", gpu=2),
                         access=tenancy.NetworkAccess(platform_ingress_ports=(5000,)))  # fmt: skip
            db = data_services.incluster_postgres(ctx, "tracking", "pg", namespace_="research-prod-tracking", cluster=cl,
                                       parent=parent, storage_gb=30)  # fmt: skip
            data_services.incluster_redis(ctx, "feature_store", "redis", namespace_="research-prod-feature-store", cluster=cl,
                               parent=parent)  # fmt: skip
            data_services.database_for(ctx, "orchestrator", "airflow-db", db, "airflow", namespace_="research-prod-orchestrator",
                            cluster=cl, parent=parent)  # fmt: skip
            parent.buckets = data_services.minio(ctx, "minio", ctx.resolved.spec.storage.buckets, cl, parent)

        _Parent(body)

    return h.run(program, region=None)


def test_every_container_hardened_and_labelled(plan):
    assert h.assert_hardened(plan) >= 5
    h.assert_labelled(plan)


def test_core_objects_validate_strictly(plan):
    assert h.assert_valid_manifests(plan) >= 20


def test_namespace_labels_and_quota(plan):
    ns = plan.named("ns-quota-namespace")
    labels = ns.labels
    assert ns.inputs["metadata"]["name"] == "research-prod-tracking"
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert labels["mlplat.io/component"] == "tracking"
    quota = plan.named("ns-quota-quota").inputs["spec"]["hard"]
    assert quota["requests.nvidia.com/gpu"] == "2" and quota["limits.memory"] == "64Gi"
    assert plan.named("ns-quota-limits").inputs["spec"]["limits"][0]["type"] == "Container"
    deny = plan.named("ns-quota-netpol-default-deny")
    assert deny.inputs["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    # every namespaced object waits for its namespace
    assert ns.urn in plan.named("ns-quota-netpol-default-deny").dependencies


def test_every_resource_uses_the_cluster_provider(plan):
    objects = h.k8s_objects(plan)
    assert len(objects) > 5
    for r in objects:
        assert r.provider and "pulumi:providers:kubernetes::k8s" in r.provider, r.name


def test_incluster_postgres(plan):
    sts = plan.named("pg-statefulset")
    assert sts.protect is True  # prod profile protects data
    claim = sts.inputs["spec"]["volumeClaimTemplates"][0]["spec"]
    assert claim["storageClassName"] == "ceph-rbd"
    assert claim["resources"]["requests"]["storage"] == "30Gi"
    svc = plan.named("pg-service").inputs["spec"]
    assert svc["clusterIP"] == "None"
    assert plan.named("pg-credentials").inputs["stringData"] == "<secret>"
    assert plan.named("pg-password").type == "random:index/randomPassword:RandomPassword"
    env = {e["name"]: e for e in sts.get("spec.template.spec.containers.0.env")}
    assert env["POSTGRES_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "postgres-credentials", "key": "POSTGRES_PASSWORD"}


def test_database_job_uses_secret_password(plan):
    job = plan.named("airflow-db")
    c = job.get("spec.template.spec.containers.0")
    env = {e["name"]: e for e in c["env"]}
    assert "valueFrom" in env["PGPASSWORD"] and "value" not in env["PGPASSWORD"]
    assert "CREATE DATABASE" in c["command"][-1]
    assert plan.named("airflow-db-admin").inputs["stringData"] == "<secret>"


def test_minio(plan):
    refs = plan.named("storage")  # the parent component
    assert refs is not None
    sts = plan.named("minio-statefulset")
    c = sts.get("spec.template.spec.containers.0")
    assert c["image"].startswith("quay.io/minio/minio:RELEASE.")
    assert {p["name"] for p in c["ports"]} == {"api", "console"}
    job = plan.named("minio-buckets").get("spec.template.spec.containers.0.command")[-1]
    assert "mc mb --ignore-existing mlplat/research-prod-artifacts" in job
    assert "mc version enable mlplat/research-prod-artifacts" in job
    assert plan.named("minio-credentials").inputs["stringData"] == "<secret>"
    assert {plan.named("minio-root-user").type, plan.named("minio-root-password").type} == {
        "random:index/randomPassword:RandomPassword"
    }


def test_minio_returns_bucket_refs():
    ctx = h.context("onprem", "prod")
    out = {}

    def program() -> None:
        cl = h.cluster(aws=False)
        _Parent(lambda p: out.update(data_services.minio(ctx, "minio", ctx.resolved.spec.storage.buckets, cl, p)))

    h.run(program, region=None)
    assert set(out) == {"artifacts", "features", "docs"}  # the buckets examples/onprem.yaml declares
    ref = out["artifacts"]
    assert ref.bucket == "research-prod-artifacts"
    assert ref.endpoint == "http://minio.research-prod-storage.svc.cluster.local:9000"
    assert ref.access_key is not None and ref.secret_key is not None


# --------------------------------------------------------------------------- the reference platforms


@pytest.mark.parametrize("spec,env", [("platform", "prod"), ("onprem", "prod")])
def test_reference_platform_workloads_hardened(spec, env):
    """Through the platform program: every first-party container/pod hardened, every object labelled."""
    from tests.plans import reference

    _, plan = reference(spec, env)
    assert h.assert_hardened(plan) >= 6
    objects = h.k8s_objects(plan)
    assert len(objects) > 50
    for r in objects:
        labels = r.labels
        assert labels.get("app.kubernetes.io/managed-by") == "mlplat", r.name
        assert labels.get("mlplat.io/platform") == plan.platform and labels.get("mlplat.io/environment") == env, r.name
    assert h.assert_valid_manifests(plan) > 50
    # every workload namespace has a default-deny policy
    namespaces = {r.inputs["metadata"]["name"] for r in plan.resources if r.type == "kubernetes:core/v1:Namespace"}
    denied = {r.inputs["metadata"]["namespace"] for r in plan.resources
              if r.type.endswith("NetworkPolicy") and r.inputs["metadata"]["name"] == "default-deny"}  # fmt: skip
    assert namespaces and namespaces <= denied
    # nothing unpinned anywhere in the plan
    text = plan.to_json()
    assert ":latest\"" not in text
