"""The offline engine: run the Pulumi program in-process under a recording mock monitor.

No cloud account, no Pulumi CLI. The program runs in preview mode, so every value a
provider would compute (ids, ARNs, endpoints) stays unknown, exactly as in a real
`pulumi preview`; the recorder keeps each resource's resolved inputs with wire names.

Pitfalls handled here (DESIGN 6): each run gets a fresh event loop and freshly reset
runtime settings, so repeated runs in one process are independent; secrets are kept
as the "<secret>" marker and never decoded.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import threading
from collections.abc import Callable, Iterator
from typing import Any

from mlplat.stacks.plan.model import SECRET, UNKNOWN, Plan, PlanResource
from mlplat.stacks.platform_spec.resolve import ResolvedPlatform

# Wire-format signatures (pulumi.runtime.rpc); kept here so decoding needs no private import.
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SIG_SECRET = "1b47061264138c4ac30d75fd1eb44270"
_SIG_RESOURCE = "5cf8f73096256a8f31e491e813e4eb8e"
_SIG_OUTPUT = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
_SIG_ASSET = "c44067f5952c0a294b673a41bacd8c17"
_SIG_ARCHIVE = "0def7320c3a5731c473e5ecbe6d01bc7"
UNKNOWN_WIRE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's marker for a value unknown in preview

# What a generated credential looks like offline; it must never surface in a plan.
GENERATED_SECRET = "mlplat-offline-generated-secret"

# The account an offline plan deploys into, unless told another (drift passes the live one):
# AWS's own documentation example account ID. It appears wherever a name or ARN carries the
# account (S3 bucket names, key policies): an offline preview shows
# `{platform}-{env}-{bucket}-123456789012`; `pulumi up` uses the credentials' account.
OFFLINE_ACCOUNT_ID = "123456789012"

_RUN_LOCK = threading.Lock()  # the Pulumi runtime is process-global: one program at a time


def decode_wire(value: Any) -> Any:
    """Turn a deserialised protobuf Struct value into plan JSON (unknowns and secrets as markers)."""
    if isinstance(value, dict):
        sig = value.get(_SIG_KEY)
        if sig == _SIG_SECRET:
            return SECRET
        if sig == _SIG_RESOURCE:
            return value.get("urn", UNKNOWN)
        if sig == _SIG_OUTPUT:
            if value.get("secret"):
                return SECRET
            return decode_wire(value["value"]) if "value" in value else UNKNOWN
        if sig == _SIG_ASSET or sig == _SIG_ARCHIVE:
            return {k: decode_wire(v) for k, v in value.items() if k != _SIG_KEY}
        return {k: decode_wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_wire(v) for v in value]
    if value == UNKNOWN_WIRE:
        return UNKNOWN
    return value


def struct_to_dict(struct: Any) -> dict[str, Any]:
    """`json_format.MessageToDict` of a protobuf Struct, at a fraction of its cost per resource.

    MessageToDict dispatches on descriptors for every value; a Struct's values have six kinds
    only. Same keys, order and types (tests/engine_offline/test_struct_to_dict.py); a number
    JSON cannot hold (inf, NaN) goes to MessageToDict for its own error.
    """
    fields = struct.fields
    return {key: _value_to_py(fields[key]) for key in fields}


def _value_to_py(value: Any) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        return value.string_value
    if kind == "struct_value":
        return struct_to_dict(value.struct_value)
    if kind == "list_value":
        return [_value_to_py(v) for v in value.list_value.values]
    if kind == "bool_value":
        return value.bool_value
    if kind == "number_value":
        number = value.number_value
        if number - number == 0:  # finite
            return number
        from google.protobuf import json_format

        return json_format.MessageToDict(value)
    return None  # null_value, or unset (MessageToDict reads both as null)


def _mocks_and_monitor(
    region: str | None, project: str, stack: str, account_id: str = OFFLINE_ACCOUNT_ID
) -> tuple[Any, Any, list[dict[str, Any]]]:
    from google.protobuf import struct_pb2
    from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks
    from pulumi.runtime.proto import resource_pb2

    records: list[dict[str, Any]] = []
    lock = threading.Lock()
    region = region or "us-east-1"

    class PreviewMocks(Mocks):
        """Provider stand-ins: return inputs only, so computed outputs stay unknown in preview."""

        def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
            state = dict(args.inputs)
            if args.typ.startswith("random:index/random"):
                # A known stand-in, so it flows onward; the monitor marks it secret as the provider would.
                state.setdefault("result", GENERATED_SECRET)
            # Empty id: in preview the engine reports ids of new resources as unknown.
            return "", state

        def call(self, args: MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]]]:
            # Failures as a list: the SDK's mock monitor iterates them (None raises a TypeError).
            tok = args.token
            if tok == "aws:index/getAvailabilityZones:getAvailabilityZones":
                names = [f"{region}{c}" for c in "abcdef"]
                return {"names": names, "zoneIds": [f"use1-az{i}" for i in range(1, 7)], "state": "available"}, []
            if tok == "aws:index/getRegion:getRegion":
                return {"name": region, "region": region, "id": region}, []
            if tok == "aws:index/getCallerIdentity:getCallerIdentity":
                return {"accountId": account_id, "arn": f"arn:aws:iam::{account_id}:root", "userId": "x"}, []
            if tok == "aws:index/getPartition:getPartition":
                return {"partition": "aws", "dnsSuffix": "amazonaws.com"}, []
            return {}, []

    class RecordingMonitor(MockMonitor):
        def make_urn(self, parent: str, type_: str, name: str) -> str:
            # As the real engine does: the type is qualified by the parent's whole type chain,
            # the root stack left out (MockMonitor keeps only the last parent type, so plan URNs
            # would not match state URNs). Registration runs on executor threads, which do not
            # see Pulumi's contextvars: project/stack are the values captured for this run.
            if parent:
                parent_type = parent.split("::")[2]
                if parent_type != "pulumi:pulumi:Stack":
                    type_ = f"{parent_type}${type_}"
            return f"urn:pulumi:{stack}::{project}::{type_}::{name}"

        def RegisterResource(self, request: Any) -> Any:
            if request.type == "pulumi:pulumi:Stack":
                return super().RegisterResource(request)
            inputs = struct_to_dict(request.object)
            urn = self.make_urn(request.parent, request.type, request.name)
            rec = {
                "urn": urn,
                "type": request.type,
                "name": request.name,
                "parent": request.parent or None,
                "custom": bool(request.custom),
                "provider": request.provider or None,
                "dependencies": list(request.dependencies),
                "protect": bool(getattr(request, "protect", False)),
                "retain_on_delete": bool(getattr(request, "retainOnDelete", False)),
                "inputs": decode_wire(inputs),
            }
            with lock:
                records.append(rec)
            self.resources[urn] = MockMonitor.ResourceRegistration(urn, "", inputs)
            return resource_pb2.RegisterResourceResponse(urn=urn, id="", object=_outputs(request))

    def _outputs(request: Any) -> Any:
        """What the provider would answer in a preview: the inputs echoed back, untouched.

        Echoing the wire Struct (not deserialising and re-serialising it, as MockMonitor does,
        at ~3 ms a resource) keeps unknowns unknown and secrets secret. Added: what MockMonitor
        omits, the outputs the provider declares secret (additionalSecretOutputs, e.g.
        RandomPassword.result) come back secret, and generated values get a known stand-in so
        they flow onward (still secret). Computed outputs absent here stay unknown, and the
        empty id is what the engine reports for a resource not yet created.
        """
        obj = struct_pb2.Struct()
        obj.CopyFrom(request.object)
        if request.type.startswith("random:index/random") and "result" not in obj.fields:
            obj.fields["result"].string_value = GENERATED_SECRET
        for key in request.additionalSecretOutputs:
            if key in obj.fields:
                inner = struct_pb2.Value()
                inner.CopyFrom(obj.fields[key])
                wrapped = obj.fields[key].struct_value
                wrapped.Clear()
                wrapped.fields[_SIG_KEY].string_value = _SIG_SECRET
                wrapped.fields["value"].CopyFrom(inner)
        return obj

    mocks = PreviewMocks()
    return mocks, RecordingMonitor(mocks), records


def _component_of(rec: dict[str, Any], by_urn: dict[str, dict[str, Any]], types: dict[str, str]) -> str | None:
    cur: dict[str, Any] | None = rec
    while cur is not None:
        if cur["type"] in types:
            return types[cur["type"]]
        cur = by_urn.get(cur["parent"]) if cur["parent"] else None
    return None


def _provider_urn(ref: str | None) -> str | None:
    # Provider references are "<urn>::<id>"; the id is unknown offline.
    if not ref:
        return None
    return ref.rsplit("::", 1)[0] if ref.count("::") > 3 else ref


def run_offline(resolved: ResolvedPlatform, account_id: str | None = None) -> Plan:
    """The plan of one environment: from the plan cache when the same spec bytes, environment,
    account, mlplat and provider packages made one before (stacks/plan/cache.py), else computed.

    `account_id`: the AWS account the plan is for (names carrying it, e.g. S3 buckets, follow);
    None → OFFLINE_ACCOUNT_ID. Drift passes the account of the live credentials."""
    from mlplat.stacks.plan.cache import cached_plan
    from mlplat.stacks.platform_spec.names import ACCOUNT_ID

    account = account_id or OFFLINE_ACCOUNT_ID
    if ACCOUNT_ID.fullmatch(account) is None:
        from mlplat.stacks.errors import MlplatError, printable

        raise MlplatError(f"not an AWS account ID (12 digits): {printable(repr(account))}")
    return cached_plan(resolved, lambda r: plan_uncached(r, account), account)


def plan_uncached(resolved: ResolvedPlatform, account_id: str = OFFLINE_ACCOUNT_ID) -> Plan:
    """Run the platform program for one environment and return its plan."""
    if resolved.provider == "compose":  # no Pulumi: the plan is the compose project
        from mlplat.stacks.plan.compose import compose_plan

        return compose_plan(resolved)
    from mlplat.stacks.plan.program import build_platform

    region = getattr(resolved.spec.target, "region", None)
    resources = run_program(lambda: build_platform(resolved), resolved.name, resolved.prefix, region, account_id)
    return Plan(resolved.name, resolved.environment, resources, resolved.provider, str(resolved.source))


def run_program(
    program: Callable[[], Any], project: str, stack: str, region: str | None = None,
    account_id: str = OFFLINE_ACCOUNT_ID,
) -> list[PlanResource]:
    """Run any Pulumi program under the recording mocks (components are tested through this)."""
    import gc

    with _RUN_LOCK:
        # The SDK allocates tens of thousands of futures and closures per run; the cyclic
        # collector rescanning that growing heap made runs superlinear (measured: 1,009
        # resources 4.8 s with it, 2.9 s without). A run is bounded, reference counting still
        # frees memory, and cycles are collected as soon as the collector is back on (unless
        # the process is about to exit: stacks/plan/__init__.py short_lived_process).
        paused = gc.isenabled()
        gc.disable()
        try:
            with _sdk_fast_paths():
                return _run(program, project, stack, region, account_id)
        finally:
            from mlplat.stacks.plan import is_short_lived

            if is_short_lived():
                gc.freeze()  # the run's cyclic garbage stays until exit (stacks/plan/__init__.py)
            if paused:
                gc.enable()


class _InlineExecutor(concurrent.futures.ThreadPoolExecutor):
    """The run's default executor: calls run on the caller's thread.

    The SDK sends every monitor call (RegisterResource, Invoke, …) through
    `loop.run_in_executor`, a hop to a worker thread and back per resource, because a real
    monitor is a gRPC server. The recording monitor answers from memory and never blocks, so the
    hop only costs (a thread handoff and a GIL contest per resource). Registration order then
    follows the event loop; plans are sorted by URN either way.
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting coroutine, as a thread would
            future.set_exception(exc)
        return future


