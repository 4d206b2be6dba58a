"""Property (issue 14, part 1): whatever `validate` accepts, `preview` plans, for every
environment. No exit 3, and no exit 2 after validate said the spec is fine.

Specs are drawn from the spec's own JSON Schema (`mlplat schema`): every enum value of
every property, booleans, bounded integers, optional sections and list items. Strings have
no enum in the schema; for them the strategy draws from small pools of valid and near-valid
values (names, URIs of every scheme, versions, regions) so that a good share of the drawn
specs validate and reach the planner. Explicit axes make sure of the combinations the issue
names: serving kind × model format × URI scheme, and tracking auth kind × credential form.

Runs: 60 examples by default (CI, derandomized); the deep run (README, Development) is
`MLPLAT_PROPERTY_EXAMPLES=2000 pytest tests/unit/test_validate_implies_plan.py -k whatever -s -q`,
which prints how many drawn specs validated and how many environments were planned.
"""

from __future__ import annotations

import copy
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("MLPLAT_PROPERTY_EXAMPLES", "60"))
STATS: dict[str, int] = {"drawn": 0, "valid": 0, "planned_envs": 0, "same_as_planned": 0}
# Resolved environments already planned: the plan is a function of the resolved spec, so an
# identical one drawn again needs no second plan (it keeps the deep run within an hour).
PLANNED: set[str] = set()
PROGRESS = os.environ.get("MLPLAT_PROPERTY_PROGRESS")  # a file to append progress lines to


@cache
def schema() -> dict[str, Any]:
    from mlplat.stacks.platform_spec.schema import spec_json_schema

    return spec_json_schema()


def _def(ref: str) -> dict[str, Any]:
    return schema()["definitions"][ref.rsplit("/", 1)[-1]]


# Strings: what the schema cannot enumerate. Mostly valid values, a few wrong ones (a wrong
# one must fail validate, or plan: either way the property holds or finds a bug).
SCHEMES = ("s3://churn-models/m/v1", "gs://b/m", "pvc://models/m", "https://example.com/m.tar.gz",
           "http://example.com/m", "oci://ghcr.io/acme/m:1.0", "hf://acme/model")  # fmt: skip
STRINGS: dict[str, Any] = {
    "name": st.sampled_from(["a", "artifacts", "datasets", "m1", "gpu", "x-y"]),
    "uri": st.sampled_from(SCHEMES),
    "version": st.sampled_from(["3.18.0", "2.16.2", "2.10.3", "2.3.0", "2.17.0", "0.66.0", "0.40.1", "latest", "9.9.9",
                                "2.9", "1.0.0"]),
    "kubernetes_version": st.sampled_from(["1.29", "1.30", "1.31", "1.32", "1.27"]),
    "region": st.sampled_from(["us-east-1", "eu-west-1", "us-gov-west-1", "cn-north-1", "ap-southeast-7"]),
    "cidr": st.sampled_from(["10.0.0.0/16", "10.40.0.0/16", "172.16.0.0/20"]),
    "memory": st.sampled_from(["512Mi", "2Gi", "1G"]),
    "cpu": st.sampled_from(["500m", "1", "2"]),
    "schedule": st.sampled_from(["0 3 * * *", "*/15 * * * *"]),
    "materialize_schedule": st.sampled_from(["0 * * * *"]),
    "from_env": st.sampled_from(["MLPLAT_TEST_SECRET", "GRAFANA_PW"]),
    "secret_ref": st.sampled_from(["aws-sm/mlplat/secret", "vault/kv/mlflow"]),
    "address": st.sampled_from(["https://vault.example:8200", "http://vault.lab:8200"]),
    "role": st.sampled_from(["mlplat"]),
    "role_id": st.sampled_from(["0a1b2c3d-role"]),
    "issuer_url": st.sampled_from(["https://login.example.com", "https://accounts.google.com"]),
    "client_id": st.sampled_from(["mlflow"]),
    "instance_class": st.sampled_from(["db.t4g.medium", "db.r6g.large"]),
    "node_type": st.sampled_from(["cache.t4g.small", "cache.r6g.large"]),
    "context": st.sampled_from(["kind-mlplat", "prod-cluster"]),
    "storage_class": st.sampled_from(["standard", "gp3"]),
    "ingress_class": st.sampled_from(["nginx"]),
    "artifact_bucket": st.sampled_from(["artifacts"]),
    "offline_bucket": st.sampled_from(["features", "artifacts"]),
    "bucket": st.sampled_from(["artifacts"]),
    "key": st.sampled_from(["nvidia.com/gpu", "dedicated"]),
    "value": st.sampled_from(["true", "ml"]),
    "type": st.sampled_from(["A10G", "T4"]),
}
SKIP = {"metadata", "environments", "policies", "usage", "budget", "labels", "email", "levels", "waivers",
        "storage_gb", "k8s_rates", "quota", "owner"}  # fmt: skip


