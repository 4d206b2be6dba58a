"""Pure helpers of modules/tracking.py, checked against MLflow 3.18.0 as published (tests/upstream/mlflow/)."""

from __future__ import annotations

import configparser
import fnmatch
import json
from pathlib import Path

import pytest
from mlplat.modules import tracking as t

UPSTREAM = Path(__file__).resolve().parents[1] / "upstream" / "mlflow" / "image-3.18.0-full.json"


def test_image_is_the_full_variant_pinned_from_version():
    evidence = json.loads(UPSTREAM.read_text())
    assert t.mlflow_image("3.18.0") == evidence["image"] == "ghcr.io/mlflow/mlflow:v3.18.0-full"
    assert t.mlflow_image("v3.9.0") == "ghcr.io/mlflow/mlflow:v3.9.0-full"
    assert t.mlflow_image(None) == "ghcr.io/mlflow/mlflow:v3.18.0-full"  # the default pin
    # The plain image (`pip install mlflow==X`) lacks the drivers; -full exists from 3.9.0 on.
    for bad in ("latest", "3.18", "2.16.2", "3.8.1"):
        with pytest.raises(ValueError):
            t.mlflow_image(bad)


def test_full_image_carries_the_drivers_the_command_line_needs():
    # The -full Dockerfile installs mlflow[extras,…,db,…,auth]; those extras (wheel METADATA) bring
    # psycopg2 (postgresql:// backend), boto3 (s3:// artifacts), prometheus-flask-exporter
    # (--expose-prometheus) and Flask-WTF (--app-name basic-auth).
    evidence = json.loads(UPSTREAM.read_text())
    install = evidence["dockerfile"]["install"]
    extras = install[install.index("[") + 1 : install.index("]")].split(",")
    provided = {req.split("<")[0].split(">")[0].split("[")[0].lower() for e in extras for req in evidence["extras_3.18.0"].get(e, [])}
    assert {"psycopg2-binary", "boto3", "prometheus-flask-exporter", "flask-wtf"} <= provided
    # …and the base image installs none of them.
    assert "[" not in evidence["base_dockerfile"]["install"]


def test_hpa_bounds_double_the_replicas():
    assert t.hpa_bounds(2) == (2, 4)
    assert t.hpa_bounds(1) == (1, 2)


def test_server_args_proxy_artifacts_through_the_server():
    args = t.server_args("s3://b/mlflow", auth=False, hosts=t.allowed_hosts("ns"))
    assert args[args.index("--backend-store-uri") + 1] == "$(MLFLOW_BACKEND_STORE_URI)"
    assert "--serve-artifacts" in args
    assert args[args.index("--artifacts-destination") + 1] == "s3://b/mlflow"
    # With a default artifact root of s3://…, clients would write to S3 themselves (need credentials).
    assert "--default-artifact-root" not in args
    assert "--app-name" not in args
    assert t.server_args("s3://b", auth=True, hosts=["x"])[-2:] == ["--app-name", "basic-auth"]


def _host_allowed(host: str, allowed: list[str]) -> bool:
    # MLflow 3.18.0 security_utils.is_allowed_host: fnmatch for patterns with `*`, equality otherwise.
    return any(fnmatch.fnmatch(host, a) if "*" in a else host == a for a in allowed)


def test_allowed_hosts_admit_the_service_names_and_pod_ips():
    args = t.server_args("s3://b", auth=False, hosts=t.allowed_hosts("churn-prod-tracking"))
    allowed = args[args.index("--allowed-hosts") + 1].split(",")
    for host in (
        "mlflow.churn-prod-tracking.svc.cluster.local:5000",  # tracking_uri(): what clients send
        "mlflow.churn-prod-tracking:5000",
        "mlflow:5000",  # same-namespace clients
        "10.12.3.4:5000",  # Prometheus scrapes the pod IP
        "172.20.0.9:5000",
    ):
        assert _host_allowed(host, allowed), host
    assert not _host_allowed("evil.example.com", allowed)
    assert not _host_allowed("172.32.0.1:5000", allowed)  # outside RFC 1918


def test_artifact_root_and_uri():
    assert t.artifact_root("churn-prod-artifacts") == "s3://churn-prod-artifacts/mlflow"
    assert t.tracking_uri("churn-prod-tracking") == "http://mlflow.churn-prod-tracking.svc.cluster.local:5000"


def test_basic_auth_ini_reads_back_with_configparser_like_mlflow():
    # MLflow reads basic_auth.ini with configparser.ConfigParser() (interpolating; auth/config.py:39).
    # The database URI carries a percent-encoded password, RDS passwords may contain `%` themselves.
    uri = "postgresql://mlflow:Ab%23c%25d@db:5432/mlflow_auth?sslmode=require"
    password = "p%w%%d"
    parser = configparser.ConfigParser()
    parser.read_string(t.basic_auth_ini(uri, password))
    assert parser["mlflow"]["database_uri"] == uri
    assert parser["mlflow"]["admin_password"] == password
    assert parser["mlflow"]["admin_username"] == "admin"
    assert parser["mlflow"]["default_permission"] == "READ"


def test_basic_auth_ini_refuses_multiline_values():
    with pytest.raises(ValueError):
        t.basic_auth_ini("postgresql://h/db", "a\n[other]\nx = y")
