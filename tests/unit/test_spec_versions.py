"""validate refuses component versions mlplat cannot run, located at the version it names."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlplat.stacks import SpecError, load_spec, validate

from tests.unit.spec_text import at_value, edit, write


def only(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(SpecError) as info:
        validate(load_spec(path))
    diags = info.value.diagnostics
    assert len(diags) == 1, "\n".join(map(str, diags))
    return str(diags[0]).replace(str(path), "platform.yaml")


@pytest.mark.parametrize("version", ["2.16.2", "3.8.1", "4.0.0"])
def test_mlflow_version_without_a_full_image_is_refused(tmp_path, version):
    text = edit("  artifact_bucket: artifacts\n", f'  artifact_bucket: artifacts\n  version: "{version}"\n')
    msg = only(tmp_path, text)
    where = at_value(text, 'version: "' + version + '"')
    assert msg.startswith(f"platform.yaml:{where}: tracking.version: "), msg
    assert "3.9.0" in msg and "-full" in msg


def test_mlflow_version_must_be_a_full_release(tmp_path):
    text = edit("  artifact_bucket: artifacts\n", '  artifact_bucket: artifacts\n  version: "3.18"\n')
    msg = only(tmp_path, text)
    where = at_value(text, 'version: "3.18"')
    assert msg.startswith(f"platform.yaml:{where}: tracking.version: pin a full"), msg


def test_supported_mlflow_version_validates(tmp_path):
    text = edit("  artifact_bucket: artifacts\n", '  artifact_bucket: artifacts\n  version: "3.9.0"\n')
    validate(load_spec(write(tmp_path, text)))


# --------------------------------------------------------------------------- orchestrator


def test_airflow_version_without_a_chart_is_refused(tmp_path):
    # Airflow 3 needs the chart's apiServer values, which mlplat does not write yet.
    text = edit("  kind: airflow\n", '  kind: airflow\n  version: "3.0.2"\n')
    msg = only(tmp_path, text)
    where = at_value(text, 'version: "3.0.2"')
    assert msg.startswith(f"platform.yaml:{where}: orchestrator.version: pin a full Airflow release of"), msg
    assert "2.10.x" in msg


def test_dags_from_an_ssh_repository_need_a_key(tmp_path):
    text = edit("  kind: airflow\n", "  kind: airflow\n  dags:\n    git: {repo: 'git@github.com:acme/dags.git'}\n")
    msg = only(tmp_path, text)
    assert ": orchestrator.dags.git.ssh_key: an ssh repository needs ssh_key" in msg, msg


def test_dags_repository_url_is_checked(tmp_path):
    text = edit("  kind: airflow\n", "  kind: airflow\n  dags:\n    git: {repo: 'ftp://host/dags'}\n")
    msg = only(tmp_path, text)
    assert ": orchestrator.dags.git.repo: not a Git repository URL" in msg, msg


def test_dags_subpath_stays_inside_the_repository(tmp_path):
    text = edit(
        "  kind: airflow\n",
        "  kind: airflow\n  dags:\n    git: {repo: 'https://github.com/acme/dags.git', subpath: '../etc'}\n",
    )
    msg = only(tmp_path, text)
    assert ": orchestrator.dags.git.subpath: must be a relative folder" in msg, msg


def test_dags_and_logs_bucket_are_airflow_only(tmp_path):
    text = edit("  kind: airflow\n", "  kind: kubeflow-pipelines\n  logs_bucket: artifacts\n")
    msg = only(tmp_path, text)
    assert ": orchestrator.logs_bucket: logs_bucket applies to airflow only" in msg, msg


def test_logs_bucket_must_be_declared(tmp_path):
    text = edit("  kind: airflow\n", "  kind: airflow\n  logs_bucket: logz\n")
    msg = only(tmp_path, text)
    assert ": orchestrator.logs_bucket: logs bucket 'logz' is not a declared bucket" in msg, msg


def test_airflow_dags_over_https_validate(tmp_path):
    text = edit(
        "  kind: airflow\n",
        "  kind: airflow\n  version: '2.10.3'\n  dags:\n    git: {repo: 'https://github.com/acme/dags.git', subpath: dags}\n",
    )
    validate(load_spec(write(tmp_path, text)))


def test_json_schema_describes_the_dags_source():
    from mlplat.stacks.platform_spec.schema import spec_json_schema

    schema = spec_json_schema()
    defs = schema.get("$defs") or schema.get("definitions")
    git = defs["GitSource"]
    assert git["required"] == ["repo"] and git["additionalProperties"] is False
    assert "git@host:org/repo.git" in git["properties"]["repo"]["description"]
    assert "airflow" in defs["Orchestrator"]["properties"]["dags"]["description"]


# --------------------------------------------------------------------------- feature store


@pytest.mark.parametrize("version", ["0.40.1", "0.46.0"])
def test_feast_version_before_quay_is_refused(tmp_path, version):
    # 0.40.1 has no `feast serve --metrics`; images before 0.47.0 are not on quay.io/feastdev.
    text = edit("  offline_bucket: features\n", f'  offline_bucket: features\n  version: "{version}"\n')
    msg = only(tmp_path, text)
    where = at_value(text, 'version: "' + version + '"')
    assert msg.startswith(f"platform.yaml:{where}: feature_store.version: Feast {version} is not supported"), msg


def test_feature_repo_is_https_only(tmp_path):
    text = edit(
        "  offline_bucket: features\n",
        "  offline_bucket: features\n  repo:\n    git: {repo: 'git@github.com:acme/f.git'}\n",
    )
    msg = only(tmp_path, text)
    assert ": feature_store.repo.git.repo: the feature repository is cloned over https only" in msg, msg


def test_feature_repo_over_https_validates(tmp_path):
    text = edit(
        "  offline_bucket: features\n",
        "  offline_bucket: features\n  version: '0.66.0'\n  repo:\n    git: {repo: 'https://github.com/acme/f.git'}\n",
    )
    validate(load_spec(write(tmp_path, text)))


def test_kfp_version_must_be_vendored(tmp_path):
    text = edit("  kind: airflow\n", '  kind: kubeflow-pipelines\n  version: "2.17"\n')
    msg = only(tmp_path, text)
    where = at_value(text, 'version: "2.17"')
    assert msg.startswith(f"platform.yaml:{where}: orchestrator.version: Kubeflow Pipelines '2.17' is not vendored"), msg
    assert "did you mean '2.17.0'?" in msg
