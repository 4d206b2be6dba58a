"""The compose target: the same platform on a laptop, as a docker compose project.

Pure: `compose_project(resolved)` returns the services and the config files as data (written
through YAML emitters by `render`), and `compose_plan` shows them as plan resources, so
preview, graph, policy and cost work on a compose environment like on any other.

Credentials never appear in a generated file: services read `${VAR}` from the project's `.env`,
which `render` fills with random values once and lists in `.gitignore`. Every published port
binds to 127.0.0.1 only.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlplat.stacks.plan.model import Plan, PlanResource
from mlplat.stacks.platform_spec.semantic import COMPOSE_LEFT_OUT, compose_left_out

if TYPE_CHECKING:
    from mlplat.stacks.platform_spec.resolve import ResolvedPlatform

SERVICE_TYPE = "mlplat:compose:Service"
# Third-party images not pinned by a component module (the modules pin MLflow, Feast, Postgres,
# Redis and MinIO; compose reuses those pins so both targets run the same builds).
PROMETHEUS_IMAGE = "quay.io/prometheus/prometheus:v2.55.1"
GRAFANA_IMAGE = "docker.io/grafana/grafana:11.3.0"

MLFLOW_PORT, FEAST_PORT, MINIO_PORT, MINIO_CONSOLE_PORT = 5000, 6566, 9000, 9001
DATA_DOCS_PORT = 8082  # on the laptop; the container listens on 8080 (nginx-unprivileged)
GX_DIR = "great_expectations/gx"  # GX project root ./great_expectations: gx.get_context(project_root_dir=…)
DOCS_PLACEHOLDER = (
    "<!doctype html><title>Data Docs</title><p>No Data Docs yet: run a checkpoint with the context in "
    "./great_expectations; GX writes the site here.</p>\n"
)
PROMETHEUS_PORT, GRAFANA_PORT, POSTGRES_PORT, REDIS_PORT = 9090, 3000, 5432, 6379
POSTGRES_USER = "mlplat"  # not a secret: the password is

# .env keys and what each one protects
ENV_KEYS = {
    "MINIO_ROOT_USER": "MinIO (S3) access key; MLflow and Feast use it",
    "MINIO_ROOT_PASSWORD": "MinIO (S3) secret key",
    "POSTGRES_PASSWORD": "Postgres password of the mlplat user (MLflow's backend store)",
    "GRAFANA_ADMIN_PASSWORD": "Grafana admin password",
}

@dataclass
class ComposeProject:
    name: str
    services: dict[str, dict[str, Any]] = field(default_factory=dict)
    volumes: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, Any] = field(default_factory=dict)  # relative path → YAML document (a str: written as is)
    components: dict[str, str] = field(default_factory=dict)  # service → mlplat component

    def document(self) -> dict[str, Any]:
        """The docker-compose.yml document (the project name travels in .env as COMPOSE_PROJECT_NAME:
        docker-compose 1.x refuses a top-level `name`)."""
        doc: dict[str, Any] = {"services": self.services}
        if self.volumes:
            doc["volumes"] = self.volumes
        return doc


def random_env(existing: dict[str, str] | None = None) -> dict[str, str]:
    """Values for every .env key: existing ones are kept (re-rendering never rotates them)."""
    out = dict(existing or {})
    for key in ENV_KEYS:
        if not out.get(key):
            out[key] = ("mlplat-" + secrets.token_hex(4)) if key == "MINIO_ROOT_USER" else secrets.token_hex(24)
    return out


def _health(test: list[str], interval: str = "10s", retries: int = 12) -> dict[str, Any]:
    return {"test": test, "interval": interval, "timeout": "5s", "retries": retries, "start_period": "10s"}


def _http_health(port: int, path: str) -> dict[str, Any]:
    # python is in every Python-based image (MLflow, Feast); no curl needed
    code = f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{port}{path}', timeout=4)"
    return _health(["CMD", "python", "-c", code])


def compose_project(resolved: ResolvedPlatform) -> ComposeProject:
    from mlplat.modules.data_services import MC_IMAGE, MINIO_IMAGE, POSTGRES_IMAGE, REDIS_IMAGE

    spec = resolved.spec
    project = getattr(spec.target, "project_name", None) or resolved.prefix
    p = ComposeProject(project)

    def labels(component: str) -> dict[str, str]:
        return {
            "mlplat.io/platform": resolved.name,
            "mlplat.io/environment": resolved.environment,
            "mlplat.io/component": component.replace("_", "-"),
            "app.kubernetes.io/managed-by": "mlplat",
        }

    def add(name: str, component: str, service: dict[str, Any]) -> None:
        service.setdefault("restart", "unless-stopped")
        service["labels"] = labels(component)
        p.services[name] = service
        p.components[name] = component

    buckets = [resolved.physical_name(b.name) for b in (spec.storage.buckets if spec.storage else [])]
    s3_env = {
        "AWS_ACCESS_KEY_ID": "${MINIO_ROOT_USER}",
        "AWS_SECRET_ACCESS_KEY": "${MINIO_ROOT_PASSWORD}",
        "MLFLOW_S3_ENDPOINT_URL": f"http://minio:{MINIO_PORT}",
        "AWS_ENDPOINT_URL_S3": f"http://minio:{MINIO_PORT}",
    }
    needs_minio = bool(buckets) or spec.tracking is not None
    if needs_minio:
        add("minio", "storage", {
            "image": MINIO_IMAGE,
            "command": ["server", "/data", "--console-address", f":{MINIO_CONSOLE_PORT}"],
            "environment": {"MINIO_ROOT_USER": "${MINIO_ROOT_USER}", "MINIO_ROOT_PASSWORD": "${MINIO_ROOT_PASSWORD}"},
            "ports": [f"127.0.0.1:{MINIO_PORT}:{MINIO_PORT}", f"127.0.0.1:{MINIO_CONSOLE_PORT}:{MINIO_CONSOLE_PORT}"],
            "volumes": ["minio-data:/data"],
            # MinIO's own compose example checks readiness with `mc ready local`
            "healthcheck": _health(["CMD", "mc", "ready", "local"]),
        })
        p.volumes["minio-data"] = {}
        if buckets:
            add("minio-buckets", "storage", {
                "image": MC_IMAGE,
                # mc reads the alias from MC_HOST_<alias>: no shell, no credentials on a command line
                "entrypoint": ["mc"],
                "command": ["mb", "--ignore-existing", *[f"local/{b}" for b in buckets]],
                "environment": {"MC_HOST_local": f"http://${{MINIO_ROOT_USER}}:${{MINIO_ROOT_PASSWORD}}@minio:{MINIO_PORT}"},
                "depends_on": {"minio": {"condition": "service_healthy"}},
                "restart": "no",
            })

    if spec.tracking is not None and spec.tracking.kind == "mlflow":
        from mlplat.modules.platform import artifact_bucket_name
        from mlplat.modules.tracking import mlflow_image

        add("postgres", "tracking", {
            "image": POSTGRES_IMAGE,
            "environment": {"POSTGRES_USER": POSTGRES_USER, "POSTGRES_PASSWORD": "${POSTGRES_PASSWORD}",
                            "POSTGRES_DB": "mlflow"},
            "volumes": ["postgres-data:/var/lib/postgresql/data"],
            "healthcheck": _health(["CMD", "pg_isready", "-U", POSTGRES_USER, "-d", "mlflow"]),
        })
        p.volumes["postgres-data"] = {}
        art = artifact_bucket_name(resolved)
        destination = f"s3://{resolved.physical_name(art)}/mlflow" if art else "s3://mlflow-artifacts/mlflow"
        depends = {"postgres": {"condition": "service_healthy"}, "minio": {"condition": "service_healthy"}}
        if "minio-buckets" in p.services:
            depends["minio-buckets"] = {"condition": "service_completed_successfully"}
        add("mlflow", "tracking", {
            "image": mlflow_image(spec.tracking.version),
            "command": [
                "mlflow", "server", "--host", "0.0.0.0", "--port", str(MLFLOW_PORT),
                "--backend-store-uri",
                f"postgresql://{POSTGRES_USER}:${{POSTGRES_PASSWORD}}@postgres:{POSTGRES_PORT}/mlflow",
                "--serve-artifacts", "--artifacts-destination", destination,
                # MLflow 3 answers 403 to a Host header it does not list: the compose service name
                # (Prometheus, Feast) and the published 127.0.0.1 port.
                "--allowed-hosts", ",".join(
                    h for n in ("mlflow", "localhost", "127.0.0.1") for h in (n, f"{n}:{MLFLOW_PORT}")
                ),
            ],
            "environment": dict(s3_env),
            "ports": [f"127.0.0.1:{MLFLOW_PORT}:{MLFLOW_PORT}"],
            "depends_on": depends,
            "healthcheck": _http_health(MLFLOW_PORT, "/health"),
        })

    if spec.feature_store is not None:
        from mlplat.modules.feature_store import feast_image

        fs = spec.feature_store
        add("redis", "feature_store", {
            "image": REDIS_IMAGE,
            # internal only (no published port): the online store is reachable from the compose network
            "command": ["redis-server", "--save", "60", "1"],
            "volumes": ["redis-data:/data"],
            "healthcheck": _health(["CMD", "redis-cli", "ping"]),
        })
        p.volumes["redis-data"] = {}
        p.volumes["feast-data"] = {}
        p.files["feast/feature_store.yaml"] = {
            "project": resolved.name.replace("-", "_"),
            "provider": "local",
            "registry": "/feast/data/registry.db",
            "online_store": {"type": "redis", "connection_string": f"redis:{REDIS_PORT}"},
            "offline_store": {"type": "file"},
            "entity_key_serialization_version": 2,
        }
        add("feast", "feature_store", {
            "image": feast_image(fs.version),
            # root option --chdir and serve's --host/--port exist in feast 0.40.1 (tests/upstream/cli)
            "command": ["feast", "--chdir", "/feast", "serve", "--host", "0.0.0.0", "--port", str(FEAST_PORT)],
            "volumes": ["./feast/feature_store.yaml:/feast/feature_store.yaml:ro", "feast-data:/feast/data"],
            "ports": [f"127.0.0.1:{FEAST_PORT}:{FEAST_PORT}"],
            "depends_on": {"redis": {"condition": "service_healthy"}},
            "healthcheck": _http_health(FEAST_PORT, "/health"),
        })

    if getattr(spec, "data_quality", None) is not None:
        from mlplat.modules.data_quality import NGINX_IMAGE, gx_config

        # GX Core 1.x keeps its stores on the filesystem: on a laptop the project folder is the store,
        # and a private nginx serves the Data Docs GX builds into it.
        p.files[f"{GX_DIR}/great_expectations.yml"] = gx_config()
        p.files[f"{GX_DIR}/data_docs/index.html"] = DOCS_PLACEHOLDER
        add("data-docs", "data_quality", {
            "image": NGINX_IMAGE,
            "command": ["nginx", "-g", "daemon off;"],
            "volumes": [f"./{GX_DIR}/data_docs:/usr/share/nginx/html:ro"],
            "ports": [f"127.0.0.1:{DATA_DOCS_PORT}:8080"],
            "healthcheck": _health(["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]),
        })

    if spec.monitoring is not None:
        targets = [f"{svc}:{port}" for svc, port in (("mlflow", MLFLOW_PORT),) if svc in p.services]
        scrape = [{"job_name": "prometheus", "static_configs": [{"targets": [f"localhost:{PROMETHEUS_PORT}"]}]}]
        if targets:
            scrape.append({"job_name": "mlflow", "metrics_path": "/metrics", "static_configs": [{"targets": targets}]})
        if "minio" in p.services:
            scrape.append({"job_name": "minio", "metrics_path": "/minio/v2/metrics/cluster",
                           "static_configs": [{"targets": [f"minio:{MINIO_PORT}"]}]})
        retention = f"{spec.monitoring.prometheus.retention_days}d"
        p.files["prometheus/prometheus.yml"] = {"global": {"scrape_interval": "30s"}, "scrape_configs": scrape}
        add("prometheus", "monitoring", {
            "image": PROMETHEUS_IMAGE,
            "command": ["--config.file=/etc/prometheus/prometheus.yml", f"--storage.tsdb.retention.time={retention}"],
            "volumes": ["./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro", "prometheus-data:/prometheus"],
            "ports": [f"127.0.0.1:{PROMETHEUS_PORT}:{PROMETHEUS_PORT}"],
            "healthcheck": _health(["CMD", "wget", "-q", "-O", "-", f"http://127.0.0.1:{PROMETHEUS_PORT}/-/healthy"]),
        })
        p.volumes["prometheus-data"] = {}
        p.files["grafana/provisioning/datasources/datasources.yml"] = {
            "apiVersion": 1,
            "datasources": [{"name": "Prometheus", "type": "prometheus", "access": "proxy",
                             "url": f"http://prometheus:{PROMETHEUS_PORT}", "isDefault": True}],
        }
        add("grafana", "monitoring", {
            "image": GRAFANA_IMAGE,
            "environment": {"GF_SECURITY_ADMIN_USER": "admin", "GF_SECURITY_ADMIN_PASSWORD": "${GRAFANA_ADMIN_PASSWORD}",
                            "GF_USERS_ALLOW_SIGN_UP": "false"},
            "volumes": ["./grafana/provisioning:/etc/grafana/provisioning:ro", "grafana-data:/var/lib/grafana"],
            "ports": [f"127.0.0.1:{GRAFANA_PORT}:{GRAFANA_PORT}"],
            "depends_on": {"prometheus": {"condition": "service_healthy"}},
            "healthcheck": _health(["CMD", "wget", "-q", "-O", "-", f"http://127.0.0.1:{GRAFANA_PORT}/api/health"]),
        })
        p.volumes["grafana-data"] = {}
    return p


def compose_plan(resolved: ResolvedPlatform) -> Plan:
    """The compose project as a plan: one resource per service, inputs = its compose definition."""
    p = compose_project(resolved)
    stack = resolved.prefix
    resources = []
    for name, service in p.services.items():
        urn = f"urn:pulumi:{stack}::{resolved.name}::{SERVICE_TYPE}::{name}"
        deps = [f"urn:pulumi:{stack}::{resolved.name}::{SERVICE_TYPE}::{d}" for d in service.get("depends_on", {})]
        resources.append(PlanResource(urn, SERVICE_TYPE, name, None, p.components[name], service, dependencies=deps))
    return Plan(resolved.name, resolved.environment, resources, resolved.provider, str(resolved.source))


__all__ = [
    "COMPOSE_LEFT_OUT", "ENV_KEYS", "SERVICE_TYPE", "ComposeProject", "compose_left_out", "compose_plan",
    "compose_project", "random_env",
]  # fmt: skip
