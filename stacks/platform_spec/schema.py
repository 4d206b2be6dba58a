"""The JSON Schema of the platform spec, for editors (yaml-language-server) and other tools.

Generated from the pydantic models, then adapted:

* JSON Schema draft-07, the draft yaml-language-server (VS Code, Neovim, JetBrains) implements:
  definitions under `definitions`, and no keyword beside a `$ref` (draft-07 ignores those;
  such a `$ref` is wrapped in `allOf`).
* Every property carries a description (the model's own, else `FIELD_DOCS`), so hovering a
  key explains it; closed sets (apiVersion, instance types, profiles) are enums for completion.
* `environments` gets a real schema: each environment is `profile` plus any top-level section
  as a *partial* override (the same definitions without `required`).

The schema helps editing; `mlplat validate` stays the authority (cross-field rules such as
`min_size <= max_size` or bucket references are not expressible here).
"""

from __future__ import annotations

import copy
from typing import Any

DRAFT = "http://json-schema.org/draft-07/schema#"
SCHEMA_ID = "https://mlplat.io/schemas/platform-v1alpha1.json"

# Descriptions for fields whose model declares none ("Model.field": text).
FIELD_DOCS: dict[str, str] = {
    "SecretRef.from_env": "Name of an environment variable holding the credential at deploy time",
    "SecretRef.secret_ref": "Secret store reference '<store>/<path>', e.g. 'aws-sm/ml/slack-webhook'",
    "AwsTarget.provider": "aws: mlplat creates the network, an EKS cluster and managed services",
    "KubernetesTarget.provider": "kubernetes: bring your own cluster (on-prem or any cloud); services run in-cluster",
    "ComposeTarget.provider": "compose: the same platform on a laptop, rendered as a docker compose project",
    "Lifecycle.expire_noncurrent_days": "Delete non-current object versions after this many days (needs versioning)",
    "Lifecycle.expire_days": "Delete objects after this many days",
    "Lifecycle.transition_ia_days": "Move objects to infrequent-access storage after this many days (>= 30)",
    "Bucket.purpose": "What the bucket holds; tracking and drift reports pick their bucket by purpose",
    "Bucket.versioning": "Keep object versions (recommended for artifacts and datasets)",
    "Bucket.lifecycle": "Expiry and storage-class transitions",
    "Storage.buckets": "Object storage buckets (S3 on aws, MinIO on kubernetes targets)",
    "Gpu.count": "GPUs per node; at most what the instance type carries",
    "Taint.key": "Taint key, e.g. nvidia.com/gpu",
    "Taint.value": "Taint value",
    "Taint.effect": "What the taint does to pods that do not tolerate it",
    "NodePool.name": "Pool name: lowercase DNS label; environment overrides merge pools by name",
    "NodePool.instance_type": "EC2 instance type; GPU families (g4dn, g5, g6, p4d, p5…) make a GPU pool",
    "NodePool.min_size": "Minimum node count (0 lets the pool scale to zero)",
    "NodePool.max_size": "Maximum node count (>= min_size)",
    "NodePool.capacity": "on-demand, or spot (cheaper, can be reclaimed)",
    "NodePool.gpu": "GPU settings; the GPU type follows from the instance family",
    "NodePool.disk_gb": "Root volume size per node in GB",
    "NodePool.labels": "Kubernetes node labels",
    "NodePool.taints": "Kubernetes node taints (GPU pools usually taint nvidia.com/gpu)",
    "Quota.cpu": "CPU quota, e.g. '64'",
    "Quota.memory": "Memory quota, e.g. 256Gi",
    "Quota.gpu": "GPU quota",
    "Cluster.public_endpoint": "Expose the Kubernetes API publicly (off: private endpoint only)",
    "Cluster.node_pools": "Node pools (aws only; a kubernetes target brings its own nodes)",
    "Database.storage_gb": "Database storage in GB",
    "Database.multi_az": "Standby replica in a second availability zone (aws)",
    "Database.backup_retention_days": "Days of automated backups to keep (0 disables backups)",
    "Database.deletion_protection": "Refuse to delete the database until this is turned off",
    "Tracking.kind": "Experiment tracking server",
    "Tracking.replicas": "Tracking server replicas (the prod profile raises this to at least 2)",
    "Tracking.database": "Backend store: RDS Postgres on aws, in-cluster Postgres on kubernetes",
    "Tracking.auth": "Authentication in front of the tracking UI and API",
    "Orchestrator.kind": "Pipeline orchestrator",
    "Orchestrator.version": "Orchestrator version; pins the chart/image",
    "Orchestrator.executor": "Airflow executor (airflow only)",
    "Redis.num_nodes": "Cache nodes",
    "FeatureStore.kind": "Feature store",
    "FeatureStore.version": "Feast version",
    "FeatureStore.online_store": "Online store: redis (ElastiCache on aws) or postgres",
    "FeatureStore.offline_bucket": "Name of a declared bucket for the offline store",
    "FeatureStore.redis": "Redis settings when online_store is redis",
    "FeatureStore.materialize_schedule": "Cron schedule of feature materialisation",
    "Replicas.min": "Minimum replicas (0 allows scale to zero; the prod profile raises it to at least 2)",
    "Replicas.max": "Maximum replicas (>= min)",
    "Resources.cpu": "CPU request per replica, e.g. 500m or '2'",
    "Resources.memory": "Memory request per replica, e.g. 2Gi",
    "Resources.gpu": "GPUs per replica (needs a GPU node pool on aws)",
    "Canary.uri": "Location of the canary model version",
    "ServedModel.name": "Model name: lowercase DNS label; environment overrides merge models by name",
    "ServedModel.format": "Model format; selects the serving runtime",
    "ServedModel.replicas": "Autoscaling bounds",
    "ServedModel.resources": "Requests per replica",
    "ServedModel.canary": "A second version receiving a share of the traffic",
    "Serving.kind": "Model serving framework",
    "Serving.version": "Serving framework version",
    "Serving.models": "Models to serve",
    "Prometheus.retention_days": "Days of metrics to keep",
    "Prometheus.storage_gb": "Metrics volume size in GB",
    "Grafana.enabled": "Deploy Grafana with the platform dashboards",
    "Grafana.admin_password": "Grafana admin password: a reference, never a literal (default: generated secret)",
    "DriftReports.kind": "Drift report generator",
    "DriftReports.schedule": "Cron schedule (5 fields) of the drift report job",
    "Alerts.slack_webhook": "Slack incoming-webhook URL: a reference, never a literal",
    "Alerts.pagerduty_key": "PagerDuty integration key: a reference, never a literal",
    "Alerts.email": "E-mail addresses for alerts",
    "Monitoring.prometheus": "Metrics collection",
    "Monitoring.grafana": "Dashboards",
    "Monitoring.drift_reports": "Scheduled data/model drift reports",
    "Monitoring.alerts": "Where alerts go",
    "Budget.monthly_usd": "Monthly budget in USD; `mlplat cost` and `mlplat check` fail above it",
    "Budget.max_increase_percent": "Largest allowed cost increase of a change, in percent",
    "Waiver.reason": "Why the finding is accepted",
    "Waiver.owner": "Who accepted it",
    "Waiver.expires": "Date the waiver lapses (YYYY-MM-DD)",
    "Policies.waivers": "Accepted policy findings, each with an owner and an expiry date",
    "Usage.nat_gb_per_month": "NAT-processed GB per month (cost estimate)",
    "Usage.s3_requests_per_month": "Object storage requests per month (cost estimate)",
    "PlatformSpec.kind": "Always Platform",
    "PlatformSpec.metadata": "Name, owner and labels of the platform",
    "PlatformSpec.target": "Where the platform runs: provider aws or kubernetes",
    "PlatformSpec.network": "VPC layout (aws only)",
    "PlatformSpec.storage": "Object storage and its encryption",
    "PlatformSpec.cluster": "Kubernetes cluster and node pools (EKS on aws)",
    "PlatformSpec.tracking": "MLflow tracking server with its database and artifact bucket",
    "PlatformSpec.orchestrator": "Airflow or Kubeflow Pipelines",
    "PlatformSpec.feature_store": "Feast feature store",
    "PlatformSpec.serving": "Model serving: KServe, Seldon Core or BentoML",
    "PlatformSpec.monitoring": "Prometheus, Grafana, drift reports and alerts",
    "PlatformSpec.budget": "Cost budget, checked by `mlplat cost` and `mlplat check`",
    "PlatformSpec.policies": "Policy levels and waivers",
    "PlatformSpec.usage": "Usage assumptions for cost estimates",
}

