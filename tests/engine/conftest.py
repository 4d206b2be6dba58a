"""Fixtures for the Pulumi engine tests: small specs, a fake `pulumi` on PATH, a fake stack.

The fakes stand in for the Pulumi CLI only; everything mlplat decides (names, backend,
secrets, confirmation, targets, summaries, exit codes) runs for real.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from mlplat.cli import engine_cmds

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

# Storage plus a network: in prod the network is not needed by the data, so a protected
# destroy has something to delete.
NETWORK_STORAGE_SPEC = STORAGE_SPEC.replace(
    "storage:\n", "network: {cidr: 10.60.0.0/16, az_count: 2, nat: none}\nstorage:\n", 1
)

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
def network_spec(tmp_path: Path) -> Path:
    p = tmp_path / "platform.yaml"
    p.write_text(NETWORK_STORAGE_SPEC, encoding="utf-8")
    return p


def state_from_plan(plan) -> list[dict[str, Any]]:
    """What the state of a fully deployed environment looks like (export_stack resources):
    the plan's resources under their real-engine URNs, with parents, providers, dependencies."""
    from mlplat.stacks import engine

    urn = {r.urn: engine.engine_urn(plan, r) for r in plan.resources}
    stack = engine.stack_name_for(plan.platform, plan.environment)
    root = f"urn:pulumi:{stack}::{plan.platform}::pulumi:pulumi:Stack::{plan.platform}-{stack}"
    out: list[dict[str, Any]] = [{"urn": root, "type": "pulumi:pulumi:Stack", "custom": False}]
    for r in plan.resources:
        out.append({
            "urn": urn[r.urn], "type": r.type, "custom": r.custom, "protect": r.protect,
            "id": engine.physical_name(r) or r.name,
            "parent": urn.get(r.parent or "", root),
            "provider": f"{urn[r.provider]}::0000-provider-id" if r.provider in urn else None,
            "dependencies": [urn[d] for d in r.dependencies if d in urn],
        })
    return out


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
    """Records what the engine was asked to do; answers like pulumi.automation.Stack.

    `changes` answers preview/up/refresh. With a `state` (export_stack resources), destroys
    act on it: every resource, or only the targeted URNs, as Pulumi would.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.changes: dict[str, int] = {"create": 2, "same": 1}
        self.state: list[dict[str, Any]] = []
        self.fail: Exception | None = None

    def _record(self, name: str, kwargs: dict[str, Any]) -> None:
        self.calls.append((name, kwargs))
        if self.fail is not None and not name.startswith("preview"):
            raise self.fail

    def _doomed(self, target: list[str] | None) -> list[dict[str, Any]]:
        if target is not None and not target:
            raise AssertionError("an empty target list would destroy everything")
        return [r for r in self.state if r["type"] != "pulumi:pulumi:Stack" and (target is None or r["urn"] in target)]

    def preview(self, **kw: Any) -> _Result:
        self._record("preview", kw)
        return _Result(self.changes)

    def up(self, **kw: Any) -> _Result:
        self._record("up", kw)
        return _Result(self.changes)

    def preview_destroy(self, **kw: Any) -> _Result:
        self._record("preview_destroy", kw)
        return _Result({"delete": len(self._doomed(kw.get("target")))})

    def destroy(self, **kw: Any) -> _Result:
        self._record("destroy", kw)
        doomed = self._doomed(kw.get("target"))
        self.state = [r for r in self.state if r not in doomed]
        return _Result({"delete": len(doomed)})

    def preview_refresh(self, **kw: Any) -> _Result:
        self._record("preview_refresh", kw)
        return _Result(self.changes)

    def refresh(self, **kw: Any) -> _Result:
        self._record("refresh", kw)
        return _Result(self.changes)

    def export_stack(self) -> Any:
        self.calls.append(("export_stack", {}))
        return type("Deployment", (), {"deployment": {"resources": list(self.state)}})()

    def names(self, exports: bool = False) -> list[str]:
        return [c[0] for c in self.calls if exports or c[0] != "export_stack"]

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

    from mlplat.stacks.engine import driver

    monkeypatch.setattr(engine, "open_stack", open_stack)  # what the commands call
    monkeypatch.setattr(driver, "open_stack", open_stack)  # what engine_preview calls
    monkeypatch.setattr(engine_cmds, "leftover_finder", lambda: None)  # no AWS here: the note path
    return stack
