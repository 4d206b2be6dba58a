"""The offline engine: independent runs, unknowns, secrets, parents and components."""

from __future__ import annotations

import contextlib
import json

import pytest
from mlplat.stacks import load_platform
from mlplat.stacks.plan import offline, program
from mlplat.stacks.plan.model import SECRET, UNKNOWN, Plan


def _tiny_program(bucket_names):
    """A program with a component, a KMS key, buckets and a generated password."""

    def build(resolved):
        import pulumi
        import pulumi_aws as aws
        import pulumi_random as random

        class Storage(pulumi.ComponentResource):
            def __init__(self, name, opts=None):
                super().__init__("mlplat:index:Storage", name, None, opts)
                child = pulumi.ResourceOptions(parent=self)
                key = aws.kms.Key(f"{name}-key", enable_key_rotation=True,
                                  opts=pulumi.ResourceOptions(parent=self, protect=True))
                for b in bucket_names:
                    bucket = aws.s3.Bucket(f"{name}-{b}", bucket=resolved.physical_name(b), opts=child)
                    aws.s3.BucketServerSideEncryptionConfiguration(
                        f"{name}-{b}-sse", bucket=bucket.id,
                        rules=[{"apply_server_side_encryption_by_default": {
                            "sse_algorithm": "aws:kms", "kms_master_key_id": key.arn}}],
                        opts=child,
                    )
                pw = random.RandomPassword(f"{name}-pw", length=24, opts=child)
                # Deliberately NOT wrapped in Output.secret: the provider declares it secret.
                aws.ssm.Parameter(f"{name}-param", type="SecureString", value=pw.result, opts=child)
                self.register_outputs({})

        Storage("storage")

    return build


@pytest.fixture
def resolved():
    return load_platform("examples/platform.yaml", "dev")


def test_runs_are_independent(monkeypatch, resolved):
    monkeypatch.setattr(program, "build_platform", _tiny_program(["a", "b"]))
    first = offline.run_offline(resolved)
    monkeypatch.setattr(program, "build_platform", _tiny_program(["c"]))
    second = offline.run_offline(resolved)
    assert sorted(r.name for r in first.of_type("aws:s3/bucket:Bucket")) == ["storage-a", "storage-b"]
    # A second run must not see the first run's root stack or resources.
    assert [r.name for r in second.of_type("aws:s3/bucket:Bucket")] == ["storage-c"]
    monkeypatch.setattr(program, "build_platform", _tiny_program(["a", "b"]))
    assert offline.run_offline(resolved).to_json() == first.to_json()


def test_unknowns_secrets_parents_components(monkeypatch, resolved):
    monkeypatch.setattr(program, "build_platform", _tiny_program(["a"]))
    plan = offline.run_offline(resolved)
    sse = plan.named("storage-a-sse")
    assert sse.inputs["bucket"] == UNKNOWN  # a bucket id exists only after apply
    assert sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == UNKNOWN
    assert plan.named("storage-param").inputs["value"] == SECRET
    assert "mlplat-offline-generated-secret" not in plan.to_json()
    comp = plan.named("storage")
    assert comp.type == "mlplat:index:Storage" and not comp.custom
    assert sse.parent == comp.urn and sse.component == "storage"
    assert plan.named("storage-key").protect is True
    assert plan.named("storage-a").inputs["bucket"] == "churn-dev-a"
    assert plan.named("storage-a").urn.startswith("urn:pulumi:churn-dev::churn::mlplat:index:Storage$")


def test_plan_json_round_trip(monkeypatch, resolved, tmp_path):
    monkeypatch.setattr(program, "build_platform", _tiny_program(["a"]))
    plan = offline.run_offline(resolved)
    data = json.loads(plan.to_json())
    assert {"platform", "environment", "resources"} <= set(data)
    assert set(data["resources"][0]) >= {"urn", "type", "name", "parent", "component", "inputs"}
    path = tmp_path / "plan.json"
    path.write_text(plan.to_json())
    assert Plan.load(path).to_json() == plan.to_json()


def test_decode_wire_markers():
    from mlplat.stacks.plan.offline import decode_wire

    sig = "4dabf18193072939515e22adb298388d"
    wire = {
        "a": "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
        "b": {sig: "1b47061264138c4ac30d75fd1eb44270", "value": "hunter2"},
        "c": [{sig: "5cf8f73096256a8f31e491e813e4eb8e", "urn": "urn:x", "id": ""}],
        "d": {sig: "d0e6a833031e9bbcd3f4e8bde6ca49a4", "dependencies": []},
    }
    assert decode_wire(wire) == {"a": UNKNOWN, "b": SECRET, "c": ["urn:x"], "d": UNKNOWN}