SECRET_DOC = (
    "A credential is never written into the spec: give {from_env: VAR} (read from the environment "
    "at deploy time) or {secret_ref: '<store>/<path>'}; a literal value is a validation error."
)
ENV_NAME_PATTERN = r"^[a-z][a-z0-9-]{0,14}$"


def spec_json_schema() -> dict[str, Any]:
    """The draft-07 JSON Schema of a platform spec file."""
    from mlplat.stacks.platform_spec.catalog import INSTANCE_TYPES
    from mlplat.stacks.platform_spec.model import SUPPORTED_API_VERSIONS, PlatformSpec
    from mlplat.stacks.platform_spec.resolve import ENV_KEYS, builtin_profiles

    raw = PlatformSpec.model_json_schema(ref_template="#/definitions/{model}")
    defs: dict[str, Any] = raw.pop("$defs", {})
    _document(raw, "PlatformSpec")
    for name, d in defs.items():
        _document(d, name)

    props = raw["properties"]
    props["apiVersion"] = {**props["apiVersion"], "enum": list(SUPPORTED_API_VERSIONS)}
    props["apiVersion"].pop("type", None)
    pool = defs["NodePool"]["properties"]
    pool["instance_type"]["enum"] = sorted(INSTANCE_TYPES)
    # The model accepts 0 so that semantic.py can say "must be >= min_size"; 0 is still invalid.
    pool["max_size"]["minimum"] = 1
    defs["Replicas"]["properties"]["max"]["minimum"] = 1
    defs["Metadata"]["properties"]["name"].update(pattern=r"^[a-z]([a-z0-9-]*[a-z0-9])?$", maxLength=20)
    version = defs["Cluster"]["properties"]["kubernetes_version"]
    version.update(pattern=r"^1\.\d{2}$", examples=["1.35"])
    # A literal string is refused by type; an empty mapping or both keys by oneOf.
    defs["SecretRef"]["oneOf"] = [{"required": ["from_env"]}, {"required": ["secret_ref"]}]
    defs["SecretRef"]["description"] = SECRET_DOC

    # Environments: a partial copy of every definition (overrides may name any subset).
    partial = {f"{n}Override": _partial(d) for n, d in defs.items()}
    # A named list entry an environment inherits can be removed: {name: x, $patch: delete}.
    for named in ("NodePool", "Bucket", "ServedModel"):
        partial[f"{named}Override"].setdefault("properties", {})["$patch"] = {
            "enum": ["delete"],
            "description": "`delete` removes the inherited entry of this name (with `name`, nothing else)",
        }
    override_props: dict[str, Any] = {
        "profile": {
            "description": "Built-in profile applied under the spec (default: the profile named like the environment)",
            "enum": [*builtin_profiles(), None],
        }
    }
    for key in ENV_KEYS:
        if key in props and key != "profile":
            override_props[key] = _nullable(_partial(copy.deepcopy(props[key])))
    props["environments"] = {
        "description": props["environments"].get("description", "Environment name → overrides"),
        "type": "object",
        "propertyNames": {"pattern": ENV_NAME_PATTERN},
        "additionalProperties": {
            "description": "Overrides for this environment: a profile and any top-level section",
            "type": ["object", "null"],
            "properties": override_props,
            "additionalProperties": False,
        },
    }
    schema: dict[str, Any] = {
        "$schema": DRAFT,
        "$id": SCHEMA_ID,
        "title": "mlplat platform spec",
        "description": (
            "One YAML spec → a whole MLOps platform per environment (mlplat). Validate with "
            "`mlplat validate`; cross-field rules are checked there, not by this schema."
        ),
        **{k: v for k, v in raw.items() if k not in ("title", "description")},
        "definitions": {**defs, **partial},
    }
    return _draft07(schema)


