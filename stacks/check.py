"""`mlplat check`: the CI gate over every environment of a spec (DESIGN 5, issue 8).

validate (all environments at once; an invalid spec raises SpecError → exit 2), then per
environment: the offline plan → policy (own rules + checkov) → cost estimate → budget gate, plus
the cost diff against a baseline (`compare_to`: a spec FILE or a git revision of the spec).
One verdict: exit 1 when any environment has a mandatory policy violation, is over budget or
rises more than `budget.max_increase_percent` over the baseline; else 0.

Reports: a markdown summary (a pull-request comment), SARIF (the findings of every environment in
one run; results point at the spec file and line) and JUnit (a testsuite per environment).

Parallelism. The Pulumi program is process-global (run_offline holds a lock), so environments
cannot run in threads of one process; they can run in worker processes (spawn context — fork after
importing pulumi can hang, DESIGN 6). Each worker pays the imports again (pulumi, the providers,
checkov: several seconds), so a pool only wins when there is enough per-environment work to
amortise them over free cores. `jobs=None` picks by the rule measured on this machine (see
`auto_jobs` and the module's tests/ci/test_check.py notes); `jobs=1` is sequential.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import MlplatError

if TYPE_CHECKING:
    from .cost import BudgetVerdict, CostDiff, CostEstimate
    from .resolve import ResolvedPlatform, SpecDocument

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
    estimate: "CostEstimate"
    budget: "BudgetVerdict"
    cost_diff: "CostDiff | None" = None
    baseline_note: str = ""  # why there is no cost diff, when there is none despite compare_to
    seconds: float = 0.0

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
                }
                for env, r in self.environments.items()
            },
        }


# --------------------------------------------------------------------------- baseline


@dataclass(frozen=True)
class Baseline:
    """What --compare-to resolved to; picklable, so worker processes receive it as it is."""

    label: str
    doc: "SpecDocument | None"  # None: the spec did not exist at that revision


def load_baseline(spec_path: str | Path, compare_to: str) -> Baseline:
    """`compare_to` is a spec FILE when one exists at that path, else a git revision of the spec.

    A revision at which the spec does not exist yet (the pull request adds it) is a baseline
    with no environments: every environment is new. An unknown revision is a user error (exit 2).
    """
    from .resolve import load_spec

    if Path(compare_to).is_file():
        return Baseline(compare_to, load_spec(compare_to))
    from .cost import spec_at_revision

    try:
        return Baseline(compare_to, spec_at_revision(spec_path, compare_to))
    except MlplatError as exc:
        # cost.spec_at_revision has no typed error for "absent at that revision": match its message
        # (tests/ci/test_check.py covers it, so a change of wording there fails loudly here).
        if "does not exist at revision" in str(exc):
            return Baseline(compare_to, None)
        raise


# --------------------------------------------------------------------------- one environment


def evaluate_environment(
    resolved: "ResolvedPlatform",
    *,
    baseline: Baseline | None = None,
    checkov: bool = True,
    progress: Progress = _quiet,
) -> EnvironmentResult:
    """Plan, policy, cost, budget (and cost diff) of one resolved environment."""
    from . import cost
    from .offline import run_offline

    env = resolved.environment
    t0 = time.perf_counter()
    progress(f"{env}: planning offline")
    plan = run_offline(resolved)
    progress(f"{env}: {len(plan.custom_resources())} resources; policy{' + checkov' if checkov else ''}")
    policy = _policy_evaluate()(resolved, plan, checkov=checkov)
    progress(f"{env}: cost")
    estimate = cost.estimate(resolved, plan)
    diff, note = None, ""
    if baseline is not None:
        diff, note = _cost_diff(resolved, estimate, baseline, progress)
    verdict = cost.budget_gate(estimate, diff)
    return EnvironmentResult(
        environment=env, resources=len(plan.custom_resources()), policy=policy, estimate=estimate,
        budget=verdict, cost_diff=diff, baseline_note=note, seconds=time.perf_counter() - t0,
    )  # fmt: skip


def _policy_evaluate() -> Callable[..., Any]:
    try:
        from mlplat.policies import evaluate
    except ImportError:  # adapter: the package does not re-export its evaluator (yet)
        from mlplat.policies.engine import evaluate
    return evaluate


def _cost_diff(resolved: "ResolvedPlatform", estimate: "CostEstimate", baseline: Baseline,
               progress: Progress) -> tuple["CostDiff | None", str]:
    from . import cost
    from .offline import run_offline
    from .resolve import resolve

    env = resolved.environment
    doc = baseline.doc
    if doc is None or env not in doc.environment_names():
        # New spec or new environment: everything it costs is an increase over nothing.
        return cost.compare(estimate, None, baseline.label), f"{env} does not exist in {baseline.label}"
    try:
        base = resolve(doc, env)
    except MlplatError as exc:
        # The baseline's problems are not this change's: report, do not fail the gate on them.
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return None, f"baseline {baseline.label} is not a valid spec for {env} ({first}); no cost diff"
    if _same_inputs(base, resolved):
        # Same resolved spec, same program → same plan and estimate: skip a second offline run.
        progress(f"{env}: unchanged since {baseline.label}")
        return cost.compare(estimate, estimate, baseline.label), ""
    progress(f"{env}: baseline plan ({baseline.label})")
    return cost.compare(estimate, cost.estimate(base, run_offline(base)), baseline.label), ""


def _same_inputs(a: "ResolvedPlatform", b: "ResolvedPlatform") -> bool:
    return bool(
        a.spec.model_dump(mode="json") == b.spec.model_dump(mode="json")
        and a.profile.model_dump(mode="json") == b.profile.model_dump(mode="json")
    )


def _worker(spec_path: str, env: str, baseline: Baseline | None, checkov: bool) -> EnvironmentResult:
    """Entry point of a worker process: re-resolve (cheap) rather than pickle the resolved tree in."""
    from .resolve import load_spec, resolve

    return evaluate_environment(resolve(load_spec(spec_path), env), baseline=baseline, checkov=checkov)


# --------------------------------------------------------------------------- the gate


def auto_jobs(n_envs: int) -> int:
    """Worker processes for `n_envs` environments when the caller does not say.

    Measured on this machine (2 cores): see tests/ci/test_check.py's module docstring and the
    report of issue 8. Spawned workers re-import pulumi, the providers and checkov, which costs
    about as much as evaluating one environment, so a pool only pays off with several
    environments and at least one core per worker.
    """
    env_override = os.environ.get("MLPLAT_CHECK_JOBS")
    if env_override and env_override.isdigit() and int(env_override) > 0:
        return int(env_override)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if n_envs < AUTO_PARALLEL_MIN_ENVS or cores < 2:
        return 1
    return min(n_envs, cores)


# Below this many environments the pool's start-up (spawn + imports per worker) is not recovered.
AUTO_PARALLEL_MIN_ENVS = 3


def check(
    spec_path: str | Path,
    *,
    compare_to: str | None = None,
    checkov: bool = True,
    jobs: int | None = None,
    progress: Progress = _quiet,
) -> CheckResult:
    """Validate `spec_path` and evaluate every environment; raises SpecError on an invalid spec."""
    from .resolve import load_spec, validate

    t0 = time.perf_counter()
    spec_path = str(spec_path)
    doc = load_spec(spec_path)
    resolved = validate(doc)  # SpecError (exit 2) with every diagnostic of every environment
    progress(f"{spec_path}: valid; environments: {', '.join(resolved)}")
    baseline = load_baseline(spec_path, compare_to) if compare_to else None
    if baseline is not None and baseline.doc is None:
        progress(f"{spec_path} does not exist at {compare_to}: every environment is new")

    n = len(resolved)
    workers = max(1, min(jobs if jobs is not None else auto_jobs(n), n))
    results: dict[str, EnvironmentResult] = {}
    if workers == 1:
        mode = "sequential"
        for env, r in resolved.items():
            res = evaluate_environment(r, baseline=baseline, checkov=checkov, progress=progress)
            progress(_done(res))
            results[env] = res
    else:
        mode = f"parallel ({workers} processes)"
        results = _parallel(spec_path, list(resolved), baseline, checkov, workers, progress)
    return CheckResult(
        spec=spec_path, environments={e: results[e] for e in resolved}, compare_to=compare_to,
        checkov=checkov, seconds=time.perf_counter() - t0, mode=mode,
    )  # fmt: skip


def _done(r: EnvironmentResult) -> str:
    verdict = "pass" if r.passed else "FAIL"
    return (f"{r.environment}: {verdict} — {len(r.mandatory)} mandatory, {len(r.advisory)} advisory; "
            f"${r.estimate.monthly_usd:,.2f}/month ({r.seconds:.1f}s)")  # fmt: skip


def _parallel(spec_path: str, envs: list[str], baseline: Baseline | None, checkov: bool, workers: int,
              progress: Progress) -> dict[str, EnvironmentResult]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # spawn, never fork: a forked child of a process that imported pulumi/grpc can hang (DESIGN 6).
    ctx = multiprocessing.get_context("spawn")
    progress(f"evaluating {len(envs)} environments in {workers} worker processes")
    out: dict[str, EnvironmentResult] = {}
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = {pool.submit(_worker, spec_path, env, baseline, checkov): env for env in envs}
        for fut in as_completed(futures):
            res = fut.result()  # a worker's exception (SpecError, MlplatError, bug) re-raises here
            progress(_done(res))
            out[futures[fut]] = res
    return out


# --------------------------------------------------------------------------- reports

SUMMARY_MARKER = "<!-- mlplat-check -->"  # lets a bot find and update its own comment
TOP_FINDINGS = 5


def _money(v: float) -> str:
    return f"{'-' if v < 0 else ''}${abs(v):,.2f}"


def _signed(v: float) -> str:
    return "±$0.00" if abs(v) < 0.005 else f"{'+' if v > 0 else '−'}${abs(v):,.2f}"


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _where(f: Any) -> str:
    return f"`{Path(f.file).name}:{f.line}`" if getattr(f, "file", None) and getattr(f, "line", None) else ""


SUMMARY_MAX_CHARS = 60_000  # GitHub rejects comments over 65,536 characters


def summary_markdown(result: CheckResult, *, cost_details: bool = True, top: int = TOP_FINDINGS) -> str:
    """The pull-request comment: one table over the environments, then details per environment.
    Shrinks itself (no per-resource cost tables, fewer findings) to stay under a comment's limit."""
    text = _summary(result, cost_details, top)
    if len(text) > SUMMARY_MAX_CHARS and cost_details:
        text = _summary(result, False, top)
    if len(text) > SUMMARY_MAX_CHARS:
        text = _summary(result, False, 1)
    return text


