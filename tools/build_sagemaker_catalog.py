"""Rebuild stacks/platform_spec/sagemaker-catalog.json from AWS's own published models.

Sources (no network at run time; this script is for maintainers):
- the botocore service models (ProductionVariantInstanceType, TrackingServerSize, MWAA's
  EnvironmentClass / AirflowVersion documentation),
- the SageMaker Python SDK wheel's `sagemaker/image_uri_config/*.json` (framework image
  repositories, versions and the ECR account per region).

    pip download --no-deps "sagemaker<3" -d /tmp/sm && unzip -o /tmp/sm/sagemaker-*.whl 'sagemaker/image_uri_config/*' -d /tmp/sm
    python tools/build_sagemaker_catalog.py /tmp/sm/sagemaker/image_uri_config 2.257.7
"""

from __future__ import annotations

import gzip
import json
import os
import re
import sys
from pathlib import Path

import botocore

OUT = Path(__file__).resolve().parents[1] / "stacks" / "platform_spec" / "sagemaker-catalog.json"
# format -> (image_uri_config file, version, tag template); the newest inference version each file lists
FRAMEWORKS = {
    "sklearn": ("sklearn", "{version}-cpu-py3"),
    "xgboost": ("xgboost", "{version}"),
    "pytorch": ("pytorch", "{version}-{processor}-{py}"),
    "tensorflow": ("tensorflow", "{version}-{processor}"),
}


def service_model(name: str) -> dict:
    base = Path(os.path.dirname(botocore.__file__)) / "data" / name
    latest = sorted(os.listdir(base))[-1]
    path = base / latest / "service-2.json"
    if path.exists():
        return json.loads(path.read_text())
    return json.loads(gzip.open(str(path) + ".gz").read())


def main(image_config_dir: str, sdk_version: str) -> None:
    sm = service_model("sagemaker")["shapes"]
    mwaa = service_model("mwaa")["shapes"]
    doc = re.sub("<[^>]+>", "", mwaa["CreateEnvironmentInput"]["members"]["AirflowVersion"]["documentation"])
    versions = re.findall(r"\d+\.\d+\.\d+", doc.split("Valid values:")[1])
    cls_doc = re.sub("<[^>]+>", "", mwaa["CreateEnvironmentInput"]["members"]["EnvironmentClass"]["documentation"])
    classes = re.findall(r"mw1\.\w+", cls_doc)
    images = {}
    for fmt, (file, tag) in FRAMEWORKS.items():
        data = json.loads((Path(image_config_dir) / f"{file}.json").read_text())["inference"]
        version = list(data["versions"])[-1]
        entry = data["versions"][version]
        images[fmt] = {
            "repository": entry["repository"],
            "version": version,
            "tag_cpu": tag.format(version=version, processor="cpu", py=(entry.get("py_versions") or ["py3"])[-1]),
            "tag_gpu": (tag.format(version=version, processor="gpu", py=(entry.get("py_versions") or ["py3"])[-1])
                        if "gpu" in (entry.get("processors") or data.get("processors") or []) else None),
            "registries": entry["registries"],
        }
    out = {
        "sources": {
            "botocore": f"botocore {botocore.__version__} service models sagemaker/mwaa (ProductionVariantInstanceType, TrackingServerSize, CreateEnvironmentInput docs)",
            "sagemaker_sdk": f"sagemaker {sdk_version} wheel from PyPI, sagemaker/image_uri_config/*.json",
        },
        "hosting_instance_types": sm["ProductionVariantInstanceType"]["enum"],
        "mlflow_tracking_server_sizes": sm["TrackingServerSize"]["enum"],
        "mwaa_airflow_versions": versions,
        "mwaa_environment_classes": classes,
        "framework_images": images,
    }
    OUT.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {OUT}: {len(out['hosting_instance_types'])} instance types, {len(versions)} MWAA versions")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])  # IMAGE_URI_CONFIG_DIR SDK_VERSION
