"""Every assertion inside a loop runs at least once (issue 21).

`for m in manifests: assert valid(m)` passes when `manifests` is empty, so a test whose
collection quietly became empty keeps passing while checking nothing. This check reads every test
with `ast`: for each `for` loop in a test function that asserts in its body, each collection it
iterates must be a literal (a tuple, list, dict written in the code, or a name bound to one), or be
named by an assertion outside the loop in the same test (`assert manifests`, `assert len(x) > 5`,
`assert set(x) == {...}`). A loop that may rightly run zero times (pairs of the last element)
says so on its `for` line: `# may be empty: <why>`.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
WRAPPERS = {"sorted", "enumerate", "zip", "list", "set", "tuple", "reversed", "iter", "dict"}


def _literal(node: ast.expr, names: set[str]) -> bool:
    if isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Dict, ast.Constant)):
        return True
    if isinstance(node, ast.Name):
        return node.id in names
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range"
            and all(isinstance(a, ast.Constant) for a in node.args))  # fmt: skip


def _collections(it: ast.expr) -> list[ast.expr]:
    """What a loop really iterates: `sorted(x)`, `zip(a, b)`, `x.items()` → x, a and b."""
    if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id in WRAPPERS:
        return [c for a in it.args for c in _collections(a)]
    if isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute) and it.func.attr in ("items", "values", "keys"):
        return _collections(it.func.value)
    if isinstance(it, ast.Starred):
        return _collections(it.value)
    return [it]


def _literal_names(nodes: list[ast.stmt] | ast.AST) -> set[str]:
    body = nodes if isinstance(nodes, list) else list(ast.walk(nodes))
    return {t.id for n in body if isinstance(n, ast.Assign) and _literal(n.value, set())
            for t in n.targets if isinstance(t, ast.Name)}  # fmt: skip


def unproven_loops(source: str) -> list[tuple[int, str, str]]:
    """(line, test, collection) for each asserting loop nothing shows to run."""
    tree = ast.parse(source)
    lines = source.splitlines()
    module_literals = _literal_names(tree.body)
    out = []
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef) or not fn.name.startswith("test"):
            continue
        literals = module_literals | _literal_names(fn)
        for loop in ast.walk(fn):
            if not isinstance(loop, ast.For) or "# may be empty:" in lines[loop.lineno - 1]:
                continue
            inside = {id(x) for stmt in loop.body for x in ast.walk(stmt)}
            if not any(isinstance(x, ast.Assert) for stmt in loop.body for x in ast.walk(stmt)):
                continue
            outside = [ast.unparse(a) for a in ast.walk(fn) if isinstance(a, ast.Assert) and id(a) not in inside]
            for c in _collections(loop.iter):
                text = ast.unparse(c)
                if not _literal(c, literals) and not any(text in a for a in outside):
                    out.append((loop.lineno, fn.name, text))
    return out


def test_every_asserting_loop_is_shown_to_run() -> None:
    files = sorted(TESTS.rglob("test_*.py"))
    assert len(files) > 50
    found = [f"tests/{p.relative_to(TESTS).as_posix()}:{line}: {test}: {what}"
             for p in files for line, test, what in unproven_loops(p.read_text(encoding="utf-8"))]  # fmt: skip
    assert found == [], "assert the collection is not empty before the loop (or say `# may be empty: why`)"


def test_the_check_tells_proven_from_unproven_loops() -> None:
    src = '''
CASES = ("a", "b")
def test_x(plan):
    for c in CASES:
        assert c
    for r in plan.resources:
        assert r.name
    items = plan.items
    assert len(items) > 3
    for i in sorted(items):
        assert i
    for k, v in plan.tags.items():
        assert v
    assert plan.tags
    for a in plan.pairs:  # may be empty: no pairs with one element
        assert a
    for x in plan.other:
        print(x)
'''
    assert unproven_loops(src) == [(6, "test_x", "plan.resources")]
