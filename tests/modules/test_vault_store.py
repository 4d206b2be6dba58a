"""Vault as a secret store: the ClusterSecretStore `vault` in the plan, after the External Secrets
Operator, and every ExternalSecret reading it after both; judged against the ESO 2.9.0 CRD."""

from __future__ import annotations

import textwrap

from mlplat.stacks import load_platform
from mlplat.stacks.plan.offline import run_offline

from tests.plans import reference
from tests.upstream.judges import crd_provider, load_json
from tests.upstream.test_crd_judge import _violations

APPROLE = """\
apiVersion: mlplat.io/v1alpha1
kind: Platform
metadata: {name: lab}
target: {provider: kubernetes, context: lab}
monitoring:
  grafana: {admin_password: {secret_ref: "vault/lab/grafana#password"}}
  alerts: {slack_webhook: {secret_ref: "vault/lab/slack#url"}}
secrets:
  vault:
    address: https://vault.lab.example:8200/
    path: kv
    kv_version: v1
    namespace: ml
    auth: {kind: approle, role_id: 0a1b-role, mount_path: approle-ml, secret_id: {from_env: VAULT_SECRET_ID}}
environments: {dev: {}}
"""


def judged(plan, res) -> list[str]:
    found = crd_provider(plan, res)
    assert found is not None and found[1] is not None, res.name
    body = {k: res.inputs[k] for k in ("apiVersion", "kind", "metadata", "spec") if k in res.inputs}
    return _violations(body, load_json(found[1])["openAPIV3Schema"])


def test_kubernetes_auth_store_in_the_onprem_plan():
    _, plan = reference("onprem", "prod")
    store = plan.named("cluster-operators-vault-store")
    assert store.type == "kubernetes:external-secrets.io/v1:ClusterSecretStore" and store.component == "cluster"
    assert store.inputs["metadata"]["name"] == "vault" and "namespace" not in store.inputs["metadata"]  # cluster-scoped
    assert store.inputs["spec"] == {"provider": {"vault": {
        "server": "https://vault.lab.example:8200", "path": "secret", "version": "v2",
        # no serviceAccountRef: ESO logs in with its controller's own ServiceAccount token
        "auth": {"kubernetes": {"mountPath": "kubernetes", "role": "mlplat-research"}},
    }}}  # fmt: skip
    release = plan.named("cluster-operators-external-secrets")
    assert release.inputs["chart"] == "external-secrets" and release.inputs["version"] == "2.9.0"
    assert store.dependencies == [release.urn]
    es = plan.named("monitoring-grafana-admin")
    assert {store.urn, release.urn} <= set(es.dependencies)  # the secret waits for the store it reads
    assert judged(plan, store) == [] and judged(plan, es) == []


def test_approle_store_reads_its_secret_id_from_a_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("VAULT_SECRET_ID", "s3cr3t-id-value")
    spec = tmp_path / "platform.yaml"
    spec.write_text(textwrap.dedent(APPROLE))
    plan = run_offline(load_platform(spec, "dev"))
    store = plan.named("cluster-operators-vault-store")
    assert store.inputs["spec"]["provider"]["vault"] == {
        "server": "https://vault.lab.example:8200", "path": "kv", "version": "v1", "namespace": "ml",
        "auth": {"appRole": {"path": "approle-ml", "roleId": "0a1b-role",
                             "secretRef": {"name": "vault-approle", "key": "secret-id", "namespace": "external-secrets"}}},
    }  # fmt: skip
    secret = plan.named("cluster-operators-vault-approle")
    assert secret.inputs["metadata"]["namespace"] == "external-secrets"
    assert secret.inputs["stringData"] == "<secret>"  # never in the plan
    assert "s3cr3t-id-value" not in plan.to_json()
    assert secret.urn in store.dependencies
    assert judged(plan, store) == []
    for name in ("monitoring-grafana-admin", "monitoring-alertmanager-slack"):
        es = plan.named(name)
        assert es is not None and store.urn in es.dependencies, name
        assert judged(plan, es) == [], name


def test_an_existing_secret_id_secret_is_referenced(tmp_path):
    spec = tmp_path / "platform.yaml"
    spec.write_text(textwrap.dedent(APPROLE).replace("{from_env: VAULT_SECRET_ID}", "{secret_ref: kubernetes/vault-login/id}"))
    plan = run_offline(load_platform(spec, "dev"))
    auth = plan.named("cluster-operators-vault-store").inputs["spec"]["provider"]["vault"]["auth"]
    assert auth["appRole"]["secretRef"] == {"name": "vault-login", "key": "id", "namespace": "external-secrets"}
    assert plan.named("cluster-operators-vault-approle") is None  # nothing created: the Secret exists


def test_no_store_without_a_vault_section():
    _, plan = reference("platform", "prod")  # aws: its refs use other stores, which stay prerequisites
    assert not plan.of_type("kubernetes:external-secrets.io/v1:ClusterSecretStore")
