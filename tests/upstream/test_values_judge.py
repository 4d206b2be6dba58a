"""Judge 2: every Helm release's values are keys the pinned chart reads.

Per release, tests/upstream/charts/<chart>/<version>/ holds `values.schema.json` (verbatim, when
the chart ships one) and/or `values-keys.json` (the dotted key tree of its values.yaml, with the
free-form "open" maps and the keys templates read). Helm ignores an unknown key silently, so one
fails here; a chart/version without stored artifacts fails too (a new pin needs new evidence).
"""

from __future__ import annotations

import pytest
from jsonschema.validators import validator_for

from tests.upstream.judges import (
    CHARTS,
    PLACEHOLDERS,
    RELEASE,
    chart_of,
    golden,
    golden_names,
    load_json,
    on_kubernetes,
)

# Charts whose artifacts another branch adds. Each entry says who and is removed by the lead at
# merge; nothing else is skipped.
PENDING = {
    "airflow": "helper i12a adds tests/upstream/charts/airflow/<version>/ (issue 12, first half)",
}


def unknown_keys(values: dict, tree: dict, chart_dir, prefix: str = "") -> list[str]:
    keys, open_maps = set(tree["keys"]) | set(tree.get("conditions", [])), set(tree["open_maps"])
    # Maps a template renders whole (toYaml) into a Kubernetes object: any field of that type.
    open_maps |= set(tree.get("rendered_whole", []))
    refs = set(tree.get("template_refs", [])) - keys  # read by templates, absent from values.yaml
    subcharts = set(tree.get("subcharts", []))
    out: list[str] = []

    def walk(node: dict, path: str) -> None:
        for k, v in node.items():
            p = f"{path}.{k}" if path else str(k)
            if not path and k in subcharts:
                sub = chart_dir / "subcharts" / f"{k}.values-keys.json"
                if not sub.exists():
                    out.append(f"{prefix}{p}: subchart {k} has no stored key tree ({sub.name})")
                elif isinstance(v, dict):
                    # The parent's dependency condition (`grafana.enabled`) is read by Helm itself.
                    conds = [c.split(".", 1)[1] for c in tree.get("conditions", []) if c.startswith(f"{k}.")]
                    sub_tree = {**load_json(sub), "conditions": conds}
                    out.extend(unknown_keys(v, sub_tree, chart_dir, f"{prefix}{k}."))
                continue
            if not path and k == "global":
                continue
            if p in open_maps or p in refs or any(p.startswith(f"{o}.") for o in open_maps):
                continue
            if p not in keys:
                out.append(f"{prefix}{p}")
            elif isinstance(v, dict):
                walk(v, p)

    walk(values, "")
    return out


def schema_violations(values: dict, schema: dict) -> list[str]:
    cls = validator_for(schema)
    out = []
    for err in cls(schema).iter_errors(values):
        if isinstance(err.instance, str) and err.instance in PLACEHOLDERS:
            continue
        out.append(f"{'.'.join(str(p) for p in err.absolute_path) or '<root>'}: {err.message[:300]}")
    return out


def judge_release(release) -> list[str]:
    chart, version = chart_of(release)
    where = f"{release.name} ({chart} {version})"
    d = CHARTS / chart / version
    schema, tree = d / "values.schema.json", d / "values-keys.json"
    if not schema.exists() and not tree.exists():
        return [f"{where}: no stored values.schema.json or values-keys.json under {d.relative_to(CHARTS.parent)}"]
    values = release.inputs.get("values") or {}
    out = []
    if schema.exists():
        out += [f"{where}: schema: {v}" for v in schema_violations(values, load_json(schema))]
    if tree.exists():
        t = load_json(tree)
        assert t["chart"]["name"] == chart and t["chart"]["version"].lstrip("v") == version.lstrip("v"), tree
        out += [f"{where}: unknown key {k}" for k in unknown_keys(values, t, d)]
    return out


@pytest.mark.parametrize("name", golden_names())
def test_every_release_sets_only_keys_its_chart_reads(name):
    plan = golden(name)
    releases = plan.of_type(RELEASE)
    judged = [r for r in releases if chart_of(r)[0] not in PENDING]
    assert bool(judged) == on_kubernetes(plan)
    failures = [f for r in judged for f in judge_release(r)]
    assert not failures, "\n".join(failures)


def test_pending_charts_are_only_what_another_branch_delivers():
    seen = {chart_of(r)[0] for name in golden_names() for r in golden(name).of_type(RELEASE)}
    # A pending entry for a chart no plan uses any more must go (the list cannot grow silently).
    assert set(PENDING) <= seen


class _R:
    def __init__(self, chart, version, values):
        self.name, self.inputs = "r", {"chart": chart, "version": version, "values": values}


def test_the_judge_sees_unknown_keys_and_unpinned_charts():
    # The pre-issue-12 KServe pin has no evidence stored; a misspelt key is caught:
    assert judge_release(_R("oci://ghcr.io/kserve/charts/kserve", "v0.13.1", {})) == [
        "r (kserve v0.13.1): no stored values.schema.json or values-keys.json under charts/kserve/v0.13.1"
    ]
    assert judge_release(_R("dcgm-exporter", "4.8.2", {"serviceMonitor": {"honorLabel": True}})) == [
        "r (dcgm-exporter 4.8.2): unknown key serviceMonitor.honorLabel"
    ]
    # Subchart keys are judged against the subchart; open maps take anything.
    bad = judge_release(_R("kube-prometheus-stack", "88.5.3", {"grafana": {"adminPasswordd": "x"}, "commonLabels": {"a": "b"}}))
    assert bad == ["r (kube-prometheus-stack 88.5.3): unknown key grafana.adminPasswordd"]
    # cert-manager's schema has additionalProperties: false.
    assert any("installCRD" in f for f in judge_release(_R("cert-manager", "v1.21.1", {"installCRD": True})))
