"""Preview time against resource count: the reference spec per environment and synthetic
specs with many served models.

    python bench/bench_preview.py            # prints a table; numbers go in the README

Timings are in-process, best of three (imports excluded; measured separately as a cold CLI run).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def synthetic(models: int) -> str:
    from synthetic import synthetic_spec  # bench/synthetic.py: the reference spec with `models` models

    return synthetic_spec(models)


def timed(path: Path, env: str, runs: int = 3) -> tuple[int, float]:
    import gc

    from mlplat.stacks import load_platform
    from mlplat.stacks.plan.offline import plan_uncached as run_offline  # the engine, not the plan cache

    resolved = load_platform(path, env)
    samples, count = [], 0
    for _ in range(runs):
        gc.collect()  # each sample starts like a fresh `mlplat preview` process: no garbage of earlier runs
        t = time.perf_counter()
        plan = run_offline(resolved)
        samples.append(time.perf_counter() - t)
        count = len(plan.resources)
    return count, min(samples)


def main() -> None:
    t = time.perf_counter()
    import mlplat.modules.platform
    import mlplat.stacks.plan.offline  # noqa: F401

    print(f"imports: {time.perf_counter() - t:.2f} s")
    rows = []
    for env in ("dev", "staging", "prod"):
        rows.append((f"platform.yaml {env}", *timed(ROOT / "examples" / "platform.yaml", env)))
    with tempfile.TemporaryDirectory() as tmp:
        for n in (50, 200, 400, 800):
            p = Path(tmp) / f"synthetic-{n}.yaml"
            p.write_text(synthetic(n))
            rows.append((f"synthetic {n} models prod", *timed(p, "prod", runs=3)))
    print(f"{'spec':32} {'resources':>9} {'seconds':>8} {'ms/resource':>12}")
    for name, count, secs in rows:
        print(f"{name:32} {count:9d} {secs:8.2f} {1000 * secs / count:12.2f}")
    synthetic_rows = [r for r in rows if r[0].startswith("synthetic")]
    (_, c1, s1), (_, c2, s2) = synthetic_rows[0], synthetic_rows[-1]
    print(f"marginal cost per extra resource: {1000 * (s2 - s1) / (c2 - c1):.2f} ms")
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "mlplat", "preview", str(ROOT / "examples" / "platform.yaml"), "--env", "prod",
         "--format", "json"], check=True, stdout=subprocess.DEVNULL,
    )
    print(f"cold CLI `mlplat preview examples/platform.yaml --env prod`: {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main()
