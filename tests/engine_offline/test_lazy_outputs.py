"""stacks/plan/lazy_outputs.py: fewer tasks per Output, the same answers as the SDK's own code."""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import Awaitable, Callable
from importlib import metadata
from typing import Any

import pytest

pulumi = pytest.importorskip("pulumi")

from mlplat.stacks.plan import lazy_outputs, offline
from pulumi.output import Output, Unknown, contains_unknowns
from pulumi.runtime.settings import SETTINGS

VERIFIED_SDK = "3.223.0"  # the pulumi release whose output.py the replacements were written against
# sha256 of that release's pulumi/output.py (its wheel's RECORD: NNBkQ66S8wuddDJZjsTL2fiJ-Rz-6uXHNBhpF0b8A-o)
VERIFIED_OUTPUT_PY = "34d06443ae92f30b9d7432598ec4cbd9f889f91cfeeae5c73418691746fc03ea"


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch):
    # Failed Outputs stay in SETTINGS.outputs (for wait_for_rpcs to report); keep them out of other tests.
    monkeypatch.setattr(SETTINGS, "outputs", collections.deque())
    monkeypatch.delenv("MLPLAT_LAZY_OUTPUTS", raising=False)


def _done(value: Any) -> asyncio.Future[Any]:
    fut = asyncio.get_event_loop().create_future()
    fut.set_result(value)
    return fut


def _failed(error: BaseException) -> asyncio.Future[Any]:
    fut = asyncio.get_event_loop().create_future()
    fut.set_exception(error)
    return fut


def _cancelled() -> asyncio.Future[Any]:
    fut = asyncio.get_event_loop().create_future()
    fut.cancel()
    return fut


async def _outcome(awaitable: Awaitable[Any]) -> tuple[Any, ...]:
    try:
        value = await awaitable
    except asyncio.CancelledError:
        return ("cancelled",)
    except Exception as exc:  # noqa: BLE001 - the outcome is what is compared
        return ("error", type(exc).__name__, str(exc))
    return ("value", "<unknown>" if contains_unknowns(value) else value)


async def _read(out: Output, settle_first: bool) -> list[tuple[Any, ...]]:
    if settle_first:  # let the parts resolve before anything asks (the no-task path)
        for _ in range(5):
            await asyncio.sleep(0)
    return [
        await _outcome(out.is_known()),
        await _outcome(out.future()),
        await _outcome(out.future(with_unknowns=True)),
        await _outcome(out.is_known()),
    ]


SCENARIOS: dict[str, Callable[[], Output]] = {
    "known value": lambda: Output(set(), _done({"a": 1}), _done(True)),
    "value with an unknown inside": lambda: Output(set(), _done({"a": Unknown()}), _done(True)),
    "unknown in preview": lambda: Output(set(), _done(None), _done(False)),
    "value still pending": lambda: Output(set(), asyncio.sleep(0, "later"), asyncio.sleep(0, True)),
    "failed value": lambda: Output(set(), _failed(ValueError("boom")), _done(True)),
    "failed is_known": lambda: Output(set(), _done(1), _failed(KeyError("k"))),
    "cancelled value": lambda: Output(set(), _cancelled(), _done(True)),
    "from_input": lambda: Output.from_input({"x": [1, 2]}),
    "apply": lambda: Output.from_input(2).apply(lambda x: x + 1),
    "all": lambda: Output.all(Output.from_input(1), Output.from_input("b")),
    "apply on an unknown": lambda: Output(set(), _done(None), _done(False)).apply(lambda x: x + 1),
    "secret": lambda: Output.secret("s3cr3t"),
}


def _run(make: Callable[[], Output], settle_first: bool, lazy: bool) -> list[tuple[Any, ...]]:
    SETTINGS.outputs = collections.deque()  # (the fixture puts the SDK's own back afterwards)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        with lazy_outputs.lazy_outputs() if lazy else contextlib.nullcontext():

            async def scenario() -> list[tuple[Any, ...]]:
                outcomes = await _read(make(), settle_first)
                for _ in range(5):
                    await asyncio.sleep(0)
                # what wait_for_rpcs would still wait for, or report at exit: the failed values
                return [*outcomes, ("left for wait_for_rpcs", len(SETTINGS.outputs))]

            return loop.run_until_complete(scenario())
    finally:
        loop.close()
        asyncio.set_event_loop(None)


@pytest.mark.parametrize("settle_first", [False, True], ids=["asked at once", "asked after settling"])
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_same_answers_as_the_sdks_own_output(name, settle_first):
    if not lazy_outputs.applies():
        pytest.skip("the installed SDK is not the one the replacements were written against")
    sdk = _run(SCENARIOS[name], settle_first, lazy=False)
    ours = _run(SCENARIOS[name], settle_first, lazy=True)
    assert ours == sdk
    assert len(ours) == 5 and ours[0] == ours[3]  # is_known asked twice: one answer


