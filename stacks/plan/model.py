"""The plan: every resource the program would register (DESIGN 5 JSON contract).

Plain data, no Pulumi import, so policy, cost, drift and reports can load a saved
plan.json as cheaply as a fresh one.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

UNKNOWN = "<unknown>"
SECRET = "<secret>"
PLAN_FORMAT_VERSION = 1


@dataclass
class PlanResource:
    urn: str
    type: str
    name: str
    parent: str | None
    component: str | None
    inputs: dict[str, Any]
    custom: bool = True
    provider: str | None = None
    dependencies: list[str] = field(default_factory=list)
    protect: bool = False
    retain_on_delete: bool = False

    @property
    def tags(self) -> dict[str, Any]:
        tags = self.inputs.get("tags")
        return tags if isinstance(tags, dict) else {}

    @property
    def labels(self) -> dict[str, Any]:
        meta = self.inputs.get("metadata")
        labels = meta.get("labels") if isinstance(meta, dict) else None
        return labels if isinstance(labels, dict) else {}

    @property
    def is_kubernetes(self) -> bool:
        return self.type.startswith("kubernetes:")

    @property
    def is_aws(self) -> bool:
        return self.type.startswith("aws:")

    def get(self, dotted: str, default: Any = None) -> Any:
        """inputs lookup by dotted path ('spec.template.spec.containers')."""
        cur: Any = self.inputs
        for part in dotted.split("."):
            if isinstance(cur, dict) and part in cur:
                cur = cur[part]
            elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
                cur = cur[int(part)]
            else:
                return default
        return cur

    def to_dict(self) -> dict[str, Any]:
        # dataclasses.asdict deep-copies every leaf through copy.deepcopy: a third of a second
        # for a 660-resource plan. Plans hold JSON data, whose leaves are immutable.
        return {f.name: _copied(getattr(self, f.name)) for f in _RESOURCE_FIELDS}


_RESOURCE_FIELDS = fields(PlanResource)


def _copied(value: Any) -> Any:
    """A copy of JSON-shaped data: new containers, the same (immutable) leaves."""
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copied(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_copied(v) for v in value)
    return value


@dataclass
class Plan:
    platform: str
    environment: str
    resources: list[PlanResource]
    provider: str | None = None  # target provider of the spec: aws | kubernetes
    spec_file: str | None = None

    # -- queries
    def __iter__(self) -> Iterator[PlanResource]:
        return iter(self.resources)

    def __len__(self) -> int:
        return len(self.resources)

    def by_urn(self, urn: str) -> PlanResource | None:
        return self._index().get(urn)

    def of_type(self, *types: str) -> list[PlanResource]:
        return [r for r in self.resources if r.type in types]

    def named(self, name: str) -> PlanResource | None:
        return next((r for r in self.resources if r.name == name), None)

    def children(self, urn: str) -> list[PlanResource]:
        return [r for r in self.resources if r.parent == urn]

    def ancestors(self, res: PlanResource) -> list[PlanResource]:
        out, cur = [], res
        idx = self._index()
        while cur.parent and cur.parent in idx:
            cur = idx[cur.parent]
            out.append(cur)
        return out

    def custom_resources(self) -> list[PlanResource]:
        return [r for r in self.resources if r.custom and not r.type.startswith("pulumi:providers:")]

    def counts_by_component(self) -> dict[str, int]:
        return dict(Counter(r.component or "platform" for r in self.custom_resources()))

    def counts_by_type(self) -> dict[str, int]:
        return dict(Counter(r.type for r in self.custom_resources()))

    def _index(self) -> dict[str, PlanResource]:
        idx = self.__dict__.get("_idx")
        if idx is None or len(idx) != len(self.resources):
            idx = {r.urn: r for r in self.resources}
            self.__dict__["_idx"] = idx
        return idx

    # -- (de)serialisation
    def to_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "environment": self.environment,
            "provider": self.provider,
            "format_version": PLAN_FORMAT_VERSION,
            "summary": {"resources": len(self.custom_resources()), "by_component": self.counts_by_component()},
            "resources": [r.to_dict() for r in self.resources],
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=True, allow_nan=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        known = set(PlanResource.__dataclass_fields__)
        res = [PlanResource(**{k: v for k, v in r.items() if k in known}) for r in data.get("resources", [])]
        return cls(data["platform"], data["environment"], res, data.get("provider"))

    @classmethod
    def load(cls, path: str | Path) -> Plan:
        """A saved plan (`preview --format json`/`--out`); anything else is a user error (exit 2)
        naming what is wrong, never a KeyError or a TypeError from deep inside (exit 3)."""
        from mlplat.stacks.errors import MlplatError, printable

        name = printable(str(path))
        p = Path(path)
        try:
            if not p.is_file():
                raise MlplatError(f"--plan {name}: not a regular file")
            if p.stat().st_size > MAX_PLAN_BYTES:
                raise MlplatError(f"--plan {name}: larger than {MAX_PLAN_BYTES // 1_000_000} MB (input limit)")
            data = json.loads(p.read_bytes().decode("utf-8"))
        except OSError as exc:
            raise MlplatError(f"--plan {name}: cannot read: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise MlplatError(f"--plan {name}: not UTF-8 text; expected the JSON of `mlplat preview --format json`") from None
        except (ValueError, RecursionError) as exc:
            raise MlplatError(f"--plan {name}: not JSON ({type(exc).__name__}: {printable(str(exc))[:200]})") from None
        problem = _plan_problem(data)
        if problem:
            raise MlplatError(f"--plan {name}: not a plan written by `mlplat preview --format json`: {problem}")
        return cls.from_dict(data)


MAX_PLAN_BYTES = 200_000_000  # a 1,000-resource plan is ~2 MB


def _plan_problem(data: Any) -> str | None:
    """What makes `data` not a plan document, or None."""
    if not isinstance(data, dict):
        return f"the top level is {type(data).__name__}, expected an object"
    for key in ("platform", "environment"):
        if not isinstance(data.get(key), str):
            return f"{key!r} is missing or not a string"
    resources = data.get("resources")
    if not isinstance(resources, list):
        return "'resources' is missing or not a list"
    for i, r in enumerate(resources):
        if not isinstance(r, dict):
            return f"resources[{i}] is not an object"
        for key in ("urn", "type", "name"):
            if not isinstance(r.get(key), str):
                return f"resources[{i}].{key} is missing or not a string"
        for key in ("parent", "component", "provider"):
            if r.get(key) is not None and not isinstance(r.get(key), str):
                return f"resources[{i}].{key} is not a string"
        if not isinstance(r.get("inputs"), dict):
            return f"resources[{i}].inputs is missing or not an object"
        if not isinstance(r.get("dependencies", []), list):
            return f"resources[{i}].dependencies is not a list"
    return None


def walk_values(value: Any) -> Iterator[Any]:
    """Every scalar inside a nested inputs value."""
    if isinstance(value, dict):
        for v in value.values():
            yield from walk_values(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk_values(v)
    else:
        yield value


__all__ = ["PLAN_FORMAT_VERSION", "SECRET", "UNKNOWN", "Plan", "PlanResource", "walk_values"]
