"""The CLI-options judge: every command line mlplat writes for MLflow, Feast, Airflow or Evidently
uses only options that tool has at the pinned version.

The option lists were extracted once from the upstream click definitions (tests/upstream/cli/,
PROVENANCE.md there). The judge walks every golden plan, finds each container (and init
container) of every workload, identifies the tool by the command it runs (`sh -c` scripts are
split with shlex) and its version by the image tag, and checks each flag and the number of
positional arguments. A tool command without a stored option list for its version fails: the
judge cannot be silenced by pinning a version nobody extracted.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
CLI = HERE.parent / "upstream" / "cli"
GOLDENS = sorted(HERE.glob("*.plan.json"))
JUDGED = ("mlflow", "feast", "airflow", "evidently")
# Image repository → the tool it ships; the version is the image tag up to the first '-'.
IMAGES = {
    "ghcr.io/mlflow/mlflow": "mlflow",
    "quay.io/feastdev/feature-server": "feast",
    "docker.io/feastdev/feature-server": "feast",
    "apache/airflow": "airflow",
    "docker.io/apache/airflow": "airflow",
}


def _options(tool: str, command: str, version: str) -> dict[str, Any]:
    path = CLI / tool / f"{command}-{version}.json"
    assert path.exists(), f"no upstream option list for `{tool} {command}` at {version} ({path.relative_to(HERE.parent)})"
    return json.loads(path.read_text())


def _containers(resource: dict[str, Any]) -> Iterator[dict[str, Any]]:
    inputs = resource.get("inputs", {})
    kind = inputs.get("kind")
    spec = inputs.get("spec") or {}
    if kind == "CronJob":
        pod = (((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("spec") or {}
    elif kind in ("Deployment", "StatefulSet", "Job", "DaemonSet"):
        pod = (spec.get("template") or {}).get("spec") or {}
    else:
        return
    yield from pod.get("initContainers") or []
    yield from pod.get("containers") or []


def _argv(container: dict[str, Any]) -> list[str]:
    argv = [str(a) for a in (container.get("command") or []) + (container.get("args") or [])]
    if len(argv) >= 3 and argv[0].rsplit("/", 1)[-1] in ("sh", "bash") and argv[1] == "-c":
        argv = shlex.split(argv[2])
        while argv and argv[0] == "exec":
            argv = argv[1:]
    return argv


def _image_tool(image: str) -> tuple[str | None, str | None]:
    repo, _, tag = image.partition("@")[0].rpartition(":")
    tool = IMAGES.get(repo)
    version = re.sub(r"^v", "", tag).split("-", 1)[0] if tool else None
    return tool, version


def check_argv(tool: str, version: str, argv: list[str]) -> list[str]:
    """Problems of one command line (empty: every flag exists at `version`)."""
    problems: list[str] = []
    rest = argv[1:]
    root = _options(tool, "root", version) if (CLI / tool / f"root-{version}.json").exists() else None
    if root is not None:  # group options before the subcommand (feast --chdir DIR …)
        while rest and rest[0].startswith("-"):
            flag = rest[0].split("=", 1)[0]
            if flag in root["options"]:
                rest = rest[1:] if "=" in rest[0] else rest[2:]
            elif flag in root["flags"]:
                rest = rest[1:]
            else:
                problems.append(f"{tool} {flag}: no such option at {version}")
                rest = rest[1:]
    if not rest:
        return [*problems, f"{tool}: no subcommand"]
    command, rest = rest[0], rest[1:]
    spec = _options(tool, command, version)
    positional = 0
    while rest:
        token, rest = rest[0], rest[1:]
        if token.startswith("-") and token != "-":
            flag = token.split("=", 1)[0]
            if flag in spec["options"]:
                if "=" not in token:
                    if not rest:
                        problems.append(f"{tool} {command} {flag}: needs a value")
                    rest = rest[1:]
            elif flag not in spec["flags"]:
                problems.append(f"{tool} {command} {flag}: no such option at {version}")
        else:
            positional += 1
    if positional > len(spec.get("arguments", [])):
        problems.append(f"{tool} {command}: {positional} positional arguments, takes {len(spec.get('arguments', []))}")
    return problems


def judged_command_lines(plan: dict[str, Any]) -> Iterator[tuple[str, str, str, list[str]]]:
    """(resource, tool, version, argv) for every container that runs a judged tool."""
    for r in plan["resources"]:
        for c in _containers(r):
            argv = _argv(c)
            if not argv:
                continue
            program = argv[0].rsplit("/", 1)[-1]
            tool, version = _image_tool(str(c.get("image", "")))
            if program in JUDGED:
                assert tool == program and version, f"{r['name']}/{c['name']}: `{program}` in unknown image {c.get('image')}"
                yield f"{r['name']}/{c['name']}", program, version, argv


@pytest.mark.parametrize("golden", GOLDENS, ids=lambda p: p.name.removesuffix(".plan.json"))
def test_every_tool_command_line_uses_existing_options(golden: Path) -> None:
    plan = json.loads(golden.read_text())
    seen = list(judged_command_lines(plan))
    problems = [f"{where}: {p}" for where, tool, version, argv in seen for p in check_argv(tool, version, argv)]
    assert problems == []


def test_the_judge_is_not_vacuous() -> None:
    # The Kubernetes reference platforms run an MLflow server and Feast's serve/apply/materialize.
    kubernetes_goldens = [g for g in GOLDENS if g.name.startswith(("platform-", "onprem-"))]
    assert len(kubernetes_goldens) == 5  # platform dev/staging/prod, onprem staging/prod (sagemaker-*: no containers)
    for golden in kubernetes_goldens:
        seen = judged_command_lines(json.loads(golden.read_text()))
        commands = {(tool, next(a for a in argv[1:] if not a.startswith("-") and "/" not in a)) for _, tool, _, argv in seen}
        assert {("mlflow", "server"), ("feast", "serve"), ("feast", "apply"), ("feast", "materialize-incremental")} <= commands


def test_the_judge_catches_a_flag_the_version_lacks() -> None:
    # `feast serve --metrics` appeared in 0.41.0; the old default 0.40.1 crash-looped on it.
    ok = ["feast", "serve", "--host", "0.0.0.0", "--port", "6566", "--no-access-log", "--metrics"]
    assert check_argv("feast", "0.66.0", ok) == []
    assert check_argv("feast", "0.40.1", ok) == ["feast serve --metrics: no such option at 0.40.1"]
    assert check_argv("feast", "0.66.0", [*ok, "--bogus"]) == ["feast serve --bogus: no such option at 0.66.0"]
    # MLflow's removed/unknown flag and a missing value.
    assert check_argv("mlflow", "3.18.0", ["mlflow", "server", "--gunicorn-opts"]) == [
        "mlflow server --gunicorn-opts: needs a value"
    ]
    assert check_argv("mlflow", "3.18.0", ["mlflow", "server", "--serve-artifacts", "--artifact-root", "x"]) == [
        "mlflow server --artifact-root: no such option at 3.18.0",
        "mlflow server: 1 positional arguments, takes 0",  # the unknown option's value is left over
    ]
    # Feast group options before the subcommand, and positional arguments.
    assert check_argv("feast", "0.66.0", ["feast", "--chdir", "/r", "-f", "/f.yaml", "apply"]) == []
    assert check_argv("feast", "0.66.0", ["feast", "materialize-incremental", "2026-01-01", "extra"]) == [
        "feast materialize-incremental: 2 positional arguments, takes 1"
    ]
    # --allowed-hosts is MLflow 3 only.
    assert check_argv("mlflow", "2.16.2", ["mlflow", "server", "--allowed-hosts", "a"]) == [
        "mlflow server --allowed-hosts: no such option at 2.16.2",
        "mlflow server: 1 positional arguments, takes 0",
    ]
    with pytest.raises(AssertionError, match="no upstream option list"):
        check_argv("mlflow", "2.9.0", ["mlflow", "server"])


def test_shell_scripts_are_split_like_the_shell() -> None:
    c = {"command": ["/bin/sh", "-c", 'exec feast materialize-incremental "$(date -u +%Y-%m-%dT%H:%M:%S)"']}
    assert _argv(c) == ["feast", "materialize-incremental", "$(date -u +%Y-%m-%dT%H:%M:%S)"]
    assert _image_tool("ghcr.io/mlflow/mlflow:v3.18.0-full") == ("mlflow", "3.18.0")
    assert _image_tool("quay.io/feastdev/feature-server:0.66.0") == ("feast", "0.66.0")
