"""Judge: every `great_expectations.yml` in a plan is a config GX Core accepts at the pinned release.

Read against tests/upstream/great-expectations/<version>/config-schema.json (from the 1.24.1 wheel):
top-level keys of DataContextConfigSchema, config_version within the supported range, store classes
and store-backend classes that exist in that release, backend keys among their `__init__` parameters,
and the store GX looks up by a fixed name. Nothing is imported from mlplat's modules.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.upstream.judges import UPSTREAM, golden, load_json

SCHEMA = UPSTREAM / "great-expectations" / "1.24.1" / "config-schema.json"
# the GX config, inside ConfigMaps named great-expectations (the orchestrator's or the data-quality namespace's)
KEY = "great_expectations.yml"
# generic keys every GX class config takes (instantiate_class_from_config), beyond __init__ parameters
CLASS_KEYS = {"class_name", "module_name"}


def judge(config: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    out = []
    unknown = set(config) - set(schema["data_context_config_keys"])
    if unknown:
        out.append(f"unknown top-level keys {sorted(unknown)}")
    cv = config.get("config_version")
    versions = schema["config_version"]
    if not isinstance(cv, (int, float)) or not versions["minimum_supported"] <= cv <= versions["current"]:
        out.append(f"config_version {cv!r} outside {versions['minimum_supported']}..{versions['current']}")
    stores = config.get("stores", {})
    for name in schema["fixed_store_names"]:
        if name not in stores:
            out.append(f"no store named {name!r} (GX looks it up by that name)")
    backends = schema["store_backend_init"]
    sites = [(f"data_docs_sites.{n}", s) for n, s in (config.get("data_docs_sites") or {}).items()]
    for where, s in [(f"stores.{n}", s) for n, s in stores.items()] + sites:
        cls = s.get("class_name")
        if where.startswith("stores.") and cls not in schema["store_classes"]:
            out.append(f"{where}: store class {cls!r} does not exist in GX {schema['source']['version']}")
        if where.startswith("data_docs_sites."):
            params = set(schema["site_builder_classes"]["SiteBuilder"]) | CLASS_KEYS
            if cls != "SiteBuilder" or set(s) - params:
                out.append(f"{where}: not a SiteBuilder config ({sorted(set(s) - params)})")
            index = s.get("site_index_builder", {}).get("class_name")
            if index not in schema["site_builder_classes"]:
                out.append(f"{where}: site_index_builder {index!r} does not exist")
        backend = s.get("store_backend", {})
        bcls = backend.get("class_name")
        if bcls not in backends or bcls == "TupleStoreBackend":
            out.append(f"{where}: store backend {bcls!r} does not exist in GX {schema['source']['version']}")
            continue
        extra = set(backend) - set(backends[bcls]) - CLASS_KEYS
        if extra:
            out.append(f"{where}: {bcls} takes no {sorted(extra)}")
    return out


def gx_configs(plan: Any) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for r in plan.resources:
        if r.type == "kubernetes:core/v1:ConfigMap" and KEY in (r.inputs.get("data") or {}):
            out.append((r.name, yaml.safe_load(r.inputs["data"][KEY])))
    return out


@pytest.mark.parametrize("name", ["onprem-staging", "onprem-prod"])
def test_the_golden_gx_configs_are_accepted_by_gx_1_24_1(name):
    plan = golden(name)
    configs = gx_configs(plan)
    assert [n for n, _ in configs] == ["orchestrator-gx-config"]  # one config, in the KFP namespace
    schema = load_json(SCHEMA)
    for res, config in configs:
        assert judge(config, schema) == [], res


def test_the_judge_refuses_the_s3_backend_gx_removed():
    schema = load_json(SCHEMA)
    config = {"config_version": 4.0, "stores": {
        "validation_definition_store": {"class_name": "ValidationDefinitionStore",
                                        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": "v/"}},
        "expectations_store": {"class_name": "ExpectationsStore",
                               "store_backend": {"class_name": "TupleS3StoreBackend", "bucket": "b", "prefix": "e/"}},
    }, "data_docs_sites": {"s3": {"class_name": "SiteBuilder", "store_backend": {
        "class_name": "TupleFilesystemStoreBackend", "base_directory": "d/", "bucket": "b"}}}, "evaluation_parameter_store_name": "x"}
    assert judge(config, schema) == [
        "unknown top-level keys ['evaluation_parameter_store_name']",  # a 0.x key, gone in config_version 4
        "stores.expectations_store: store backend 'TupleS3StoreBackend' does not exist in GX 1.24.1",
        "data_docs_sites.s3: site_index_builder None does not exist",
        "data_docs_sites.s3: TupleFilesystemStoreBackend takes no ['bucket']",
    ]