def _string(name: str) -> Any:
    return STRINGS.get(name, st.sampled_from(["x"]))


def from_schema(node: dict[str, Any], name: str, depth: int = 0) -> Any:
    """A hypothesis strategy for one JSON Schema node (the subset pydantic emits)."""
    if "$ref" in node:
        return from_schema(_def(node["$ref"]), name, depth)
    if "allOf" in node and len(node["allOf"]) == 1:
        return from_schema(node["allOf"][0], name, depth)
    if "anyOf" in node:
        options = [o for o in node["anyOf"] if o.get("type") != "null"]
        inner = st.one_of(*[from_schema(o, name, depth) for o in options])
        return st.one_of(st.none(), inner) if len(options) < len(node["anyOf"]) else inner
    if "const" in node:
        return st.just(node["const"])
    if "enum" in node:
        return st.sampled_from([v for v in node["enum"] if v is not None])
    kind = node.get("type")
    if kind == "object" and "properties" in node:
        props = {k: v for k, v in node["properties"].items() if k not in SKIP}
        required = set(node.get("required", []))
        return st.fixed_dictionaries(
            {k: from_schema(v, k, depth + 1) for k, v in props.items() if k in required},
            optional={k: from_schema(v, k, depth + 1) for k, v in props.items() if k not in required},
        )
    if kind == "array":
        return st.lists(from_schema(node["items"], name, depth + 1), max_size=2)
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        lo = node.get("minimum", 0)
        hi = node.get("maximum", lo + 8)
        return st.integers(min_value=lo, max_value=min(hi, lo + 8))
    if kind == "number":
        lo = node.get("minimum", 0)
        return st.floats(min_value=lo, max_value=lo + 100, allow_nan=False, allow_infinity=False)
    if kind == "string":
        return _string(name)
    return st.none()


def section(name: str) -> Any:
    return from_schema(schema()["properties"][name], name)


@st.composite
def specs(draw: Any) -> dict[str, Any]:
    provider = draw(st.sampled_from(["aws", "kubernetes"]))
    doc: dict[str, Any] = {
        "apiVersion": "mlplat.io/v1alpha1",
        "kind": "Platform",
        "metadata": {"name": "prop"},
        "target": draw(from_schema(_def(f"#/definitions/{'Aws' if provider == 'aws' else 'Kubernetes'}Target"),
                                   "target")),  # fmt: skip
        "storage": {"buckets": [{"name": "artifacts", "purpose": "artifacts"},
                                {"name": "features", "purpose": "feature-offline"}]},  # fmt: skip
    }
    if provider == "aws":
        doc["cluster"] = {"node_pools": [{"name": "sys", "instance_type": "m6i.large"},
                                         {"name": "gpu", "instance_type": "g5.xlarge", "min_size": 0}]}  # fmt: skip
    # A few schema-drawn sections on top of the base, each one with all its enum values in play.
    for name in draw(st.sets(st.sampled_from(["network", "storage", "cluster", "tracking", "orchestrator",
                                              "feature_store", "serving", "monitoring"]), max_size=3)):  # fmt: skip
        value = draw(section(name))
        if value is not None:
            doc[name] = value if name not in ("storage", "cluster") else _merge_named(doc.get(name), value)
    # The named axes: kind × format × scheme, auth kind × credential form.
    if draw(st.booleans()):
        doc["serving"] = {
            "kind": draw(st.sampled_from(_def("#/definitions/Serving")["properties"]["kind"]["enum"])),
            "models": [{"name": "m", "format": draw(st.sampled_from(_def("#/definitions/ServedModel")
                                                                   ["properties"]["format"]["enum"])),
                        "uri": draw(st.sampled_from(SCHEMES))}],
        }  # fmt: skip
    if draw(st.booleans()):
        auth_kind = draw(st.sampled_from(_def("#/definitions/TrackingAuth")["properties"]["kind"]["enum"]))
        cred = draw(st.sampled_from([None, {"from_env": "MLFLOW_PW"}, {"secret_ref": "aws-sm/mlflow/admin"}]))
        auth: dict[str, Any] = {"kind": auth_kind}
        if cred is not None:
            auth["client_secret" if auth_kind == "oidc" else "admin_password"] = cred
        if auth_kind == "oidc":
            auth.update(issuer_url="https://login.example.com", client_id="mlflow")
        doc["tracking"] = {**(doc.get("tracking") or {}), "auth": auth}
    if draw(st.booleans()):
        doc["environments"] = {"dev": {"profile": "dev"}, "prod": {"profile": "prod"}}
    return doc


