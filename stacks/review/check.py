"""`mlplat check`: the CI gate over every environment of a spec (DESIGN 5, issue 8).

validate (all environments at once; an invalid spec raises SpecError → exit 2), then per
environment: the offline plan → policy (own rules + checkov) → cost estimate → budget gate, plus
the cost diff against a baseline (`compare_to`: a spec FILE or a git revision of the spec).
One verdict: exit 1 when any environment has a mandatory policy violation, is over budget or
rises more than `budget.max_increase_percent` over the baseline; else 0.

Reports: a markdown summary (a pull-request comment), SARIF (the findings of every environment in
one run; results point at the spec file and line) and JUnit (a testsuite per environment).

Parallelism. The Pulumi program is process-global (run_offline holds a lock), so environments
cannot be planned in threads of one process. Two process strategies exist (spawned workers; fork
after importing pulumi can hang, DESIGN 6): "pipeline" (this process plans; a worker runs policy,
checkov and cost on each plan while the next one is planned; with four or more processes, about
half of them plan environments in parallel, each worker planner judging its own) and "processes"
(a worker per environment, each paying the imports and Pulumi's warm-up again). Measured (table in
`auto_jobs`): the pipeline is 25-38 % faster than sequential when a core is free and a little
slower on a saturated machine; per-environment processes never beat it. `jobs=None` therefore picks
the pipeline, one process per core, when there are several environments, two cores and load below
1.5 per core.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlplat.stacks.errors import MlplatError

if TYPE_CHECKING:
    from mlplat.stacks.cost.estimate import BudgetVerdict, CostDiff
    from mlplat.stacks.cost.lines import CostEstimate
    from mlplat.stacks.platform_spec.resolve import ResolvedPlatform, SpecDocument
    from mlplat.stacks.review.diff import RevisionDiff

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


# --------------------------------------------------------------------------- results


@dataclass
class EnvironmentResult:
    """Everything `check` learned about one environment."""

    environment: str
    resources: int  # custom resources in the plan
    policy: Any  # mlplat.policies.PolicyResult
    estimate: CostEstimate
    budget: BudgetVerdict
    cost_diff: CostDiff | None = None
    baseline_note: str = ""  # why there is no cost diff, when there is none despite compare_to
    seconds: float = 0.0
    plan_diff: RevisionDiff | None = None  # resource changes against the baseline (with compare_to)
    graph: Any = None  # mlplat.stacks.plan.graph.ComponentGraph (small: the report's picture)

    @property
    def findings(self) -> list[Any]:
        return list(self.policy.findings)

    @property
    def mandatory(self) -> list[Any]:
        return list(self.policy.mandatory_failures)

    @property
    def advisory(self) -> list[Any]:
        return [f for f in self.findings if f.level == "advisory"]

    @property
    def policy_passed(self) -> bool:
        return bool(self.policy.passed)

    @property
    def passed(self) -> bool:
        return self.policy_passed and self.budget.ok

    @property
    def reasons(self) -> list[str]:
        """Why this environment fails the gate (empty when it passes)."""
        out = [f"{self.environment}: {len(self.mandatory)} mandatory policy violation(s)"] if not self.policy_passed else []
        return out + list(self.budget.reasons)

    @property
    def failed_on(self) -> list[str]:
        """Which gates this environment failed: `policy`, `budget` (empty when it passes)."""
        return (["policy"] if not self.policy_passed else []) + (["budget"] if not self.budget.ok else [])


@dataclass
class CheckResult:
    spec: str
    environments: dict[str, EnvironmentResult]
    compare_to: str | None = None
    checkov: bool = True
    seconds: float = 0.0
    mode: str = "sequential"
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.environments.values())

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    @property
    def reasons(self) -> list[str]:
        return [why for r in self.environments.values() for why in r.reasons]

    @property
    def failed(self) -> list[EnvironmentResult]:
        return [r for r in self.environments.values() if not r.passed]

    def headline(self) -> str:
        """`failed: 2 of 3 environments (prod: policy, budget; staging: budget)` or `passed: …`."""
        n = len(self.environments)
        if not self.failed:
            return f"passed: {n} environment{'s' if n != 1 else ''}"
        why = "; ".join(f"{r.environment}: {', '.join(r.failed_on)}" for r in self.failed)
        return f"failed: {len(self.failed)} of {n} environment{'s' if n != 1 else ''} ({why})"

    # -- reports
    def summary_markdown(self) -> str:
        return summary_markdown(self)

    def sarif(self) -> str:
        return sarif(self)

    def junit(self) -> str:
        return junit(self)

    def reports(self, *, summary: str | None = None, sarif: str | None = None,
                junit: str | None = None) -> dict[str, str]:
        """path → text for the reports asked for."""
        out: dict[str, str] = {}
        if summary:
            out[summary] = self.summary_markdown()
        if sarif:
            out[sarif] = self.sarif()
        if junit:
            out[junit] = self.junit()
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "spec": self.spec,
            "passed": self.passed,
            "exit_code": self.exit_code,
            "compare_to": self.compare_to,
            "reasons": self.reasons,
            "environments": {
                env: {
                    "passed": r.passed,
                    "resources": r.resources,
                    "policy": {"passed": r.policy_passed, "mandatory": len(r.mandatory), "advisory": len(r.advisory)},
                    "monthly_usd": round(r.estimate.monthly_usd, 2),
                    "budget": r.budget.to_dict(),
                    "diff_monthly_usd": round(r.cost_diff.diff_monthly_usd, 2) if r.cost_diff else None,
                    "failed_on": r.failed_on,
                    "plan_changes": r.plan_diff.to_dict()["summary"] if r.plan_diff is not None else None,
                }
                for env, r in self.environments.items()
            },
        }


# --------------------------------------------------------------------------- baseline


@dataclass(frozen=True)
class Baseline:
    """What --compare-to resolved to; picklable, so worker processes receive it as it is."""

    label: str
    doc: SpecDocument | None  # None: the spec did not exist at that revision


def load_baseline(spec_path: str | Path, compare_to: str) -> Baseline:
    """`compare_to` is a spec FILE when one exists at that path, else a git revision of the spec.

    A revision at which the spec does not exist yet (the pull request adds it) is a baseline
    with no environments: every environment is new. An unknown revision is a user error (exit 2).
    """
    from mlplat.stacks.platform_spec.baseline import SpecAbsentAtRevision, baseline_document

    try:
        doc, label = baseline_document(spec_path, compare_to)
    except SpecAbsentAtRevision:
        return Baseline(compare_to, None)
    return Baseline(label, doc)


# --------------------------------------------------------------------------- one environment, two stages
#
# Stage 1 (plan) runs the Pulumi program offline: process-global, serialised by run_offline's lock.
# Stage 2 (evaluate) is policy + checkov + cost: plain Python over the plan, in any process.
# Splitting them lets `check` overlap stage 2 of one environment (and checkov's import) with
# stage 1 of the next, in a spawned worker — without paying Pulumi's warm-up twice.


@dataclass
class PlannedEnvironment:
    """Stage 1's output; picklable (plain dataclasses and pydantic models), so it can cross processes."""

    resolved: ResolvedPlatform
    plan: Any  # mlplat.stacks.plan.Plan
    baseline_label: str | None = None
    baseline: str = "none"  # none (no --compare-to) | new | same | invalid | planned
    base_resolved: ResolvedPlatform | None = None
    base_plan: Any = None
    note: str = ""
    seconds: float = 0.0


