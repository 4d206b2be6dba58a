"""The console script leaves each run's cyclic garbage to process exit (libraries keep collecting) and
skips pydantic's plugin discovery."""

from __future__ import annotations

import gc
import os
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
        "import os\n"
        "atexit.register(lambda: print('short-lived:', p.is_short_lived(), os.environ.get('PYDANTIC_DISABLE_PLUGINS')))\n"
        "from mlplat.cli.main import main\n"
        "main(['--version'])\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120,
                         env=env)  # fmt: skip
    # …and skips pydantic's plugin discovery (an entry-point scan of every installed package).
    assert "short-lived: True __all__" in out.stdout, out.stderr
    env["PYDANTIC_DISABLE_PLUGINS"] = ""  # a user who wants plugins keeps them
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120,
                         env=env)  # fmt: skip
    assert out.stdout.strip().endswith("short-lived: True"), out.stdout
