from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource


class MwaaWebserverPrivate(PlanRule):
    """The Airflow UI of an MWAA environment is reachable only from the VPC: a public web server
    exposes DAG code, connections and the power to trigger runs to the internet's login page."""

    id = "MLP-SM-003"
    name = "Ensure the MWAA web server is private"
    default_level = "advisory"  # the prod profile makes it mandatory
    remediation = "Use webserverAccessMode PRIVATE_ONLY (mlplat's default) and reach the UI through the VPC."
    resource_types = ("aws:mwaa/environment:Environment",)
    spec_anchor = ("orchestrator",)

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        mode = res.inputs.get("webserverAccessMode")
        if mode != "PRIVATE_ONLY":
            yield f"MWAA environment {res.name} web server access is {mode or 'unset (PUBLIC_ONLY)'}"
