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
(tested without Pulumi), the resource helpers below them."""


from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .common import BucketRef, ClusterRef, Context, secret

Obj = dict[str, Any]
DEFAULT_UID = 10001

GPU_RESOURCE = "nvidia.com/gpu"
GPU_TOLERATION: Obj = {"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}


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


# --------------------------------------------------------------------------- pure: containers and pods


def quantity(value: str | float) -> str:
    """A Kubernetes quantity as a string (the wire type): 2 → "2", 0.5 → "500m", "1Gi" → "1Gi"."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and not value.is_integer():
        return f"{round(value * 1000)}m"
    return str(int(value))


def cpu_millis(value: str | float) -> int:
    v = quantity(value)
    return int(v[:-1]) if v.endswith("m") else int(float(v) * 1000)


def resources(
    cpu: str | float = "100m",
    memory: str = "128Mi",
    *,
    cpu_limit: str | float | None = None,
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
    cpu: str | float = "100m",
    memory: str = "128Mi",
    cpu_limit: str | float | None = None,
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
    - `{secret_ref: "<store>/<path>[#<property>]"}`: an External Secrets `ExternalSecret` syncing
      `<path>` from the `ClusterSecretStore` named `<store>` (e.g. aws-secrets-manager, vault).
      `#<property>` picks one field of a structured secret (Vault returns the whole secret as
      JSON without it); the External Secrets release in the plan is a dependency.

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
    remote = external_remote_ref(path)
    operator = cluster.operators.get("external-secrets")
    # a ClusterSecretStore mlplat writes (modules/operators.py store_key): the secret waits for it too
    store_res = cluster.operators.get(f"store/{store}")
    k8s.apiextensions.CustomResource(
        name,
        # v1 since ESO v0.17; v1beta1 is no longer served (external-secrets v2.9.0 CRDs).
        api_version="external-secrets.io/v1",
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
            "data": [{"secretKey": key, "remoteRef": remote}],
        },
        opts=k8s_opts(cluster, parent, [*(depends_on or []), *(r for r in (operator, store_res) if r is not None)]),
    )
    return secret_name, key


def external_remote_ref(path: str) -> dict[str, str]:
    """`<path>[#<property>]` → an ExternalSecret `remoteRef` (`property` only when one is named)."""
    key, sep, prop = path.partition("#")
    return {"key": key, "property": prop} if sep and prop else {"key": key}


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
    write_prefix: tuple[BucketRef, str] | None = None,
) -> k8s.core.v1.ServiceAccount:
    """A ServiceAccount; on aws annotated with an IRSA role scoped to `buckets` (`{name}-irsa`).

    `write_prefix`: (bucket, "prefix/") the account may also write under, and nowhere else
    (e.g. read-only model servers that log requests into one prefix).

    Children: `{name}` (ServiceAccount) and, on aws with buckets, `{name}-irsa` (+ `-irsa-policy`).
    """
    role_arn: pulumi.Input[str] | None = None
    if ctx.aws and (buckets or write_prefix) and cluster.oidc_provider_arn is not None:
        from .aws_iam import granted_arn, irsa_role

        arns = [b.arn for b in buckets]
        keys = [b.kms_key_arn for b in buckets if b.kms_key_arn is not None]
        wb, wprefix = write_prefix if write_prefix is not None else (None, "")
        extra = [wb.arn, *([wb.kms_key_arn] if wb.kms_key_arn is not None else [])] if wb is not None else []
        policy = pulumi.Output.all(pulumi.Output.all(*arns), pulumi.Output.all(*keys), pulumi.Output.all(*extra)).apply(
            lambda a: json.dumps(
                s3_access_policy(
                    [str(x) for x in a[0]], write=write, kms_key_arns=[str(x) for x in a[1]],
                    prefix_writes=[(str(a[2][0]), wprefix, str(a[2][1]) if len(a[2]) > 1 else None)] if a[2] else (),
                )
            )
        )  # fmt: skip
        role = irsa_role(ctx, component, f"{name}-irsa", sa_name, namespace_, policy, cluster, parent)
        role_arn = granted_arn(role)
    return service_account(
        ctx, component, name, sa_name, namespace_, cluster, parent, role_arn=role_arn, secrets=secrets,
        depends_on=depends_on,
    )  # fmt: skip


# --------------------------------------------------------------------------- IRSA: scoped object-storage access


def s3_access_policy(
    bucket_arns: Sequence[str],
    *,
    write: bool,
    kms_key_arns: Sequence[str] = (),
    prefix_writes: Sequence[tuple[str, str, str | None]] = (),
) -> Obj:
    """An IAM policy limited to `bucket_arns`: List + Get (read) and Put (write), nothing else.

    With SSE-KMS buckets, the matching kms:Decrypt (read) / kms:GenerateDataKey (write) on the key.
    `prefix_writes`: (bucket ARN, "prefix/", its KMS key ARN or None): Put under that prefix only.
    """
    arns = sorted(set(bucket_arns))
    object_actions = ["s3:GetObject", "s3:PutObject"] if write else ["s3:GetObject"]
    statements: list[Obj] = []
    if arns:
        statements += [
            {"Sid": "ListBuckets", "Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"], "Resource": arns},
            {"Sid": "Objects", "Effect": "Allow", "Action": object_actions, "Resource": [f"{a}/*" for a in arns]},
        ]
    keys = sorted(set(kms_key_arns))
    if keys:
        kms_actions = ["kms:Decrypt", "kms:GenerateDataKey"] if write else ["kms:Decrypt"]
        statements.append({"Sid": "BucketKey", "Effect": "Allow", "Action": kms_actions, "Resource": keys})
    if prefix_writes:
        statements.append({"Sid": "PrefixWrites", "Effect": "Allow", "Action": ["s3:PutObject"],
                           "Resource": sorted(f"{arn}/{prefix}*" for arn, prefix, _ in prefix_writes)})  # fmt: skip
        pkeys = sorted({k for _, _, k in prefix_writes if k})
        if pkeys:
            statements.append({"Sid": "PrefixWritesKey", "Effect": "Allow", "Action": ["kms:GenerateDataKey"], "Resource": pkeys})
    return {"Version": "2012-10-17", "Statement": statements}


__all__ = ["GPU_RESOURCE", "GPU_TOLERATION", "ImageNotPinned", "Obj", "container_security_context", "cronjob_spec", "deployment_spec", "env_secret", "env_value", "exec_probe", "external_remote_ref", "hpa_spec", "http_probe", "image_tag", "irsa_service_account", "job_spec", "k8s_opts", "namespace_name", "object_meta", "opaque_secret", "pdb_spec", "pinned_image", "pod_security_context", "pod_spec", "pod_template", "quantity", "resources", "s3_access_policy", "secret_from_ref", "secure_container", "selector_labels", "service_account", "service_host", "service_spec", "tcp_probe", "wire"]
