"""Property: whatever a mutated reference spec looks like, validation either accepts it or
raises SpecError whose every diagnostic is located (file, line, column) and names a path.
Never any other exception: a user must never see a traceback for a bad spec."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mlplat.stacks import SpecError, load_spec, validate

from tests.conftest import REFERENCE_SPECS


def _plain(path: Path) -> Any:
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


BASES = {name: _plain(path) for name, (path, _) in REFERENCE_SPECS.items()}


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a node (mapping keys and list positions), the root excluded."""
    out = []
    if isinstance(node, dict):
        for k, v in node.items():
            out.append(prefix + (k,))
            out.extend(_paths(v, prefix + (k,)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.append(prefix + (i,))
            out.extend(_paths(v, prefix + (i,)))
    return out


def _get(doc: Any, path: tuple) -> Any:
    for p in path:
        doc = doc[p]
    return doc


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=12),
    st.sampled_from(["", "aws", "kubernetes", "g5.xlarge", "m6i.larg", "1.31", "10.0.0.0/8", "prod", "dev"]),
)
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.sampled_from(["name", "min", "from_env", "x", "kind"]), SCALARS, max_size=3),
)
KEYS = st.one_of(
    st.text(min_size=1, max_size=10), st.sampled_from(["nmae", "regoin", "profile", "name", "min"])
)


@st.composite
def mutated(draw: Any) -> Any:
    name = draw(st.sampled_from(sorted(BASES)))
    doc = copy.deepcopy(BASES[name])
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        parent = _get(doc, path[:-1])
        op = draw(st.sampled_from(["drop", "retype", "insert", "swap"]))
        if op == "drop":
            del parent[path[-1]]
        elif op == "retype":
            parent[path[-1]] = draw(VALUES)
        elif op == "insert":
            target = _get(doc, path)
            if isinstance(target, dict):
                target[draw(KEYS)] = draw(VALUES)
            elif isinstance(target, list):
                target.append(draw(VALUES))
            else:
                parent[path[-1]] = {draw(KEYS): target}
        else:
            other = draw(st.sampled_from(paths))
            if other[: len(path)] == path or path[: len(other)] == other:
                continue  # one contains the other
            oparent = _get(doc, other[:-1])
            a, b = parent[path[-1]], oparent[other[-1]]
            parent[path[-1]], oparent[other[-1]] = copy.deepcopy(b), copy.deepcopy(a)
    return doc


def _dump(doc: Any) -> str:
    # JSON is YAML (1.2) and an order of magnitude faster to write than block YAML; one node
    # per line keeps locations distinct.
    return json.dumps(doc, indent=1, default=str)


# MLPLAT_FUZZ_EXAMPLES=5000 for a deeper local run; CI keeps the default fast.
EXAMPLES = int(os.environ.get("MLPLAT_FUZZ_EXAMPLES", "200"))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(doc=mutated())
def test_mutated_specs_fail_only_with_located_errors(
    doc: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "platform.yaml"
    path.write_text(_dump(doc), encoding="utf-8")
    try:
        validate(load_spec(path))
    except SpecError as exc:
        assert exc.diagnostics
        for d in exc.diagnostics:
            assert d.location is not None, str(d)
            assert d.location.file == str(path) or d.location.file.startswith("<builtin>/envs/"), str(d)
            assert d.location.line >= 1 and d.location.col >= 1, str(d)
            assert d.path, str(d)
            assert d.message, str(d)