def test_urns_match_the_real_engine(monkeypatch, resolved):
    """Nested resources carry the whole parent type chain; the root stack is left out."""
    monkeypatch.setattr(program, "build_platform", _tiny_program(["a"]))
    plan = offline.run_offline(resolved)
    assert plan.named("storage").urn == "urn:pulumi:churn-dev::churn::mlplat:index:Storage::storage"
    assert plan.named("storage-a").urn == (
        "urn:pulumi:churn-dev::churn::mlplat:index:Storage$aws:s3/bucket:Bucket::storage-a"
    )
    from mlplat.stacks.engine.decisions import engine_urn

    assert len(plan.resources) >= 2  # the component and its bucket
    for r in plan.resources:
        assert engine_urn(plan, r) == r.urn


def test_reference_urns_are_fully_qualified():
    from tests.plans import reference

    _, plan = reference("platform", "dev")
    bucket = next(r for r in plan.of_type("aws:s3/bucket:Bucket") if r.name == "storage-artifacts")
    assert "::mlplat:index:Platform$mlplat:index:Storage$aws:s3/bucket:Bucket::storage-artifacts" in bucket.urn


def test_pending_outputs_behaves_like_the_sdk_deque():
    """The O(1)-remove stand-in for SETTINGS.outputs keeps the deque semantics the SDK relies on."""
    from mlplat.stacks.plan.offline import _PendingOutputs

    q = _PendingOutputs()
    a, b, c = object(), object(), object()
    for x in (a, b, c):
        q.append(x)
    q.remove(b)
    assert len(q) == 2 and q.popleft() is a
    q.append(a)  # wait_for_rpcs re-appends a task that is not done yet
    assert [q.popleft(), q.popleft()] == [c, a] and len(q) == 0
    with pytest.raises(ValueError):
        q.remove(b)  # Output's cleanup expects ValueError for an already-removed future


def test_garbage_collector_is_restored(monkeypatch, resolved):
    import gc

    monkeypatch.setattr(program, "build_platform", _tiny_program(["a"]))
    assert gc.isenabled()
    offline.run_offline(resolved)
    assert gc.isenabled()

    def failing(resolved):
        raise RuntimeError("boom")

    monkeypatch.setattr(program, "build_platform", failing)
    with pytest.raises(RuntimeError):
        offline.run_offline(resolved)
    assert gc.isenabled()  # restored even when the program fails


def test_sdk_fast_paths_keep_cycle_errors_and_are_restored():
    # During a run the SDK's per-resource stack trace and dependency-cycle walk take shortcuts
    # (offline._sdk_fast_paths); a real cycle must still be the SDK's own error, and the SDK's
    # functions must be its own again afterwards.
    import pulumi
    import pulumi.runtime.resource as sdk_resource
    import pulumi.runtime.resource_cycle_breaker as breaker
    import pulumi.runtime.rpc as sdk_rpc

    real_declare, real_trace = sdk_rpc.declare_dependency, sdk_resource._get_stack_trace

    def program():
        class Comp(pulumi.ComponentResource):
            def __init__(self, name):
                super().__init__("test:index:Comp", name)
                # depends on its own component, i.e. on itself: a cycle the SDK reports
                pulumi.CustomResource("test:index:Thing", f"{name}-thing", {"x": 1},
                                      opts=pulumi.ResourceOptions(parent=self, depends_on=[self]))

        Comp("c")

    with pytest.raises(Exception, match="circular dependency"):
        offline.run_program(program, "p", "s")
    # The failed run leaves SDK coroutines behind (their loop is closed); drop and collect them here, where
    # their "Event loop is closed" complaint is expected, not at a random later moment.
    import gc
    import sys

    hook, sys.unraisablehook = sys.unraisablehook, lambda _: None
    try:
        offline.run_program(lambda: None, "p", "s")  # resets the SDK's settings, which still hold them
        gc.collect()
    finally:
        sys.unraisablehook = hook
    assert sdk_rpc.declare_dependency is real_declare is breaker.declare_dependency
    assert sdk_resource._get_stack_trace is real_trace


def test_known_type_predicates_are_bound_during_a_run_only():
    # offline._sdk_fast_paths binds known_types' classes for the run; the tests are the same
    # isinstance checks, and the SDK's own functions come back afterwards.
    import pulumi
    from pulumi.output import Unknown
    from pulumi.runtime import known_types

    names = ["is_asset", "is_archive", "is_resource", "is_custom_resource", "is_custom_timeouts", "is_stack",
             "is_output", "is_unknown"]
    real = {n: getattr(known_types, n) for n in names}
    seen: dict[str, object] = {}

    def program():
        for n in names:
            seen[n] = getattr(known_types, n)
        res = pulumi.CustomResource("test:index:Thing", "t", {"x": 1})
        samples = [pulumi.Output.from_input(1), Unknown(), pulumi.StringAsset("x"), pulumi.FileArchive("."),
                   pulumi.CustomTimeouts(create="1m"), 1, "s", None, {"a": 1}, res]  # (Outputs need the run's loop)
        for n in names:
            for obj in samples:
                assert getattr(known_types, n)(obj) == real[n](obj), (n, obj)

    offline.run_program(program, "p", "s")
    assert len(seen) == len(names)
    assert all(seen[n] is not real[n] for n in names)  # bound during the run
    assert all(getattr(known_types, n) is real[n] for n in names)  # the SDK's own again


