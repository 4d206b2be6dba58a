"""Generated CI that installs: the workflow's install line, run in a fresh virtualenv, installs the
mlplat that generated it (a wheel built from this checkout and vendored into the repository, the
default before any release exists); `--mlplat-requirement` takes a version, a Git URL with a tag,
a path or a wheel file."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from mlplat.cli.main import cli
from mlplat.stacks.errors import MlplatError
from mlplat.stacks.repo.requirement import default_requirement, parse_requirement

WHEEL = re.compile(r"\./\.mlplat/wheels/mlplat-\d[^-/]*-py3-none-any\.whl")


@pytest.mark.parametrize("value,pip_arg,kind", [
    ("0.2.0", "mlplat==0.2.0", "index"),  # a version pins the release
    ("mlplat>=0.2,<0.3", "mlplat>=0.2,<0.3", "index"),  # a requirement as written
    ("git+https://github.com/acme/mlplat@v0.2.0", "mlplat @ git+https://github.com/acme/mlplat@v0.2.0", "vcs"),
    ("./tools/mlplat", "./tools/mlplat", "path"),  # a checkout (submodule) inside the platform repository
])  # fmt: skip
def test_requirement_forms(value, pip_arg, kind):
    req = parse_requirement(value)
    assert (req.pip_arg, req.kind) == (pip_arg, kind)


@pytest.mark.parametrize("value", [
    "git+https://github.com/acme/mlplat",  # no tag: CI would follow a moving branch
    "/home/me/src/mlplat",  # absolute: CI cannot see the developer's disk
    "../mlplat",  # outside the repository
    "mlplat==0.2; rm -rf /",  # not a requirement
])  # fmt: skip
def test_requirement_rejects(value):
    with pytest.raises(MlplatError):
        parse_requirement(value)


def test_install_line_is_one_quoted_argument():
    req = parse_requirement("git+https://github.com/acme/mlplat@v0.2.0")
    assert req.install_command == "python -m pip install 'mlplat @ git+https://github.com/acme/mlplat@v0.2.0'"


def test_wheel_file_is_vendored(tmp_path):
    wheel = tmp_path / "mlplat-9.9.9-py3-none-any.whl"
    wheel.write_bytes(b"PK\x03\x04 not a real wheel: only copied here")
    req = parse_requirement(str(wheel))
    assert (req.kind, req.pip_arg) == ("vendored", "./.mlplat/wheels/mlplat-9.9.9-py3-none-any.whl")
    repo = tmp_path / "repo"
    assert req.materialise(repo) == [repo / ".mlplat/wheels/mlplat-9.9.9-py3-none-any.whl"]
    assert (repo / ".mlplat/wheels/mlplat-9.9.9-py3-none-any.whl").read_bytes() == wheel.read_bytes()
    assert req.relocated("wheels").pip_arg == "./wheels/mlplat-9.9.9-py3-none-any.whl"  # render's layout


def test_render_and_ci_init_take_the_requirement(tmp_path):
    from tests.conftest import REFERENCE_SPECS

    spec = str(REFERENCE_SPECS["onprem"][0])
    res = CliRunner().invoke(cli, ["render", spec, "--env", "staging", "--out", str(tmp_path / "p"),
                                   "--mlplat-requirement", "0.2.0"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "p" / "requirements.txt").read_text().splitlines()[0] == "mlplat==0.2.0"
    res = CliRunner().invoke(cli, ["ci", "init", "--provider", "gitlab", "--dir", str(tmp_path / "g"),
                                   "--mlplat-requirement", "git+https://github.com/acme/mlplat@v0.2.0"])
    assert res.exit_code == 0, res.output
    doc = yaml.safe_load((tmp_path / "g" / ".gitlab-ci.yml").read_text())
    assert doc["default"]["before_script"][0] == \
        "python -m pip install 'mlplat @ git+https://github.com/acme/mlplat@v0.2.0'"
    assert not (tmp_path / "g" / ".mlplat").exists()  # nothing vendored for a Git URL


def _install_lines(repo: Path) -> set[str]:
    lines = set()
    for wf in (repo / ".github" / "workflows").glob("*.yml"):
        for job in yaml.safe_load(wf.read_text())["jobs"].values():
            lines |= {s["run"] for s in job.get("steps", []) if str(s.get("name", "")).startswith("Install mlplat")}
    return lines


def _is_mlplat_entry(name: str) -> bool:
    """The package, its dist-info, or an editable install's finder and path file."""
    return name == "mlplat" or name.startswith("mlplat-") or (name.startswith("__editable__") and "mlplat" in name)


