"""TrackingServer under the recording mocks: aws (RDS, IRSA) and kubernetes (in-cluster Postgres, MinIO)."""

from __future__ import annotations

import json

import pytest
from mlplat.modules.tracking import TrackingServer, TrackingServerArgs

from tests.modules import workload_harness as h


def _plan(aws: bool, **spec_updates):
    ctx = h.context("platform" if aws else "onprem", "prod")
    spec = ctx.resolved.spec.tracking.model_copy(update=spec_updates) if spec_updates else ctx.resolved.spec.tracking
    out = {}

    def program() -> None:
        out["c"] = TrackingServer(
            "tracking",
            TrackingServerArgs(ctx, spec, h.cluster(aws), h.bucket(ctx, "artifacts", minio=not aws), h.network() if aws else None),
        )

    return h.run(program), out["c"]


@pytest.fixture(scope="module")
def aws():
    return _plan(True)


@pytest.fixture(scope="module")
def onprem():
    return _plan(False)


def test_component_and_children(aws):
    plan, comp = aws
    root = plan.named("tracking")
    assert root.type == "mlplat:index:TrackingServer"
    children = [r for r in plan.resources if r.type.startswith(("kubernetes:", "aws:", "random:"))]
    assert len(children) > 5  # database, roles, Deployment, Service, …
    for r in children:
        assert r.name.startswith("tracking-"), r.name
        assert r.component == "tracking"
    assert comp.namespace == "churn-prod-tracking"


def test_deployment_pinned_hardened_probed(aws):
    plan, _ = aws
    # the server, and (prod exposes MLflow behind auth) the Job that creates its auth database
    assert h.assert_hardened(plan) == 2
    assert {(r.name, c["name"]) for r, c, _ in h.containers(plan)} == {
        ("tracking-deployment", "mlflow"),
        ("tracking-auth-db", "create-database"),
    }
    h.assert_labelled(plan)
    dep = plan.named("tracking-deployment")
    c = dep.get("spec.template.spec.containers.0")
    assert c["image"] == "ghcr.io/mlflow/mlflow:v3.18.0-full"  # the variant with psycopg2/boto3/prometheus
    assert c["livenessProbe"]["httpGet"]["path"] == "/health"
    assert dep.get("spec.replicas") == 2
    args = c["args"]
    # the offline account (123456789012) ends the bucket name
    assert args[args.index("--artifacts-destination") + 1] == "s3://churn-prod-artifacts-123456789012/mlflow"
    assert "--serve-artifacts" in args and "--default-artifact-root" not in args
    assert "mlflow.churn-prod-tracking.svc.cluster.local:5000" in args[args.index("--allowed-hosts") + 1].split(",")
    env = {e["name"]: e for e in c["env"]}
    assert env["MLFLOW_BACKEND_STORE_URI"]["valueFrom"]["secretKeyRef"] == {
        "name": "mlflow-backend-store", "key": "MLFLOW_BACKEND_STORE_URI"
    }  # fmt: skip
    assert dep.get("spec.template.spec.serviceAccountName") == "mlflow"


def test_backend_uri_secret_never_plain(aws, onprem):
    # aws: rendered by External Secrets from the RDS-managed password; kubernetes: our own password
    es = aws[0].named("tracking-backend-store")
    assert es.type == "kubernetes:external-secrets.io/v1:ExternalSecret"
    assert es.inputs["spec"]["target"]["name"] == "mlflow-backend-store"
    assert es.inputs["spec"]["data"][0]["remoteRef"]["property"] == "password"
    sec = onprem[0].named("tracking-backend-store")
    assert sec.type == "kubernetes:core/v1:Secret"
    assert sec.inputs["stringData"] == "<secret>"
    for plan, _ in (aws, onprem):
        text = json.dumps(plan.to_dict())
        assert "mlplat-offline-generated-secret" not in text


def test_rds_on_aws_password_managed_by_rds(aws):
    plan, comp = aws
    db = plan.named("tracking-db")
    assert db.type == "aws:rds/instance:Instance"
    assert db.inputs["manageMasterUserPassword"] is True and "password" not in db.inputs
    assert db.inputs["dbName"] == "mlflow"
    assert comp.database.database == "mlflow" and comp.database.password is None


