"""Shared fixtures. Sub-folders: unit, modules (Pulumi mocks), policies, golden, cli, moto."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
REFERENCE_SPECS = {
    "platform": (EXAMPLES / "platform.yaml", ("dev", "staging", "prod")),
    "onprem": (EXAMPLES / "onprem.yaml", ("staging", "prod")),
    "sagemaker": (EXAMPLES / "sagemaker.yaml", ("dev", "prod")),
}


@pytest.fixture(autouse=True)
def no_plan_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests compute their plans: a plan cached by one test (or a monkeypatched engine) must never
    answer another. The cache has its own tests (tests/engine_offline/test_plan_cache.py)."""
    monkeypatch.setenv("MLPLAT_NO_CACHE", "1")


@pytest.fixture
def examples_dir() -> Path:
    return EXAMPLES


@pytest.fixture
def write_spec(tmp_path: Path):
    """Write a spec text to a temp file and return its path."""

    def _write(text: str, name: str = "platform.yaml") -> Path:
        p = tmp_path / name
        p.write_text(text, encoding="utf-8")
        return p

    return _write


def resolved(spec: str | Path, env: str):
    from mlplat.stacks import load_platform

    return load_platform(spec, env)
