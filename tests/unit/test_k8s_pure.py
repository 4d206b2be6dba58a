"""Pure Kubernetes builders of modules/k8s.py (no Pulumi runtime)."""

from __future__ import annotations

import pytest
from mlplat.modules import data_services, tenancy
from mlplat.modules import k8s as kx
from mlplat.modules.common import Context
from mlplat.stacks.platform_spec.model import Quota


def ctx(provider: str = "aws") -> Context:
    return Context("churn", "prod", provider, "us-east-1", {}, True, False, False, 30)


def test_namespace_name_is_deterministic():
    assert kx.namespace_name(ctx(), "feature_store") == "churn-prod-feature-store"


@pytest.mark.parametrize("image", ["nginx", "nginx:latest", "ghcr.io/x/y:", "registry:5000/app"])
def test_unpinned_images_are_rejected(image):
    with pytest.raises(kx.ImageNotPinned):
        kx.pinned_image(image)


@pytest.mark.parametrize("image", ["nginx:1.27.2", "registry:5000/app:v1", "ghcr.io/a/b@sha256:" + "0" * 64])
def test_pinned_images_pass(image):
    assert kx.pinned_image(image) == image


def test_secure_container_is_hardened():
    c = kx.secure_container(
        "app", "ghcr.io/acme/app:1.2.3", ports={"http": 8080}, cpu="250m", memory="256Mi",
        liveness=kx.http_probe("/healthz", "http"), readiness=kx.http_probe("/ready", "http"),
    )  # fmt: skip
    sc = c["securityContext"]
    assert sc["runAsNonRoot"] is True and sc["runAsUser"] > 0
    assert sc["allowPrivilegeEscalation"] is False and sc["privileged"] is False
    assert sc["capabilities"] == {"drop": ["ALL"]}
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
    assert c["imagePullPolicy"] == "IfNotPresent"
    assert c["resources"] == {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}}
    assert {"name": "tmp", "mountPath": "/tmp"} in c["volumeMounts"]
    assert c["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    assert isinstance(c["ports"][0]["containerPort"], int)
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}


def test_long_running_containers_need_probes():
    with pytest.raises(ValueError, match="probes"):
        kx.secure_container("app", "acme/app:1")
    job = kx.secure_container("job", "acme/app:1", batch=True)
    assert "livenessProbe" not in job


def test_pod_spec_adds_tmp_volume_and_disables_token():
    c = kx.secure_container("job", "acme/app:1", batch=True)
    spec = kx.pod_spec([c])
    assert spec["automountServiceAccountToken"] is False
    assert spec["volumes"] == [{"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}}]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}


def test_gpu_resources_in_requests_and_limits():
    r = kx.resources("2", "8Gi", gpu=1)
    assert r["requests"]["nvidia.com/gpu"] == "1" and r["limits"]["nvidia.com/gpu"] == "1"
    assert r["limits"]["cpu"] == "4000m"


@pytest.mark.parametrize("value,expected", [(2, "2"), (0.5, "500m"), ("1Gi", "1Gi"), (1.0, "1")])
def test_quantities_are_strings(value, expected):
    assert kx.quantity(value) == expected


def test_network_policies_default_deny_and_narrow_allows():
    specs = dict(tenancy.network_policy_specs(ctx(), "tracking", tenancy.NetworkAccess(
        platform_ingress_ports=(5000,), ingress_controller_ports=(5000,), cidr_egress=(("10.0.0.0/16", (5432,)),))))
    assert specs["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    dns = specs["allow-dns"]["egress"][0]
    assert {"protocol": "UDP", "port": 53} in dns["ports"]
    mon = specs["allow-monitoring"]["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"]
    assert mon == {"mlplat.io/platform": "churn", "mlplat.io/environment": "prod", "mlplat.io/component": "monitoring"}
    assert specs["allow-platform-ingress"]["ingress"][0]["ports"] == [{"protocol": "TCP", "port": 5000}]
    egress = specs["allow-egress"]["egress"]
    assert egress[0]["to"][0]["ipBlock"] == {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}
    assert egress[1] == {"to": [{"ipBlock": {"cidr": "10.0.0.0/16"}}], "ports": [{"protocol": "TCP", "port": 5432}]}


def test_monitoring_namespace_does_not_allow_itself_twice():
    names = [n for n, _ in tenancy.network_policy_specs(ctx(), "monitoring", tenancy.NetworkAccess())]
    assert "allow-monitoring" not in names and names[0] == "default-deny"


def test_pod_security_labels():
    labels = tenancy.pod_security_labels(tenancy.PSA_BASELINE)
    assert labels["pod-security.kubernetes.io/enforce"] == "baseline"
    assert labels["pod-security.kubernetes.io/warn"] == "restricted"
    with pytest.raises(ValueError):
        tenancy.pod_security_labels("lenient")


def test_quota_from_spec():
    assert tenancy.quota_hard(None) == {}
    hard = tenancy.quota_hard(Quota(cpu="32", memory="128Gi", gpu=4))
    assert hard == {
        "requests.cpu": "32", "limits.cpu": "32", "requests.memory": "128Gi", "limits.memory": "128Gi",
        "requests.nvidia.com/gpu": "4",
    }  # fmt: skip


def test_postgres_url_escapes_credentials():
    url = data_services.postgres_url("db", 5432.0, "ml user", "p@ss:w/rd#", "mlflow", sslmode="require")
    assert url == "postgresql://ml%20user:p%40ss%3Aw%2Frd%23@db:5432/mlflow?sslmode=require"


def test_create_database_script_is_idempotent_and_quoted():
    script = data_services.create_database_script("air-flow")
    assert "datname='air_flow'" in script and 'CREATE DATABASE \\"air_flow\\"' not in script
    assert "CREATE DATABASE \"air_flow\"" in script


def test_minio_bucket_script():
    s = data_services.minio_bucket_script("mlplat", [("churn-prod-artifacts", True, None), ("churn-prod-logs", False, 30)])
    assert "mc mb --ignore-existing mlplat/churn-prod-artifacts" in s
    assert "mc version enable mlplat/churn-prod-artifacts" in s
    assert "mc version enable mlplat/churn-prod-logs" not in s
    assert "--expire-days 30 mlplat/churn-prod-logs" in s


def test_s3_access_policy_is_scoped():
    p = kx.s3_access_policy(["arn:aws:s3:::b"], write=True, kms_key_arns=["arn:aws:kms:us-east-1:1:key/k"])
    list_stmt, obj_stmt, kms_stmt = p["Statement"]
    assert list_stmt["Resource"] == ["arn:aws:s3:::b"]
    assert obj_stmt["Resource"] == ["arn:aws:s3:::b/*"]
    assert set(obj_stmt["Action"]) == {"s3:GetObject", "s3:PutObject"}
    assert kms_stmt["Resource"] == ["arn:aws:kms:us-east-1:1:key/k"]
    assert all("*" != r for s in p["Statement"] for r in s["Resource"])
    ro = kx.s3_access_policy(["arn:aws:s3:::b"], write=False)
    assert ro["Statement"][1]["Action"] == ["s3:GetObject"] and len(ro["Statement"]) == 2


def test_hpa_and_pdb():
    hpa = kx.hpa_spec("Deployment", "mlflow", 2, 4)
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 4)
    assert kx.pdb_spec({"a": "b"}, 3)["minAvailable"] == 2
    assert kx.pdb_spec({"a": "b"}, 1) == {"maxUnavailable": 1, "selector": {"matchLabels": {"a": "b"}}}
