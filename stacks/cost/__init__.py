"""Judging a plan's cost: the price catalogue, pricing rules per type, the estimate and its outputs."""

from __future__ import annotations

from .catalogue import (
    DEFAULT_AUTOSCALE_FRACTION,
    DEFAULT_BUCKET_GB,
    DEFAULT_JOB_MINUTES,
    DEFAULT_LB_LCU,
    DEFAULT_LOGS_GB,
    DEFAULT_NAT_GB,
    DEFAULT_S3_PUT_SHARE,
    DEFAULT_S3_REQUESTS,
    HOURS_PER_MONTH,
    STATUS_FREE,
    STATUS_PRICED,
    STATUS_UNPRICED,
    Catalogue,
    UsageAssumptions,
    available_regions,
    load_catalogue,
    usage_assumptions,
)
from .estimate import (
    BudgetVerdict,
    ComponentDiff,
    CostDiff,
    LineDiff,
    baseline_estimate,
    billable_resources,
    budget_gate,
    compare,
    estimate,
    estimate_spec,
)
from .lines import Charge, CostEstimate, CostLine, Coverage
from .output import cost_json, to_markdown
from .pricers import FREE_TYPES, gib, parse_quantity
from .pricers_k8s import chart_shapes, cron_runs_per_month, pod_requests

__all__ = ['DEFAULT_AUTOSCALE_FRACTION', 'DEFAULT_BUCKET_GB', 'DEFAULT_JOB_MINUTES', 'DEFAULT_LB_LCU', 'DEFAULT_LOGS_GB', 'DEFAULT_NAT_GB', 'DEFAULT_S3_PUT_SHARE', 'DEFAULT_S3_REQUESTS', 'FREE_TYPES', 'HOURS_PER_MONTH', 'STATUS_FREE', 'STATUS_PRICED', 'STATUS_UNPRICED', 'BudgetVerdict', 'Catalogue', 'Charge', 'ComponentDiff', 'CostDiff', 'CostEstimate', 'CostLine', 'Coverage', 'LineDiff', 'UsageAssumptions', 'available_regions', 'baseline_estimate', 'billable_resources', 'budget_gate', 'chart_shapes', 'compare', 'cost_json', 'cron_runs_per_month', 'estimate', 'estimate_spec', 'gib', 'load_catalogue', 'parse_quantity', 'pod_requests', 'to_markdown', 'usage_assumptions']  # fmt: skip
