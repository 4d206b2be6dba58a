"""EC2 on-demand prices in the shipped catalogue agree with a second, independent dated source.

The second source is SkyPilot's AWS catalog (skypilot-org/skypilot-catalog catalogs/v8/aws/vms.csv
at 00148f2a, transcribed into tests/upstream/aws-pricing/skypilot-ec2-ondemand-sample.json; its
p4d/p5 rows carry AWS's June 2025 cut, so it is not older than that). The shipped us-east-1 EC2
prices come from Karpenter's table instead; the hand-kept regions' figures from the 2024 price
pages. Entries a catalogue file itself took from SkyPilot (its `dated:` says so) are not an
independent check and are left out, by name.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mlplat.stacks.cost.catalogue import load_catalogue

SAMPLE = json.loads((Path(__file__).resolve().parents[1] / "upstream/aws-pricing/skypilot-ec2-ondemand-sample.json")
                    .read_text())["regions"]  # fmt: skip

# How many types each shipped region shares with the sample, and how many of them the region's
# file took from SkyPilot itself (counted by hand from the two files): us-east-1 all 33 sampled
# types, from Karpenter; us-east-2 c7g x4, p3 x2, c6i.12xlarge independent + p4d, p5 taken;
# us-west-2 the same + p3dn independent, p4de taken; eu-west-1 p3.8xlarge independent, the other
# six (c7g x3, c6i.12xlarge, p3dn, p4d) taken to replace wrong or pre-cut figures.
SHARED = {"us-east-1": (33, 0), "us-east-2": (9, 2), "us-west-2": (11, 3), "eu-west-1": (7, 6)}


@pytest.mark.parametrize("region", sorted(SHARED))
def test_shipped_ec2_prices_agree_within_one_percent(region):
    cat = load_catalogue("aws", region)
    both = {t: (cat.ec2(t), v) for t, v in SAMPLE[region].items() if cat.ec2(t) is not None}
    same_source = {t for t in both if "skypilot" in cat.source_for("ec2", t).lower()}
    assert (len(both), len(same_source)) == SHARED[region]
    off = {t: (ours, theirs) for t, (ours, theirs) in both.items()
           if t not in same_source and abs(ours - theirs) > 0.01 * theirs}  # fmt: skip
    assert not off, f"{region}: shipped vs SkyPilot differ by more than 1%: {off}"


def test_the_check_has_teeth():
    """The 2024 hand-typed figures it replaced would fail: p5.48xlarge 98.32 vs 55.04 (us-east-2),
    eu-west-1 c7g.large 0.0816 (Seoul's price) vs 0.0775."""
    assert abs(98.32 - SAMPLE["us-east-2"]["p5.48xlarge"]) > 0.01 * SAMPLE["us-east-2"]["p5.48xlarge"]
    assert abs(0.0816 - SAMPLE["eu-west-1"]["c7g.large"]) > 0.01 * SAMPLE["eu-west-1"]["c7g.large"]
    # and the same-source entries equal their source exactly
    cat = load_catalogue("aws", "eu-west-1")
    assert cat.ec2("c7g.large") == SAMPLE["eu-west-1"]["c7g.large"]
