"""Expected values never come from the code under test (issue 21).

A test that imports `DEFAULT_NAT_GB` from mlplat and multiplies it by a price agrees with any
default the code picks, so it cannot catch a changed default. Tests write such values as
literals with the reason beside them. This check reads every file under tests/ with `ast` and
fails on an UPPER_CASE name taken from `mlplat.*`, whether imported (`from mlplat.x import NAME`)
or read off an imported module (`catalogue.NAME`, `mlplat.x.NAME`).

Some constants are inputs or the subject of a test, not expected values: the plan's markers for
unknown and secret values, or a table whose every entry the test checks against something else
(the instance catalogue against the price files). They are allowed per file, each with its reason.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
CONSTANT = re.compile(r"^_?[A-Z][A-Z0-9_]+$")

_MARKERS = "input: the offline engine's wire marker, used to build plans shaped like its output"
ALLOWED: dict[tuple[str, str], str] = {
    ("cost/test_prices_build.py", "RULES"): "subject: the builder's mapping rules are what the test exercises",
    ("unit/test_instance_catalogue.py", "INSTANCE_TYPES"): "subject: the catalogue validate draws from is under test",
    ("engine_offline/test_offline_engine.py", "UNKNOWN"): _MARKERS,
    ("engine_offline/test_offline_engine.py", "SECRET"): _MARKERS,
    ("moto/materialize.py", "UNKNOWN"): _MARKERS,
    ("moto/test_drift_state_and_errors.py", "UNKNOWN"): _MARKERS,
    ("policies/builders.py", "UNKNOWN"): _MARKERS,
    ("policies/builders.py", "SECRET"): _MARKERS,
    ("policies/test_policy_checkov.py", "UNKNOWN"): _MARKERS,
    ("policies/test_policy_rules.py", "UNKNOWN"): _MARKERS,
    ("policies/test_policy_rules.py", "SECRET"): _MARKERS,
    ("unit/test_validate_implies_plan.py", "SELDON_SERVERS"): "subject: validate's restatement must equal the generator's table",
    ("unit/test_validate_implies_plan.py", "SELDON_FORMATS"): "subject: validate's restatement must equal the generator's table",
    ("policies/builders.py", "TAGGABLE_AWS_TYPES"): "input: decides which fixture resources get ownership tags",
    ("policies/test_policy_reference.py", "TAGGABLE_AWS_TYPES"):
        "subject: the table is checked to cover every tagged type in the reference plans",
    ("policies/test_policy_checkov.py", "SKIPS"): "subject: each checkov skip is checked for its reason and scope",
    ("policies/test_policy_reference.py", "SKIPS"): "subject: no finding on the reference plans hides behind a skip",
    ("policies/test_policy_framework.py", "OWNERSHIP_TAGS"): "subject: compared with DESIGN 4's literal tag names",
    ("policies/test_policy_framework.py", "OWNERSHIP_LABELS"): "subject: compared with DESIGN 4's literal labels",
    ("cost/test_catalogue.py", "INSTANCE_TYPES"): "subject: every catalogued instance type needs a price in the files",
    ("unit/test_schema.py", "INSTANCE_TYPES"): "subject: the JSON Schema's enum must offer exactly the catalogue",
    ("unit/test_schema.py", "FIELD_DOCS"): "subject: every documented key must name a real spec field",
    ("cli/test_help.py", "COMMANDS"): "subject: every registered command is walked for help with an example",
    ("engine/test_teardown_safety.py", "STATEFUL_TYPES"):
        "subject: the table must name every type the reference plans protect",
    ("engine/test_engine_program.py", "_RUN_LOCK"): "not a value: the offline engine's lock, held around a program run",
    ("engine_offline/test_plan_cache.py", "_DISABLED"): "input: the cache's off switch, which the test turns on",
    ("engine_offline/test_plan_cache.py", "CACHE_DIR"): "input: where the test looks for the cache files it made",
    ("unit/test_k8s_pure.py", "PSA_BASELINE"): "input: the Pod Security level passed in; the labels are literals",
    ("engine_offline/test_short_lived.py", "_SHORT_LIVED"): "input: the console script's switch, which the test sets",
}  # fmt: skip


def constants_from_mlplat(source: str) -> list[tuple[int, str]]:
    """(line, NAME) for each UPPER_CASE name a module takes from mlplat.*."""
    tree = ast.parse(source)
    modules: set[str] = set()  # local names bound to mlplat modules (or possibly modules)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "mlplat":
            for alias in node.names:
                if CONSTANT.match(alias.name):
                    found.append((node.lineno, alias.name))
                else:
                    modules.add(
                        alias.asname or alias.name
                    )  # a module or a function: attributes checked below
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "mlplat":
                    modules.add(alias.asname or "mlplat")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and CONSTANT.match(node.attr):
            if (
                isinstance(node.value, ast.Attribute)
                and node.value.attr[:1].isupper()
                and not CONSTANT.match(node.value.attr)
            ):
                continue  # an enum member (engine.Confirm.NONE): a type's value, compared by identity
            root: ast.expr = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in modules:
                found.append((node.lineno, node.attr))
    return sorted(set(found))


def test_no_test_takes_an_expected_value_from_mlplat() -> None:
    offending, used = [], set()
    files = sorted(TESTS.rglob("*.py"))
    assert len(files) > 50  # the scan saw the suite, not an empty folder
    for path in files:
        rel = path.relative_to(TESTS).as_posix()
        for line, name in constants_from_mlplat(path.read_text(encoding="utf-8")):
            if (rel, name) in ALLOWED:
                used.add((rel, name))
            else:
                offending.append(f"tests/{rel}:{line}: {name}")
    assert offending == [], "write the value as a literal with its reason (or allow an input in ALLOWED)"
    # An allowance nothing needs any more is removed, so the list stays an honest inventory.
    assert sorted(set(ALLOWED) - used) == []


def test_the_scan_sees_each_way_of_taking_a_constant() -> None:
    src = """
import mlplat.stacks.cost.catalogue as cat
from mlplat.stacks.cost import catalogue
from mlplat.stacks.cost.catalogue import DEFAULT_NAT_GB, load_catalogue
import mlplat
a = cat.DEFAULT_BUCKET_GB
b = catalogue.DEFAULT_S3_REQUESTS
c = mlplat.stacks.cost.catalogue.HOURS_PER_MONTH
d = load_catalogue.CACHE
e = other.NOT_FROM_MLPLAT
f = cat.Mode.FAST
"""
    assert constants_from_mlplat(src) == [
        (4, "DEFAULT_NAT_GB"), (6, "DEFAULT_BUCKET_GB"), (7, "DEFAULT_S3_REQUESTS"), (8, "HOURS_PER_MONTH"),
        (9, "CACHE"),
    ]  # fmt: skip
    assert constants_from_mlplat("from mlplat.stacks.cost.estimate import estimate\nHOURS = 730\n") == []
