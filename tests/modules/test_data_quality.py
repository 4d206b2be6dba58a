"""Great Expectations (`data_quality: {kind: great-expectations}`), asserted on the plan.

kubernetes target + Kubeflow Pipelines: examples/onprem.yaml (a golden plan); aws + Airflow:
examples/large-org.yaml; a platform without an orchestrator: a spec written here.
"""

from __future__ import annotations

from functools import cache

import yaml
from mlplat.stacks import load_platform
from mlplat.stacks.plan.model import Plan
from mlplat.stacks.plan.offline import run_offline

from tests.modules.workload_harness import EXAMPLES, assert_hardened, assert_labelled, assert_valid_manifests
from tests.plans import reference

ALONE = """\
apiVersion: mlplat.io/v1alpha1
kind: Platform
metadata: {name: dq}
target: {provider: kubernetes, context: lab}
storage:
  buckets: [{name: docs, purpose: data-docs}]
data_quality: {kind: great-expectations}
environments: {dev: {}}
"""


@cache
def large_org(env: str = "prod") -> Plan:
    return run_offline(load_platform(EXAMPLES / "large-org.yaml", env))


def only(plan: Plan, component: str) -> Plan:
    return Plan(plan.platform, plan.environment, [r for r in plan.resources if r.component == component])


def test_onprem_has_a_private_data_docs_site_hardened_and_labelled():
    _, plan = reference("onprem", "prod")
    dq = only(plan, "data_quality")
    comp = plan.named("data-quality")
    assert comp.type == "mlplat:index:DataQuality" and comp.component == "data_quality"
    assert assert_hardened(dq) == 2  # the sync and web containers
    assert_labelled(dq)
    assert assert_valid_manifests(dq) >= 9  # namespace, 6 policies, deployment, service, account, secret
    dep = plan.named("data-quality-server")
    pod = dep.get("spec.template.spec")
    sync, web = pod["containers"]
    assert sync["image"] == "docker.io/amazon/aws-cli:2.22.0"  # aws/aws-cli .changes/2.22.0.json
    assert web["image"] == "docker.io/nginxinc/nginx-unprivileged:1.26.2-alpine-slim"  # upstream Dockerfile pin
    env = {e["name"]: e.get("value", e.get("valueFrom")) for e in sync["env"]}
    # the site is mirrored from the bucket GX's data docs land in (MinIO on this target)
    assert env["DATA_DOCS_URL"] == "s3://research-prod-docs/gx/data_docs/"
    assert env["AWS_ENDPOINT_URL"].startswith("http://minio.research-prod-storage.svc")
    assert env["AWS_SECRET_ACCESS_KEY"] == {"secretKeyRef": {"name": "data-docs-s3", "key": "AWS_SECRET_ACCESS_KEY"}}
    # a constant script: the bucket reaches it through the environment, never inside the text
    assert "research-prod-docs" not in " ".join(sync["command"])
    assert web["command"] == ["nginx", "-g", "daemon off;"]
    assert {m["mountPath"]: m.get("readOnly", False) for m in web["volumeMounts"]}["/usr/share/nginx/html"] is True


def test_the_site_stays_private():
    _, plan = reference("onprem", "prod")
    svc = plan.named("data-quality-service")
    assert svc.get("spec.type") == "ClusterIP" and svc.get("spec.ports")[0]["port"] == 8080
    policies = {r.name for r in plan.resources if r.name.startswith("data-quality-netpol-")}
    # no other namespace and no ingress controller may reach it: only kubectl port-forward
    assert policies == {f"data-quality-netpol-{p}" for p in (
        "default-deny", "allow-same-namespace", "allow-dns", "allow-platform-egress", "allow-monitoring", "allow-egress")}
    ingresses = [r for r in plan.resources if r.type == "kubernetes:networking.k8s.io/v1:Ingress"]
    assert not [r for r in ingresses if r.get("metadata.namespace") == "research-prod-data-quality"]


