"""libyaml's fast path (stacks/platform_spec/fast_yaml.py) against ruamel, the authority.

For any text, the fast path either steps aside (None) or builds exactly the tree ruamel builds:
the same values, locations of keys and values, source paths and raw number spellings. It must
step aside whenever ruamel rejects the text, so every error keeps ruamel's located message.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mlplat.stacks.errors import SpecError
from mlplat.stacks.platform_spec.fast_yaml import fast_tree
from mlplat.stacks.platform_spec.tree import parse_yaml, parse_yaml_ruamel

ROOT = Path(__file__).resolve().parents[2]
YAML_FILES = sorted(
    p for pattern in ("**/*.yaml", "**/*.yml") for p in ROOT.glob(pattern)
    if not p.relative_to(ROOT).parts[0] in {"build", ".git", ".mlplat"}
)


def _ruamel(text: str) -> object:
    try:
        return parse_yaml_ruamel(text, "spec.yaml")
    except SpecError:
        return "rejected"


def _agree(text: str) -> bool:
    """The property; True when the fast path built the tree itself."""
    fast = fast_tree(text, "spec.yaml")
    slow = _ruamel(text)
    if fast is None:
        return False
    assert slow != "rejected", "the fast path accepted a text ruamel rejects"
    assert fast == slow
    return True


def test_the_repository_yaml_is_read_alike() -> None:
    assert len(YAML_FILES) > 40  # examples, envs, acceptance and broken specs, price tables
    fast = [p for p in YAML_FILES if _agree(p.read_text(encoding="utf-8"))]
    # The reference specs and environment files are the common case the fast path exists for.
    for name in ("examples/platform.yaml", "examples/onprem.yaml", "envs/prod.yaml",
                 "tests/acceptance/specs/aws-small.yaml"):
        assert ROOT / name in fast, name
    assert len(fast) >= 40


def test_parse_yaml_uses_the_fast_path_for_the_reference_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    from mlplat.stacks.platform_spec import tree

    def refuse(text: str, file: str) -> object:
        raise AssertionError("ruamel was asked to parse a plain spec")

    monkeypatch.setattr(tree, "parse_yaml_ruamel", refuse)
    root = parse_yaml((ROOT / "examples" / "platform.yaml").read_text(encoding="utf-8"), "platform.yaml")
    assert root.value["kind"].value == "Platform"
    assert root.value["kind"].loc.line > 0


STEP_ASIDE = {
    "directive": "%YAML 1.1\n---\na: yes\n",
    "anchor and alias": "a: &x {b: 1}\nc: *x\n",
    "merge key": "a: {b: 1}\nc:\n  <<: {b: 2}\n",
    "explicit tag": "a: !!str 1\n",
    "local tag": "a: !thing 1\n",
    "duplicate key": "a: 1\na: 2\n",
    "tab": "a:\n\t- 1\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "int key": "1: x\n",
    "bool key": "true: x\n",
    "null key": "~: x\n",
    "infinity": "a: .inf\n",
    "octal": "a: 0o17\n",
    "underscores": "a: 1_000\n",
    "exponent": "a: 1e3\n",
    "too large": "a: 10000000000000\n",
    "list at the top": "- a\n- b\n",
    "empty": "# nothing\n",
    "NEL": "a: b\x85c\n",
    "empty value (ruamel places it on the next token)": "a:\nb: 1\n",
    "syntax error": "a: [1, 2\n",
    "bad indentation": "a:\n  b: 1\n c: 2\n",
}


@pytest.mark.parametrize("text", STEP_ASIDE.values(), ids=STEP_ASIDE.keys())
def test_steps_aside_where_ruamel_decides(text: str) -> None:
    assert fast_tree(text, "spec.yaml") is None
    # …and parse_yaml still answers through ruamel: a tree or a located SpecError.
    try:
        # (repr: ruamel's TaggedScalar has no equality of its own)
        assert repr(parse_yaml(text, "spec.yaml")) == repr(parse_yaml_ruamel(text, "spec.yaml"))
    except SpecError as exc:
        assert all(d.location is not None for d in exc.diagnostics)


SAME = {
    "YAML 1.1 booleans are strings in 1.2": "a: yes\nb: no\nc: on\nd: off\ne: y\n",
    "booleans": "a: true\nb: False\nc: TRUE\n",
    "nulls": "a: ~\nb: null\nd: Null\n",
    "timestamps stay text": "a: 2024-01-01\nb: 2001-12-14t21:59:43.10-05:00\n",
    "numbers keep their spelling": "a: 1.30\nb: -7\nc: +1\nd: 0\ne: -0.5\n",
    "quoted scalars": "a: '1'\nb: \"true\"\nc: 'it''s'\nd: \"tab\\there\"\ne: ''\n",
    "block scalars": "a: |\n  one\n  two\nb: >\n  folded\n  line\nc: |-\n  x\nd: >+\n  y\n\ne: 1\n",
    "plain multi-line": "a: one\n  two\n  three\nb: 2\n",
    "flow collections": "a: {b: 1, c: [x, 'y', 2.5]}\nd: []\ne: {}\n",
    "nested lists": "a:\n- b: 1\n  c: [1, 2]\n- - x\n  - y\n- z\n",
    "comments everywhere": "# head\na: 1 # trailing\n# between\nb:\n  # inside\n  c: x\n",
    "non-ASCII": "café: é\nb: 'naïve ✓'\nc: [ü, ß]\n",
    "CRLF": "a: 1\r\nb:\r\n  c: x\r\n",
    "colons and hashes in text": "a: 'x: y'\nb: http://h/p#f\nc: a#b\n",
    "explicit document markers": "---\na: 1\n...\n",
    "time-like text": "a: 1:30\nb: 12:00:00\n",
}


@pytest.mark.parametrize("text", SAME.values(), ids=SAME.keys())
def test_builds_ruamels_tree(text: str) -> None:
    assert _agree(text)


def test_numbers_carry_what_the_user_wrote() -> None:
    root = fast_tree("a: 1.30\nb:\n  - 007x\n  - 12\n", "spec.yaml")
    assert root is not None
    assert (root.value["a"].value, root.value["a"].raw) == (1.3, "1.30")
    assert root.value["b"].value[1].raw == "12"
    assert (root.value["b"].value[1].loc.line, root.value["b"].value[1].loc.col) == (4, 5)


# -- properties -------------------------------------------------------------------------------

WORDS = st.sampled_from([
    "yes", "No", "on", "OFF", "y", "n", "true", "False", "null", "~", "", "0", "-1", "+3", "1.5", "1.30",
    "0o7", "0x1F", "1_0", "1e3", ".inf", "-.INF", ".nan", "2024-02-30", "1:20", "<<", "=", "!", "&a", "*a",
    "a: b", "- x", "#c", "x #c", "'q'", '"d"', "|", ">", "%", "@", "`", "{", "[", "]", "}", ",", "?", "ü",
    "multi\nline", "trail ", " lead", "a\tb", "\\", "10.0.0.0/8", "g5.xlarge", "s3://b/k",
])
SCALARS = st.one_of(WORDS, st.integers(-(10**13), 10**13), st.floats(allow_nan=True, allow_infinity=True),
                    st.booleans(), st.none(), st.text(max_size=8))
KEYS = st.one_of(st.sampled_from(["name", "kind", "a-b", "x.y", "ключ", "yes", "1", "null", "<<"]),
                 st.text(min_size=1, max_size=6))
DOCS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=20,
)


def _dumped(doc: object, how: str) -> str:
    import io

    import yaml
    from ruamel.yaml import YAML

    if how == "ruamel":
        out = io.StringIO()
        y = YAML()
        y.default_flow_style = False
        y.dump(doc, out)
        return out.getvalue()
    return yaml.safe_dump(doc, default_flow_style=None if how == "pyyaml-mixed" else False, allow_unicode=True)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(KEYS, DOCS, min_size=1, max_size=5), st.sampled_from(["ruamel", "pyyaml", "pyyaml-mixed"]))
def test_dumped_documents_are_read_alike(doc: dict, how: str) -> None:
    _agree(_dumped(doc, how))


SPEC = (ROOT / "examples" / "platform.yaml").read_text(encoding="utf-8")
EDITS = st.sampled_from([":", "-", " ", "  ", "\n", "'", '"', "#", "[", "]", "{", "}", "&a", "*a", "!", "|", ">",
                         ",", "?", "%", "@", "\\", "x", "0", "~"])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(SPEC) - 1), st.integers(0, 3), EDITS), min_size=1, max_size=3))
def test_edited_specs_are_read_alike(edits: list[tuple[int, int, str]]) -> None:
    """Broken and odd specs made from the reference one: accepted alike or left to ruamel."""
    text = SPEC
    for at, cut, insert in edits:
        at = min(at, len(text))
        text = text[:at] + insert + text[at + cut:]
    _agree(text)
