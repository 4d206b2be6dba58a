"""Ingress: the one way in to what the spec exposes (`ingress.expose`); everything else stays internal.

aws: the AWS Load Balancer Controller (pinned chart, IRSA with the upstream IAM policy) and one
ALB shared by one Ingress per exposed namespace (an ALB IngressGroup), TLS from the ACM
certificate the spec names, HTTP redirected to HTTPS, each UI on its own host under
`ingress.host` (a wildcard certificate `*.HOST` covers them). The exposed namespaces get a
NetworkPolicy admitting the load balancer (it targets pod IPs from inside the VPC).

kubernetes targets: the same Ingress objects with the target's `ingress_class` and, when given,
the TLS Secret `ingress.tls_secret`; the controller is the cluster's own.

MLflow, Airflow and Grafana keep their own login in front (validate refuses an exposed MLflow
without `tracking.auth`; Airflow and Grafana always ask for one).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from mlplat.stacks.platform_spec.model import Ingress as IngressSpec
from mlplat.stacks.platform_spec.model import PlatformSpec

from . import k8s as kx
from .aws_iam import granted_arn, irsa_role
from .common import ClusterRef, Context, NetworkRef

COMPONENT = "ingress"
ALB_CLASS = "alb"
LBC_CHART = "aws-load-balancer-controller"
LBC_VERSION = "3.5.0"  # app v3.5.0; values checked against tests/upstream/aws-load-balancer-controller
LBC_REPO = "https://aws.github.io/eks-charts"
LBC_NAMESPACE = "kube-system"
LBC_SA = "aws-load-balancer-controller"
# TLS 1.2+ with forward secrecy only (an ELB predefined policy).
SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


@dataclass(frozen=True)
class Backend:
    item: str  # what the spec exposes: tracking, orchestrator, grafana, models/<name>
    namespace: str
    service: str
    port: int  # the Service port the Ingress names
    host: str
    pod_port: int  # the container port the load balancer reaches (ALB targets pod IPs)


# --------------------------------------------------------------------------- pure


@cache
def lbc_iam_policy() -> dict[str, Any]:
    """The controller's IAM policy, verbatim from upstream docs/install/iam_policy.json at v3.5.0."""
    text = resources.files("mlplat.modules").joinpath("aws_load_balancer_controller_iam_policy.json").read_text()
    data: dict[str, Any] = json.loads(text)
    return data


def lbc_values(cluster_name: Any, region: str, vpc_id: Any, role_arn: Any) -> dict[str, Any]:
    """Region and VPC given explicitly: the platform's NetworkPolicies block the instance metadata service."""
    return {
        "clusterName": cluster_name,
        "region": region,
        "vpcId": vpc_id,
        "replicaCount": 2,
        "serviceAccount": {
            "create": True,
            "name": LBC_SA,
            "annotations": {"eks.amazonaws.com/role-arn": role_arn},
        },
        "priorityClassName": "system-cluster-critical",
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
    }


def backends(ctx: Context, spec: PlatformSpec) -> list[Backend]:
    """The services behind each exposed item (names follow the components that create them)."""
    from .monitoring import RELEASE as MONITORING_RELEASE
    from .orchestrator import KFP_NAMESPACE
    from .serving import BENTO_PORT, KSERVE_AGENT_PORT, MODEL_PORT, kserve_endpoint_service
    from .tracking import APP as MLFLOW_APP
    from .tracking import PORT as MLFLOW_PORT

    ing = spec.ingress
    if ing is None:
        return []
    out: list[Backend] = []
    for item in ing.expose:
        if item == "tracking":
            out.append(Backend(item, kx.namespace_name(ctx, "tracking"), MLFLOW_APP, MLFLOW_PORT, f"mlflow.{ing.host}", MLFLOW_PORT))
        elif item == "orchestrator" and spec.orchestrator is not None:
            if spec.orchestrator.kind == "kubeflow-pipelines":
                out.append(Backend(item, KFP_NAMESPACE, "ml-pipeline-ui", 80, f"pipelines.{ing.host}", 3000))
            else:
                # The Airflow chart's UI service: the webserver (Airflow 2), the API server (Airflow 3).
                v3 = (spec.orchestrator.version or "").startswith("3")
                svc = "airflow-api-server" if v3 else "airflow-webserver"
                out.append(Backend(item, kx.namespace_name(ctx, "orchestrator"), svc, 8080, f"airflow.{ing.host}", 8080))
        elif item == "grafana":
            ns = kx.namespace_name(ctx, "monitoring")
            # kube-prometheus-stack's Grafana: Service port 80 → container port 3000.
            out.append(Backend(item, ns, f"{MONITORING_RELEASE}-grafana", 80, f"grafana.{ing.host}", 3000))
        elif item.startswith("models/") and spec.serving is not None:
            model = item.split("/", 1)[1]
            ns = kx.namespace_name(ctx, "serving")
            # KServe: mlplat's <model>-endpoint Service (:80) over stable and canary pods, to the
            # model port or, with request logging, the agent's; Seldon: <sdep>-<predictor>:8000.
            logging = spec.monitoring is not None and spec.monitoring.drift_reports is not None
            service, port, pod_port = {
                "kserve": (kserve_endpoint_service(model), 80, KSERVE_AGENT_PORT if logging else MODEL_PORT),
                "seldon": (f"{model}-main", 8000, 8000),
                "bentoml": (model, BENTO_PORT, BENTO_PORT),
            }[spec.serving.kind]
            out.append(Backend(item, ns, service, port, f"{model}.{ing.host}", pod_port))
    return out


