"""Run one workload component under the offline engine's recording mocks; get a Plan back.

Same recorder as `mlplat.stacks.plan.offline` (wire names, "<unknown>", "<secret>"), but the program
is any function, so a component is tested on its own with hand-made endpoints. Each run gets a
fresh event loop and reset settings (DESIGN 6).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from mlplat.modules.common import BucketRef, ClusterRef, Context, DatabaseEndpoint, NetworkRef
from mlplat.stacks import load_platform
from mlplat.stacks.plan.model import Plan, PlanResource
from mlplat.stacks.plan.offline import run_program

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


OFFLINE_ACCOUNT = "123456789012"  # what the offline engine's STS answers (stacks/plan/offline.py)


def context(spec: str = "platform", env: str = "prod") -> Context:
    """As the Platform component sets it up: on aws with the deploying account (bucket names carry it)."""
    ctx = Context.from_resolved(load_platform(EXAMPLES / f"{spec}.yaml", env))
    if ctx.aws:
        ctx.account_id = OFFLINE_ACCOUNT
    return ctx


def run(program: Callable[[], Any], region: str | None = "us-east-1") -> Plan:
    return Plan("test", "test", run_program(program, "test", "test", region))


def cluster(aws: bool = True) -> ClusterRef:
    provider = k8s.Provider("k8s", kubeconfig="{}")
    if aws:
        return ClusterRef(
            provider=provider,
            name="churn-prod-cluster",
            oidc_provider_arn="arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC",
            oidc_issuer="oidc.eks.us-east-1.amazonaws.com/id/ABC",
            gpu=True,
        )
    return ClusterRef(provider=provider, name="onprem")


def network() -> NetworkRef:
    return NetworkRef(vpc_id="vpc-1", vpc_cidr="10.40.0.0/16", private_subnet_ids=["s-1", "s-2"], public_subnet_ids=["p-1"])


def bucket(ctx: Context, name: str, minio: bool = False) -> BucketRef:
    phys = ctx.bucket_name(name) if ctx.aws else ctx.name(name)
    if minio:
        return BucketRef(name, phys, f"arn:aws:s3:::{phys}", endpoint="http://minio.x.svc.cluster.local:9000",
                         access_key=pulumi.Output.secret("AK"), secret_key=pulumi.Output.secret("SK"))
    return BucketRef(name, phys, f"arn:aws:s3:::{phys}", kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/k")


def database() -> DatabaseEndpoint:
    return DatabaseEndpoint(host="db.example.internal", port=5432, username="mlplat",
                            password=pulumi.Output.secret("pw"), database="tracking")


# ----------------------------------------------------------------------------- assertions helpers

# Kubeflow Pipelines' upstream manifests, applied as published (templates/kfp/): not first-party.
VENDORED = "orchestrator-kfp-"
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job", "CronJob", "DaemonSet")


def pod_spec_of(r: PlanResource) -> dict[str, Any] | None:
    kind = r.inputs.get("kind")
    if kind == "CronJob":
        return r.get("spec.jobTemplate.spec.template.spec")
    if kind in WORKLOAD_KINDS:
        return r.get("spec.template.spec")
    return None


def pod_labels_of(r: PlanResource) -> dict[str, Any]:
    kind = r.inputs.get("kind")
    path = "spec.jobTemplate.spec.template.metadata.labels" if kind == "CronJob" else "spec.template.metadata.labels"
    return r.get(path) or {}


def containers(plan: Plan) -> list[tuple[PlanResource, dict[str, Any], bool]]:
    """(resource, container, batch?) for every first-party container in the plan."""
    out = []
    for r in plan.resources:
        if r.name.startswith(VENDORED):
            continue
        spec = pod_spec_of(r)
        if spec is None:
            continue
        batch = r.inputs.get("kind") in ("Job", "CronJob")
        for c in spec.get("initContainers", []) + spec.get("containers", []):
            out.append((r, c, batch))
    return out


def k8s_objects(plan: Plan) -> list[PlanResource]:
    return [r for r in plan.resources if r.custom and r.type.startswith("kubernetes:") and "kind" in r.inputs
            and not r.type.startswith("kubernetes:helm")]


def manifest(r: PlanResource) -> dict[str, Any]:
    """The manifest of a plan resource (floats that are whole numbers become ints)."""

    def ints(v: Any) -> Any:
        if isinstance(v, float) and v.is_integer():
            return int(v)
        if isinstance(v, dict):
            return {k: ints(x) for k, x in v.items()}
        if isinstance(v, list):
            return [ints(x) for x in v]
        return v

    doc = ints(dict(r.inputs))
    for key in ("stringData", "data"):  # pulumi-kubernetes marks a Secret's data secret as a whole
        if doc.get("kind") == "Secret" and doc.get(key) in ("<secret>", "<unknown>"):
            doc[key] = {}
    return doc


def assert_hardened(plan: Plan) -> int:
    """Every first-party container and pod is hardened; returns the number of containers checked."""
    n = 0
    for r, c, batch in containers(plan):
        where = f"{r.name}/{c['name']}"
        img = c["image"]
        assert ":" in img.rsplit("/", 1)[-1] and not img.endswith(":latest"), where
        assert c["imagePullPolicy"] == "IfNotPresent", where
        sc = c["securityContext"]
        assert sc["runAsNonRoot"] is True and sc["allowPrivilegeEscalation"] is False, where
        assert sc["capabilities"]["drop"] == ["ALL"], where
        assert sc["seccompProfile"]["type"] == "RuntimeDefault", where
        assert sc["runAsUser"] > 0, where
        res = c["resources"]
        assert res["requests"]["cpu"] and res["requests"]["memory"], where
        assert res["limits"]["cpu"] and res["limits"]["memory"], where
        if not batch:
            assert "livenessProbe" in c and "readinessProbe" in c, where
        if sc.get("readOnlyRootFilesystem"):
            spec = pod_spec_of(r) or {}
            mounts = {m["mountPath"] for m in c.get("volumeMounts", [])}
            assert "/tmp" in mounts, where
            assert any(v["name"] == "tmp" for v in spec.get("volumes", [])), where
        n += 1
    for r in plan.resources:
        spec = pod_spec_of(r)
        if spec is None or r.name.startswith(VENDORED):
            continue
        assert spec["securityContext"]["runAsNonRoot"] is True, r.name
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", r.name
        assert spec.get("automountServiceAccountToken") is not None, r.name
        labels = pod_labels_of(r)
        assert labels.get("app.kubernetes.io/managed-by") == "mlplat", r.name
        assert "mlplat.io/platform" in labels and "mlplat.io/component" in labels, r.name
    return n


def assert_labelled(plan: Plan) -> None:
    """Ownership labels on every Kubernetes object; logical names unique (plan lookups by name)."""
    names = [r.name for r in plan.resources]
    assert len(names) == len(set(names)), sorted(n for n in set(names) if names.count(n) > 1)
    for r in k8s_objects(plan):
        labels = r.labels
        assert labels.get("app.kubernetes.io/managed-by") == "mlplat", r.name
        for key in ("mlplat.io/platform", "mlplat.io/environment", "mlplat.io/component"):
            assert key in labels, (r.name, key)


def assert_valid_manifests(plan: Plan, version: str = "1.31.0") -> int:
    """Core objects validate strictly with kubernetes-validate; returns the number validated."""
    import kubernetes_validate

    n = 0
    for r in k8s_objects(plan):
        doc = manifest(r)
        try:
            kubernetes_validate.validate(doc, version, strict=True)
            n += 1
        except kubernetes_validate.SchemaNotFoundError:
            assert "." in doc["apiVersion"].split("/")[0], r.name
    return n
