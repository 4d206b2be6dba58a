"""Orchestrator under the recording mocks: Airflow on aws, Kubeflow Pipelines on kubernetes."""

from __future__ import annotations

import pytest
from mlplat.modules.orchestrator import Orchestrator, OrchestratorArgs

from tests.modules import workload_harness as h


def _plan(aws: bool, database: bool = True, spec=None):
    ctx = h.context("platform" if aws else "onprem", "prod")
    spec = spec or ctx.resolved.spec.orchestrator

    def program() -> None:
        Orchestrator("orchestrator", OrchestratorArgs(ctx, spec, h.cluster(aws), h.database() if database else None,
                                                      "http://mlflow.churn-prod-tracking.svc.cluster.local:5000"))

    return h.run(program)


@pytest.fixture(scope="module")
def airflow():
    return _plan(True)


def test_airflow_release_pinned_and_configured(airflow):
    rel = airflow.named("orchestrator-airflow")
    assert rel.type == "kubernetes:helm.sh/v3:Release"
    assert rel.inputs["chart"] == "airflow" and rel.inputs["version"] == "1.16.0"
    assert rel.inputs["repositoryOpts"]["repo"] == "https://airflow.apache.org"
    v = rel.inputs["values"]
    assert v["executor"] == "KubernetesExecutor"
    assert v["postgresql"]["enabled"] is False
    assert v["data"]["metadataSecretName"] == "airflow-metadata"
    assert v["webserver"]["defaultUser"]["enabled"] is False
    assert v["images"]["airflow"]["tag"] == "2.10.3"
    assert v["securityContexts"]["containers"]["allowPrivilegeEscalation"] is False
    assert {"name": "MLFLOW_TRACKING_URI", "value": "http://mlflow.churn-prod-tracking.svc.cluster.local:5000"} in v["env"]
    assert rel.inputs["namespace"] == "churn-prod-orchestrator"


def test_airflow_secrets_generated_never_literal(airflow):
    for name in ("orchestrator-metadata", "orchestrator-webserver-secret-key"):
        assert airflow.named(name).inputs["stringData"] == "<secret>", name
    # The Fernet key derives from RandomId.b64_url, computed by the provider: unknown in preview.
    assert airflow.named("orchestrator-fernet-key").inputs["stringData"] in ("<secret>", "<unknown>")
    assert airflow.named("orchestrator-fernet-key-bytes").inputs["byteLength"] == 32
    assert airflow.named("orchestrator-webserver-key").type == "random:index/randomPassword:RandomPassword"


def test_airflow_database_on_platform_postgres(airflow):
    job = airflow.named("orchestrator-airflow-db")
    assert job.inputs["kind"] == "Job"
    assert "CREATE DATABASE" in job.get("spec.template.spec.containers.0.command")[-1]
    rel = airflow.named("orchestrator-airflow")
    assert job.urn in rel.dependencies and airflow.named("orchestrator-metadata").urn in rel.dependencies
    assert not any(r.type == "kubernetes:apps/v1:StatefulSet" for r in airflow.resources)


def test_airflow_namespace_and_policies(airflow):
    ns = airflow.named("orchestrator-namespace")
    assert ns.labels["pod-security.kubernetes.io/enforce"] == "baseline"
    assert ns.labels["pod-security.kubernetes.io/warn"] == "restricted"
    egress = airflow.named("orchestrator-netpol-allow-egress").get("spec.egress")
    ports = {p["port"] for rule in egress for p in rule.get("ports", [])}
    assert {443, 6443, 5432} <= ports  # API server (KubernetesExecutor), RDS in the VPC
    assert h.assert_hardened(airflow) == 1  # the database Job
    h.assert_labelled(airflow)
    assert h.assert_valid_manifests(airflow) >= 10


def test_airflow_without_database_gets_its_own_postgres():
    plan = _plan(True, database=False)
    assert plan.named("orchestrator-db-statefulset") is not None
    assert plan.named("orchestrator-airflow").inputs["values"]["postgresql"]["enabled"] is False


def test_kubeflow_pipelines_pinned():
    plan = _plan(False, database=False)
    dirs = [r for r in plan.resources if r.type == "kubernetes:kustomize/v2:Directory"]
    assert sorted(d.inputs["directory"] for d in dirs) == [
        "github.com/kubeflow/pipelines/manifests/kustomize/cluster-scoped-resources?ref=2.3.0",
        "github.com/kubeflow/pipelines/manifests/kustomize/env/platform-agnostic?ref=2.3.0",
    ]
    pol = plan.named("orchestrator-netpol-default-deny")
    assert pol.inputs["metadata"]["namespace"] == "kubeflow"
    cm = plan.named("orchestrator-endpoints")
    assert cm.inputs["data"]["MLFLOW_TRACKING_URI"].startswith("http://mlflow.")
    h.assert_labelled(plan)
