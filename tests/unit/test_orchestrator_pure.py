"""Pure helpers of modules/orchestrator.py."""

from __future__ import annotations

import base64

import pytest
from mlplat.modules import orchestrator as o
from mlplat.modules.common import Context


def ctx() -> Context:
    return Context("churn", "prod", "aws", "us-east-1", {}, True, False, False, 30)


def test_chart_version_is_pinned_by_airflow_minor():
    assert o.airflow_chart_version("2.10.3") == "1.16.0"
    assert o.airflow_chart_version("2.9.3") == "1.15.0"
    for bad in ("2.10", "latest", "1.10.15"):
        with pytest.raises(ValueError):
            o.airflow_chart_version(bad)


def test_executor_defaults_to_kubernetes():
    assert o.executor_name(None) == "KubernetesExecutor"
    assert o.executor_name("celery") == "CeleryExecutor"


def test_fernet_key_pads_url_safe_base64():
    raw = base64.urlsafe_b64encode(bytes(range(32))).decode().rstrip("=")
    key = o.fernet_key(raw)
    assert len(key) == 44 and len(base64.urlsafe_b64decode(key)) == 32


def test_values_use_platform_db_and_no_literal_credentials():
    v = o.airflow_values(ctx(), "2.10.3", "kubernetes", replicas=2, tracking_uri="http://mlflow:5000")
    assert v["executor"] == "KubernetesExecutor"
    assert v["postgresql"] == {"enabled": False}
    # The Secrets mlplat creates for the chart to read (their names are also what an operator finds).
    assert v["data"] == {"metadataSecretName": "airflow-metadata"}
    assert v["webserverSecretKeySecretName"] == "airflow-webserver-secret-key"
    assert v["fernetKeySecretName"] == "airflow-fernet-key"
    assert v["webserver"]["defaultUser"] == {"enabled": False}
    assert v["images"]["airflow"] == {"repository": "apache/airflow", "tag": "2.10.3", "pullPolicy": "IfNotPresent"}
    assert v["securityContexts"]["pod"]["runAsNonRoot"] is True
    assert v["securityContexts"]["containers"]["capabilities"] == {"drop": ["ALL"]}
    assert {"name": "MLFLOW_TRACKING_URI", "value": "http://mlflow:5000"} in v["env"]
    assert v["redis"] == {"enabled": False}
    text = repr(v).lower()
    assert "password" not in text and "fernetkey'" not in text


def test_kfp_manifests_are_vendored_per_version():
    from mlplat.modules import kfp_manifests as k

    for version in ("2.3.0", "2.17.0"):
        objs = k.manifests(version, {"managed-by": "x"}, {"mlplat.io/platform": "p"})
        assert [s for s, _ in objs][0] == "cluster-scoped-resources"
        assert all(o["metadata"]["labels"]["managed-by"] == "x" for _, o in objs)
        ns = [o for _, o in objs if o["kind"] == "Namespace"]
        assert len(ns) == 1 and ns[0]["metadata"]["labels"]["mlplat.io/platform"] == "p"
    assert "gcr.io/ml-pipeline/api-server:2.3.0" in k.images("2.3.0")
    with pytest.raises(ValueError, match="not vendored"):
        k.manifests("latest", {}, {})
    assert k.sdk_class("rbac.authorization.k8s.io/v1", "Role") == ("rbac", "v1", "Role")
    assert k.sdk_kwargs({"roleRef": 1, "stringData": 2, "metadata": 3}) == {"role_ref": 1, "string_data": 2, "metadata": 3}