def test_irsa_scoped_to_the_artifact_bucket(aws):
    plan, _ = aws
    policy = json.loads(plan.named("tracking-sa-irsa-policy").inputs["policy"])
    resources = {r for s in policy["Statement"] for r in s["Resource"]}
    assert resources == {"arn:aws:s3:::churn-prod-artifacts-123456789012", "arn:aws:s3:::churn-prod-artifacts-123456789012/*",
                         "arn:aws:kms:us-east-1:123456789012:key/k"}  # fmt: skip
    actions = {a for s in policy["Statement"] for a in s["Action"] if a.startswith("s3:")}
    assert actions == {"s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:GetBucketLocation"}
    sa = plan.named("tracking-sa")
    assert "eks.amazonaws.com/role-arn" in sa.inputs["metadata"]["annotations"]
    assert sa.inputs["automountServiceAccountToken"] is False
    trust = json.loads(plan.named("tracking-sa-irsa").inputs["assumeRolePolicy"])
    cond = trust["Statement"][0]["Condition"]["StringEquals"]
    assert "system:serviceaccount:churn-prod-tracking:mlflow" in cond.values()


def test_service_pdb_hpa(aws):
    plan, _ = aws
    assert plan.named("tracking-service").get("spec.ports.0.port") == 5000
    assert plan.named("tracking-pdb").get("spec.minAvailable") == 1
    hpa = plan.named("tracking-hpa").inputs["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 4)
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "mlflow"}


def test_kubernetes_target_incluster_postgres_and_minio(onprem):
    plan, comp = onprem
    assert not any(r.type.startswith("aws:") for r in plan.resources)
    sts = plan.named("tracking-db-statefulset")
    assert sts.protect is True
    assert sts.get("spec.volumeClaimTemplates.0.spec.storageClassName") == "ceph-rbd"
    assert comp.database.host == "postgres.research-prod-tracking.svc.cluster.local"
    c = plan.named("tracking-deployment").get("spec.template.spec.containers.0")
    env = {e["name"]: e for e in c["env"]}
    assert env["MLFLOW_S3_ENDPOINT_URL"]["value"].startswith("http://minio.")
    assert env["AWS_SECRET_ACCESS_KEY"]["valueFrom"]["secretKeyRef"]["name"] == "s3-credentials"
    assert plan.named("tracking-s3").inputs["stringData"] == "<secret>"
    assert h.assert_hardened(plan) == 2
    assert h.assert_valid_manifests(plan) >= 15


def test_network_policies(onprem):
    plan, _ = onprem
    names = {r.name for r in plan.resources if r.type.endswith("NetworkPolicy")}
    assert {"tracking-netpol-default-deny", "tracking-netpol-allow-dns", "tracking-netpol-allow-monitoring"} <= names
    ing = plan.named("tracking-netpol-allow-platform-ingress").get("spec.ingress.0.ports")
    assert {p["port"] for p in ing} == {5000, 5432}  # MLflow, and the shared in-cluster Postgres


def test_basic_auth_generates_admin_password():
    from mlplat.stacks.platform_spec.model import TrackingAuth

    plan, _ = _plan(False, auth=TrackingAuth(kind="basic"))
    assert plan.named("tracking-admin-password").type == "random:index/randomPassword:RandomPassword"
    assert plan.named("tracking-auth").inputs["stringData"] == "<secret>"
    assert plan.named("tracking-auth-db").inputs["kind"] == "Job"
    c = plan.named("tracking-deployment").get("spec.template.spec.containers.0")
    assert c["args"][-2:] == ["--app-name", "basic-auth"]


def test_basic_auth_shares_a_flask_secret_key_and_scrape_credentials():
    from mlplat.stacks.platform_spec.model import TrackingAuth

    plan, _ = _plan(True, auth=TrackingAuth(kind="basic"))
    dep = plan.named("tracking-deployment")
    env = {e["name"]: e for e in dep.get("spec.template.spec.containers.0.env")}
    # Required by MLflow's basic-auth app (2.22+/3.x); one value for every replica (CSRF tokens).
    assert env["MLFLOW_FLASK_SERVER_SECRET_KEY"]["valueFrom"]["secretKeyRef"] == {
        "name": "mlflow-flask-secret", "key": "MLFLOW_FLASK_SERVER_SECRET_KEY"
    }  # fmt: skip
    flask = plan.named("tracking-flask-secret")
    assert flask.get("metadata.name") == "mlflow-flask-secret" and flask.inputs["stringData"] == "<secret>"
    assert plan.named("tracking-flask-secret-key").type == "random:index/randomPassword:RandomPassword"
    # Prometheus' basicAuth Secret sits in the tracking namespace (where its ServiceMonitor is).
    metrics = plan.named("tracking-metrics-auth")
    assert metrics.get("metadata.namespace") == "churn-prod-tracking"
    assert metrics.inputs["stringData"] == "<secret>"
    deps = set(dep.dependencies)
    assert {plan.named("tracking-flask-secret").urn, plan.named("tracking-auth").urn} <= deps
