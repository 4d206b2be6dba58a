"""Commands import what they use, and nothing heavier: the modules a real `mlplat` process has
loaded when it exits (sys.modules, so imports through importlib count too; `-X importtime`
misses those)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES

# Runs the CLI as `python -m mlplat` does, then writes sys.modules when the process exits.
_PROBE = (
    "import atexit, json, runpy, sys; out = sys.argv.pop(1); "
    "atexit.register(lambda: open(out, 'w').write(json.dumps(sorted(sys.modules)))); "
    "sys.argv[0] = 'mlplat'; runpy.run_module('mlplat', run_name='__main__')"
)


def loaded(args: list[str], tmp_path: Path) -> tuple[set[str], str]:
    out = tmp_path / "modules.json"
    env = {**os.environ, "MLPLAT_NO_CACHE": "1"}  # a real plan, not a cached one
    res = subprocess.run([sys.executable, "-c", _PROBE, str(out), *args], check=False,
                         capture_output=True, text=True, timeout=600, env=env)
    assert res.returncode == 0, res.stderr[-2000:]
    return set(json.loads(out.read_text())), res.stdout


def roots(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


# What no plan-making command needs: policy (checkov), drift (boto3/botocore), render/report
# templates (jinja2) and test tools.
JUDGES_AND_CLIENTS = {"checkov", "boto3", "botocore", "jinja2", "moto", "kubernetes_validate"}


@pytest.mark.parametrize("fmt", ["json", "table"])
def test_preview_imports_no_judge_and_no_cloud_client(fmt, tmp_path):
    mods = roots(loaded(["preview", str(EXAMPLES / "platform.yaml"), "--env", "dev", "--format", fmt], tmp_path)[0])
    assert "pulumi_aws" in mods  # it really planned (the cache is off)
    assert mods.isdisjoint(JUDGES_AND_CLIENTS), mods & JUDGES_AND_CLIENTS


def test_cost_imports_no_policy_engine_and_no_cloud_client(tmp_path):
    mods = roots(loaded(["cost", str(EXAMPLES / "platform.yaml"), "--env", "dev", "--format", "json"], tmp_path)[0])
    assert "pulumi_aws" in mods
    assert mods.isdisjoint(JUDGES_AND_CLIENTS), mods & JUDGES_AND_CLIENTS


def test_validate_imports_no_pulumi_and_no_cloud_sdk(tmp_path):
    mods = roots(loaded(["validate", str(EXAMPLES / "platform.yaml")], tmp_path)[0])
    assert mods.isdisjoint({"pulumi", "pulumi_aws", "pulumi_kubernetes", "boto3", "botocore", "checkov", "jinja2"})


def _norm(name: str) -> str:
    # The SDK generators' file names: `bucketV2` → bucket_v2.py (aws), `Deployment` → Deployment.py
    # (kubernetes); compared without case and underscores.
    return name.replace("_", "").lower()


def test_preview_imports_only_the_resource_modules_its_plan_uses(tmp_path):
    mods, out = loaded(["preview", str(EXAMPLES / "platform.yaml"), "--env", "prod", "--format", "json"], tmp_path)
    types = {r["type"] for r in json.loads(out)["resources"]}
    # type tokens "aws:ec2/vpc:Vpc", "kubernetes:apps/v1:Deployment" → (package, version or "", module)
    used: set[tuple[str, str, str]] = set()
    for t in types:
        pkg, mod, cls = t.split(":")
        if pkg == "aws":
            svc, member = mod.split("/")
            used.add((f"aws.{svc}", "", _norm(member)))
        elif pkg == "kubernetes":
            version = mod.split("/")[1]
            used.add(("kubernetes", version, _norm(cls)))
    assert len(used) > 40  # the prod plan of the reference spec: VPC, EKS, RDS, S3, Helm, workloads …

    unused = []
    for m in mods:
        parts = m.split(".")
        # Generated type and data modules every resource module imports (no resources in them).
        if parts[-1] in ("_inputs", "outputs", "_enums", "_utilities", "provider", "config", "vars"):
            continue
        if parts[0] == "pulumi_aws" and len(parts) == 3:  # pulumi_aws.<service>.<resource module>
            key = (f"aws.{parts[1]}", "", _norm(parts[2]))
        elif parts[0] == "pulumi_kubernetes" and len(parts) == 4:  # pulumi_kubernetes.<group>.<version>.<Kind>
            key = ("kubernetes", parts[2], _norm(parts[3]))
        else:
            continue
        if key not in used:
            unused.append(m)
    assert not unused, sorted(unused)
    # Probes the above would let through if the lean import broke (the whole service packages):
    # EC2 instances and Pods are in no mlplat plan (EKS node groups, workloads' controllers).
    assert not {"pulumi_aws.ec2.instance", "pulumi_kubernetes.core.v1.Pod", "pulumi_aws.s3.bucket_object"} & mods
    # Top-level data-source functions (get_region …) are imported by pulumi_aws's own __init__; they
    # are small, and only these few: a service package's functions would be pulumi_aws.<svc>.get_*.
    assert not [m for m in mods if re.fullmatch(r"pulumi_aws\.\w+\.get_\w+", m)]