def test_the_scenarios_reach_every_kind_of_outcome():
    # The comparison above means something only if values, unknowns, errors and cancellations occur.
    runs = [_run(make, False, lazy=False) for make in SCENARIOS.values()]
    kinds = {
        o[0] if o[0] != "value" else ("unknown" if o[1] in (None, "<unknown>") else "value")
        for outcomes in runs
        for o in outcomes[:4]
    }
    assert kinds == {"value", "unknown", "error", "cancelled"}
    assert {outcomes[4][1] for outcomes in runs} == {0, 1}  # values taken off the list, failures kept


def test_no_is_known_task_until_asked_and_the_sdk_restored_after():
    if not lazy_outputs.applies():
        pytest.skip("the installed SDK is not the one the replacements were written against")
    sdk_init, sdk_future = Output.__dict__["__init__"], Output.__dict__["future"]
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        with lazy_outputs.lazy_outputs() as applied:
            assert applied

            async def scenario() -> tuple[int, int, int, bool]:
                before = len(asyncio.all_tasks())
                outs = [Output(set(), _done(i), _done(True)) for i in range(50)]
                made, listed = len(asyncio.all_tasks()) - before, len(SETTINGS.outputs)
                known = await outs[7].is_known()
                return made, listed, sum("_is_known" in o.__dict__ for o in outs), known

            made, listed, asked, known = loop.run_until_complete(scenario())
    finally:
        loop.close()
        asyncio.set_event_loop(None)
    assert made == 0  # the SDK starts one is_value_known task per Output here: 50
    assert listed == 0  # values in hand are not waited for (the SDK lists all 50, then takes them off)
    assert (asked, known) == (1, True)
    assert Output.__dict__["__init__"] is sdk_init and Output.__dict__["future"] is sdk_future
    assert "_is_known" not in Output.__dict__


def test_the_sdk_makes_a_task_per_output():
    # The other side of the test above, so that it measures something: the SDK's own code.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:

        async def scenario() -> tuple[int, int]:
            before = len(asyncio.all_tasks())
            _ = [Output(set(), _done(i), _done(True)) for i in range(50)]
            return len(asyncio.all_tasks()) - before, len(SETTINGS.outputs)

        made, listed = loop.run_until_complete(scenario())
        assert made >= 50 and listed == 50
    finally:
        loop.close()
        asyncio.set_event_loop(None)


def test_applies_only_to_the_sdk_source_it_was_written_against(monkeypatch):
    digest = lazy_outputs.sdk_source_digest()
    assert lazy_outputs.applies() is (digest == VERIFIED_OUTPUT_PY)
    if metadata.version("pulumi") == VERIFIED_SDK:
        assert digest == VERIFIED_OUTPUT_PY
    # Another SDK source: the run keeps the SDK's own code.
    monkeypatch.setattr(lazy_outputs, "SDK_SOURCE_SHA256", "0" * 64)
    monkeypatch.setattr(lazy_outputs, "_VERDICT", {})
    seen = {}

    def program():
        seen["init"] = Output.__dict__["__init__"]
        pulumi.CustomResource("test:index:Thing", "t", {"x": pulumi.Output.from_input(1)})

    offline.run_program(program, "p", "s")
    assert seen["init"] is not lazy_outputs._init
    # and the switch turns it off whatever the source
    monkeypatch.setattr(lazy_outputs, "_VERDICT", {"applies": True})
    monkeypatch.setenv("MLPLAT_LAZY_OUTPUTS", "0")
    assert not lazy_outputs.applies()


def test_a_run_uses_them_and_records_the_same_plan(monkeypatch):
    if not lazy_outputs.applies():
        pytest.skip("the installed SDK is not the one the replacements were written against")
    seen = {}

    def program():
        seen.setdefault("init", []).append(Output.__dict__["__init__"])
        first = pulumi.CustomResource("test:index:Thing", "a", {"x": 1, "tags": {"k": "v"}})
        pulumi.CustomResource(
            "test:index:Thing",
            "b",
            {"ref": first.urn, "y": Output.from_input([1, 2]), "s": Output.secret("hidden")},
            opts=pulumi.ResourceOptions(depends_on=[first]),
        )

    lazy = [r.to_dict() for r in offline.run_program(program, "p", "s")]
    monkeypatch.setenv("MLPLAT_LAZY_OUTPUTS", "0")
    sdk = [r.to_dict() for r in offline.run_program(program, "p", "s")]
    assert seen["init"][0] is lazy_outputs._init and seen["init"][1] is not lazy_outputs._init
    assert lazy == sdk and len(sdk) == 2
