"""Teardown safety on the real offline plan: protection flags per profile, what a destroy keeps,
the confirmation rules, `--target` → URNs, change summaries and progress events.

The plans come from the offline engine running the same program the Pulumi engine runs, so
what is checked here is what `pulumi destroy` would find marked `protect` in the state.
"""

from __future__ import annotations

import pytest
from mlplat.stacks import engine
from mlplat.stacks.errors import MlplatError
from mlplat.stacks.plan.offline import run_offline
from mlplat.stacks.platform_spec.resolve import load_platform

from tests.plans import reference

BUCKET = "aws:s3/bucket:Bucket"
RDS = "aws:rds/instance:Instance"
KMS = "aws:kms/key:Key"
CACHES = ("aws:elasticache/replicationGroup:ReplicationGroup", "aws:elasticache/cluster:Cluster")


def reference_plan(env: str):
    """The AWS reference spec (every component): buckets, RDS, ElastiCache and KMS keys.

    From the session cache shared by every test folder (each offline run costs seconds)."""
    return reference("platform", env)


# --------------------------------------------------------------------------- protection per profile


def test_prod_protects_every_stateful_resource():
    resolved, plan = reference_plan("prod")
    assert engine.profile_protects(resolved)
    stateful = engine.stateful_resources(plan)
    kinds = {engine.STATEFUL_TYPES[r.type] for r in stateful}
    # the reference spec has all four kinds of data: each must be present to be checked
    assert {"bucket", "database", "cache", "kms key"} <= kinds
    unprotected = [f"{r.type} {r.name}" for r in stateful if not r.protect]
    assert unprotected == []


def test_prod_protects_nothing_but_data():
    # protect blocks `destroy` for whatever carries it: networks and clusters must stay deletable
    _, plan = reference_plan("prod")
    protected_types = {r.type for r in engine.protected_resources(plan)}
    assert protected_types <= set(engine.STATEFUL_TYPES), protected_types - set(engine.STATEFUL_TYPES)


def test_prod_keeps_a_final_snapshot_and_never_force_destroys_buckets():
    _, plan = reference_plan("prod")
    dbs = plan.of_type(RDS)
    assert dbs
    for db in dbs:
        assert db.inputs.get("skipFinalSnapshot") is False
        assert db.inputs.get("finalSnapshotIdentifier")
        assert db.inputs.get("deletionProtection") is True
    buckets = plan.of_type(BUCKET)
    assert buckets
    assert all(b.inputs.get("forceDestroy") in (False, None) for b in buckets)


def test_dev_protects_nothing_and_tears_down_completely():
    resolved, plan = reference_plan("dev")
    assert not engine.profile_protects(resolved)
    assert engine.protected_resources(plan) == []
    assert all(b.inputs.get("forceDestroy") is True for b in plan.of_type(BUCKET))
    assert all(db.inputs.get("skipFinalSnapshot") is True for db in plan.of_type(RDS))
    summary = engine.teardown_summary(plan)
    assert summary.kept == []
    assert {engine.STATEFUL_TYPES[t] for t in (BUCKET, RDS, KMS)} <= {
        engine.STATEFUL_TYPES[r.type] for r in engine.stateful_resources(plan)
    }


def test_prod_teardown_summary_lists_what_is_kept():
    _, plan = reference_plan("prod")
    summary = engine.teardown_summary(plan)
    assert summary.unprotected_stateful == []
    kept = "\n".join(summary.kept)
    assert len(plan.of_type(BUCKET)) >= 2 and len(plan.of_type(RDS)) >= 1  # the reference prod's data
    for b in plan.of_type(BUCKET):
        assert f"bucket {b.inputs['bucket']} (protected)" in kept  # physical names, as operators know them
    for db in plan.of_type(RDS):
        assert f"database {db.inputs['identifier']} (protected)" in kept
    assert "kms key" in kept and "cache" in kept
    assert summary.lines()[0].startswith("kept (")