def _summary(result: CheckResult, cost_details: bool, top: int) -> str:
    from . import cost

    envs = list(result.environments.values())
    head = "✅ passed" if result.passed else "❌ failed"
    out = [SUMMARY_MARKER, f"## mlplat check {head}", ""]
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
        out += [f"> ❌ {_md(why)}" for why in result.reasons]
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
        for why in r.budget.reasons:
            out += ["", f"> ❌ {_md(why)}"]
        if r.baseline_note:
            out += ["", f"<sub>{_md(r.baseline_note)}</sub>"]
        total = f"{_money(r.estimate.monthly_usd)}/month"
        if r.cost_diff is not None:
            total += f", {_signed(r.cost_diff.diff_monthly_usd)} vs `{_md(result.compare_to)}`"
        if cost_details:
            out += ["", f"<details><summary>Cost of {r.environment}: {total}</summary>", ""]
            body = cost.to_markdown(r.estimate, r.cost_diff, r.budget, max_lines=10).rstrip("\n")
            out += [body, "", "</details>"]
        else:
            out += ["", f"Cost of {r.environment}: {total} (details: `mlplat cost SPEC --env {r.environment}`)"]
    out += ["", f"<sub>mlplat {_version()} · {result.seconds:.1f}s ({result.mode})</sub>", ""]
    return "\n".join(out)


