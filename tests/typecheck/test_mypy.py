"""mypy over the Pulumi code (modules/, stacks/) against the pulumi-aws / pulumi-kubernetes hints.

Offline, Pulumi accepts wrongly typed resource arguments silently (a string where a list
belongs); the real provider would reject them at `up`. This keeps that class of bug out.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_mypy_clean_on_modules_and_stacks():
    if shutil.which("mypy") is None and subprocess.run([sys.executable, "-m", "mypy", "--version"],
                                                       capture_output=True).returncode != 0:
        pytest.fail("mypy is not installed: pip install '.[dev]'")
    res = subprocess.run(
        [sys.executable, "-m", "mypy", "modules", "stacks", "policies"],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    assert res.returncode == 0, res.stdout + res.stderr
