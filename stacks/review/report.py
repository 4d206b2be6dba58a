"""`mlplat report`: one self-contained HTML page per environment (graph, cost chart, findings, plan diff).

The page loads nothing from the network: its Content-Security-Policy is `default-src 'none'`, and
the only scripts and styles it runs are inline, each allowed by its SHA-256 hash.

Libraries, and why:
- the component graph is laid out by Graphviz `dot` (the reference layered-graph layout engine,
  packaged by every distribution: Debian `graphviz`) when the report is written, and inlined as
  SVG: no layout code ships in the page, and the picture is there even with scripts off. Without
  `dot` on PATH the report still renders and shows the DOT source with a note;
- the cost charts are drawn by Chart.js (the most used charting library on npm, MIT, no
  dependencies, ~210 KB minified), vendored from the npm registry with its licence under
  `vendor/` and inlined into the page.

Every value that comes from the spec or the plan (names, messages, paths, spec lines) goes into the
page through jinja2 autoescaping; the chart data goes in through `tojson` (HTML-safe JSON).
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlplat.stacks.plan.graph import ComponentGraph
    from mlplat.stacks.review.check import EnvironmentResult

CHARTJS_VERSION = "4.6.1"
DOT_TIMEOUT_S = 30

STYLE = """
body{font:14px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1f2328;margin:0 auto;max-width:1200px;padding:0 24px 48px}
header{border-bottom:1px solid #d0d7de;margin-bottom:8px}h1{margin:16px 0 4px}h2{margin:28px 0 8px;font-size:18px}
.meta,.note{color:#57606a}code{font:12px ui-monospace,Menlo,Consolas,monospace;background:#f6f8fa;padding:1px 4px;border-radius:4px}
ul.verdict{list-style:none;padding:0;display:flex;gap:18px;flex-wrap:wrap}.ok{color:#1a7f37}.bad{color:#cf222e}
table{border-collapse:collapse;width:100%;margin:8px 0}th,td{border-bottom:1px solid #d8dee4;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}tr.total td{font-weight:600}
tr.mandatory td:first-child{color:#cf222e;font-weight:600}tr.advisory td:first-child{color:#9a6700}
tr.action-replace td:first-child,tr.action-delete td:first-child{color:#cf222e;font-weight:600}tr.action-create td:first-child{color:#1a7f37}
pre{white-space:pre-wrap;word-break:break-all;margin:2px 0}pre.line{font-size:12px;color:#57606a}td ul{margin:0;padding-left:16px}
figure.graph{margin:0;overflow-x:auto}figure.graph svg{max-width:100%;height:auto}
.chart{position:relative;height:320px}.chart.small{height:240px;margin-top:12px}
footer{margin-top:32px;color:#57606a;font-size:12px}
"""

APP_JS = """
(function () {
  var data = JSON.parse(document.getElementById('cost-data').textContent);
  Chart.defaults.animation = false;
  Chart.defaults.font.family = '-apple-system, "Segoe UI", Helvetica, Arial, sans-serif';
  var usd = function (v) { return '$' + Number(v).toLocaleString('en-US', {maximumFractionDigits: 0}); };
  var made = 0;
  var sets = [{label: 'now', data: data.current, backgroundColor: '#0969da'}];
  if (data.baseline) { sets.unshift({label: data.baseline_label, data: data.baseline, backgroundColor: '#afb8c1'}); }
  new Chart(document.getElementById('cost-chart'), {
    type: 'bar', data: {labels: data.labels, datasets: sets},
    options: {responsive: true, maintainAspectRatio: false,
      plugins: {legend: {display: !!data.baseline}, title: {display: true, text: 'monthly cost by component (USD)'}},
      scales: {y: {ticks: {callback: usd}}}}
  });
  made++;
  var diffCanvas = document.getElementById('cost-diff-chart');
  if (diffCanvas && data.diff) {
    new Chart(diffCanvas, {
      type: 'bar',
      data: {labels: data.labels, datasets: [{label: 'change', data: data.diff,
        backgroundColor: data.diff.map(function (v) { return v > 0 ? '#cf222e' : '#1a7f37'; })}]},
      options: {indexAxis: 'y', responsive: true, maintainAspectRatio: false,
        plugins: {legend: {display: false}, title: {display: true, text: 'change against ' + data.baseline_label + ' (USD/month)'}},
        scales: {x: {ticks: {callback: usd}}}}
    });
    made++;
  }
  document.body.setAttribute('data-charts-rendered', String(made));
})();
"""


@dataclass
class FindingRow:
    level: str
    policy: str
    source: str
    resource: str
    message: str
    where: str
    line_text: str


@cache
def chartjs() -> str:
    return (resources.files("mlplat.stacks.review") / "vendor" / "chart.umd.min.js").read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def csp(scripts: list[str], styles: list[str]) -> str:
    """Nothing from anywhere (`default-src 'none'`), no form posts, no base URL changes; only the
    inline scripts and styles written here, by hash."""
    return ("default-src 'none'; img-src data:; base-uri 'none'; form-action 'none'; "
            f"script-src {' '.join(_csp_hash(s) for s in scripts)}; style-src {' '.join(_csp_hash(s) for s in styles)}")


# --------------------------------------------------------------------------- the component graph picture


def graphviz_version() -> str | None:
    import shutil
    import subprocess

    if shutil.which("dot") is None:
        return None
    proc = subprocess.run(["dot", "-V"], capture_output=True, text=True, check=False, timeout=DOT_TIMEOUT_S)
    m = re.search(r"version\s+(\S+)", proc.stderr + proc.stdout)
    return m.group(1) if m else "unknown"


def graph_svg(g: ComponentGraph) -> tuple[str, str, str]:
    """(inline SVG, note, DOT source): the SVG is empty when Graphviz is not installed or fails."""
    import shutil
    import subprocess

    from mlplat.stacks.plan.graph import component_dot

    dot = component_dot(g)
    if shutil.which("dot") is None:
        return "", "Graphviz `dot` is not installed (Debian: apt-get install graphviz), so the graph is its DOT source:", dot
    proc = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, check=False,
                          timeout=DOT_TIMEOUT_S)  # fmt: skip
    if proc.returncode != 0 or "<svg" not in proc.stdout:
        return "", f"Graphviz failed ({proc.stderr.strip()[:200]}), so the graph is its DOT source:", dot
    svg = proc.stdout[proc.stdout.index("<svg"):]  # drop the XML prolog and DOCTYPE: inline SVG in HTML
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.DOTALL)
    return svg, "", dot


# --------------------------------------------------------------------------- findings with their spec lines


def _spec_line(file: str | None, line: int | None, cache_: dict[str, list[str]]) -> str:
    if not file or not line:
        return ""
    if file not in cache_:
        text = ""
        try:
            if file.startswith("<builtin>/envs/"):
                text = (resources.files("mlplat.envs") / file.rsplit("/", 1)[-1]).read_text(encoding="utf-8")
            elif Path(file).is_file():
                text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = ""
        cache_[file] = text.splitlines()
    lines = cache_[file]
    return lines[line - 1].rstrip() if 0 < line <= len(lines) else ""


def finding_rows(findings: list[Any]) -> list[FindingRow]:
    cache_: dict[str, list[str]] = {}
    order = {"mandatory": 0, "advisory": 1}
    rows = []
    for f in sorted(findings, key=lambda f: (order.get(f.level, 2), f.source != "mlplat", f.policy, f.resource)):
        where = f"{Path(f.file).name}:{f.line}" if f.file and f.line else (f.file or "")
        rows.append(FindingRow(f.level, f.policy, f.source, f.resource, f.message, where,
                               _spec_line(f.file, f.line, cache_)))  # fmt: skip
    return rows


# --------------------------------------------------------------------------- the page


def _money(v: float) -> str:
    return f"{'-' if v < 0 else ''}${abs(v):,.2f}"


def _signed(v: float) -> str:
    return "±$0.00" if abs(v) < 0.005 else f"{'+' if v > 0 else '−'}${abs(v):,.2f}"


def _prop_values(p: Any) -> str:
    from mlplat.stacks.review.diff import _MISSING, _fmt

    old = "∅" if p.old is _MISSING else _fmt(p.old, 80)
    new = "∅" if p.new is _MISSING else _fmt(p.new, 80)
    return f"{old} → {new}"


def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("mlplat.templates", "report"),
        autoescape=True,  # every spec- or plan-derived string is escaped
        undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )  # fmt: skip


def render_html(result: EnvironmentResult, *, spec: str, platform: str, compare_to: str | None = None,
                checkov: bool = True, generated: str | None = None) -> str:
    """The report of one evaluated environment (`check`'s EnvironmentResult)."""
    from mlplat import __version__
    from mlplat.stacks.plan.graph import ComponentGraph

    e, d = result.estimate, result.cost_diff
    current = e.by_component
    base = d.baseline.by_component if d is not None and d.baseline is not None else {}
    labels = [c.component for c in d.components] if d is not None else list(current)
    rows = [{"component": c, "current": current.get(c, 0.0), "baseline": base.get(c, 0.0)} for c in labels]
    cost_data: dict[str, Any] = {"labels": labels, "current": [round(r["current"], 2) for r in rows]}
    if d is not None:
        cost_data.update(baseline=[round(r["baseline"], 2) for r in rows], baseline_label=d.baseline_label,
                         diff=[round(r["current"] - r["baseline"], 2) for r in rows])  # fmt: skip
    graph = result.graph if isinstance(result.graph, ComponentGraph) else None
    svg, note, dot = graph_svg(graph) if graph is not None else ("", "No component graph.", "")
    pd = result.plan_diff
    context = {
        "platform": platform, "environment": result.environment, "spec": spec, "version": __version__,
        "generated": generated or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "baseline": (d.baseline_label if d is not None else (pd.baseline if pd is not None else compare_to)),
        "policy_passed": result.policy_passed, "mandatory": result.mandatory, "advisory": result.advisory,
        "checkov": checkov, "budget_ok": result.budget.ok, "budget_usd": result.budget.budget_usd,
        "monthly": e.monthly_usd, "baseline_monthly": d.baseline_monthly_usd if d is not None else 0.0,
        "cost_diff": d.diff_monthly_usd if d is not None else None, "resources": result.resources,
        "reasons": result.reasons, "plan_diff": pd, "dangerous": pd.dangerous if pd is not None else [],
        "graph_svg": svg, "graph_note": note, "graph_dot": dot, "graphviz_version": graphviz_version(),
        "cost_rows": rows, "cost_data": cost_data, "findings": finding_rows(result.findings),
        "chartjs": chartjs(), "chartjs_version": CHARTJS_VERSION, "app_js": APP_JS, "style": STYLE,
        "money": _money, "signed": _signed, "prop_values": _prop_values,
    }  # fmt: skip
    context["csp"] = csp([context["chartjs"], APP_JS], [STYLE])
    return str(_environment().get_template("report.html.j2").render(**context))


def build_report(spec_path: str, env: str, *, compare_to: str | None = None, checkov: bool = True,
                 progress: Any = None) -> str:
    """Plan, judge and compare one environment, then write its page: the library call behind `mlplat report`."""
    from mlplat.stacks.platform_spec.resolve import load_platform
    from mlplat.stacks.review.check import evaluate_environment, load_baseline

    resolved = load_platform(spec_path, env)
    baseline = load_baseline(spec_path, compare_to) if compare_to else None
    result = evaluate_environment(resolved, baseline=baseline, checkov=checkov,
                                  progress=progress or (lambda _m: None))  # fmt: skip
    return render_html(result, spec=str(spec_path), platform=resolved.name, compare_to=compare_to, checkov=checkov)


def write_reports(result: Any, directory: str | Path) -> list[Path]:
    """`check --report-dir`: one page per environment, `report-<env>.html`."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for env, r in result.environments.items():
        path = out / f"report-{env}.html"
        path.write_text(render_html(r, spec=result.spec, platform=r.estimate.platform, compare_to=result.compare_to,
                                    checkov=result.checkov), encoding="utf-8")  # fmt: skip
        written.append(path)
    return written


__all__ = ["CHARTJS_VERSION", "build_report", "csp", "finding_rows", "graph_svg", "render_html", "write_reports"]
