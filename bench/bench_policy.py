"""Cost of the policy gate: own rules + checkov over the reference specs, every environment.

    python bench/bench_policy.py [--runs 3]

Prints the one-off start-up (checkov import), then per environment: resources, offline plan
seconds (one run, not part of the gate), and the median seconds over --runs of the mlplat rules,
the checkov scan and the whole evaluate(); finally the total of one evaluation of every
environment after start-up, which is what `mlplat check` pays on top of the plans.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    t0 = time.perf_counter()
    from mlplat.policies import evaluate
    from mlplat.policies.checkov_bridge import warm_up
    from mlplat.stacks import load_platform
    from mlplat.stacks.plan.offline import run_offline

    t1 = time.perf_counter()
    warm_up()
    t2 = time.perf_counter()
    print(f"start-up: mlplat import {t1 - t0:.2f}s, checkov import {t2 - t1:.2f}s")

    cases = []
    for spec, envs in (("platform", ("dev", "staging", "prod")), ("onprem", ("staging", "prod"))):
        for env in envs:
            resolved = load_platform(ROOT / "examples" / f"{spec}.yaml", env)
            t = time.perf_counter()
            plan = run_offline(resolved)
            cases.append((f"{spec}/{env}", resolved, plan, time.perf_counter() - t))

    print(
        f"{'spec/env':<18} {'resources':>9} {'plan s':>7} {'rules s':>8} {'checkov s':>10} {'evaluate s':>11} "
        f"{'mandatory':>9} {'advisory':>8}"
    )
    total = 0.0
    for name, resolved, plan, plan_s in cases:
        rules, ck, whole = [], [], []
        result = None
        for _ in range(args.runs):
            t = time.perf_counter()
            result = evaluate(resolved, plan, checkov=True)
            whole.append(time.perf_counter() - t)
            rules.append(result.timings.get("rules", 0.0))
            ck.append(result.timings.get("checkov", 0.0))
        assert result is not None
        med = statistics.median(whole)
        total += med
        s = result.summary()
        print(
            f"{name:<18} {len(plan):>9} {plan_s:>7.2f} {statistics.median(rules):>8.3f} "
            f"{statistics.median(ck):>10.3f} {med:>11.3f} {s['mandatory']:>9} {s['advisory']:>8}"
        )
    print(f"all {len(cases)} environments, rules + checkov, after start-up: {total:.2f}s")


if __name__ == "__main__":
    main()