def test_prod_keep_set_keeps_what_data_needs_and_deletes_the_rest():
    _, plan = reference_plan("prod")
    keep = engine.keep_set(engine.plan_nodes(plan))
    kept_types = {plan.by_urn(u).type for u in keep if plan.by_urn(u) is not None}
    # a kept database keeps its subnet group, subnets and VPC: AWS refuses to delete them under it
    assert {"aws:rds/subnetGroup:SubnetGroup", "aws:ec2/subnet:Subnet", "aws:ec2/vpc:Vpc"} <= kept_types
    # kept buckets stay locked down: their public access block and encryption stay
    assert {"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"} <= kept_types
    # compute goes, even where it uses a protected key (the EKS cluster encrypts secrets with one)
    assert "aws:eks/cluster:Cluster" not in kept_types and "aws:eks/nodeGroup:NodeGroup" not in kept_types
    assert not any(t.startswith("kubernetes:") and not t.startswith("pulumi:providers") for t in kept_types)
    assert "aws:ec2/natGateway:NatGateway" not in kept_types


def test_keep_set_is_closed_under_what_kept_resources_need():
    # Deleting the complement never deletes a dependency, parent or provider of something kept.
    for env in ("prod", "staging", "dev"):
        _, plan = reference_plan(env)
        nodes = engine.plan_nodes(plan)
        keep = engine.keep_set(nodes)
        by_urn = {n.urn: n for n in nodes}
        for u in keep:
            n = by_urn[u]
            for need in (*n.dependencies, n.parent, n.provider):
                assert need is None or need not in by_urn or need in keep, (u, need)
        assert all(by_urn[u].protect for u, why in keep.items() if why == "protected")


def test_storage_only_spec_per_profile(storage_spec):
    dev = run_offline(load_platform(storage_spec, "dev"))
    prod = run_offline(load_platform(storage_spec, "prod"))
    assert {r.type for r in engine.protected_resources(prod)} == {BUCKET, KMS}
    assert engine.protected_resources(dev) == []
    lines = "\n".join(engine.teardown_summary(dev, keep_protected=False).lines())
    assert "bucket demo-dev-artifacts" in lines and "kept" not in lines
    assert "scheduled for deletion after 7 days" in lines  # the dev profile's KMS window
    prod_lines = "\n".join(engine.teardown_summary(prod).lines())
    assert "bucket demo-prod-artifacts-123456789012 (protected)" in prod_lines and "kms key storage-kms (protected)" in prod_lines
    assert "KMS alias" not in prod_lines and "Alias alias/demo-prod (settings of protected data)" in prod_lines
    # without keeping protected data (a dev-style teardown) nothing is kept
    assert engine.teardown_summary(prod, keep_protected=False).kept == []


def test_teardown_targets_on_a_toy_graph():
    n = engine.GraphNode
    nodes = [
        n("stack", "pulumi:pulumi:Stack", False, False),
        n("prov", "pulumi:providers:aws", True, False, "stack"),
        n("vpc", "aws:ec2/vpc:Vpc", True, False, "stack", "prov"),
        n("sg", "aws:ec2/securityGroup:SecurityGroup", True, False, "stack", "prov", ("vpc",)),
        n("db", RDS, True, True, "stack", "prov", ("sg",)),
        n("db-alarm", "aws:cloudwatch/metricAlarm:MetricAlarm", True, False, "stack", "prov", ("db",)),
        n("app", "aws:ecs/service:Service", True, False, "stack", "prov", ("db", "sg", "role")),
        n("role", "aws:iam/role:Role", True, False, "stack", "prov"),
        n("nat", "aws:ec2/natGateway:NatGateway", True, False, "stack", "prov", ("vpc",)),
    ]
    keep = engine.keep_set(nodes)
    # The reasons the teardown summary prints beside each kept resource.
    protected, needed, attached = "protected", "needed by protected data", "settings of protected data"
    assert keep == {
        "db": protected, "sg": needed, "vpc": needed, "stack": needed, "prov": needed, "db-alarm": attached,
    }
    assert sorted(engine.teardown_targets(nodes)) == ["app", "nat", "role"]
    # nothing protected: everything but the root stack goes
    plain = [n(x.urn, x.type, x.custom, False, x.parent, x.provider, x.dependencies) for x in nodes]
    assert sorted(engine.teardown_targets(plain)) == sorted(x.urn for x in nodes if x.urn != "stack")