def _document(d: dict[str, Any], model: str) -> None:
    for field, prop in d.get("properties", {}).items():
        prop.pop("title", None)  # pydantic's "Min Size" titles add nothing to the key itself
        if "description" not in prop and f"{model}.{field}" in FIELD_DOCS:
            prop["description"] = FIELD_DOCS[f"{model}.{field}"]
        if _refers_to(prop, "SecretRef"):
            prop["description"] = f"{prop.get('description', 'A credential')}. {SECRET_DOC}"


def _refers_to(node: Any, name: str) -> bool:
    target = f"#/definitions/{name}"
    if isinstance(node, dict):
        return node.get("$ref") == target or any(_refers_to(v, name) for v in node.values())
    if isinstance(node, list):
        return any(_refers_to(v, name) for v in node)
    return False


def _partial(node: Any) -> Any:
    """The same schema for an override: nothing required, every key may be `null` (which
    removes it), `$ref`s pointing at the partial definitions."""
    if isinstance(node, list):
        return [_partial(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for k, v in node.items():
        if k in ("required", "default"):
            continue
        if k == "properties":
            out[k] = {name: _nullable(_partial(prop)) for name, prop in v.items()}
        elif k == "oneOf" and all(isinstance(o, dict) and set(o) == {"required"} for o in v):
            continue  # SecretRef's "exactly one" belongs to the full definition
        elif k == "oneOf":
            out["anyOf"] = _partial(v)  # a partial target may match either provider
        else:
            out[k] = _partial(v)
    ref = out.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/definitions/") and not ref.endswith("Override"):
        out["$ref"] = f"{ref}Override"
    return out


def _nullable(prop: dict[str, Any]) -> dict[str, Any]:
    if prop.get("type") == "null" or {"type": "null"} in prop.get("anyOf", []):
        return prop
    if "type" in prop and not ({"$ref", "anyOf", "oneOf", "allOf", "const"} & set(prop)):
        types = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
        out = {**prop, "type": [*types, "null"]}
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        return out
    doc = {k: prop[k] for k in ("description",) if k in prop}
    rest = {k: v for k, v in prop.items() if k != "description"}
    if "anyOf" in rest and len(rest) == 1:
        return {**doc, "anyOf": [*rest["anyOf"], {"type": "null"}]}
    return {**doc, "anyOf": [rest, {"type": "null"}]}


def _draft07(node: Any) -> Any:
    """Draft-07 ignores keywords beside `$ref`: move the `$ref` into an `allOf`."""
    if isinstance(node, list):
        return [_draft07(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _draft07(v) for k, v in node.items()}
    if "$ref" in out and len(out) > 1:
        ref = out.pop("$ref")
        out["allOf"] = [{"$ref": ref}, *out.get("allOf", [])]
    out.pop("discriminator", None)  # an OpenAPI keyword; `provider` consts already discriminate
    return out


__all__ = ["DRAFT", "FIELD_DOCS", "spec_json_schema"]
