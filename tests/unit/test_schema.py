"""The JSON Schema for editors: draft-07 (what yaml-language-server implements), documented,
and consistent with the validator on the reference specs and on what it refuses."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from mlplat.stacks.platform_spec.catalog import INSTANCE_TYPES
from mlplat.stacks.platform_spec.model import PlatformSpec
from mlplat.stacks.platform_spec.schema import FIELD_DOCS, spec_json_schema

from tests.conftest import REFERENCE_SPECS

jsonschema = pytest.importorskip("jsonschema")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return spec_json_schema()


@pytest.fixture(scope="module")
def validator(schema):
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def load(name: str) -> Any:
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(REFERENCE_SPECS[name][0].read_text())


def messages(validator, doc) -> list[str]:
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]


def test_header(schema):
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["title"] and schema["description"]
    assert "$defs" not in schema and "definitions" in schema


def test_no_keyword_beside_a_ref(schema):
    """Draft-07 ignores siblings of $ref; every description must survive."""

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            assert not ("$ref" in node and len(node) > 1), node
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(schema)


def test_every_property_is_documented(schema):
    undocumented = [
        f"{name}.{key}"
        for name, d in [("PlatformSpec", schema), *schema["definitions"].items()]
        for key, prop in d.get("properties", {}).items()
        if not prop.get("description")
    ]
    assert undocumented == [], "add a description (Field(description=…) or schema.FIELD_DOCS)"


def test_field_docs_name_real_fields():
    from mlplat.stacks.platform_spec import model as spec

    assert FIELD_DOCS
    for key in FIELD_DOCS:
        model, field = key.split(".")
        assert field in getattr(spec, model).model_fields, key


def test_secret_fields_explain_references(schema):
    defs = schema["definitions"]
    for model, field in [
        ("Alerts", "slack_webhook"),
        ("TrackingAuth", "admin_password"),
        ("Grafana", "admin_password"),
    ]:
        doc = defs[model]["properties"][field]["description"]
        assert "from_env" in doc and "secret_ref" in doc and "literal" in doc


@pytest.mark.parametrize("name", sorted(REFERENCE_SPECS))
def test_reference_specs_conform(validator, name):
    assert messages(validator, load(name)) == []


def test_refuses_what_the_validator_refuses(validator):
    base = load("platform")
    cases = {
        "unknown key": lambda d: d["cluster"].update(nodepools=[]),
        "literal credential": lambda d: d["monitoring"]["alerts"].update(
            slack_webhook="https://hooks.slack.com/x"
        ),
        "both credential sources": lambda d: d["monitoring"]["alerts"]["slack_webhook"].update(
            secret_ref="vault/x"
        ),
        "unknown instance type": lambda d: d["cluster"]["node_pools"][0].update(instance_type="m6i.larg"),
        "unquoted version": lambda d: d["cluster"].update(kubernetes_version=1.31),
        "bad name": lambda d: d["metadata"].update(name="Churn"),
        "unknown apiVersion": lambda d: d.update(apiVersion="mlplat.io/v2"),
        "kind not in the closed set": lambda d: d["orchestrator"].update(kind="luigi"),
        "unknown key in an override": lambda d: d["environments"]["dev"].update(clustr={}),
        "unknown profile": lambda d: d["environments"]["dev"].update(profile="dve"),
        "bad environment name": lambda d: d["environments"].update({"Prod_2": {}}),
    }
    for what, change in cases.items():
        doc = copy.deepcopy(base)
        change(doc)
        assert messages(validator, doc), f"the schema accepts: {what}"


def test_overrides_are_partial_and_may_remove(validator):
    doc = load("platform")
    doc["environments"]["dev"].update(
        cluster={"node_pools": [{"name": "gpu-serve", "max_size": 1}]},  # no instance_type: partial
        monitoring={"drift_reports": None},  # null removes
        target={"region": "eu-west-1"},
        tracking=None,
    )
    assert messages(validator, doc) == []


def test_instance_types_are_the_catalogue(schema):
    prop = schema["definitions"]["NodePool"]["properties"]["instance_type"]
    assert prop["enum"] == sorted(INSTANCE_TYPES)


def test_every_top_level_key_is_in_the_schema(schema):
    assert set(schema["properties"]) == set(PlatformSpec.model_fields)