@contextlib.contextmanager
def _sdk_fast_paths() -> Iterator[None]:
    """Per-resource costs of the SDK that a recorded plan does not need, removed for the run.

    - `_get_stack_trace()`: `traceback.extract_stack()` (reading source lines) and a file URI per
      frame, for every resource, so the engine can show where it was declared. The recording
      monitor keeps no source positions, so an empty trace is the same plan.
    - `declare_dependency(a, b)`: the cycle check walks everything reachable from `b` to look
      for `a`, for every dependency edge: with a few hundred resources, thousands of steps per
      resource. `a` can only be reachable if something already depends on it; a new resource
      (the usual case) has no dependents yet, so the walk is skipped then and done otherwise.
    - `known_types.is_*`: the same isinstance tests with their classes bound (`_known_types`).
    - `create_urn(name, type, parent_urn)`: the URN every registration computes (and, with a
      monitor, does not use) through Output.all and apply, when all three are plain strings:
      the same string, as a known Output (`_create_urn`).
    - Outputs start their `is_known` task on first use and `future()` makes no task
      (`lazy_outputs`, only for the SDK source it was written against).
    All are restored afterwards; if the SDK renames any, runs are just slower.
    """
    import pulumi.runtime.resource as sdk_resource
    import pulumi.runtime.resource_cycle_breaker as breaker
    import pulumi.runtime.rpc as sdk_rpc
    from mlplat.stacks.plan.lazy_outputs import lazy_outputs
    from pulumi.runtime import known_types
    from pulumi.runtime.proto import source_pb2

    saved: dict[tuple[Any, str], Any] = {}
    if callable(getattr(sdk_resource, "_get_stack_trace", None)):
        saved[(sdk_resource, "_get_stack_trace")] = sdk_resource._get_stack_trace
        sdk_resource._get_stack_trace = source_pb2.StackTrace
    real_declare, add_dep = getattr(sdk_rpc, "declare_dependency", None), getattr(breaker, "_add_dep", None)
    deps_attr = getattr(breaker, "_DEPENDENCIES_PROPERTY", None)
    if callable(add_dep) and isinstance(deps_attr, str):
        add_dep = functools.partial(_add_dep_in_place, deps_attr)
    if callable(real_declare) and callable(add_dep):

        def declare_dependency(from_resource: Any, to_resource: Any) -> bool:
            if from_resource is not to_resource and not getattr(from_resource, _DEPENDED_ON, False):
                add_dep(from_resource, to_resource)  # nothing depends on from_resource: no path back to it
            elif not real_declare(from_resource, to_resource):
                return False  # a cycle: the SDK's own verdict
            setattr(to_resource, _DEPENDED_ON, True)
            return True

        saved[(sdk_rpc, "declare_dependency")] = real_declare
        sdk_rpc.declare_dependency = declare_dependency
    real_create_urn = getattr(sdk_resource, "create_urn", None)
    if callable(real_create_urn):
        saved[(sdk_resource, "create_urn")] = real_create_urn
        sdk_resource.create_urn = functools.partial(_create_urn, real_create_urn)
    for name, cls in _known_types().items():
        if callable(getattr(known_types, name, None)):
            saved[(known_types, name)] = getattr(known_types, name)
            setattr(known_types, name, _isinstance_of(cls))
    try:
        with lazy_outputs():
            yield
    finally:
        for (module, name), value in saved.items():
            setattr(module, name, value)


