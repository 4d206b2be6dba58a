"""Policy reports: JSON (DESIGN 5), SARIF 2.1.0, JUnit XML, Markdown and a rich table.

Every writer takes one :class:`PolicyResult` or several (the `check` command combines
environments); findings always carry their environment.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET

from mlplat import __version__

from .base import Finding, Rule, all_rules

if TYPE_CHECKING:
    from rich.console import Console

    from .engine import PolicyResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL = {"mandatory": "error", "advisory": "warning", "disabled": "none"}
INFO_URI = "https://github.com/mlplat/mlplat"


def _many(results: Any) -> list[PolicyResult]:
    from .engine import PolicyResult

    if isinstance(results, PolicyResult):
        return [results]
    return list(results)


def _findings(results: Iterable[PolicyResult]) -> list[Finding]:
    return [f for r in results for f in r.findings]


def summary(results: Any) -> dict[str, Any]:
    rs = _many(results)
    fs = _findings(rs)
    return {
        "passed": all(r.passed for r in rs),
        "environments": [r.environment for r in rs],
        "mandatory": sum(1 for f in fs if f.level == "mandatory"),
        "advisory": sum(1 for f in fs if f.level == "advisory"),
        "waived": sum(len(r.waived) for r in rs),
        "by_source": {s: sum(1 for f in fs if f.source == s) for s in ("mlplat", "checkov")},
    }


# --------------------------------------------------------------------------- JSON


def to_dict(results: Any) -> dict[str, Any]:
    """`findings` (policy, level, source, resource, message, file, line, …) + `summary`; with one
    environment also `platform`/`environment` at the top, with several an `environments` list."""
    rs = _many(results)
    out: dict[str, Any] = {}
    if len(rs) == 1:
        out["platform"] = rs[0].platform
        out["environment"] = rs[0].environment
    elif rs:
        out["platform"] = rs[0].platform
    out["passed"] = all(r.passed for r in rs)
    out["summary"] = summary(rs)
    out["findings"] = [f.to_dict() for f in _findings(rs)]
    out["waived"] = [
        {
            **f.to_dict(),
            "waiver": {
                "policy": w.policy,
                "resource": w.resource,
                "reason": w.reason,
                "owner": w.owner,
                "expires": w.expires.isoformat(),
            },
        }
        for r in rs
        for f, w in r.waived
    ]
    out["environments"] = [
        {
            "environment": r.environment,
            "spec_file": r.spec_file,
            **r.summary(),
            "timings": {k: round(v, 3) for k, v in r.timings.items()},
        }
        for r in rs
    ]
    return out


def to_json(results: Any, indent: int = 2) -> str:
    return json.dumps(to_dict(results), indent=indent, default=str, allow_nan=False)


# --------------------------------------------------------------------------- SARIF


def _uri(path: str | None) -> str:
    """Spec path as a SARIF artifact URI: relative to the working directory (the repository root
    in CI) when possible, forward slashes, so code scanning annotates the spec in place."""
    if not path:
        return "platform.yaml"
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.relative_to(Path.cwd())
        except ValueError:
            return p.as_uri()
    return p.as_posix()


def _rule_descriptor(rule: type[Rule], level: str | None = None) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.__name__,
        "shortDescription": {"text": rule.name},
        "fullDescription": {"text": rule.description()},
        "help": {"text": rule.remediation or rule.name},
        "defaultConfiguration": {"level": SARIF_LEVEL.get(level or rule.default_level, "warning")},
        "properties": {"area": rule.area(), "kind": rule.kind, "tags": ["mlplat", rule.area()]},
    }


def _fingerprint(f: Finding) -> str:
    return hashlib.sha256(f"{f.policy}|{f.environment}|{f.resource}|{f.message}".encode()).hexdigest()[:32]


def to_sarif(results: Any) -> dict[str, Any]:
    """SARIF 2.1.0: one run, mlplat rules plus the checkov checks that fired; each result located
    at the spec file and line (physicalLocation) and naming the resource (logicalLocation)."""
    rs = _many(results)
    findings = _findings(rs)
    descriptors = [_rule_descriptor(r) for r in all_rules()]
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    for f in findings:
        if f.source == "checkov" and f.policy not in index:
            index[f.policy] = len(descriptors)
            descriptors.append(
                {
                    "id": f.policy,
                    "name": f.policy,
                    "shortDescription": {"text": f.title or f.policy},
                    "helpUri": f.remediation if f.remediation.startswith("http") else None,
                    "defaultConfiguration": {"level": SARIF_LEVEL.get(f.level, "warning")},
                    "properties": {"tags": ["checkov"]},
                }
            )
            if descriptors[-1]["helpUri"] is None:
                del descriptors[-1]["helpUri"]
    sarif_results = []
    for f in findings:
        region: dict[str, Any] = {"startLine": f.line or 1}
        if f.column:
            region["startColumn"] = f.column
        res: dict[str, Any] = {
            "ruleId": f.policy,
            "ruleIndex": index[f.policy],
            "level": SARIF_LEVEL.get(f.level, "warning"),
            "message": {"text": f"[{f.environment}] {f.message}" if f.environment else f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(f.file), "uriBaseId": "%SRCROOT%"},
                        "region": region,
                    },
                    "logicalLocations": [
                        {"name": f.resource, "fullyQualifiedName": f.urn or f.resource, "kind": "resource"}
                    ],
                }
            ],
            "partialFingerprints": {"mlplatFinding/v1": _fingerprint(f)},
            "properties": {
                "environment": f.environment,
                "source": f.source,
                "enforcement": f.level,
                "resource": f.resource,
                "resourceType": f.resource_type,
                "component": f.component,
                "specPath": f.spec_path,
            },
        }
        sarif_results.append(res)
    artifacts = sorted({_uri(f.file) for f in findings} | {_uri(r.spec_file) for r in rs})
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "mlplat",
                        "version": __version__,
                        "informationUri": INFO_URI,
                        "rules": descriptors,
                    }
                },
                "automationDetails": {"id": f"mlplat-policy/{'+'.join(r.environment for r in rs)}"},
                "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().as_uri() + "/"}},
                "artifacts": [{"location": {"uri": a, "uriBaseId": "%SRCROOT%"}} for a in artifacts],
                "results": sarif_results,
                "properties": {"summary": summary(rs)},
            }
        ],
    }


# --------------------------------------------------------------------------- JUnit


def to_junit(results: Any) -> str:
    """JUnit XML: a test suite per environment, a test case per evaluated rule (and per checkov
    check that failed). Mandatory findings are failures; advisories are reported in system-out;
    disabled rules are skipped."""
    rs = _many(results)
    suites = ET.Element("testsuites", name="mlplat policy")
    total = {"tests": 0, "failures": 0, "skipped": 0}
    for r in rs:
        by_policy: dict[str, list[Finding]] = {}
        for f in r.findings:
            by_policy.setdefault(f.policy, []).append(f)
        suite = ET.SubElement(suites, "testsuite", name=f"mlplat policy ({r.environment})")
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        cases: list[tuple[str, str, str, str]] = [
            (rule.id, rule.name, rule.area(), level) for rule, level in r.rules
        ]
        seen = {c[0] for c in cases}
        for f in r.findings:
            if f.policy not in seen:
                seen.add(f.policy)
                cases.append((f.policy, f.title or f.policy, "checkov", f.level))
        for pid, title, area, level in cases:
            case = ET.SubElement(
                suite, "testcase", classname=f"mlplat.{r.environment}.{area}", name=f"{pid} {title}"
            )
            counts["tests"] += 1
            if level == "disabled":
                ET.SubElement(case, "skipped", message="disabled")
                counts["skipped"] += 1
                continue
            fs = by_policy.get(pid, [])
            mandatory = [f for f in fs if f.level == "mandatory"]
            if mandatory:
                counts["failures"] += 1
                fail = ET.SubElement(
                    case, "failure", message=f"{len(mandatory)} mandatory finding(s)", type="mandatory"
                )
                fail.text = "\n".join(_line(f) for f in mandatory)
            advisory = [f for f in fs if f.level == "advisory"]
            if advisory:
                out = ET.SubElement(case, "system-out")
                out.text = "\n".join("advisory: " + _line(f) for f in advisory)
        for k, v in counts.items():
            suite.set(k, str(v))
            total[k] += v
        suite.set("errors", "0")
    for k, v in total.items():
        suites.set(k, str(v))
    suites.set("errors", "0")
    _xml_safe(suites)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


_XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_safe(root: ET.Element) -> None:
    """XML 1.0 cannot hold NUL, ESC and most C0 characters, escaped or not: ElementTree writes
    them anyway and CI's JUnit reader then rejects the whole file. Show them as `\\xNN`."""

    def clean(text: str) -> str:
        return _XML_INVALID.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)

    for el in root.iter():
        if el.text:
            el.text = clean(el.text)
        if el.tail:
            el.tail = clean(el.tail)
        for k, v in el.attrib.items():
            el.set(k, clean(v))


