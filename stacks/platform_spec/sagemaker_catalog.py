"""What SageMaker and MWAA accept, read from AWS's own published models (sagemaker-catalog.json).

The file is built by tools/build_sagemaker_catalog.py from the botocore service models and the
SageMaker Python SDK's image_uri_config; its `sources` key names the versions.
"""

from __future__ import annotations

import difflib
import json
import re
from functools import cache
from importlib import resources
from typing import Any

# Formats served by a SageMaker framework image; every other format needs an explicit `image`.
SAGEMAKER_FORMATS = ("sklearn", "xgboost", "pytorch", "tensorflow")
DEFAULT_MWAA_CLASS = "mw1.small"
DEFAULT_TRACKING_SIZE = "Small"


@cache
def catalog() -> dict[str, Any]:
    text = (resources.files("mlplat.stacks.platform_spec") / "sagemaker-catalog.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def hosting_instance_types() -> list[str]:
    return list(catalog()["hosting_instance_types"])


def is_hosting_instance_type(name: str) -> bool:
    return name in set(catalog()["hosting_instance_types"])


def suggest_hosting_instance_type(name: str) -> str | None:
    """The closest real type, preferring the same family (`ml.g5.xlarg` → `ml.g5.xlarge`)."""
    types = hosting_instance_types()
    family = name.rsplit(".", 1)[0] + "."
    same = [t for t in types if t.startswith(family)]
    for pool in (same, types):
        close = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
        if close:
            return close[0]
    return None


def graviton(instance_type: str) -> bool:
    """arm64 families (ml.c7g, ml.m6g, ml.r7gd …): the x86 framework images do not run there."""
    family = instance_type.split(".")[1] if instance_type.count(".") >= 2 else ""
    return re.fullmatch(r"[a-z]+\d+g[a-z]*", family) is not None and not family.startswith(("g", "p"))


def accelerated(instance_type: str) -> bool:
    """GPU (g*, p*) families: the framework image's GPU build serves them."""
    family = instance_type.split(".")[1] if instance_type.count(".") >= 2 else ""
    return family[:1] in ("g", "p")


def framework_image(fmt: str, region: str, instance_type: str) -> str | None:
    """The SageMaker framework inference image for `fmt` in `region`, or None when there is none."""
    entry = catalog()["framework_images"].get(fmt)
    if entry is None:
        return None
    account = entry["registries"].get(region)
    if account is None:
        return None
    tag = entry["tag_gpu"] if accelerated(instance_type) and entry.get("tag_gpu") else entry["tag_cpu"]
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"{account}.dkr.ecr.{region}.{suffix}/{entry['repository']}:{tag}"


def mwaa_airflow_versions() -> list[str]:
    return list(catalog()["mwaa_airflow_versions"])


def mwaa_environment_classes() -> list[str]:
    return list(catalog()["mwaa_environment_classes"])


def tracking_server_sizes() -> list[str]:
    return list(catalog()["mlflow_tracking_server_sizes"])


def default_hosting_instance_type(profile: str | None) -> str:
    """dev gets the smallest hosting type; every other profile a general-purpose xlarge."""
    return "ml.t2.medium" if profile == "dev" else "ml.m5.xlarge"


__all__ = [
    "DEFAULT_MWAA_CLASS", "DEFAULT_TRACKING_SIZE", "SAGEMAKER_FORMATS", "accelerated", "catalog", "graviton",
    "default_hosting_instance_type", "framework_image", "hosting_instance_types", "is_hosting_instance_type",
    "mwaa_airflow_versions", "mwaa_environment_classes", "suggest_hosting_instance_type", "tracking_server_sizes",
]  # fmt: skip
