"""The import layering written in ARCHITECTURE.md holds in the code.

The table in ARCHITECTURE.md is the source: each package may import itself and packages of
lower layers. Every import counts, including those inside functions and under TYPE_CHECKING.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# source folder -> import name (pyproject's package-dir)
FOLDERS = {"stacks": "mlplat.stacks", "modules": "mlplat.modules", "policies": "mlplat.policies", "cli": "mlplat.cli"}
EVERYWHERE = {"mlplat", "mlplat.stacks.errors"}


def layers() -> dict[str, int]:
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d+) \| `([a-z_.]+)` \|", text, flags=re.M)
    assert len(rows) >= 10, "the layer table of ARCHITECTURE.md was not found"
    return {pkg: int(layer) for layer, pkg in rows}


def owner(module: str, table: dict[str, int]) -> str | None:
    """The most specific package of the table that contains `module`."""
    best = None
    for pkg in table:
        if (module == pkg or module.startswith(pkg + ".")) and (best is None or len(pkg) > len(best)):
            best = pkg
    return best


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    parts[0] = FOLDERS[parts[0]]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every mlplat import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rsplit(".", 1)[0]
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.startswith("mlplat")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if not mod.startswith("mlplat"):
                continue
            # `from mlplat.stacks import drift` imports the submodule drift
            for a in node.names:
                out.append((node.lineno, f"{mod}.{a.name}" if f"{mod}.{a.name}" in _all_modules() else mod))
    return out


_MODULES: set[str] = set()


def _all_modules() -> set[str]:
    if not _MODULES:
        for folder in FOLDERS:
            for p in (ROOT / folder).rglob("*.py"):
                _MODULES.add(module_name(p))
    return _MODULES


def violations() -> list[str]:
    table = layers()
    found = []
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            me = module_name(path)
            mine = owner(me, table)
            assert mine is not None, f"{me} belongs to no layer of ARCHITECTURE.md"
            for line, target in imports(path):
                if target in EVERYWHERE or any(target.startswith(e + ".") for e in EVERYWHERE - {"mlplat"}):
                    continue
                theirs = owner(target, table)
                if theirs is None or theirs == mine:
                    continue
                if table[theirs] >= table[mine]:
                    found.append(f"{path.relative_to(ROOT)}:{line}: {mine} (layer {table[mine]}) imports "
                                 f"{target} ({theirs}, layer {table[theirs]})")
    return found


def test_every_package_is_in_the_layer_table():
    table = layers()
    files = [path for folder in FOLDERS for path in (ROOT / folder).rglob("*.py")]
    assert len(files) > 50
    for path in files:
        assert owner(module_name(path), table), path


def test_no_module_imports_upward_or_sideways():
    found = violations()
    assert not found, "imports against ARCHITECTURE.md:\n" + "\n".join(found)


def test_the_check_sees_an_upward_import():
    """Guard the guard: a spec-layer module importing the plan layer is reported."""
    bad = ROOT / "stacks" / "platform_spec" / "_layering_probe.py"
    bad.write_text("from mlplat.stacks.plan.model import Plan\nfrom mlplat.stacks.cost import estimate\n")
    try:
        _MODULES.clear()
        found = [v for v in violations() if "_layering_probe" in v]
    finally:
        bad.unlink()
        _MODULES.clear()
    assert len(found) == 2, found
    assert "imports mlplat.stacks.plan.model (mlplat.stacks.plan, layer 4)" in found[0]


@pytest.mark.parametrize("folder", sorted(FOLDERS))
def test_no_module_over_a_thousand_lines(folder):
    long = [f"{p.relative_to(ROOT)}: {n}" for p in (ROOT / folder).rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 1000]
    assert not long, long