def test_state_nodes_read_provider_references():
    state = [{"urn": "u1", "type": "aws:s3/bucket:Bucket", "custom": True, "protect": True,
              "provider": "urn:pulumi:s::p::pulumi:providers:aws::aws::1234-abcd",
              "parent": "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s", "dependencies": ["u0"], "deletedWith": "u9"}]
    (node,) = engine.state_nodes(state)
    assert node.provider == "urn:pulumi:s::p::pulumi:providers:aws::aws"
    assert node.dependencies == ("u0", "u9") and node.protect


# --------------------------------------------------------------------------- confirmation rules


@pytest.mark.parametrize("action", ["up", "destroy", "refresh"])
def test_no_terminal_and_no_yes_is_refused(action):
    with pytest.raises(MlplatError, match="no terminal") as exc:
        engine.confirmation(action, env="dev", protected=False, yes=False, interactive=False)
    assert exc.value.exit_code == 2


@pytest.mark.parametrize("action", ["up", "destroy", "refresh"])
def test_yes_skips_the_question_when_nothing_is_protected(action):
    assert engine.confirmation(action, env="dev", protected=False, yes=True, interactive=False) is engine.Confirm.NONE


@pytest.mark.parametrize("action", ["up", "destroy", "refresh"])
def test_a_terminal_gets_a_yes_no_question(action):
    assert engine.confirmation(action, env="dev", protected=False, yes=False, interactive=True) is engine.Confirm.YES_NO


def test_protected_destroy_needs_the_environment_name_typed():
    mode = engine.confirmation("destroy", env="prod", protected=True, yes=False, interactive=True)
    assert mode is engine.Confirm.TYPE_ENV
    # --allow-protected alone does not replace typing the name on a terminal
    mode = engine.confirmation("destroy", env="prod", protected=True, yes=False, allow_protected=True, interactive=True)
    assert mode is engine.Confirm.TYPE_ENV


@pytest.mark.parametrize("interactive", [True, False])
def test_protected_destroy_with_yes_but_not_allow_protected_is_refused(interactive):
    with pytest.raises(MlplatError, match="--allow-protected") as exc:
        engine.confirmation("destroy", env="prod", protected=True, yes=True, interactive=interactive)
    assert exc.value.exit_code == 2


def test_protected_destroy_without_terminal_is_refused():
    with pytest.raises(MlplatError, match="no terminal"):
        engine.confirmation("destroy", env="prod", protected=True, yes=False, allow_protected=True, interactive=False)


def test_ci_can_destroy_a_protected_environment_with_both_flags():
    mode = engine.confirmation("destroy", env="prod", protected=True, yes=True, allow_protected=True, interactive=False)
    assert mode is engine.Confirm.NONE


def test_up_in_prod_is_confirmed_by_yes():
    # up never deletes protected data (protect blocks it): --yes is the explicit confirmation
    assert engine.confirmation("up", env="prod", protected=True, yes=True, interactive=False) is engine.Confirm.NONE
    assert engine.confirmation("up", env="prod", protected=True, yes=False, interactive=True) is engine.Confirm.YES_NO


# --------------------------------------------------------------------------- --target → URNs


def test_engine_urns_carry_the_full_parent_type_chain(storage_spec):
    # The engine qualifies a type with all its parents' types, root stack left out
    # (pulumi resource.NewURN with parent.QualifiedType(); the SDK's create_urn does the same).
    plan = run_offline(load_platform(storage_spec, "dev"))
    bucket = plan.named("storage-artifacts")
    assert engine.engine_urn(plan, bucket) == (
        "urn:pulumi:demo-dev::demo::mlplat:index:Platform$mlplat:index:Storage$aws:s3/bucket:Bucket::storage-artifacts"
    )
    platform = plan.named("demo-dev")
    assert engine.engine_urn(plan, platform) == "urn:pulumi:demo-dev::demo::mlplat:index:Platform::demo-dev"