def _findings_table(findings: list[Any], limit: int = TOP_FINDINGS) -> list[str]:
    out = ["", "| policy | resource | finding | spec |", "|---|---|---|---|"]
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
    """JUnit XML: a testsuite per environment; a testcase per policy rule evaluated (and per
    failed checkov check), failing when it has mandatory findings; one `budget` testcase."""
    import xml.etree.ElementTree as ET

    root = ET.Element("testsuites", name="mlplat check")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for r in result.environments.values():
        suite = ET.SubElement(root, "testsuite", name=f"mlplat.{r.environment}")
        cases: list[tuple[str, str, list[Any], list[Any]]] = []  # (classname, name, mandatory, advisory)
        by_policy: dict[str, list[Any]] = {}
        for f in r.findings:
            by_policy.setdefault(f.policy, []).append(f)
        seen: set[str] = set()
        for rule, level in getattr(r.policy, "rules", []):
            if level == "disabled":
                continue
            fs = by_policy.get(rule.id, [])
            seen.add(rule.id)
            cases.append((f"mlplat.{r.environment}.policy", f"{rule.id} {rule.name}",
                          [f for f in fs if f.level == "mandatory"], [f for f in fs if f.level != "mandatory"]))
        for pid, fs in sorted(by_policy.items()):
            if pid in seen:
                continue
            title = next((f.title for f in fs if getattr(f, "title", "")), "")
            cases.append((f"mlplat.{r.environment}.{fs[0].source}", f"{pid} {title}".strip(),
                          [f for f in fs if f.level == "mandatory"], [f for f in fs if f.level != "mandatory"]))
        failures = 0
        for classname, name, mandatory, advisory in cases:
            case = ET.SubElement(suite, "testcase", classname=classname, name=name)
            if mandatory:
                failures += 1
                fail = ET.SubElement(case, "failure", type="mandatory",
                                     message=f"{len(mandatory)} mandatory violation(s): {mandatory[0].message}")
                fail.text = "\n".join(_finding_line(f) for f in mandatory)
            if advisory:
                ET.SubElement(case, "system-out").text = "advisory (not enforced):\n" + "\n".join(
                    _finding_line(f) for f in advisory)
        budget = ET.SubElement(suite, "testcase", classname=f"mlplat.{r.environment}.cost",
                               name=f"budget ({_money(r.estimate.monthly_usd)}/month)")
        if not r.budget.ok:
            failures += 1
            fail = ET.SubElement(budget, "failure", type="budget", message="; ".join(r.budget.reasons))
            fail.text = "\n".join(r.budget.reasons)
        ET.SubElement(budget, "system-out").text = "\n".join(r.budget.notes + ([r.baseline_note] if r.baseline_note else []))
        n = len(cases) + 1
        suite.set("tests", str(n))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", "0")
        suite.set("time", f"{r.seconds:.3f}")
        totals["tests"] += n
        totals["failures"] += failures
    root.set("tests", str(totals["tests"]))
    root.set("failures", str(totals["failures"]))
    root.set("errors", "0")
    root.set("time", f"{result.seconds:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _finding_line(f: Any) -> str:
    loc = f" [{f.file}:{f.line}]" if getattr(f, "file", None) and getattr(f, "line", None) else ""
    return f"{f.policy} {f.resource}: {f.message}{loc}"


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {"mandatory": "error", "advisory": "warning"}


def sarif(result: CheckResult) -> str:
    """One SARIF 2.1.0 log, one run, the findings of every environment (each result names its
    environment); results point at the spec file and line the finding traces back to."""
    import hashlib
    import json

    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    for r in result.environments.values():
        for f in r.findings:
            level = _SARIF_LEVEL.get(f.level, "note")
            if f.policy not in rules:
                rules[f.policy] = _sarif_rule(f, level)
            uri, line, col, note = _sarif_location(f, result.spec)
            text = f"[{r.environment}] {f.resource}: {f.message}{note}"
            region: dict[str, Any] = {"startLine": line}
            if col:
                region["startColumn"] = col
            # Stable across runs and line moves: rule, environment, resource, spec path.
            key = "\x1f".join((f.policy, r.environment, f.resource, getattr(f, "spec_path", "") or ""))
            results.append({
                "ruleId": f.policy,
                "ruleIndex": list(rules).index(f.policy),
                "level": level,
                "message": {"text": text},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}, "region": region}}],
                "partialFingerprints": {"mlplatFinding/v1": hashlib.sha256(key.encode()).hexdigest()[:32]},
                "properties": {
                    "environment": r.environment, "source": f.source, "enforcement": f.level,
                    "resource": f.resource, "specPath": getattr(f, "spec_path", ""),
                    "component": getattr(f, "component", None),
                },
            })  # fmt: skip
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "mlplat", "version": _version(), "semanticVersion": _version(),
                "informationUri": "https://github.com/mlplat/mlplat", "rules": list(rules.values()),
            }},
            "automationDetails": {"id": "mlplat/check/"},
            "results": results,
            "properties": {"environments": list(result.environments), "passed": result.passed},
        }],
    }  # fmt: skip
    return json.dumps(log, indent=2) + "\n"


