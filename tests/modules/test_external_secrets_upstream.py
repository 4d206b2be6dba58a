"""ExternalSecret objects as the External Secrets Operator v2.9.0 serves them (issue 12)."""

from __future__ import annotations

from mlplat.modules.k8s import external_remote_ref
from mlplat.modules.operators import external_stores, operators_needed

from tests.plans import reference


def test_the_operator_is_in_the_plan_before_the_external_secret():
    _, plan = reference("onprem", "prod")
    (es,) = [r for r in plan.resources if r.type.endswith(":ExternalSecret")]
    # v1beta1 is `served: false` in the v2.9.0 CRD; the API server would reject the object.
    assert es.type == "kubernetes:external-secrets.io/v1:ExternalSecret"
    operator = plan.named("cluster-operators-external-secrets")
    assert operator is not None and operator.type == "kubernetes:helm.sh/v3:Release"
    assert (operator.inputs["chart"], operator.inputs["version"]) == ("external-secrets", "2.9.0")
    assert operator.inputs["repositoryOpts"]["repo"] == "https://charts.external-secrets.io"
    assert operator.urn in es.dependencies


def test_a_named_property_reaches_the_remote_ref():
    _, plan = reference("onprem", "prod")
    es = plan.named("monitoring-grafana-admin")
    # Vault returns the whole secret as JSON unless `property` names one field (client_get.go, v2.9.0).
    assert es.inputs["spec"]["data"] == [
        {"secretKey": "admin-password", "remoteRef": {"key": "research/grafana", "property": "password"}}
    ]
    assert external_remote_ref("prod/slack") == {"key": "prod/slack"}


def test_operators_follow_the_spec():
    platform, _ = reference("platform", "prod")
    onprem, _ = reference("onprem", "prod")
    # KServe needs cert-manager; the spec's own credentials come from env only, so External
    # Secrets (and Reloader) are there for the RDS-managed MLflow password alone (issue 13).
    assert operators_needed(platform.spec) == ["cert-manager"]
    assert operators_needed(platform.spec, aws=True) == ["cert-manager", "external-secrets", "reloader"]
    assert operators_needed(onprem.spec) == ["external-secrets"]  # Seldon needs no cert-manager (genCA)
    assert operators_needed(onprem.spec, aws=False) == ["external-secrets"]  # in-cluster Postgres: no Reloader
    assert external_stores(onprem.spec) == ["vault"]
    _, plan = reference("platform", "prod")
    releases = sorted(r.inputs["chart"] for r in plan.of_type("kubernetes:helm.sh/v3:Release")
                      if r.inputs["chart"] in ("external-secrets", "reloader"))  # fmt: skip
    assert releases == ["external-secrets", "reloader"]
