"""`mlplat report`: one self-contained HTML page, opened in headless Chromium.

The browser is Debian's `chromium` (`.ci/run` installs it), driven by playwright-python with
`executable_path` (playwright downloads no browser). The page must draw the component graph (SVG
laid out by Graphviz `dot`) and the cost charts (Chart.js, inlined), and request nothing but itself:
every request is logged and anything else aborted; DNS resolves nothing and the proxy is a dead
port, so a request that slipped through would fail anyway and show in the log.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from mlplat.cli.main import cli
from mlplat.policies.base import Finding
from mlplat.stacks import load_platform
from mlplat.stacks.review.check import evaluate_environment, load_baseline
from mlplat.stacks.review.report import render_html

from tests.conftest import REFERENCE_SPECS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


def _browser_or_skip():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    missing = ("playwright" if sync_playwright is None else "chromium" if CHROMIUM is None
               else "graphviz" if shutil.which("dot") is None else None)
    if missing:
        if os.environ.get("CI"):  # .ci/run installs both: missing there is a broken CI, not a skip
            pytest.fail(f"{missing} is not installed (CI installs it: see .ci/run)")
        pytest.skip(f"{missing} is not installed (apt-get install chromium graphviz; pip install playwright)")
    return sync_playwright


def open_in_chromium(html_file: Path, screenshot: Path) -> dict:
    """Load the file, wait for its scripts, take a screenshot; report what the page did."""
    sync_playwright = _browser_or_skip()
    requests: list[str] = []
    console: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
        ])  # fmt: skip
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
            own = html_file.resolve().as_uri()

            def gate(route):
                requests.append(route.request.url)
                if route.request.url == own:
                    route.continue_()
                else:
                    route.abort()

            page.route("**/*", gate)
            page.goto(own)
            page.wait_for_selector("body[data-charts-rendered]", timeout=15_000)
            out = page.evaluate("""() => {
                const painted = (id) => {
                    const c = document.getElementById(id);
                    if (!c) return 0;
                    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                    let n = 0;
                    for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) n++;
                    return n;
                };
                const svg = document.querySelector('#component-graph svg');
                const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
                return {
                    charts: document.body.getAttribute('data-charts-rendered'),
                    costPixels: painted('cost-chart'), diffPixels: painted('cost-diff-chart'),
                    nodes: [...document.querySelectorAll('#component-graph svg g.node title')].map(t => t.textContent),
                    edges: document.querySelectorAll('#component-graph svg g.edge').length,
                    graphWidth: box.width, graphHeight: box.height,
                    images: document.images.length, scripts: document.scripts.length,
                    planRows: document.querySelectorAll('#plan-diff tbody tr').length,
                    findingRows: document.querySelectorAll('#findings tbody tr').length,
                    text: document.body.innerText,
                };
            }""")
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    out["requests"], out["console"] = requests, console
    return out


@pytest.fixture(scope="module")
def prod_report(tmp_path_factory):
    """The reference prod report against a baseline FILE whose `system` pool had max_size 4 (now 6),
    with one finding carrying markup, to prove the page escapes what it shows."""
    _browser_or_skip()
    d = tmp_path_factory.mktemp("report")
    text = REFERENCE_SPECS["platform"][0].read_text()
    old = "    - name: system\n      instance_type: m6i.large\n      min_size: 2\n      max_size: 4\n"
    assert text.count(old) == 1
    (d / "baseline.yaml").write_text(text)
    spec = d / "platform.yaml"
    spec.write_text(text.replace(old, old.replace("max_size: 4", "max_size: 6")))
    resolved = load_platform(spec, "prod")
    result = evaluate_environment(resolved, baseline=load_baseline(spec, str(d / "baseline.yaml")), checkov=False)
    result.policy.findings.append(Finding(
        policy="MLP-TST-001", level="advisory", source="mlplat", resource=HOSTILE, message=HOSTILE,
        file=str(spec), line=text.splitlines().index("apiVersion: mlplat.io/v1alpha1") + 1,
    ))  # fmt: skip
    html = render_html(result, spec=str(spec), platform=resolved.name, compare_to=str(d / "baseline.yaml"),
                       checkov=False)  # fmt: skip
    path = d / "report.html"
    path.write_text(html, encoding="utf-8")
    return path, html, open_in_chromium(path, d / "report.png"), d / "report.png"


def test_report_renders_graph_and_charts_offline(prod_report):
    _, _, seen, png = prod_report
    assert seen["console"] == []  # no CSP violation, no script error
    # the page requested nothing but itself
    assert seen["requests"] == [prod_report[0].resolve().as_uri()]
    assert seen["charts"] == "2"  # cost by component + change against the baseline
    assert seen["costPixels"] > 5_000 and seen["diffPixels"] > 500  # drawn, not blank canvases
    # one node per component of the reference platform, laid out with a real size
    assert sorted(seen["nodes"]) == sorted(["c_network", "c_storage", "c_cluster", "c_tracking", "c_orchestrator", "c_ingress",
                                            "c_feature_store", "c_serving", "c_monitoring"])  # fmt: skip
    assert seen["edges"] >= 8 and seen["graphWidth"] > 400 and seen["graphHeight"] > 150
    assert seen["planRows"] == 1 and "scalingConfig.maxSize" in seen["text"] and "4 → 6" in seen["text"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 50_000


def test_report_escapes_spec_and_plan_text(prod_report):
    _, html, seen, _ = prod_report
    assert HOSTILE not in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    assert seen["images"] == 0  # the markup stayed text
    assert seen["scripts"] == 3  # Chart.js, the page's own and the JSON data block: none injected
    assert HOSTILE in seen["text"]  # shown to the reader as written
    # the policy (an attribute value, so its quotes are escaped too): nothing loads, no inline code but ours
    assert "default-src &#39;none&#39;" in html and "unsafe-inline" not in html


def test_report_shows_spec_lines_of_findings(prod_report):
    _, html, _, _ = prod_report
    # the finding above points at the spec's apiVersion line: the page quotes that line
    assert '<pre class="line">apiVersion: mlplat.io/v1alpha1</pre>' in html


def test_report_cli_and_check_report_dir(tmp_path):
    spec = tmp_path / "platform.yaml"
    spec.write_text("""\
