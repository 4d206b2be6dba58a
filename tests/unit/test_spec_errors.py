"""One test per error class: each broken spec yields a diagnostic with the exact
FILE:LINE:COL: dotted.path prefix and a message that says what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlplat.stacks import SpecError, load_platform, load_spec, validate
from mlplat.stacks.errors import Diagnostic

from tests.unit.spec_text import BASE, at, at_value, edit, write


def errors(tmp_path: Path, text: str) -> tuple[Path, list[Diagnostic]]:
    path = write(tmp_path, text)
    with pytest.raises(SpecError) as info:
        validate(load_spec(path))
    return path, info.value.diagnostics


def only(tmp_path: Path, text: str) -> tuple[str, Diagnostic]:
    """The single diagnostic of a spec with exactly one error, as (string, diagnostic)."""
    path, diags = errors(tmp_path, text)
    assert len(diags) == 1, "\n".join(map(str, diags))
    return str(diags[0]).replace(str(path), "platform.yaml"), diags[0]


def test_the_base_spec_is_valid(tmp_path):
    resolved = validate(load_spec(write(tmp_path, BASE)))
    assert list(resolved) == ["dev", "prod"]


# --------------------------------------------------------------------------- YAML level


def test_yaml_syntax_error(tmp_path):
    text = edit("  name: demo\n", "  name: [demo\n")
    msg, _ = only(tmp_path, text)
    assert msg.startswith("platform.yaml:5:8: YAML syntax error:"), msg


def test_duplicate_key_names_both_lines_and_never_the_values(tmp_path):
    text = edit("  owner: team@example.com\n", "  owner: team@example.com\n  name: s3cr3t-value\n")
    msg, _ = only(tmp_path, text)
    assert msg.startswith(f"platform.yaml:{at(text, 'name: s3cr3t')}: metadata.name: duplicate key 'name'"), (
        msg
    )
    assert "first defined on line 4" in msg
    assert "s3cr3t" not in msg and "demo" not in msg


def test_every_duplicate_key_is_reported(tmp_path):
    text = edit("  name: demo\n", "  name: demo\n  name: again\n")
    text = edit("  region: us-east-1\n", "  region: us-east-1\n  region: eu-west-1\n", text)
    _, diags = errors(tmp_path, text)
    assert [d.path for d in diags] == ["metadata.name", "target.region"]


def test_tab_indentation(tmp_path):
    text = edit("  owner: team@example.com\n", "\towner: team@example.com\n")
    msg, _ = only(tmp_path, text)
    assert msg.startswith("platform.yaml:5:1: YAML syntax error:"), msg
    assert "tab" in msg and "spaces" in msg


@pytest.mark.parametrize(
    "text", ["", "\n\n", "# only a comment\n", "---\n"], ids=["empty", "blank", "comment", "marker"]
)
def test_empty_file(tmp_path, text):
    msg, _ = only(tmp_path, text)
    assert msg.startswith("platform.yaml:1:1: the file is empty; expected a Platform spec mapping"), msg


@pytest.mark.parametrize(
    ("text", "got"),
    [("- a\n- b\n", "a list"), ("just a string\n", "a string"), ("42\n", "a number")],
    ids=["list", "string", "number"],
)
def test_non_mapping_document(tmp_path, text, got):
    msg, _ = only(tmp_path, text)
    assert msg.startswith("platform.yaml:1:1: expected a mapping at the top level"), msg
    assert msg.endswith(f"got {got}")


def test_several_documents(tmp_path):
    text = BASE + "---\napiVersion: mlplat.io/v1alpha1\n"
    msg, _ = only(tmp_path, text)
    assert msg.startswith(
        f"platform.yaml:{at(text, 'apiVersion', 2)}: expected one YAML document, found 2"
    ), msg


def test_binary_garbage(tmp_path):
    path = tmp_path / "platform.yaml"
    path.write_bytes(b"apiVersion: x\n\xff\xfe\x00garbage")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    (d,) = info.value.diagnostics
    assert str(d).startswith(f"{path}:2:1: not UTF-8 text"), str(d)


def test_nul_character(tmp_path):
    path = write(tmp_path, "apiVersion: x\nkind: \x00\n")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    (d,) = info.value.diagnostics
    assert str(d).startswith(f"{path}:2:7: not a text file"), str(d)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(SpecError, match="no such file"):
        load_spec(tmp_path / "absent.yaml")
    with pytest.raises(SpecError, match="is a directory"):
        load_spec(tmp_path)


# --------------------------------------------------------------------------- structure


def test_unknown_top_level_key_with_did_you_mean(tmp_path):
    text = edit("orchestrator:\n", "orchestrater:\n")
    path, diags = errors(tmp_path, text)
    first = str(diags[0]).replace(str(path), "platform.yaml")
    assert first.startswith(
        f"platform.yaml:{at(text, 'orchestrater')}: orchestrater: unknown key 'orchestrater'"
    )
    assert "did you mean 'orchestrator'?" in first
    # The orphaned `kind: airflow` now sits in no section: nothing else may be reported for it.
    assert len(diags) == 1, "\n".join(map(str, diags))


def test_unknown_nested_key_lists_the_allowed_ones(tmp_path):
    text = edit("  region: us-east-1\n", "  regoin: us-east-1\n")
    msg, _ = only(tmp_path, text)
    assert msg.startswith(f"platform.yaml:{at(text, 'regoin')}: target.regoin: unknown key 'regoin'"), msg
    assert "did you mean 'region'?" in msg and "(allowed: provider, region)" in msg


def test_unknown_key_in_a_list_item(tmp_path):
    text = edit("      min_size: 1\n", "      min_sise: 1\n")
    msg, _ = only(tmp_path, text)
    assert msg.startswith(
        f"platform.yaml:{at(text, 'min_sise')}: cluster.node_pools[0].min_sise: unknown key"
    ), msg
    assert "did you mean 'min_size'?" in msg


def test_missing_required_key_in_a_list_item(tmp_path):
    text = edit("      instance_type: m6i.large\n", "")
    msg, _ = only(tmp_path, text)
    expected = (
        f"platform.yaml:{at(text, 'name: system')}: cluster.node_pools[0].instance_type: missing required key"
    )
    assert msg.startswith(expected), msg


def test_missing_required_top_level_key(tmp_path):
    text = edit("target:\n  provider: aws\n  region: us-east-1\n", "")
    path, diags = errors(tmp_path, text)
    assert str(diags[0]).startswith(f"{path}:1:1: target: missing required key 'target'"), str(diags[0])


def test_quoted_number(tmp_path):
    text = edit("      min_size: 1\n", '      min_size: "2"\n')
    msg, _ = only(tmp_path, text)
    where = at(text, '"2"')
    assert msg.startswith(f"platform.yaml:{where}: cluster.node_pools[0].min_size: expected an integer"), msg
    assert "got the string '2' (remove the quotes)" in msg


def test_unquoted_version_is_quoted_as_written(tmp_path):
    text = edit('  kubernetes_version: "1.35"\n', "  kubernetes_version: 1.30\n")
    msg, _ = only(tmp_path, text)
    assert msg.startswith(
        f"platform.yaml:{at(text, '1.30')}: cluster.kubernetes_version: expected a string"
    ), msg
    assert 'quote it: "1.30"' in msg


def test_section_of_the_wrong_type(tmp_path):
    text = edit("network:\n  cidr: 10.0.0.0/16\n", "network: 10.0.0.0/16\n")
    msg, _ = only(tmp_path, text)
    assert msg.startswith(
        f"platform.yaml:{at(text, '10.0.0.0/16')}: network: expected a mapping, got the string '10.0.0.0/16'"
    ), msg


def test_yes_is_not_a_boolean(tmp_path):
    text = edit("      versioning: true\n", "      versioning: yes\n")
    msg, _ = only(tmp_path, text)
    assert msg.startswith(
        f"platform.yaml:{at(text, 'yes')}: storage.buckets[0].versioning: expected true or false"
    )


def test_enum_value_with_did_you_mean(tmp_path):
    text = edit("  cidr: 10.0.0.0/16\n", "  cidr: 10.0.0.0/16\n  nat: singel\n")
    msg, _ = only(tmp_path, text)
    assert msg.startswith(f"platform.yaml:{at(text, 'singel')}: network.nat: unsupported value 'singel'"), msg
    assert "did you mean 'single'?" in msg and "(supported: none, single, per-az)" in msg


def test_component_kind_lists_the_supported_ones(tmp_path):
    text = edit("  kind: airflow\n", "  kind: luigi\n")
    msg, _ = only(tmp_path, text)
    assert msg.startswith(
        f"platform.yaml:{at(text, 'luigi')}: orchestrator.kind: unsupported kind 'luigi'"
    ), msg
    assert "(supported: airflow, kubeflow-pipelines, mwaa)" in msg


def test_unsupported_provider(tmp_path):
    text = edit("  provider: aws\n", "  provider: azure\n")
    path, diags = errors(tmp_path, text)
    where = at_value(text, "provider: azure")
    assert str(diags[0]).startswith(f"{path}:{where}: target.provider: unsupported provider 'azure'"), str(
        diags[0]
    )
    assert "(supported: aws, kubernetes, compose)" in str(diags[0])


def test_missing_provider(tmp_path):
    text = edit("  provider: aws\n", "")
    msg, _ = only(tmp_path, text)
    assert msg.startswith(
        f"platform.yaml:{at(text, 'target')}: target.provider: missing required key 'provider'"
    ), msg


def test_non_finite_numbers(tmp_path):
    text = edit("traffic_percent: 10}", "traffic_percent: .nan}")
    msg, _ = only(tmp_path, text)
    assert msg.startswith(
        f"platform.yaml:{at(text, '.nan')}: serving.models[0].canary.traffic_percent: must be a finite"
    )


def test_invalid_date_is_located(tmp_path):
    text = BASE.replace("environments:", "policies:\n  waivers:\n    - {policy: MLP-STO-001, resource: x, reason: r, "
                        "owner: o, expires: 2026-13-01}\nenvironments:")  # fmt: skip
    msg, _ = only(tmp_path, text)
    assert msg.startswith(
        f"platform.yaml:{at(text, '2026-13-01')}: policies.waivers[0].expires: must be a date"
    ), msg


def test_errors_inside_a_map_of_values(tmp_path):
    # dict[str, …] fields: the key is part of the path, the value's type still known.
    text = BASE.replace("environments:", "policies:\n  levels: {MLP-STO-001: mandatry}\nenvironments:")
    msg, _ = only(tmp_path, text)
    assert msg.startswith(
        f"platform.yaml:{at(text, 'mandatry')}: policies.levels.MLP-STO-001: unsupported value"
    ), msg
    assert "did you mean 'mandatory'?" in msg


def test_unknown_api_version(tmp_path):
    text = edit("apiVersion: mlplat.io/v1alpha1\n", "apiVersion: mlplat.io/v2\n")
    msg, _ = only(tmp_path, text)
    assert msg.startswith(
        f"platform.yaml:{at(text, 'mlplat.io/v2')}: apiVersion: unsupported apiVersion 'mlplat.io/v2'"
    )
    assert "supported: mlplat.io/v1alpha1" in msg


@pytest.mark.parametrize("name", ["Demo", "demo_platform", "9lives", "a-very-long-platform-name"])
def test_bad_metadata_name(tmp_path, name):
    text = edit("  name: demo\n", f"  name: {name}\n")
    msg, _ = only(tmp_path, text)
    assert msg.startswith(f"platform.yaml:{at(text, name)}: metadata.name: must be"), msg


@pytest.mark.parametrize(
    ("cidr", "why"), [("10.0.0.0/33", "netmask"), ("10.0.1.0/16", "host bits"), ("nonsense", "")]
)
def test_bad_cidr(tmp_path, cidr, why):
    text = edit("  cidr: 10.0.0.0/16\n", f"  cidr: {cidr}\n")
    msg, _ = only(tmp_path, text)
    assert msg.startswith(f"platform.yaml:{at(text, cidr)}: network.cidr: not a valid IPv4 CIDR block"), msg
    assert why in msg


SECRET = "xoxb-1234-SUPERSECRET"


@pytest.mark.parametrize(
    ("value", "path", "needle"),
    [
        (SECRET, "", SECRET),
        (f'"{SECRET}"', "", f'"{SECRET}'),
        ("123456789", "", "123456789"),
        (f"{{from_env: '{SECRET} x'}}", ".from_env", f"'{SECRET}"),
        (f"{{value: {SECRET}}}", ".value", "value:"),
    ],
    ids=["literal", "quoted", "number", "bad-env-name", "unknown-key"],
)
def test_literal_credentials_are_refused_without_echoing_them(tmp_path, value, path, needle):
    text = edit("    slack_webhook: {from_env: SLACK_WEBHOOK_URL}\n", f"    slack_webhook: {value}\n")
    msg, _ = only(tmp_path, text)
    assert msg.startswith(f"platform.yaml:{at(text, needle)}: monitoring.alerts.slack_webhook{path}: "), msg
    assert SECRET not in msg and "123456789" not in msg


def test_a_literal_credential_says_what_to_write_instead(tmp_path):
    text = edit("    admin_password: {from_env: MLFLOW_ADMIN_PASSWORD}\n", "    admin_password: hunter2\n")
    msg, _ = only(tmp_path, text)
    assert msg.startswith(
        f"platform.yaml:{at(text, 'hunter2')}: tracking.auth.admin_password: credentials must be"
    )
    assert "from_env" in msg and "secret_ref" in msg and "hunter2" not in msg


def test_secret_ref_needs_exactly_one_source(tmp_path):
    text = edit(
        "    slack_webhook: {from_env: SLACK_WEBHOOK_URL}\n",
        "    slack_webhook: {from_env: SLACK_WEBHOOK_URL, secret_ref: vault/slack}\n",
    )
    msg, _ = only(tmp_path, text)
    where = at(text, "{from_env: SLACK")
    assert msg.startswith(f"platform.yaml:{where}: monitoring.alerts.slack_webhook: give exactly one"), msg


# --------------------------------------------------------------------------- semantic rules


def test_unknown_instance_type_with_did_you_mean(tmp_path):
    text = edit("      instance_type: m6i.large\n", "      instance_type: m6i.larg\n")
    msg, _ = only(tmp_path, text)
    assert msg.startswith(
        f"platform.yaml:{at(text, 'm6i.larg')}: cluster.node_pools[0].instance_type: unknown instance"
    )
    assert "did you mean 'm6i.large'?" in msg


def test_unknown_instance_type_without_a_close_match_points_at_the_escape_hatch(tmp_path):
    # No family looks like 'quantum': no other family is offered in its place (issue 14), and
    # the way through for a family newer than the price list is named instead.
    text = edit("      instance_type: m6i.large\n", "      instance_type: quantum.huge\n")
    msg, _ = only(tmp_path, text)
    assert "unknown instance type 'quantum.huge'" in msg
    assert "did you mean" not in msg
    assert "cluster.allow_unknown_instance_types: true" in msg


def test_contradicting_gpu_type(tmp_path):
    text = edit("      gpu: {count: 1}\n", "      gpu: {count: 1, type: H100}\n")
    msg, _ = only(tmp_path, text)
    assert msg.startswith(
        f"platform.yaml:{at(text, 'H100')}: cluster.node_pools[1].gpu.type: g5.xlarge carries A10G"
    ), msg


def test_matching_gpu_type_is_accepted(tmp_path):
    validate(
        load_spec(write(tmp_path, edit("      gpu: {count: 1}\n", "      gpu: {count: 1, type: a10g}\n")))
    )


def test_gpu_on_an_instance_without_gpus(tmp_path):
    text = edit("      instance_type: g5.xlarge\n", "      instance_type: m6i.xlarge\n")
    msg, _ = only(tmp_path, text)
    assert msg.startswith(
        f"platform.yaml:{at(text, '{count: 1}')}: cluster.node_pools[1].gpu: m6i.xlarge has no GPU"
    )


def test_max_size_below_min_size(tmp_path):
    text = edit("      min_size: 1\n      max_size: 3\n", "      min_size: 4\n      max_size: 3\n")
    msg, _ = only(tmp_path, text)
    where = at_value(text, "max_size: 3")
    assert msg == f"platform.yaml:{where}: cluster.node_pools[0].max_size: must be >= min_size (got 3 < 4)", (
        msg
    )


def test_the_design_example(tmp_path):
    # DESIGN 3: `platform.yaml:41:7: cluster.node_pools[1].max_size: must be >= min_size (got 0 < 2)`
    text = edit(
        "      gpu: {count: 1}\n      max_size: 2\n",
        "      gpu: {count: 1}\n      min_size: 2\n      max_size: 0\n",
    )
    text = edit("    cluster:\n      node_pools:\n        - name: gpu\n          max_size: 1\n", "", text)
    msg, _ = only(tmp_path, text)
    where = at_value(text, "max_size: 0")
    assert msg == f"platform.yaml:{where}: cluster.node_pools[1].max_size: must be >= min_size (got 0 < 2)", (
        msg
    )


def test_max_size_zero(tmp_path):
    text = edit(
        "      gpu: {count: 1}\n      max_size: 2\n",
        "      gpu: {count: 1}\n      min_size: 0\n      max_size: 0\n",
    )
    msg, _ = only(tmp_path, text)
    assert msg.startswith(
        f"platform.yaml:{at_value(text, 'max_size: 0')}: cluster.node_pools[1].max_size: must be >= 1"
    )


@pytest.mark.parametrize("pct", ["150", "-1"])
def test_traffic_percent_out_of_range(tmp_path, pct):
    text = edit("traffic_percent: 10}", f"traffic_percent: {pct}}}")
    msg, _ = only(tmp_path, text)
    assert msg.startswith(
        f"platform.yaml:{at(text, pct + '}')}: serving.models[0].canary.traffic_percent: must be"
    )
    assert "between 0 and 100" in msg


def test_replicas_min_above_max(tmp_path):
    text = edit("replicas: {min: 1, max: 3}", "replicas: {min: 5, max: 3}")
    msg, _ = only(tmp_path, text)
    assert msg.startswith(
        f"platform.yaml:{at(text, '3}')}: serving.models[0].replicas.max: must be >= replicas.min"
    )


def test_negative_replicas(tmp_path):
    text = edit("replicas: {min: 1, max: 3}", "replicas: {min: -1, max: 3}")
    msg, _ = only(tmp_path, text)
    assert msg.startswith(
        f"platform.yaml:{at_value(text, 'min: -1')}: serving.models[0].replicas.min: must be >= 0"
    ), msg
    assert "(environment" not in msg  # invalid everywhere: the prod replica floor must not paper over it


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ("  artifact_bucket: artifacts\n", "  artifact_bucket: artefacts\n", "tracking.artifact_bucket"),
        ("  offline_bucket: features\n", "  offline_bucket: feature\n", "feature_store.offline_bucket"),
    ],
)
def test_undeclared_bucket_reference(tmp_path, old, new, path):
    text = edit(old, new)
    msg, _ = only(tmp_path, text)
    assert msg.startswith(f"platform.yaml:{at_value(text, new.strip())}: {path}: "), msg
    assert "is not a declared bucket (declared: artifacts, features)" in msg and "did you mean" in msg


def test_serving_on_aws_needs_a_cluster(tmp_path):
    start, end = BASE.index("cluster:\n"), BASE.index("tracking:\n")
    text = BASE[:start] + BASE[end:]
    text = text[: text.index("environments:")] + "environments:\n  dev: {}\n"
    path, diags = errors(tmp_path, text)
    serving = [str(d) for d in diags if d.path == "serving"]
    expected = f"{path}:{at(text, 'kind: kserve')}: serving: serving on provider: aws needs a cluster section"
    assert [s.startswith(expected) for s in serving] == [True], "\n".join(map(str, diags))


def test_network_on_a_kubernetes_target(tmp_path):
    text = (
        "apiVersion: mlplat.io/v1alpha1\nkind: Platform\nmetadata: {name: lab}\n"
        "target: {provider: kubernetes}\nnetwork:\n  cidr: 10.0.0.0/16\n"
    )
    msg, _ = only(tmp_path, text)
    assert msg.startswith("platform.yaml:6:3: network: network is only for provider: aws"), msg


# --------------------------------------------------------------------------- environments


def test_unknown_profile_with_did_you_mean(tmp_path):
    text = edit("    profile: prod\n", "    profile: prd\n")
    msg, _ = only(tmp_path, text)
    assert msg.startswith(
        f"platform.yaml:{at(text, 'prd')}: environments.prod.profile: unknown profile 'prd'"
    )
    assert "did you mean 'prod'?" in msg and "(built-in: dev, staging, prod)" in msg


def test_unknown_override_key_with_did_you_mean(tmp_path):
    text = edit("    profile: prod\n", "    profile: prod\n    clustr: {}\n")
    msg, _ = only(tmp_path, text)
    assert msg.startswith(
        f"platform.yaml:{at(text, 'clustr')}: environments.prod.clustr: unknown key 'clustr'"
    )
    assert "did you mean 'cluster'?" in msg


def test_not_overridable_key(tmp_path):
    text = edit("    profile: prod\n", "    profile: prod\n    apiVersion: mlplat.io/v1alpha1\n")
    msg, _ = only(tmp_path, text)
    assert msg.startswith(
        f"platform.yaml:{at(text, 'apiVersion', 2)}: environments.prod.apiVersion: apiVersion cannot"
    )


def test_type_error_inside_an_override_points_at_the_override(tmp_path):
    text = edit("          max_size: 1\n", '          max_size: "1"\n')
    msg, _ = only(tmp_path, text)
    where = at(text, '"1"')
    expected = f"platform.yaml:{where}: environments.dev.cluster.node_pools[0].max_size: expected an integer"
    assert msg.startswith(expected), msg


def test_unknown_key_inside_an_override_points_at_the_override(tmp_path):
    text = edit("          max_size: 1\n", "          max_sizes: 1\n")
    msg, _ = only(tmp_path, text)
    assert msg.startswith(
        f"platform.yaml:{at(text, 'max_sizes')}: environments.dev.cluster.node_pools[0].max_sizes:"
    )


def test_semantic_error_inside_an_override_points_at_the_override(tmp_path):
    text = edit(
        "          max_size: 1\n",
        "          max_size: 1\n      - name: big\n        instance_type: p9.huge\n",
    )
    text = text.replace("        - name: gpu\n          max_size: 1\n      - name: big", "        - name: gpu\n"
                        "          max_size: 1\n        - name: big")  # fmt: skip
    text = text.replace("\n        instance_type: p9.huge", "\n          instance_type: p9.huge")
    msg, _ = only(tmp_path, text)
    assert msg.startswith(
        f"platform.yaml:{at(text, 'p9.huge')}: environments.dev.cluster.node_pools[1].instance_type:"
    )
    assert "unknown instance type 'p9.huge'" in msg


def test_an_error_caused_by_one_environment_names_it_and_the_override(tmp_path):
    text = edit("          max_size: 1\n", "          min_size: 5\n")
    msg, d = only(tmp_path, text)
    assert d.environments == ("dev",)
    assert msg.startswith(f"platform.yaml:{at_value(text, 'max_size: 2')}: "), msg
    assert "cluster.node_pools[1].max_size: must be >= min_size (got 2 < 5)" in msg
    assert (
        f"see environments.dev.cluster.node_pools[0].min_size on line {at(text, 'min_size: 5').split(':')[0]}"
        in msg
    )
    assert msg.endswith("(environment dev)")


def test_an_error_of_the_base_spec_carries_no_environment_suffix(tmp_path):
    text = edit("      instance_type: m6i.large\n", "      instance_type: m6i.larg\n")
    _, d = only(tmp_path, text)
    assert d.environments == () and "(environment" not in str(d)


def test_invalid_environment_name(tmp_path):
    text = edit("  prod:\n", "  Prod_Env:\n")
    msg, _ = only(tmp_path, text)
    assert msg.startswith(
        f"platform.yaml:{at(text, 'Prod_Env')}: environments.Prod_Env: environment names are"
    ), msg


def test_override_that_is_not_a_mapping(tmp_path):
    text = edit("  prod:\n    profile: prod\n", "  prod: [1, 2]\n")
    msg, _ = only(tmp_path, text)
    assert msg.startswith(
        f"platform.yaml:{at(text, '[1, 2]')}: environments.prod: expected a mapping of overrides"
    )


def test_unknown_environment_requested(tmp_path):
    path = write(tmp_path, BASE)
    with pytest.raises(SpecError) as info:
        load_platform(path, "prdo")
    (d,) = info.value.diagnostics
    assert str(d).startswith(f"{path}:{at(BASE, 'environments')}: environments: unknown environment 'prdo'")
    assert "did you mean 'prod'?" in str(d)


# --------------------------------------------------------------------------- all errors at once


def test_structural_and_semantic_errors_are_reported_together_in_file_order(tmp_path):
    text = edit("  name: demo\n", "  name: Demo\n")
    text = edit("      min_size: 1\n", '      min_size: "1"\n', text)
    text = edit("      instance_type: g5.xlarge\n", "      instance_type: g5.xlarg\n", text)
    text = edit("  offline_bucket: features\n", "  offline_bucket: nope\n", text)
    text = edit("traffic_percent: 10}", "traffic_percent: 101}", text)
    _, diags = errors(tmp_path, text)
    assert [d.path for d in diags] == [
        "metadata.name",
        "cluster.node_pools[0].min_size",
        "cluster.node_pools[1].instance_type",
        "feature_store.offline_bucket",
        "serving.models[0].canary.traffic_percent",
    ], "\n".join(map(str, diags))
    assert [d.location.line for d in diags] == sorted(d.location.line for d in diags)


def test_a_dropped_field_causes_no_follow_up_errors(tmp_path):
    # min_size is refused; the rule max_size >= min_size must not then judge a default.
    text = edit("      min_size: 1\n      max_size: 3\n", '      min_size: "9"\n      max_size: 3\n')
    _, d = only(tmp_path, text)
    assert d.path == "cluster.node_pools[0].min_size"


def test_a_list_item_missing_its_name_does_not_break_environment_merging(tmp_path):
    # dev overrides the pool named gpu; the nameless system pool must not turn that
    # name-merge into a replacement (which would drop pools and report phantom errors).
    text = edit("    - name: system\n      instance_type: m6i.large\n", "    - instance_type: m6i.large\n")
    _, diags = errors(tmp_path, text)
    assert [d.path for d in diags] == ["cluster.node_pools[0].name"], "\n".join(map(str, diags))


@pytest.mark.parametrize(
    ("labels", "key_value", "message"),
    [
        # found by the acceptance sweep: each validated, and AWS would refuse the tags at `up`
        ('{"aws:team": ml}', '"aws:team": ml', "metadata.labels.aws:team: label 'aws:team': the aws: prefix"),
        ("{team: a#b}", "team: a#b", "metadata.labels.team: label 'team': the value is not a valid AWS tag value"),
        ("{team: " + "x" * 257 + "}", "team: x", "metadata.labels.team: label 'team': the value is not a valid AWS"),
        # an ownership tag (DESIGN 4) is mlplat's: the label was silently overwritten
        ("{managed-by: terraform}", "managed-by: terraform",
         "metadata.labels.managed-by: label 'managed-by' is an ownership tag mlplat sets itself"),
    ],
    ids=["aws-prefix", "bad-character", "value-over-256", "ownership-tag"],
)
def test_labels_that_are_not_valid_aws_tags_are_refused(tmp_path, labels, key_value, message):
    text = edit("  owner: team@example.com\n", f"  owner: team@example.com\n  labels: {labels}\n")
    msg, _ = only(tmp_path, text)
    assert msg.startswith(f"platform.yaml:{at_value(text, key_value)}: {message}"), msg


def test_labels_within_the_aws_tag_rules_validate(tmp_path):
    # 256 characters is AWS's limit, inclusive; spaces, unicode letters and _.:/=+-@ are allowed
    labels = '{"cost center": "ML Ops", team: "vision/ops@corp.example", note: "' + "ü" * 256 + '"}'
    text = edit("  owner: team@example.com\n", f"  owner: team@example.com\n  labels: {labels}\n")
    assert list(validate(load_spec(write(tmp_path, text)))) == ["dev", "prod"]