def plan_environment(resolved: ResolvedPlatform, baseline: Baseline | None = None,
                     progress: Progress = _quiet) -> PlannedEnvironment:
    """Stage 1: the offline plan of `resolved` and, with a baseline, the baseline's plan."""
    from mlplat.stacks.plan.offline import run_offline
    from mlplat.stacks.platform_spec.resolve import resolve

    env = resolved.environment
    t0 = time.perf_counter()
    progress(f"{env}: planning offline")
    out = PlannedEnvironment(resolved, run_offline(resolved))
    if baseline is not None:
        out.baseline_label = baseline.label
        doc = baseline.doc
        if doc is None or env not in doc.environment_names():
            # New spec or new environment: everything it costs is an increase over nothing.
            out.baseline, out.note = "new", f"{env} does not exist in {baseline.label}"
        else:
            try:
                base = resolve(doc, env)
            except MlplatError as exc:
                # The baseline's problems are not this change's: report them, do not fail the gate.
                first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                out.baseline = "invalid"
                out.note = f"baseline {baseline.label} is not a valid spec for {env} ({first}); no cost diff"
            else:
                if _same_inputs(base, resolved):
                    # Same resolved spec + same program → same plan and estimate: skip an offline run.
                    out.baseline = "same"
                else:
                    progress(f"{env}: baseline plan ({baseline.label})")
                    out.baseline, out.base_resolved, out.base_plan = "planned", base, run_offline(base)
    out.seconds = time.perf_counter() - t0
    return out


