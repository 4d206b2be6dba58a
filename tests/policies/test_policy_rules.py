"""Every rule: a passing and a failing fixture, asserting the exact set of failing resources.

Plan rules run on hand-made plans shaped like the offline engine's (wire names, floats,
"<unknown>"); spec rules on small specs resolved in an environment. A meta-test checks that
every registered rule has a case here.
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mlplat.policies.base import PlanContext, PlanRule, SpecContext, SpecRule, all_rules, rule_by_id
from mlplat.stacks.plan.model import SECRET, UNKNOWN, Plan, PlanResource
from mlplat.stacks.platform_spec.resolve import load_platform

from .builders import (
    BASE_SPEC,
    BUCKET,
    GPU_TAINT,
    bucket,
    cache,
    container,
    deployment,
    eks_cluster,
    k8s,
    kms_key,
    labels,
    network,
    network_policy,
    node_group,
    plan,
    rds,
    res,
    tags,
    write,
)

TODAY = dt.date(2026, 6, 1)


@dataclass
class PlanCase:
    good: Callable[[], Plan]
    bad: Callable[[], Plan]
    failing: set[str]
    env: str = "prod"


@dataclass
class SpecCase:
    good: str  # spec body (under the base header)
    bad: str
    failing: set[str]
    env: str = "prod"
    header: str = BASE_SPEC


def S(body: str) -> str:
    """A spec body under a cluster (and an artifact bucket: tracking needs one)."""
    return CLUSTER_SPEC + textwrap.dedent(body)


def _net_with_groups(public: bool) -> Plan:
    n = network()
    groups = [node_group("system", subnets=[n["private"]])]
    groups.append(
        node_group(
            "gpu",
            "g5.xlarge",
            ami="AL2023_x86_64_NVIDIA",
            taints=[GPU_TAINT],
            subnets=[n["public"] if public else n["private"]],
        )
    )
    return plan(n["all"], groups)


def _role(name: str, condition: dict[str, Any] | None) -> Any:
    stmt: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Federated": UNKNOWN},
        "Action": "sts:AssumeRoleWithWebIdentity",
    }
    if condition is not None:
        stmt["Condition"] = condition
    return res(
        "aws:iam/role:Role",
        name,
        {"assumeRolePolicy": json.dumps({"Version": "2012-10-17", "Statement": [stmt]})},
        component="tracking",
    )


ALB_TLS = {
    "alb.ingress.kubernetes.io/certificate-arn": "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-4978-8a9b-0c1d2e3f4a5b",
    "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
    "alb.ingress.kubernetes.io/ssl-redirect": "443",
}


def _ingress(name: str, class_name: str, annotations: dict[str, str], tls: list[Any] | None = None) -> Any:
    spec: dict[str, Any] = {"ingressClassName": class_name, "rules": [{"host": "a.x"}]}
    if tls is not None:
        spec["tls"] = tls
    return res(
        "kubernetes:networking.k8s.io/v1:Ingress",
        name,
        {"metadata": {"name": name, "namespace": "ml", "annotations": annotations}, "spec": spec},
        component="ingress",
    )


IRSA_COND = {
    "StringEquals": {
        "oidc.eks/id/X:sub": "system:serviceaccount:ns:sa",
        "oidc.eks/id/X:aud": "sts.amazonaws.com",
    }
}


def _policy(name: str, statements: list[dict[str, Any]]) -> Any:
    return res(
        "aws:iam/rolePolicy:RolePolicy",
        name,
        {"role": UNKNOWN, "policy": json.dumps({"Version": "2012-10-17", "Statement": statements})},
        component="cluster",
    )


CLUSTER_SPEC = """
cluster:
  node_pools:
    - {name: system, instance_type: m6i.large, min_size: 2, max_size: 4}
storage:
  buckets: [{name: art, purpose: artifacts, versioning: true}]