def test_kfp_steps_get_the_config_and_the_writer_account():
    _, plan = reference("onprem", "prod")
    cm = plan.named("orchestrator-gx-config")
    assert (cm.get("metadata.name"), cm.get("metadata.namespace")) == ("great-expectations", "kubeflow")
    config = yaml.safe_load(cm.inputs["data"]["great_expectations.yml"])
    assert config["config_version"] == 4.0  # GX Core 1.x (CURRENT_GX_CONFIG_VERSION = 4 in 1.24.1)
    backends = {s["store_backend"]["class_name"] for s in config["stores"].values()}
    assert backends == {"TupleFilesystemStoreBackend"}  # GX 1.24.1 has no S3 store backend
    assert config["data_docs_sites"]["platform_site"]["store_backend"]["base_directory"] == "data_docs/"
    sa = plan.named("orchestrator-gx-sa")
    assert (sa.get("metadata.name"), sa.get("metadata.namespace")) == ("great-expectations", "kubeflow")
    s3 = plan.named("orchestrator-gx-s3")
    assert (s3.get("metadata.name"), s3.get("metadata.namespace")) == ("great-expectations-s3", "kubeflow")
    endpoints = plan.named("orchestrator-endpoints").inputs["data"]
    assert endpoints["GX_STORES_URL"] == "s3://research-prod-docs/gx/"
    assert endpoints["GX_CONFIG_CONFIGMAP"] == "great-expectations"
    assert endpoints["GX_SERVICE_ACCOUNT"] == "great-expectations"
    # the orchestrator carries the config: none is duplicated in the data-quality namespace
    assert plan.named("data-quality-gx-config") is None


def test_minio_creates_the_data_docs_bucket():
    _, plan = reference("onprem", "prod")
    script = plan.named("storage-minio-buckets").get("spec.template.spec.containers")[0]["command"][-1]
    assert "mc mb --ignore-existing mlplat/research-prod-docs" in script


def test_airflow_workers_mount_the_config_and_the_aws_accounts_are_scoped():
    plan = large_org()
    values = plan.named("orchestrator-airflow").inputs["values"]
    workers = values["workers"]
    assert workers["extraVolumes"] == [{"name": "great-expectations", "configMap": {"name": "great-expectations"}}]
    assert workers["extraVolumeMounts"] == [{"name": "great-expectations", "mountPath": "/etc/great-expectations",
                                             "readOnly": True}]  # fmt: skip
    assert {"name": "GX_CONFIG_FILE", "value": "/etc/great-expectations/great_expectations.yml"} in values["env"]
    release = plan.named("orchestrator-airflow")
    assert plan.named("orchestrator-gx-config").urn in release.dependencies  # mounted: it exists first
    # IRSA: the site reads, the checkpoint account (in Airflow's namespace) writes; each trusts one account
    reader = plan.named("data-quality-reader-irsa")
    writer = plan.named("orchestrator-gx-sa-irsa")
    assert reader.inputs["description"] == "IRSA role for bigco-prod-data-quality/data-docs"
    assert writer.inputs["description"] == "IRSA role for bigco-prod-orchestrator/great-expectations"
    assert plan.named("data-quality-reader-s3") is None  # no static keys on aws
    assert plan.named("data-quality-server").get("spec.template.spec.serviceAccountName") == "data-docs"
    assert plan.named("storage-docs").type == "aws:s3/bucket:Bucket"


def test_without_an_orchestrator_the_config_lives_beside_the_site(tmp_path):
    spec = tmp_path / "platform.yaml"
    spec.write_text(ALONE)
    plan = run_offline(load_platform(spec, "dev"))
    cm = plan.named("data-quality-gx-config")
    assert cm is not None and cm.get("metadata.namespace") == "dq-dev-data-quality"
    assert plan.named("data-quality-gx-sa").get("metadata.name") == "great-expectations"
    assert_hardened(only(plan, "data_quality"))


def test_cost_prices_the_site():
    from mlplat.stacks.cost.estimate import estimate

    resolved, plan = reference("onprem", "prod")
    est = estimate(resolved, plan)
    line = next(ln for ln in est.lines if ln.name == "data-quality-server")
    assert line.status == "priced" and line.monthly_usd > 0  # requests 30m CPU + 96Mi memory, one replica


def test_policy_and_checkov_have_nothing_to_say_about_the_gx_resources():
    from mlplat.policies import evaluate

    resolved, plan = reference("onprem", "prod")
    result = evaluate(resolved, plan, checkov=True)
    assert result.checkov  # checkov ran over the rendered workloads
    ours = {r.name for r in plan.resources if r.component == "data_quality" or "-gx-" in r.name}
    assert len(ours) >= 14  # the site's objects and the orchestrator's config, account and keys
    assert [(f.policy, f.resource) for f in result.findings if f.resource in ours] == []