def evaluate_planned(planned: PlannedEnvironment, checkov: bool = True,
                     progress: Progress = _quiet) -> EnvironmentResult:
    """Stage 2: policy (+ checkov), cost estimate, cost diff and budget gate of a planned environment."""
    from mlplat.stacks import cost

    r, plan = planned.resolved, planned.plan
    t0 = time.perf_counter()
    progress(f"{r.environment}: {len(plan.custom_resources())} resources; policy{' + checkov' if checkov else ''}")
    policy = _policy_evaluate()(r, plan, checkov=checkov)
    progress(f"{r.environment}: cost")
    estimate = cost.estimate(r, plan)
    label = planned.baseline_label or ""
    from mlplat.stacks.review.diff import compare_plans

    diff = None
    plan_diff = None
    if planned.baseline == "new":
        diff = cost.compare(estimate, None, label)
        plan_diff = compare_plans(None, plan, label, planned.note)
    elif planned.baseline == "same":
        diff = cost.compare(estimate, estimate, label)
        plan_diff = compare_plans(plan, plan, label)
    elif planned.baseline == "planned":
        assert planned.base_resolved is not None
        diff = cost.compare(estimate, cost.estimate(planned.base_resolved, planned.base_plan), label)
        plan_diff = compare_plans(planned.base_plan, plan, label)
    return EnvironmentResult(
        environment=r.environment, resources=len(plan.custom_resources()), policy=policy, estimate=estimate,
        budget=cost.budget_gate(estimate, diff), cost_diff=diff, baseline_note=planned.note,
        seconds=planned.seconds + time.perf_counter() - t0, plan_diff=plan_diff,
        graph=_component_graph(plan, plan_diff),
    )  # fmt: skip


def _component_graph(plan: Any, plan_diff: RevisionDiff | None) -> Any:
    """The component graph, components the change touches marked (`replaced` outranks `changed`)."""
    from mlplat.stacks.plan.graph import component_graph

    g = component_graph(plan)
    for c in plan_diff.changes if plan_diff is not None else []:
        comp = c.component or "platform"
        if c.action in ("replace", "delete"):
            g.marks[comp] = "replaced"
        else:
            g.marks.setdefault(comp, "changed")
    return g


def evaluate_environment(
    resolved: ResolvedPlatform,
    *,
    baseline: Baseline | None = None,
    checkov: bool = True,
    progress: Progress = _quiet,
) -> EnvironmentResult:
    """Plan, policy, cost, budget (and cost diff) of one resolved environment, in this process."""
    return evaluate_planned(plan_environment(resolved, baseline, progress), checkov, progress)


def _policy_evaluate() -> Callable[..., Any]:
    from mlplat.policies import evaluate

    return evaluate


def _same_inputs(a: ResolvedPlatform, b: ResolvedPlatform) -> bool:
    return bool(
        a.spec.model_dump(mode="json") == b.spec.model_dump(mode="json")
        and a.profile.model_dump(mode="json") == b.profile.model_dump(mode="json")
    )


def _warm_evaluator(checkov: bool) -> bool:
    """First task of a pipeline worker: import the evaluator (and checkov's runners, ~2-3 s) while
    the parent process is still planning the first environment."""
    _policy_evaluate()
    from mlplat.stacks import cost  # noqa: F401

    if checkov:
        import importlib

        try:  # (importlib: `import checkov…` would rebind the `checkov` parameter)
            importlib.import_module("checkov.kubernetes.runner")
            importlib.import_module("checkov.terraform.plan_runner")
        except ImportError:  # the policy engine reports a missing checkov itself
            pass
    return True


def _env_worker(spec_path: str, env: str, baseline: Baseline | None, checkov: bool) -> EnvironmentResult:
    """Entry point of a per-environment worker (strategy "processes"): re-resolve (cheap) in the worker."""
    from mlplat.stacks.platform_spec.resolve import load_spec, resolve

    return evaluate_environment(resolve(load_spec(spec_path), env), baseline=baseline, checkov=checkov)


# --------------------------------------------------------------------------- the gate

STRATEGIES = ("sequential", "pipeline", "processes")


# Above this 1-minute load average per core there is no idle core for the pipeline to use.
AUTO_MAX_LOAD_PER_CORE = 1.5


