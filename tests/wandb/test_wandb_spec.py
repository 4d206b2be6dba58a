"""validate on tracking.kind wandb: the two modes, and each combination that cannot work, located."""

from __future__ import annotations

import textwrap
from pathlib import Path

from mlplat.stacks import load_platform

from tests.unit.spec_text import diagnostics

HEAD = """\
apiVersion: mlplat.io/v1alpha1
kind: Platform
metadata: {name: fraud}
target: {provider: aws, region: us-east-1}
storage:
  buckets:
    - {name: artifacts, purpose: artifacts}
cluster:
  node_pools: [{name: system, instance_type: m6i.large, min_size: 1, max_size: 2}]
environments: {dev: {profile: dev}, prod: {profile: prod}}
"""


def check(tmp_path: Path, body: str, head: str = HEAD) -> list[str]:
    path = tmp_path / "platform.yaml"
    path.write_text(head + textwrap.dedent(body))
    return diagnostics(path)


SAAS = "tracking: {kind: wandb, mode: saas, base_url: 'https://api.wandb.ai', api_key: {from_env: WANDB_API_KEY}}\n"
SELF = "tracking: {kind: wandb, mode: self-managed, license: {secret_ref: aws-secrets-manager/wandb}}\n"


def test_both_modes_validate_in_every_profile(tmp_path):
    # dev and prod profiles write tracking.replicas/database defaults: W&B must not inherit the MLflow ones
    assert check(tmp_path, SAAS) == []
    assert check(tmp_path, SELF) == []


def test_saas_needs_no_cluster_nor_bucket(tmp_path):
    head = HEAD.split("storage:")[0] + "environments: {dev: {}}\n"
    assert check(tmp_path, SAAS, head) == []


def test_saas_without_base_url_or_api_key(tmp_path):
    errs = check(tmp_path, "tracking: {kind: wandb, mode: saas}\n")
    # line 11 is the tracking line (10 lines of HEAD); column 11 is where its mapping starts
    assert errs == [
        "platform.yaml:11:11: tracking: wandb mode saas needs base_url",
        "platform.yaml:11:11: tracking: wandb mode saas needs api_key",
    ]


def test_mode_is_required(tmp_path):
    assert check(tmp_path, "tracking: {kind: wandb}\n") == [
        "platform.yaml:11:11: tracking: tracking.kind wandb needs mode: saas or self-managed"
    ]


def test_self_managed_needs_a_license(tmp_path):
    assert check(tmp_path, "tracking: {kind: wandb, mode: self-managed}\n") == [
        "platform.yaml:11:11: tracking: wandb mode self-managed needs license (a secret reference)"
    ]


def test_license_must_be_a_reference(tmp_path):
    errs = check(tmp_path, "tracking: {kind: wandb, mode: self-managed, license: abc-123-literal}\n")
    assert len(errs) == 1 and "tracking.license" in errs[0] and "references, not literals" in errs[0]
    assert "abc-123-literal" not in errs[0]  # a literal credential is never echoed


def test_saas_refuses_deploy_only_keys(tmp_path):
    errs = check(tmp_path, SAAS[:-2] + ", license: {from_env: L}}\n")
    assert len(errs) == 1
    assert errs[0].endswith("tracking.license: license has no effect on wandb mode saas (nothing is deployed)")


def test_mlflow_knobs_refused_on_wandb(tmp_path):
    errs = check(tmp_path, SELF[:-2] + ", version: '2.16.2'}\n")
    assert len(errs) == 1 and ": tracking.version: version applies to tracking.kind mlflow only" in errs[0]


def test_wandb_keys_refused_on_mlflow(tmp_path):
    errs = check(tmp_path, "tracking: {kind: mlflow, mode: saas}\n")
    assert errs == ["platform.yaml:11:32: tracking.mode: mode applies to tracking.kind wandb only"]


def test_base_url_must_be_a_plain_url(tmp_path):
    errs = check(tmp_path, SAAS.replace("https://api.wandb.ai", "https://u:p@api.wandb.ai"))
    assert len(errs) == 1 and "tracking.base_url: " in errs[0] and "without credentials" in errs[0]


def test_wandb_on_compose_is_refused(tmp_path):
    head = HEAD.replace("target: {provider: aws, region: us-east-1}", "target: {provider: compose}").split("cluster:")[0]
    head += "environments: {dev: {}}\n"
    errs = check(tmp_path, SAAS, head)
    assert len(errs) == 1 and ": tracking.kind: wandb does not run on target.provider compose" in errs[0]


def test_self_managed_on_aws_needs_a_cluster(tmp_path):
    head = HEAD.split("cluster:")[0] + "environments: {dev: {}}\n"
    errs = check(tmp_path, SELF, head)
    assert errs == ["platform.yaml:9:11: tracking: tracking on provider: aws needs a cluster section (it runs on Kubernetes)"]


def test_profile_database_defaults_reach_self_managed_mysql(tmp_path):
    path = tmp_path / "platform.yaml"
    path.write_text(HEAD + SELF)
    t = load_platform(path, "prod").spec.tracking
    assert t.mode == "self-managed" and "replicas" not in t.model_fields_set
    assert t.database.deletion_protection is True  # envs/prod.yaml's database default
