"""Cost of pricing: the estimate over an offline plan is small next to the plan itself.

    python bench/bench_cost.py [--runs 20]

Prints, per environment of the reference spec: resources, offline plan seconds (one run), and the
median seconds of estimate(), of the JSON document and of the markdown comment over --runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()

    from mlplat.stacks import load_platform
    from mlplat.stacks.cost.estimate import estimate
    from mlplat.stacks.cost.output import cost_json, to_markdown
    from mlplat.stacks.plan.offline import run_offline

    print(f"{'spec/env':<20} {'resources':>9} {'plan s':>8} {'estimate ms':>12} {'json ms':>8} {'markdown ms':>12} {'monthly $':>10}")
    for spec, envs in (("platform", ("dev", "staging", "prod")), ("onprem", ("staging", "prod"))):
        for env in envs:
            resolved = load_platform(ROOT / "examples" / f"{spec}.yaml", env)
            t0 = time.perf_counter()
            plan = run_offline(resolved)
            plan_s = time.perf_counter() - t0

            def timed(fn):  # median milliseconds over the runs
                samples = []
                for _ in range(args.runs):
                    t = time.perf_counter()
                    fn()
                    samples.append((time.perf_counter() - t) * 1000)
                return statistics.median(samples)

            e = estimate(resolved, plan)
            est_ms = timed(lambda r=resolved, p=plan: estimate(r, p))
            json_ms = timed(lambda e=e: json.dumps(cost_json(e)))
            md_ms = timed(lambda e=e: to_markdown(e))
            print(f"{spec + '/' + env:<20} {len(plan):>9} {plan_s:>8.2f} {est_ms:>12.2f} {json_ms:>8.2f} {md_ms:>12.2f} "
                  f"{e.monthly_usd:>10,.2f}")


if __name__ == "__main__":
    main()