def _create_urn(
    sdk_create_urn: Callable[..., Any], name: Any, type_: Any, parent: Any = None, project: str | None = None,
    stack: str | None = None,
) -> Any:
    """The SDK's `create_urn` for plain strings, without its Outputs and tasks.

    Every registration computes a URN this way before calling the monitor (~0.3 ms: an
    Output per part, Output.all, two applies). With a name, a type and a parent URN (or none)
    that are plain strings, the answer is a string; it comes back as a known, non-secret
    Output with no resources, as `Output.all(...).apply(...)` of plain values does. Anything
    else (a parent Resource or an Output, as aliases pass) goes to the SDK."""
    if not (isinstance(name, str) and isinstance(type_, str) and (parent is None or isinstance(parent, str))):
        return sdk_create_urn(name, type_, parent, project, stack)
    from pulumi import Output
    from pulumi.runtime import settings

    if parent is None:
        stack = settings.get_stack() if stack is None else stack
        project = settings.get_project() if project is None else project
        prefix = "urn:pulumi:" + stack + "::" + project + "::"
    else:
        prefix = parent[0 : parent.rfind("::")] + "$"
    return Output.from_input(prefix + type_ + "::" + name)


def _add_dep_in_place(attr: str, from_resource: Any, to_resource: Any) -> None:
    """The SDK's `_add_dep`, adding to the resource's set instead of copying it with one more.

    A resource that depends on a component depends on each of its children (`_expand_dependencies`),
    one edge at a time: copying the set per edge was quadratic in the children (5 % of a
    2,934-resource plan). Each resource's set is its own (the SDK builds a new one per edge), and
    the cycle walk reads it without awaiting, so adding in place leaves the same sets."""
    deps = getattr(from_resource, attr, None)
    if deps is None:
        setattr(from_resource, attr, {to_resource})
    else:
        deps.add(to_resource)


