"""README "What you get after `mlplat up`": the Services, ports, Secrets and jobs it names exist in
the golden plans of both targets (aws: platform-*, kubernetes: onprem-*)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

HERE = Path(__file__).parent
README = (HERE.parents[1] / "README.md").read_text()
SECTION = README[README.index("## What you get after `mlplat up`") :].split("\n## ", 1)[0]

# (kind, object name, port or None) the table promises on every target.
PROMISED = [
    ("Service", "mlflow", 5000),
    ("Service", "feast-feature-server", 6566),
    ("Service", "feast-feature-server", 8000),
    ("Job", "feast-apply", None),
    ("CronJob", "drift-reports", None),
    (("Secret", "ExternalSecret"), "grafana-admin", None),  # generated, or synced from the spec's secret_ref
]
# The table describes the platform on a cluster; sagemaker-* goldens are the managed AWS path.
CLUSTER_GOLDENS = sorted(p for p in HERE.glob("*.plan.json") if p.name.startswith(("platform-", "onprem-")))


@pytest.mark.parametrize("golden", CLUSTER_GOLDENS, ids=lambda p: p.name.removesuffix(".plan.json"))
def test_readme_names_what_the_plan_creates(golden: Path) -> None:
    plan = json.loads(golden.read_text())
    objects = {
        (r["inputs"].get("kind"), (r["inputs"].get("metadata") or {}).get("name")): r["inputs"]
        for r in plan["resources"] if r["type"].startswith("kubernetes:") and isinstance(r.get("inputs"), dict)
    }  # fmt: skip
    for kinds, name, port in PROMISED:
        kind = next((k for k in ((kinds,) if isinstance(kinds, str) else kinds) if (k, name) in objects), None)
        assert kind is not None, (kinds, name)
        assert name in SECTION, name
        if port is not None:
            assert port in [p["port"] for p in objects[(kind, name)]["spec"]["ports"]], (name, port)
            assert f":{port}" in SECTION, port
