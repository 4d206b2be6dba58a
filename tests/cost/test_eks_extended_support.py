"""The EKS extended-support surcharge: +$0.50 per cluster-hour while the version is past standard support."""

from __future__ import annotations

import datetime as dt

import pytest
from mlplat.stacks.cost.estimate import estimate
from mlplat.stacks.cost.pricers import eks_extended_support_charge
from mlplat.stacks.platform_spec import eks

from .helpers import HOURS, plan, res
from .test_estimate_unit import aws_resolved  # noqa: F401  (fixture)


def cluster(version: str):
    return res("aws:eks/cluster:Cluster", "cluster-eks", "cluster", name="acme-dev-cluster", version=version)


def test_surcharge_by_the_calendar() -> None:
    day = dt.date(2026, 12, 2)
    # AWS calendar: 1.33 left standard support on 2026-07-29 (extended until 2027-07-29); 1.35 is standard.
    charge = eks_extended_support_charge(cluster("1.33"), HOURS, day)
    assert charge is not None and charge.monthly_usd == pytest.approx(730 * 0.50)  # AWS: $0.60 total, $0.10 standard
    assert eks_extended_support_charge(cluster("1.35"), HOURS, day) is None
    assert eks_extended_support_charge(cluster("1.34"), HOURS, day) is None  # its last day of standard support
    assert eks_extended_support_charge(cluster("1.34"), HOURS, dt.date(2026, 12, 3)) is not None


def test_extended_support_shows_in_the_estimate(aws_resolved) -> None:  # noqa: F811
    today = dt.date.today()
    extended = next((v.version for v in eks.versions() if v.support(today) == "extended"), None)
    standard = next(v.version for v in eks.versions() if v.support(today) == "standard")
    if extended is None:
        pytest.skip("no EKS version is in extended support today")
    r = aws_resolved()
    (old,) = [l for l in estimate(r, plan(r, cluster(extended))).lines if l.name == "cluster-eks"]
    (new,) = [l for l in estimate(r, plan(r, cluster(standard))).lines if l.name == "cluster-eks"]
    assert new.monthly_usd == pytest.approx(730 * 0.10)  # us-east-1 catalogue: $0.10 per cluster-hour
    assert old.monthly_usd == pytest.approx(730 * 0.60)
    assert any("extended support" in c.what for c in old.charges)
