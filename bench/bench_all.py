"""Issue 17's table, as whole processes: what a user and a CI step wait for.

    python bench/bench_all.py                 # best of 3, every row (~10 min on a quiet 2-core machine)
    python bench/bench_all.py --runs 5 --rows preview,check
    python bench/bench_all.py --markdown      # the table as README's Performance section prints it

Every command runs as `python -m mlplat …` in a fresh interpreter with the plan cache off
(MLPLAT_NO_CACHE=1: each figure includes the plan), after one warm-up run (OS file cache, .pyc).
Per row: best and median wall seconds over --runs, the best run's CPU seconds (user + sys of the
process and its children, e.g. check's workers), and the 1-minute load average before and after
the row (/proc/loadavg): on a shared machine a load above the core count makes wall times wait
for a core, so read CPU seconds and the load next to them.

Rows:
  validate     mlplat validate examples/platform.yaml
  preview      mlplat preview examples/platform.yaml --env prod --format json
  cost         mlplat cost examples/platform.yaml --env prod
  policy       mlplat policy examples/platform.yaml --env prod   (own rules + checkov)
  check        mlplat check examples/platform.yaml               (3 environments, checkov on; above
               1.5 load per core it runs sequentially, see stacks/review/check.py auto_jobs)
  check-j2     mlplat check examples/platform.yaml -j 2          (the pipeline: plans here, a worker judges)
  marginal     preview of the prod spec with 8 and with 200 served models (bench/synthetic.py):
               (wall(200) - wall(8)) / (resources(200) - resources(8))
  large        preview of a ~2,900-resource spec (1,000 served models, 100 buckets: the input limits)
  bare         the same ~3,000 resources through a bare Pulumi mocks program (bench/bare_pulumi.py,
               no mlplat): whole process, and in process (warm, second run) against mlplat's own
               offline plan of the same spec
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from synthetic import synthetic_spec

SPEC = ROOT / "examples" / "platform.yaml"
ROWS = ("validate", "preview", "cost", "policy", "check", "check-j2", "marginal", "large", "bare")
# ~3,000 resources: 253 at 8 models, 2 per further model (InferenceService + Service; the spec allows
# 1,000 models), 7 per extra versioned bucket: 2,909 resources
LARGE_MODELS, LARGE_BUCKETS = 1000, 96  # the input limits: 1,000 models, 100 buckets (4 in the spec)
GOALS = {"validate": 0.3, "preview": 3.0, "cost": 3.2, "policy": 4.0, "check": 8.0, "check-j2": 8.0, "marginal": 1.5,
         "large": 8.0}


@dataclass
class Timing:
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    load_before: float = 0.0
    load_after: float = 0.0
    stdout: bytes = b""

    @property
    def best(self) -> float:
        return min(self.walls)

    @property
    def median(self) -> float:
        return statistics.median(self.walls)

    @property
    def best_cpu(self) -> float:
        return self.cpus[self.walls.index(self.best)]


def load1() -> float:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except OSError:
        return os.getloadavg()[0]


def env() -> dict[str, str]:
    # The warm-up run writes the .pyc files a user's second run reads. Python skips writing them when
    # PYTHONDONTWRITEBYTECODE is any non-empty string, "0" included, so the variable is removed.
    out = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out["MLPLAT_NO_CACHE"] = "1"
    return out


def timed(cmd: list[str], runs: int, ok: tuple[int, ...] = (0,)) -> Timing:
    """Best of `runs` whole-process runs of `cmd` after one warm-up."""
    out = Timing(load_before=load1())
    first = subprocess.run(cmd, capture_output=True, cwd=ROOT, env=env(), check=False)
    if first.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd)} exited {first.returncode}:\n{first.stderr.decode()[-2000:]}")
    out.stdout = first.stdout
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, cwd=ROOT, env=env(), check=False)
        out.walls.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        out.cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    out.load_after = load1()
    return out


def mlplat(*args: str) -> list[str]:
    return [sys.executable, "-m", "mlplat", *args]


def in_process_pair(spec: Path, plan_json: Path, runs: int) -> tuple[float, float]:
    """Warm in-process seconds (best of `runs`, after one run that pays the lazy imports): mlplat's
    offline plan of `spec` prod, and the bare program over the same resources; separate processes."""
    code = (
        "import json, sys, time\n"
        "from mlplat.stacks.platform_spec.resolve import load_platform\n"
        "from mlplat.stacks.plan.offline import plan_uncached\n"
        "r = load_platform(sys.argv[1], 'prod'); plan_uncached(r); s = []\n"
        "for _ in range(int(sys.argv[2])):\n"
        "    t = time.perf_counter(); plan_uncached(r); s.append(time.perf_counter() - t)\n"
        "print(json.dumps(s))\n"
    )
    ours = subprocess.run([sys.executable, "-c", code, str(spec), str(runs)], capture_output=True, text=True,
                          cwd=ROOT, env=env(), check=True)
    bare = subprocess.run([sys.executable, str(ROOT / "bench" / "bare_pulumi.py"), str(plan_json), "--runs",
                           str(runs + 1)], capture_output=True, text=True, cwd=ROOT, env=env(), check=True)
    return min(json.loads(ours.stdout)), min(json.loads(bare.stdout)["seconds"][1:])


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    versions = ", ".join(f"{d} {metadata.version(d)}" for d in ("pulumi", "pulumi-aws", "pulumi-kubernetes",
                                                                "checkov"))
    return (f"{time.strftime('%Y-%m-%d')}, {cores} cores ({cpu}), {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}; {versions}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rows", default=",".join(ROWS), help=f"comma-separated subset of {','.join(ROWS)}")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    rows = [r for r in args.rows.split(",") if r]
    unknown = set(rows) - set(ROWS)
    if unknown:
        raise SystemExit(f"unknown rows: {', '.join(sorted(unknown))}")

    print(f"# {machine()}; best of {args.runs} after a warm-up, plan cache off", flush=True)
    table: list[tuple[str, str, str, str, str]] = []  # what, figure, cpu, load, goal

    def add(name: str, what: str, t: Timing, figure: str | None = None, cpu: str | None = None) -> None:
        goal = GOALS.get(name)
        fig = figure or f"{t.best:.2f} s (median {t.median:.2f})"
        table.append((what, fig, cpu or f"{t.best_cpu:.2f} s", f"{t.load_before:.1f} → {t.load_after:.1f}",
                      f"≤ {goal} {'ms' if name == 'marginal' else 's'}" if goal else ""))
        print(" | ".join(table[-1]), flush=True)

    simple = {
        "validate": ("`validate examples/platform.yaml`", mlplat("validate", str(SPEC)), (0,)),
        "preview": ("`preview … --env prod --format json`", mlplat("preview", str(SPEC), "--env", "prod", "--format",
                                                                     "json"), (0,)),
        "cost": ("`cost … --env prod`", mlplat("cost", str(SPEC), "--env", "prod"), (0, 1)),
        "policy": ("`policy … --env prod` (rules + checkov)", mlplat("policy", str(SPEC), "--env", "prod"), (0, 1)),
        "check": ("`check` (3 environments, checkov; processes chosen by load)", mlplat("check", str(SPEC)), (0, 1)),
        "check-j2": ("`check -j 2` (the pipeline whatever the load)", mlplat("check", str(SPEC), "-j", "2"), (0, 1)),
    }
    for name in rows:
        if name in simple:
            what, cmd, ok = simple[name]
            add(name, what, timed(cmd, args.runs, ok))

    with tempfile.TemporaryDirectory() as tmp:
        if "marginal" in rows:
            sizes = {}
            for n in (8, 200):
                p = Path(tmp) / f"models-{n}.yaml"
                p.write_text(synthetic_spec(n))
                t = timed(mlplat("preview", str(p), "--env", "prod", "--format", "json"), args.runs)
                sizes[n] = (len(json.loads(t.stdout)["resources"]), t)
            (r8, t8), (r200, t200) = sizes[8], sizes[200]
            ms = 1000 * (t200.best - t8.best) / (r200 - r8)
            cpu_ms = 1000 * (t200.best_cpu - t8.best_cpu) / (r200 - r8)
            t200.load_before = t8.load_before
            add("marginal", f"marginal cost of a resource (8 → 200 models: {r8} → {r200} resources)", t200,
                figure=f"{ms:.2f} ms", cpu=f"{cpu_ms:.2f} ms")
        if "large" in rows or "bare" in rows:
            big = Path(tmp) / "large.yaml"
            big.write_text(synthetic_spec(LARGE_MODELS, LARGE_BUCKETS))
            t = timed(mlplat("preview", str(big), "--env", "prod", "--format", "json"), args.runs)
            plan_json = Path(tmp) / "large.plan.json"
            plan_json.write_bytes(t.stdout)
            n = len(json.loads(t.stdout)["resources"])
            if "large" in rows:
                add("large", f"`preview` of a {n:,}-resource spec ({LARGE_MODELS} models, {LARGE_BUCKETS + 4} buckets)", t)
            if "bare" in rows:
                bare = timed([sys.executable, str(ROOT / "bench" / "bare_pulumi.py"), str(plan_json)], args.runs)
                add("bare", f"bare Pulumi mocks program, same {n:,} resources (whole process)", bare)
                ratio = t.best / bare.best
                table.append((f"ratio mlplat / bare, {n:,} resources, whole process", f"{ratio:.2f}",
                              f"{t.best_cpu / bare.best_cpu:.2f}", "", ""))
                print(" | ".join(table[-1]), flush=True)
                ours, theirs = in_process_pair(big, plan_json, args.runs)
                table.append((f"ratio mlplat / bare, {n:,} resources, in process (warm plan only)",
                              f"{ours / theirs:.2f} ({ours:.2f} s / {theirs:.2f} s)", "", f"{load1():.1f}", ""))
                print(" | ".join(table[-1]), flush=True)

    if args.markdown:
        print("\n| what | wall, best (median) | CPU of the best run | load 1-min before → after | goal |")
        print("|---|---|---|---|---|")
        for row in table:
            print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
