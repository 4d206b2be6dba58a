"""The Evidently drift-report job: its script, image and install step (pure; no Pulumi).

Data contract (README "What you get after `mlplat up`"):
- reference: `s3://<report bucket>/drift/<model>/reference.parquet`, written by training;
- current: `s3://<report bucket>/drift/<model>/current.parquet` when present, else the request
  records the serving layer's request logger writes under
  `s3://<report bucket>/inference-logs/<model>/` (KServe predictor `logger`), from the last
  `WINDOW_HOURS` hours. A record's request body is V1 (`{"instances": [...]}`) or Open Inference
  Protocol V2 (`{"inputs": [{"name", "shape", "data"}, ...]}`), possibly nested in the logger's
  envelope or carried as a JSON (or base64 JSON) string;
- report: `s3://<report bucket>/drift/<model>/reports/<UTC stamp>.{html,json}`.

The script is written against evidently 0.7 (`from evidently import Report`,
`Report([...]).run(current_data, reference_data)` returns a Snapshot), the version pinned here.
Each model's failure is reported and the others still run; the job exits non-zero if any failed,
so the CronJob's failed-job metric tells the alert rule.
"""

from __future__ import annotations

EVIDENTLY_VERSION = "0.7.23"
# `s3` extra → s3fs (pandas and fsspec read s3:// through it); pyarrow comes with evidently's pandas[parquet].
EVIDENTLY_REQUIREMENT = f"evidently[s3]=={EVIDENTLY_VERSION}"
# evidently 0.7.23 declares pandas>=1.3.5 but imports `pandas.core.dtypes.common.infer_dtype_from_object`,
# which pandas 3 removed (ImportError at `import evidently`; found by running the job in the tests).
PANDAS_REQUIREMENT = "pandas==2.3.3"
# A plain Python image: the job installs the pinned library at start unless the spec names a
# prebuilt image (air-gapped clusters; Dockerfile in the README).
PYTHON_IMAGE = "docker.io/library/python:3.12-slim-bookworm"
DEPS_DIR = "/deps"
REQUEST_LOG_PREFIX = "inference-logs"  # where serving's request logger writes, per model
WINDOW_HOURS = 24


def install_command() -> list[str]:
    """pip into an emptyDir (the root filesystem is read-only); wheels only, no build tools needed."""
    return [
        "python", "-m", "pip", "install", "--no-cache-dir", "--disable-pip-version-check", "--only-binary=:all:",
        "--target", DEPS_DIR, EVIDENTLY_REQUIREMENT, PANDAS_REQUIREMENT,
    ]  # fmt: skip


def drift_script() -> str:
    """The job's Python script (a ConfigMap key; every value comes from the environment)."""
    return _SCRIPT