def test_target_component_maps_to_its_resources(storage_spec):
    plan = run_offline(load_platform(storage_spec, "prod"))
    urns = engine.target_urns(plan, ["storage"], "demo", "demo-prod")
    storage = [r for r in plan.resources if r.component == "storage"]
    assert len(storage) >= 9  # the component, the KMS key and alias, the bucket and its settings
    expected = {engine.engine_urn(plan, r) for r in storage}
    assert expected <= set(urns)
    extra = set(urns) - expected
    # plus what they cannot be created without: the Platform parent and the explicit aws provider
    assert extra == {
        "urn:pulumi:demo-prod::demo::mlplat:index:Platform::demo-prod",
        "urn:pulumi:demo-prod::demo::pulumi:providers:aws::aws",
    }
    assert all(u.startswith("urn:pulumi:demo-prod::demo::") for u in urns)
    assert urns == sorted(urns)


def test_target_accepts_dashed_names_and_rejects_unknown_components():
    _, plan = reference_plan("dev")
    dashed = engine.target_urns(plan, ["feature-store"], "churn", "churn-dev")
    assert dashed == engine.target_urns(plan, ["feature_store"], "churn", "churn-dev")
    assert any("FeatureStore" in u for u in dashed)
    with pytest.raises(MlplatError, match="no such component") as exc:
        engine.target_urns(plan, ["storrage"], "churn", "churn-dev")
    assert "storage" in str(exc.value)  # lists what exists


def test_several_targets_are_a_union():
    _, plan = reference_plan("dev")
    a = set(engine.target_urns(plan, ["storage"], "churn", "churn-dev"))
    b = set(engine.target_urns(plan, ["tracking"], "churn", "churn-dev"))
    assert set(engine.target_urns(plan, ["storage", "tracking"], "churn", "churn-dev")) == a | b


def test_no_target_means_everything():
    _, plan = reference_plan("dev")
    assert engine.target_urns(plan, [], "churn", "churn-dev") == []


# --------------------------------------------------------------------------- summaries and progress


def test_format_changes():
    from pulumi.automation import OpType

    assert engine.format_changes({OpType.CREATE: 3, OpType.SAME: 2}, done=False) == "3 to create, 2 unchanged"
    assert engine.format_changes({"delete": 4, "update": 1}, done=True) == "1 updated, 4 deleted"
    assert engine.format_changes({"same": 5}, done=False) == "no changes (5 unchanged)"
    assert engine.format_changes({}, done=True) == "no changes"
    assert not engine.has_changes({"same": 3}) and engine.has_changes({OpType.REPLACE: 1})


def test_progress_streams_output_and_keeps_resource_failures():
    from pulumi.automation import EngineEvent

    lines: list[str] = []
    p = engine.Progress(echo=lines.append)
    p.on_output("Updating (demo-dev):\n")
    urn = "urn:pulumi:demo-dev::demo::mlplat:index:Storage$aws:s3/bucket:Bucket::storage-artifacts"
    p.on_event(EngineEvent.from_json({"sequence": 1, "timestamp": 0, "diagnosticEvent": {
        "urn": urn, "message": "creating S3 Bucket: BucketAlreadyExists\n", "color": "never", "severity": "error"}}))
    p.on_event(EngineEvent.from_json({"sequence": 2, "timestamp": 0, "resOpFailedEvent": {
        "metadata": {"op": "create", "urn": urn, "type": "aws:s3/bucket:Bucket", "provider": ""},
        "status": 1, "steps": 1}}))
    assert lines == ["Updating (demo-dev):"]
    assert p.failure_lines() == ["create aws:s3/bucket:Bucket storage-artifacts: creating S3 Bucket: BucketAlreadyExists"]
