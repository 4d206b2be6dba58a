"""Helpers for the cost tests: the catalogue read straight from the shipped YAML, and tiny plans."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from mlplat.stacks.plan.model import Plan, PlanResource
from ruamel.yaml import YAML

HOURS = 730  # the month every price is multiplied by
ROOT = Path(__file__).resolve().parents[2]


def prices(name: str) -> dict[str, Any]:
    """A catalogue file as data — the tests read the numbers from it rather than from mlplat's loader."""
    text = (resources.files("mlplat.stacks.cost.pricing") / name).read_text(encoding="utf-8")
    return YAML(typ="safe").load(text)


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
