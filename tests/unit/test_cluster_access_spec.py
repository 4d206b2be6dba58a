"""The cluster's access model and Kubernetes version in the spec: located errors, warnings, defaults."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from mlplat.stacks import SpecError, load_spec, validate
from mlplat.stacks.platform_spec import eks
from mlplat.stacks.platform_spec.resolve import validation_warnings

from tests.unit.spec_text import BASE, at, edit, write

CLUSTER_LINE = '  kubernetes_version: "1.35"\n'


def diags(tmp_path: Path, text: str) -> list[str]:
    path = write(tmp_path, text)
    with pytest.raises(SpecError) as info:
        validate(load_spec(path))
    return [str(d).replace(str(path), "platform.yaml") for d in info.value.diagnostics]


def test_public_endpoint_needs_cidrs_located(tmp_path: Path) -> None:
    text = edit(CLUSTER_LINE, CLUSTER_LINE + "  public_endpoint: true\n")
    (msg,) = diags(tmp_path, text)
    # Points at the cluster mapping's missing key (the key the fix goes into).
    assert msg.startswith("platform.yaml:"), msg
    assert "cluster.public_access_cidrs: a public endpoint needs the networks allowed to reach it" in msg


def test_cidrs_on_a_private_endpoint_are_refused(tmp_path: Path) -> None:
    text = edit(CLUSTER_LINE, CLUSTER_LINE + "  public_access_cidrs: [203.0.113.0/24]\n")
    (msg,) = diags(tmp_path, text)
    assert f"platform.yaml:{at(text, '[203.0.113.0/24]')}: cluster.public_access_cidrs: applies only" in msg


def test_bad_cidr_and_session_arn_are_located(tmp_path: Path) -> None:
    text = edit(
        CLUSTER_LINE,
        CLUSTER_LINE
        + "  public_endpoint: true\n  public_access_cidrs: [203.0.113.7/24]\n"
        + "  admins: ['arn:aws:sts::123456789012:assumed-role/ci/session-1']\n",
    )
    msgs = diags(tmp_path, text)
    assert any("cluster.public_access_cidrs[0]: " in m and "host bits set" in m for m in msgs), msgs
    assert any("cluster.admins[0]: " in m and "is an STS session; name the IAM role" in m for m in msgs), msgs


def test_a_version_eks_no_longer_creates_is_refused(tmp_path: Path) -> None:
    text = edit(CLUSTER_LINE, '  kubernetes_version: "1.30"\n')
    (msg,) = diags(tmp_path, text)
    # 1.30's extended support ended 2026-07-23 (AWS release calendar): EKS refuses to create it.
    assert f"platform.yaml:{at(text, chr(34) + '1.30')}: cluster.kubernetes_version: EKS no longer creates" in msg


def test_extended_support_needs_the_extended_upgrade_policy_and_warns(tmp_path: Path) -> None:
    today = dt.date.today()
    extended = next((v.version for v in eks.versions() if v.support(today) == "extended"), None)
    if extended is None:
        pytest.skip("no EKS version is in extended support today")
    text = edit(CLUSTER_LINE, f'  kubernetes_version: "{extended}"\n')
    (msg,) = diags(tmp_path, text)
    assert "set cluster.upgrade_policy: extended" in msg
    ok = write(tmp_path, edit(CLUSTER_LINE, f'  kubernetes_version: "{extended}"\n  upgrade_policy: extended\n'))
    notes = [str(d) for d in validation_warnings(validate(load_spec(ok)))]
    assert len(notes) == 1 and "extended support" in notes[0] and "+$0.50 per cluster-hour" in notes[0]


def test_default_version_is_the_newest_in_standard_support(tmp_path: Path) -> None:
    resolved = validate(load_spec(write(tmp_path, BASE.replace(CLUSTER_LINE, ""))))
    version = resolved["prod"].spec.cluster.kubernetes_version  # type: ignore[union-attr]
    today = dt.date.today()
    assert eks.support(version, today) == "standard"
    newer = [v for v in eks.versions() if v.version > version and v.support(today) == "standard"]
    assert newer == []


def test_support_dates_from_the_aws_calendar() -> None:
    # awsdocs kubernetes-versions.adoc: 1.34 standard support ends 2026-12-02 (its last day).
    assert eks.support("1.34", dt.date(2026, 12, 2)) == "standard"
    assert eks.support("1.34", dt.date(2026, 12, 3)) == "extended"
    assert eks.support("1.31", dt.date(2026, 11, 27)) == "ended"
    assert eks.support("1.99", dt.date(2026, 12, 2)) == "unknown"
    assert eks.default_version(dt.date(2026, 12, 2)) == "1.36"
    assert eks.default_version(dt.date(2026, 5, 1)) == "1.35"  # 1.36 reached EKS on 2026-06-02


def test_the_catalogue_is_fresh() -> None:
    """A stale catalogue would quietly bless versions AWS has moved on from: fail loudly instead."""
    age = (dt.date.today() - eks.as_of()).days
    assert age <= eks.max_age_days(), (
        f"stacks/platform_spec/eks_catalogue.json is {age} days old (as_of {eks.as_of()}); refresh the EKS "
        "calendar and add-on pins (sources inside the file) and bump as_of"
    )
    assert eks.in_support(), "no EKS version in support today: the catalogue is out of date"


def test_unverified_addon_pins_are_known_and_listed() -> None:
    """Pins no source gave are left to EKS's default build; this list is what the report states."""
    missing = set(eks.unverified_pins())
    assert ("aws-ebs-csi-driver", "1.35") in missing and ("vpc-cni", "1.35") in missing
    assert ("kube-proxy", "1.35") not in missing and ("coredns", "1.35") not in missing
