"""Shared first-party Kubernetes building blocks for the MLOps workloads.

Every workload component (tracking, orchestrator, feature store, serving, monitoring) builds
its objects from these helpers, so hardening is decided once:

- `namespace()`: a Namespace per component (ownership labels, Pod Security Admission labels),
  a default-deny NetworkPolicy plus narrow allow rules, and ResourceQuota/LimitRange when the
  spec declares `cluster.quota`.
- `secure_container()` / `pod_spec()`: containers with requests and limits, non-root, no
  privilege escalation, all capabilities dropped, read-only root filesystem (with an emptyDir
  on /tmp), seccomp RuntimeDefault, liveness and readiness probes, pinned image tags.
- In-cluster data services for kubernetes targets: `incluster_postgres()`, `incluster_redis()`
  and `minio()` (object storage with a bucket-creation Job); generated credentials are
  `pulumi_random` values kept as Pulumi secrets.

Objects are plain dicts with Kubernetes (camelCase) field names — exactly the manifest shape,
which is what the plan records and what `mlplat render` writes. Pure builders come first
(tested without Pulumi), the resource helpers below them.
"""

from __future__ import annotations

import json
import os
import re
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from .common import BucketRef, CacheEndpoint, ClusterRef, Context, DatabaseEndpoint, secret

Obj = dict[str, Any]

# --------------------------------------------------------------------------- pinned images

POSTGRES_IMAGE = "docker.io/library/postgres:16.4"
REDIS_IMAGE = "docker.io/library/redis:7.4.1"
MINIO_IMAGE = "quay.io/minio/minio:RELEASE.2024-10-13T17-34-20Z"
MC_IMAGE = "quay.io/minio/mc:RELEASE.2024-10-08T09-37-26Z"
DEFAULT_UID = 10001
# High UIDs (>= 10000, never a host user): the official postgres/redis images run as an arbitrary
# user (postgres' entrypoint fakes the passwd entry); fsGroup makes the volume writable for it.
POSTGRES_UID = DEFAULT_UID
REDIS_UID = DEFAULT_UID

POSTGRES_PORT = 5432
REDIS_PORT = 6379
MINIO_PORT = 9000
MINIO_CONSOLE_PORT = 9001

GPU_RESOURCE = "nvidia.com/gpu"
GPU_TOLERATION: Obj = {"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}
METADATA_IP = "169.254.169.254/32"  # cloud instance metadata: never reachable from workloads
DEFAULT_INGRESS_NAMESPACES = ("ingress-nginx",)

# Pod Security Admission levels (https://kubernetes.io/docs/concepts/security/pod-security-standards/).
PSA_RESTRICTED = "restricted"
PSA_BASELINE = "baseline"
PSA_PRIVILEGED = "privileged"


class ImageNotPinned(ValueError):
    """An image reference without an explicit, non-`latest` tag or digest."""


# --------------------------------------------------------------------------- pure: names, labels, images


def namespace_name(ctx: Context, component: str) -> str:
    """The namespace of a component: `{platform}-{env}-{component}` (underscores become dashes)."""
    return ctx.name(component.replace("_", "-"))


def service_host(service: str, namespace: str) -> str:
    return f"{service}.{namespace}.svc.cluster.local"


def pinned_image(image: str) -> str:
    """Return `image` if it carries an explicit tag (not `latest`) or a digest, else raise."""
    if "@sha256:" in image:
        return image
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        raise ImageNotPinned(f"image {image!r} has no tag: pin a version")
    tag = last.rsplit(":", 1)[1]
    if not tag or tag == "latest":
        raise ImageNotPinned(f"image {image!r} uses {tag or 'an empty'} tag: pin a version")
    return image


def image_tag(image: str) -> str:
    return image.rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def selector_labels(ctx: Context, component: str, app: str) -> dict[str, str]:
    """The immutable subset used in selectors (a Deployment's selector cannot change)."""
    return {"app.kubernetes.io/name": app, "mlplat.io/component": component.replace("_", "-")}


def object_meta(
    ctx: Context,
    component: str,
    name: str,
    namespace: str | None = None,
    app: str | None = None,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, Any] | None = None,
) -> Obj:
    """Metadata with the ownership labels (DESIGN 4) and an optional app name."""
    meta: Obj = {"name": name, "labels": {**ctx.k8s_labels(component, app), **(labels or {})}}
    if namespace is not None:
        meta["namespace"] = namespace
    if annotations:
        meta["annotations"] = dict(annotations)
    return meta


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


# --------------------------------------------------------------------------- pure: containers and pods