def auto_jobs(n_envs: int) -> int:
    """Processes to use for `n_envs` environments when the caller does not say
    (MLPLAT_CHECK_JOBS overrides): one per core (at most two per environment) with several
    environments, a second core and an idle-enough machine, else 1. On two cores that is the
    pipeline below; with more, other processes plan environments in parallel (`_pipeline`).

    Measured on this machine (2 cores shared by ~8 engineers; `python -m tests.ci.bench_check
    SPEC`, a fresh interpreter per run, 3 environments, checkov on), wall seconds:

    ===========================  ===========  =========  ===========================
    examples/platform.yaml       sequential   pipeline   processes (1 per env)
    ===========================  ===========  =========  ===========================
    load 1.9-3.1 (≤ 1.6/core)    10.2-11.8    6.6-8.2    7.3-11.4 (+25-50 % CPU)
    load 4-8 (2-4/core) [*]      16-28        25-31      28-41
    ===========================  ===========  =========  ===========================

    [*] an earlier, smaller spec (no serving/monitoring yet), same code paths.
    The pipeline uses the same CPU as sequential (Pulumi's warm-up is paid once) and overlaps
    checkov's import and scans with planning, so it wins whenever a core is free, and loses a
    little when the machine is saturated. One process per environment pays the warm-up per
    worker and is never the best choice; it stays available (`strategy="processes"`) for the
    benchmark.
    """
    env_override = os.environ.get("MLPLAT_CHECK_JOBS")
    if env_override and env_override.isdigit() and int(env_override) > 0:
        return int(env_override)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if n_envs < 2 or cores < 2:
        return 1
    try:
        load = os.getloadavg()[0]
    except OSError:  # not available on this platform: assume a dedicated runner
        load = 0.0
    if load / cores >= AUTO_MAX_LOAD_PER_CORE:
        return 1
    # Sized to the cores: up to one planner and one judge per environment (`planners_for`).
    return min(cores, 2 * n_envs)


def check(
    spec_path: str | Path,
    *,
    compare_to: str | None = None,
    checkov: bool = True,
    jobs: int | None = None,
    strategy: str | None = None,
    progress: Progress = _quiet,
) -> CheckResult:
    """Validate `spec_path` and evaluate every environment; raises SpecError on an invalid spec.

    jobs: processes in use (None: `auto_jobs`; 1: everything in this process). With jobs >= 2 the
    strategy is "pipeline" (this process plans, jobs-1 workers evaluate) unless `strategy` says
    "processes" (one worker per environment, each doing everything; kept for measurement).
    """
    from mlplat.stacks.platform_spec.resolve import load_spec, validate

    t0 = time.perf_counter()
    spec_path = str(spec_path)
    doc = load_spec(spec_path)
    resolved = validate(doc)  # SpecError (exit 2) with every diagnostic of every environment
    progress(f"{spec_path}: valid; environments: {', '.join(resolved)}")
    baseline = load_baseline(spec_path, compare_to) if compare_to else None
    if baseline is not None and baseline.doc is None:
        progress(f"{spec_path} does not exist at {compare_to}: every environment is new")

    n = len(resolved)
    procs = max(1, jobs if jobs is not None else auto_jobs(n))
    chosen = "sequential" if procs == 1 or n == 1 else (strategy or "pipeline")
    if chosen not in STRATEGIES:
        raise MlplatError(f"unknown strategy {chosen!r} (one of {', '.join(STRATEGIES)})")
    results: dict[str, EnvironmentResult] = {}
    if chosen == "sequential":
        mode = "sequential"
        for env, r in resolved.items():
            res = evaluate_environment(r, baseline=baseline, checkov=checkov, progress=progress)
            progress(_done(res))
            results[env] = res
    elif chosen == "pipeline":
        workers = max(1, min(procs - 1, n))
        planners = min(planners_for(procs, n), workers)  # this process and planners-1 workers
        also = f" and in {planners - 1} of them" if planners > 1 else ""
        mode = f"pipeline (plans here{also}; {workers} worker{'s' if workers > 1 else ''})"
        results = _pipeline(resolved, baseline, checkov, workers, progress, spec_path, planners)
    else:
        workers = min(procs, n)
        mode = f"processes ({workers} workers, one environment each)"
        results = _processes(spec_path, list(resolved), baseline, checkov, workers, progress)
    return CheckResult(
        spec=spec_path, environments={e: results[e] for e in resolved}, compare_to=compare_to,
        checkov=checkov, seconds=time.perf_counter() - t0, mode=mode,
    )  # fmt: skip


def _done(r: EnvironmentResult) -> str:
    verdict = "pass" if r.passed else "FAIL"
    return (f"{r.environment}: {verdict} — {len(r.mandatory)} mandatory, {len(r.advisory)} advisory; "
            f"${r.estimate.monthly_usd:,.2f}/month ({r.seconds:.1f}s)")  # fmt: skip


class _WorkerFailed(Exception):
    pass


