"""checkov in a second process, imported while this one plans.

`mlplat policy` spends ~2 s importing checkov and ~1 s scanning, after the plan (~3 s). On a
machine with a spare core the import can happen beside the plan: `CheckovWorker()` spawns a
process that imports checkov at once; `submit(plan)` hands it the plan (the parent then runs
its own rules) and `result()` collects the scan. Any failure of the worker (no checkov, a crash,
a pickling problem) falls back to scanning here, so the report is the same either way.

spawn, never fork: a forked child of a process that imported pulumi/grpc can hang (DESIGN 6).
"""

from __future__ import annotations

import os
from typing import Any, Self

# Above this 1-minute load average per core no core is spare: scan in this process.
MAX_LOAD_PER_CORE = 1.5


def spare_core() -> bool:
    """True when a second process would get a core of its own (MLPLAT_CHECKOV_WORKER=0|1 decides)."""
    forced = os.environ.get("MLPLAT_CHECKOV_WORKER", "")
    if forced in ("0", "1"):
        return forced == "1"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if cores < 2:
        return False
    try:
        load = os.getloadavg()[0]
    except OSError:  # not available here: assume a dedicated runner
        load = 0.0
    return load / cores < MAX_LOAD_PER_CORE


def _serve(conn: Any) -> None:
    """The worker: import checkov, then scan each plan it is sent until the pipe closes."""
    from mlplat.policies.checkov_bridge import scan_plan, warm_up

    try:
        warm_up()
    except Exception:  # noqa: BLE001 - the parent scans in-process and reports the problem itself
        conn.send(("unavailable", None))
        return
    conn.send(("ready", None))
    while True:
        try:
            plan, skips = conn.recv()
        except (EOFError, OSError):
            return
        try:
            conn.send(("ok", scan_plan(plan, skips)))
        except Exception:  # noqa: BLE001 - same: the parent's own scan reports it
            conn.send(("failed", None))


class CheckovWorker:
    """One spawned checkov process; use as a context manager so it never outlives the command."""

    def __init__(self) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child,), name="mlplat-checkov", daemon=False)
        self._proc.start()
        child.close()
        self._submitted: tuple[Any, Any] | None = None

    def submit(self, plan: Any, skips: Any = None) -> None:
        """Send the plan to be scanned (returns at once)."""
        self._submitted = (plan, skips)
        try:
            self._conn.send((plan, skips))
        except Exception:  # noqa: BLE001 - unpicklable or a dead worker: result() scans here
            self._conn.close()

    def result(self) -> Any:
        """The CheckovScan of the submitted plan: from the worker, or made here if it could not."""
        from mlplat.policies.checkov_bridge import scan_plan

        if self._submitted is None:
            raise RuntimeError("CheckovWorker.result() before submit()")
        plan, skips = self._submitted
        try:
            while True:
                status, scan = self._conn.recv()
                if status == "ready":
                    continue
                if status == "ok":
                    return scan
                break
        except (EOFError, OSError):
            pass
        return scan_plan(plan, skips)

    def close(self) -> None:
        # checkov's interpreter takes ~2 s to exit by itself (measured in stacks/review/check.py).
        self._conn.close()
        if self._proc.is_alive():
            self._proc.terminate()
        self._proc.join(timeout=10)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["CheckovWorker", "spare_core"]