def _merge_named(base: dict[str, Any] | None, over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base or {})
    for k, v in over.items():
        if isinstance(v, list) and isinstance(out.get(k), list):
            names = {i.get("name") for i in out[k] if isinstance(i, dict)}
            out[k] = out[k] + [i for i in v if not isinstance(i, dict) or i.get("name") not in names]
        else:
            out[k] = v
    return out


def _check(doc: dict[str, Any], tmp: Path) -> None:
    import yaml
    from mlplat.stacks import MlplatError, SpecError, load_spec, validate
    from mlplat.stacks.plan.offline import run_offline

    STATS["drawn"] += 1
    path = tmp / "platform.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    try:
        resolved = validate(load_spec(path))
    except SpecError as exc:
        assert all(d.location is not None for d in exc.diagnostics), exc  # every error located
        return
    except MlplatError:
        return
    STATS["valid"] += 1
    for env, r in resolved.items():
        key = f"{env}/{r.profile.name}/{r.spec.model_dump_json()}"
        if key in PLANNED:
            STATS["same_as_planned"] += 1
            continue
        try:
            run_offline(r)
        except Exception as exc:  # noqa: BLE001 - any failure after a clean validate is the bug
            pytest.fail(f"validate passed, preview --env {env} failed: {type(exc).__name__}: {exc}\n"
                        f"{yaml.safe_dump(doc, sort_keys=False)}")  # fmt: skip
        STATS["planned_envs"] += 1
        PLANNED.add(key)
    if PROGRESS and STATS["drawn"] % 25 == 0:
        with open(PROGRESS, "a", encoding="utf-8") as fh:
            fh.write(f"{STATS}\n")


@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 60,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])  # fmt: skip
@given(doc=specs())
def test_whatever_validates_plans(tmp_path, doc):
    _check(copy.deepcopy(doc), tmp_path)


def test_the_strategy_reaches_the_planner():
    """The property is only as good as the share of drawn specs that validate."""
    from hypothesis import find

    # a spec using every serving kind that validates exists in the strategy's space
    for kind in ("kserve", "seldon", "bentoml"):
        find(specs(), lambda d, k=kind: (d.get("serving") or {}).get("kind") == k)


def teardown_module() -> None:
    if STATS["drawn"]:
        print(f"\nvalidate ⇒ plan: {STATS['drawn']} specs drawn, {STATS['valid']} validated, "
              f"{STATS['planned_envs']} environments planned ({STATS['same_as_planned']} identical to one "
              "already planned), 0 failures")  # fmt: skip


def test_validate_knows_what_the_generators_know():
    """support.py restates facts of modules/ (validate may not import them): they must agree."""
    from mlplat.modules.serving import SELDON_SERVERS
    from mlplat.stacks.platform_spec import support

    assert set(support.SELDON_FORMATS) == set(SELDON_SERVERS)