def quantity(value: str | int | float) -> str:
    """A Kubernetes quantity as a string (the wire type): 2 → "2", 0.5 → "500m", "1Gi" → "1Gi"."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and not value.is_integer():
        return f"{int(round(value * 1000))}m"
    return str(int(value))


def cpu_millis(value: str | int | float) -> int:
    v = quantity(value)
    return int(v[:-1]) if v.endswith("m") else int(float(v) * 1000)


def resources(
    cpu: str | int | float = "100m",
    memory: str = "128Mi",
    *,
    cpu_limit: str | int | float | None = None,
    memory_limit: str | None = None,
    gpu: int = 0,
) -> Obj:
    """Requests and limits; limits default to 2× the CPU request and the memory request.

    GPUs cannot be overcommitted: `nvidia.com/gpu` goes into requests and limits alike.
    """
    limit_cpu = quantity(cpu_limit) if cpu_limit is not None else f"{2 * cpu_millis(cpu)}m"
    req: dict[str, str] = {"cpu": quantity(cpu), "memory": memory}
    lim: dict[str, str] = {"cpu": limit_cpu, "memory": memory_limit or memory}
    if gpu:
        req[GPU_RESOURCE] = str(gpu)
        lim[GPU_RESOURCE] = str(gpu)
    return {"requests": req, "limits": lim}


def container_security_context(run_as_user: int = DEFAULT_UID, read_only_root: bool = True) -> Obj:
    return {
        "runAsNonRoot": True,
        "runAsUser": run_as_user,
        "runAsGroup": run_as_user,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "readOnlyRootFilesystem": read_only_root,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def pod_security_context(run_as_user: int = DEFAULT_UID, fs_group: int | None = None) -> Obj:
    return {
        "runAsNonRoot": True,
        "runAsUser": run_as_user,
        "runAsGroup": run_as_user,
        "fsGroup": fs_group if fs_group is not None else run_as_user,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def http_probe(
    path: str, port: int | str, *, initial_delay: int = 10, period: int = 10, timeout: int = 5, failures: int = 3
) -> Obj:
    return {
        "httpGet": {"path": path, "port": port},
        "initialDelaySeconds": initial_delay,
        "periodSeconds": period,
        "timeoutSeconds": timeout,
        "failureThreshold": failures,
    }


def tcp_probe(port: int | str, *, initial_delay: int = 10, period: int = 10, timeout: int = 5) -> Obj:
    return {
        "tcpSocket": {"port": port},
        "initialDelaySeconds": initial_delay,
        "periodSeconds": period,
        "timeoutSeconds": timeout,
    }


def exec_probe(command: Sequence[str], *, initial_delay: int = 10, period: int = 10, timeout: int = 5) -> Obj:
    return {
        "exec": {"command": list(command)},
        "initialDelaySeconds": initial_delay,
        "periodSeconds": period,
        "timeoutSeconds": timeout,
    }


def env_value(name: str, value: Any) -> Obj:
    return {"name": name, "value": value}


def env_secret(name: str, secret_name: str, key: str) -> Obj:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret_name, "key": key}}}


TMP_VOLUME = "tmp"


def secure_container(
    name: str,
    image: str,
    *,
    ports: Mapping[str, int] | None = None,
    command: Sequence[str] | None = None,
    args: Sequence[Any] | None = None,
    env: Sequence[Obj] | None = None,
    env_from: Sequence[Obj] | None = None,
    cpu: str | int | float = "100m",
    memory: str = "128Mi",
    cpu_limit: str | int | float | None = None,
    memory_limit: str | None = None,
    gpu: int = 0,
    liveness: Obj | None = None,
    readiness: Obj | None = None,
    startup: Obj | None = None,
    run_as_user: int = DEFAULT_UID,
    read_only_root: bool = True,
    volume_mounts: Sequence[Obj] | None = None,
    working_dir: str | None = None,
    batch: bool = False,
) -> Obj:
    """A hardened container (the ContainerArgs shape, wire names).

    Long-running containers must have liveness and readiness probes; `batch=True` (Job and
    CronJob containers, which run to completion) may omit them. A read-only root filesystem
    gets a writable emptyDir on /tmp (`pod_spec` adds the volume).
    """
    if not batch and (liveness is None or readiness is None):
        raise ValueError(f"container {name!r}: long-running containers need liveness and readiness probes")
    c: Obj = {
        "name": name,
        "image": pinned_image(image),
        "imagePullPolicy": "IfNotPresent",
        "securityContext": container_security_context(run_as_user, read_only_root),
        "resources": resources(cpu, memory, cpu_limit=cpu_limit, memory_limit=memory_limit, gpu=gpu),
    }
    if command is not None:
        c["command"] = list(command)
    if args is not None:
        c["args"] = list(args)
    if ports:
        c["ports"] = [{"name": n, "containerPort": int(p), "protocol": "TCP"} for n, p in ports.items()]
    if env:
        c["env"] = list(env)
    if env_from:
        c["envFrom"] = list(env_from)
    if liveness is not None:
        c["livenessProbe"] = liveness
    if readiness is not None:
        c["readinessProbe"] = readiness
    if startup is not None:
        c["startupProbe"] = startup
    mounts = list(volume_mounts or [])
    if read_only_root and not any(m.get("mountPath") == "/tmp" for m in mounts):
        mounts.append({"name": TMP_VOLUME, "mountPath": "/tmp"})
    if mounts:
        c["volumeMounts"] = mounts
    if working_dir:
        c["workingDir"] = working_dir
    return c


def pod_spec(
    containers: Sequence[Obj],
    *,
    run_as_user: int = DEFAULT_UID,
    fs_group: int | None = None,
    service_account: str | None = None,
    automount_token: bool = False,
    volumes: Sequence[Obj] | None = None,
    init_containers: Sequence[Obj] | None = None,
    tolerations: Sequence[Obj] | None = None,
    node_selector: Mapping[str, str] | None = None,
    restart_policy: str | None = None,
    termination_grace: int | None = None,
) -> Obj:
    """A pod spec with a restricted pod security context; adds the /tmp emptyDir when mounted."""
    spec: Obj = {
        "securityContext": pod_security_context(run_as_user, fs_group),
        "automountServiceAccountToken": automount_token,
        "containers": list(containers),
    }
    if service_account:
        spec["serviceAccountName"] = service_account
    if init_containers:
        spec["initContainers"] = list(init_containers)
    vols = list(volumes or [])
    mounted = {m["name"] for c in [*containers, *(init_containers or [])] for m in c.get("volumeMounts", [])}
    if TMP_VOLUME in mounted and not any(v["name"] == TMP_VOLUME for v in vols):
        vols.append({"name": TMP_VOLUME, "emptyDir": {"sizeLimit": "1Gi"}})
    if vols:
        spec["volumes"] = vols
    if tolerations:
        spec["tolerations"] = list(tolerations)
    if node_selector:
        spec["nodeSelector"] = dict(node_selector)
    if restart_policy:
        spec["restartPolicy"] = restart_policy
    if termination_grace is not None:
        spec["terminationGracePeriodSeconds"] = termination_grace
    return spec


def pod_template(labels: Mapping[str, str], spec: Obj, annotations: Mapping[str, str] | None = None) -> Obj:
    meta: Obj = {"labels": dict(labels)}
    if annotations:
        meta["annotations"] = dict(annotations)
    return {"metadata": meta, "spec": spec}


def deployment_spec(
    selector: Mapping[str, str],
    template: Obj,
    replicas: int = 1,
    *,
    max_unavailable: int | str = 0,
    max_surge: int | str = 1,
) -> Obj:
    return {
        "replicas": replicas,
        "revisionHistoryLimit": 5,
        "selector": {"matchLabels": dict(selector)},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": max_unavailable, "maxSurge": max_surge}},
        "template": template,
    }


def service_spec(selector: Mapping[str, str], ports: Mapping[str, int], *, headless: bool = False) -> Obj:
    spec: Obj = {
        "type": "ClusterIP",
        "selector": dict(selector),
        "ports": [{"name": n, "port": int(p), "targetPort": n, "protocol": "TCP"} for n, p in ports.items()],
    }
    if headless:
        spec["clusterIP"] = "None"
        spec["publishNotReadyAddresses"] = True
    return spec


def hpa_spec(kind: str, target: str, min_replicas: int, max_replicas: int, cpu_percent: int = 75) -> Obj:
    return {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": kind, "name": target},
        "minReplicas": max(1, min_replicas),
        "maxReplicas": max(max_replicas, min_replicas, 1),
        "metrics": [
            {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": cpu_percent}}}
        ],
    }


def pdb_spec(selector: Mapping[str, str], replicas: int) -> Obj:
    """One pod may be disrupted at a time; with several replicas, at least one keeps serving."""
    if replicas > 1:
        return {"minAvailable": replicas - 1, "selector": {"matchLabels": dict(selector)}}
    return {"maxUnavailable": 1, "selector": {"matchLabels": dict(selector)}}


def job_spec(template: Obj, *, backoff_limit: int = 6, active_deadline: int | None = 1800) -> Obj:
    spec: Obj = {"backoffLimit": backoff_limit, "template": template}
    if active_deadline is not None:
        spec["activeDeadlineSeconds"] = active_deadline
    return spec


def cronjob_spec(schedule: str, job_template: Obj, *, labels: Mapping[str, str] | None = None) -> Obj:
    jt: Obj = {"spec": job_template}
    if labels:
        jt["metadata"] = {"labels": dict(labels)}
    return {
        "schedule": schedule,
        "concurrencyPolicy": "Forbid",
        "startingDeadlineSeconds": 600,
        "successfulJobsHistoryLimit": 3,
        "failedJobsHistoryLimit": 3,
        "jobTemplate": jt,
    }


def postgres_url(
    host: str, port: int | str, username: str, password: str, database: str, *, driver: str = "postgresql",
    sslmode: str | None = None,
) -> str:  # fmt: skip
    """A SQLAlchemy/libpq URL with the credentials percent-encoded."""
    user = urllib.parse.quote(username, safe="")
    pw = urllib.parse.quote(password, safe="")
    url = f"{driver}://{user}:{pw}@{host}:{int(float(port))}/{database}"
    return f"{url}?sslmode={sslmode}" if sslmode else url


def db_name_for(app: str) -> str:
    ident = re.sub(r"[^a-z0-9_]", "_", app.lower()).strip("_") or "app"
    return ident if ident[0].isalpha() else f"db_{ident}"


def create_database_script(database: str) -> str:
    """Idempotent CREATE DATABASE (psql; connection from the PG* environment)."""
    ident = db_name_for(database)
    return (
        "set -eu\n"
        f"if psql -tAc \"SELECT 1 FROM pg_database WHERE datname='{ident}'\" | grep -q 1; then\n"
        f"  echo 'database {ident} exists'\n"
        "else\n"
        f"  psql -v ON_ERROR_STOP=1 -c 'CREATE DATABASE \"{ident}\"'\n"
        "fi\n"
    )


def minio_bucket_script(alias: str, buckets: Sequence[tuple[str, bool, int | None]]) -> str:
    """mc commands creating buckets idempotently: (physical name, versioning, expire_days)."""
    lines = [
        "set -eu",
        f'mc alias set {alias} "$MINIO_ENDPOINT" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD"',
    ]
    for bucket, versioning, expire_days in buckets:
        lines.append(f"mc mb --ignore-existing {alias}/{bucket}")
        if versioning:
            lines.append(f"mc version enable {alias}/{bucket}")
        if expire_days:
            lines.append(f"mc ilm rule add --expire-days {expire_days} {alias}/{bucket} || true")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- resources


def k8s_opts(
    cluster: ClusterRef,
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] | None = None,
    *,
    autoscaled: bool = False,
) -> pulumi.ResourceOptions:
    """Options for a Kubernetes child: the component as parent, the cluster's provider.

    `autoscaled`: a workload an HPA scales — its `spec.replicas` is the HPA's from then on.
    """
    return pulumi.ResourceOptions(
        parent=parent,
        provider=cluster.provider,
        depends_on=list(depends_on or []),
        ignore_changes=["spec.replicas"] if autoscaled else None,
    )


def wire(value: Any) -> Any:
    """Plain-dict objects go to typed inputs as they are (the SDK accepts the wire shape)."""
    return value


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


def service_account(
    ctx: Context,
    component: str,
    name: str,
    sa_name: str,
    namespace_: str,
    cluster: ClusterRef,
    parent: pulumi.Resource,
    *,
    role_arn: pulumi.Input[str] | None = None,
    secrets: Sequence[str] = (),
    depends_on: Sequence[pulumi.Resource] | None = None,
) -> k8s.core.v1.ServiceAccount:
    """A ServiceAccount that does not mount its token; annotated with an IRSA role when given.

    `secrets`: Secrets attached to the account (KServe reads S3 credentials from them).
    """
    annotations = {"eks.amazonaws.com/role-arn": role_arn} if role_arn is not None else None
    return k8s.core.v1.ServiceAccount(
        name,
        metadata=wire(object_meta(ctx, component, sa_name, namespace_, annotations=annotations)),
        automount_service_account_token=False,
        secrets=wire([{"name": s} for s in secrets]) if secrets else None,
        opts=k8s_opts(cluster, parent, depends_on),
    )


def opaque_secret(
    ctx: Context,
    component: str,
    name: str,
    secret_name: str,
    namespace_: str,
    data: Mapping[str, pulumi.Input[str]],
    cluster: ClusterRef,
    parent: pulumi.Resource,
    *,
    depends_on: Sequence[pulumi.Resource] | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> k8s.core.v1.Secret:
    """An Opaque Secret whose values are Pulumi secrets (never shown in a plan)."""
    base = k8s_opts(cluster, parent, depends_on)
    return k8s.core.v1.Secret(
        name,
        metadata=wire(object_meta(ctx, component, secret_name, namespace_)),
        type="Opaque",
        string_data={k: secret(v) for k, v in data.items()},
        opts=pulumi.ResourceOptions.merge(base, opts) if opts else base,
    )


def secret_from_ref(
    ctx: Context,
    component: str,
    name: str,
    ref: Any,
    *,
    secret_name: str,
    key: str,
    namespace_: str,
    cluster: ClusterRef,
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] | None = None,
    static: Mapping[str, str] | None = None,
) -> tuple[str, str]:
    """Materialise a spec `SecretRef` as a Kubernetes Secret; returns (secret name, key).

    - `{from_env: VAR}`: a Secret whose value is read from the environment of `mlplat up`
      (a Pulumi secret; empty when the variable is unset, e.g. offline previews).
    - `{secret_ref: "kubernetes/<secret>[/<key>]"}` (or `k8s/...`): an existing Secret, used as is.
    - `{secret_ref: "<store>/<path>"}`: an External Secrets `ExternalSecret` syncing `<path>` from
      the `ClusterSecretStore` named `<store>` (e.g. aws-secrets-manager, vault).

    `static`: non-secret keys stored beside the value (e.g. a user name); an existing Secret is
    expected to hold them already.
    """
    if getattr(ref, "from_env", None):
        var = str(ref.from_env)
        opaque_secret(
            ctx, component, name, secret_name, namespace_, {**(static or {}), key: os.environ.get(var, "")}, cluster,
            parent, depends_on=depends_on,
        )  # fmt: skip
        return secret_name, key
    store, _, path = str(ref.secret_ref).partition("/")
    if store in ("kubernetes", "k8s"):
        existing, _, existing_key = path.partition("/")
        return existing, existing_key or key
    k8s.apiextensions.CustomResource(
        name,
        api_version="external-secrets.io/v1beta1",
        kind="ExternalSecret",
        metadata=wire(object_meta(ctx, component, secret_name, namespace_)),
        spec={
            "refreshInterval": "1h",
            "secretStoreRef": {"kind": "ClusterSecretStore", "name": store},
            "target": {
                "name": secret_name,
                "creationPolicy": "Owner",
                **({"template": {"mergePolicy": "Merge", "data": dict(static)}} if static else {}),
            },
            "data": [{"secretKey": key, "remoteRef": {"key": path}}],
        },
        opts=k8s_opts(cluster, parent, depends_on),
    )
    return secret_name, key


def generated_password(name: str, parent: pulumi.Resource, length: int = 32) -> pulumi.Output[str]:
    """A RandomPassword (alphanumeric: safe in URLs and shells) as a Pulumi secret."""
    pw = random.RandomPassword(
        name, length=length, special=False, min_lower=2, min_upper=2, min_numeric=2,
        opts=pulumi.ResourceOptions(parent=parent),
    )  # fmt: skip
    return secret(pw.result)


def database_url(
    db: DatabaseEndpoint, database: str | None = None, *, driver: str = "postgresql", sslmode: str | None = None
) -> pulumi.Output[str]:
    """The connection URL of `db` (optionally another database on the same server), as a secret."""
    name = database or db.database
    url = pulumi.Output.all(db.host, db.port, db.password).apply(
        lambda a: postgres_url(str(a[0]), a[1], db.username, str(a[2]), name, driver=driver, sslmode=sslmode)
    )
    return secret(url)


def database_for(
    ctx: Context,
    component: str,
    name: str,
    db: DatabaseEndpoint,
    database: str,
    *,
    namespace_: str,
    cluster: ClusterRef,
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] | None = None,
) -> tuple[DatabaseEndpoint, k8s.batch.v1.Job]:
    """An application database on the platform Postgres server, created by an idempotent Job.

    Children: `{name}-admin` (Secret with the server credentials in `namespace_`) and `{name}`
    (the Job). Returns the endpoint for the new database and the Job (depend on it).
    """
    ident = db_name_for(database)
    admin = f"{ident.replace('_', '-')}-db-admin"
    sec = opaque_secret(
        ctx, component, f"{name}-admin", admin, namespace_, {"PGPASSWORD": db.password}, cluster, parent,
        depends_on=depends_on,
    )  # fmt: skip
    sslmode = "require" if ctx.aws else "prefer"
    container = secure_container(
        "create-database",
        POSTGRES_IMAGE,
        command=["/bin/sh", "-c", create_database_script(ident)],
        env=[
            env_value("PGHOST", db.host),
            env_value("PGPORT", pulumi.Output.from_input(db.port).apply(lambda p: str(int(float(p))))),
            env_value("PGUSER", db.username),
            env_value("PGDATABASE", db.database),
            env_value("PGSSLMODE", sslmode),
            env_value("PGCONNECT_TIMEOUT", "10"),
            env_secret("PGPASSWORD", admin, "PGPASSWORD"),
        ],
        cpu="50m",
        memory="64Mi",
        run_as_user=POSTGRES_UID,
        batch=True,
    )
    labels = ctx.k8s_labels(component, f"{ident.replace('_', '-')}-db-init")
    job = k8s.batch.v1.Job(
        name,
        metadata=wire(object_meta(ctx, component, f"{ident.replace('_', '-')}-db-init", namespace_, app="db-init")),
        spec=wire(job_spec(pod_template(labels, pod_spec([container], run_as_user=POSTGRES_UID, restart_policy="OnFailure")))),
        opts=k8s_opts(cluster, parent, [sec, *(depends_on or [])]),
    )
    return replace(db, database=ident, secret_name=None), job


# --------------------------------------------------------------------------- in-cluster data services


def _statefulset_spec(
    service: str, selector: Mapping[str, str], template: Obj, *, storage_gb: int, storage_class: str | None,
    labels: Mapping[str, str], data_volume: str = "data",
) -> Obj:  # fmt: skip
    pvc_spec: Obj = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": f"{storage_gb}Gi"}}}
    if storage_class:
        pvc_spec["storageClassName"] = storage_class
    return {
        "serviceName": service,
        "replicas": 1,
        "selector": {"matchLabels": dict(selector)},
        "podManagementPolicy": "OrderedReady",
        "updateStrategy": {"type": "RollingUpdate"},
        "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
        "template": template,
        "volumeClaimTemplates": [{"metadata": {"name": data_volume, "labels": dict(labels)}, "spec": pvc_spec}],
    }


def _headless_statefulset(
    ctx: Context,
    component: str,
    name: str,
    app: str,
    namespace_: str,
    port: tuple[str, int],
    spec: dict[str, Any],
    storage_gb: int,
    cluster: ClusterRef,
    parent: pulumi.Resource,
    secret: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] | None,
) -> None:
    """`{name}-service` (headless, named `app`) and `{name}-statefulset` running `spec` on a PVC.

    The StatefulSet holds data: it is protected wherever the profile protects data.
    """
    selector = selector_labels(ctx, component, app)
    labels = ctx.k8s_labels(component, app)
    svc = k8s.core.v1.Service(
        f"{name}-service",
        metadata=wire(object_meta(ctx, component, app, namespace_, app=app)),
        spec=wire(service_spec(selector, dict([port]), headless=True)),
        opts=k8s_opts(cluster, parent, depends_on),
    )
    k8s.apps.v1.StatefulSet(
        f"{name}-statefulset",
        metadata=wire(object_meta(ctx, component, app, namespace_, app=app)),
        spec=wire(
            _statefulset_spec(
                app, selector, pod_template(labels, spec), storage_gb=storage_gb, storage_class=ctx.storage_class,
                labels=labels,
            )  # fmt: skip
        ),
        opts=ctx.stateful(k8s_opts(cluster, parent, [secret, svc, *(depends_on or [])])),
    )


def incluster_postgres(
    ctx: Context,
    component: str,
    name: str,
    *,
    namespace_: str,
    cluster: ClusterRef,
    parent: pulumi.Resource,
    storage_gb: int = 20,
    database: str = "mlplat",
    username: str = "mlplat",
    depends_on: Sequence[pulumi.Resource] | None = None,
) -> DatabaseEndpoint:
    """PostgreSQL as a StatefulSet with a PVC, a headless Service and a generated password.

    Children: `{name}-password` (RandomPassword), `{name}-credentials` (Secret), `{name}-service`
    (headless Service `postgres`), `{name}-statefulset` (StatefulSet `postgres`, protected where the
    profile protects data). The host is `postgres.<namespace>.svc.cluster.local`.
    """
    app = "postgres"
    password = generated_password(f"{name}-password", parent)
    creds = f"{app}-credentials"
    db_ident = db_name_for(database)
    sec = opaque_secret(
        ctx, component, f"{name}-credentials", creds, namespace_,
        {"POSTGRES_USER": username, "POSTGRES_PASSWORD": password, "POSTGRES_DB": db_ident},
        cluster, parent, depends_on=depends_on,
    )  # fmt: skip
    ready = ["/bin/sh", "-c", 'pg_isready -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB"']
    container = secure_container(
        app,
        POSTGRES_IMAGE,
        ports={"postgres": POSTGRES_PORT},
        env=[
            env_secret("POSTGRES_USER", creds, "POSTGRES_USER"),
            env_secret("POSTGRES_PASSWORD", creds, "POSTGRES_PASSWORD"),
            env_secret("POSTGRES_DB", creds, "POSTGRES_DB"),
            env_value("PGDATA", "/var/lib/postgresql/data/pgdata"),
        ],
        cpu="250m",
        memory="512Mi",
        cpu_limit="1",
        memory_limit="1Gi",
        liveness=exec_probe(ready, initial_delay=30),
        readiness=exec_probe(ready, initial_delay=5),
        run_as_user=POSTGRES_UID,
        volume_mounts=[
            {"name": "data", "mountPath": "/var/lib/postgresql/data"},
            {"name": "run", "mountPath": "/var/run/postgresql"},
        ],
    )
    spec = pod_spec(
        [container],
        run_as_user=POSTGRES_UID,
        volumes=[{"name": "run", "emptyDir": {}}],
        termination_grace=60,
    )
    _headless_statefulset(
        ctx, component, name, app, namespace_, ("postgres", POSTGRES_PORT), spec, storage_gb,
        cluster, parent, sec, depends_on,
    )  # fmt: skip
    return DatabaseEndpoint(
        host=service_host(app, namespace_),
        port=POSTGRES_PORT,
        username=username,
        password=password,
        database=db_ident,
        secret_name=creds,
    )


def incluster_redis(
    ctx: Context,
    component: str,
    name: str,
    *,
    namespace_: str,
    cluster: ClusterRef,
    parent: pulumi.Resource,
    storage_gb: int = 5,
    depends_on: Sequence[pulumi.Resource] | None = None,
) -> CacheEndpoint:
    """Redis (password-protected, append-only file on a PVC) as a StatefulSet + headless Service.

    Children: `{name}-password`, `{name}-credentials` (Secret), `{name}-service`, `{name}-statefulset`.
    """
    app = "redis"
    password = generated_password(f"{name}-password", parent)
    creds = f"{app}-credentials"
    sec = opaque_secret(
        ctx, component, f"{name}-credentials", creds, namespace_, {"REDIS_PASSWORD": password}, cluster, parent,
        depends_on=depends_on,
    )  # fmt: skip
    ping = ["/bin/sh", "-c", 'redis-cli -a "$REDIS_PASSWORD" --no-auth-warning ping | grep -q PONG']
    container = secure_container(
        app,
        REDIS_IMAGE,
        ports={"redis": REDIS_PORT},
        command=["redis-server"],
        args=["--appendonly", "yes", "--dir", "/data", "--requirepass", "$(REDIS_PASSWORD)", "--protected-mode", "yes"],
        env=[env_secret("REDIS_PASSWORD", creds, "REDIS_PASSWORD")],
        cpu="100m",
        memory="256Mi",
        cpu_limit="500m",
        memory_limit="512Mi",
        liveness=tcp_probe("redis", initial_delay=15),
        readiness=exec_probe(ping, initial_delay=5),
        run_as_user=REDIS_UID,
        volume_mounts=[{"name": "data", "mountPath": "/data"}],
    )
    _headless_statefulset(
        ctx, component, name, app, namespace_, ("redis", REDIS_PORT), pod_spec([container], run_as_user=REDIS_UID),
        storage_gb, cluster, parent, sec, depends_on,
    )  # fmt: skip
    return CacheEndpoint(host=service_host(app, namespace_), port=REDIS_PORT, tls=False, password=password)


@dataclass
class _BucketSpecLike:
    name: str
    versioning: bool = False
    expire_days: int | None = None


def _bucket_specs(buckets: Iterable[Any]) -> list[_BucketSpecLike]:
    out = []
    for b in buckets:
        if isinstance(b, str):
            out.append(_BucketSpecLike(b))
        else:
            lc = getattr(b, "lifecycle", None)
            out.append(_BucketSpecLike(b.name, bool(getattr(b, "versioning", False)), getattr(lc, "expire_days", None)))
    return out


def minio(
    ctx: Context,
    name: str,
    buckets: Iterable[Any],
    cluster: ClusterRef,
    parent: pulumi.Resource,
    *,
    storage_gb: int = 100,
) -> dict[str, BucketRef]:
    """MinIO object storage for kubernetes targets: the declared buckets, S3-compatible.

    `buckets`: spec `Bucket`s (or names). Children: the `storage` namespace (`{name}-namespace`,
    policies), `{name}-root-user` / `{name}-root-password` (RandomPassword), `{name}-credentials`
    (Secret), `{name}-service` (ClusterIP `minio`: 9000 API, 9001 console), `{name}-headless`,
    `{name}-statefulset` (with a PVC) and `{name}-buckets` (Job creating the buckets, versioning and
    expiry). Returns spec name → BucketRef with endpoint and root credentials (secrets).
    """
    component = "storage"
    app = "minio"
    specs = _bucket_specs(buckets)
    ns_name = namespace_name(ctx, component)
    ns = namespace(
        ctx, component, name, cluster, parent, cluster_quota(ctx),
        access=NetworkAccess(platform_ingress_ports=(MINIO_PORT,), ingress_controller_ports=(MINIO_CONSOLE_PORT,),
                             internet_egress_ports=()),
    )  # fmt: skip
    user = generated_password(f"{name}-root-user", parent, length=20)
    password = generated_password(f"{name}-root-password", parent, length=40)
    creds = f"{app}-root-credentials"
    sec = opaque_secret(
        ctx, component, f"{name}-credentials", creds, ns_name,
        {"MINIO_ROOT_USER": user, "MINIO_ROOT_PASSWORD": password}, cluster, parent, depends_on=[ns],
    )  # fmt: skip
    selector = selector_labels(ctx, component, app)
    labels = ctx.k8s_labels(component, app)
    ports = {"api": MINIO_PORT, "console": MINIO_CONSOLE_PORT}
    svc = k8s.core.v1.Service(
        f"{name}-service",
        metadata=wire(object_meta(ctx, component, app, ns_name, app=app)),
        spec=wire(service_spec(selector, ports)),
        opts=k8s_opts(cluster, parent, [ns]),
    )
    headless = k8s.core.v1.Service(
        f"{name}-headless",
        metadata=wire(object_meta(ctx, component, f"{app}-headless", ns_name, app=app)),
        spec=wire(service_spec(selector, ports, headless=True)),
        opts=k8s_opts(cluster, parent, [ns]),
    )
    container = secure_container(
        app,
        MINIO_IMAGE,
        ports=ports,
        command=["minio"],
        args=["server", "/data", "--address", f":{MINIO_PORT}", "--console-address", f":{MINIO_CONSOLE_PORT}"],
        env=[
            env_secret("MINIO_ROOT_USER", creds, "MINIO_ROOT_USER"),
            env_secret("MINIO_ROOT_PASSWORD", creds, "MINIO_ROOT_PASSWORD"),
            env_value("MINIO_PROMETHEUS_AUTH_TYPE", "public"),
            env_value("HOME", "/tmp"),
        ],
        cpu="250m",
        memory="512Mi",
        cpu_limit="1",
        memory_limit="2Gi",
        liveness=http_probe("/minio/health/live", "api", initial_delay=20),
        readiness=http_probe("/minio/health/ready", "api", initial_delay=5),
        volume_mounts=[{"name": "data", "mountPath": "/data"}],
    )
    sts = k8s.apps.v1.StatefulSet(
        f"{name}-statefulset",
        metadata=wire(object_meta(ctx, component, app, ns_name, app=app)),
        spec=wire(
            _statefulset_spec(
                f"{app}-headless", selector, pod_template(labels, pod_spec([container])), storage_gb=storage_gb,
                storage_class=ctx.storage_class, labels=labels,
            )  # fmt: skip
        ),
        opts=ctx.stateful(k8s_opts(cluster, parent, [ns, sec, headless])),
    )
    endpoint = f"http://{service_host(app, ns_name)}:{MINIO_PORT}"
    job_container = secure_container(
        "create-buckets",
        MC_IMAGE,
        command=["/bin/sh", "-c", minio_bucket_script("mlplat", [(ctx.name(b.name), b.versioning, b.expire_days) for b in specs])],
        env=[
            env_value("MINIO_ENDPOINT", endpoint),
            env_value("MC_CONFIG_DIR", "/tmp/.mc"),
            env_secret("MINIO_ROOT_USER", creds, "MINIO_ROOT_USER"),
            env_secret("MINIO_ROOT_PASSWORD", creds, "MINIO_ROOT_PASSWORD"),
        ],
        cpu="50m",
        memory="64Mi",
        batch=True,
    )
    job_labels = ctx.k8s_labels(component, "minio-buckets")
    k8s.batch.v1.Job(
        f"{name}-buckets",
        metadata=wire(object_meta(ctx, component, "minio-buckets", ns_name, app="minio-buckets")),
        spec=wire(job_spec(pod_template(job_labels, pod_spec([job_container], restart_policy="OnFailure")))),
        opts=k8s_opts(cluster, parent, [sts, svc, sec]),
    )
    return {
        b.name: BucketRef(
            name=b.name,
            bucket=ctx.name(b.name),
            arn=f"arn:aws:s3:::{ctx.name(b.name)}",
            endpoint=endpoint,
            access_key=user,
            secret_key=password,
        )
        for b in specs
    }


def s3_credentials_env(bucket: BucketRef, secret_name: str | None) -> list[Obj]:
    """Env for S3 clients: the endpoint (MinIO) and keys from `secret_name` when not on IRSA."""
    env: list[Obj] = []
    if bucket.endpoint is not None:
        env += [env_value("AWS_ENDPOINT_URL", bucket.endpoint), env_value("AWS_ENDPOINT_URL_S3", bucket.endpoint)]
    if secret_name is not None:
        env += [
            env_secret("AWS_ACCESS_KEY_ID", secret_name, "AWS_ACCESS_KEY_ID"),
            env_secret("AWS_SECRET_ACCESS_KEY", secret_name, "AWS_SECRET_ACCESS_KEY"),
        ]
    return env


def s3_credentials_secret(
    ctx: Context,
    component: str,
    name: str,
    bucket: BucketRef,
    *,
    namespace_: str,
    cluster: ClusterRef,
    parent: pulumi.Resource,
    secret_name: str = "s3-credentials",
    depends_on: Sequence[pulumi.Resource] | None = None,
) -> str | None:
    """On kubernetes targets (MinIO), a Secret with the S3 keys in `namespace_`; None on IRSA."""
    if bucket.access_key is None or bucket.secret_key is None:
        return None
    data: dict[str, pulumi.Input[str]] = {
        "AWS_ACCESS_KEY_ID": bucket.access_key,
        "AWS_SECRET_ACCESS_KEY": bucket.secret_key,
    }
    if bucket.endpoint is not None:
        data["AWS_ENDPOINT_URL"] = bucket.endpoint
    opaque_secret(ctx, component, name, secret_name, namespace_, data, cluster, parent, depends_on=depends_on)
    return secret_name


# --------------------------------------------------------------------------- IRSA: scoped object-storage access


def s3_access_policy(bucket_arns: Sequence[str], *, write: bool, kms_key_arns: Sequence[str] = ()) -> Obj:
    """An IAM policy limited to `bucket_arns`: List + Get (read) and Put (write), nothing else.

    With SSE-KMS buckets, the matching kms:Decrypt (read) / kms:GenerateDataKey (write) on the key.
    """
    arns = sorted(set(bucket_arns))
    object_actions = ["s3:GetObject", "s3:PutObject"] if write else ["s3:GetObject"]
    statements: list[Obj] = [
        {"Sid": "ListBuckets", "Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"], "Resource": arns},
        {"Sid": "Objects", "Effect": "Allow", "Action": object_actions, "Resource": [f"{a}/*" for a in arns]},
    ]
    keys = sorted(set(kms_key_arns))
    if keys:
        kms_actions = ["kms:Decrypt", "kms:GenerateDataKey"] if write else ["kms:Decrypt"]
        statements.append({"Sid": "BucketKey", "Effect": "Allow", "Action": kms_actions, "Resource": keys})
    return {"Version": "2012-10-17", "Statement": statements}


def irsa_service_account(
    ctx: Context,
    component: str,
    name: str,
    sa_name: str,
    namespace_: str,
    buckets: Sequence[BucketRef],
    *,
    write: bool,
    cluster: ClusterRef,
    parent: pulumi.Resource,
    secrets: Sequence[str] = (),
    depends_on: Sequence[pulumi.Resource] | None = None,
) -> k8s.core.v1.ServiceAccount:
    """A ServiceAccount; on aws annotated with an IRSA role scoped to `buckets` (`{name}-irsa`).

    Children: `{name}` (ServiceAccount) and, on aws with buckets, `{name}-irsa` (+ `-irsa-policy`).
    """
    role_arn: pulumi.Input[str] | None = None
    if ctx.aws and buckets and cluster.oidc_provider_arn is not None:
        from .aws_iam import irsa_role

        arns = [b.arn for b in buckets]
        keys = [b.kms_key_arn for b in buckets if b.kms_key_arn is not None]
        policy = pulumi.Output.all(pulumi.Output.all(*arns), pulumi.Output.all(*keys)).apply(
            lambda a: json.dumps(s3_access_policy([str(x) for x in a[0]], write=write, kms_key_arns=[str(x) for x in a[1]]))
        )
        role = irsa_role(ctx, component, f"{name}-irsa", sa_name, namespace_, policy, cluster, parent)
        role_arn = role.arn
    return service_account(
        ctx, component, name, sa_name, namespace_, cluster, parent, role_arn=role_arn, secrets=secrets,
        depends_on=depends_on,
    )  # fmt: skip


__all__ = [
    "GPU_RESOURCE", "GPU_TOLERATION", "ImageNotPinned", "NetworkAccess", "Obj", "PSA_BASELINE",
    "PSA_PRIVILEGED", "PSA_RESTRICTED", "cluster_quota", "container_security_context", "cronjob_spec",
    "database_for", "database_url", "deployment_spec", "env_secret", "env_value", "exec_probe",
    "generated_password", "hpa_spec", "wire", "http_probe", "image_tag", "incluster_postgres", "irsa_service_account", "s3_access_policy", "incluster_redis",
    "job_spec", "k8s_opts", "limit_range_spec", "minio", "minio_bucket_script", "namespace", "namespace_name",
    "network_policies", "network_policy_specs", "object_meta", "opaque_secret", "pdb_spec", "pinned_image", "pod_security_context",
    "pod_security_labels", "pod_spec", "pod_template", "postgres_url", "quantity", "quota_hard", "resources",
    "s3_credentials_env", "s3_credentials_secret", "secret_from_ref", "secure_container", "selector_labels",
    "service_account", "service_host", "service_spec", "tcp_probe",
]  # fmt: skip