def _worker_loop(tasks: Any, results: Any) -> None:
    """A worker process: run (key, function, args) tasks until a None arrives."""
    import traceback

    while True:
        task = tasks.get()
        if task is None:
            return
        key, fn, args = task
        try:
            results.put((key, "ok", fn(*args)))
        except MlplatError as exc:  # a user error: keep its message and exit code
            results.put((key, "user", (str(exc), exc.exit_code)))
        except BaseException:  # noqa: BLE001 - a bug: ship the traceback text (exceptions may not pickle)
            results.put((key, "bug", traceback.format_exc()))


class _SpawnPool:
    """A few spawned worker processes fed through queues.

    Not multiprocessing.Pool: its workers are daemonic and checkov forks its own workers during
    a scan ("daemonic processes are not allowed to have children"). Not ProcessPoolExecutor: it
    cannot terminate its workers, and a worker that imported checkov takes ~2 s to exit on its
    own (measured), pure added wall time once every result is in.
    spawn, never fork: a forked child of a process that imported pulumi/grpc can hang (DESIGN 6).
    """

    def __init__(self, workers: int):
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        self.tasks, self.results = ctx.Queue(), ctx.Queue()
        self.procs = [ctx.Process(target=_worker_loop, args=(self.tasks, self.results), daemon=False)
                      for _ in range(workers)]  # fmt: skip
        for proc in self.procs:
            proc.start()
        self.pending: set[Any] = set()

    def submit(self, key: Any, fn: Callable[..., Any], *args: Any) -> None:
        self.pending.add(key)
        self.tasks.put((key, fn, args))

    def completed(self) -> Iterator[tuple[Any, Any]]:
        """(key, result) in completion order; re-raises a worker's failure here."""
        import queue

        while self.pending:
            try:
                key, status, value = self.results.get(timeout=1.0)
            except queue.Empty:
                dead = [p for p in self.procs if not p.is_alive()]
                if dead:
                    raise _WorkerFailed(f"a check worker process died (exit code {dead[0].exitcode})") from None
                continue
            self.pending.discard(key)
            if status == "user":
                err = MlplatError(value[0])
                err.exit_code = value[1]
                raise err
            if status == "bug":
                raise _WorkerFailed(f"in a check worker process:\n{value}")
            yield key, value

    def close(self) -> None:
        for proc in self.procs:
            if proc.is_alive():
                proc.terminate()
        for proc in self.procs:
            proc.join(timeout=10)


@contextmanager
def _spawn_pool(workers: int) -> Iterator[_SpawnPool]:
    pool = _SpawnPool(workers)
    try:
        yield pool
    finally:
        pool.close()


