"""EC2 instance catalogue: what a user would pick for ML node pools, GPU families included.

Kept as plain Python data so `validate` needs no file I/O and no cloud SDK.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class InstanceType:
    name: str
    vcpu: int
    memory_gib: float
    gpus: int = 0
    gpu_type: str | None = None

    @property
    def family(self) -> str:
        return self.name.split(".", 1)[0]


# GPU model by instance family. The derived type is what the node pool advertises.
GPU_FAMILIES: dict[str, str] = {
    "g4dn": "T4",
    "g4ad": "V520",
    "g5": "A10G",
    "g5g": "T4G",
    "g6": "L4",
    "g6e": "L40S",
    "p3": "V100",
    "p3dn": "V100",
    "p4d": "A100",
    "p4de": "A100",
    "p5": "H100",
    "p5e": "H200",
}

_STD_SIZES = {
    "large": 2, "xlarge": 4, "2xlarge": 8, "4xlarge": 16, "8xlarge": 32,
    "12xlarge": 48, "16xlarge": 64, "24xlarge": 96,
}  # fmt: skip
_GIB_PER_VCPU = {
    # general purpose
    "m5": 4, "m5a": 4, "m6i": 4, "m6a": 4, "m6g": 4, "m7i": 4, "m7a": 4, "m7g": 4,
    # compute optimised
    "c5": 2, "c5a": 2, "c6i": 2, "c6a": 2, "c6g": 2, "c7i": 2, "c7a": 2, "c7g": 2,
    # memory optimised
    "r5": 8, "r5a": 8, "r6i": 8, "r6a": 8, "r6g": 8, "r7i": 8, "r7a": 8, "r7g": 8,
}  # fmt: skip
_BURSTABLE = {  # size: (vcpu, GiB)
    "nano": (2, 0.5), "micro": (2, 1), "small": (2, 2), "medium": (2, 4),
    "large": (2, 8), "xlarge": (4, 16), "2xlarge": (8, 32),
}  # fmt: skip
# size: (vcpu, GiB, gpus)
_GPU_SIZES: dict[str, dict[str, tuple[int, float, int]]] = {
    "g4dn": {
        "xlarge": (4, 16, 1), "2xlarge": (8, 32, 1), "4xlarge": (16, 64, 1), "8xlarge": (32, 128, 1),
        "12xlarge": (48, 192, 4), "16xlarge": (64, 256, 1), "metal": (96, 384, 8),
    },
    "g5": {
        "xlarge": (4, 16, 1), "2xlarge": (8, 32, 1), "4xlarge": (16, 64, 1), "8xlarge": (32, 128, 1),
        "12xlarge": (48, 192, 4), "16xlarge": (64, 256, 1), "24xlarge": (96, 384, 4), "48xlarge": (192, 768, 8),
    },
    "g5g": {"xlarge": (4, 8, 1), "2xlarge": (8, 16, 1), "4xlarge": (16, 32, 1), "8xlarge": (32, 64, 1),
            "16xlarge": (64, 128, 2)},
    "g6": {
        "xlarge": (4, 16, 1), "2xlarge": (8, 32, 1), "4xlarge": (16, 64, 1), "8xlarge": (32, 128, 1),
        "12xlarge": (48, 192, 4), "16xlarge": (64, 256, 1), "24xlarge": (96, 384, 4), "48xlarge": (192, 768, 8),
    },
    "g6e": {
        "xlarge": (4, 32, 1), "2xlarge": (8, 64, 1), "4xlarge": (16, 128, 1), "8xlarge": (32, 256, 1),
        "12xlarge": (48, 384, 4), "16xlarge": (64, 512, 1), "24xlarge": (96, 768, 4), "48xlarge": (192, 1536, 8),
    },
    "p3": {"2xlarge": (8, 61, 1), "8xlarge": (32, 244, 4), "16xlarge": (64, 488, 8)},
    "p3dn": {"24xlarge": (96, 768, 8)},
    "p4d": {"24xlarge": (96, 1152, 8)},
    "p4de": {"24xlarge": (96, 1152, 8)},
    "p5": {"48xlarge": (192, 2048, 8)},
    "p5e": {"48xlarge": (192, 2048, 8)},
}  # fmt: skip


def _build() -> dict[str, InstanceType]:
    out: dict[str, InstanceType] = {}
    for fam, ratio in _GIB_PER_VCPU.items():
        for size, vcpu in _STD_SIZES.items():
            out[f"{fam}.{size}"] = InstanceType(f"{fam}.{size}", vcpu, float(vcpu * ratio))
    for fam in ("t3", "t3a", "t4g"):
        for size, (vcpu, mem) in _BURSTABLE.items():
            out[f"{fam}.{size}"] = InstanceType(f"{fam}.{size}", vcpu, float(mem))
    for fam, sizes in _GPU_SIZES.items():
        for size, (vcpu, mem, gpus) in sizes.items():
            out[f"{fam}.{size}"] = InstanceType(f"{fam}.{size}", vcpu, float(mem), gpus, GPU_FAMILIES[fam])
    return out


INSTANCE_TYPES: dict[str, InstanceType] = _build()


def instance_type(name: str) -> InstanceType | None:
    return INSTANCE_TYPES.get(name)


def is_arm(name: str) -> bool:
    """Graviton families end their generation with 'g' (m7g, c6g, t4g, g5g)."""
    fam = name.split(".", 1)[0]
    return fam in {"t4g", "g5g"} or (fam[0] in "mcr" and fam.endswith("g"))


def families() -> list[str]:
    return sorted({t.family for t in INSTANCE_TYPES.values()})


def suggest_instance_type(name: str) -> list[str]:
    return difflib.get_close_matches(name, list(INSTANCE_TYPES), n=3, cutoff=0.6)


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
    "InstanceType",
    "families",
    "instance_type",
    "is_arm",
    "suggest_instance_type",
]
