"""FeatureStore under the recording mocks."""

from __future__ import annotations

import json

import pytest
from mlplat.modules.feature_store import FeatureStore, FeatureStoreArgs

from tests.modules import workload_harness as h


def _plan(aws: bool, online: str | None = None, database: bool = True):
    ctx = h.context("platform" if aws else "onprem", "prod")
    spec = ctx.resolved.spec.feature_store
    if online:
        spec = spec.model_copy(update={"online_store": online})

    def program() -> None:
        FeatureStore("feature-store", FeatureStoreArgs(
            ctx, spec, h.cluster(aws), h.network() if aws else None, h.database() if database else None,
            h.bucket(ctx, "features", minio=not aws)))  # fmt: skip

    return h.run(program)


@pytest.fixture(scope="module")
def aws():
    return _plan(True)


def test_elasticache_online_store_on_aws(aws):
    rg = aws.named("feature-store-redis")
    assert rg.type == "aws:elasticache/replicationGroup:ReplicationGroup"
    assert rg.inputs["transitEncryptionEnabled"] is True and rg.inputs["atRestEncryptionEnabled"] is True
    assert aws.named("feature-store-credentials").inputs["stringData"] in ("<secret>", "<unknown>")


def test_registry_database_and_config(aws):
    job = aws.named("feature-store-registry-db")
    assert 'CREATE DATABASE "feast"' in job.get("spec.template.spec.containers.0.command")[-1]
    cm = aws.named("feature-store-config")
    assert cm.inputs["metadata"]["name"] == "feast-config"


def test_feature_server_and_cronjob_hardened(aws):
    # server; materialize + its clone and apply init containers; feast apply + its clone; registry DB job
    assert h.assert_hardened(aws) == 7
    h.assert_labelled(aws)
    dep = aws.named("feature-store-server")
    c = dep.get("spec.template.spec.containers.0")
    assert c["image"] == "quay.io/feastdev/feature-server:0.66.0"
    assert "--metrics" in c["command"]  # exists from feast 0.41.0
    assert c["readinessProbe"]["httpGet"]["path"] == "/health"
    # the database's credentials (rendered by External Secrets on aws) and the cache's token apart
    assert c["envFrom"] == [{"secretRef": {"name": "feast-credentials"}}, {"secretRef": {"name": "feast-cache-credentials"}}]
    assert dep.get("spec.replicas") == 2
    hpa = aws.named("feature-store-hpa").inputs["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 6)
    cron = aws.named("feature-store-materialize")
    assert cron.get("spec.schedule") == "0 * * * *" and cron.get("spec.concurrencyPolicy") == "Forbid"
    assert "materialize-incremental" in cron.get("spec.jobTemplate.spec.template.spec.containers.0.command")[-1]
    assert h.assert_valid_manifests(aws) >= 15


def test_offline_bucket_irsa(aws):
    policy = json.loads(aws.named("feature-store-sa-irsa-policy").inputs["policy"])
    resources = {r for s in policy["Statement"] for r in s["Resource"] if r.startswith("arn:aws:s3")}
    assert resources == {"arn:aws:s3:::churn-prod-features-123456789012", "arn:aws:s3:::churn-prod-features-123456789012/*"}  # offline account


def test_kubernetes_postgres_online_store():
    plan = _plan(False)
    text = plan.named("feature-store-config").inputs["data"]["feature_store.yaml"]
    assert "type: postgres" in text and "registry_type: sql" in text
    assert "${FEAST_DB_PASSWORD}" in text and "mlplat-offline" not in text
    assert not any(r.type.startswith("aws:") for r in plan.resources)
    env = {e["name"] for e in plan.named("feature-store-server").get("spec.template.spec.containers.0.env")}
    assert {"FEAST_S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= env


def test_kubernetes_redis_online_store_in_cluster():
    plan = _plan(False, online="redis", database=False)
    assert plan.named("feature-store-redis-statefulset") is not None
    assert plan.named("feature-store-db-statefulset") is not None  # registry without a platform database
    text = plan.named("feature-store-config").inputs["data"]["feature_store.yaml"]
    assert "redis.research-prod-feature-store.svc.cluster.local:6379,password=${FEAST_REDIS_PASSWORD}" in text
    assert h.assert_hardened(plan) == 8  # server, redis, postgres, materialize (+2 init), apply (+1 init)


def test_feature_repo_applied_before_the_server_and_each_materialization(aws):
    job = aws.named("feature-store-apply")
    assert job.inputs["kind"] == "Job"
    pod = job.get("spec.template.spec")
    clone, apply = pod["initContainers"][0], pod["containers"][0]
    assert clone["command"][:2] == ["git", "clone"] and "https://github.com/acme/churn-features.git" in clone["command"]
    assert apply["command"][-1] == "apply"
    assert apply["command"][apply["command"].index("--chdir") + 1] == "/repo/src/feature_repo"
    # The clone lands in a volume both containers mount; the config comes from the ConfigMap.
    assert {"name": "repo", "mountPath": "/repo"} in clone["volumeMounts"]
    assert {"name": "repo", "mountPath": "/repo"} in apply["volumeMounts"]
    assert {"name": "repo", "emptyDir": {"sizeLimit": "1Gi"}} in pod["volumes"]
    # The server starts (and the CronJob is created) only after the registry has the definitions.
    assert job.urn in aws.named("feature-store-server").dependencies
    assert job.urn in aws.named("feature-store-materialize").dependencies
    cron_pod = aws.named("feature-store-materialize").get("spec.jobTemplate.spec.template.spec")
    assert [c["command"][-1] for c in cron_pod["initContainers"]] == ["/repo/src", "apply"]


def test_no_feature_repo_no_materialization():
    ctx = h.context("platform", "prod")
    spec = ctx.resolved.spec.feature_store.model_copy(update={"repo": None})

    def program() -> None:
        FeatureStore("feature-store", FeatureStoreArgs(ctx, spec, h.cluster(True), h.network(), h.database(),
                                                       h.bucket(ctx, "features")))  # fmt: skip

    plan = h.run(program)
    names = {r.name for r in plan.resources}
    assert "feature-store-server" in names
    assert "feature-store-apply" not in names and "feature-store-materialize" not in names
