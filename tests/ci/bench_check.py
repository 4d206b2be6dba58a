"""Benchmark of `mlplat check` strategies (not collected by pytest: run by hand).

    python -m tests.ci.bench_check SPEC [--rounds N] [--no-checkov]

Runs each strategy in a fresh interpreter (imports and Pulumi warm-up included, as in CI),
alternating strategies round by round so background load hits all of them alike, and prints
wall and CPU seconds (CPU includes the worker processes).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

_RUN = (
    "import sys; from mlplat.stacks.check import check; "
    "a = sys.argv[1:]; spec, jobs, strategy, ck = a[0], int(a[1]), (a[2] if a[2] != '-' else None), a[3] == '1'; "
    "r = check(spec, jobs=jobs, strategy=strategy, checkov=ck); print(r.exit_code, round(r.seconds, 2), r.mode)"
)


def run(spec: str, jobs: int, strategy: str | None, checkov: bool) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _RUN, spec, str(jobs), strategy or "-", "1" if checkov else "0"],
                         capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("spec")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--no-checkov", action="store_true")
    a = ap.parse_args()
    plans = {"sequential": (1, None), "pipeline": (2, "pipeline"), "processes": (2, "processes")}
    for i in range(a.rounds):
        for name, (jobs, strategy) in plans.items():
            load = Path("/proc/loadavg").read_text().split()[0]
            wall, cpu, out = run(a.spec, jobs, strategy, not a.no_checkov)
            print(f"round {i + 1} {name:<10} wall {wall:6.1f}s cpu {cpu:6.1f}s load {load}  [{out}]", flush=True)


if __name__ == "__main__":
    main()
