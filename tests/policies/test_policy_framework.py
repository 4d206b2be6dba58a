"""The framework: rule conventions, level resolution, waivers, spec locations, evaluate()."""

from __future__ import annotations

import datetime as dt
import importlib
import re
from pathlib import Path

import pytest
from mlplat.policies import evaluate
from mlplat.policies.base import (
    Finding,
    LevelResolver,
    PlanRule,
    SpecRule,
    all_rules,
    apply_waivers,
    rule_by_id,
)
from mlplat.policies.helpers import OWNERSHIP_LABELS, OWNERSHIP_TAGS
from mlplat.stacks.plan.model import Plan
from mlplat.stacks.platform_spec.model import Waiver
from mlplat.stacks.platform_spec.resolve import load_platform, load_profile

from .builders import BASE_SPEC, bucket, kms_key, plan, write

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 6, 1)
# The levels a rule or profile may name (DESIGN 5, policy JSON: mandatory, advisory; a profile may
# also set "disabled", as envs/dev.yaml does).
LEVELS = ("mandatory", "advisory", "disabled")


# --------------------------------------------------------------------------- conventions


def test_at_least_thirty_rules_one_per_file_named_after_the_class() -> None:
    rules = all_rules()
    assert len(rules) >= 30
    files = sorted(p.stem for p in (ROOT / "policies" / "rules").glob("*.py") if not p.stem.startswith("_"))
    assert len(files) == len(rules)
    for stem in files:
        mod = importlib.import_module(f"mlplat.policies.rules.{stem}")
        cls_name = "".join(part.capitalize() for part in stem.split("_"))
        cls = getattr(mod, cls_name)
        # exactly one rule class defined in the module
        defined = [
            v
            for v in vars(mod).values()
            if isinstance(v, type) and issubclass(v, (SpecRule, PlanRule)) and v.__module__ == mod.__name__
        ]
        assert defined == [cls], stem


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.id)
def test_rule_metadata(rule) -> None:
    assert re.fullmatch(r"MLP-(STO|NET|CLU|DB|WRK|SRV|SEC|TAG|BUD|MON|GOV|SM)-\d{3}", rule.id)  # SM: managed services
    assert rule.name.startswith("Ensure "), rule.name
    assert rule.default_level in LEVELS
    assert rule.remediation.strip()
    assert rule.area() != "other"
    for c in rule.checkov_equivalents:  # may be empty: a rule checkov has no counterpart for
        assert re.match(r"^CKV2?_(AWS|K8S)_\d+$", c)


def test_ids_are_unique_and_stable() -> None:
    ids = [r.id for r in all_rules()]
    assert len(ids) == len(set(ids))
    # a few ids other tools and docs refer to
    assert rule_by_id("MLP-STO-001").__name__ == "BucketEncryptedWithPlatformKey"  # type: ignore[union-attr]
    assert rule_by_id("MLP-CLU-001").__name__ == "ClusterEndpointPrivate"  # type: ignore[union-attr]
    assert rule_by_id("MLP-GOV-001").__name__ == "WaiversNotExpired"  # type: ignore[union-attr]


def test_ownership_constants_match_the_module_contract() -> None:
    from mlplat.modules.common import k8s_labels, ownership_tags

    # DESIGN 4: the ownership tags and their Kubernetes label equivalents, as the contract lists them.
    tags = {"mlplat:platform", "mlplat:environment", "mlplat:component", "mlplat:resource", "managed-by"}
    labels = {"mlplat.io/platform", "mlplat.io/environment", "mlplat.io/component", "app.kubernetes.io/managed-by"}
    assert set(OWNERSHIP_TAGS) == tags == set(ownership_tags("p", "e", "storage", "r"))
    assert set(OWNERSHIP_LABELS) == labels == set(k8s_labels("p", "e", "storage"))


def test_profile_levels_name_real_rules() -> None:
    for profile in ("dev", "staging", "prod"):
        levels = load_profile(profile).policy_levels
        assert levels  # every profile sets some levels
        for key, level in levels.items():
            assert level in LEVELS
            assert rule_by_id(key) is not None or key.startswith(("CKV_", "CKV2_")), key


# --------------------------------------------------------------------------- levels


def test_level_resolution_order() -> None:
    rule = rule_by_id("MLP-CLU-001")
    assert rule is not None and rule.default_level == "advisory"
    assert LevelResolver().level(rule) == "advisory"
    assert LevelResolver({"MLP-CLU-001": "mandatory"}).level(rule) == "mandatory"  # profile raises
    assert LevelResolver({"MLP-CLU-001": "mandatory"}, {"MLP-CLU-001": "disabled"}).level(rule) == "disabled"


