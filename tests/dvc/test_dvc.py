"""DVC remotes: the `.dvc/config` INI per target, `mlplat outputs --dvc`, and the GitHub OIDC CI role."""

from __future__ import annotations

import configparser
import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from mlplat.cli.main import cli
from mlplat.modules.common import Context
from mlplat.modules.storage import Storage, StorageArgs
from mlplat.stacks import SpecError, load_platform, load_spec, validate
from mlplat.stacks.errors import MlplatError
from mlplat.stacks.repo.dvc import dvc_config

from tests.modules import workload_harness as h

ROOT = Path(__file__).resolve().parents[2]


def spec_text(target: str, ci: str = "", purpose: str = "dvc") -> str:
    return textwrap.dedent(f"""\
        apiVersion: mlplat.io/v1alpha1
        kind: Platform
        metadata: {{name: lab}}
        target: {target}
        storage:
          buckets:
            - {{name: data, purpose: {purpose}{ci}}}
            - {{name: more, purpose: dvc}}
        environments: {{prod: {{profile: prod}}}}
        """)


def parse(text: str) -> configparser.ConfigParser:
    cp = configparser.ConfigParser(interpolation=None)
    cp.read_string(text)
    return cp


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "platform.yaml"
    p.write_text(text)
    return p


def test_aws_remote_has_url_and_region(tmp_path):
    resolved = load_platform(write(tmp_path, spec_text("{provider: aws, region: eu-west-1}")), "prod")
    text = dvc_config(resolved, "210987654321")
    cp = parse(text)
    # DVC names remote sections `remote "<name>"`; [core] remote picks the default (the first dvc bucket)
    assert cp.sections() == ["core", 'remote "data"', 'remote "more"']
    assert dict(cp["core"]) == {"remote": "data"}
    # S3 names are global: on aws the account ID ends the name (DESIGN 4)
    assert dict(cp['remote "data"']) == {"url": "s3://lab-prod-data-210987654321", "region": "eu-west-1"}
    assert '[remote "more"]\nurl = s3://lab-prod-more-210987654321\n' in text


def test_aws_remote_needs_the_account(tmp_path):
    resolved = load_platform(write(tmp_path, spec_text("{provider: aws, region: eu-west-1}")), "prod")
    with pytest.raises(MlplatError, match="account ID"):
        dvc_config(resolved)


def test_kubernetes_remote_points_at_minio(tmp_path):
    cp = parse(dvc_config(load_platform(write(tmp_path, spec_text("{provider: kubernetes, context: lab}")), "prod")))
    # MinIO runs as service `minio` in the storage namespace {platform}-{env}-storage, S3 port 9000
    assert dict(cp['remote "data"']) == {
        "url": "s3://lab-prod-data", "endpointurl": "http://minio.lab-prod-storage.svc.cluster.local:9000",
    }


def test_compose_remote_points_at_the_laptop(tmp_path):
    cp = parse(dvc_config(load_platform(write(tmp_path, spec_text("{provider: compose}")), "prod")))
    assert dict(cp['remote "data"']) == {"url": "s3://lab-prod-data", "endpointurl": "http://127.0.0.1:9000"}


def test_no_credentials_are_written(tmp_path):
    text = dvc_config(load_platform(write(tmp_path, spec_text("{provider: kubernetes, context: lab}")), "prod"))
    keys = {k for s in parse(text).sections() for k in parse(text)[s]}
    assert keys == {"remote", "url", "endpointurl"}


def test_cli_prints_and_writes(tmp_path):
    spec = write(tmp_path, spec_text("{provider: aws}"))
    r = CliRunner().invoke(cli, ["outputs", str(spec), "--env", "prod", "--dvc", "--account-id", "210987654321"])
    assert r.exit_code == 0, r.output
    # us-east-1: the default region
    assert "url = s3://lab-prod-data-210987654321\n" in r.output and "region = us-east-1" in r.output
    out = tmp_path / ".dvc" / "config"
    r = CliRunner().invoke(cli, ["outputs", str(spec), "--env", "prod", "--dvc", "--out", str(out),
                                 "--account-id", "210987654321"])  # fmt: skip
    assert r.exit_code == 0 and parse(out.read_text())['remote "data"']["url"] == "s3://lab-prod-data-210987654321"
    r = CliRunner().invoke(cli, ["outputs", str(spec), "--env", "prod", "--dvc", "--account-id", "12345"])
    assert r.exit_code == 2 and "an AWS account ID is 12 digits" in r.output


