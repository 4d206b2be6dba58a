"""validate / schema / init through the CLI: exit codes, located errors, clean stdout, no cloud SDK."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from mlplat.cli.main import cli

from tests.conftest import EXAMPLES, ROOT
from tests.unit.spec_text import at_value

CLOUD_SDKS = ("pulumi", "pulumi_aws", "pulumi_kubernetes", "boto3", "botocore", "checkov")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def mlplat(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """The real console entry point in a fresh interpreter (what a user runs)."""
    env = {**os.environ, "MLPLAT_DEBUG": ""}
    return subprocess.run(
        [sys.executable, "-m", "mlplat", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=env,
    )


# --------------------------------------------------------------------------- validate


@pytest.mark.parametrize("name", ["platform.yaml", "onprem.yaml"])
def test_reference_specs_validate(runner, name):
    res = runner.invoke(cli, ["validate", str(EXAMPLES / name)])
    assert res.exit_code == 0, res.output
    assert "valid" in res.stdout


def test_broken_spec_exits_2_with_located_errors_on_stderr(runner, tmp_path):
    text = (EXAMPLES / "platform.yaml").read_text().replace("min_size: 2\n", 'min_size: "2"\n', 1)
    text = text.replace("instance_type: g5.xlarge", "instance_type: g5.xlarg", 1)
    spec = tmp_path / "platform.yaml"
    spec.write_text(text)
    res = runner.invoke(cli, ["validate", str(spec)])
    assert res.exit_code == 2
    lines = res.stderr.splitlines()
    first, second = at_value(text, 'min_size: "2"'), at_value(text, "instance_type: g5.xlarg")
    assert lines[0].startswith(f"{spec}:{first}: cluster.node_pools[0].min_size: expected an integer"), (
        res.stderr
    )
    assert lines[1].startswith(f"{spec}:{second}: cluster.node_pools[2].instance_type: unknown instance"), (
        res.stderr
    )
    assert lines[-1] == "2 errors found"
    assert res.stdout == ""


def test_validate_json(runner, tmp_path):
    ok = runner.invoke(cli, ["validate", str(EXAMPLES / "platform.yaml"), "--format", "json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout) == {
        "valid": True,
        "environments": ["dev", "staging", "prod"],
        "warnings": [],  # located like errors; the reference spec has none
    }
    spec = tmp_path / "p.yaml"
    text = (EXAMPLES / "onprem.yaml").read_text().replace("kind: seldon", "kind: seldom")
    spec.write_text(text)
    bad = runner.invoke(cli, ["validate", str(spec), "--format", "json"])
    assert bad.exit_code == 2
    data = json.loads(bad.stdout)  # stdout is only the JSON document
    assert data["valid"] is False
    (err,) = data["errors"]
    line, col = map(int, at_value(text, "kind: seldom").split(":"))
    assert (err["file"], err["line"], err["column"], err["path"]) == (str(spec), line, col, "serving.kind")
    assert "did you mean 'seldon'?" in err["message"]


@pytest.mark.parametrize(
    ("content", "expect"),
    [
        (b"", "the file is empty"),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00\xff\xfe", "not"),
        (b"- just\n- a list\n", "expected a mapping"),
        (b"a: [1\n", "YAML syntax error"),
        (b"apiVersion: mlplat.io/v1alpha1\nkind: Platform\nmetadata:\n\tname: x\n", "tab"),
    ],
    ids=["empty", "binary", "list", "syntax", "tab"],
)
def test_garbage_exits_2_without_traceback(tmp_path, content, expect):
    spec = tmp_path / "platform.yaml"
    spec.write_bytes(content)
    res = mlplat("validate", str(spec))
    assert res.returncode == 2, res.stderr
    assert expect in res.stderr and "Traceback" not in res.stderr + res.stdout


@pytest.mark.parametrize(
    "target", ["missing.yaml", ".", "/dev/null"], ids=["missing", "directory", "devnull"]
)
def test_unreadable_paths_exit_2_without_traceback(tmp_path, target):
    res = mlplat("validate", target, cwd=tmp_path)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "Traceback" not in res.stderr + res.stdout


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_exits_2(tmp_path):
    spec = tmp_path / "platform.yaml"
    spec.write_text("kind: Platform\n")
    spec.chmod(0)
    res = mlplat("validate", str(spec))
    assert res.returncode == 2 and "cannot read" in res.stderr and "Traceback" not in res.stderr


@pytest.mark.parametrize(
    "spec", ["examples/platform.yaml", "tests/data/missing.yaml"], ids=["valid", "error"]
)
def test_validate_imports_no_cloud_sdk(spec):
    probe = (
        "import json, sys\n"
        "from mlplat.cli.main import main\n"
        "try:\n"
        f"    main(['validate', {spec!r}])\n"
        "except SystemExit as e:\n"
        "    code = e.code\n"
        f"loaded = sorted(m for m in {CLOUD_SDKS!r} if m in sys.modules)\n"
        "print(json.dumps({'code': code, 'loaded': loaded}), file=sys.stderr)\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", probe], check=False, capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    report = json.loads(res.stderr.strip().splitlines()[-1])
    assert report["code"] in (0, 2)
    assert report["loaded"] == [], f"validate imported {report['loaded']}"


# --------------------------------------------------------------------------- schema


def test_schema_is_valid_draft7_and_accepts_the_examples(runner, tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    from ruamel.yaml import YAML

    res = runner.invoke(cli, ["schema"])
    assert res.exit_code == 0
    schema = json.loads(res.stdout)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    for name in ("platform.yaml", "onprem.yaml"):
        doc = YAML(typ="safe").load((EXAMPLES / name).read_text())
        assert not [e.message for e in validator.iter_errors(doc)], name

    out = tmp_path / "platform.schema.json"
    res = runner.invoke(cli, ["schema", "-o", str(out)])
    assert res.exit_code == 0 and json.loads(out.read_text()) == schema


# --------------------------------------------------------------------------- init


@pytest.mark.parametrize("provider", ["aws", "kubernetes"])
def test_init_scaffolds_a_spec_that_validates(runner, tmp_path, provider):
    target = tmp_path / "ml-platform"
    res = runner.invoke(cli, ["init", str(target), "--provider", provider])
    assert res.exit_code == 0, res.output
    assert {p.name for p in target.iterdir()} >= {
        "platform.yaml",
        "README.md",
        ".gitignore",
        "platform.schema.json",
    }
    check = runner.invoke(cli, ["validate", str(target / "platform.yaml"), "--format", "json"])
    assert check.exit_code == 0, check.output
    assert json.loads(check.stdout)["environments"] == ["dev", "staging", "prod"]
    assert f"provider: {provider}" in (target / "platform.yaml").read_text()


def test_init_refuses_to_overwrite(runner, tmp_path):
    (tmp_path / "README.md").write_text("mine\n")
    res = runner.invoke(cli, ["init", str(tmp_path)])
    assert res.exit_code == 2
    assert "refusing to overwrite" in res.stderr and "README.md" in res.stderr
    assert (tmp_path / "README.md").read_text() == "mine\n"
    assert not (tmp_path / "platform.yaml").exists()  # nothing written at all


def test_init_rejects_a_bad_name(runner, tmp_path):
    res = runner.invoke(cli, ["init", str(tmp_path / "x"), "--name", "Bad_Name"])
    assert res.exit_code == 2 and "not a valid platform name" in res.stderr
    assert not (tmp_path / "x").exists()