def test_monitor_calls_run_on_the_calling_thread(monkeypatch, resolved):
    # The inline executor: no worker threads per registration (a thread hop per resource cost
    # ~10-20 % of a plan); registration order may differ, the sorted plan may not.
    import threading

    seen: set[str] = set()
    real = offline._mocks_and_monitor

    def spying(*args):
        mocks, monitor, records = real(*args)
        register = monitor.RegisterResource

        def spy(request):
            seen.add(threading.current_thread().name)
            return register(request)

        monitor.RegisterResource = spy
        return mocks, monitor, records

    monkeypatch.setattr(offline, "_mocks_and_monitor", spying)
    monkeypatch.setattr(program, "build_platform", _tiny_program(["a", "b"]))
    plan = offline.run_offline(resolved)
    assert seen == {threading.current_thread().name} and len(plan.resources) > 5


def test_dependency_sets_are_the_sdks_own(monkeypatch):
    # offline._sdk_fast_paths adds each dependency edge in place (the SDK copies the set per edge,
    # quadratic in a component's children); the sets a run leaves must be the SDK's.
    import pulumi
    import pulumi.runtime.resource_cycle_breaker as breaker

    def program(seen):
        def build():
            class Comp(pulumi.ComponentResource):
                def __init__(self, name):
                    super().__init__("test:index:Comp", name)
                    for i in range(4):
                        pulumi.CustomResource("test:index:Child", f"{name}-c{i}", {"i": i},
                                              opts=pulumi.ResourceOptions(parent=self))

            comp = Comp("comp")
            a = pulumi.CustomResource("test:index:Thing", "a", {"x": 1})
            b = pulumi.CustomResource("test:index:Thing", "b", {"ref": a.urn},
                                      opts=pulumi.ResourceOptions(depends_on=[comp, a]))
            c = pulumi.CustomResource("test:index:Thing", "c", {"ref": b.id},
                                      opts=pulumi.ResourceOptions(depends_on=[b, comp]))
            seen.extend([comp, a, b, c])

        return build

    def dependency_sets(resources):
        return {r._name: sorted(d._name for d in getattr(r, breaker._DEPENDENCIES_PROPERTY, set()))
                for r in resources}

    fast: list = []
    offline.run_program(program(fast), "p", "s")
    monkeypatch.setattr(offline, "_sdk_fast_paths", contextlib.nullcontext)
    sdk: list = []
    offline.run_program(program(sdk), "p", "s")
    assert dependency_sets(fast) == dependency_sets(sdk)
    assert dependency_sets(sdk)["b"] == ["a", "comp", "comp-c0", "comp-c1", "comp-c2", "comp-c3"]


def test_create_urn_shortcut_gives_the_sdks_urns():
    # offline._create_urn answers the SDK's create_urn for plain strings without Outputs; the URN,
    # is_known, is_secret and resources must be the SDK's own, and anything else goes to the SDK.
    import pulumi
    import pulumi.runtime.resource as sdk_resource

    sdk_create_urn = sdk_resource.create_urn
    seen: dict[str, list] = {"fast": [], "sdk": [], "fn": []}
    cases = [("n", "t:index:T", None, None, None), ("n", "t:index:T", None, "proj", "stk"),
             ("child", "t:index:C", "urn:pulumi:s::p::t:index:Comp::c", None, None),
             ("x", "t:i:X", "urn:pulumi:s::p::a$b:index:B::y", None, None), ("e", "t:i:E", "", None, None)]

    async def describe(out):
        return (await out.future(), await out.is_known(), await out.is_secret(),
                sorted(r._name for r in await out.resources()))

    def program():
        fast_create_urn = sdk_resource.create_urn
        seen["fn"].append(fast_create_urn)
        parent = pulumi.CustomResource("test:index:Thing", "parent", {"x": 1})

        async def collect():
            for args in [*cases, ("k", "t:i:K", parent, None, None)]:  # a Resource parent: the SDK's path
                seen["fast"].append(await describe(fast_create_urn(*args)))
                seen["sdk"].append(await describe(sdk_create_urn(*args)))

        async def known():
            return True

        pulumi.Output(set(), collect(), known())  # the run waits for every Output's value

    offline.run_program(program, "p", "s")
    assert seen["fn"][0] is not sdk_create_urn and sdk_resource.create_urn is sdk_create_urn
    assert seen["fast"] == seen["sdk"] and len(seen["sdk"]) == len(cases) + 1
    assert [urn for urn, *_ in seen["sdk"]] == [
        "urn:pulumi:s::p::t:index:T::n", "urn:pulumi:stk::proj::t:index:T::n",
        "urn:pulumi:s::p::t:index:Comp$t:index:C::child", "urn:pulumi:s::p::a$b:index:B$t:i:X::x", "$t:i:E::e",
        "urn:pulumi:s::p::test:index:Thing$t:i:K::k"]
    assert {known for _, known, _, _ in seen["sdk"]} == {True}
    assert seen["sdk"][-1][3] == ["parent"]  # the Resource parent's URN carries the parent as a resource