def alb_annotations(ctx: Context, ing: IngressSpec) -> dict[str, str]:
    """One ALB for the platform (IngressGroup), HTTPS only with the spec's ACM certificate."""
    ann = {
        "alb.ingress.kubernetes.io/group.name": ctx.name("platform"),
        "alb.ingress.kubernetes.io/scheme": ing.scheme,
        "alb.ingress.kubernetes.io/target-type": "ip",
        "alb.ingress.kubernetes.io/listen-ports": json.dumps([{"HTTP": 80}, {"HTTPS": 443}]),
        "alb.ingress.kubernetes.io/ssl-redirect": "443",
        "alb.ingress.kubernetes.io/ssl-policy": SSL_POLICY,
        "alb.ingress.kubernetes.io/certificate-arn": ing.certificate_arn or "",
        "alb.ingress.kubernetes.io/tags": ",".join(f"{k}={v}" for k, v in ctx.tags(COMPONENT, "platform-alb").items()),
    }
    if ing.scheme == "internet-facing":
        ann["alb.ingress.kubernetes.io/inbound-cidrs"] = ",".join(ing.allowed_cidrs)
    return ann


def ingress_spec(class_name: str, backends_: list[Backend], tls_secret: str | None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "ingressClassName": class_name,
        "rules": [
            {
                "host": b.host,
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": b.service, "port": {"number": b.port}}},
                        }
                    ]
                },
            }
            for b in backends_
        ],
    }
    if tls_secret:
        spec["tls"] = [{"hosts": [b.host for b in backends_], "secretName": tls_secret}]
    return spec


def by_namespace(backends_: list[Backend]) -> dict[str, list[Backend]]:
    out: dict[str, list[Backend]] = {}
    for b in backends_:
        out.setdefault(b.namespace, []).append(b)
    return out


# --------------------------------------------------------------------------- component


@dataclass
class IngressArgs:
    ctx: Context
    spec: PlatformSpec
    cluster: ClusterRef
    network: NetworkRef | None = None
    after: list[pulumi.Resource] | None = None  # the components whose namespaces the Ingresses go into


class PlatformIngress(pulumi.ComponentResource):
    """mlplat:index:Ingress — the controller (aws) and one Ingress per exposed namespace."""

    def __init__(self, name: str, args: IngressArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlplat:index:Ingress", name, None, opts)
        ctx, spec, cluster = args.ctx, args.spec, args.cluster
        ing = spec.ingress
        self.hosts: dict[str, str] = {}
        if ing is None:
            self.register_outputs({})
            return
        after = list(args.after or [])
        found = backends(ctx, spec)
        if ctx.aws:
            class_name = ALB_CLASS
            annotations = alb_annotations(ctx, ing)
            role = irsa_role(
                ctx, COMPONENT, f"{name}-lbc-irsa", LBC_SA, LBC_NAMESPACE, lbc_iam_policy(), cluster, self
            )
            controller = k8s.helm.v3.Release(
                f"{name}-lbc",
                name=LBC_CHART,
                chart=LBC_CHART,
                version=LBC_VERSION,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=LBC_REPO),
                namespace=LBC_NAMESPACE,
                values=lbc_values(cluster.name, ctx.region or "us-east-1", args.network.vpc_id if args.network else None,
                                  granted_arn(role)),
                opts=kx.k8s_opts(cluster, self),
            )  # fmt: skip
            # The controller's webhooks must answer before an Ingress is admitted.
            after.append(controller)
        else:
            class_name = ctx.ingress_class or ""
            annotations = {}
        for ns, group in by_namespace(found).items():
            app = f"{name}-{ns}"
            k8s.networking.v1.Ingress(
                f"{name}-{ns}",
                metadata=kx.wire(kx.object_meta(ctx, COMPONENT, "platform", ns, annotations=annotations)),
                spec=kx.wire(ingress_spec(class_name, group, None if ctx.aws else ing.tls_secret)),
                opts=kx.k8s_opts(cluster, self, after),
            )
            if ctx.aws and args.network is not None:
                # ALB targets are pod IPs, reached from the load balancer's addresses in the VPC.
                k8s.networking.v1.NetworkPolicy(
                    f"{app}-allow-alb",
                    metadata=kx.wire(kx.object_meta(ctx, COMPONENT, "allow-load-balancer", ns)),
                    spec=kx.wire(
                        {
                            "podSelector": {},
                            "policyTypes": ["Ingress"],
                            "ingress": [
                                {
                                    "from": [{"ipBlock": {"cidr": args.network.vpc_cidr}}],
                                    "ports": [{"protocol": "TCP", "port": b.pod_port} for b in group],
                                }
                            ],
                        }
                    ),
                    opts=kx.k8s_opts(cluster, self, after),
                )
            for b in group:
                self.hosts[b.item] = f"https://{b.host}"
        self.register_outputs({"hosts": self.hosts})


__all__ = [
    "ALB_CLASS",
    "LBC_CHART",
    "LBC_VERSION",
    "Backend",
    "IngressArgs",
    "PlatformIngress",
    "alb_annotations",
    "backends",
    "by_namespace",
    "ingress_spec",
    "lbc_iam_policy",
    "lbc_values",
]  # fmt: skip
