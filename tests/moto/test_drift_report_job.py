"""The drift-report job's script, run for real: evidently 0.7.23 + s3fs against a moto S3 server.

Small parquet reference data and request records shaped like KServe's request logger output
(V1 `instances` and V2 `inputs`, one JSON record per object, some nested in an envelope) go into
a bucket; the script runs in a subprocess exactly as the CronJob runs it (env only), and must write
an HTML and a JSON report per model that has data.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("evidently")
pytest.importorskip("s3fs")

from mlplat.modules.monitoring import drift_script  # noqa: E402

BUCKET = "churn-prod-artifacts"
COLUMNS = ["tenure", "charges", "calls"]


@pytest.fixture
def s3(moto_server):
    import boto3

    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST"), timeout=10).read()
    client = boto3.client("s3", endpoint_url=moto_server, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    return client


def _parquet(client, key: str, frame) -> None:
    import io

    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    client.put_object(Bucket=BUCKET, Key=key, Body=buf.getvalue())


def _reference(n: int = 60):
    return pd.DataFrame({"tenure": [float(i % 30) for i in range(n)], "charges": [20.0 + i % 50 for i in range(n)],
                         "calls": [float(i % 7) for i in range(n)]})  # fmt: skip


def _run(tmp_path: Path, endpoint: str, models: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "drift_report.py"
    script.write_text(drift_script())
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        REPORT_BUCKET=BUCKET, MODELS=models, AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true",
        HOME=str(tmp_path), WINDOW_HOURS="24",
    )  # fmt: skip
    return subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)  # fmt: skip


def _reports(client, model: str) -> dict[str, bytes]:
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix=f"drift/{model}/reports/").get("Contents", [])
    return {o["Key"]: client.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in listed}


def test_report_from_logged_requests(s3, moto_server, tmp_path):
    _parquet(s3, "drift/churn-classifier/reference.parquet", _reference())
    # Shifted traffic: tenure and charges far outside the reference range.
    v1 = {"instances": [[100.0 + i, 500.0 + i, float(i % 7)] for i in range(30)]}
    v2 = {"inputs": [{"name": "input-0", "shape": [20, 3], "datatype": "FP64",
                      "data": [x for i in range(20) for x in (90.0 + i, 400.0 + i, float(i % 7))]}]}  # fmt: skip
    envelope = {"id": "req-2", "type": "request", "body": base64.b64encode(json.dumps(v2).encode()).decode()}
    response = {"id": "req-1", "type": "response", "body": {"predictions": [0, 1]}}  # ignored: not a request
    s3.put_object(Bucket=BUCKET, Key="inference-logs/churn-classifier/req-1.json", Body=json.dumps(v1))
    s3.put_object(Bucket=BUCKET, Key="inference-logs/churn-classifier/req-2.json", Body=json.dumps(envelope))
    s3.put_object(Bucket=BUCKET, Key="inference-logs/churn-classifier/resp-1.json", Body=json.dumps(response))

    run = _run(tmp_path, moto_server, "churn-classifier,never-served")
    assert run.returncode == 0, run.stderr[-3000:]
    assert "never-served: no reference data" in run.stdout
    assert "churn-classifier: 50 rows from" in run.stdout, run.stdout  # 30 V1 rows + 20 V2 rows
    reports = _reports(s3, "churn-classifier")
    assert sorted(k.rsplit(".", 1)[1] for k in reports) == ["html", "json"], list(reports)
    report = json.loads(next(v for k, v in reports.items() if k.endswith(".json")))
    drifted = [m["value"] for m in report["metrics"] if str(m.get("metric_name")).startswith("DriftedColumnsCount")]
    assert drifted and drifted[0]["count"] >= 2, drifted  # tenure and charges moved
    assert b"<html" in next(v for k, v in reports.items() if k.endswith(".html")).lower()
    assert _reports(s3, "never-served") == {}


def test_explicit_current_parquet_and_one_failing_model(s3, moto_server, tmp_path):
    _parquet(s3, "drift/a/reference.parquet", _reference())
    _parquet(s3, "drift/a/current.parquet", _reference(40))
    s3.put_object(Bucket=BUCKET, Key="drift/b/reference.parquet", Body=b"not parquet")
    s3.put_object(Bucket=BUCKET, Key="drift/b/current.parquet", Body=b"not parquet")

    run = _run(tmp_path, moto_server, "b,a")
    # b fails, a still gets its report, and the job says so with a non-zero exit.
    assert run.returncode == 1, (run.stdout, run.stderr[-2000:])
    assert "b: FAILED" in run.stderr and "drift reports failed for: b" in run.stderr
    assert len(_reports(s3, "a")) == 2
    report = json.loads(next(v for k, v in _reports(s3, "a").items() if k.endswith(".json")))
    drifted = [m["value"] for m in report["metrics"] if str(m.get("metric_name")).startswith("DriftedColumnsCount")]
    assert drifted[0]["count"] == 0  # same distribution
