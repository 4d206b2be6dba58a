"""Wall time of `mlplat validate` as a user runs it: a fresh interpreter per run, so the
imports (pydantic, ruamel, click) are part of the figure — that is the cost a user and a CI
step pay. Also the in-process split: parse vs resolve+validate of every environment.

    python bench/bench_validate.py [--runs 10] [SPEC ...]

Prints one row per spec: min / median / max wall seconds over the runs.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SPECS = [ROOT / "examples" / "platform.yaml", ROOT / "examples" / "onprem.yaml"]


def cold_runs(spec: Path, runs: int) -> list[float]:
    cmd = [sys.executable, "-m", "mlplat", "validate", str(spec)]
    subprocess.run(cmd, capture_output=True, check=True, cwd=ROOT)  # warm the OS file cache
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        res = subprocess.run(cmd, check=False, capture_output=True, cwd=ROOT)
        samples.append(time.perf_counter() - t)
        if res.returncode != 0:
            raise SystemExit(f"validate failed on {spec}:\n{res.stderr.decode()}")
    return samples


def in_process(spec: Path, runs: int) -> tuple[float, float]:
    sys.path.insert(0, str(ROOT))
    from mlplat.stacks import load_spec, validate

    parse, check = [], []
    for _ in range(runs):
        t = time.perf_counter()
        doc = load_spec(spec)
        t1 = time.perf_counter()
        validate(doc)
        t2 = time.perf_counter()
        parse.append(t1 - t)
        check.append(t2 - t1)
    return statistics.median(parse), statistics.median(check)


def interpreter_floor(runs: int) -> float:
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("specs", nargs="*", type=Path, default=DEFAULT_SPECS)
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()

    print(f"python -c pass (interpreter start): {interpreter_floor(args.runs):.3f} s median")
    print(f"{'spec':<28} {'min':>7} {'median':>7} {'max':>7}   in-process: parse / validate all envs")
    for spec in args.specs:
        cold = cold_runs(spec, args.runs)
        parse, check = in_process(spec, args.runs)
        print(
            f"{spec.name:<28} {min(cold):7.3f} {statistics.median(cold):7.3f} {max(cold):7.3f}"
            f"   {parse * 1000:6.1f} ms / {check * 1000:6.1f} ms"
        )


if __name__ == "__main__":
    main()
