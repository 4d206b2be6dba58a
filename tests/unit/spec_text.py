"""A small, complete AWS spec used by the error tests, and helpers to break it.

Expected locations are computed from the text itself (`at`), never from the loader, so a
test fails if the loader points at the wrong line or column.
"""

from __future__ import annotations

from pathlib import Path

BASE = """\
apiVersion: mlplat.io/v1alpha1
kind: Platform
metadata:
  name: demo
  owner: team@example.com
target:
  provider: aws
  region: us-east-1
network:
  cidr: 10.0.0.0/16
storage:
  buckets:
    - name: artifacts
      purpose: artifacts
      versioning: true
    - name: features
      purpose: feature-offline
cluster:
  kubernetes_version: "1.35"
  node_pools:
    - name: system
      instance_type: m6i.large
      min_size: 1
      max_size: 3
    - name: gpu
      instance_type: g5.xlarge
      gpu: {count: 1}
      max_size: 2
tracking:
  artifact_bucket: artifacts
  auth:
    kind: basic
    admin_password: {from_env: MLFLOW_ADMIN_PASSWORD}
orchestrator:
  kind: airflow
feature_store:
  offline_bucket: features
serving:
  kind: kserve
  models:
    - name: churn
      format: sklearn
      uri: s3://demo/churn/v1
      replicas: {min: 1, max: 3}
      canary: {uri: s3://demo/churn/v2, traffic_percent: 10}
monitoring:
  alerts:
    slack_webhook: {from_env: SLACK_WEBHOOK_URL}
environments:
  dev:
    profile: dev
    cluster:
      node_pools:
        - name: gpu
          max_size: 1
  prod:
    profile: prod
"""


def at(text: str, needle: str, nth: int = 1) -> str:
    """'LINE:COL' (1-based) where the nth occurrence of `needle` starts in `text`."""
    pos = -1
    for _ in range(nth):
        pos = text.index(needle, pos + 1)
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"{line}:{col}"


def at_value(text: str, key_value: str, nth: int = 1) -> str:
    """'LINE:COL' of the value in the nth `key: value` occurrence."""
    line, col = at(text, key_value, nth).split(":")
    return f"{line}:{int(col) + key_value.index(': ') + 2}"


def edit(old: str, new: str, text: str = BASE) -> str:
    assert text.count(old) == 1, f"{old!r} must occur exactly once"
    return text.replace(old, new)


def write(tmp_path: Path, text: str, name: str = "platform.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def diagnostics(path: Path) -> list[str]:
    """validate's located messages for the spec at `path` (its folder shown as `platform.yaml`); [] when valid."""
    from mlplat.stacks import SpecError, load_spec, validate

    try:
        validate(load_spec(path))
    except SpecError as exc:
        return [str(d).replace(str(path), "platform.yaml") for d in exc.diagnostics]
    return []