apiVersion: mlplat.io/v1alpha1
kind: Platform
metadata: {name: small, owner: team@example.com}
target: {provider: aws, region: us-east-1}
network: {cidr: 10.1.0.0/16, az_count: 2, nat: single}
storage:
  encryption: kms
  buckets:
    - {name: artifacts, purpose: artifacts, versioning: true, lifecycle: {expire_noncurrent_days: 30}}
budget: {monthly_usd: 500, max_increase_percent: 10}
environments:
  dev: {profile: dev}
  prod: {profile: prod}
""")
    runner = CliRunner()
    out = tmp_path / "one" / "report.html"
    res = runner.invoke(cli, ["report", str(spec), "--env", "dev", "--out", str(out), "--no-checkov"])
    assert res.exit_code == 0, res.output
    assert out.read_text().startswith("<!DOCTYPE html>")
    res = runner.invoke(cli, ["check", str(spec), "--no-checkov", "--jobs", "1", "--report-dir", str(tmp_path / "r")])
    assert res.exit_code == 0, res.output
    written = sorted(p.name for p in (tmp_path / "r").iterdir())
    assert written == ["report-dev.html", "report-prod.html"]
    for name in written:
        html = (tmp_path / "r" / name).read_text()
        # self-contained: no element loads anything (the only URLs are Chart.js's comment and the SVG namespaces)
        for attr in ('src="', "src='", 'href="http', "@import", "url(http"):
            assert attr not in html, (name, attr)
