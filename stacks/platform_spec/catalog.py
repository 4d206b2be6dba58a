"""EC2 instance catalogue: the instance types AWS really offers, per region, from the price-list snapshot.

A region with a snapshot of its own (stacks/pricelist/aws-<region>.json) accepts exactly the
types listed there: those with an on-demand price, plus those AWS launches without one (p5e,
trn2: capacity blocks), which are accepted with a warning that cost cannot price them. Other
regions use the us-east-1 set, and validate says so. Hardware (vCPU, memory, GPUs, architecture)
comes from the snapshot's instance-type reference.

Nothing here imports a cloud SDK: two JSON files (~150 KB) are read once, at import.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cache

from mlplat.stacks.pricelist import BASE_REGION, instance_hardware, region_snapshot

#: What an instance type name must look like to be let through `allow_unknown_instance_types`.
INSTANCE_TYPE_PATTERN = r"[a-z][a-z0-9-]*\.[a-z0-9-]+"


@dataclass(frozen=True)
class InstanceType:
    name: str
    vcpu: int
    memory_gib: float
    gpus: int = 0
    gpu_type: str | None = None
    arch: str | None = None
    accelerators: int = 0
    accelerator_type: str | None = None
    #: False for a type the snapshot prices but whose hardware the reference does not list.
    hardware_known: bool = True

    @property
    def family(self) -> str:
        return self.name.split(".", 1)[0]


# The reference names GPUs in lower case; mlplat's labels and `gpu.type` use the marketing names.
_GPU_NAMES = {"radeon-pro-v520": "V520"}
# Priced types the hardware reference leaves out (families Karpenter does not support). p3 from
# the AWS price list record of p3.8xlarge (us-east-2, 2023: vcpu 32, memory 244 GiB, gpu 4, V100).
_LEGACY_GPU: dict[str, tuple[int, float, int, str]] = {
    "p3.2xlarge": (8, 61, 1, "V100"), "p3.8xlarge": (32, 244, 4, "V100"), "p3.16xlarge": (64, 488, 8, "V100"),
}  # fmt: skip


def _gpu_name(raw: str) -> str:
    return _GPU_NAMES.get(raw, raw.upper())


@cache
def _all_types() -> dict[str, InstanceType]:
    hw = instance_hardware().get("types", {})
    out: dict[str, InstanceType] = {}
    for name, e in hw.items():
        gpus = int(e.get("gpu", 0))
        out[name] = InstanceType(
            name, int(e["cpu"]), round(int(e["mem"]) / 1024, 3), gpus,
            _gpu_name(e["gpu_name"]) if gpus and e.get("gpu_name") else None, e.get("arch"),
            int(e.get("accel", 0)), e.get("accel_name"),
        )  # fmt: skip
    for name in offered(BASE_REGION).types - set(out):
        legacy = _LEGACY_GPU.get(name)
        if legacy:
            vcpu, mem, gpus, gpu = legacy
            out[name] = InstanceType(name, vcpu, float(mem), gpus, gpu, "amd64")
        else:
            out[name] = InstanceType(name, 0, 0.0, hardware_known=False)
    return dict(sorted(out.items()))


@dataclass(frozen=True)
class Offered:
    """The instance types validate accepts in one region, and where that list comes from."""

    region: str
    types: frozenset[str]
    without_price: frozenset[str]
    as_of: str
    own: bool  # False: the region has no snapshot, these are the us-east-1 types

    @property
    def note(self) -> str:
        if self.own:
            return f"the {self.region} price list of {self.as_of}"
        return f"the {BASE_REGION} price list of {self.as_of} ({self.region} has no snapshot of its own)"


@cache
def offered(region: str | None) -> Offered:
    region = region or BASE_REGION
    snap = region_snapshot(region)
    own = snap is not None and "ec2" in snap.get("sections", {})
    if not own:
        snap = region_snapshot(BASE_REGION)
    assert snap is not None, "the us-east-1 price-list snapshot is missing from the package"
    ec2 = snap["sections"]["ec2"]
    unpriced = frozenset((snap.get("unpriced_types") or {}).get("types", []))
    return Offered(region, frozenset(ec2["prices"]) | unpriced, unpriced, str(ec2.get("as_of", "")), own)


#: Every instance type mlplat knows (any region), by name.
INSTANCE_TYPES: dict[str, InstanceType] = _all_types()


def instance_type(name: str) -> InstanceType | None:
    return INSTANCE_TYPES.get(name)


def is_arm(name: str) -> bool:
    it = INSTANCE_TYPES.get(name)
    if it is not None and it.arch:
        return it.arch == "arm64"
    # Unknown types: Graviton families end their generation with 'g' (m7g, c6g, t4g, g5g).
    fam = name.split(".", 1)[0]
    return fam in {"t4g", "g5g"} or (fam[:1] in "mcr" and re.fullmatch(r"[mcr]\d+g[a-z]*", fam) is not None)


@cache
def _gpu_families() -> dict[str, str]:
    out: dict[str, str] = {}
    for it in _all_types().values():
        if it.gpus and it.gpu_type:
            out.setdefault(it.family, it.gpu_type)
    return dict(sorted(out.items()))


#: GPU model by instance family (from the hardware reference).
GPU_FAMILIES: dict[str, str] = _gpu_families()


def families(region: str | None = None) -> list[str]:
    return sorted({t.split(".", 1)[0] for t in offered(region).types})


def _size_rank(size: str) -> float:
    fixed = {"nano": 0.0625, "micro": 0.125, "small": 0.25, "medium": 0.5, "large": 1.0, "xlarge": 2.0}
    if size in fixed:
        return fixed[size]
    m = re.fullmatch(r"(\d+)xlarge", size)
    if m:
        return 2.0 * int(m.group(1))
    return -1.0  # metal and other names: not comparable by size


def sizes(family: str, region: str | None = None) -> list[str]:
    """The sizes of `family` offered in the region, smallest first (metal last)."""
    names = [t.split(".", 1)[1] for t in offered(region).types if t.split(".", 1)[0] == family]
    return sorted(names, key=lambda s: (_size_rank(s) < 0, _size_rank(s), s))


def suggest_instance_type(name: str, region: str | None = None) -> list[str]:
    """Real types close to `name`, never from another family when the family exists.

    Within the family: a misspelt size by spelling, a size AWS does not sell by the nearest
    size (c6g.24xlarge → c6g.16xlarge). An unknown family gets a suggestion only for a likely
    typo of a family (m6ii → m6i), not for a new family that merely looks alike.
    """
    family, _, size = name.partition(".")
    have = sizes(family, region)
    if have:
        spelt = difflib.get_close_matches(size, have, n=1, cutoff=0.75)
        rank = _size_rank(size)
        if rank < 0 and spelt:
            return [f"{family}.{spelt[0]}"]
        ranked = [s for s in have if _size_rank(s) > 0]
        if rank > 0 and ranked:
            best = min(ranked, key=lambda s: (abs(_size_rank(s) - rank), -_size_rank(s)))
            return [f"{family}.{best}"]
        return [f"{family}.{spelt[0]}"] if spelt else []
    fams = difflib.get_close_matches(family, families(region), n=1, cutoff=0.8)
    if not fams:
        return []
    alt = sizes(fams[0], region)
    pick = size if size in alt else (alt[0] if alt else "")
    return [f"{fams[0]}.{pick}"] if pick else []


def unknown_instance_message(name: str, region: str | None = None) -> str:
    """Why `name` is refused in `region`, with a did-you-mean from the real types."""
    where = offered(region)
    family = name.partition(".")[0]
    have = sizes(family, region)
    sugg = suggest_instance_type(name, region)
    hint = f"; did you mean {sugg[0]!r}?" if sugg else ""
    if have:
        return (f"unknown instance type {name!r}: not offered in {where.region} ({where.note}){hint} "
                f"({family} sizes: {', '.join(have)})")  # fmt: skip
    return (f"unknown instance type {name!r}: not offered in {where.region} ({where.note}){hint}; if it is "
            "newer than that list, set cluster.allow_unknown_instance_types: true")  # fmt: skip


# Airflow minor → the official chart release that ships it as its default (or supports it). Airflow
# 3 replaces the webserver with an API server, which mlplat's chart values do not configure yet;
# charts >= 1.20 need Airflow 2.11+ (chart docs, helm-chart/1.20.0 "Supported Airflow version").
AIRFLOW_CHARTS: dict[str, str] = {
    "2.6": "1.10.0",
    "2.7": "1.11.0",
    "2.8": "1.13.1",
    "2.9": "1.15.0",
    "2.10": "1.16.0",
}

# Kubeflow Pipelines releases whose rendered manifests mlplat ships (templates/kfp/<version>/).
KFP_VERSIONS = ("2.3.0", "2.17.0")


__all__ = [
    "AIRFLOW_CHARTS",
    "KFP_VERSIONS",
    "GPU_FAMILIES",
    "INSTANCE_TYPES",
    "INSTANCE_TYPE_PATTERN",
    "InstanceType",
    "Offered",
    "families",
    "instance_type",
    "is_arm",
    "offered",
    "sizes",
    "suggest_instance_type",
    "unknown_instance_message",
]
