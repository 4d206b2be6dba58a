"""Reaching the platform: the AWS Load Balancer Controller, one ALB with TLS, only what is exposed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mlplat.stacks import SpecError, load_platform
from mlplat.stacks.plan.offline import run_offline

UPSTREAM = Path(__file__).resolve().parents[1] / "upstream" / "charts" / "aws-load-balancer-controller" / "3.5.0"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b"

AWS = f"""\
apiVersion: mlplat.io/v1alpha1
kind: Platform
metadata: {{name: churn}}
target: {{provider: aws, region: us-east-1}}
network: {{cidr: 10.40.0.0/16}}
storage: {{buckets: [{{name: artifacts, purpose: artifacts}}]}}
cluster: {{node_pools: [{{name: system, instance_type: m6i.large}}]}}
tracking: {{auth: {{kind: basic, admin_password: {{from_env: MLFLOW_PW}}}}}}
monitoring: {{grafana: {{enabled: true}}}}
ingress:
  host: ml.acme.example
  certificate_arn: {CERT}
  expose: [grafana]
environments: {{prod: {{profile: prod}}}}
"""
ONPREM = """\
apiVersion: mlplat.io/v1alpha1
kind: Platform
metadata: {name: lab}
target: {provider: kubernetes, context: lab, ingress_class: nginx-internal}
storage: {buckets: [{name: artifacts, purpose: artifacts}]}
tracking: {auth: {kind: basic, admin_password: {from_env: MLFLOW_PW}}}
ingress: {host: ml.lab.example, tls_secret: ml-tls, expose: [tracking]}
environments: {prod: {profile: prod}}
"""


def plan(write_spec, text, env="prod"):
    return run_offline(load_platform(write_spec(text), env))


def test_controller_pinned_with_upstream_iam_policy_and_known_values(write_spec):
    p = plan(write_spec, AWS)
    lbc = p.named("ingress-lbc")
    assert lbc is not None
    assert (lbc.inputs["chart"], lbc.inputs["version"]) == ("aws-load-balancer-controller", "3.5.0")
    assert lbc.inputs["repositoryOpts"]["repo"] == "https://aws.github.io/eks-charts"
    keys = set(json.loads((UPSTREAM / "values-keys.json").read_text())["keys"])

    def paths(d, prefix=""):
        for k, v in d.items():
            path = f"{prefix}{k}"
            yield path
            if isinstance(v, dict) and path not in ("serviceAccount.annotations", "resources"):
                yield from paths(v, path + ".")

    assert set(paths(lbc.inputs["values"])) <= keys  # every value path exists in chart 3.5.0
    policy = p.named("ingress-lbc-irsa-policy")
    assert policy is not None
    # Verbatim upstream docs/install/iam_policy.json at v3.5.0 (tests/upstream/PROVENANCE.md).
    upstream = json.loads((Path(__file__).resolve().parents[2] / "modules" /
                           "aws_load_balancer_controller_iam_policy.json").read_text())  # fmt: skip
    assert json.loads(policy.inputs["policy"]) == upstream
    assert len(upstream["Statement"]) == 16
    assert policy.urn in lbc.dependencies  # the controller starts with its permissions attached


def test_only_what_is_exposed_gets_an_ingress_with_tls(write_spec):
    p = plan(write_spec, AWS)
    ingresses = p.of_type("kubernetes:networking.k8s.io/v1:Ingress")
    assert [i.name for i in ingresses] == ["ingress-churn-prod-monitoring"]  # tracking is not exposed
    (ing,) = ingresses
    ann = ing.inputs["metadata"]["annotations"]
    assert ing.inputs["spec"]["ingressClassName"] == "alb"
    assert ann["alb.ingress.kubernetes.io/certificate-arn"] == CERT
    assert ann["alb.ingress.kubernetes.io/scheme"] == "internal"
    assert ann["alb.ingress.kubernetes.io/ssl-redirect"] == "443"
    assert ann["alb.ingress.kubernetes.io/group.name"] == "churn-prod-platform"
    (rule,) = ing.inputs["spec"]["rules"]
    assert rule["host"] == "grafana.ml.acme.example"
    assert rule["http"]["paths"][0]["backend"]["service"] == {
        "name": "kube-prometheus-stack-grafana", "port": {"number": 80}
    }  # fmt: skip
    assert p.named("ingress-lbc").urn in ing.dependencies  # the controller's webhook answers first
    netpol = p.named("ingress-churn-prod-monitoring-allow-alb")
    assert netpol is not None
    # Grafana's container port (3000), from the VPC where the ALB's addresses are.
    assert netpol.inputs["spec"]["ingress"] == [
        {"from": [{"ipBlock": {"cidr": "10.40.0.0/16"}}], "ports": [{"protocol": "TCP", "port": 3000}]}
    ]


def test_kubernetes_target_uses_its_ingress_class_and_tls_secret(write_spec):
    p = plan(write_spec, ONPREM)
    assert p.named("ingress-lbc") is None  # the cluster brings its controller
    (ing,) = p.of_type("kubernetes:networking.k8s.io/v1:Ingress")
    assert ing.inputs["spec"]["ingressClassName"] == "nginx-internal"
    assert ing.inputs["spec"]["tls"] == [{"hosts": ["mlflow.ml.lab.example"], "secretName": "ml-tls"}]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("tracking: {auth: {kind: basic, admin_password: {from_env: MLFLOW_PW}}}", "tracking: {auth: {kind: none}}"),
         "ingress.expose[0]: an exposed MLflow must require a login"),
        (("ingress_class: nginx-internal", "storage_class: x"), "target.ingress_class: ingress.expose on a kubernetes target"),
        (("expose: [tracking]", "expose: [trackng]"), "cannot expose 'trackng'; did you mean 'tracking'?"),
    ],
)  # fmt: skip
def test_exposure_rules_are_located(write_spec, edit, expected):
    with pytest.raises(SpecError) as info:
        load_platform(write_spec(ONPREM.replace(*edit)), "prod")
    assert expected in str(info.value)


def test_aws_exposure_needs_a_certificate(write_spec):
    with pytest.raises(SpecError) as info:
        load_platform(write_spec(AWS.replace(f"  certificate_arn: {CERT}\n", "")), "prod")
    assert "ingress.certificate_arn: exposing on aws needs an ACM certificate ARN" in str(info.value)
