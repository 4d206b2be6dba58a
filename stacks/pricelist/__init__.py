"""The AWS price-list snapshot mlplat ships: real SKUs per region, their list prices and dates.

Data only, read with the standard library: `validate` takes the instance catalogue from here
(which types AWS offers in a region), `cost` takes the prices. The files are written by the
maintainer command `mlplat prices build` (see build.py) from AWS's bulk price files or from a
dated public table; nothing here touches the network.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

BASE_REGION = "us-east-1"


def _files() -> Any:
    return resources.files("mlplat.stacks.pricelist")


@cache
def _load(name: str) -> dict[str, Any]:
    data = json.loads((_files() / name).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise TypeError(f"price-list snapshot {name} is not a JSON object")
    return data


def snapshot_regions() -> list[str]:
    """Regions with a snapshot of their own (aws-<region>.json)."""
    return sorted(
        p.name[4:-5] for p in _files().iterdir() if p.name.startswith("aws-") and p.name.endswith(".json")
        and p.name != "aws-instance-types.json"
    )  # fmt: skip


def region_snapshot(region: str) -> dict[str, Any] | None:
    """The snapshot of one region (None when none is shipped)."""
    return _load(f"aws-{region}.json") if region in snapshot_regions() else None


def instance_hardware() -> dict[str, Any]:
    """vCPU, memory, architecture and accelerators per EC2 instance type (region-independent)."""
    return _load("aws-instance-types.json")


__all__ = ["BASE_REGION", "instance_hardware", "region_snapshot", "snapshot_regions"]
