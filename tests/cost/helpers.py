"""Helpers for the cost tests: the catalogue read straight from the shipped YAML, and tiny plans."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from mlplat.stacks.plan.model import Plan, PlanResource
from ruamel.yaml import YAML

HOURS = 730  # the month every price is multiplied by
ROOT = Path(__file__).resolve().parents[2]


def prices(name: str) -> dict[str, Any]:
    """A catalogue file as data — the tests read the numbers from it rather than from mlplat's loader.

    A region whose EC2 prices ship as a price-list snapshot (stacks/pricelist/aws-<region>.json)
    has no `ec2` section in its YAML: `ec2` is then the snapshot's, read straight from the JSON.
    """
    text = (resources.files("mlplat.stacks.cost.pricing") / name).read_text(encoding="utf-8")
    data = YAML(typ="safe").load(text)
    if name.startswith("aws-") and "ec2" not in data:
        data["ec2"] = snapshot(name[4:-5])["sections"]["ec2"]["prices"]
    return data


def snapshot(region: str) -> dict[str, Any]:
    """The shipped price-list snapshot of a region, as data."""
    return json.loads((resources.files("mlplat.stacks.pricelist") / f"aws-{region}.json").read_text(encoding="utf-8"))


def res(type_: str, name_: str, component: str, **inputs: Any) -> PlanResource:
    return PlanResource(urn=f"urn:pulumi:s::p::{type_}::{name_}", type=type_, name=name_, parent=None,
                        component=component, inputs=inputs)  # fmt: skip


def plan(resolved: Any, *resources_: PlanResource) -> Plan:
    return Plan(resolved.name, resolved.environment, list(resources_), resolved.provider)


def k8s(kind: str, api: str, name: str, component: str, spec: dict[str, Any], namespace: str = "ml",
        **meta: Any) -> PlanResource:
    return res(f"kubernetes:{api}:{kind}", name, component,
               metadata={"name": name, "namespace": namespace, **meta}, spec=spec)  # fmt: skip


def container(cpu: str, memory: str, gpu: int = 0) -> dict[str, Any]:
    requests: dict[str, Any] = {"cpu": cpu, "memory": memory}
    limits: dict[str, Any] = {"memory": memory}
    if gpu:
        limits["nvidia.com/gpu"] = str(gpu)
    return {"name": "main", "image": "x:1", "resources": {"requests": requests, "limits": limits}}
