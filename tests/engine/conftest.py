"""Fixtures for the Pulumi engine tests: small specs, a fake `pulumi` on PATH, a fake stack.

The fakes stand in for the Pulumi CLI only; everything mlplat decides (names, backend,
secrets, confirmation, targets, summaries, exit codes) runs for real.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

# A storage-only aws platform: the smallest spec with stateful resources (KMS key, bucket).
STORAGE_SPEC = """\
apiVersion: mlplat.io/v1alpha1
kind: Platform
metadata: {name: demo, owner: ml@example.com}
target: {provider: aws, region: us-east-1}
storage:
  encryption: kms
  buckets:
    - {name: artifacts, purpose: artifacts, versioning: true}
environments:
  dev: {}
  prod: {}
"""

K8S_SPEC = """\
apiVersion: mlplat.io/v1alpha1
kind: Platform
metadata: {name: onprem, owner: ml@example.com}
target: {provider: kubernetes, context: lab-cluster}
environments:
  dev: {}
"""


@pytest.fixture
def storage_spec(tmp_path: Path) -> Path:
    p = tmp_path / "platform.yaml"
    p.write_text(STORAGE_SPEC, encoding="utf-8")
    return p


@pytest.fixture
def k8s_spec(tmp_path: Path) -> Path:
    p = tmp_path / "onprem.yaml"
    p.write_text(K8S_SPEC, encoding="utf-8")
    return p


@pytest.fixture
def clean_engine_env(monkeypatch):
    """No ambient Pulumi settings leak into a test."""
    for var in ("PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def fake_pulumi_on_path(tmp_path: Path, monkeypatch) -> Path:
    """A `pulumi` executable that fails loudly if anything actually runs it.

    find_cli() sees it (so tests get past the missing-CLI check); the Pulumi boundary
    itself (open_stack) is replaced by FakeStack in the tests that use this.
    """
    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "pulumi"
    exe.write_text("#!/bin/sh\necho 'fake pulumi must not run' >&2\nexit 99\n", encoding="utf-8")
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", str(bindir) + os.pathsep + os.environ.get("PATH", ""))
    return exe


class _Result:
    def __init__(self, changes: dict[str, int]):
        self.change_summary = changes
        self.summary = type("Summary", (), {"resource_changes": changes})()


class FakeStack:
    """Records what the engine was asked to do; answers like pulumi.automation.Stack."""

    def __init__(self, changes: dict[str, int] | None = None, remaining: list[dict[str, Any]] | None = None,
                 fail: Exception | None = None):
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.changes = changes if changes is not None else {"create": 2, "same": 1}
        self.remaining = remaining or []
        self.fail = fail

    def _op(self, name: str, kwargs: dict[str, Any]) -> _Result:
        self.calls.append((name, kwargs))
        if self.fail is not None and not name.startswith("preview"):
            raise self.fail
        return _Result(self.changes)

    def preview(self, **kw: Any) -> _Result:
        return self._op("preview", kw)

    def up(self, **kw: Any) -> _Result:
        return self._op("up", kw)

    def preview_destroy(self, **kw: Any) -> _Result:
        return self._op("preview_destroy", kw)

    def destroy(self, **kw: Any) -> _Result:
        return self._op("destroy", kw)

    def preview_refresh(self, **kw: Any) -> _Result:
        return self._op("preview_refresh", kw)

    def refresh(self, **kw: Any) -> _Result:
        return self._op("refresh", kw)

    def export_stack(self) -> Any:
        self.calls.append(("export_stack", {}))
        return type("Deployment", (), {"deployment": {"resources": self.remaining}})()

    def names(self) -> list[str]:
        return [c[0] for c in self.calls]

    def kwargs(self, name: str) -> dict[str, Any]:
        return next(kw for n, kw in self.calls if n == name)


@pytest.fixture
def fake_stack(monkeypatch, fake_pulumi_on_path):
    """Replace open_stack (the Automation API boundary) with a FakeStack session."""
    from mlplat.stacks import engine

    stack = FakeStack()

    def open_stack(resolved, options=None):
        opts = options or engine.EngineOptions()
        backend = engine.resolve_backend(resolved.source, opts.backend, opts.environ)
        secrets = engine.resolve_secrets(opts.secrets_provider, backend, opts.environ)
        return engine.Session(resolved, stack, backend, secrets)

    monkeypatch.setattr(engine, "open_stack", open_stack)
    monkeypatch.setattr(engine, "_default_finder", lambda: None)  # no AWS here: the note path
    return stack
