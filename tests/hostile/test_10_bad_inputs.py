"""Item 10: bad plan files, unwritable outputs, malformed or hung endpoints, very long
--compare-to and a hanging `pulumi` each end in a clear exit 2 within a bounded time."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from tests.conftest import EXAMPLES
from tests.hostile.helpers import run

SPEC = str(EXAMPLES / "platform.yaml")


@pytest.mark.parametrize(
    "content, says",
    [
        ('{"resources": 5}', "'platform' is missing"),
        (b"\xff\xfe\x00", "not UTF-8"),
        ("[]", "top level is list"),
        ("{", "not JSON"),
        ('{"platform": "churn", "environment": "dev", "resources": [{"urn": 1}]}', "resources[0].urn"),
        ('{"platform": "churn", "environment": "dev", "resources": [{"urn": "u", "type": "t", "name": "n"}]}',
         "resources[0].inputs"),
    ],
)  # fmt: skip
@pytest.mark.parametrize("command", [["cost"], ["policy", "run", "--no-checkov"]])
def test_bad_plan_files_exit_2(tmp_path, content, says, command):
    plan = tmp_path / "plan.json"
    plan.write_bytes(content if isinstance(content, bytes) else content.encode())
    res = run(*command, SPEC, "--env", "dev", "--plan", str(plan))
    assert res.exit_code == 2, res.output  # was KeyError / TypeError / UnicodeDecodeError: exit 3
    assert says in res.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["preview", SPEC, "--env", "dev", "--out", "{out}"],
        ["graph", SPEC, "--env", "dev", "-o", "{out}"],
        ["cost", SPEC, "--env", "dev", "-o", "{out}"],
        ["schema", "-o", "{out}"],
        ["policy", "run", SPEC, "--env", "dev", "--no-checkov", "-o", "{out}"],
        ["check", SPEC, "--no-checkov", "--junit", "{out}"],
    ],
)
def test_unwritable_outputs_exit_2_before_any_work(tmp_path, command):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    out = blocker / "sub" / "out.json"  # a folder that cannot exist: its parent is a file
    t0 = time.perf_counter()
    res = run(*[a.format(out=out) for a in command])
    assert res.exit_code == 2, res.output
    assert "not a writable folder" in res.output
    assert time.perf_counter() - t0 < 5  # refused up front, not after planning


def test_output_that_is_a_directory_exits_2(tmp_path):
    res = run("graph", SPEC, "--env", "dev", "-o", str(tmp_path))
    assert res.exit_code == 2


@pytest.mark.parametrize("url", ["not a url", "http://[::1", "http://127.0.0.1:99999", "ftp://x", "http://"])
def test_malformed_aws_endpoint_url_exits_2(monkeypatch, url):
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    res = run("drift", SPEC, "--env", "dev")
    assert res.exit_code == 2, res.output  # was ValueError: exit 3
    assert "AWS_ENDPOINT_URL" in res.stderr or "endpoint" in res.stderr


@pytest.fixture
def hung_endpoint():
    """A TCP server on 127.0.0.1 that accepts connections and never answers."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    conns: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conns.append(srv.accept()[0])
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.getsockname()[1]}"
    stop.set()
    t.join(2)
    for c in conns:
        c.close()
    srv.close()


def test_hung_endpoint_fails_within_the_bounded_timeout(monkeypatch, hung_endpoint):
    monkeypatch.setenv("AWS_ENDPOINT_URL", hung_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("MLPLAT_AWS_READ_TIMEOUT", "1")
    t0 = time.perf_counter()
    res = run("drift", SPEC, "--env", "dev")
    took = time.perf_counter() - t0
    assert res.exit_code == 2, res.output
    assert "cannot reach the AWS endpoint" in res.stderr
    assert took < 20, took  # 2 attempts x 1 s read timeout, plus start-up; it was 128 s


def test_very_long_compare_to_exits_2():
    res = run("cost", SPEC, "--env", "dev", "--compare-to", "a" * 100_000)
    assert res.exit_code == 2, res.output
    assert "input limit 256" in res.stderr


@pytest.mark.parametrize("ref", ["--output=/tmp/x", "HEAD\n", "a..b..c/../x\x1b"])
def test_compare_to_never_reaches_git_as_an_option(ref):
    res = run("cost", SPEC, "--env", "dev", "--compare-to", ref)
    assert res.exit_code == 2, res.output
    assert "\x1b" not in res.output


def test_hanging_pulumi_is_a_bounded_exit_2(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "pulumi"
    exe.write_text("#!/bin/sh\nexec sleep 600\n")
    exe.chmod(0o755)
    import os

    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("MLPLAT_PULUMI_PROBE_TIMEOUT", "1")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "test")
    monkeypatch.setenv("PULUMI_BACKEND_URL", f"file://{tmp_path / 'state'}")
    t0 = time.perf_counter()
    res = run("up", SPEC, "--env", "dev", "--yes")
    assert res.exit_code == 2, res.output
    assert "did not answer within 1 s" in res.stderr
    assert time.perf_counter() - t0 < 30
