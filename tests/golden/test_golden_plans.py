"""Golden plans of the reference specs, every environment.

A change to the expansion shows up here as a diff of the golden file. Regenerate on
purpose and review the diff:  MLPLAT_UPDATE_GOLDEN=1 pytest tests/golden
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.plans import reference, reference_cases

GOLDEN = Path(__file__).parent


@pytest.mark.parametrize("spec,env", reference_cases())
def test_plan_matches_golden(spec, env):
    _, plan = reference(spec, env)
    path = GOLDEN / f"{spec}-{env}.plan.json"
    actual = plan.to_json(indent=1) + "\n"
    if os.environ.get("MLPLAT_UPDATE_GOLDEN"):
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}; run MLPLAT_UPDATE_GOLDEN=1 pytest tests/golden"
    expected = json.loads(path.read_text(encoding="utf-8"))
    got = json.loads(actual)
    # Compare per resource first for a readable failure, then the whole document.
    exp_res = {r["urn"]: r for r in expected["resources"]}
    got_res = {r["urn"]: r for r in got["resources"]}
    assert sorted(got_res) == sorted(exp_res), "resource set changed"
    for urn, res in got_res.items():
        assert res == exp_res[urn], f"{urn} changed"
    assert got == expected


@pytest.mark.parametrize("spec,env", reference_cases())
def test_every_environment_previews_with_ownership(spec, env):
    resolved, plan = reference(spec, env)
    assert plan.platform == resolved.name and plan.environment == env
    assert len(plan.custom_resources()) > 20
    # Every component the spec declares appears in the plan.
    declared = {c for c in ("storage", "tracking", "orchestrator", "feature_store", "serving", "monitoring")
                if getattr(resolved.spec, c) is not None}
    assert declared <= set(plan.counts_by_component())
