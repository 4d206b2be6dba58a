from __future__ import annotations

from collections.abc import Iterable

from ..base import SpecContext, SpecRule, Violation


class AlertsRouted(SpecRule):
    """Monitoring routes alerts somewhere a human sees them (Slack, PagerDuty or e-mail)."""

    id = "MLP-MON-002"
    name = "Ensure monitoring alerts are routed to a receiver"
    default_level = "advisory"
    remediation = "Set monitoring.alerts.slack_webhook, pagerduty_key (as references) or email."

    def check(self, ctx: SpecContext) -> Iterable[Violation]:
        mon = ctx.spec.monitoring
        if mon is None:
            return
        a = mon.alerts
        if a is None or not (a.slack_webhook or a.pagerduty_key or a.email):
            yield Violation("monitoring", "alerts have no receiver", ("monitoring",), component="monitoring")
