"""The console script leaves each run's cyclic garbage to process exit; libraries keep collecting."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest
from mlplat.stacks import plan as plan_pkg
from mlplat.stacks.plan.offline import run_program


def _program() -> None:
    import pulumi

    class Thing(pulumi.ComponentResource):
        def __init__(self, name: str) -> None:
            super().__init__("mlplat:test:Thing", name)
            self.register_outputs({})

    for i in range(20):
        Thing(f"thing-{i}")


@pytest.fixture
def short_lived(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(plan_pkg._SHORT_LIVED, "value", True)
    yield
    gc.unfreeze()


def test_a_library_run_keeps_the_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(plan_pkg._SHORT_LIVED, "value", False)
    before = gc.get_freeze_count()
    assert len(run_program(_program, "p", "s")) == 20
    assert gc.get_freeze_count() == before
    assert gc.isenabled()


def test_a_short_lived_run_freezes_its_garbage(short_lived: None) -> None:
    gc.unfreeze()
    assert len(run_program(_program, "p", "s")) == 20
    assert gc.get_freeze_count() > 1000  # the run's objects, out of the collector's way
    assert gc.isenabled()


def test_the_console_script_declares_itself_short_lived() -> None:
    code = (
        "import atexit\n"
        "import mlplat.stacks.plan as p\n"
        "atexit.register(lambda: print('short-lived:', p.is_short_lived()))\n"
        "from mlplat.cli.main import main\n"
        "main(['--version'])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120)
    assert "short-lived: True" in out.stdout, out.stderr
