"""Namespaces as tenants: pod-security labels, NetworkPolicies between components, quotas and limit ranges."""


from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from mlplat.modules.common import ClusterRef, Context

from .k8s import GPU_RESOURCE, Obj, k8s_opts, namespace_name, object_meta, wire

METADATA_IP = "169.254.169.254/32"  # cloud instance metadata: never reachable from workloads
DEFAULT_INGRESS_NAMESPACES = ("ingress-nginx",)

# Pod Security Admission levels (https://kubernetes.io/docs/concepts/security/pod-security-standards/).
PSA_RESTRICTED = "restricted"
PSA_BASELINE = "baseline"
PSA_PRIVILEGED = "privileged"


def pod_security_labels(enforce: str = PSA_RESTRICTED) -> dict[str, str]:
    """PSA labels: `enforce` as given; always warn and audit against `restricted`."""
    if enforce not in (PSA_RESTRICTED, PSA_BASELINE, PSA_PRIVILEGED):
        raise ValueError(f"unknown pod security level {enforce!r}")
    return {
        "pod-security.kubernetes.io/enforce": enforce,
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/warn": PSA_RESTRICTED,
        "pod-security.kubernetes.io/audit": PSA_RESTRICTED,
    }


# --------------------------------------------------------------------------- pure: network policies


@dataclass(frozen=True)
class NetworkAccess:
    """What a namespace lets in and out, beyond the always-on rules.

    Always: deny by default; pods in the namespace talk to each other; DNS to kube-system;
    ingress from the platform's monitoring namespace (scraping); egress to the platform's
    other namespaces (their ingress rules decide what is reachable).
    """

    platform_ingress_ports: tuple[int, ...] = ()  # other namespaces of this platform may reach these ports
    ingress_controller_ports: tuple[int, ...] = ()  # the ingress controller may reach these ports
    ingress_namespaces: tuple[str, ...] = DEFAULT_INGRESS_NAMESPACES
    internet_egress_ports: tuple[int, ...] = (443,)  # HTTPS: object storage, STS, webhooks
    cidr_egress: tuple[tuple[str, tuple[int, ...]], ...] = ()  # e.g. (("10.40.0.0/16", (5432, 6379)),)
    kube_api: bool = False  # controllers and executors that talk to the API server
    open_egress_ports: tuple[int, ...] = ()  # any destination (e.g. kubelet/node-exporter for Prometheus)
    webhook_ports: tuple[int, ...] = ()  # admission webhooks: the API server calls in from outside any namespace


def platform_namespace_selector(ctx: Context, component: str | None = None) -> Obj:
    labels = {"mlplat.io/platform": ctx.platform, "mlplat.io/environment": ctx.env}
    if component:
        labels["mlplat.io/component"] = component.replace("_", "-")
    return {"matchLabels": labels}


def _ports(ports: Iterable[int], protocol: str = "TCP") -> list[Obj]:
    return [{"protocol": protocol, "port": int(p)} for p in ports]


def network_policy_specs(ctx: Context, component: str, access: NetworkAccess) -> list[tuple[str, Obj]]:
    """(suffix, NetworkPolicy spec) pairs for one namespace; the first is the default deny."""
    all_pods: Obj = {}
    specs: list[tuple[str, Obj]] = [
        ("default-deny", {"podSelector": all_pods, "policyTypes": ["Ingress", "Egress"]}),
        (
            "allow-same-namespace",
            {
                "podSelector": all_pods,
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [{"from": [{"podSelector": all_pods}]}],
                "egress": [{"to": [{"podSelector": all_pods}]}],
            },
        ),
        (
            "allow-dns",
            {
                "podSelector": all_pods,
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}],
                        "ports": _ports([53], "UDP") + _ports([53], "TCP"),
                    }
                ],
            },
        ),
        (
            "allow-platform-egress",
            {
                "podSelector": all_pods,
                "policyTypes": ["Egress"],
                "egress": [{"to": [{"namespaceSelector": platform_namespace_selector(ctx)}]}],
            },
        ),
    ]
    if component != "monitoring":
        specs.append(
            (
                "allow-monitoring",
                {
                    "podSelector": all_pods,
                    "policyTypes": ["Ingress"],
                    "ingress": [{"from": [{"namespaceSelector": platform_namespace_selector(ctx, "monitoring")}]}],
                },
            )
        )
    if access.platform_ingress_ports:
        specs.append(
            (
                "allow-platform-ingress",
                {
                    "podSelector": all_pods,
                    "policyTypes": ["Ingress"],
                    "ingress": [
                        {
                            "from": [{"namespaceSelector": platform_namespace_selector(ctx)}],
                            "ports": _ports(access.platform_ingress_ports),
                        }
                    ],
                },
            )
        )
    if access.ingress_controller_ports:
        specs.append(
            (
                "allow-ingress-controller",
                {
                    "podSelector": all_pods,
                    "policyTypes": ["Ingress"],
                    "ingress": [
                        {
                            "from": [
                                {
                                    "namespaceSelector": {
                                        "matchExpressions": [
                                            {
                                                "key": "kubernetes.io/metadata.name",
                                                "operator": "In",
                                                "values": list(access.ingress_namespaces),
                                            }
                                        ]
                                    }
                                }
                            ],
                            "ports": _ports(access.ingress_controller_ports),
                        }
                    ],
                },
            )
        )
    if access.webhook_ports:
        specs.append(
            (
                "allow-webhooks",
                {
                    "podSelector": all_pods,
                    "policyTypes": ["Ingress"],
                    "ingress": [
                        {"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": _ports(access.webhook_ports)}
                    ],
                },
            )
        )
    egress: list[Obj] = []
    internet_ports = sorted(set(access.internet_egress_ports) | ({443, 6443} if access.kube_api else set()))
    if internet_ports:
        egress.append(
            {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [METADATA_IP]}}], "ports": _ports(internet_ports)}
        )
    for cidr, ports in access.cidr_egress:
        egress.append({"to": [{"ipBlock": {"cidr": cidr}}], "ports": _ports(ports)})
    if access.open_egress_ports:
        egress.append({"ports": _ports(access.open_egress_ports)})
    if egress:
        specs.append(("allow-egress", {"podSelector": all_pods, "policyTypes": ["Egress"], "egress": egress}))
    return specs