@pytest.mark.parametrize(
    "section, path, says",
    [
        ({"serving": {"kind": "bentoml", "models": [{"name": "m", "format": "sklearn", "uri": "s3://b/m"}]}},
         "serving.models[0].uri", "oci://"),
        ({"serving": {"kind": "kserve", "models": [{"name": "m", "format": "custom", "uri": "s3://b/m"}]}},
         "serving.models[0].uri", "format custom"),
        ({"serving": {"kind": "seldon", "models": [{"name": "m", "format": "lightgbm", "uri": "s3://b/m"}]}},
         "serving.models[0].format", "no pre-packaged server"),
        ({"tracking": {"auth": {"kind": "oidc"}}}, "tracking.auth.kind", "(supported: none, basic)"),
        ({"tracking": {"auth": {"kind": "basic", "admin_password": {"secret_ref": "aws-sm/a/b"}}}},
         "tracking.auth.admin_password.secret_ref", "from_env"),
        ({"tracking": {"version": "latest"}}, "tracking.version", "pin a full MLflow release"),
        ({"orchestrator": {"kind": "airflow", "version": "9.9.9"}}, "orchestrator.version", "Airflow release"),
        ({"orchestrator": {"kind": "kubeflow-pipelines", "version": "latest"}}, "orchestrator.version", "Kubeflow"),
        ({"feature_store": {"version": "latest"}}, "feature_store.version", "Feast release"),
    ],
)  # fmt: skip
def test_plan_time_failures_are_validate_errors(tmp_path, section, path, says):
    """Each of these validated and then failed in preview (exit 3); now validate refuses, located."""
    import yaml
    from mlplat.stacks import SpecError, load_spec, validate

    doc = {"apiVersion": "mlplat.io/v1alpha1", "kind": "Platform", "metadata": {"name": "p"},
           "target": {"provider": "kubernetes"}, "storage": {"buckets": [{"name": "artifacts", "purpose": "artifacts"}]},
           **section}  # fmt: skip
    spec = tmp_path / "platform.yaml"
    spec.write_text(yaml.safe_dump(doc, sort_keys=False))
    with pytest.raises(SpecError) as err:
        validate(load_spec(spec))
    d = next(d for d in err.value.diagnostics if d.path == path)
    assert d.location is not None and says in d.message, err.value


def test_sagemaker_framework_image_must_exist_in_the_region(tmp_path):
    """Found by the deep property run (seed 142): sklearn on SageMaker in ap-southeast-7
    validated, then failed in preview ("no SageMaker framework image")."""
    import yaml
    from mlplat.stacks import SpecError, load_spec, validate

    doc = {"apiVersion": "mlplat.io/v1alpha1", "kind": "Platform", "metadata": {"name": "prop"},
           "target": {"provider": "aws", "region": "ap-southeast-7"},
           "storage": {"buckets": [{"name": "artifacts", "purpose": "artifacts"}]},
           "serving": {"kind": "sagemaker", "models": [{"name": "m", "format": "sklearn", "uri": "s3://b/m/v1"}]}}  # fmt: skip
    spec = tmp_path / "platform.yaml"
    spec.write_text(yaml.safe_dump(doc, sort_keys=False))
    with pytest.raises(SpecError, match="no sklearn framework image in ap-southeast-7"):
        validate(load_spec(spec))
    doc["target"]["region"] = "us-east-1"  # where the image exists it validates
    spec.write_text(yaml.safe_dump(doc, sort_keys=False))
    assert set(validate(load_spec(spec))) == {"dev", "staging", "prod"}


def test_traffic_router_on_kserve_is_a_located_error_not_a_crash(tmp_path):
    """Found by the deep property run (seed 143): validate itself raised UnboundLocalError
    (exit 3) on `serving: {kind: kserve, traffic_router: istio}` without models."""
    import yaml
    from mlplat.stacks import SpecError, load_spec, validate

    doc = {"apiVersion": "mlplat.io/v1alpha1", "kind": "Platform", "metadata": {"name": "prop"},
           "target": {"provider": "aws"}, "storage": {"buckets": [{"name": "artifacts", "purpose": "artifacts"}]},
           "cluster": {"node_pools": [{"name": "sys", "instance_type": "m6i.large"}]},
           "serving": {"kind": "kserve", "traffic_router": "istio"}}  # fmt: skip
    spec = tmp_path / "platform.yaml"
    spec.write_text(yaml.safe_dump(doc, sort_keys=False))
    with pytest.raises(SpecError, match="traffic_router applies to seldon only"):
        validate(load_spec(spec))
