"""Item 3: one environment-name check wherever a name enters (exit 2, never 3, never a shell)."""

from __future__ import annotations

import pytest

from tests.hostile.helpers import MINIMAL_K8S, run, write

BAD = ["x;id;#", "a/b", "dev\n", "../prod", "Prod", "$(id)", "a" * 16, ""]

SPEC = MINIMAL_K8S + 'environments:\n  dev: {}\n  "x;id;#": {}\n  "a/b": {}\n'


@pytest.mark.parametrize("name", BAD)
@pytest.mark.parametrize(
    "command",
    [
        ["preview", "{spec}", "--env", "{name}"],
        ["render", "{spec}", "--env", "{name}", "--out", "{out}"],
        ["cost", "{spec}", "--env", "{name}"],
        ["graph", "{spec}", "--env", "{name}"],
        ["diff", "{spec}", "--from-env", "dev", "--to-env", "{name}"],
        ["diff", "{spec}", "--from-env", "{name}", "--to-env", "dev"],
        ["policy", "run", "{spec}", "--env", "{name}"],
        ["up", "{spec}", "--env", "{name}", "--yes"],
        ["destroy", "{spec}", "--env", "{name}", "--yes"],
        ["refresh", "{spec}", "--env", "{name}"],
        ["drift", "{spec}", "--env", "{name}"],
        ["ci", "init", "--provider", "github", "--dir", "{out}", "--env", "{name}", "--mlplat-requirement", "0.1.0"],
    ],
)
def test_bad_environment_names_are_refused_everywhere(tmp_path, command, name):
    spec = write(tmp_path, SPEC)
    args = [a.format(spec=spec, name=name, out=tmp_path / "out") for a in command]
    res = run(*args)
    assert res.exit_code == 2, (args, res.output)
    assert "not a valid environment name" in res.output
    assert not (tmp_path / "out").exists()  # nothing written, nothing run


def test_declared_bad_names_are_located_by_validate(tmp_path):
    spec = write(tmp_path, SPEC)
    res = run("validate", str(spec))
    assert res.exit_code == 2
    # line 8 and 9 of SPEC (7 is dev), column 3: where the keys stand
    assert f"{spec}:8:3: environments.'x;id;#': environment names are lowercase" in res.stderr
    assert f"{spec}:9:3: environments.'a/b'" in res.stderr


def test_the_library_entry_point_checks_too(tmp_path):
    from mlplat.stacks import MlplatError, load_platform

    with pytest.raises(MlplatError, match="not a valid environment name"):
        load_platform(write(tmp_path, SPEC), "x;id;#")
