"""Pure helpers of modules/tracking.py."""

from __future__ import annotations

import pytest
from mlplat.modules import tracking as t


def test_image_pinned_from_version():
    assert t.mlflow_image("2.16.2") == "ghcr.io/mlflow/mlflow:v2.16.2"
    assert t.mlflow_image("v2.9.0") == "ghcr.io/mlflow/mlflow:v2.9.0"
    with pytest.raises(ValueError):
        t.mlflow_image("latest")


def test_hpa_bounds_double_the_replicas():
    assert t.hpa_bounds(2) == (2, 4)
    assert t.hpa_bounds(1) == (1, 2)


def test_server_args_reference_the_secret_env():
    args = t.server_args("s3://b/mlflow", auth=False)
    assert args[args.index("--backend-store-uri") + 1] == "$(MLFLOW_BACKEND_STORE_URI)"
    assert args[args.index("--default-artifact-root") + 1] == "s3://b/mlflow"
    assert "--app-name" not in args
    assert t.server_args("s3://b", auth=True)[-2:] == ["--app-name", "basic-auth"]


def test_artifact_root_and_uri():
    assert t.artifact_root("churn-prod-artifacts") == "s3://churn-prod-artifacts/mlflow"
    assert t.tracking_uri("churn-prod-tracking") == "http://mlflow.churn-prod-tracking.svc.cluster.local:5000"


def test_basic_auth_ini():
    ini = t.basic_auth_ini("postgresql://u:p@h:5432/mlflow_auth", "s3cret")
    assert "admin_password = s3cret" in ini and "database_uri = postgresql://" in ini