def _sarif_rule(f: Any, level: str) -> dict[str, Any]:
    title = getattr(f, "title", "") or f.policy
    rule: dict[str, Any] = {
        "id": f.policy,
        "name": f.policy.replace("-", ""),
        "shortDescription": {"text": title},
        "fullDescription": {"text": title},
        "defaultConfiguration": {"level": level},
        "properties": {"source": f.source, "tags": ["mlplat", f.source]},
    }
    remediation = getattr(f, "remediation", "")
    if remediation:
        rule["help"] = {"text": remediation}
        if str(remediation).startswith("http"):
            rule["helpUri"] = remediation
    return rule


def _sarif_location(f: Any, spec: str) -> tuple[str, int, int | None, str]:
    """(uri, line, column, note). Code scanning wants repository-relative paths; a finding traced
    into a built-in profile is shown on the spec (line 1) with the profile location in the text."""
    file, line, col = getattr(f, "file", None), getattr(f, "line", None) or 1, getattr(f, "column", None)
    note = ""
    if not file or str(file).startswith("<"):
        if file:
            note = f" (set by {file}:{line})"
        file, line, col = spec, 1, None
    return _relative_uri(str(file)), int(line), col, note


def _relative_uri(path: str) -> str:
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.resolve().relative_to(Path.cwd().resolve())
        except ValueError:
            return p.as_uri()
    return p.as_posix()