"""

PLAN_CASES: dict[str, PlanCase] = {
    # ------------------------------------------------------------------ storage
    "MLP-STO-001": PlanCase(
        lambda: plan(kms_key(), bucket("a"), bucket("b")),
        lambda: plan(bucket("a"), bucket("b", sse="AES256"), bucket("c", sse=None)),
        {"storage-b", "storage-c"},
    ),
    "MLP-STO-002": PlanCase(
        lambda: plan(
            bucket("art", "artifacts"),
            bucket("data", "dvc"),
            bucket("docs", "data-docs", versioning="Suspended"),
        ),
        lambda: plan(
            bucket("art", "artifacts", versioning="Suspended"),
            bucket("data", "dvc", versioning=None),
            bucket("docs", "data-docs", versioning="Suspended"),
            bucket("ok", "artifacts"),
        ),
        {"storage-art", "storage-data"},
    ),
    "MLP-STO-003": PlanCase(
        lambda: plan(bucket("a"), bucket("b", "logs")),
        lambda: plan(bucket("a"), bucket("b", versioning="Suspended"), bucket("c", versioning=None)),
        {"storage-b", "storage-c"},
    ),
    "MLP-STO-004": PlanCase(
        lambda: plan(bucket("a"), bucket("b")),
        lambda: plan(
            bucket("a"), bucket("b", pab="absent"), bucket("c", pab={"restrictPublicBuckets": False})
        ),
        {"storage-b", "storage-c"},
    ),
    "MLP-STO-005": PlanCase(
        lambda: plan(bucket("a")),
        lambda: plan(
            bucket("a"),
            bucket("b", policy=None),
            bucket(
                "c", policy={"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}]}
            ),
        ),
        {"storage-b", "storage-c"},
    ),
    "MLP-STO-006": PlanCase(
        lambda: plan(bucket("a")),
        lambda: plan(bucket("a"), bucket("b", ownership="BucketOwnerPreferred"), bucket("c", ownership=None)),
        {"storage-b", "storage-c"},
    ),
    "MLP-STO-007": PlanCase(
        lambda: plan(kms_key("k1"), kms_key("k2")),
        lambda: plan(kms_key("k1"), kms_key("k2", rotation=False), kms_key("k3", rotation=None)),
        {"k2", "k3"},
    ),
    "MLP-STO-008": PlanCase(
        lambda: plan(bucket("a"), kms_key(), rds(), cache()),
        lambda: plan(
            bucket("a", protect=False),
            kms_key(protect=False),
            rds(protect=True),
            res(
                "aws:rds/instance:Instance", "orchestrator-db", {"identifier": "x"}, component="orchestrator"
            ),
        ),
        {"storage-a", "storage-kms", "orchestrator-db"},
    ),
    "MLP-STO-009": PlanCase(
        lambda: plan(bucket("a"), bucket("b")),
        lambda: plan(bucket("a"), bucket("b", force_destroy=True)),
        {"storage-b"},
    ),
    # ------------------------------------------------------------------ network
    "MLP-NET-001": PlanCase(lambda: _net_with_groups(False), lambda: _net_with_groups(True), {"cluster-gpu"}),
    "MLP-NET-002": PlanCase(
        lambda: plan(network()["all"]),
        lambda: plan(network(flow_log=False)["all"]),
        {"network-vpc"},
    ),
    "MLP-NET-003": PlanCase(
        lambda: plan(network()["all"]),
        lambda: plan(network(public_ip=True)["all"]),
        {"network-public-a"},
    ),
    "MLP-NET-004": PlanCase(
        lambda: plan(network()["all"]),
        lambda: plan(network(default_sg="open")["all"]),
        {"network-vpc"},
    ),
    "MLP-NET-005": PlanCase(
        lambda: plan(
            res(
                "aws:ec2/securityGroup:SecurityGroup",
                "tracking-db-sg",
                {
                    "ingress": [
                        {
                            "protocol": "tcp",
                            "fromPort": 5432.0,
                            "toPort": 5432.0,
                            "cidrBlocks": ["10.0.0.0/16"],
                        }
                    ]
                },
                component="tracking",
            ),
            res(
                "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                "tracking-db-ingress",
                {"cidrIpv4": "10.40.0.0/16", "fromPort": 5432.0, "toPort": 5432.0, "ipProtocol": "tcp"},
                component="tracking",
            ),
        ),
        lambda: plan(
            res(
                "aws:ec2/securityGroup:SecurityGroup",
                "tracking-db-sg",
                {
                    "ingress": [
                        {"protocol": "tcp", "fromPort": 22.0, "toPort": 22.0, "cidrBlocks": ["0.0.0.0/0"]}
                    ]
                },
                component="tracking",
            ),
            res(
                "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                "tracking-db-ingress",
                {"cidrIpv6": "::/0", "fromPort": 5432.0, "toPort": 5432.0, "ipProtocol": "tcp"},
                component="tracking",
            ),
            res(
                "aws:ec2/securityGroupRule:SecurityGroupRule",
                "egress-all",
                {"type": "egress", "cidrBlocks": ["0.0.0.0/0"]},
                component="tracking",
            ),
        ),
        {"tracking-db-sg", "tracking-db-ingress"},
    ),
    # ------------------------------------------------------------------ cluster
    "MLP-CLU-001": PlanCase(
        lambda: plan(eks_cluster()),
        lambda: plan(
            eks_cluster("cluster-a", vpcConfig={"endpointPublicAccess": True}),
            eks_cluster("cluster-b", vpcConfig={"subnetIds": [UNKNOWN]}),
            eks_cluster("cluster-c"),
        ),
        {"cluster-a", "cluster-b"},
    ),
    "MLP-CLU-008": PlanCase(
        lambda: plan(
            eks_cluster(),  # private: nothing to restrict
            eks_cluster(
                "cluster-office",
                vpcConfig={"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]},
            ),
        ),
        lambda: plan(
            eks_cluster("cluster-nocidrs", vpcConfig={"endpointPublicAccess": True}),  # EKS: 0.0.0.0/0
            eks_cluster(
                "cluster-world",
                vpcConfig={"endpointPublicAccess": True, "publicAccessCidrs": ["10.0.0.0/8", "0.0.0.0/0"]},
            ),
            eks_cluster("cluster-v6", vpcConfig={"endpointPublicAccess": "true", "publicAccessCidrs": ["::/0"]}),
            eks_cluster("cluster-default", vpcConfig={"subnetIds": [UNKNOWN]}),  # public by EKS default
            eks_cluster(
                "cluster-ok",
                vpcConfig={"endpointPublicAccess": True, "publicAccessCidrs": ["198.51.100.7/32"]},
            ),
        ),
        {"cluster-nocidrs", "cluster-world", "cluster-v6", "cluster-default"},
    ),
    "MLP-CLU-009": PlanCase(
        lambda: plan(
            res(
                "aws:eks/accessEntry:AccessEntry",
                "cluster-admin-0",
                {"principalArn": "arn:aws:iam::123456789012:role/ci-deployer"},
                component="cluster",
            ),
            res("aws:eks/accessEntry:AccessEntry", "cluster-admin-1", {"principalArn": UNKNOWN}, component="cluster"),
        ),
        lambda: plan(
            res(
                "aws:eks/accessEntry:AccessEntry",
                "cluster-admin-0",
                {"principalArn": "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_A_1"},
                component="cluster",
            ),
            res(
                "aws:eks/accessEntry:AccessEntry",
                "cluster-admin-1",
                {"principalArn": "arn:aws:iam::123456789012:user/alice"},
                component="cluster",
            ),
            res(
                "aws:eks/accessEntry:AccessEntry",
                "cluster-admin-2",
                {"principalArn": "arn:aws:iam::123456789012:root"},
                component="cluster",
            ),
        ),
        {"cluster-admin-1", "cluster-admin-2"},
    ),
    "MLP-NET-007": PlanCase(
        lambda: plan(
            _ingress("ing-alb", "alb", ALB_TLS),
            _ingress("ing-nginx", "nginx", {}, tls=[{"hosts": ["a.x"], "secretName": "x-tls"}]),
        ),
        lambda: plan(
            _ingress("ing-alb-ok", "alb", ALB_TLS),
            _ingress("ing-nocert", "alb", {**ALB_TLS, "alb.ingress.kubernetes.io/certificate-arn": ""}),
            _ingress("ing-http", "alb", {**ALB_TLS, "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP": 80}]'}),
            _ingress("ing-noredirect", "alb", {k: v for k, v in ALB_TLS.items() if not k.endswith("ssl-redirect")}),
            _ingress("ing-nginx", "nginx", {}),
        ),
        {"ing-nocert", "ing-http", "ing-noredirect", "ing-nginx"},
    ),
    "MLP-CLU-002": PlanCase(
        lambda: plan(eks_cluster()),
        lambda: plan(
            eks_cluster("cluster-a", enabledClusterLogTypes=["api", "authenticator"]),
            eks_cluster("cluster-b"),
        ),
        {"cluster-a"},
    ),
    "MLP-CLU-003": PlanCase(
        lambda: plan(eks_cluster()),
        lambda: plan(
            eks_cluster("cluster-a", encryptionConfig=None),
            eks_cluster("cluster-b"),
            eks_cluster("cluster-c", encryptionConfig={"provider": {"keyArn": UNKNOWN}, "resources": []}),
        ),
        {"cluster-a", "cluster-c"},
    ),
    "MLP-CLU-004": PlanCase(
        lambda: plan(
            node_group("system"),
            node_group("gpu", "g5.xlarge", ami="AL2023_x86_64_NVIDIA", taints=[GPU_TAINT]),
        ),
        lambda: plan(
            node_group("system"),
            node_group("gpu", "g5.xlarge", ami="AL2023_x86_64_NVIDIA"),
            node_group(
                "gpu2",
                "p4d.24xlarge",
                ami="AL2023_x86_64_NVIDIA",
                taints=[{"key": "nvidia.com/gpu", "value": "true", "effect": "PREFER_NO_SCHEDULE"}],
            ),
        ),
        {"cluster-gpu", "cluster-gpu2"},
    ),
    "MLP-CLU-005": PlanCase(
        lambda: plan(
            node_group("system"),
            node_group("arm", "m7g.large", ami="AL2023_ARM_64_STANDARD"),
            node_group("gpu", "g5.xlarge", ami="AL2023_x86_64_NVIDIA", taints=[GPU_TAINT]),
            node_group("inf", "inf2.xlarge", ami="AL2023_x86_64_NEURON"),
        ),
        lambda: plan(
            node_group("system"),
            node_group("old", ami="AL2_x86_64"),
            node_group("unset", ami=None),
            node_group("gpu", "g5.xlarge", ami="AL2023_x86_64_STANDARD", taints=[GPU_TAINT]),
            node_group("arm", "m7g.large", ami="AL2023_x86_64_STANDARD"),
            # Inferentia on the standard AMI: no Neuron driver, the accelerator is unusable
            node_group("inf", "inf2.xlarge", ami="AL2023_x86_64_STANDARD"),
            node_group("trn", "trn1.2xlarge", ami="AL2023_x86_64_STANDARD"),
        ),
        {"cluster-old", "cluster-unset", "cluster-gpu", "cluster-arm", "cluster-inf", "cluster-trn"},
    ),
    "MLP-CLU-007": PlanCase(
        lambda: plan(node_group("system"), node_group("spot", capacity="SPOT", min_size=0.0)),
        lambda: plan(
            node_group("spot", capacity="SPOT"),
            node_group("gpu", "g5.xlarge", ami="AL2023_x86_64_NVIDIA", taints=[GPU_TAINT]),
            node_group("zero", min_size=0.0),
        ),
        {"cluster-spot"},
    ),
    # ------------------------------------------------------------------ databases
    "MLP-DB-001": PlanCase(
        lambda: plan(rds()), lambda: plan(rds(), rds("orchestrator-db", multiAz=False)), {"orchestrator-db"}
    ),
    "MLP-DB-002": PlanCase(
        lambda: plan(rds()),
        lambda: plan(rds(), rds("a", deletionProtection=False), rds("b", deletionProtection=None)),
        {"a", "b"},
    ),
    "MLP-DB-003": PlanCase(
        lambda: plan(rds(), rds("seven", backupRetentionPeriod=7.0)),
        lambda: plan(rds(), rds("one", backupRetentionPeriod=1.0), rds("unset", backupRetentionPeriod=None)),
        {"one", "unset"},
    ),
    "MLP-DB-004": PlanCase(
        lambda: plan(rds()), lambda: plan(rds(), rds("plain", storageEncrypted=False)), {"plain"}
    ),
    "MLP-DB-005": PlanCase(
        lambda: plan(rds()), lambda: plan(rds(), rds("open", publiclyAccessible=True)), {"open"}
    ),
    "MLP-DB-006": PlanCase(
        lambda: plan(cache()),
        lambda: plan(
            cache(), cache("a", atRestEncryptionEnabled=False), cache("b", transitEncryptionEnabled=None)
        ),
        {"a", "b"},
    ),
    "MLP-DB-007": PlanCase(
        lambda: plan(rds()), lambda: plan(rds(), rds("skip", skipFinalSnapshot=True)), {"skip"}
    ),
    # ------------------------------------------------------------------ workloads
    "MLP-WRK-001": PlanCase(
        lambda: plan(deployment()),
        lambda: plan(
            deployment("ok"),
            deployment("nolimit", [container(resources={"requests": {"cpu": "1", "memory": "1Gi"}})]),
            deployment("job", [container(resources=None)], kind="Job"),
        ),
        {"tracking-nolimit-deployment", "tracking-job-job"},
    ),
    "MLP-WRK-002": PlanCase(
        lambda: plan(deployment(), deployment("cron", kind="CronJob")),
        lambda: plan(
            deployment("ok"),
            deployment(
                "root", [container(securityContext={"runAsNonRoot": False})], pod={"securityContext": {}}
            ),
            deployment("uid0", [container(securityContext={"runAsUser": 0.0})]),
            deployment(
                "esc", [container(securityContext={"allowPrivilegeEscalation": True})], kind="CronJob"
            ),
        ),
        {"tracking-root-deployment", "tracking-uid0-deployment", "tracking-esc-cronjob"},
    ),
    "MLP-WRK-003": PlanCase(
        lambda: plan(
            deployment(), deployment("job", [container(readinessProbe=None, livenessProbe=None)], kind="Job")
        ),
        lambda: plan(
            deployment("ok"),
            deployment("noprobe", [container(livenessProbe=None)]),
            deployment("sts", [container(readinessProbe=None)], kind="StatefulSet"),
        ),
        {"tracking-noprobe-deployment", "tracking-sts-statefulset"},
    ),
    "MLP-WRK-004": PlanCase(
        lambda: plan(
            deployment(),
            deployment("digest", [container(image="repo/x@sha256:" + "a" * 64)]),
            deployment("port", [container(image="registry:5000/team/model:1.2")]),
            deployment("computed", [container(image=UNKNOWN)]),
        ),
        lambda: plan(
            deployment("ok"),
            deployment("latest", [container(image="nginx:latest")]),
            deployment("bare", [container(image="registry:5000/team/model")]),
        ),
        {"tracking-latest-deployment", "tracking-bare-deployment"},
    ),
    "MLP-WRK-005": PlanCase(
        lambda: plan(deployment()),
        lambda: plan(
            deployment("ok"),
            deployment("net", pod={"hostNetwork": True}),
            deployment("path", pod={"volumes": [{"name": "h", "hostPath": {"path": "/var"}}]}),
        ),
        {"tracking-net-deployment", "tracking-path-deployment"},
    ),
    "MLP-WRK-006": PlanCase(
        lambda: plan(deployment()),
        lambda: plan(
            deployment("ok"),
            deployment("priv", [container(securityContext={"privileged": True})]),
            deployment(
                "caps", [container(securityContext={"capabilities": {"add": ["NET_ADMIN"], "drop": ["ALL"]}})]
            ),
            deployment("nodrop", [container(securityContext={"capabilities": {}})]),
        ),
        {"tracking-priv-deployment", "tracking-caps-deployment", "tracking-nodrop-deployment"},
    ),
    "MLP-WRK-007": PlanCase(
        lambda: plan(
            deployment(),
            network_policy(),
            deployment("s", namespace="mlplat-serving", component="serving"),
            network_policy("mlplat-serving", "serving"),
            network_policy("unused-ns"),
        ),
        lambda: plan(
            deployment(),
            network_policy(),
            deployment("s", namespace="mlplat-serving", component="serving"),
            deployment("s2", namespace="mlplat-serving", component="serving"),
        ),
        {"serving-s-deployment"},
    ),
    "MLP-WRK-008": PlanCase(
        lambda: plan(deployment()),
        lambda: plan(
            deployment("ok"), deployment("rw", [container(securityContext={"readOnlyRootFilesystem": False})])
        ),
        {"tracking-rw-deployment"},
    ),
    "MLP-WRK-009": PlanCase(
        lambda: plan(
            deployment(), deployment("podlevel", [container(securityContext={"seccompProfile": None})])
        ),
        lambda: plan(
            deployment("ok"),
            deployment("unconfined", [container(securityContext={"seccompProfile": {"type": "Unconfined"}})]),
            deployment(
                "none",
                [container(securityContext={"seccompProfile": None})],
                pod={"securityContext": {"runAsNonRoot": True}},
            ),
        ),
        {"tracking-unconfined-deployment", "tracking-none-deployment"},
    ),
    "MLP-WRK-010": PlanCase(
        lambda: plan(
            k8s("Service", "mlflow", {"type": "ClusterIP", "ports": [{"port": 80.0}]}, api="core/v1"),
            k8s(
                "Service",
                "lb",
                {"type": "LoadBalancer"},
                api="core/v1",
                meta={"annotations": {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"}},
            ),
        ),
        lambda: plan(
            k8s("Service", "mlflow", {"type": "ClusterIP"}, api="core/v1"),
            k8s("Service", "np", {"type": "NodePort"}, api="core/v1"),
            k8s("Service", "lb", {"type": "LoadBalancer"}, api="core/v1"),
        ),
        {"tracking-np-service", "tracking-lb-service"},
    ),
    # ------------------------------------------------------------------ secrets
    "MLP-SEC-001": PlanCase(
        lambda: plan(
            rds(),
            cache(),
            deployment(),
            k8s("Secret", "db", extra={"stringData": SECRET}, api="core/v1"),
            k8s(
                "Secret", "cfg", extra={"stringData": {"password": SECRET, "host": "db.local"}}, api="core/v1"
            ),
        ),
        lambda: plan(
            rds(),
            rds("literal", password="hunter2hunter2"),
            deployment(
                "envlit",
                [
                    container(
                        env=[
                            {"name": "MLFLOW_TRACKING_PASSWORD", "value": "s3cret"},
                            {"name": "PASSWORD_FILE", "value": "/etc/pw"},
                        ]
                    )
                ],
            ),
            k8s("Secret", "plain", extra={"stringData": {"password": "s3cret"}}, api="core/v1"),
            res(
                "aws:ssm/parameter:Parameter", "leak", {"value": "AKIAABCDEFGHIJKLMNOP"}, component="tracking"
            ),
        ),
        {"literal", "tracking-envlit-deployment", "tracking-plain-secret", "leak"},
    ),
    "MLP-SEC-002": PlanCase(
        lambda: plan(
            rds(), res("random:index/randomPassword:RandomPassword", "pw", {"length": 32.0}, tagged=False)
        ),
        lambda: plan(
            rds(),
            k8s(
                "ConfigMap",
                "uri",
                extra={"data": {"uri": "postgres://u:mlplat-offline-generated-secret@h/db"}},
                api="core/v1",
            ),
        ),
        {"tracking-uri-configmap"},
    ),
    "MLP-SEC-004": PlanCase(
        lambda: plan(
            _role("tracking-irsa", IRSA_COND), res("aws:iam/role:Role", "svc", {"assumeRolePolicy": UNKNOWN})
        ),
        lambda: plan(
            _role("tracking-irsa", IRSA_COND),
            _role("wide", {"StringEquals": {"x:aud": "sts.amazonaws.com"}}),
            _role("none", None),
        ),
        {"wide", "none"},
    ),
    "MLP-SEC-005": PlanCase(
        lambda: plan(
            _policy(
                "p",
                [
                    {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]},
                    {"Effect": "Allow", "Action": ["ec2:DescribeImages"], "Resource": "*"},
                ],
            )
        ),
        lambda: plan(
            _policy("p", [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]),
            _policy("star", [{"Effect": "Allow", "Action": "*", "Resource": "*"}]),
            _policy("svc", [{"Effect": "Allow", "Action": ["s3:*"], "Resource": ["*"]}]),
            res(
                "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                "admin",
                {"role": UNKNOWN, "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
                component="cluster",
            ),
        ),
        {"star", "svc", "admin"},
    ),
    # ------------------------------------------------------------------ tagging
    "MLP-TAG-001": PlanCase(
        lambda: plan(
            bucket("a"),
            kms_key(),
            rds(),
            res("aws:s3/bucketVersioning:BucketVersioning", "v", {"bucket": "x"}),
        ),
        lambda: plan(
            kms_key(),
            res("aws:kms/key:Key", "untagged", {"enableKeyRotation": True}, tagged=False),
            res("aws:ec2/vpc:Vpc", "partial", {"tags": {"mlplat:platform": "demo"}}),
            res("aws:eks/cluster:Cluster", "wrongname", {"tags": tags("cluster", "something-else")}),
            res(
                "aws:ec2/subnet:Subnet",
                "wrongenv",
                {"tags": {**tags("network", "wrongenv"), "mlplat:environment": "dev"}},
            ),
        ),
        {"untagged", "partial", "wrongname", "wrongenv"},
    ),
    "MLP-TAG-002": PlanCase(
        lambda: plan(
            deployment(), network_policy(), res("kubernetes:helm.sh/v3:Release", "chart", {"chart": "x"})
        ),
        lambda: plan(
            deployment(),
            k8s("ConfigMap", "bare", api="core/v1", meta={"labels": {"app": "x"}}),
            k8s(
                "Service",
                "other",
                api="core/v1",
                meta={"labels": {**labels("tracking"), "app.kubernetes.io/managed-by": "helm"}},
            ),
        ),
        {"tracking-bare-configmap", "tracking-other-service"},
    ),
    # ------------------------------------------------------------------ monitoring
    "MLP-MON-003": PlanCase(
        lambda: plan(res("aws:cloudwatch/logGroup:LogGroup", "lg", {"retentionInDays": 30.0})),
        lambda: plan(
            res("aws:cloudwatch/logGroup:LogGroup", "lg", {"retentionInDays": 30.0}),
            res("aws:cloudwatch/logGroup:LogGroup", "forever", {"retentionInDays": 0.0}),
            res("aws:cloudwatch/logGroup:LogGroup", "unset", {}),
        ),
        {"forever", "unset"},
    ),
    # ------------------------------------------------------------------ managed AWS (SageMaker, MWAA)
    "MLP-SM-001": PlanCase(
        lambda: plan(sm_config()),
        lambda: plan(
            sm_config(),
            sm_config("nokey", kmsKeyArn=None),
            sm_config("capture", dataCaptureConfig={"enableCapture": True, "initialSamplingPercentage": 20.0}),
        ),
        {"nokey", "capture"},
    ),
    "MLP-SM-002": PlanCase(
        lambda: plan(sm_model()),
        lambda: plan(sm_model(), sm_model("public", vpcConfig=None),
                     sm_model("nosg", vpcConfig={"subnets": [UNKNOWN], "securityGroupIds": []})),
        {"public", "nosg"},
    ),
    "MLP-SM-003": PlanCase(
        lambda: plan(res("aws:mwaa/environment:Environment", "airflow", {"webserverAccessMode": "PRIVATE_ONLY"},
                         component="orchestrator")),
        lambda: plan(
            res("aws:mwaa/environment:Environment", "ok", {"webserverAccessMode": "PRIVATE_ONLY"}, component="orchestrator"),
            res("aws:mwaa/environment:Environment", "open", {"webserverAccessMode": "PUBLIC_ONLY"}, component="orchestrator"),
            res("aws:mwaa/environment:Environment", "unset", {}, component="orchestrator"),
        ),
        {"open", "unset"},
    ),
    "MLP-SM-004": PlanCase(
        lambda: plan(*private_bucket("demo-prod-artifacts"), mlflow_server("mlflow", "s3://demo-prod-artifacts/mlflow")),
        lambda: plan(
            *private_bucket("demo-prod-artifacts"),
            res(BUCKET, "storage-open", {"bucket": "demo-prod-open"}),
            mlflow_server("ok", "s3://demo-prod-artifacts/mlflow"),
            mlflow_server("foreign", "s3://someone-elses-bucket/mlflow"),
            mlflow_server("open", "s3://demo-prod-open/x"),
        ),
        {"foreign", "open"},
    ),
}


def sm_config(name: str = "serving-m-config", **over: Any) -> PlanResource:
    inputs: dict[str, Any] = {
        "kmsKeyArn": UNKNOWN,
        "productionVariants": [{"variantName": "primary", "instanceType": "ml.m5.xlarge", "initialInstanceCount": 2.0}],
        "dataCaptureConfig": {"enableCapture": True, "initialSamplingPercentage": 20.0, "kmsKeyId": UNKNOWN},
    }
    inputs.update(over)
    return res("aws:sagemaker/endpointConfiguration:EndpointConfiguration", name,
               {k: v for k, v in inputs.items() if v is not None}, component="serving")


def sm_model(name: str = "serving-m-primary", **over: Any) -> PlanResource:
    inputs: dict[str, Any] = {"vpcConfig": {"subnets": [UNKNOWN, UNKNOWN], "securityGroupIds": [UNKNOWN]}}
    inputs.update(over)
    return res("aws:sagemaker/model:Model", name, {k: v for k, v in inputs.items() if v is not None},
               component="serving")


def private_bucket(physical: str) -> list[PlanResource]:
    b = res(BUCKET, "storage-artifacts", {"bucket": physical})
    pab = res("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "storage-artifacts-public-access-block",
              dict.fromkeys(("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"), True),
              deps=[b])
    return [b, pab]


def mlflow_server(name: str, uri: str) -> PlanResource:
    return res("aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer", name, {"artifactStoreUri": uri},
               component="tracking")

SPEC_CASES: dict[str, SpecCase] = {
    "MLP-STO-010": SpecCase(
        """
        storage:
          buckets:
            - {name: art, purpose: artifacts, versioning: true, lifecycle: {expire_noncurrent_days: 30}}
            - {name: docs, purpose: data-docs}
        """,
        """
        storage:
          buckets:
            - {name: art, purpose: artifacts, versioning: true, lifecycle: {expire_days: 365}}
            - {name: dvc, purpose: dvc, versioning: true}
            - {name: docs, purpose: data-docs}
        """,
        {"demo-prod-art", "demo-prod-dvc"},
    ),
    "MLP-NET-006": SpecCase(
        "network: {az_count: 3, nat: per-az}\n",
        "network: {az_count: 3, nat: single}\n",
        {"network"},
    ),
    "MLP-CLU-006": SpecCase(
        # On TODAY (2026-06-01) 1.33 is in standard support (ends 2026-07-29) and 1.32 in extended
        # (standard ended 2026-03-23); validate needs upgrade_policy: extended to accept the latter.
        "cluster: {kubernetes_version: '1.33', upgrade_policy: extended, node_pools: [{name: system, instance_type: m6i.large}]}\n",
        "cluster: {kubernetes_version: '1.32', upgrade_policy: extended, node_pools: [{name: system, instance_type: m6i.large}]}\n",
        {"cluster"},
    ),
    "MLP-SRV-001": SpecCase(
        S("""
        serving:
          kind: kserve
          models:
            - name: m1
              format: sklearn
              uri: s3://b/m1
              replicas: {min: 2, max: 4}
              canary: {uri: s3://b/m1v2, traffic_percent: 25}
        """),
        S("""
        serving:
          kind: kserve
          models:
            - name: m1
              format: sklearn
              uri: s3://b/m1
              replicas: {min: 2, max: 4}
              canary: {uri: s3://b/m1v2, traffic_percent: 90}
            - name: m2
              format: sklearn
              uri: s3://b/m2
              replicas: {min: 2, max: 4}
              canary: {uri: s3://b/m2v2, traffic_percent: 5}
        """),
        {"m1"},
    ),
    "MLP-SRV-002": SpecCase(
        S("""
        serving:
          kind: kserve
          models:
            - {name: m1, format: sklearn, uri: s3://b/m1, replicas: {min: 2, max: 10}}
            - {name: m2, format: sklearn, uri: s3://b/m2, replicas: {min: 1, max: 1}}
        """),
        S("""
        serving:
          kind: kserve
          models:
            - {name: m1, format: sklearn, uri: s3://b/m1, replicas: {min: 2, max: 10}}
            - {name: zero, format: sklearn, uri: s3://b/m2, replicas: {min: 0, max: 3}}
            - {name: huge, format: sklearn, uri: s3://b/m3, replicas: {min: 2, max: 500}}
            - {name: flat, format: sklearn, uri: s3://b/m4, replicas: {min: 3, max: 3}}
        """),
        {"zero", "huge", "flat"},
        env="dev",  # dev: no replica floor from the profile, the spec's numbers stand
    ),
    "MLP-SRV-003": SpecCase(
        # kserve: bentoml takes oci:// images only (validate refuses any other scheme there)
        S("""
        serving:
          kind: kserve
          models:
            - {name: m1, format: sklearn, uri: "https://models.example/m1"}
        """),
        S("""
        serving:
          kind: kserve
          models:
            - {name: m1, format: sklearn, uri: "https://models.example/m1"}
            - {name: m2, format: sklearn, uri: "http://models.example/m2"}
            - name: m3
              format: sklearn
              uri: s3://b/m3
              canary: {uri: "http://models.example/m3v2", traffic_percent: 10}
        """),
        {"m2", "m3"},
    ),
    "MLP-SEC-006": SpecCase(
        S("secrets: {vault: {address: 'https://vault.example:8200', auth: {kind: kubernetes, role: r}}}\n"),
        S("secrets: {vault: {address: 'http://vault.example:8200', allow_http: true, auth: {kind: kubernetes, role: r}}}\n"),
        {"vault"},
    ),
    "MLP-SEC-003": SpecCase(
        S("tracking: {kind: mlflow, auth: {kind: basic}}\n"),
        S("tracking: {kind: mlflow, auth: {kind: none}}\n"),
        {"tracking"},
    ),
    "MLP-TAG-003": SpecCase(
        "storage: {buckets: []}\n",
        "storage: {buckets: []}\n",
        {"metadata"},
        header=BASE_SPEC.replace("  owner: ml@acme.example\n", ""),
    ),
    "MLP-BUD-001": SpecCase(
        "budget: {monthly_usd: 1000, max_increase_percent: 10}\n",
        "storage: {buckets: [{name: a}]}\n",
        {"budget"},
    ),
    "MLP-BUD-002": SpecCase(
        "budget: {monthly_usd: 1000, max_increase_percent: 10}\n",
        "budget: {monthly_usd: 1000}\n",
        {"budget"},
    ),
    "MLP-MON-001": SpecCase(
        S("tracking: {kind: mlflow}\nmonitoring: {grafana: {enabled: true}}\n"),
        S("tracking: {kind: mlflow}\n"),
        {"monitoring"},
    ),
    "MLP-MON-002": SpecCase(
        S("monitoring:\n  alerts: {email: [oncall@acme.example]}\n"),
        S("monitoring: {grafana: {enabled: true}}\n"),
        {"monitoring"},
    ),
    "MLP-GOV-001": SpecCase(
        """
        policies:
          waivers:
            - {policy: MLP-STO-003, resource: "storage-*", reason: cache, owner: ml, expires: 2026-06-01}
        """,
        """
        policies:
          waivers:
            - {policy: MLP-STO-003, resource: "storage-logs", reason: cache, owner: ml, expires: 2026-05-31}
            - {policy: MLP-STO-003, resource: "storage-tmp", reason: cache, owner: ml, expires: 2027-01-01}
        """,
        {"storage-logs"},
    ),
    "MLP-GOV-002": SpecCase(
        """
        policies:
          levels: {MLP-STO-003: mandatory, CKV_AWS_18: disabled, CKV2_K8S_6: advisory}
          waivers:
            - {policy: MLP-STO-003, resource: "x", reason: r, owner: o, expires: 2027-01-01}
        """,
        """
        policies:
          levels: {MLP-STO-999: mandatory, CKV_AWS_18: disabled}
          waivers:
            - {policy: MLP-STX-003, resource: "x", reason: r, owner: o, expires: 2027-01-01}
            - {policy: DRIFT-CHANGED, resource: "y", reason: r, owner: o, expires: 2027-01-01}
        """,
        {"MLP-STO-999", "x"},
    ),
}


def test_every_rule_has_a_case() -> None:
    ids = {r.id for r in all_rules()}
    assert ids == set(PLAN_CASES) | set(SPEC_CASES)
    for pid in PLAN_CASES:
        assert issubclass(rule_by_id(pid), PlanRule), pid  # type: ignore[arg-type]
    for pid in SPEC_CASES:
        assert issubclass(rule_by_id(pid), SpecRule), pid  # type: ignore[arg-type]


def _plan_failing(pid: str, p: Plan, env: str) -> set[str]:
    rule = rule_by_id(pid)
    assert rule is not None and issubclass(rule, PlanRule)
    return {v.resource for v in rule().check(PlanContext(p, env))}


@pytest.mark.parametrize("pid", sorted(PLAN_CASES))
def test_plan_rule(pid: str) -> None:
    case = PLAN_CASES[pid]
    assert _plan_failing(pid, case.good(), case.env) == set()
    assert _plan_failing(pid, case.bad(), case.env) == case.failing


def _spec_failing(pid: str, path: Path, env: str) -> set[str]:
    rule = rule_by_id(pid)
    assert rule is not None and issubclass(rule, SpecRule)
    return {v.resource for v in rule().check(SpecContext(load_platform(path, env), TODAY))}


@pytest.mark.parametrize("pid", sorted(SPEC_CASES))
def test_spec_rule(pid: str, tmp_path: Path) -> None:
    case = SPEC_CASES[pid]
    good = write(tmp_path, case.good, "good.yaml")
    bad = write(tmp_path, case.bad, "bad.yaml", header=case.header)
    assert _spec_failing(pid, good, case.env) == set()
    assert _spec_failing(pid, bad, case.env) == case.failing


def test_prod_only_spec_rules_are_silent_outside_prod(tmp_path: Path) -> None:
    """Budget, monitoring and NAT-per-AZ rules concern production only."""
    for pid in ("MLP-BUD-001", "MLP-MON-001", "MLP-NET-006", "MLP-SEC-006"):
        bad = write(tmp_path, SPEC_CASES[pid].bad, f"{pid}.yaml")
        assert _spec_failing(pid, bad, "staging") == set(), pid


def test_budget_rule_concerns_billed_cloud_targets(tmp_path: Path) -> None:
    """On a bring-your-own cluster the estimate is an allocation of paid-for capacity: no budget needed."""
    header = "apiVersion: mlplat.io/v1alpha1\nkind: Platform\nmetadata: {name: demo, owner: o}\ntarget: {provider: kubernetes}\n"
    for i, body in enumerate(
        (
            "storage: {buckets: [{name: a}]}\n",
            "storage: {buckets: [{name: a}]}\nusage: {k8s_rates: {vcpu_hour: 0.03}}\n",
        )
    ):
        spec = write(tmp_path, body, f"k{i}.yaml", header=header)
        assert _spec_failing("MLP-BUD-001", spec, "prod") == set()