_SCRIPT = '''"""mlplat drift reports (evidently 0.7): reference vs. current data per model, reports to S3."""
import base64
import datetime
import json
import os
import sys

import fsspec
import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset

BUCKET = os.environ["REPORT_BUCKET"]
MODELS = [m for m in os.environ.get("MODELS", "").split(",") if m]
REQUEST_PREFIX = os.environ.get("REQUEST_LOG_PREFIX", "inference-logs")
WINDOW = datetime.timedelta(hours=float(os.environ.get("WINDOW_HOURS", "24")))
ENDPOINT = os.environ.get("AWS_ENDPOINT_URL")


def filesystem():
    # ImportError here means the image lacks s3fs: fail the whole job loudly, once.
    return fsspec.filesystem("s3", client_kwargs={"endpoint_url": ENDPOINT} if ENDPOINT else {})


def _decoded(value):
    if not isinstance(value, str):
        return value
    for decode in (lambda v: v, lambda v: base64.b64decode(v, validate=True).decode()):
        try:
            return json.loads(decode(value))
        except (ValueError, UnicodeDecodeError):
            continue
    return value


def request_bodies(obj, depth=0):
    """Request bodies (V1 `instances` or V2 `inputs`) anywhere in a logged record."""
    obj = _decoded(obj)
    if depth > 4:
        return
    if isinstance(obj, dict):
        if "instances" in obj or "inputs" in obj:
            yield obj
            return
        for value in obj.values():
            yield from request_bodies(value, depth + 1)
    elif isinstance(obj, list):
        for value in obj:
            yield from request_bodies(value, depth + 1)


def rows(body, columns):
    """Rows of a request body as dicts keyed by the reference columns."""
    if "instances" in body:
        for inst in body["instances"]:
            if isinstance(inst, dict):
                yield inst
            elif isinstance(inst, list) and len(inst) == len(columns):
                yield dict(zip(columns, inst))
        return
    inputs = body.get("inputs") or []
    if len(inputs) == 1 and len(inputs[0].get("shape", [])) == 2:
        n, k = inputs[0]["shape"]
        data = inputs[0]["data"]
        flat = [x for row in data for x in row] if data and isinstance(data[0], list) else data
        if k == len(columns):
            for i in range(n):
                yield dict(zip(columns, flat[i * k : (i + 1) * k]))
        return
    named = {i.get("name"): i.get("data", []) for i in inputs}
    if named and all(c in named for c in columns):
        for values in zip(*(named[c] for c in columns)):
            yield dict(zip(columns, values))


def records(text):
    try:
        yield json.loads(text)
    except ValueError:
        for line in text.splitlines():
            if line.strip():
                yield json.loads(line)


def logged_requests(fs, model, columns, now):
    prefix = f"{BUCKET}/{REQUEST_PREFIX}/{model}"
    if not fs.exists(prefix):
        return None
    found = []
    for path, info in sorted(fs.find(prefix, detail=True).items()):
        modified = info.get("LastModified")
        if isinstance(modified, datetime.datetime) and now - modified > WINDOW:
            continue
        with fs.open(path, "rb") as f:
            text = f.read().decode("utf-8")
        for record in records(text):
            for body in request_bodies(record):
                found.extend(rows(body, columns))
    return pd.DataFrame(found, columns=columns) if found else None


def drifted_share(snapshot):
    for metric in snapshot.dict().get("metrics", []):
        value = metric.get("value")
        if str(metric.get("metric_name", "")).startswith("DriftedColumnsCount") and isinstance(value, dict):
            return value.get("share")
    return None


def report(fs, model, now, stamp):
    base = f"{BUCKET}/drift/{model}"
    if not fs.exists(f"{base}/reference.parquet"):
        print(f"{model}: no reference data at s3://{base}/reference.parquet; skipped")
        return
    with fs.open(f"{base}/reference.parquet", "rb") as f:
        reference = pd.read_parquet(f)
    if fs.exists(f"{base}/current.parquet"):
        with fs.open(f"{base}/current.parquet", "rb") as f:
            current = pd.read_parquet(f)
        source = f"s3://{base}/current.parquet"
    else:
        current = logged_requests(fs, model, list(reference.columns), now)
        source = f"s3://{BUCKET}/{REQUEST_PREFIX}/{model}/ (last {WINDOW})"
    if current is None or current.empty:
        print(f"{model}: no current data ({source}); skipped")
        return
    snapshot = Report([DataDriftPreset()]).run(current_data=current, reference_data=reference)
    html, data = f"/tmp/{model}.html", f"/tmp/{model}.json"
    snapshot.save_html(html)
    snapshot.save_json(data)
    fs.put(html, f"{base}/reports/{stamp}.html")
    fs.put(data, f"{base}/reports/{stamp}.json")
    print(f"{model}: {len(current)} rows from {source}; drifted column share {drifted_share(snapshot)}; "
          f"report s3://{base}/reports/{stamp}.json")


def main():
    fs = filesystem()
    now = datetime.datetime.now(datetime.timezone.utc)
    stamp = now.strftime("%Y-%m-%dT%H%M%SZ")
    failed = []
    for model in MODELS:
        try:
            report(fs, model, now, stamp)
        except Exception as exc:  # one model's bad data or permissions must not hide the others
            print(f"{model}: FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
            failed.append(model)
    if failed:
        sys.exit(f"drift reports failed for: {', '.join(failed)}")


if __name__ == "__main__":
    main()
'''


__all__ = [
    "DEPS_DIR", "EVIDENTLY_REQUIREMENT", "EVIDENTLY_VERSION", "PANDAS_REQUIREMENT", "PYTHON_IMAGE", "REQUEST_LOG_PREFIX", "WINDOW_HOURS",
    "drift_script", "install_command",
]  # fmt: skip
