"""Orchestrator under the recording mocks: Airflow on aws, Kubeflow Pipelines on kubernetes."""

from __future__ import annotations

import pytest
from mlplat.modules.orchestrator import Orchestrator, OrchestratorArgs

from tests.modules import workload_harness as h


def _plan(aws: bool, database: bool = True, spec=None, logs: bool = False):
    ctx = h.context("platform" if aws else "onprem", "prod")
    spec = spec or ctx.resolved.spec.orchestrator

    def program() -> None:
        bucket = h.bucket(ctx, "logs", minio=not aws) if logs else None
        Orchestrator("orchestrator", OrchestratorArgs(ctx, spec, h.cluster(aws), h.database() if database else None,
                                                      "http://mlflow.churn-prod-tracking.svc.cluster.local:5000",
                                                      bucket))

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


def test_kubeflow_pipelines_vendored_and_visible_in_the_plan():
    plan = _plan(False, database=False)
    # Nothing is fetched at deploy time: no kustomize remote targets, every object in the plan.
    assert not any("kustomize" in r.type for r in plan.resources)
    kfp = [r for r in plan.resources if r.name.startswith("orchestrator-kfp-")]
    # kubectl kustomize of 2.17.0: 16 cluster-scoped objects + 72 in `kubeflow` (templates/kfp/PROVENANCE.md).
    assert len(kfp) == 16 + 72
    images = {c["image"] for r in kfp for c in (r.get("spec.template.spec.containers") or [])}
    assert "ghcr.io/kubeflow/kfp-api-server:2.17.0" in images
    assert "quay.io/argoproj/workflow-controller:v4.0.5" in images
    crds = [r for r in kfp if r.type == "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"]
    assert {c.get("metadata.name") for c in crds} >= {"workflows.argoproj.io", "scheduledworkflows.kubeflow.org"}
    # The namespace carries the platform labels other namespaces' NetworkPolicies select on.
    ns = plan.named("orchestrator-kfp-namespace-kubeflow")
    assert {"mlplat.io/platform": "research", "mlplat.io/environment": "prod"}.items() <= ns.labels.items()
    assert ns.labels["pod-security.kubernetes.io/enforce"] == "baseline"  # upstream's own level is kept
    api = plan.named("orchestrator-kfp-deployment-ml-pipeline")
    assert api.get("metadata.namespace") == "kubeflow" and ns.urn in api.dependencies
    pol = plan.named("orchestrator-netpol-default-deny")
    assert pol.inputs["metadata"]["namespace"] == "kubeflow"
    cm = plan.named("orchestrator-endpoints")
    assert cm.inputs["data"]["MLFLOW_TRACKING_URI"].startswith("http://mlflow.")
    h.assert_labelled(plan)


def _airflow_spec(**git):
    from mlplat.stacks.platform_spec.model import Orchestrator as Spec

    dags = {"git": git} if git else None
    return Spec.model_validate({"kind": "airflow", "version": "2.10.3", "dags": dags}, strict=False)


def test_airflow_jobs_are_not_helm_hooks():
    # helm.v3.Release waits for readiness; the chart's docs: installers that wait need the
    # migration and user jobs as plain Jobs, or the pods waiting for migrations never start.
    v = _plan(True).named("orchestrator-airflow").inputs["values"]
    for job in ("migrateDatabaseJob", "createUserJob"):
        assert v[job]["useHelmHooks"] is False and v[job]["applyCustomEnv"] is False, job


def test_airflow_dags_from_git_with_a_referenced_deploy_key(monkeypatch):
    monkeypatch.setenv("AIRFLOW_DAGS_KEY", "-----BEGIN OPENSSH PRIVATE KEY-----x")
    spec = _airflow_spec(repo="git@github.com:acme/dags.git", branch="release", subpath="pipelines/dags",
                         ssh_key={"from_env": "AIRFLOW_DAGS_KEY"})  # fmt: skip
    plan = _plan(True, spec=spec)
    v = plan.named("orchestrator-airflow").inputs["values"]
    sync = v["dags"]["gitSync"]
    assert sync["enabled"] is True and sync["repo"] == "git@github.com:acme/dags.git"
    assert (sync["branch"], sync["subPath"]) == ("release", "pipelines/dags")
    key = plan.named("orchestrator-git-ssh")
    assert sync["sshKeySecret"] == key.get("metadata.name")
    assert key.inputs["stringData"] == "<secret>"  # never the key itself
    assert "OPENSSH" not in repr(plan.to_dict())
    # git over SSH needs port 22 out of the namespace.
    egress = plan.named("orchestrator-netpol-allow-egress").get("spec.egress.0.ports")
    assert {p["port"] for p in egress} == {443, 22, 6443}  # + the API server (KubernetesExecutor)


def test_airflow_https_dags_need_no_key():
    plan = _plan(True, spec=_airflow_spec(repo="https://github.com/acme/dags.git"))
    sync = plan.named("orchestrator-airflow").inputs["values"]["dags"]["gitSync"]
    assert "sshKeySecret" not in sync and sync["branch"] == "main"
    assert not any(r.name == "orchestrator-git-ssh" for r in plan.resources)


@pytest.mark.parametrize("aws", [True, False])
def test_airflow_task_logs_go_to_the_bucket(aws):
    plan = _plan(aws, logs=True, spec=_airflow_spec())
    rel = plan.named("orchestrator-airflow")
    v = rel.inputs["values"]
    logging = v["config"]["logging"]
    # aws names end in the account (the offline one here); MinIO names do not
    bucket = "churn-prod-logs-123456789012" if aws else "research-prod-logs"
    assert logging["remote_logging"] == "True"
    assert logging["remote_base_log_folder"] == f"s3://{bucket}/airflow/logs"
    if aws:  # IRSA roles on the chart's own ServiceAccounts, scoped to the logs bucket
        import json

        for part, sa, writes in (("workers", "airflow-worker", True), ("triggerer", "airflow-triggerer", True),
                                 ("webserver", "airflow-webserver", False)):  # fmt: skip
            role = plan.named(f"orchestrator-logs-{sa}")
            assert role.urn in rel.dependencies
            assert "eks.amazonaws.com/role-arn" in v[part]["serviceAccount"]["annotations"], part
            trust = json.loads(role.inputs["assumeRolePolicy"])
            assert f"system:serviceaccount:churn-prod-orchestrator:{sa}" in json.dumps(trust)
            policy = json.loads(plan.named(f"orchestrator-logs-{sa}-policy").inputs["policy"])
            actions = {a for st in policy["Statement"] for a in st["Action"]}
            assert ("s3:PutObject" in actions) is writes, part
            resources = {r for st in policy["Statement"] for r in st["Resource"]}
            assert "arn:aws:s3:::churn-prod-logs-123456789012/*" in resources
        assert "serviceAccount" not in v["scheduler"]  # keeps its token for launching task pods
        assert "secret" not in v
    else:  # MinIO: keys by Secret reference, endpoint in the env
        s3 = plan.named("orchestrator-s3")
        assert {e["secretName"] for e in v["secret"]} == {s3.get("metadata.name")}
        assert {e["envName"] for e in v["secret"]} == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
        assert {"name": "AWS_ENDPOINT_URL", "value": "http://minio.x.svc.cluster.local:9000"} in v["env"]
