"""The real Pulumi engine against an emulated AWS: up, preview, refresh and destroy of a
storage-only platform on a moto server at 127.0.0.1.

Needs the Pulumi CLI on PATH (and, on the first run, network access for mlplat to install
the aws, kubernetes and random resource plugins matching the installed SDKs); skipped cleanly
otherwise:

    pytest -m engine tests/engine

The program's aws provider reaches moto as any operator's would: credentials and the endpoint
from the environment (AWS_ACCESS_KEY_ID, AWS_ENDPOINT_URL), never saved in the state; stack
config (`--config aws:…`) only turns off the account and metadata lookups moto cannot answer.
"""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner
from mlplat.cli.main import cli

pytestmark = [
    pytest.mark.engine,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("pulumi") is None,
                       reason="needs the Pulumi CLI on PATH: curl -fsSL https://get.pulumi.com | sh"),
]

REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def moto_url():
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws_env(moto_url, monkeypatch):
    """Credentials and endpoint for everything that talks to AWS: the Pulumi CLI and its provider
    plugin (inherited environment) and boto3 (the leftover check, the assertions here)."""
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "engine-integration-test")
    monkeypatch.setenv("PULUMI_SKIP_UPDATE_CHECK", "true")
    return moto_url


@pytest.fixture
def config(aws_env) -> list[str]:
    """`--config` options letting the program's aws provider work against moto (AWS_ENDPOINT_URL)."""
    items = {
        "aws:skipCredentialsValidation": "true",
        "aws:skipRequestingAccountId": "true",
        "aws:skipMetadataApiCheck": "true",
        "aws:skipRegionValidation": "true",
        "aws:s3UsePathStyle": "true",  # no virtual-host buckets on 127.0.0.1
    }
    return [arg for k, v in items.items() for arg in ("--config", f"{k}={v}")]


@pytest.fixture
def s3(aws_env):
    import boto3

    return boto3.client("s3", endpoint_url=aws_env, region_name=REGION)


def _bucket_exists(s3, name: str) -> bool:
    return name in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}


def _state(spec: Path, stack: str) -> list[dict]:
    path = spec.parent / ".mlplat" / "state" / ".pulumi" / "stacks" / "demo" / f"{stack}.json"
    data = json.loads(path.read_text())
    return data["checkpoint"]["latest"].get("resources") or []


# moto's account (STS answers 123456789012 by default): S3 bucket names end in it (DESIGN 4).
DEV_BUCKET = "demo-dev-artifacts-123456789012"
PROD_BUCKET = "demo-prod-artifacts-123456789012"


def _run(args: list[str]):
    res = CliRunner().invoke(cli, args)
    assert "Traceback" not in res.output, res.output
    return res


def test_dev_up_preview_refresh_destroy(storage_spec, config, s3):
    spec = str(storage_spec)

    res = _run(["up", spec, "--env", "dev", "--yes", *config])
    assert res.exit_code == 0, res.output
    assert "up demo-dev:" in res.stdout and "created" in res.stdout
    assert _bucket_exists(s3, DEV_BUCKET)
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=DEV_BUCKET)["TagSet"]}
    assert tags["mlplat:platform"] == "demo" and tags["mlplat:environment"] == "dev"
    # state went to the default file backend beside the spec, under the stack demo-dev
    assert any(r["type"] == "aws:s3/bucket:Bucket" for r in _state(storage_spec, "demo-dev"))

    # a real `pulumi preview` right after up: nothing to change
    from mlplat.stacks import engine
    from mlplat.stacks.platform_spec.resolve import load_platform

    cfg = engine.parse_config_items(config[1::2])
    result = engine.engine_preview(load_platform(storage_spec, "dev"), config=cfg, echo=lambda line: None)
    assert not engine.has_changes(result.changes), result.changes

    res = _run(["refresh", spec, "--env", "dev", "--yes", *config])
    assert res.exit_code == 0, res.output
    assert "refresh demo-dev:" in res.stdout

    res = _run(["destroy", spec, "--env", "dev", "--yes", *config])
    assert res.exit_code == 0, res.output
    assert not _bucket_exists(s3, DEV_BUCKET)  # dev tears down completely
    assert [r for r in _state(storage_spec, "demo-dev") if r.get("custom")] == []
    # the leftover check ran against moto (AWS_ENDPOINT_URL) and found nothing
    assert "no other resource carries the ownership tags of demo-dev" in res.stdout


def test_prod_destroy_keeps_protected_data(network_spec, config, s3, aws_env):
    import boto3

    ec2 = boto3.client("ec2", endpoint_url=aws_env, region_name=REGION)

    def vpcs() -> list[str]:
        found = ec2.describe_vpcs(Filters=[{"Name": "tag:mlplat:environment", "Values": ["prod"]}])
        return [v["VpcId"] for v in found["Vpcs"]]

    spec = str(network_spec)
    res = _run(["up", spec, "--env", "prod", "--yes", *config])
    assert res.exit_code == 0, res.output
    assert _bucket_exists(s3, PROD_BUCKET) and vpcs()
    protected = {r["type"] for r in _state(network_spec, "demo-prod") if r.get("protect")}
    assert protected == {"aws:s3/bucket:Bucket", "aws:kms/key:Key"}

    # --yes alone is refused for a profile that protects data; nothing is touched
    res = _run(["destroy", spec, "--env", "prod", "--yes", *config])
    assert res.exit_code == 2 and "--allow-protected" in res.stderr
    assert _bucket_exists(s3, PROD_BUCKET) and vpcs()

    res = _run(["destroy", spec, "--env", "prod", "--yes", "--allow-protected", *config])
    assert res.exit_code == 0, res.output
    assert vpcs() == []  # the network is not needed by the data: it went
    assert _bucket_exists(s3, PROD_BUCKET)  # the data stayed, still managed and protected
    state = _state(network_spec, "demo-prod")
    assert {r["type"] for r in state if r.get("protect")} == {"aws:s3/bucket:Bucket", "aws:kms/key:Key"}
    assert not any(r["type"].startswith("aws:ec2/") for r in state)
    # the bucket keeps its lock-down settings (public access block, encryption)
    assert s3.get_public_access_block(Bucket=PROD_BUCKET)["PublicAccessBlockConfiguration"]
    listed = res.stdout.split("kept in demo-prod", 1)[1]
    for r in state:
        if r.get("custom") and not r["type"].startswith("pulumi:providers:"):
            assert r["id"] in listed  # the report lists exactly what the state still holds
    # what was kept on purpose is not reported as a leftover
    assert "warning:" not in res.stdout