def planners_for(procs: int, n_envs: int) -> int:
    """Processes that plan, of `procs` in all: about half (planning and judging cost about the
    same per environment), at least this one, at most one per environment. With two processes
    this one plans and the other judges (the measured best on two cores, see `auto_jobs`)."""
    return max(1, min(n_envs, procs // 2))


def _pipeline(resolved: dict[str, ResolvedPlatform], baseline: Baseline | None, checkov: bool, workers: int,
              progress: Progress, spec_path: str = "", planners: int = 1) -> dict[str, EnvironmentResult]:
    """This process plans its share of the environments and hands each plan to a worker to judge
    while it plans the next; with more cores, other workers plan (and judge) the rest in parallel."""
    out: dict[str, EnvironmentResult] = {}
    envs = list(resolved)
    # Round-robin: this process takes the first environment (its Pulumi import overlaps the
    # workers' start), planning workers the others of their turn.
    mine = envs[::planners]
    theirs = [e for e in envs if e not in mine]
    with _spawn_pool(workers) as pool:
        for env in theirs:  # first in the queue: the first workers ready plan, the others judge
            pool.submit(env, _env_worker, spec_path, env, baseline, checkov)
        for i in range(workers - len(theirs)):  # imports (checkov ~3 s) overlap the first plan
            pool.submit(("warm", i), _warm_evaluator, checkov)
        for env in mine:
            r = resolved[env]
            planned = plan_environment(r, baseline, progress)  # here: Pulumi is warm after the first
            progress(f"{env}: planned ({planned.seconds:.1f}s); policy{' + checkov' if checkov else ''} and cost "
                     "in a worker")  # fmt: skip
            pool.submit(env, evaluate_planned, planned, checkov)
        for key, res in pool.completed():
            if key in resolved:
                out[key] = res
                progress(_done(res))
    return out


def _processes(spec_path: str, envs: list[str], baseline: Baseline | None, checkov: bool, workers: int,
               progress: Progress) -> dict[str, EnvironmentResult]:
    progress(f"evaluating {len(envs)} environments in {workers} worker processes")
    out: dict[str, EnvironmentResult] = {}
    with _spawn_pool(workers) as pool:
        for env in envs:
            pool.submit(env, _env_worker, spec_path, env, baseline, checkov)
        for env, res in pool.completed():
            out[env] = res
            progress(_done(res))
    return out


# --------------------------------------------------------------------------- reports

SUMMARY_MARKER = "<!-- mlplat-check -->"  # lets a bot find and update its own comment
TOP_FINDINGS = 5


def _money(v: float) -> str:
    return f"{'-' if v < 0 else ''}${abs(v):,.2f}"


def _signed(v: float) -> str:
    return "±$0.00" if abs(v) < 0.005 else f"{'+' if v > 0 else '−'}${abs(v):,.2f}"


def _md(text: Any) -> str:
    from mlplat.stacks.errors import md

    return md(text)


def _where(f: Any) -> str:
    return f"`{Path(f.file).name}:{f.line}`" if getattr(f, "file", None) and getattr(f, "line", None) else ""


SUMMARY_MAX_CHARS = 60_000  # GitHub rejects comments over 65,536 characters


def summary_markdown(result: CheckResult, *, cost_details: bool = True, top: int = TOP_FINDINGS) -> str:
    """The pull-request comment: one table over the environments, then details per environment.
    Shrinks itself (shorter plan diffs, no per-resource cost tables, fewer findings) to stay under
    a comment's limit."""
    for details, plan_rows, n in ((cost_details, 200, top), (cost_details, 25, top), (False, 10, top), (False, 0, 1)):
        text = _summary(result, details, n, plan_rows)
        if len(text) <= SUMMARY_MAX_CHARS:
            break
    return text


CALLOUT_MAX = 10  # replacements / protected deletions listed at the top of the summary


def _callouts(result: CheckResult) -> list[str]:
    """Replacements, and deletions of protected resources: what a reviewer must not miss."""
    out = []
    for r in result.environments.values():
        if r.plan_diff is None:
            continue
        for c in r.plan_diff.changes:
            if c.action == "replace" or c.dangerous:
                what = f"{'protected ' if c.protected else ''}`{_md(c.name)}` ({_md(c.type)})"
                out.append(f"> {'❗' if c.dangerous else '⚠️'} **{r.environment}**: {c.action} of {what}")
    if len(out) > CALLOUT_MAX:
        out = out[:CALLOUT_MAX] + [f"> … {len(out) - CALLOUT_MAX} more (see the plan changes below)"]
    return out


def _summary(result: CheckResult, cost_details: bool, top: int, plan_rows: int = 200) -> str:
    from mlplat.stacks import cost
    from mlplat.stacks.review.diff import revision_markdown

    envs = list(result.environments.values())
    head = "✅ " + result.headline() if result.passed else "❌ " + result.headline()
    out = [SUMMARY_MARKER, f"## mlplat check {_md(head)}", ""]
    callouts = _callouts(result)
    if callouts:
        out += callouts + [""]
    sub = f"`{_md(result.spec)}` · {len(envs)} environment(s)"
    if result.compare_to:
        sub += f" · cost compared with `{_md(result.compare_to)}`"
    if not result.checkov:
        sub += " · checkov skipped"
    out += [sub, ""]
    diff_col = f" vs `{_md(result.compare_to)}` |" if result.compare_to else ""
    out.append("| environment | verdict | mandatory | advisory | waived | resources | monthly cost |"
               + diff_col + " budget |")  # fmt: skip
    out.append("|---|---|---:|---:|---:|---:|---:|" + ("---:|" if result.compare_to else "") + "---|")
    for r in envs:
        row = (f"| **{r.environment}** | {'✅ pass' if r.passed else '❌ fail'} | {len(r.mandatory)} | "
               f"{len(r.advisory)} | {len(getattr(r.policy, 'waived', []))} | {r.resources} | "
               f"{_money(r.estimate.monthly_usd)} |")  # fmt: skip
        if result.compare_to:
            if r.cost_diff is None:
                row += " n/a |"
            else:
                pct = r.cost_diff.diff_percent
                row += f" {_signed(r.cost_diff.diff_monthly_usd)}" + (f" ({pct:+.1f}%)" if pct is not None else "") + " |"
        b = r.budget
        if b.budget_usd is None:
            row += " — no budget |"
        else:
            row += f" {'✅' if b.ok else '❌'} {_money(b.budget_usd)}" + (
                f", ≤ +{b.max_increase_percent:g}%" if b.max_increase_percent is not None else "") + " |"
        out.append(row)
    if result.reasons:
        out.append("")
        out += [f"> ❌ {_md(why)}" for why in result.reasons]  # each reason once, here
    for r in envs:
        out += ["", f"### {'✅' if r.passed else '❌'} {r.environment}", ""]
        if r.mandatory:
            out.append(f"**Mandatory violations ({len(r.mandatory)})**")
            out += _findings_table(r.mandatory, top)
        else:
            out.append("No mandatory policy violation.")
        if r.advisory:
            out += ["", f"<details><summary>Advisory findings ({len(r.advisory)})</summary>", ""]
            out += _findings_table(r.advisory, top)
            out += ["", "</details>"]
        if r.baseline_note:
            out += ["", f"<sub>{_md(r.baseline_note)}</sub>"]
        total = f"{_money(r.estimate.monthly_usd)}/month"
        if r.cost_diff is not None:
            total += f", {_signed(r.cost_diff.diff_monthly_usd)} vs `{_md(result.compare_to)}`"
        if cost_details:
            out += ["", f"<details><summary>Cost of {r.environment}: {total}</summary>", ""]
            body = cost.to_markdown(r.estimate, r.cost_diff, r.budget, max_lines=10, reasons=False).rstrip("\n")
            out += [body, "", "</details>"]
        else:
            out += ["", f"Cost of {r.environment}: {total} (details: `mlplat cost SPEC --env {r.environment}`)"]
        if r.plan_diff is not None:
            d = r.plan_diff
            label = f"Plan changes of {r.environment} vs `{_md(d.baseline)}`: {_md(d.summary())}"
            if d.empty or plan_rows == 0:
                out += ["", label + ("" if d.empty else f" (details: `mlplat diff SPEC --env {r.environment} "
                                                         f"--compare-to {_md(d.baseline)}`)")]
            else:
                body = revision_markdown(d, max_rows=plan_rows).rstrip("\n")
                out += ["", f"<details><summary>{label}</summary>", "", body, "", "</details>"]
    out += ["", f"<sub>mlplat {_version()} · {result.seconds:.1f}s ({result.mode})</sub>", ""]
    return "\n".join(out)


def _findings_table(findings: list[Any], limit: int = TOP_FINDINGS) -> list[str]:
    out = ["", "| policy | resource | finding | spec |", "|---|---|---|---|"]
    # mlplat's own rules first (they carry the platform's intent), then checkov's; stable otherwise
    findings = sorted(findings, key=lambda f: getattr(f, "source", "mlplat") != "mlplat")
    for f in findings[:limit]:
        src = " (checkov)" if getattr(f, "source", "mlplat") == "checkov" else ""
        out.append(f"| `{_md(f.policy)}`{src} | `{_md(f.resource)}` | {_md(f.message)} | {_where(f)} |")
    if len(findings) > limit:
        out.append(f"| … {len(findings) - limit} more | | see the SARIF / code scanning results | |")
    return out


def _version() -> str:
    from mlplat import __version__

    return __version__


def junit(result: CheckResult) -> str:
    """JUnit XML, a testsuite per environment: the policy package's suites (a testcase per rule
    evaluated and per failed checkov check; mandatory findings fail) plus, in each, a `budget`
    testcase that fails when the environment is over budget or above the increase gate."""
    import xml.etree.ElementTree as ET

    from mlplat.policies import to_junit
    from mlplat.policies.report import _xml_safe as xml_safe

    envs = list(result.environments.values())
    root = ET.fromstring(to_junit([r.policy for r in envs]))
    root.set("name", "mlplat check")
    suites = root.findall("testsuite")
    if len(suites) != len(envs):  # the writer's contract: one suite per result, in order
        raise RuntimeError(f"policy JUnit has {len(suites)} suites for {len(envs)} environments")
    for suite, r in zip(suites, envs):
        case = ET.SubElement(suite, "testcase", classname=f"mlplat.{r.environment}.cost",
                             name=f"budget ({_money(r.estimate.monthly_usd)}/month)")
        if not r.budget.ok:
            fail = ET.SubElement(case, "failure", type="budget", message="; ".join(r.budget.reasons))
            fail.text = "\n".join(r.budget.reasons)
            suite.set("failures", str(int(suite.get("failures", "0")) + 1))
        notes = r.budget.notes + ([r.baseline_note] if r.baseline_note else [])
        if notes:
            ET.SubElement(case, "system-out").text = "\n".join(notes)
        suite.set("tests", str(int(suite.get("tests", "0")) + 1))
        suite.set("time", f"{r.seconds:.3f}")
    for key in ("tests", "failures", "skipped"):
        root.set(key, str(sum(int(s.get(key, "0")) for s in suites)))
    root.set("errors", "0")
    root.set("time", f"{result.seconds:.3f}")
    xml_safe(root)  # budget reasons quote the spec's baseline label and file names
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def sarif(result: CheckResult) -> str:
    """One SARIF 2.1.0 log for every environment: the policy package's writer over all results,
    plus one adjustment — a finding traced into a built-in profile (`<builtin>/envs/prod.yaml`,
    not a file of the repository) is placed on the spec file instead, the profile line named in
    the message, so code scanning can show every result."""
    import json

    from mlplat.policies import to_sarif

    log = to_sarif([r.policy for r in result.environments.values()])
    spec_uri = _relative_uri(result.spec)
    for run in log.get("runs", []):
        for res in run.get("results", []):
            for loc in res.get("locations", []):
                phys = loc.get("physicalLocation", {})
                art = phys.get("artifactLocation", {})
                uri = str(art.get("uri", ""))
                if uri.startswith("<") or not uri:
                    line = phys.get("region", {}).get("startLine")
                    res["message"]["text"] += f" (set by {uri}:{line})" if uri else ""
                    art["uri"] = spec_uri
                    phys["region"] = {"startLine": 1}
        artifacts = run.get("artifacts")
        if isinstance(artifacts, list):
            run["artifacts"] = [a for a in artifacts if not str(a.get("location", {}).get("uri", "")).startswith("<")]
        run.setdefault("properties", {})["check"] = {"passed": result.passed, "reasons": result.reasons}
    return json.dumps(log, indent=2, allow_nan=False) + "\n"


def _relative_uri(path: str) -> str:
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.resolve().relative_to(Path.cwd().resolve())
        except ValueError:
            return p.as_uri()
    return p.as_posix()


def print_verdict(result: CheckResult, console: Any) -> None:
    """The closing lines on stderr: one per environment (each failure reason once), then the verdict."""
    from mlplat.stacks.errors import esc
    from mlplat.stacks.errors import esc as escape  # control characters shown, [..] literal

    for r in result.environments.values():
        mark = "[green]✓[/]" if r.passed else "[red]✗[/]"
        diff = ""
        if r.cost_diff is not None:
            d = r.cost_diff.diff_monthly_usd
            diff = f" ({'+' if d >= 0 else '−'}${abs(d):,.2f} vs {escape(str(result.compare_to))})"
        budget = "" if r.budget.budget_usd is None else f" / ${r.budget.budget_usd:,.2f}"
        console.print(
            f"{mark} {esc(r.environment):<10} policy: {len(r.mandatory)} mandatory, {len(r.advisory)} advisory · "
            f"cost ${r.estimate.monthly_usd:,.2f}{budget}/month{diff}"
        )
        if r.baseline_note:  # an unusable baseline skips the cost diff and the increase gate: say so here too
            console.print(f"    [yellow]{escape(r.baseline_note)}[/]")
        if r.plan_diff is not None:
            console.print(f"    plan vs {escape(r.plan_diff.baseline)}: {escape(r.plan_diff.summary())}")
            for c in r.plan_diff.changes:
                if c.action == "replace" or c.dangerous:
                    prot = "protected " if c.protected else ""
                    console.print(f"    [magenta]{c.action}[/] of {prot}{escape(c.name)} ({escape(c.type)})")
        for why in r.reasons:
            console.print(f"    [red]{escape(why)}[/]")
        for f in r.mandatory[:5]:
            where = f" ({f.location})" if getattr(f, "location", "") else ""
            console.print(f"    [red]{escape(str(f.policy))}[/] {escape(f'{f.resource}: {f.message}{where}')}")
        if len(r.mandatory) > 5:
            console.print(f"    … {len(r.mandatory) - 5} more (see --summary / --sarif)")
    verdict = "[bold green]check passed[/]" if result.passed else "[bold red]check failed[/]"
    console.print(f"{verdict}: {escape(result.headline().split(': ', 1)[1])} in {result.seconds:.1f}s ({result.mode})")


__all__ = [
    "AUTO_MAX_LOAD_PER_CORE", "STRATEGIES", "SUMMARY_MARKER", "Baseline", "CheckResult", "EnvironmentResult", "PlannedEnvironment",
    "auto_jobs", "check", "evaluate_environment", "evaluate_planned", "junit", "load_baseline", "plan_environment",
    "print_verdict", "sarif", "summary_markdown",
]  # fmt: skip
