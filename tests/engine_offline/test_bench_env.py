"""bench/bench_all.py times what a user's second run costs: the warm-up must leave .pyc files."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _bench_all(monkeypatch):
    spec = importlib.util.spec_from_file_location("bench_all_under_test", ROOT / "bench" / "bench_all.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # its dataclasses look their module up
    monkeypatch.setattr(sys, "path", list(sys.path))  # it puts bench/ on sys.path
    spec.loader.exec_module(module)
    return module


def test_bench_children_write_bytecode_whatever_the_callers_environment(monkeypatch, tmp_path):
    # Python skips writing .pyc for any non-empty PYTHONDONTWRITEBYTECODE, "0" included: the
    # benchmark once passed "0" and so compiled mlplat's own modules from source on every run.
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    bench = _bench_all(monkeypatch)
    env = bench.env()
    assert "PYTHONDONTWRITEBYTECODE" not in env
    assert env["MLPLAT_NO_CACHE"] == "1"
    (tmp_path / "probe_mod.py").write_text("X = 1\n")
    subprocess.run([sys.executable, "-c", "import probe_mod"], cwd=tmp_path, env=env, check=True)
    assert [p.name for p in (tmp_path / "__pycache__").glob("probe_mod.*.pyc")]
