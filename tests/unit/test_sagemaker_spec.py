"""validate on the managed AWS path: what works without a cluster, and every combination that cannot."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from mlplat.stacks import load_spec, validate

from tests.unit.spec_text import diagnostics

HEAD = """\
apiVersion: mlplat.io/v1alpha1
kind: Platform
metadata: {name: fraud, owner: ml@acme.example}
target: {provider: aws, region: us-east-1}
storage:
  buckets:
    - {name: artifacts, purpose: artifacts, versioning: true}
    - {name: dags, purpose: dags}
environments: {dev: {}, prod: {}}
"""

SERVING = """\
serving:
  kind: sagemaker
  models:
    - name: m
      format: xgboost
      uri: s3://models/m/model.tar.gz
"""


def check(tmp_path: Path, body: str, head: str = HEAD) -> list[str]:
    path = tmp_path / "platform.yaml"
    path.write_text(head + textwrap.dedent(body))
    return diagnostics(path)


def test_cluster_less_managed_platform_validates(tmp_path):
    body = SERVING + "tracking: {kind: sagemaker-mlflow}\norchestrator: {kind: mwaa, version: 2.10.3}\n"
    assert check(tmp_path, body) == []


def test_cluster_workloads_still_need_a_cluster_beside_sagemaker(tmp_path):
    errs = check(tmp_path, SERVING + "feature_store: {kind: feast}\n")
    assert errs == ["platform.yaml:16:16: feature_store: feature_store on provider: aws needs a cluster section "
                    "(it runs on Kubernetes)"]


def test_managed_kinds_need_aws(tmp_path):
    head = HEAD.replace("target: {provider: aws, region: us-east-1}", "target: {provider: kubernetes, context: lab}")
    errs = check(tmp_path, SERVING, head)
    assert any("serving.kind: sagemaker is an AWS service: it needs target.provider: aws" in e for e in errs), errs


@pytest.mark.parametrize(
    "line,expected",
    [
        ("      instance_type: ml.g5.xlarg\n", "not a SageMaker hosting instance type: 'ml.g5.xlarg'; did you mean 'ml.g5.xlarge'?"),
        ("      instance_type: ml.c7g.large\n", "ml.c7g.large is a Graviton (arm64) type and the framework images are x86"),
        ("      resources: {cpu: '2'}\n", "resources have no effect on SageMaker"),
    ],
)
def test_model_settings(tmp_path, line, expected):
    errs = check(tmp_path, SERVING + line)
    assert len(errs) == 1 and expected in errs[0], errs
    assert errs[0].startswith(("platform.yaml:16:22: serving.models[0].instance_type:",  # at the value
                               "platform.yaml:16:18: serving.models[0].resources:")), errs


def test_format_without_framework_image_needs_image(tmp_path):
    errs = check(tmp_path, SERVING.replace("format: xgboost", "format: onnx"))
    assert errs == ["platform.yaml:14:15: serving.models[0].format: SageMaker has no framework image for format "
                    "'onnx' (framework images: sklearn, xgboost, pytorch, tensorflow); set image"]
    assert check(tmp_path, SERVING.replace("format: xgboost", "format: onnx") + "      image: 123.dkr.ecr.us-east-1.amazonaws.com/onnx:1\n") == []


def test_uri_must_be_s3(tmp_path):
    errs = check(tmp_path, SERVING.replace("s3://models/m/model.tar.gz", "https://models.example/m.tar.gz"))
    assert errs == ["platform.yaml:15:12: serving.models[0].uri: a SageMaker model is an s3:// URI of a model.tar.gz"]


def test_sagemaker_only_keys_are_errors_elsewhere(tmp_path):
    head = HEAD + "cluster:\n  node_pools: [{name: cpu, instance_type: m6i.large, min_size: 1, max_size: 2}]\n"
    errs = check(tmp_path, SERVING.replace("kind: sagemaker", "kind: kserve") + "      instance_type: ml.m5.xlarge\n",
                 head)
    assert errs == ["platform.yaml:18:22: serving.models[0].instance_type: instance_type applies to serving.kind "
                    "sagemaker only"]


def test_mwaa_version_and_class_are_what_mwaa_offers(tmp_path):
    errs = check(tmp_path, "orchestrator: {kind: mwaa, version: 2.10.4, environment_class: mw1.smal}\n")
    assert any("MWAA does not offer Airflow '2.10.4'; did you mean '2.10.3'?" in e for e in errs), errs
    assert any("unknown MWAA environment class 'mw1.smal'; did you mean 'mw1.small'?" in e for e in errs), errs


def test_mwaa_needs_a_dag_bucket(tmp_path):
    head = HEAD.replace("    - {name: dags, purpose: dags}\n", "")
    errs = check(tmp_path, "orchestrator: {kind: mwaa}\n", head)
    assert errs == ["platform.yaml:9:15: orchestrator: mwaa needs a DAG bucket: set dag_bucket or declare a bucket "
                    "with purpose: dags"]


def test_sagemaker_mlflow_refuses_what_aws_runs_for_it(tmp_path):
    errs = check(tmp_path, "tracking: {kind: sagemaker-mlflow, replicas: 3}\n")
    assert errs == ["platform.yaml:10:46: tracking.replicas: replicas has no effect on sagemaker-mlflow "
                    "(AWS runs the server)"]


def test_prod_profile_does_not_fill_managed_tracking(tmp_path):
    """The prod profile's tracking defaults (replicas, a multi-AZ database) do not land on sagemaker-mlflow."""
    path = tmp_path / "platform.yaml"
    path.write_text(HEAD + "tracking: {kind: sagemaker-mlflow}\n")
    resolved = validate(load_spec(path))
    assert resolved["prod"].spec.tracking is not None
    assert "replicas" not in resolved["prod"].spec.tracking.model_fields_set
    assert "database" not in resolved["prod"].spec.tracking.model_fields_set


def test_traffic_router_on_kserve_is_a_located_error_not_a_crash(tmp_path):
    """A merge once left the GPU-pool check outside the model loop: this spec ended in exit 3."""
    head = HEAD.replace("target: {provider: aws, region: us-east-1}", "target: {provider: kubernetes, context: lab}")
    errs = check(tmp_path, "serving:\n  kind: kserve\n  traffic_router: istio\n  models:\n"
                           "    - {name: m, format: sklearn, uri: 's3://b/m', resources: {gpu: 1}}\n", head)
    assert errs == ["platform.yaml:12:19: serving.traffic_router: traffic_router applies to seldon only, not kserve"]
