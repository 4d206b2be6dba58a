"""The instance catalogue is the set of real SKUs in the region's price-list snapshot.

Expected names come from AWS's lists as recorded (Karpenter's us-east-1 table of 2026-07-20,
tests/upstream/aws-pricing/): c5.9xlarge is sold and c5.8xlarge is not; Graviton c6g stops at
16xlarge (then metal); p5e.48xlarge has no on-demand price (capacity blocks).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from mlplat.cli.main import cli
from mlplat.stacks import SpecError, load_spec, validate
from mlplat.stacks.platform_spec.catalog import (
    INSTANCE_TYPES,
    families,
    is_arm,
    offered,
    suggest_instance_type,
)

from tests.unit.spec_text import BASE, at, edit, write

DATA = Path(__file__).resolve().parents[1] / "upstream" / "aws-pricing"
KARPENTER = json.loads((DATA / "karpenter-ec2-ondemand-us-east-1-20260720.json").read_text())["regions"]["us-east-1"]


def _pool(itype: str, text: str = BASE) -> str:
    return edit("      instance_type: m6i.large\n", f"      instance_type: {itype}\n", text)


def _errors(tmp_path: Path, text: str) -> list[str]:
    path = write(tmp_path, text)
    try:
        validate(load_spec(path))
    except SpecError as exc:
        return [str(d).replace(str(path), "platform.yaml") for d in exc.diagnostics]
    return []


def test_c6g_24xlarge_is_refused_with_a_real_size(tmp_path):
    text = _pool("c6g.24xlarge")
    (msg,) = _errors(tmp_path, text)
    assert msg.startswith(f"platform.yaml:{at(text, 'c6g.24xlarge')}: cluster.node_pools[0].instance_type: "
                          "unknown instance type 'c6g.24xlarge'"), msg  # fmt: skip
    assert "did you mean 'c6g.16xlarge'?" in msg  # the largest c6g size AWS sells below 24xlarge
    assert "c6g sizes: medium, large, xlarge, 2xlarge, 4xlarge, 8xlarge, 12xlarge, 16xlarge, metal" in msg


@pytest.mark.parametrize("itype,suggested", [("c5.8xlarge", "c5.9xlarge"), ("c5.16xlarge", "c5.18xlarge"),
                                             ("m6i.larg", "m6i.large"), ("inf2.xlarg", "inf2.xlarge")])  # fmt: skip
def test_sizes_aws_does_not_sell_are_refused(tmp_path, itype, suggested):
    (msg,) = _errors(tmp_path, _pool(itype))
    assert f"unknown instance type {itype!r}" in msg and f"did you mean {suggested!r}?" in msg


@pytest.mark.parametrize("itype", ["c5.9xlarge", "c5.18xlarge", "inf2.xlarge", "inf2.48xlarge", "trn1.2xlarge",
                                   "trn1n.32xlarge", "t2.micro", "m7i-flex.large", "g4ad.xlarge", "g6.xlarge",
                                   "g6e.12xlarge", "p5.48xlarge", "p5en.48xlarge", "c7i-flex.large"])  # fmt: skip
def test_families_users_run_are_accepted(tmp_path, itype):
    assert itype in KARPENTER  # a real us-east-1 SKU with an on-demand price (the recorded table)
    assert _errors(tmp_path, _pool(itype)) == []


def test_accepted_in_us_east_1_is_exactly_the_snapshot():
    """Every priced SKU of the recorded table, plus the types AWS launches without an on-demand
    price, and nothing else (no generated size lists)."""
    accepted = offered("us-east-1").types
    assert set(KARPENTER) <= accepted
    assert accepted - set(KARPENTER) == offered("us-east-1").without_price
    assert "p5e.48xlarge" in offered("us-east-1").without_price
    assert not {"c5.8xlarge", "c5.16xlarge", "c6g.24xlarge", "m7g.24xlarge", "r6g.24xlarge"} & accepted


def test_did_you_mean_never_swaps_a_family():
    """For every family, a size it does not have is answered from that family alone."""
    fams = families("us-east-1")
    assert len(fams) > 100  # every family of the us-east-1 snapshot
    suggestions = [(fam, size, s) for fam in fams for size in ("99xlarge", "xlargee", "huge")
                   for s in suggest_instance_type(f"{fam}.{size}", "us-east-1")]
    assert suggestions  # most families answer with a real size
    for fam, size, s in suggestions:
        assert s.split(".", 1)[0] == fam, (fam, size, s)


def test_a_family_typo_is_suggested_but_a_new_family_is_not():
    assert suggest_instance_type("m6ii.large") == ["m6i.large"]
    assert suggest_instance_type("inf3.xlarge") == []  # not inf2: a newer family is no typo
    assert suggest_instance_type("m9i.xlarge") == []


def test_escape_hatch_lets_a_new_family_through_with_a_warning(tmp_path):
    text = _pool("inf3.xlarge").replace('cluster:\n  kubernetes_version: "1.35"\n',
                                        'cluster:\n  kubernetes_version: "1.35"\n  allow_unknown_instance_types: true\n')
    path = write(tmp_path, text)
    resolved = validate(load_spec(path))
    warnings = [str(w) for w in resolved["prod"].warnings]
    assert any("'inf3.xlarge' is not in the us-east-1 price list of 2026-07-20" in w and
               "cluster.node_pools[0].instance_type" in w for w in warnings), warnings  # fmt: skip
    r = CliRunner().invoke(cli, ["validate", str(path)])
    assert r.exit_code == 0 and "warning:" in r.output and "inf3.xlarge" in r.output
    r = CliRunner().invoke(cli, ["validate", str(path), "--format", "json"])
    doc = json.loads(r.stdout)
    assert doc["valid"] is True and any("inf3.xlarge" in w["message"] for w in doc["warnings"])
    # Without the hatch: refused, pointing at it.
    (msg,) = _errors(tmp_path, _pool("inf3.xlarge"))
    assert "allow_unknown_instance_types" in msg


def test_escape_hatch_still_checks_the_name(tmp_path):
    text = _pool('"m9i xlarge"').replace('cluster:\n  kubernetes_version: "1.35"\n',
                                         'cluster:\n  kubernetes_version: "1.35"\n  allow_unknown_instance_types: true\n')
    (msg,) = _errors(tmp_path, text)
    assert "unknown instance type 'm9i xlarge'" in msg


def test_without_on_demand_price_is_accepted_with_a_warning(tmp_path):
    text = _pool("p5e.48xlarge")
    resolved = validate(load_spec(write(tmp_path, text)))
    warnings = [str(w) for w in resolved["dev"].warnings]
    assert any("p5e.48xlarge has no on-demand list price" in w for w in warnings), warnings


def test_region_without_snapshot_uses_us_east_1_and_says_so(tmp_path):
    text = edit("  region: us-east-1\n", "  region: eu-west-1\n")
    resolved = validate(load_spec(write(tmp_path, text)))
    (w,) = [str(w) for w in resolved["dev"].warnings]
    assert "target.region: node pool instance types are checked against the us-east-1 price list" in w
    assert "eu-west-1 has no snapshot of its own" in w


def test_hardware_from_the_reference():
    """GPU and accelerator facts from Karpenter's instance-type reference (excerpt in tests/upstream)."""
    p5e = INSTANCE_TYPES["p5e.48xlarge"]
    assert (p5e.vcpu, p5e.memory_gib, p5e.gpus, p5e.gpu_type) == (192, 2048.0, 8, "H200")
    g4ad = INSTANCE_TYPES["g4ad.xlarge"]
    assert (g4ad.gpus, g4ad.gpu_type) == (1, "V520")  # AMD Radeon Pro V520 keeps mlplat's name
    inf2 = INSTANCE_TYPES["inf2.xlarge"]
    assert (inf2.gpus, inf2.accelerators, inf2.accelerator_type) == (0, 1, "inferentia2")
    assert is_arm("c6g.16xlarge") and is_arm("g5g.xlarge") and not is_arm("c5.9xlarge")
    assert INSTANCE_TYPES["p3.8xlarge"].gpus == 4  # priced, left out of the reference: from the price list record


def test_gpu_checks_use_the_reference(tmp_path):
    text = edit("      instance_type: g5.xlarge\n      gpu: {count: 1}\n",
                "      instance_type: g6e.12xlarge\n      gpu: {count: 8}\n")  # fmt: skip
    (msg,) = _errors(tmp_path, text)
    assert "g6e.12xlarge has 4 GPU(s), gpu.count is 8" in msg  # g6e.12xlarge: 4 x L40S
