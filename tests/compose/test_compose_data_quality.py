"""Great Expectations on the compose target: the GX project folder (config + filesystem stores) and a
private nginx serving the Data Docs GX builds there."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from mlplat.cli.main import cli

SPEC = """\
apiVersion: mlplat.io/v1alpha1
kind: Platform
metadata: {name: churn}
target: {provider: compose}
storage: {buckets: [{name: artifacts, purpose: artifacts}, {name: docs, purpose: data-docs}]}
tracking: {kind: mlflow, version: 3.18.0}
data_quality: {kind: great-expectations}
environments: {local: {}}
"""


@pytest.fixture
def rendered(tmp_path: Path) -> Path:
    spec = tmp_path / "platform.yaml"
    spec.write_text(SPEC)
    out = tmp_path / "local"
    res = CliRunner().invoke(cli, ["render", str(spec), "--env", "local", "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out


def test_data_docs_service_is_pinned_private_and_healthy(rendered):
    doc = yaml.safe_load((rendered / "docker-compose.yml").read_text())
    svc = doc["services"]["data-docs"]
    assert svc["image"] == "docker.io/nginxinc/nginx-unprivileged:1.26.2-alpine-slim"
    assert svc["ports"] == ["127.0.0.1:8082:8080"]  # the laptop only; nginx-unprivileged listens on 8080
    assert svc["healthcheck"]["test"][:2] == ["CMD", "wget"]
    assert svc["volumes"] == ["./great_expectations/gx/data_docs:/usr/share/nginx/html:ro"]
    assert svc["labels"]["mlplat.io/component"] == "data-quality"
    assert not svc.get("environment")  # no credentials at all
    assert (rendered / "great_expectations/gx/data_docs/index.html").read_text().startswith("<!doctype html>")


def test_the_gx_project_config_uses_filesystem_stores(rendered):
    config = yaml.safe_load((rendered / "great_expectations/gx/great_expectations.yml").read_text())
    assert config["config_version"] == 4.0
    assert {s["store_backend"]["class_name"] for s in config["stores"].values()} == {"TupleFilesystemStoreBackend"}
    assert config["data_docs_sites"]["platform_site"]["store_backend"]["base_directory"] == "data_docs/"


def test_docker_compose_accepts_it(rendered):
    exe = shutil.which("docker-compose")
    if exe is None:
        pytest.fail("docker-compose is not installed (apt-get install docker-compose; .ci/run does)")
    res = subprocess.run([exe, "config", "-q"], cwd=rendered, capture_output=True, text=True, timeout=60, check=False)
    assert res.returncode == 0, res.stderr
