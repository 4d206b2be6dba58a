"""With MLflow basic auth on, the whole plan still lets Prometheus scrape /metrics: the
ServiceMonitor authenticates with a Secret that exists in the ServiceMonitor's own namespace
(prometheus-operator resolves basicAuth Secrets there and nowhere else)."""

from __future__ import annotations

from mlplat.stacks import load_platform
from mlplat.stacks.plan.offline import run_offline

from tests.conftest import EXAMPLES


def test_tracking_monitor_reads_credentials_from_its_namespace(tmp_path):
    text = (EXAMPLES / "onprem.yaml").read_text()
    text = text.replace("  artifact_bucket: artifacts\n", "  artifact_bucket: artifacts\n  auth: {kind: basic}\n", 1)
    spec = tmp_path / "onprem.yaml"
    spec.write_text(text)
    plan = run_offline(load_platform(spec, "prod"))
    monitor = next(r for r in plan.resources if r.inputs.get("kind") == "ServiceMonitor" and r.name.endswith("-tracking"))
    endpoint = monitor.get("spec.endpoints.0")
    secret_name = endpoint["basicAuth"]["password"]["name"]
    secrets = [
        r for r in plan.resources
        if r.inputs.get("kind") == "Secret" and r.get("metadata.name") == secret_name
        and r.get("metadata.namespace") == monitor.get("metadata.namespace")
    ]  # fmt: skip
    assert len(secrets) == 1, (secret_name, monitor.get("metadata.namespace"))
    assert monitor.get("metadata.namespace") == "research-prod-tracking"
