"""Policy as code: mlplat rules over the spec and the offline plan, checkov, levels, waivers, reports.

Library entry points (the CI `check` command combines several environments)::

    result = evaluate(resolved, plan, checkov=True)     # PolicyResult for one environment
    result.findings, result.mandatory_failures, result.passed
    to_json(results) / to_sarif(results) / to_junit(results) / to_markdown(results)

Importing this package does not import checkov or Pulumi.
"""

from __future__ import annotations

from .base import Finding, LevelResolver, PlanRule, Rule, SpecRule, Violation, all_rules, rule_by_id
from .engine import PolicyResult, evaluate
from .report import render_table, summary, to_dict, to_json, to_junit, to_markdown, to_sarif

__all__ = [
    "Finding", "LevelResolver", "PlanRule", "PolicyResult", "Rule", "SpecRule", "Violation", "all_rules", "evaluate",
    "render_table", "rule_by_id", "summary", "to_dict", "to_json", "to_junit", "to_markdown", "to_sarif",
]  # fmt: skip
