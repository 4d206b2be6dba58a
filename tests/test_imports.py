"""Commands import what they use, and nothing heavier (python -X importtime of a real process)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import EXAMPLES


def imported(args: list[str]) -> set[str]:
    res = subprocess.run([sys.executable, "-X", "importtime", "-m", "mlplat", *args],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    return {m.group(1) for m in re.finditer(r"\|\s+([\w.]+)\s*$", res.stderr, flags=re.M)}


def roots(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


@pytest.mark.parametrize("fmt", ["json", "table"])
def test_preview_imports_no_judge_and_no_cloud_client(fmt):
    mods = roots(imported(["preview", str(EXAMPLES / "platform.yaml"), "--env", "dev", "--format", fmt]))
    assert "pulumi_aws" in mods  # it really planned (the cache is off in tests)
    # policy (checkov), drift (boto3/botocore), render/report templates (jinja2) and test tools stay out
    assert mods.isdisjoint({"checkov", "boto3", "botocore", "jinja2", "moto", "kubernetes_validate"}), (
        mods & {"checkov", "boto3", "botocore", "jinja2", "moto", "kubernetes_validate"}
    )


def test_validate_imports_no_pulumi_and_no_cloud_sdk():
    mods = roots(imported(["validate", str(EXAMPLES / "platform.yaml")]))
    assert mods.isdisjoint({"pulumi", "pulumi_aws", "pulumi_kubernetes", "boto3", "botocore", "checkov", "jinja2"})