def _known_types() -> dict[str, type]:
    """pulumi.runtime.known_types' predicates and the classes they test.

    Each predicate imports its class inside the function (the runtime may not import `pulumi`
    at load time), ~3 µs of import machinery per call and ~130 calls per resource. The run
    binds the same classes once; the test is the same `isinstance`.
    """
    import pulumi
    from pulumi.output import Unknown
    from pulumi.runtime.stack import Stack

    return {
        "is_asset": pulumi.Asset, "is_archive": pulumi.Archive, "is_resource": pulumi.Resource,
        "is_custom_resource": pulumi.CustomResource, "is_custom_timeouts": pulumi.CustomTimeouts,
        "is_stack": Stack, "is_output": pulumi.Output, "is_unknown": Unknown,
    }  # fmt: skip


def _isinstance_of(cls: type) -> Callable[[Any], bool]:
    def predicate(obj: Any) -> bool:
        return isinstance(obj, cls)

    predicate.__name__ = f"is_{cls.__name__}"
    return predicate


_DEPENDED_ON = "_mlplat_depended_on"  # set on a resource once something declared a dependency on it


def _memoise_type_hints() -> None:
    """Cache the SDK's per-class type-hint resolution (a third of a run otherwise).

    `_types_from_py_properties(cls)` resolves `typing.get_type_hints` for every property of an
    input/output class on every serialisation, about 11k calls for the reference platform. The
    result depends on the class alone and callers only read it, so one resolution per class is
    enough. Guarded: if the SDK renames the function, runs are just slower.
    """
    import pulumi._types as sdk_types

    fn = getattr(sdk_types, "_types_from_py_properties", None)
    if fn is not None and not hasattr(fn, "cache_info"):
        sdk_types._types_from_py_properties = functools.lru_cache(maxsize=None)(fn)