def test_cli_reads_the_account_from_sts(tmp_path, monkeypatch):
    """Without --account-id the account comes from the credentials (moto answers STS; an account
    other than moto's default 123456789012, which is also the offline plan's)."""
    from moto import mock_aws

    for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "345678901234")
    spec = write(tmp_path, spec_text("{provider: aws}"))
    with mock_aws():
        r = CliRunner().invoke(cli, ["outputs", str(spec), "--env", "prod", "--dvc"])
    assert r.exit_code == 0, r.output
    assert parse(r.stdout)['remote "data"']["url"] == "s3://lab-prod-data-345678901234"


def test_cli_without_dvc_bucket_is_a_user_error(tmp_path):
    spec = write(tmp_path, spec_text("{provider: aws}").replace("purpose: dvc", "purpose: artifacts"))
    r = CliRunner().invoke(cli, ["outputs", str(spec), "--env", "prod", "--dvc", "--account-id", "210987654321"])
    assert r.exit_code == 2 and "no bucket has purpose: dvc" in r.output


def errors(tmp_path: Path, text: str) -> list[str]:
    p = write(tmp_path, text)
    try:
        validate(load_spec(p))
    except SpecError as exc:
        return [str(d).replace(str(p), "platform.yaml") for d in exc.diagnostics]
    return []


def test_ci_only_on_dvc_buckets_and_aws(tmp_path):
    ci = ", ci: {github: acme/data}"
    assert errors(tmp_path, spec_text("{provider: aws}", ci)) == []
    assert errors(tmp_path, spec_text("{provider: aws}", ci, purpose="artifacts")) == [
        "platform.yaml:7:44: storage.buckets[0].ci: ci applies to buckets with purpose: dvc only"
    ]
    errs = errors(tmp_path, spec_text("{provider: kubernetes, context: lab}", ci))
    assert len(errs) == 1 and "storage.buckets[0].ci: ci (a GitHub OIDC role) is only for provider: aws" in errs[0]
    errs = errors(tmp_path, spec_text("{provider: aws}", ", ci: {github: 'not a repo'}"))
    assert len(errs) == 1 and "storage.buckets[0].ci.github" in errs[0]


@pytest.fixture(scope="module")
def ci_plan(tmp_path_factory):
    p = tmp_path_factory.mktemp("dvc") / "platform.yaml"
    p.write_text(spec_text("{provider: aws}", ", ci: {github: acme/data}"))
    ctx = Context.from_resolved(load_platform(p, "prod"))
    return h.run(lambda: Storage("storage", StorageArgs(ctx, ctx.resolved.spec.storage)))


def test_ci_role_trusts_only_the_repo_through_github_oidc(ci_plan):
    (role,) = ci_plan.of_type("aws:iam/role:Role")
    assert role.name == "storage-data-ci"  # only the bucket with `ci` gets a role
    (stmt,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    # 123456789012: the offline mocks' account id; the provider is assumed to exist (not created)
    assert stmt["Principal"] == {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}
    assert stmt["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert stmt["Condition"] == {
        "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
        "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/data:*"},
    }
    assert ci_plan.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []


def test_ci_role_policy_is_scoped_to_its_bucket(tmp_path):
    # provider-managed encryption: no key ARN, so the whole policy is known in an offline plan
    text = spec_text("{provider: aws}", ", ci: {github: acme/data}").replace("storage:\n", "storage:\n  encryption: provider\n")
    ctx = Context.from_resolved(load_platform(write(tmp_path, text), "prod"))
    plan = h.run(lambda: Storage("storage", StorageArgs(ctx, ctx.resolved.spec.storage)))
    (pol,) = plan.of_type("aws:iam/rolePolicy:RolePolicy")
    doc = json.loads(pol.inputs["policy"])
    resources = sorted({r for s in doc["Statement"] for r in s["Resource"]})
    # 123456789012: the offline plan's account (stacks/plan/offline.py), ending the bucket name
    assert resources == ["arn:aws:s3:::lab-prod-data-123456789012", "arn:aws:s3:::lab-prod-data-123456789012/*"]
    actions = sorted({a for s in doc["Statement"] for a in s["Action"]})
    assert actions == ["s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket", "s3:PutObject"]


def test_ci_role_policy_with_the_platform_key_waits_for_it(ci_plan):
    # under kms the key ARN is known only after apply: the policy is computed from it, not guessed
    (pol,) = ci_plan.of_type("aws:iam/rolePolicy:RolePolicy")
    assert pol.inputs["policy"] == "<unknown>"
    from mlplat.modules.k8s import s3_access_policy

    doc = s3_access_policy(["arn:aws:s3:::b"], write=True, kms_key_arns=["arn:aws:kms:us-east-1:1:key/k"])
    assert doc["Statement"][-1] == {"Sid": "BucketKey", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                                    "Resource": ["arn:aws:kms:us-east-1:1:key/k"]}