# --------------------------------------------------------------------------- pure: quota


def quota_hard(quota: Any) -> dict[str, str]:
    """ResourceQuota `hard` from `cluster.quota` (cpu, memory, gpu); empty when nothing is set."""
    if quota is None:
        return {}
    hard: dict[str, str] = {}
    if getattr(quota, "cpu", None):
        hard["requests.cpu"] = str(quota.cpu)
        hard["limits.cpu"] = str(quota.cpu)
    if getattr(quota, "memory", None):
        hard["requests.memory"] = str(quota.memory)
        hard["limits.memory"] = str(quota.memory)
    if getattr(quota, "gpu", None) is not None:
        hard[f"requests.{GPU_RESOURCE}"] = str(quota.gpu)
    return hard


def limit_range_spec() -> Obj:
    """Defaults for containers that declare nothing (third-party charts), so quotas admit them."""
    return {
        "limits": [
            {
                "type": "Container",
                "default": {"cpu": "500m", "memory": "512Mi"},
                "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
            }
        ]
    }


def namespace(
    ctx: Context,
    component: str,
    name: str,
    cluster: ClusterRef,
    parent: pulumi.Resource,
    quota: Any = None,
    *,
    access: NetworkAccess | None = None,
    pod_security: str = PSA_RESTRICTED,
) -> k8s.core.v1.Namespace:
    """A component's namespace with its NetworkPolicies (and quota + limit range when `quota`).

    Children: `{name}-namespace`, `{name}-netpol-<rule>` per policy, `{name}-quota`, `{name}-limits`.
    Namespaced objects should depend on the returned Namespace.
    """
    ns_name = namespace_name(ctx, component)
    ns = k8s.core.v1.Namespace(
        f"{name}-namespace",
        metadata=wire({"name": ns_name, "labels": {**ctx.k8s_labels(component), **pod_security_labels(pod_security)}}),
        opts=k8s_opts(cluster, parent),
    )
    after = k8s_opts(cluster, parent, [ns])
    network_policies(ctx, component, name, ns_name, access or NetworkAccess(), cluster, parent, depends_on=[ns])
    hard = quota_hard(quota)
    if hard:
        k8s.core.v1.ResourceQuota(
            f"{name}-quota",
            metadata=wire(object_meta(ctx, component, "quota", ns_name)),
            spec=wire({"hard": hard}),
            opts=after,
        )
        k8s.core.v1.LimitRange(
            f"{name}-limits",
            metadata=wire(object_meta(ctx, component, "defaults", ns_name)),
            spec=wire(limit_range_spec()),
            opts=after,
        )
    return ns


def network_policies(
    ctx: Context,
    component: str,
    name: str,
    namespace_: str,
    access: NetworkAccess,
    cluster: ClusterRef,
    parent: pulumi.Resource,
    *,
    depends_on: Sequence[pulumi.Resource] | None = None,
) -> list[k8s.networking.v1.NetworkPolicy]:
    """The NetworkPolicies of `network_policy_specs` in `namespace_` (`{name}-netpol-<rule>`)."""
    return [
        k8s.networking.v1.NetworkPolicy(
            f"{name}-netpol-{suffix}",
            metadata=wire(object_meta(ctx, component, suffix, namespace_)),
            spec=wire(spec),
            opts=k8s_opts(cluster, parent, depends_on),
        )
        for suffix, spec in network_policy_specs(ctx, component, access)
    ]


def cluster_quota(ctx: Context) -> Any:
    """`cluster.quota` of the resolved spec, if any."""
    spec = ctx.resolved.spec if ctx.resolved is not None else None
    return spec.cluster.quota if spec is not None and spec.cluster is not None else None


__all__ = ["PSA_BASELINE", "PSA_PRIVILEGED", "PSA_RESTRICTED", "NetworkAccess", "cluster_quota", "limit_range_spec", "namespace", "network_policies", "network_policy_specs", "pod_security_labels", "quota_hard"]