def test_is_mlplat_entry():
    assert [n for n in ("mlplat", "mlplat-0.1.0.dist-info", "__editable___mlplat_0_1_0_finder.py",
                        "__editable__.mlplat-0.1.0.pth", "mlflow", "pulumi_aws", "mlplatform_x")
            if _is_mlplat_entry(n)] == ["mlplat", "mlplat-0.1.0.dist-info", "__editable___mlplat_0_1_0_finder.py",
                                        "__editable__.mlplat-0.1.0.pth"]


def test_default_install_line_installs_this_mlplat_in_a_fresh_venv(tmp_path):
    # This checkout is an editable install: no release to pin, so the default vendors a wheel of it.
    assert default_requirement().kind == "vendored"
    repo = tmp_path / "platform-repo"
    res = CliRunner().invoke(cli, ["ci", "init", "--provider", "github", "--dir", str(repo)])
    assert res.exit_code == 0, res.output
    lines = _install_lines(repo)
    assert len(lines) == 1, lines  # every workflow installs the same way
    line = lines.pop()
    arg = line.removeprefix("python -m pip install ")
    assert WHEEL.fullmatch(arg), line
    assert (repo / arg).is_file()  # the wheel the line names is in the repository

    venv = tmp_path / "venv"
    # --without-pip: pulumi requires pip>=24.3.1, newer than ensurepip's; `python -m pip` then runs
    # this environment's pip (through the path line below) inside the fresh interpreter.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True)
    vpy = venv / "bin" / "python"
    # mlplat's dependencies (pulumi, checkov: ~420 MB) come from this environment's site-packages
    # through a path line (its .pth files, including mlplat's editable finder, stay unprocessed);
    # PIP_NO_INDEX makes any other download fail, so only the vendored wheel can provide mlplat.
    site = subprocess.run([str(vpy), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()  # fmt: skip
    # mlplat itself is left out of that path: where this environment has it as a regular install (CI's
    # `pip install .`), pip would find it there, call the wheel "already satisfied" and install nothing.
    deps = tmp_path / "deps"
    deps.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not _is_mlplat_entry(entry.name):
            (deps / entry.name).symlink_to(entry)
    Path(site, "deps-from-dev-env.pth").write_text(f"{deps}\n")
    env = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}", "PIP_NO_INDEX": "1",
           "PIP_DISABLE_PIP_VERSION_CHECK": "1", "VIRTUAL_ENV": str(venv)}
    env.pop("PYTHONPATH", None)
    proc = subprocess.run(["bash", "-c", line], cwd=repo, env=env, capture_output=True, text=True,
                          check=False)  # the line as CI runs it
    assert proc.returncode == 0, proc.stdout + proc.stderr
    probe = ("import mlplat, importlib.resources as r; print(mlplat.__file__); "
             "print((r.files('mlplat.stacks.review') / 'vendor' / 'chart.umd.min.js').is_file())")
    out = subprocess.run([str(vpy), "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    where, data = out.stdout.split()
    assert where.startswith(site), where  # the wheel's copy, not this checkout
    assert data == "True"  # package data (the report's Chart.js) came with the wheel
    ver = subprocess.run([str(venv / "bin" / "mlplat"), "--version"], env=env, capture_output=True, text=True,
                         check=False)
    assert ver.returncode == 0 and ver.stdout.startswith("mlplat, version "), ver.stdout + ver.stderr
