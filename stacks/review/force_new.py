"""Which input changes replace a resource: the providers' force-new data (`force_new.yaml`).

`classify(type, path)` → "replace" (the provider documents the input as force-new), "may_replace"
(force-new only under a run-time condition, or the type is not in the data) or "update".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

REPLACE, MAY_REPLACE, UPDATE = "replace", "may_replace", "update"


@dataclass(frozen=True)
class TypeRules:
    replace: tuple[str, ...]
    may_replace: tuple[str, ...] = ()
    source: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@cache
def _data() -> dict[str, Any]:
    from importlib import resources

    from ruamel.yaml import YAML

    text = (resources.files("mlplat.stacks.review") / "force_new.yaml").read_text(encoding="utf-8")
    data = YAML(typ="safe").load(text)
    assert isinstance(data, dict)
    return data


def rules_for(type_token: str) -> TypeRules | None:
    """The replacement rules of a Pulumi type, or None when the data does not cover it."""
    data = _data()
    if type_token.startswith("kubernetes:"):
        k8s = data["kubernetes"]
        if type_token in k8s.get("releases", {}):
            return TypeRules(tuple(k8s["releases"][type_token]), source=k8s["source"])
        # Every Kubernetes kind is covered: the provider replaces on metadata plus its kind list.
        return TypeRules(tuple(k8s["all_kinds"]) + tuple(k8s["kinds"].get(type_token, ())), source=k8s["source"])
    entry = data.get("aws", {}).get(type_token)
    if entry is None:
        return None
    return TypeRules(tuple(entry.get("replace", ())), tuple(entry.get("may_replace", ())), entry.get("source", {}))


_ITEM = re.compile(r"\[[^\]]*\]")


def normalise(path: str) -> str:
    """`spec.template.spec.containers[mlflow].image` → `spec.template.spec.containers[*].image`;
    a JSON document inside a string input (`policy#.Statement[0]`) counts as its input (`policy`)."""
    return _ITEM.sub("[*]", path.split("#", 1)[0])


def _under(path: str, pattern: str) -> bool:
    return path == pattern or path.startswith((pattern + ".", pattern + "["))


def classify(type_token: str, path: str) -> str:
    rules = rules_for(type_token)
    if rules is None:
        return MAY_REPLACE
    p = normalise(path)
    if any(_under(p, pat) for pat in rules.replace):
        return REPLACE
    if any(_under(p, pat) for pat in rules.may_replace):
        return MAY_REPLACE
    return UPDATE


def covered_types() -> list[str]:
    data = _data()
    return sorted([*data["kubernetes"].get("kinds", {}), *data["kubernetes"].get("releases", {}), *data.get("aws", {})])


__all__ = ["MAY_REPLACE", "REPLACE", "UPDATE", "TypeRules", "classify", "covered_types", "normalise", "rules_for"]
