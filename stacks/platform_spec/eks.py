"""The EKS version catalogue: which Kubernetes versions EKS creates, until when each is in
standard or extended support, and the add-on and autoscaler builds pinned per version.

Data in `eks_catalogue.json` (package data, sources recorded inside). Pure and light: the
spec model takes its default version from here, so nothing heavy is imported.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

Support = Literal["standard", "extended", "ended", "unreleased", "unknown"]
ADDONS = ("vpc-cni", "kube-proxy", "coredns", "aws-ebs-csi-driver")


@dataclass(frozen=True)
class EksVersion:
    version: str
    eks_release: _dt.date
    end_standard: _dt.date
    end_extended: _dt.date

    def support(self, today: _dt.date) -> Support:
        """Standard support includes its last day; billing for extended starts the day after."""
        if today < self.eks_release:
            return "unreleased"
        if today <= self.end_standard:
            return "standard"
        if today <= self.end_extended:
            return "extended"
        return "ended"


@cache
def catalogue() -> dict[str, Any]:
    text = resources.files("mlplat.stacks.platform_spec").joinpath("eks_catalogue.json").read_text()
    data: dict[str, Any] = json.loads(text)
    return data


def as_of() -> _dt.date:
    return _dt.date.fromisoformat(catalogue()["as_of"])


def max_age_days() -> int:
    return int(catalogue()["max_age_days"])


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


@cache
def versions() -> tuple[EksVersion, ...]:
    out = [
        EksVersion(
            v,
            _dt.date.fromisoformat(d["eks_release"]),
            _dt.date.fromisoformat(d["end_standard"]),
            _dt.date.fromisoformat(d["end_extended"]),
        )
        for v, d in catalogue()["versions"].items()
    ]
    return tuple(sorted(out, key=lambda e: _key(e.version)))


def version(v: str) -> EksVersion | None:
    return next((e for e in versions() if e.version == v), None)


def support(v: str, today: _dt.date | None = None) -> Support:
    e = version(v)
    return e.support(today or _dt.date.today()) if e is not None else "unknown"


def in_support(today: _dt.date | None = None) -> list[str]:
    """Versions EKS creates today (standard or extended support), oldest first."""
    day = today or _dt.date.today()
    return [e.version for e in versions() if e.support(day) in ("standard", "extended")]


def default_version(today: _dt.date | None = None) -> str:
    """The newest version in standard support today (the spec's default)."""
    day = today or _dt.date.today()
    standard = [e.version for e in versions() if e.support(day) == "standard"]
    if not standard:  # a catalogue this stale fails its own test; keep validate usable meanwhile
        return versions()[-1].version
    return standard[-1]


def addon_version(addon: str, v: str) -> str | None:
    """The pinned EKS add-on build for Kubernetes `v`, None when no source gave one."""
    pins: dict[str, str | None] = catalogue()["addons"].get(addon, {})
    return pins.get(v)


def unverified_pins() -> list[tuple[str, str]]:
    """(add-on, version) pairs without a sourced pin: the plan leaves these to EKS's default build."""
    return [(a, v.version) for a in ADDONS for v in versions() if addon_version(a, v.version) is None]


def autoscaler_image_tag(v: str) -> str:
    """The cluster-autoscaler image for Kubernetes `v` (its minor must match the cluster's)."""
    tags: dict[str, str] = catalogue()["autoscaler_image"]
    return tags.get(v) or f"v{v}.0"


def extended_surcharge_per_hour() -> float:
    return float(catalogue()["pricing"]["extended_surcharge_per_cluster_hour"])


__all__ = [
    "ADDONS", "EksVersion", "Support", "addon_version", "as_of", "autoscaler_image_tag", "catalogue",
    "default_version", "extended_surcharge_per_hour", "in_support", "max_age_days", "support",
    "unverified_pins", "version", "versions",
]  # fmt: skip