def test_locked_rule_ignores_levels() -> None:
    rule = rule_by_id("MLP-GOV-001")
    assert rule is not None
    assert LevelResolver({"MLP-GOV-001": "disabled"}, {"MLP-GOV-001": "advisory"}).level(rule) == "mandatory"


def test_checkov_levels() -> None:
    lv = LevelResolver(
        {"CKV_K8S_*": "mandatory", "CKV_CLU-001": "x", "MLP-CLU-001": "mandatory"}, {"CKV_K8S_8": "advisory"}
    )
    assert lv.checkov_level("CKV_K8S_20") == "mandatory"  # profile glob
    assert lv.checkov_level("CKV_K8S_8") == "advisory"  # spec exact wins
    assert lv.checkov_level("CKV_AWS_39") == "mandatory"  # equivalent of MLP-CLU-001 → its level
    assert lv.checkov_level("CKV_AWS_999") == "advisory"  # default


def test_prod_profile_raises_levels_over_dev(tmp_path: Path) -> None:
    spec = write(
        tmp_path, "cluster: {public_endpoint: true, public_access_cidrs: [203.0.113.0/24], node_pools: [{name: s, instance_type: m6i.large}]}\n"
    )
    dev = LevelResolver.of(load_platform(spec, "dev"))
    prod = LevelResolver.of(load_platform(spec, "prod"))
    rule = rule_by_id("MLP-CLU-001")
    assert rule is not None
    assert (dev.level(rule), prod.level(rule)) == ("advisory", "mandatory")


# --------------------------------------------------------------------------- waivers


def _finding(
    policy: str = "MLP-STO-003", resource: str = "storage-logs", aliases: tuple[str, ...] = ()
) -> Finding:
    return Finding(policy, "advisory", "mlplat", resource, "m", "f.yaml", 1, aliases=aliases)


def _waiver(policy: str = "MLP-STO-003", resource: str = "storage-*", expires: str = "2026-12-31") -> Waiver:
    return Waiver(
        policy=policy, resource=resource, reason="r", owner="o", expires=dt.date.fromisoformat(expires)
    )


def test_waiver_glob_matches_logical_and_physical_names() -> None:
    f = _finding(aliases=("demo-prod-logs",))
    assert apply_waivers([f], [_waiver(resource="storage-*")], TODAY)[0] == []
    assert apply_waivers([f], [_waiver(resource="demo-prod-*")], TODAY)[0] == []
    assert apply_waivers([f], [_waiver(resource="other-*")], TODAY)[0] == [f]
    assert apply_waivers([f], [_waiver(policy="MLP-STO-002")], TODAY)[0] == [f]


def test_waiver_valid_through_its_expiry_day() -> None:
    f = _finding()
    assert apply_waivers([f], [_waiver(expires="2026-06-01")], TODAY)[0] == []
    assert apply_waivers([f], [_waiver(expires="2026-05-31")], TODAY)[0] == [f]


def _spec_with(tmp_path: Path, policies: str) -> Path:
    body = """
storage:
  encryption: kms
  buckets:
    - {name: art, purpose: artifacts, versioning: true, lifecycle: {expire_noncurrent_days: 30}}
    - {name: scratch, purpose: general}
budget: {monthly_usd: 100, max_increase_percent: 10}
"""
    return write(tmp_path, body + policies)


def _plan_for(resolved) -> Plan:
    p = plan(kms_key(), bucket("art", "artifacts"), bucket("scratch", versioning="Suspended"))
    return Plan(resolved.name, resolved.environment, p.resources, "aws")


def test_evaluate_valid_waiver_suppresses(tmp_path: Path) -> None:
    spec = _spec_with(
        tmp_path,
        """
policies:
  levels: {MLP-STO-003: mandatory}
  waivers:
    - {policy: MLP-STO-003, resource: "demo-prod-scratch", reason: regenerable, owner: ml, expires: 2026-12-31}
""",
    )
    r = load_platform(spec, "prod")
    result = evaluate(r, _plan_for(r), checkov=False, today=TODAY)
    assert result.passed, [f.message for f in result.mandatory_failures]
    assert [(f.policy, f.resource) for f, _ in result.waived] == [("MLP-STO-003", "storage-scratch")]


def test_evaluate_expired_waiver_is_mandatory_and_suppresses_nothing(tmp_path: Path) -> None:
    spec = _spec_with(
        tmp_path,
        """
policies:
  levels: {MLP-STO-003: mandatory, MLP-GOV-001: advisory}
  waivers:
    - {policy: MLP-STO-003, resource: "storage-*", reason: regenerable, owner: ml, expires: 2026-01-31}
    - {policy: MLP-GOV-001, resource: "*", reason: trying to waive waiver hygiene, owner: ml, expires: 2027-01-01}
""",
    )
    r = load_platform(spec, "prod")
    result = evaluate(r, _plan_for(r), checkov=False, today=TODAY)
    got = {(f.policy, f.level, f.resource) for f in result.mandatory_failures}
    assert ("MLP-GOV-001", "mandatory", "storage-*") in got  # the expired waiver itself
    assert ("MLP-STO-003", "mandatory", "storage-scratch") in got  # not suppressed any more
    expired = next(f for f in result.findings if f.policy == "MLP-GOV-001")
    assert expired.file == str(spec) and expired.spec_path == "policies.waivers[0].expires"
    assert expired.line is not None and "2026-01-31" in spec.read_text().splitlines()[expired.line - 1]
    assert not result.passed


