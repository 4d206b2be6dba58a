"""S3 bucket names are global: on aws they end in the deploying account's ID (DESIGN 4), and
everything that names a bucket follows; MinIO (kubernetes targets) and compose keep theirs.

The plans here are made for an account other than the offline default (123456789012, also
moto's default), so a name built from a constant instead of the account would show.
"""

from __future__ import annotations

import json
import textwrap

import pytest
from mlplat.stacks import SpecError, load_platform, load_spec, validate
from mlplat.stacks.plan.offline import run_offline

from tests.conftest import EXAMPLES

ACCOUNT = "210987654321"  # any 12 digits other than the offline default


@pytest.fixture(scope="module")
def prod():
    return run_offline(load_platform(EXAMPLES / "platform.yaml", "prod"), account_id=ACCOUNT)


def env_of(res, container: str | None = None) -> dict[str, object]:
    spec = res.inputs["spec"]
    pod = spec["template"]["spec"] if "template" in spec else spec["jobTemplate"]["spec"]["template"]["spec"]
    return {e["name"]: e.get("value") for c in pod["containers"] if container in (None, c["name"])
            for e in c.get("env", [])}  # fmt: skip


def test_every_bucket_is_named_for_the_account(prod):
    buckets = prod.of_type("aws:s3/bucket:Bucket")
    assert len(buckets) == 4  # examples/platform.yaml declares artifacts, datasets, features, data-docs
    names = sorted(r.inputs["bucket"] for r in buckets)
    assert names == [f"churn-prod-{b}-{ACCOUNT}" for b in ("artifacts", "data-docs", "datasets", "features")]
    for r in buckets:
        assert len(r.inputs["bucket"]) <= 63  # S3's limit
        assert r.tags["mlplat:resource"] == r.name  # ownership tags unchanged: the logical name


def test_workloads_follow_the_bucket_name(prod):
    art = f"churn-prod-artifacts-{ACCOUNT}"
    args = prod.named("tracking-deployment").inputs["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[args.index("--artifacts-destination") + 1] == f"s3://{art}/mlflow"
    assert env_of(prod.named("feature-store-server"))["FEAST_OFFLINE_BUCKET"] == f"s3://churn-prod-features-{ACCOUNT}"
    assert env_of(prod.named("monitoring-drift-reports"))["REPORT_BUCKET"] == art
    isvc = prod.named("serving-churn-classifier").inputs["spec"]
    # the spec writes s3://churn-prod-artifacts/… (the bucket's name before the account suffix):
    # it still means the declared bucket, now under its physical name
    assert isvc["predictor"]["model"]["storageUri"] == f"s3://{art}/models/churn-classifier/v3"
    assert isvc["predictor"]["logger"]["url"] == f"s3://{art}/inference-logs/churn-classifier"
    policy = json.loads(prod.named("storage-artifacts-policy").inputs["policy"])
    assert policy["Statement"][0]["Resource"] == [f"arn:aws:s3:::{art}", f"arn:aws:s3:::{art}/*"]


def test_kubernetes_target_keeps_minio_names():
    plan = run_offline(load_platform(EXAMPLES / "onprem.yaml", "prod"), account_id=ACCOUNT)
    text = json.dumps([r.inputs for r in plan.resources])
    assert ACCOUNT not in text and "123456789012" not in text
    job = next(r for r in plan.resources if r.name.endswith("minio-buckets") and r.type == "kubernetes:batch/v1:Job")
    script = " ".join(job.inputs["spec"]["template"]["spec"]["containers"][0]["command"])
    assert "mc mb --ignore-existing mlplat/research-prod-artifacts\n" in script  # {platform}-{env}-{name}, as before


SPEC = textwrap.dedent("""\
    apiVersion: mlplat.io/v1alpha1
    kind: Platform
    metadata: {{name: {name}}}
    target: {target}
    storage:
      buckets:
        - {{name: {bucket}, purpose: artifacts}}
    environments: {{prod: {{profile: prod}}}}
    """)


def errors(write_spec, target: str, name: str, bucket: str) -> list[str]:
    p = write_spec(SPEC.format(name=name, target=target, bucket=bucket))
    try:
        validate(load_spec(p))
    except SpecError as exc:
        return [str(d).replace(str(p), "platform.yaml") for d in exc.diagnostics]
    return []


def test_validate_counts_the_account_suffix_on_aws(write_spec):
    # 20 (name) + 1 + 4 (prod) + 1 + 24 (bucket) = 50, + 13 ("-" + 12 digits) = 63: the limit
    assert errors(write_spec, "{provider: aws}", "a" * 20, "b" * 24) == []
    # one more character: 64 > 63 on aws, located at the bucket's name
    errs = errors(write_spec, "{provider: aws}", "a" * 20, "b" * 25)
    assert errs == ["platform.yaml:7:14: storage.buckets[0].name: physical bucket name "
                    "{platform}-{env}-" + "b" * 25 + "-{account_id} would be 64 characters (max 63)"]
    # MinIO names carry no account: 51 characters are fine there
    assert errors(write_spec, "{provider: kubernetes, context: lab}", "a" * 20, "b" * 25) == []


def test_preview_shows_the_names_for_a_given_account():
    from click.testing import CliRunner
    from mlplat.cli.main import cli

    spec = str(EXAMPLES / "platform.yaml")
    res = CliRunner().invoke(cli, ["preview", spec, "--env", "dev", "--format", "json", "--account-id", ACCOUNT])
    assert res.exit_code == 0, res.output
    buckets = {r["inputs"]["bucket"] for r in json.loads(res.stdout)["resources"] if r["type"] == "aws:s3/bucket:Bucket"}
    assert f"churn-dev-artifacts-{ACCOUNT}" in buckets
    res = CliRunner().invoke(cli, ["preview", spec, "--env", "dev", "--account-id", "1234"])
    assert res.exit_code == 2 and "12 digits" in res.output