def _line(f: Finding) -> str:
    return f"{f.location}: {f.policy} {f.resource}: {f.message}"


# --------------------------------------------------------------------------- Markdown


def to_markdown(results: Any) -> str:
    """A PR-comment summary: verdict per environment, then the findings (every value through md())."""
    from mlplat.stacks.errors import md

    rs = _many(results)
    lines = ["## mlplat policy", ""]
    lines.append("| environment | verdict | mandatory | advisory | waived |")
    lines.append("|---|---|---:|---:|---:|")
    for r in rs:
        s = r.summary()
        verdict = "✅ pass" if r.passed else "❌ fail"
        lines.append(f"| {md(r.environment)} | {verdict} | {s['mandatory']} | {s['advisory']} | {s['waived']} |")
    fs = _findings(rs)
    if fs:
        lines += ["", "| env | level | policy | resource | message | location |", "|---|---|---|---|---|---|"]
        for f in fs:
            lines.append(
                f"| {md(f.environment)} | {md(f.level)} | `{md(f.policy)}` | `{md(f.resource)}` | {md(f.message)} "
                f"| `{md(f.location)}` |"
            )
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- table


def render_table(results: Any, console: Console | None = None, advisory: bool = True) -> None:
    """A rich table per environment (on `console`, stdout by default)."""
    from mlplat.stacks.errors import esc
    from rich.console import Console
    from rich.table import Table

    # The terminal's width (COLUMNS, else 80 when captured): the columns wrap to fit, none is cut.
    console = console or Console(highlight=False, soft_wrap=False)
    for r in _many(results):
        fs = [f for f in r.findings if advisory or f.level == "mandatory"]
        verdict = "[green]PASS[/green]" if r.passed else "[red]FAIL[/red]"
        s = r.summary()
        title = (
            f"policy {esc(r.platform)}/{esc(r.environment)}: {verdict} — {s['mandatory']} mandatory, "
            f"{s['advisory']} advisory, {s['waived']} waived ({s['rules_evaluated']} rules"
            f"{', checkov' if r.checkov else ''})"
        )
        if not fs:
            console.print(title)
            continue
        table = Table(title=title, title_justify="left", show_lines=False, expand=False)
        table.add_column("level", no_wrap=True)
        table.add_column("policy", no_wrap=True)
        table.add_column("resource", overflow="fold", ratio=2)
        table.add_column("message", ratio=4)  # wraps at words
        table.add_column("spec", overflow="fold", ratio=1, min_width=8)
        for f in fs:
            style = "red" if f.level == "mandatory" else "yellow"
            # the file's name and line: the full path is in JSON and SARIF, here it would take a column
            where = f"{os.path.basename(f.file)}:{f.line}" if f.file and f.line else f.location
            table.add_row(f"[{style}]{esc(f.level)}[/{style}]", esc(f.policy), esc(f.resource), esc(f.message), esc(where))
        console.print(table)


__all__ = ["render_table", "summary", "to_dict", "to_json", "to_junit", "to_markdown", "to_sarif"]