def print_verdict(result: CheckResult, console: Any) -> None:
    """The closing lines on stderr: one per environment, then the verdict."""
    for r in result.environments.values():
        mark = "[green]✓[/]" if r.passed else "[red]✗[/]"
        diff = ""
        if r.cost_diff is not None:
            d = r.cost_diff.diff_monthly_usd
            diff = f" ({'+' if d >= 0 else '−'}${abs(d):,.2f} vs {result.compare_to})"
        budget = "" if r.budget.budget_usd is None else f" / ${r.budget.budget_usd:,.2f}"
        console.print(
            f"{mark} {r.environment:<10} policy: {len(r.mandatory)} mandatory, {len(r.advisory)} advisory · "
            f"cost ${r.estimate.monthly_usd:,.2f}{budget}/month{diff}"
        )
        for why in r.reasons:
            console.print(f"    [red]{why}[/]")
        for f in r.mandatory[:5]:
            where = f" ({f.location})" if getattr(f, "location", "") else ""
            console.print(f"    [red]{f.policy}[/] {f.resource}: {f.message}{where}")
        if len(r.mandatory) > 5:
            console.print(f"    … {len(r.mandatory) - 5} more (see --summary / --sarif)")
    verdict = "[bold green]check passed[/]" if result.passed else "[bold red]check failed[/]"
    console.print(f"{verdict}: {len(result.environments)} environment(s) in {result.seconds:.1f}s ({result.mode})")


__all__ = [
    "AUTO_PARALLEL_MIN_ENVS", "SUMMARY_MARKER", "Baseline", "CheckResult", "EnvironmentResult", "auto_jobs",
    "check", "evaluate_environment", "junit", "load_baseline", "print_verdict", "sarif", "summary_markdown",
]  # fmt: skip
