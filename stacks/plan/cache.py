"""One plan, many judges: an on-disk cache of offline plans under `.mlplat/cache/plans/` beside the spec.

A plan is reused only when everything that shapes it is the same: the spec file's bytes, the
environment, mlplat's version and its installed files (profiles, templates, code), the Python
version and the Pulumi provider packages' versions. Entries are written to a temporary file and
renamed into place, so concurrent runs never read half a file; an entry that does not parse (or
was made for another key) is ignored and rewritten. `mlplat --no-cache …` or `MLPLAT_NO_CACHE=1`
turns it off.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from mlplat.stacks.plan.model import Plan

if TYPE_CHECKING:
    from mlplat.stacks.platform_spec.resolve import ResolvedPlatform

CACHE_DIR = Path(".mlplat") / "cache" / "plans"
KEY_VERSION = 2  # bump when the key's ingredients or the entry's shape change
PACKAGES = ("pulumi", "pulumi-aws", "pulumi-kubernetes", "pulumi-random")
_DISABLED = {"value": False}


def disable() -> None:
    """The CLI's --no-cache: every plan in this process is computed afresh and not stored."""
    _DISABLED["value"] = True


def enabled() -> bool:
    return not _DISABLED["value"] and os.environ.get("MLPLAT_NO_CACHE", "") in ("", "0")


@cache
def code_fingerprint() -> str:
    """mlplat's version and its installed files (path, size, mtime): an edited module or profile,
    in an editable install too, is a different mlplat."""
    import importlib.util

    import mlplat

    h = hashlib.sha256(f"{mlplat.__version__}|{sys.version_info[:3]}".encode())
    # Located, not imported: the plan layer must not load the CLI or the judges (ARCHITECTURE.md).
    for name in ("mlplat", "mlplat.cli", "mlplat.envs", "mlplat.modules", "mlplat.policies", "mlplat.stacks",
                 "mlplat.templates"):
        found = importlib.util.find_spec(name)
        for root in map(Path, (found.submodule_search_locations or []) if found else []):
            for p in sorted(root.rglob("*")):
                if p.suffix in (".py", ".yaml", ".yml", ".json", ".j2") and "__pycache__" not in p.parts:
                    st = p.stat()
                    h.update(f"{name}/{p.relative_to(root)}|{st.st_size}|{st.st_mtime_ns}".encode())
    for dist in PACKAGES:
        try:
            h.update(f"{dist}={metadata.version(dist)}".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{dist}=absent".encode())
    return h.hexdigest()


def cache_key(spec_bytes: bytes, environment: str, account_id: str = "") -> str:
    h = hashlib.sha256()
    for part in (str(KEY_VERSION).encode(), spec_bytes, environment.encode(), account_id.encode(),
                 code_fingerprint().encode()):  # fmt: skip
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()


def cache_dir(resolved: ResolvedPlatform) -> Path:
    return Path(resolved.source).resolve().parent / CACHE_DIR


def _entry(resolved: ResolvedPlatform, account_id: str = "") -> tuple[Path, str] | None:
    try:
        spec_bytes = Path(resolved.source).read_bytes()
    except OSError:
        return None
    key = cache_key(spec_bytes, resolved.environment, account_id)
    return cache_dir(resolved) / f"{key}.json", key


def load(resolved: ResolvedPlatform, account_id: str = "") -> Plan | None:
    """The cached plan for this spec, environment and account, or None (absent, corrupt, or another key)."""
    found = _entry(resolved, account_id)
    if found is None:
        return None
    path, key = found
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("key") != key:
            return None
        plan = Plan.from_dict(data["plan"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # unreadable or half-understood: recompute (and overwrite)
    plan.spec_file = str(resolved.source)
    return plan


def store(resolved: ResolvedPlatform, plan: Plan, account_id: str = "") -> None:
    """Write the entry atomically; a cache that cannot be written is no error."""
    found = _entry(resolved, account_id)
    if found is None:
        return
    path, key = found
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"key": key, "plan": plan.to_dict()}, f)
        os.replace(tmp, path)
    except OSError:
        return


def cached_plan(resolved: ResolvedPlatform, compute: object, account_id: str = "") -> Plan:
    """`compute(resolved)` unless an identical plan (same account too) is cached; stores what it computes."""
    if not enabled():
        return compute(resolved)  # type: ignore[operator,no-any-return]
    hit = load(resolved, account_id)
    if hit is not None:
        return hit
    plan: Plan = compute(resolved)  # type: ignore[operator]
    store(resolved, plan, account_id)
    return plan


__all__ = ["CACHE_DIR", "cache_dir", "cache_key", "cached_plan", "code_fingerprint", "disable", "enabled", "load",
           "store"]