def test_evaluate_spec_levels_override_profile(tmp_path: Path) -> None:
    spec = _spec_with(tmp_path, "policies:\n  levels: {MLP-STO-003: disabled, MLP-STO-001: advisory}\n")
    r = load_platform(spec, "prod")
    p = _plan_for(r)
    # drop the storage key: MLP-STO-001 fails, but the spec lowered it to advisory
    p.resources = [x for x in p.resources if not x.type.endswith("/key:Key")]
    for x in p.resources:
        if x.type.endswith("BucketServerSideEncryptionConfiguration"):
            x.inputs["rules"] = [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]
    result = evaluate(r, p, checkov=False, today=TODAY)
    assert {f.policy for f in result.findings} >= {"MLP-STO-001"}
    assert all(f.level == "advisory" for f in result.findings if f.policy == "MLP-STO-001")
    assert not any(f.policy == "MLP-STO-003" for f in result.findings)  # disabled
    assert {r.id: lvl for r, lvl in result.rules}["MLP-STO-003"] == "disabled"
    assert result.passed


# --------------------------------------------------------------------------- spec locations


def test_plan_findings_trace_to_the_bucket_line(tmp_path: Path) -> None:
    spec = _spec_with(tmp_path, "")
    r = load_platform(spec, "prod")
    result = evaluate(r, _plan_for(r), checkov=False, today=TODAY)
    sto3 = next(f for f in result.findings if f.policy == "MLP-STO-003")
    assert (sto3.resource, sto3.file) == ("storage-scratch", str(spec))
    assert sto3.spec_path == "storage.buckets[1].versioning"
    assert sto3.component == "storage"
    lines = spec.read_text().splitlines()
    assert "scratch" in lines[sto3.line - 1]


def test_profile_filled_values_point_into_the_spec(tmp_path: Path) -> None:
    """multi_az comes from the dev profile: the finding points at the spec's tracking.database line."""
    from mlplat.policies.locate import locate

    spec = write(
        tmp_path,
        """
cluster: {node_pools: [{name: s, instance_type: m6i.large}]}
storage: {buckets: [{name: art, purpose: artifacts}]}
tracking:
  kind: mlflow
  database: {storage_gb: 20}
""",
    )
    r = load_platform(spec, "dev")
    loc = locate(r, ("tracking", "database", "multi_az"))
    assert loc.file == str(spec) and loc.line is not None
    assert "database: {storage_gb: 20}" in spec.read_text().splitlines()[loc.line - 1]
    assert loc.path == "tracking.database.multi_az"  # the user's path, not the profile's


def test_header_is_the_fallback_location(tmp_path: Path) -> None:
    from mlplat.policies.locate import locate

    spec = write(tmp_path, "")
    loc = locate(load_platform(spec, "prod"), ("serving", "models", 0))
    assert loc.file == str(spec) and loc.line is not None and loc.line >= 1
    assert BASE_SPEC  # the header is all there is


def test_checkov_findings_obey_levels_and_waivers(tmp_path: Path) -> None:
    """Checkov checks are policies like any other: the spec raises their level and waives them."""
    raised = _spec_with(tmp_path, "policies:\n  levels: {CKV_AWS_18: mandatory}\n")
    r = load_platform(raised, "prod")
    result = evaluate(r, _plan_for(r), checkov=True, today=TODAY)
    logging = {f.resource for f in result.mandatory_failures if f.policy == "CKV_AWS_18"}
    assert logging == {"storage-art", "storage-scratch"}  # S3 access logging, on both buckets
    assert all(f.source == "checkov" and f.file == str(raised) for f in result.mandatory_failures)

    waived = tmp_path / "waived.yaml"
    waived.write_text(raised.read_text() + """  waivers:
    - {policy: CKV_AWS_18, resource: "demo-prod-*", reason: CloudTrail data events, owner: sec, expires: 2026-12-31}
""")  # fmt: skip
    r = load_platform(waived, "prod")
    result = evaluate(r, _plan_for(r), checkov=True, today=TODAY)
    assert not any(f.policy == "CKV_AWS_18" for f in result.findings)
    assert {f.resource for f, w in result.waived if w.policy == "CKV_AWS_18"} == {"storage-art", "storage-scratch"}
    assert result.passed