class _PendingOutputs:
    """Drop-in for the SDK's `SETTINGS.outputs` deque with O(1) `remove`.

    Every Output appends its future there and removes it when it resolves; on a deque that
    removal is O(n), which made a run quadratic in the number of resources (~20% of a
    600-resource run). The SDK uses only append, remove, popleft and len, under its lock.
    """

    def __init__(self) -> None:
        self._items: dict[Any, None] = {}

    def append(self, item: Any) -> None:
        self._items[item] = None

    def remove(self, item: Any) -> None:
        try:
            del self._items[item]
        except KeyError:
            raise ValueError(item) from None

    def popleft(self) -> Any:
        item = next(iter(self._items))
        del self._items[item]
        return item

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


def _run(
    program: Callable[[], Any], project: str, stack: str, region: str | None, account_id: str
) -> list[PlanResource]:
    import pulumi.runtime as rt
    from mlplat.modules.common import COMPONENT_TYPES
    from pulumi.runtime import settings
    from pulumi.runtime.stack import wait_for_rpcs

    _memoise_type_hints()
    mocks, monitor, records = _mocks_and_monitor(region, project, stack, account_id)
    previous = _current_loop()
    loop = asyncio.new_event_loop()
    loop.set_default_executor(_InlineExecutor())
    asyncio.set_event_loop(loop)
    try:
        settings.reset_options(project=project, stack=stack, preview=True)
        rt.set_all_config({"aws:region": region} if region else {}, [])
        # Before set_mocks: it already creates the root stack's outputs (MockSettings keeps this).
        settings.SETTINGS.outputs = _PendingOutputs()
        rt.set_mocks(mocks, project=project, stack=stack, preview=True, monitor=monitor)
        try:
            program()
        except BaseException:
            # Let what the program started settle (or fail) before the loop closes, so no
            # half-run SDK coroutine is left to surface later as "never awaited".
            loop.run_until_complete(_settle(wait_for_rpcs))
            raise
        loop.run_until_complete(wait_for_rpcs())
    finally:
        try:
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()
            settings.ROOT.set(None)
            asyncio.set_event_loop(previous)

    by_urn = {r["urn"]: r for r in records}
    resources = [
        PlanResource(
            urn=r["urn"],
            type=r["type"],
            name=r["name"],
            parent=r["parent"],
            component=_component_of(r, by_urn, COMPONENT_TYPES),
            inputs=r["inputs"],
            custom=r["custom"],
            provider=_provider_urn(r["provider"]),
            dependencies=sorted(set(r["dependencies"])),
            protect=r["protect"],
            retain_on_delete=r["retain_on_delete"],
        )
        for r in records
    ]
    # Registration happens on executor threads: sort so plans are byte-for-byte reproducible.
    resources.sort(key=lambda r: r.urn)
    return resources


async def _settle(wait: Callable[[], Any]) -> None:
    import contextlib

    # The program's own exception is the one to report; follow-on failures are noise.
    with contextlib.suppress(Exception):
        await wait()


def _current_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        return None


def preview(spec_path: str, env: str) -> Plan:
    """Load, resolve and run offline: the library call behind `mlplat preview`."""
    from mlplat.stacks.platform_spec.resolve import load_platform

    return run_offline(load_platform(spec_path, env))


__all__ = [
    "GENERATED_SECRET", "OFFLINE_ACCOUNT_ID", "UNKNOWN_WIRE", "decode_wire", "plan_uncached", "preview", "run_offline", "run_program",
    "struct_to_dict",
]
