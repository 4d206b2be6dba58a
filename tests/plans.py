"""Offline plans of the reference specs, computed once per test session (each run costs seconds)."""

from __future__ import annotations

from functools import cache

from mlplat.stacks import load_platform
from mlplat.stacks.plan.offline import run_offline

from .conftest import REFERENCE_SPECS


@cache
def reference(spec: str, env: str):
    """(resolved, plan) of a reference spec ('platform' or 'onprem') in one environment."""
    path, _ = REFERENCE_SPECS[spec]
    resolved = load_platform(path, env)
    return resolved, run_offline(resolved)


def reference_cases() -> list[tuple[str, str]]:
    return [(name, env) for name, (_, envs) in REFERENCE_SPECS.items() for env in envs]


def kubernetes_cases() -> list[tuple[str, str]]:
    """Reference cases whose platform runs Kubernetes objects (the managed-AWS spec runs none)."""
    from mlplat.stacks import load_platform

    out = []
    for name, env in reference_cases():
        resolved = load_platform(REFERENCE_SPECS[name][0], env)
        if resolved.provider == "kubernetes" or resolved.spec.cluster is not None:
            out.append((name, env))
    return out
