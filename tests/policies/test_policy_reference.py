"""The reference specs against real offline plans, in every environment, checkov included.

* every mandatory rule passes (apart from KNOWN_MODULE_ISSUES, reported to the lead);
* checkov finds no failing check on the first-party Kubernetes workloads mlplat generates,
  apart from the documented skips (and the same known issues);
* every finding traces back to a line of the spec file.
"""

from __future__ import annotations

from functools import cache

import pytest
from mlplat.policies import PolicyResult, evaluate
from mlplat.policies.checkov_skips import SKIPS

from tests.conftest import REFERENCE_SPECS
from tests.plans import kubernetes_cases, reference, reference_cases

# (check, resource) pairs produced by modules and reported to the lead for a module fix; each
# entry must still occur (test_known_module_issues_are_current) so a fix forces its removal.
# History: CKV_K8S_40 (in-cluster Postgres and db-init Jobs ran as UID 999) — fixed in modules/k8s.py.
KNOWN_MODULE_ISSUES: set[tuple[str, str]] = set()


@cache
def _result(spec: str, env: str) -> PolicyResult:
    resolved, plan = reference(spec, env)
    return evaluate(resolved, plan, checkov=True)


CASES = reference_cases()


@pytest.mark.parametrize("spec, env", CASES)
def test_reference_passes_every_mandatory_rule(spec: str, env: str) -> None:
    result = _result(spec, env)
    failing = {(f.policy, f.resource) for f in result.mandatory_failures}
    assert failing - KNOWN_MODULE_ISSUES == set(), [
        f"{f.policy} {f.resource}: {f.message}" for f in result.mandatory_failures
    ]
    assert result.checkov and result.rules


@pytest.mark.parametrize("spec, env", kubernetes_cases())
def test_checkov_passes_first_party_workloads(spec: str, env: str) -> None:
    _, plan = reference(spec, env)
    result = _result(spec, env)
    k8s = {r.urn for r in plan.resources if r.is_kubernetes}
    assert len(k8s) > 10  # the workloads were rendered and scanned
    failing = {(f.policy, f.resource) for f in result.findings if f.source == "checkov" and f.urn in k8s}
    assert failing - KNOWN_MODULE_ISSUES == set()
    assert not any(f.policy in SKIPS and SKIPS[f.policy].covers(f.resource) for f in result.findings)


@pytest.mark.parametrize("spec, env", CASES)
def test_every_finding_traces_to_a_spec_line(spec: str, env: str) -> None:
    path, _ = REFERENCE_SPECS[spec]
    lines = path.read_text().splitlines()
    findings = _result(spec, env).findings
    assert findings  # advisory findings at least: the reference specs are not perfect everywhere
    for f in findings:
        assert f.file == str(path), f
        assert f.line is not None and 1 <= f.line <= len(lines)
        assert f.spec_path


def test_known_module_issues_are_current() -> None:
    seen = {(f.policy, f.resource) for s, e in CASES for f in _result(s, e).findings}
    assert KNOWN_MODULE_ISSUES <= seen, "fixed in the modules: remove from KNOWN_MODULE_ISSUES"


def test_findings_map_to_their_component_section() -> None:
    """Plan findings land on the spec node the resource came from (buckets, node pools, models)."""
    result = _result("platform", "dev")
    by = {(f.policy, f.resource): f for f in result.findings}
    features = by[("MLP-STO-003", "storage-features")]
    assert features.spec_path == "storage.buckets[2].versioning"
    db = by[("MLP-DB-001", "tracking-db")]
    assert db.spec_path == "tracking.database.multi_az" and db.component == "tracking"


def test_taggable_types_are_known() -> None:
    """Every aws type in the reference plans whose pulumi_aws class takes `tags` is checked by
    MLP-TAG-001: it is in TAGGABLE_AWS_TYPES (or has a `tags` input in the plan)."""
    import importlib

    from mlplat.policies.helpers import TAGGABLE_AWS_TYPES

    missing = set()
    for s, e in CASES:
        _, plan = reference(s, e)
        for r in plan.custom_resources():
            if not r.is_aws or r.type in TAGGABLE_AWS_TYPES or "tags" in r.inputs:
                continue
            module, cls = r.type.split(":")[1].split("/")[0], r.type.rsplit(":", 1)[1]
            if hasattr(getattr(importlib.import_module(f"pulumi_aws.{module}"), cls), "tags"):
                missing.add(r.type)
    assert missing == set()
