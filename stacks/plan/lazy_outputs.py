"""Fewer event-loop tasks per Pulumi Output during an offline run (issue 17).

An offline plan registers each resource through about 66 asyncio tasks. Two kinds are started
for every Output whether anything needs them or not (measured on the reference prod spec,
8 → 200 served models, per further resource):

- `Output.__init__` starts `is_value_known()` (25 per resource). Only serialising an Output,
  `apply` and `Output.all` ever await `_is_known`, and most resource outputs are never read.
- `Output.future()` wraps `await self._future` in a new Task on every call (27.5 per resource).

For the run, `_is_known` becomes a property that starts the same coroutine on first use (or
answers at once when both of its parts are in), and `future()` returns a Future completed with
the same value (None where unknowns are hidden), exception or cancellation: at once when
`_future` is done, else from its done-callback. An Output whose value is already in is not put
on the list `wait_for_rpcs` drains (its done-callback would take it off again at once).
Per further resource: 66 → 14.5 tasks and 170 → 67 event-loop callbacks; whole-process CPU of
the 662-resource preview, median of 12 alternating runs: 0.93 of the SDK's own code. Plans are
byte-identical (the goldens).

Both replace SDK functions, so they are applied only to the file they were written against:
`pulumi/output.py` of the pulumi 3.223.0 wheel from PyPI (sdk/python/lib/pulumi/output.py at tag
v3.223.0), whose sha256 is `SDK_SOURCE_SHA256` (the wheel's RECORD lists the same digest). Any
other SDK keeps its own code; runs are then just slower.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# sha256 of pulumi/output.py in the pulumi 3.223.0 wheel (RECORD: NNBkQ66S8wuddDJZjsTL2fiJ-Rz-6uXHNBhpF0b8A-o)
SDK_SOURCE_SHA256 = "34d06443ae92f30b9d7432598ec4cbd9f889f91cfeeae5c73418691746fc03ea"
_PARTS = "_mlplat_known_parts"  # (is_known, future): what `is_value_known()` awaits, kept until asked
_VERDICT: dict[str, bool] = {}


def sdk_source_digest() -> str:
    """sha256 of the installed SDK's output.py, which holds the functions replaced here.

    The whole file, read directly: `inspect.getsource` of two functions cost ~0.2 s (it maps
    every loaded module to its file), more than the replacements save on a small plan."""
    import pulumi.output

    return hashlib.sha256(Path(pulumi.output.__file__).read_bytes()).hexdigest()


def applies() -> bool:
    """Whether the installed SDK is the one the replacements were written against (once per process).

    MLPLAT_LAZY_OUTPUTS=0 keeps the SDK's own code (to compare, or to rule this out)."""
    if os.environ.get("MLPLAT_LAZY_OUTPUTS") == "0":
        return False
    if "applies" not in _VERDICT:
        try:
            _VERDICT["applies"] = sdk_source_digest() == SDK_SOURCE_SHA256
        except (ImportError, OSError, TypeError, AttributeError):  # no source on disk, or renamed
            _VERDICT["applies"] = False
    return _VERDICT["applies"]


async def _is_value_known(is_known: Awaitable[bool], future: Awaitable[Any]) -> bool:
    from pulumi.output import contains_unknowns

    return await is_known and not contains_unknowns(await future)


def _init(
    self: Any,
    resources: Any,
    future: Awaitable[Any],
    is_known: Awaitable[bool],
    is_secret: Awaitable[bool] | None = None,
) -> None:
    from pulumi.runtime.settings import SETTINGS

    is_known = asyncio.ensure_future(is_known)
    future = asyncio.ensure_future(future)
    if not _settled(future):  # wait_for_rpcs waits for every Output's value; a value in hand is waited for
        with SETTINGS.lock:
            SETTINGS.outputs.append(future)

        def cleanup(fut: asyncio.Future[Any]) -> None:
            if fut.cancelled() or fut.exception() is not None:
                return  # left for wait_for_rpcs to report at program exit
            with SETTINGS.lock:
                try:
                    SETTINGS.outputs.remove(fut)
                except ValueError:
                    pass  # wait_for_rpcs took it already

        future.add_done_callback(cleanup)
    if isinstance(resources, set):
        self._resources = asyncio.Future()
        self._resources.set_result(resources)
    else:
        self._resources = asyncio.ensure_future(resources)
    self._future = future
    self.__dict__[_PARTS] = (is_known, future)
    if is_secret is not None:
        self._is_secret = asyncio.ensure_future(is_secret)
    else:
        self._is_secret = asyncio.Future()
        self._is_secret.set_result(False)


def _get_is_known(self: Any) -> Awaitable[bool]:
    state = self.__dict__
    task = state.get("_is_known")
    if task is None:
        # An Output made before the run has its task already; one made during it, its parts.
        is_known, future = state.pop(_PARTS)
        if _settled(is_known) and (not is_known.result() or _settled(future)):
            # Both answers are in (the usual case by the time an input is serialised): no task.
            from pulumi.output import contains_unknowns

            task = future.get_loop().create_future()
            task.set_result(bool(is_known.result()) and not contains_unknowns(future.result()))
        else:
            task = asyncio.ensure_future(_is_value_known(is_known, future))
        state["_is_known"] = task
    return task


def _settled(future: Any) -> bool:
    """Done with a value (a failure or cancellation goes through the coroutine, to raise as the SDK does)."""
    return bool(future.done()) and not future.cancelled() and future.exception() is None


def _set_is_known(self: Any, value: Awaitable[bool]) -> None:
    self.__dict__.pop(_PARTS, None)
    self.__dict__["_is_known"] = value


def _future(self: Any, with_unknowns: bool | None = None) -> Awaitable[Any]:
    from pulumi.output import contains_unknowns

    source = self._future
    result = source.get_loop().create_future()

    def settle(done: asyncio.Future[Any]) -> None:
        if result.done():
            return  # the caller cancelled it
        if done.cancelled():
            result.cancel()
            return
        error = done.exception()
        if error is not None:
            result.set_exception(error)
            return
        value = done.result()
        try:
            hidden = not with_unknowns and contains_unknowns(value)
        except Exception as exc:  # noqa: BLE001 - the awaiting coroutine gets it, as from the SDK's task
            result.set_exception(exc)
            return
        result.set_result(None if hidden else value)

    if source.done():
        settle(source)  # the value is in: answer now, not one loop turn later
    else:
        source.add_done_callback(settle)
    return result


@contextmanager
def lazy_outputs() -> Iterator[bool]:
    """Apply the replacements for the duration of a run (yields whether they apply)."""
    if not applies():
        yield False
        return
    from pulumi.output import Output

    saved = {name: Output.__dict__[name] for name in ("__init__", "future")}
    Output.__init__ = _init  # type: ignore[method-assign]
    Output.future = _future  # type: ignore[method-assign]
    Output._is_known = property(_get_is_known, _set_is_known)  # type: ignore[assignment]
    try:
        yield True
    finally:
        for name, value in saved.items():
            setattr(Output, name, value)
        del Output._is_known
