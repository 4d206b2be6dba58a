"""The compose target: the same spec on a laptop, rendered as a docker compose project.

`docker-compose config` (Debian's docker-compose, installed by .ci/run) must accept the file;
every service is pinned, published only on 127.0.0.1, health-checked, and reads its
credentials from the generated .env (never a literal in a generated file)."""

from __future__ import annotations

import re
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
metadata: {name: churn, owner: ml@acme.example}
target: {provider: aws, region: us-east-1}
storage: {buckets: [{name: artifacts, purpose: artifacts}, {name: features, purpose: feature-offline}]}
cluster:
  node_pools: [{name: gpu, instance_type: g5.xlarge, min_size: 0, max_size: 2, gpu: {count: 1}}]
tracking: {kind: mlflow, version: 3.18.0, auth: {kind: basic, admin_password: {from_env: MLFLOW_ADMIN}}}
feature_store: {kind: feast, offline_bucket: features}
serving: {kind: kserve, models: [{name: churn, format: sklearn, uri: "s3://models/churn"}]}
monitoring: {prometheus: {retention_days: 7}}
environments:
  local:
    target: {provider: compose}
  prod: {}
"""
EXPECTED_SERVICES = {"minio", "minio-buckets", "postgres", "mlflow", "redis", "feast", "prometheus", "grafana"}


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    p = tmp_path / "platform.yaml"
    p.write_text(SPEC)
    return p


@pytest.fixture
def rendered(spec: Path, tmp_path: Path) -> Path:
    out = tmp_path / "local"
    res = CliRunner().invoke(cli, ["render", str(spec), "--env", "local", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "docker compose project" in res.output
    return out


def load(out: Path) -> dict:
    return yaml.safe_load((out / "docker-compose.yml").read_text())


def env_file(out: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in (out / ".env").read_text().splitlines() if line and not line.startswith("#"))


def test_validate_explains_what_compose_leaves_out(spec):
    res = CliRunner().invoke(cli, ["validate", str(spec)])
    assert res.exit_code == 0, res.output
    notes = [ln for ln in res.stderr.splitlines() if ln.startswith("note: local")]
    assert {re.match(r"note: local \(compose target\) leaves out ([\w.]+):", n).group(1) for n in notes} == {
        "cluster", "serving", "tracking.auth",
    }
    assert "GPUs" in next(n for n in notes if "leaves out cluster" in n)


def test_a_provider_switch_replaces_the_base_target(spec):
    from mlplat.stacks import load_platform

    local = load_platform(spec, "local")
    assert local.provider == "compose" and not hasattr(local.spec.target, "region")
    assert load_platform(spec, "prod").spec.target.region == "us-east-1"  # other environments keep theirs


def test_every_service_is_pinned_local_healthy_and_has_no_literal_credentials(rendered):
    doc = load(rendered)
    assert set(doc["services"]) == EXPECTED_SERVICES
    env_values = [v for v in env_file(rendered).values()]
    compose_text = (rendered / "docker-compose.yml").read_text()
    for name, svc in doc["services"].items():
        image = svc["image"]
        assert re.search(r"(:[\w.-]+|@sha256:[0-9a-f]{64})$", image) and not image.endswith(":latest"), (name, image)
        for port in svc.get("ports", []):  # may be empty: a service without published ports
            assert port.startswith("127.0.0.1:"), (name, port)  # never on every interface
        if name != "minio-buckets":  # a one-shot job: it exits when the buckets exist
            assert svc["healthcheck"]["test"][0] == "CMD", name
        assert svc["labels"]["mlplat.io/platform"] == "churn"
        assert svc["labels"]["mlplat.io/environment"] == "local"
        for key, value in (svc.get("environment") or {}).items():  # may be empty: no environment
            if re.search(r"(PASSWORD|SECRET)", key):
                assert re.fullmatch(r"\$\{[A-Z_]+\}", str(value)), (name, key)  # a reference to .env
    # credentials are referenced, never written: no .env value appears in any generated file
    assert any(rendered.rglob("*"))
    for path in rendered.rglob("*"):
        if path.is_file() and path.name != ".env":
            text = path.read_text()
            assert not [v for v in env_values if v in text and len(v) > 12], path
    assert "${POSTGRES_PASSWORD}" in compose_text and "${MINIO_ROOT_PASSWORD}" in compose_text
    assert "${GRAFANA_ADMIN_PASSWORD}" in compose_text
    mlflow = doc["services"]["mlflow"]
    assert mlflow["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert "--serve-artifacts" in mlflow["command"]
    assert "s3://churn-local-artifacts/mlflow" in mlflow["command"]
    assert doc["services"]["minio-buckets"]["command"] == [
        "mb", "--ignore-existing", "local/churn-local-artifacts", "local/churn-local-features",
    ]


def test_env_is_random_private_ignored_and_kept_on_rerender(rendered, spec):
    first = env_file(rendered)
    assert set(first) == {"COMPOSE_PROJECT_NAME", "MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD", "POSTGRES_PASSWORD",
                          "GRAFANA_ADMIN_PASSWORD"}
    assert first["COMPOSE_PROJECT_NAME"] == "churn-local"
    assert len(first["POSTGRES_PASSWORD"]) >= 32 and first["POSTGRES_PASSWORD"] != first["MINIO_ROOT_PASSWORD"]
    assert (rendered / ".env").stat().st_mode & 0o077 == 0  # readable by the owner only
    assert ".env" in (rendered / ".gitignore").read_text().splitlines()
    res = CliRunner().invoke(cli, ["render", str(spec), "--env", "local", "--out", str(rendered), "--force"])
    assert res.exit_code == 0, res.output
    assert env_file(rendered) == first  # re-rendering never rotates credentials


def test_config_files_are_what_the_services_mount(rendered):
    prom = yaml.safe_load((rendered / "prometheus/prometheus.yml").read_text())
    jobs = {j["job_name"]: j for j in prom["scrape_configs"]}
    assert jobs["mlflow"]["static_configs"][0]["targets"] == ["mlflow:5000"]
    feast = yaml.safe_load((rendered / "feast/feature_store.yaml").read_text())
    assert feast["online_store"] == {"type": "redis", "connection_string": "redis:6379"}
    ds = yaml.safe_load((rendered / "grafana/provisioning/datasources/datasources.yml").read_text())
    assert ds["datasources"][0]["url"] == "http://prometheus:9090"
    doc = load(rendered)
    mounts = [v.split(":")[0] for s in doc["services"].values() for v in s.get("volumes", []) if v.startswith("./")]
    assert mounts  # prometheus, grafana and feast read their configuration from ./
    for m in mounts:
        assert (rendered / m).exists(), m


def test_docker_compose_accepts_the_file(rendered):
    exe = shutil.which("docker-compose")
    if exe is None:
        pytest.fail("docker-compose is not installed (apt-get install docker-compose; .ci/run does)")
    res = subprocess.run([exe, "config", "-q"], cwd=rendered, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    full = subprocess.run([exe, "config"], cwd=rendered, capture_output=True, text=True, timeout=60)
    resolved = yaml.safe_load(full.stdout)
    # compose interpolated the credentials from .env: the file itself never held them
    assert env_file(rendered)["GRAFANA_ADMIN_PASSWORD"] in str(resolved["services"]["grafana"]["environment"])


def test_the_rest_of_the_commands_on_a_compose_environment(spec):
    runner = CliRunner()
    prev = runner.invoke(cli, ["preview", str(spec), "--env", "local", "--format", "json"])
    assert prev.exit_code == 0, prev.output
    import json

    plan = json.loads(prev.stdout)
    assert {r["name"] for r in plan["resources"]} == EXPECTED_SERVICES
    cost = runner.invoke(cli, ["cost", str(spec), "--env", "local", "--format", "json"])
    assert cost.exit_code == 0 and json.loads(cost.stdout)["monthly_usd"] == 0.0
    for cmd in (["drift"], ["up", "--yes"], ["destroy", "--yes"]):
        res = runner.invoke(cli, [cmd[0], str(spec), "--env", "local", *cmd[1:]])
        assert res.exit_code == 2, (cmd, res.output)
        assert "compose target" in res.stderr and "Traceback" not in res.output
