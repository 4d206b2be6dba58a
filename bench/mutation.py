"""Mutation testing of the judges with mutmut 3: do the tests notice when the logic changes?

    python bench/mutation.py                          # every group, 900 s budget each
    python bench/mutation.py drift merge --budget 600 # some groups
    python bench/mutation.py --report                 # the table from the last runs, nothing re-run
    python bench/mutation.py --ref main cost          # the score of an older commit's tests
    # before/after a change of the tests: the survivors of the first run re-tested, then a table
    python bench/mutation.py --ref BASE --label before && python bench/mutation.py --label after --rerun-survivors-of before
    python bench/mutation.py --compare before after

Groups (the judges, each with the tests that exercise it; GROUPS below has the details):

    policies  policies/rules/*.py                          tests/policies (no checkov, no CLI)
    cost      stacks/cost/pricers.py, pricers_k8s.py       tests/cost (no CLI)
    drift     stacks/drift/model.py + targets.py's comparisons   tests/moto (in-process, not test_drift_moto)
    merge     stacks/platform_spec/resolve.py              tests/unit: resolve, spec errors, schema
    locate    stacks/platform_spec/diagnose.py, tree.py    the same

Why a shadow tree: mutmut names a mutant after its file path (`stacks/drift/model.py` →
`stacks.drift.model.x_compare__mutmut_3`) and its trampoline compares that with the function's
`__module__` at run time (`mlplat.stacks.drift.model`). The package is mapped from pkg/, stacks/,
… by setuptools `package-dir`, so the paths never match and every mutant would look untested.
The script therefore lays the package out as `mlplat/…` in `build/mutation/<group>/` (plus the
tests and the data they read), writes a pyproject.toml there with the `[tool.mutmut]` section,
and runs `mutmut run` in it. The worktree itself is never mutated.

mutmut 3 mutates code inside functions and methods only: module-level constants (a rule's
`MAX_REPLICAS = 50`) are left alone, so the comparisons that use them are what gets mutated.

Score = killed / (killed + survived), timeouts counted as killed (the mutant broke the code);
"no tests" are mutants in functions no selected test calls, listed apart.
The run is bounded by --budget seconds per group (the machine is shared): mutants not reached
are "not checked" and the table says how many. Each run starts from a fresh tree.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "build" / "mutation"

# group → (files to mutate, tests that exercise them, mutants to run: [] = all in the files).
# Slow tests that cannot see a mutant are left out: CLI tests in a subprocess import the installed
# package, not mutants/; checkov runs and moto's server mode repeat what in-process tests judge.
POLICY_TESTS = [
    "tests/policies",
    "--ignore=tests/policies/test_policy_checkov.py",
    "--ignore=tests/policies/test_policy_cli.py",
    "--ignore=tests/policies/test_policy_crossguard.py",
    "--ignore=tests/policies/test_policy_reference.py",
    "--ignore=tests/policies/test_policy_outputs.py",
]
SPEC_TESTS = ["tests/unit/test_resolve.py", "tests/unit/test_spec_errors.py", "tests/unit/test_schema.py"]
DRIFT_JUDGES = [
    "_versioning_equal",
    "_lifecycle_rules",
    "_canonical_policy",
    "_canon",
    "_taints",
    "_subset",
    "_storage_in_range",
    "_tag_checks",
    "_attr",
    "_rds_target",
    "_redis_target",
    "_cache_cluster_target",
]
GROUPS: dict[str, tuple[list[str], list[str], list[str]]] = {
    "policies": (["mlplat/policies/rules/*.py"], POLICY_TESTS, []),
    "cost": (["mlplat/stacks/cost/pricers.py", "mlplat/stacks/cost/pricers_k8s.py"],
             ["tests/cost", "--ignore=tests/cost/test_cost_cli.py", "--ignore=tests/cost/test_catalogue.py"], []),
    # targets.py is mostly plumbing (which plan input goes to which live field): the judges are
    # the comparisons and tolerances below, and model.py (compare, norm, the report's verdict).
    # test_drift_moto.py builds a whole environment per test: too slow to run per mutant here.
    "drift": (["mlplat/stacks/drift/model.py", "mlplat/stacks/drift/targets.py"], ["tests/moto", "-k", "not server and not test_drift_moto"],
              ["mlplat.stacks.drift.model.*"] + [f"mlplat.stacks.drift.targets.x_{f}__mutmut_*" for f in DRIFT_JUDGES]),
    "merge": (["mlplat/stacks/platform_spec/resolve.py"], SPEC_TESTS, []),
    "locate": (["mlplat/stacks/platform_spec/diagnose.py", "mlplat/stacks/platform_spec/tree.py"], SPEC_TESTS, []),
}  # fmt: skip

# Data the tests read relative to the repository root (examples, the layer table, prices…).
ALSO_COPY = ["tests", "examples", "ARCHITECTURE.md", "pkg", "stacks", "modules", "policies", "cli",
             "templates", "envs"]  # fmt: skip

STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped",
          36: "timeout", -24: "timeout", 24: "timeout", 152: "timeout", 255: "timeout", None: "not checked"}  # fmt: skip


def _package_dirs(src: Path) -> dict[str, str]:
    cfg = tomllib.loads((src / "pyproject.toml").read_text(encoding="utf-8"))
    mapping: dict[str, str] = cfg["tool"]["setuptools"]["package-dir"]
    return mapping


def source_root(ref: str | None) -> Path:
    """The worktree, or a clean copy of a commit (`--ref`: the score of the tests as they were then)."""
    if ref is None:
        return ROOT
    dest = WORK / "_source"
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


TESTS_OVERRIDE: list[str] = []  # --tests: another test selection for this run


def build_tree(group: str, src: Path) -> Path:
    """`build/mutation/<group>/` with mlplat/ laid out as its import path, the tests and pyproject.toml."""
    dest = WORK / group
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis")
    # Parents before children: mlplat (pkg/) first, then mlplat.stacks (stacks/) inside it, …
    for package, folder in sorted(_package_dirs(src).items(), key=lambda kv: kv[0].count(".")):
        target = dest.joinpath(*package.split("."))
        shutil.copytree(src / folder, target, ignore=ignore, dirs_exist_ok=True)
    for name in ALSO_COPY:
        path = src / name
        if path.is_dir():
            shutil.copytree(path, dest / name, ignore=ignore)
        elif path.exists():
            shutil.copy2(path, dest / name)
    files, tests, _ = GROUPS[group]
    tests = TESTS_OVERRIDE or tests
    text = (src / "pyproject.toml").read_text(encoding="utf-8")
    # pytest's `pythonpath = ["."]` would put the un-mutated copy ahead of mutmut's mutants/.
    text = re.sub(r'(?m)^pythonpath = \["\."\]\n', "", text)
    text += "\n[tool.mutmut]\n" + "\n".join([
        'source_paths = ["mlplat"]',
        f"only_mutate = {json.dumps(files)}",
        f"pytest_add_cli_args_test_selection = {json.dumps(tests)}",
        # `-n 0`: the project's addopts ask xdist for workers, and mutmut records which tests call
        # a mutant in its own process: with workers it sees no test at all ("could not find any
        # test case for any mutant").
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q", "-n", "0"]',
        f"also_copy = {json.dumps(ALSO_COPY)}",
        "use_git_change_detection = false",
        "timeout_multiplier = 10.0",
    ]) + "\n"  # fmt: skip
    (dest / "pyproject.toml").write_text(text, encoding="utf-8")
    return dest


def run_group(group: str, src: Path, budget: float, children: int, names: list[str] | None = None) -> None:
    """Mutate and test one group; `names`: only these mutants (e.g. an earlier run's survivors)."""
    dest = build_tree(group, src)
    selection = names or GROUPS[group][2]
    (dest / "selection.json").write_text(json.dumps(selection), encoding="utf-8")  # what the report counts
    cmd = [sys.executable, "-m", "mutmut", "run", "--max-children", str(children), *selection]
    print(
        f"[{group}] mutmut run {' '.join(selection[:3]) or 'all'}{' …' if len(selection) > 3 else ''} in {dest} "
        f"(budget {budget:.0f} s)",
        flush=True,
    )
    log = (dest / "mutmut.log").open("w", encoding="utf-8")
    start = time.monotonic()
    # Own process group: on budget expiry the forked workers go with their parent.
    proc = subprocess.Popen(cmd, cwd=dest, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        proc.wait(timeout=budget)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        print(f"[{group}] budget of {budget:.0f} s reached: unreached mutants stay 'not checked'", flush=True)
    log.close()
    (dest / "elapsed.txt").write_text(f"{time.monotonic() - start:.0f}\n", encoding="utf-8")


def statuses(group: str) -> dict[str, tuple[str, str]]:
    """mutant name → (mutated file, status) of the group's last run under WORK."""
    out = {}
    for meta in sorted((WORK / group / "mutants").rglob("*.py.meta")):
        rel = meta.relative_to(WORK / group / "mutants").as_posix().removesuffix(".meta")
        out.update({k: (rel, STATUS.get(v, "suspicious")) for k, v in _results(group, meta).items()})
    return out


def compare(groups: list[str], before: str, after: str) -> str:
    """Score per module before and after, over the mutants the before run judged: the after run
    re-tests the before run's survivors (a mutant the old tests killed stays killed by a superset)."""
    global WORK
    rows = ["| group | module | judged | killed before | score before | killed after | score after |",
            "|---|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    for g in groups:
        WORK = ROOT / "build" / "mutation" / before
        old = statuses(g)
        WORK = ROOT / "build" / "mutation" / after
        new = statuses(g)
        per: dict[str, list[int]] = {}
        for name, (rel, st) in old.items():
            if st not in ("killed", "timeout", "survived"):
                continue
            now = new.get(name, (rel, st))[1] if st == "survived" else st
            now = st if now == "not checked" else now  # the after run did not reach it: as before
            row = per.setdefault(rel, [0, 0, 0])
            row[0] += 1
            row[1] += st != "survived"
            row[2] += now in ("killed", "timeout")
        if g == "policies":
            per = {"policies/rules/*.py": [sum(v[i] for v in per.values()) for i in range(3)]} if per else {}
        for rel, (judged, k0, k1) in sorted(per.items()):
            rows.append(
                f"| {g} | {rel} | {judged} | {k0} | {100 * k0 / judged:.1f} % | {k1} | {100 * k1 / judged:.1f} % |"
            )
    return "\n".join(rows)


def _results(group: str, meta: Path) -> dict[str, int | None]:
    """mutant name → exit code, for the group's selected mutants only."""
    codes: dict[str, int | None] = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    chosen = WORK / group / "selection.json"
    patterns = json.loads(chosen.read_text(encoding="utf-8")) if chosen.exists() else GROUPS[group][2]
    return {
        k: v for k, v in codes.items() if not patterns or any(fnmatch.fnmatchcase(k, p) for p in patterns)
    }


def summarize(group: str) -> dict[str, dict[str, int]]:
    """Per mutated file: counts by status, read from mutmut's .meta files."""
    out: dict[str, dict[str, int]] = {}
    for meta in sorted((WORK / group / "mutants").rglob("*.py.meta")):
        counts: dict[str, int] = {}
        for code in _results(group, meta).values():
            status = STATUS.get(code, "suspicious")
            counts[status] = counts.get(status, 0) + 1
        rel = meta.relative_to(WORK / group / "mutants").as_posix().removesuffix(".meta")
        out[rel] = counts
    return out


def survivors(group: str) -> list[str]:
    names = []
    for meta in sorted((WORK / group / "mutants").rglob("*.py.meta")):
        names += [k for k, v in _results(group, meta).items() if STATUS.get(v) == "survived"]
    return names


def score(c: dict[str, int]) -> str:
    killed = c.get("killed", 0) + c.get("timeout", 0)
    judged = killed + c.get("survived", 0)
    return f"{100.0 * killed / judged:.1f} %" if judged else "n/a"


def report(groups: list[str]) -> str:
    rows = ["| group | module | mutants | killed | survived | no tests | not checked | score |",
            "|---|---|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for g in groups:
        per_file = summarize(g)
        total: dict[str, int] = {}
        for counts in per_file.values():
            for k, v in counts.items():
                total[k] = total.get(k, 0) + v
        per_file = {k: v for k, v in per_file.items() if v}  # files the selection left out
        per_file_rows = (
            per_file.items() if len(per_file) <= 5 else []
        )  # 56 rule files: the group line says it
        for name, c in [*per_file_rows, ("(all)", total)]:
            rows.append(
                f"| {g} | {name} | {sum(c.values())} | {c.get('killed', 0) + c.get('timeout', 0)} | "
                f"{c.get('survived', 0)} | {c.get('no tests', 0)} | {c.get('not checked', 0)} | {score(c)} |"
            )
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("groups", nargs="*", help=f"groups to run (default: all of {', '.join(GROUPS)})")
    ap.add_argument("--budget", type=float, default=900.0, help="seconds per group (default 900)")
    ap.add_argument("--children", type=int, default=2, help="parallel mutant workers (default 2)")
    ap.add_argument("--ref", help="mutate and test a commit instead of the worktree (e.g. a baseline)")
    ap.add_argument("--label", default="latest", help="results go to build/mutation/LABEL/ (default latest)")
    ap.add_argument("--rerun-survivors-of", metavar="LABEL", help="run only the survivors of an earlier run")
    ap.add_argument(
        "--mutants", nargs="+", metavar="PATTERN", help="only mutants matching (e.g. 'mlplat.x.y*')"
    )
    ap.add_argument("--tests", help="pytest selection instead of the group's, e.g. 'tests/moto -k unit'")
    ap.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"), help="table of two labelled runs only")
    ap.add_argument("--report", action="store_true", help="print the table of the last runs only")
    ap.add_argument("--survivors", action="store_true", help="also list the surviving mutants")
    args = ap.parse_args()
    global WORK
    groups = args.groups or list(GROUPS)
    unknown = sorted(set(groups) - set(GROUPS))
    if unknown:
        ap.error(f"unknown group(s) {', '.join(unknown)}; choose from {', '.join(GROUPS)}")
    if args.compare:
        print(compare(groups, *args.compare))
        return
    WORK = ROOT / "build" / "mutation" / args.label
    TESTS_OVERRIDE[:] = shlex.split(args.tests or "")
    if not args.report:
        src = source_root(args.ref)
        for g in groups:
            names = None
            if args.rerun_survivors_of:
                WORK = ROOT / "build" / "mutation" / args.rerun_survivors_of
                names = survivors(g)
                WORK = ROOT / "build" / "mutation" / args.label
                if not names:
                    print(f"[{g}] no survivors in {args.rerun_survivors_of}: nothing to re-run")
                    continue
            run_group(g, src, args.budget, args.children, names or args.mutants)
    print(report([g for g in groups if (WORK / g / "mutants").exists()]))
    if args.survivors:
        for g in groups:
            if (WORK / g / "mutants").exists():
                print(f"\n[{g}] surviving mutants (`cd build/mutation/{g} && mutmut show NAME`):")
                print("\n".join(f"  {n}" for n in survivors(g)))


if __name__ == "__main__":
    main()
