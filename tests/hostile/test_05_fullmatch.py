"""Item 5: name patterns use re.fullmatch: a trailing newline never passes."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.hostile.helpers import MINIMAL_AWS, run, write


@pytest.mark.parametrize(
    "old, new",
    [
        ("name: x}", 'name: "x\\n"}'),  # metadata.name, a DNS label
        ("region: us-east-1", 'region: "us-east-1\\n"'),
        ("name: a}", 'name: "a\\n"}'),  # bucket name
    ],
)
def test_trailing_newline_fails_validation(tmp_path, old, new):
    res = run("validate", str(write(tmp_path, MINIMAL_AWS.replace(old, new))))
    assert res.exit_code == 2, res.output


def test_trailing_newline_in_k8s_version_and_quantities(tmp_path):
    text = MINIMAL_AWS + (
        'cluster: {kubernetes_version: "1.31\\n", node_pools: [{name: a, instance_type: m6i.large}]}\n'
        "serving:\n  kind: kserve\n  models:\n"
        '    - {name: m, format: sklearn, uri: "s3://b/m\\n", resources: {memory: "1Gi\\n", cpu: "1\\n"}}\n'
    )
    res = run("validate", str(write(tmp_path, text)))
    assert res.exit_code == 2
    for path in ("kubernetes_version", "models[0].uri", "resources.memory", "resources.cpu"):
        assert path in res.stderr, res.stderr


def test_no_anchored_re_match_left_in_the_code():
    """`re.match(r"^…$")` passes "x\\n"; every pattern anchored at both ends is a fullmatch instead."""
    offenders = []
    for folder in ("stacks", "modules", "policies", "cli"):
        for path in Path(ROOT, folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("match", "compile")
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                    and node.args[0].value.startswith("^")
                    and node.args[0].value.endswith("$")
                ):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
