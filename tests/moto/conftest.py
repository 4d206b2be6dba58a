"""Fixtures for the drift tests against moto: in-process (`mock_aws`) and its server on 127.0.0.1.

Fake credentials are set for every test and the instance metadata service is disabled, so
nothing ever leaves the machine; AWS_ENDPOINT_URL points boto3 at the server in server mode.
"""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

SPECS = Path(__file__).parent / "specs"
SPEC = SPECS / "aws.yaml"
ENV = "dev"
REGION = "eu-west-1"  # the spec's target.region; deliberately not the boto3 default


@cache
def resolved_and_plan():
    """The offline plan of the test spec, computed once (it costs seconds)."""
    from mlplat.stacks import load_platform
    from mlplat.stacks.plan.offline import run_offline

    resolved = load_platform(SPEC, ENV)
    return resolved, run_offline(resolved)


@pytest.fixture(autouse=True)
def fake_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never probe 169.254.169.254
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture(params=["inprocess", "server"])
def aws(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A clean emulated AWS account, either way moto runs; yields the mode."""
    if request.param == "inprocess":
        from moto import mock_aws

        with mock_aws():
            yield "inprocess"
    else:
        url = request.getfixturevalue("moto_server")
        urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10).read()
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        yield "server"


@pytest.fixture
def aws_inprocess() -> Iterator[str]:
    """Only in-process moto: for the many single-change cases (cheaper than a server round-trip)."""
    from moto import mock_aws

    with mock_aws():
        yield "inprocess"
