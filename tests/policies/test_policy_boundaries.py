"""Thresholds of the policy rules, each tested at, just under and just over its boundary.

A rule's pass/fail fixtures (test_policy_rules.py) use values far from the line, so moving the
line (a ceiling of 50 raised to 100, a floor of 7 days lowered to 6) kept them green: found by
mutation testing (bench/mutation.py, issue 21). The thresholds are written here as literals
from the rule's documented contract, never read from the rule module.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from mlplat.policies.base import PlanContext, SpecContext, rule_by_id
from mlplat.stacks.plan.model import PlanResource

from .builders import container, deployment, plan, rds, write
from .test_policy_rules import CLUSTER_SPEC, TODAY


def _serving_violations(tmp_path: Path, replicas: list[tuple[int, int]]) -> list[Any]:
    """MLP-SRV-002 over one model per (min, max): {model name: its messages}."""
    models = "\n".join(
        f"    - {{name: m{i}, format: sklearn, uri: s3://b/m{i}, replicas: {{min: {lo}, max: {hi}}}}}"
        for i, (lo, hi) in enumerate(replicas)
    )
    body = CLUSTER_SPEC + textwrap.dedent("serving:\n  kind: kserve\n  models:\n") + models + "\n"
    path = write(tmp_path, body, "serving.yaml")
    from mlplat.stacks.platform_spec.resolve import load_platform

    rule = rule_by_id("MLP-SRV-002")
    assert rule is not None
    # dev: no replica floor from the profile, the spec's numbers reach the rule unchanged
    ctx = SpecContext(load_platform(path, "dev"), TODAY)
    return list(rule().check(ctx))  # type: ignore[abstract]


def _serving_failing(tmp_path: Path, replicas: list[tuple[int, int]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for v in _serving_violations(tmp_path, replicas):
        out.setdefault(v.resource, []).append(v.message)
    return out


def test_srv_002_violations_point_at_the_models_replicas(tmp_path: Path) -> None:
    """Each violation is located at serving.models[i].replicas (the finding's FILE:LINE comes from
    it) and belongs to the serving component, for all three checks."""
    got = [
        (v.resource, v.spec_path, v.component)
        for v in _serving_violations(tmp_path, [(2, 3), (0, 3), (2, 51), (3, 3)])
    ]
    assert got == [
        ("m1", ("serving", "models", 1, "replicas"), "serving"),
        ("m2", ("serving", "models", 2, "replicas"), "serving"),
        ("m3", ("serving", "models", 3, "replicas"), "serving"),
    ]


def test_srv_002_replica_ceiling_is_50_inclusive(tmp_path: Path) -> None:
    """The documented ceiling: `min < max <= 50`. 49 and 50 pass, 51 fails (raising it to 100 would not)."""
    failing = _serving_failing(tmp_path, [(2, 49), (2, 50), (2, 51)])
    assert set(failing) == {"m2"}
    assert failing["m2"] == ["model m2 may scale to 51 replicas (ceiling 50)"]


def test_srv_002_replica_floor_is_1(tmp_path: Path) -> None:
    """`replicas.min >= 1`: a model at 0 scales to zero (cold start); 1 and 2 do not."""
    failing = _serving_failing(tmp_path, [(0, 3), (1, 3), (2, 3)])
    assert failing == {"m0": ["model m0 scales to zero (replicas.min 0)"]}


def test_srv_002_min_equal_max_is_only_allowed_at_one(tmp_path: Path) -> None:
    """min == max pins the model (no autoscaling): allowed at 1 (a single replica), not at 2 or 3;
    max one above min autoscales."""
    failing = _serving_failing(tmp_path, [(1, 1), (2, 2), (3, 3), (2, 3)])
    assert set(failing) == {"m1", "m2"}
    assert failing["m1"] == ["model m1 cannot autoscale (replicas.min 2 = max 2)"]


def test_srv_002_names_the_prod_profile_when_its_floor_pins_a_model(tmp_path: Path) -> None:
    """Found by the acceptance sweep: in prod a model with no `replicas` (or min 1, max 2) was
    pinned at 2 by the profile and failed MLP-SRV-002 with `replicas.min 2 = max 2`, a pair the
    spec never wrote. Now a bare model gets prod's default 2–4 and passes; where the spec's max
    meets the floor, the message names the profile and the finding points at replicas.max."""
    models = (
        "    - {name: bare, format: sklearn, uri: s3://b/bare}\n"
        "    - {name: small, format: sklearn, uri: s3://b/small, replicas: {min: 1, max: 2}}\n"
        "    - {name: pinned, format: sklearn, uri: s3://b/pinned, replicas: {min: 3, max: 3}}\n"
    )
    body = CLUSTER_SPEC + "serving:\n  kind: kserve\n  models:\n" + models
    path = write(tmp_path, body, "serving.yaml")
    from mlplat.stacks.platform_spec.resolve import load_platform

    rule = rule_by_id("MLP-SRV-002")
    assert rule is not None
    got = {
        v.resource: (v.message, v.spec_path)
        for v in rule().check(SpecContext(load_platform(path, "prod"), TODAY))  # type: ignore[abstract]
    }
    assert got == {
        "small": (
            (
                "model small cannot autoscale (replicas.min 2 = max 2): the prod profile sets"
                " replicas.min to 2; set replicas.max above 2"
            ),
            ("serving", "models", 1, "replicas", "max"),
        ),
        # written by the spec: the message stays about the spec's own numbers
        "pinned": ("model pinned cannot autoscale (replicas.min 3 = max 3)", ("serving", "models", 2, "replicas")),
    }


def _backup_failing(days: list[float | None]) -> dict[str, str]:
    rule = rule_by_id("MLP-DB-003")
    assert rule is not None
    dbs = [rds(f"db-{d}", backupRetentionPeriod=d) for d in days]
    return {v.resource: v.message for v in rule().check(PlanContext(plan(*dbs), "prod"))}  # type: ignore[abstract]


def test_db_003_backup_floor_is_7_days() -> None:
    """The rule's contract: backups kept for at least a week. 6 days fails; 7 (at) and 8 (over) pass.
    Plan numbers arrive as floats (the offline engine's wire form), as here."""
    assert _backup_failing([6.0, 7.0, 8.0]) == {
        "db-6.0": "database demo-prod-db-6.0 keeps backups for 6 days"
    }


def test_db_003_names_the_resource_when_the_identifier_is_not_in_the_plan() -> None:
    rule = rule_by_id("MLP-DB-003")
    assert rule is not None
    db = rds("anon", backupRetentionPeriod=1.0)
    del db.inputs["identifier"]  # auto-named by Pulumi: the logical name is what the plan knows
    got = [v.message for v in rule().check(PlanContext(plan(db), "prod"))]  # type: ignore[abstract]
    assert got == ["database anon keeps backups for 1 days"]


@pytest.mark.parametrize(("days", "shown"), [(0.0, "0 days"), (1.0, "1 days"), (None, "not set")])
def test_db_003_no_or_short_backups_fail(days: float | None, shown: str) -> None:
    """The message names the database by its identifier and says what it keeps."""
    assert _backup_failing([days]) == {
        f"db-{days}": f"database demo-prod-db-{days} keeps backups for {shown}"
    }


def _non_root_messages(*workloads: PlanResource) -> list[str]:
    rule = rule_by_id("MLP-WRK-002")
    assert rule is not None
    return sorted(v.message for v in rule().check(PlanContext(plan(*workloads), "prod")))  # type: ignore[abstract]


def _bare(**sc: Any) -> dict[str, Any]:
    """A container whose own securityContext sets only what is given (plus no escalation)."""
    c = container()
    c["securityContext"] = {"allowPrivilegeEscalation": False, **sc}
    return c


def test_wrk_002_pod_level_security_context_is_inherited() -> None:
    """runAsNonRoot and runAsUser may be set once for the pod; a container setting neither
    inherits them, and a container's own value wins over the pod's (Kubernetes' precedence)."""
    pod_non_root = {"securityContext": {"runAsNonRoot": True, "runAsUser": 10001.0}}
    pod_root = {"securityContext": {"runAsNonRoot": True, "runAsUser": 0.0}}
    pod_unset: dict[str, Any] = {"securityContext": {}}
    assert _non_root_messages(
        deployment("inherits", [_bare()], pod=pod_non_root),  # passes: the pod says non-root
        deployment("overrides", [_bare(runAsNonRoot=False)], pod=pod_non_root),  # container wins
        deployment("uid0", [_bare()], pod=pod_root),  # the pod's user 0 is root, runAsNonRoot or not
        deployment("container-uid", [_bare(runAsUser=1000.0)], pod=pod_root),  # own user wins: passes
        deployment("unset", [_bare()], pod=pod_unset),  # nobody says non-root
    ) == [
        "container app in tracking-overrides-deployment may run as root",
        "container app in tracking-uid0-deployment may run as root",
        "container app in tracking-unset-deployment may run as root",
    ]


def test_wrk_002_escalation_must_be_explicitly_off() -> None:
    c = container()
    del c["securityContext"]["allowPrivilegeEscalation"]
    assert _non_root_messages(deployment("esc", [c])) == [
        "container app in tracking-esc-deployment allows privilege escalation"
    ]
