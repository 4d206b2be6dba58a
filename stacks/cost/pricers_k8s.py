"""Pricing rules for Kubernetes objects: workloads, jobs, volumes, load balancers and Helm charts, on node hours."""


from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

from mlplat.stacks.cost.catalogue import STATUS_PRICED
from mlplat.stacks.cost.fmt import _num
from mlplat.stacks.cost.lines import Charge, CostLine
from mlplat.stacks.cost.pricers import (
    _Ctx,
    _d,
    _expected,
    _free,
    _int,
    _line,
    _load_balancer,
    _public_ipv4,
    _scaled,
    _unpriced,
    gib,
    parse_quantity,
)

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource



# --------------------------------------------------------------------------- kubernetes objects

_WORKLOAD_KINDS = {"Deployment", "StatefulSet", "ReplicaSet", "Pod", "ReplicationController"}
_SCHEDULED_KINDS = {"Job", "CronJob"}
_K8S_FREE_ON_AWS = "Kubernetes object: its pods run on the priced node groups"
_K8S_API_OBJECT = "Kubernetes API object: no charge"


def _kind(res: PlanResource) -> str:
    return res.type.rsplit(":", 1)[-1]


def _meta(res: PlanResource) -> tuple[str, str]:
    meta = _d(res.inputs.get("metadata"))
    return str(meta.get("namespace") or "default"), str(meta.get("name") or res.name)


def pod_requests(pod_spec: Any) -> tuple[float, float, float] | None:
    """(vCPU, GiB, GPUs) requested by a pod spec's containers; limits stand in for missing requests
    (as Kubernetes defaults them); None when no container states any. Init containers run briefly
    and are not counted."""
    if not isinstance(pod_spec, dict):
        return None
    containers = pod_spec.get("containers")
    if not isinstance(containers, list) or not containers:
        return None
    cpu = mem = gpu = 0.0
    stated = False
    for c in containers:
        resources_ = c.get("resources") if isinstance(c, dict) else None
        if not isinstance(resources_, dict):
            continue
        req = _d(resources_.get("requests"))
        lim = _d(resources_.get("limits"))
        both = {**lim, **req}
        if not both:
            continue
        stated = True
        cpu += parse_quantity(both.get("cpu")) or 0.0
        mem += gib(both.get("memory")) or 0.0
        gpu += parse_quantity(both.get("nvidia.com/gpu") or both.get("amd.com/gpu")) or 0.0
    return (cpu, mem, gpu) if stated else None


def _pvc_gib(pvc_spec: Any) -> float | None:
    if not isinstance(pvc_spec, dict):
        return None
    req = pvc_spec.get("resources", {}).get("requests", {}) if isinstance(pvc_spec.get("resources"), dict) else {}
    return gib(req.get("storage")) if isinstance(req, dict) else None


def _storage_charges(volumes: list[tuple[str, float]], replicas: int, ctx: _Ctx) -> tuple[list[Charge], str]:
    """Charges for persistent volumes (one per replica for claim templates)."""
    if ctx.aws:
        price, what = ctx.cat.price("ebs", "gp3_gb_month"), "EBS gp3"
    else:
        price, what = ctx.usage.k8s_rates.get("storage_gb_month"), "persistent volume"
    if price is None:
        return [], ""
    charges = [Charge(f"{what} {name} {_num(round(size, 2))} GiB", size * replicas, "GB-month", price)
               for name, size in volumes]  # fmt: skip
    return charges, what


def _k8s_workload(res: PlanResource, ctx: _Ctx) -> CostLine:
    kind = _kind(res)
    spec = _d(res.inputs.get("spec"))
    pod = spec if kind == "Pod" else (spec.get("template") or {}).get("spec")
    replicas = 1 if kind == "Pod" else _int(spec.get("replicas"), 1)
    replicas = 1 if replicas is None else replicas
    vct: list[tuple[str, float]] = []
    for t in spec.get("volumeClaimTemplates") or [] if kind == "StatefulSet" else []:
        size = _pvc_gib(t.get("spec") if isinstance(t, dict) else None)
        if size:
            vct.append((str((t.get("metadata") or {}).get("name", "data")), size))
    ns, name = _meta(res)
    lo, hi = ctx.hpa.get((ns, kind, name), (replicas, replicas))
    exp = _expected(lo, hi, ctx.usage.autoscale_fraction)
    shape = (f"{lo}–{hi} replicas (autoscaler); expected {_num(round(exp, 2))}" if lo != hi
             else f"{replicas} replica(s) all month")  # fmt: skip
    if ctx.aws:
        if not vct:
            return _free(res, _K8S_FREE_ON_AWS)
        # Pods are paid for by the node groups; the claim templates become EBS volumes, one per replica.
        charges, _ = _storage_charges(vct, 1, ctx)
        return _scaled(res, [], charges, lo, exp, hi, f"{shape}; one EBS gp3 volume per replica")
    req = pod_requests(pod)
    rates = ctx.usage.k8s_rates
    per_replica: list[Charge] = []
    if req is not None:
        cpu, mem, gpu = req
        if cpu:
            per_replica.append(Charge(f"{_num(round(cpu, 3))} vCPU requested", cpu * ctx.hours, "vCPU-hour",
                                      rates.get("vcpu_hour", 0.0)))  # fmt: skip
        if mem:
            per_replica.append(Charge(f"{_num(round(mem, 3))} GiB requested", mem * ctx.hours, "GiB-hour",
                                      rates.get("gib_hour", 0.0)))  # fmt: skip
        if gpu:
            per_replica.append(Charge(f"{_num(gpu)} GPU requested", gpu * ctx.hours, "GPU-hour",
                                      rates.get("gpu_hour", 0.0)))  # fmt: skip
    storage, _ = _storage_charges(vct, 1, ctx)
    per_replica += storage
    if req is None and not storage:
        return _unpriced(res, "no container states resource requests or limits: nothing to price")
    note = "" if req is not None else "; containers state no requests (compute not priced)"
    return _scaled(res, [], per_replica, lo, exp, hi, f"{shape}; priced from requests{note}")


def cron_runs_per_month(schedule: str) -> float | None:
    """Approximate runs per month of a 5-field cron schedule (None when it cannot be read)."""
    fields = schedule.split()
    if len(fields) != 5:
        return None
    spans = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
    counts: list[int] = []
    for text, (lo, hi) in zip(fields, spans):
        values: set[int] = set()
        for part in text.split(","):
            m = re.fullmatch(r"(\*|\d+)(?:-(\d+))?(?:/(\d+))?", part)
            if not m:
                return None
            start = lo if m.group(1) == "*" else int(m.group(1))
            end = int(m.group(2)) if m.group(2) else (hi if m.group(1) == "*" or m.group(3) else start)
            values.update(range(start, min(end, hi) + 1, int(m.group(3) or 1)))
        counts.append(len(values))
    minutes, hours, dom, months, dow = counts
    days_in_month = 365.0 / 12
    dom_any, dow_any = fields[2] == "*", fields[4] == "*"
    if dom_any and dow_any:
        days = days_in_month
    elif dom_any:
        days = days_in_month * min(dow, 7) / 7
    elif dow_any:
        days = float(dom)
    else:  # cron runs when either matches
        days = min(days_in_month, dom + days_in_month * min(dow, 7) / 7)
    return minutes * hours * days * months / 12


def _k8s_cronjob(res: PlanResource, ctx: _Ctx) -> CostLine:
    spec = _d(res.inputs.get("spec"))
    schedule = spec.get("schedule")
    runs = cron_runs_per_month(schedule) if isinstance(schedule, str) else None
    if runs is None:
        return _unpriced(res, f"CronJob schedule {schedule!r} cannot be read")
    pod = _d(_d(_d(_d(spec.get("jobTemplate")).get("spec")).get("template")).get("spec"))
    req = pod_requests(pod)
    if req is None:
        return _unpriced(res, "no container states resource requests or limits: nothing to price")
    hours = runs * ctx.usage.job_minutes / 60
    rates = ctx.usage.k8s_rates
    cpu, mem, gpu = req
    charges = [Charge(f"{_num(round(q, 3))} {unit.split('-')[0]} × {_num(round(hours, 2))} h", q * hours, unit,
                      rates.get(rate, 0.0))
               for q, unit, rate in ((cpu, "vCPU-hour", "vcpu_hour"), (mem, "GiB-hour", "gib_hour"),
                                     (gpu, "GPU-hour", "gpu_hour")) if q]  # fmt: skip
    return _line(res, STATUS_PRICED, f"{_num(round(runs, 1))} runs/month ({schedule}) × {_num(ctx.usage.job_minutes)} "
                 "minutes each; priced from requests", charges)  # fmt: skip


def _k8s_pvc(res: PlanResource, ctx: _Ctx) -> CostLine:
    size = _pvc_gib(res.inputs.get("spec"))
    if not size:
        return _unpriced(res, "claim size unknown")
    charges, what = _storage_charges([(_meta(res)[1], size)], 1, ctx)
    if not charges:
        return _unpriced(res, "no storage price")
    return _line(res, STATUS_PRICED, f"{what}, {_num(round(size, 2))} GiB requested", charges)


def _k8s_service(res: PlanResource, ctx: _Ctx) -> CostLine:
    spec = _d(res.inputs.get("spec"))
    if spec.get("type") != "LoadBalancer":
        return _free(res, _K8S_API_OBJECT)
    if not ctx.aws:
        rate = ctx.usage.k8s_rates.get("load_balancer_hour", 0.0)
        return _line(res, STATUS_PRICED, "Service type LoadBalancer at the configured load_balancer_hour rate",
                     [Charge("load balancer", ctx.hours, "hour", rate)])  # fmt: skip
    meta = _d(res.inputs.get("metadata"))
    ann = _d(meta.get("annotations"))
    lb_type = str(ann.get("service.beta.kubernetes.io/aws-load-balancer-type", ""))
    nlb = lb_type in ("nlb", "external", "nlb-ip")
    short = "nlb" if nlb else "clb"
    hour = ctx.cat.price("elb", f"{short}_hour")
    if hour is None:
        return _unpriced(res, "no load balancer price in the catalogue")
    charges = [Charge("network load balancer" if nlb else "classic load balancer", ctx.hours, "hour", hour)]
    lcu = ctx.cat.price("elb", "nlb_lcu_hour") if nlb else None
    if lcu is not None:
        charges.append(Charge("capacity units", ctx.usage.lb_lcu_per_hour * ctx.hours, "LCU-hour", lcu))
    why = "NLB (annotated)" if nlb else "classic load balancer (no NLB annotation: the in-tree controller's default)"
    # The in-tree controller makes internet-facing balancers unless told `internal`; the AWS Load
    # Balancer Controller (type external / nlb-ip) makes internal ones unless told internet-facing.
    scheme = str(ann.get("service.beta.kubernetes.io/aws-load-balancer-scheme", ""))
    internal = str(ann.get("service.beta.kubernetes.io/aws-load-balancer-internal", "")).lower() in ("true", "0.0.0.0/0")
    lbc = lb_type in ("external", "nlb-ip")
    public = scheme == "internet-facing" if lbc else not (internal or scheme == "internal")
    charges += _public_ipv4(ctx, ctx.az_count if public else 0, "one per AZ of an internet-facing load balancer")
    where = f"internet-facing in {ctx.az_count} AZ(s)" if public else "internal (no public IPv4)"
    return _line(res, STATUS_PRICED, f"Service type LoadBalancer → {why}, {where}", charges)


def _k8s_ingress(res: PlanResource, ctx: _Ctx) -> CostLine:
    spec = _d(res.inputs.get("spec"))
    meta = _d(res.inputs.get("metadata"))
    ann = _d(meta.get("annotations"))
    cls = spec.get("ingressClassName") or ann.get("kubernetes.io/ingress.class")
    if ctx.aws and cls == "alb":
        line = _load_balancer(res, ctx)
        # The controller's default scheme is internal; internet-facing ones take a public IPv4 per AZ.
        public = ann.get("alb.ingress.kubernetes.io/scheme") == "internet-facing"
        extra = _public_ipv4(ctx, ctx.az_count if public else 0, "one per AZ of an internet-facing load balancer")
        line.charges += extra
        line.monthly_usd += sum(c.monthly_usd for c in extra)
        where = f"internet-facing in {ctx.az_count} AZ(s)" if public else "internal (no public IPv4)"
        line.assumption = f"ALB created by the AWS Load Balancer Controller, all month, {where}"
        return line
    return _free(res, "ingress rule: served by the cluster's ingress controller")


def chart_shapes(values: Any) -> tuple[list[tuple[str, tuple[float, float, float], int]], list[tuple[str, float, int]]]:
    """What a chart's values state: pods (path, (vCPU, GiB, GPUs), replicas) and volumes (path, GiB, count).

    Read generically: a `resources` block with requests or limits is one pod shape times the
    `replicas`/`replicaCount` beside it or above it (default 1); `volumeClaimTemplate` and `persistence.size`
    are volumes. Disabled blocks (`enabled: false`) and one-off jobs (keys ending in `Job`) are
    skipped, and so are Airflow's workers under the KubernetesExecutor (pods started per task)."""
    pods: list[tuple[str, tuple[float, float, float], int]] = []
    vols: list[tuple[str, float, int]] = []

    def replicas(node: dict[str, Any], inherited: int) -> int:
        value = _int(node.get("replicas"), None)
        value = _int(node.get("replicaCount"), None) if value is None else value
        return inherited if value is None else value

    def walk(node: Any, label: str, inherited: int = 1) -> None:
        if isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, f"{label}[{i}]", inherited)
            return
        if not isinstance(node, dict) or node.get("enabled") is False:
            return
        if label.rsplit(".", 1)[-1].lower().endswith("job"):
            return
        n = replicas(node, inherited)
        vct = node.get("volumeClaimTemplate")
        size = _pvc_gib(vct.get("spec")) if isinstance(vct, dict) else None
        if size:
            vols.append((f"{label}.volumeClaimTemplate", size, n))
        pers = node.get("persistence")
        if isinstance(pers, dict) and pers.get("enabled", True) is not False:
            size = gib(pers.get("size"))
            if size:
                vols.append((f"{label}.persistence" if label else "persistence", size, n))
        res_ = node.get("resources")
        if isinstance(res_, dict):
            req = pod_requests({"containers": [{"resources": res_}]})
            if req is not None and any(req):
                pods.append((label or "(chart)", req, n))
        for key, child in node.items():
            if key in ("resources", "volumeClaimTemplate", "persistence", "labels", "annotations", "env"):
                continue
            if key == "workers" and node.get("executor") == "KubernetesExecutor":
                continue
            walk(child, f"{label}.{key}" if label else key, n)

    walk(values, "")
    return pods, vols


def _helm_release(res: PlanResource, ctx: _Ctx) -> CostLine:
    chart = res.inputs.get("chart") or res.name
    pods, vols = chart_shapes(res.inputs.get("values"))
    volumes, what = _storage_charges([(label, size * n) for label, size, n in vols], 1, ctx)
    if ctx.aws:
        if not volumes:
            return _free(res, f"Helm release {chart}: its pods run on the priced node groups")
        return _line(res, STATUS_PRICED, f"Helm release {chart}: {what} volumes from the chart values; its pods "
                     "run on the priced node groups", volumes)  # fmt: skip
    rates = ctx.usage.k8s_rates
    charges: list[Charge] = []
    for label, (cpu, mem, gpu), n in pods:
        for q, unit, rate in ((cpu, "vCPU-hour", "vcpu_hour"), (mem, "GiB-hour", "gib_hour"), (gpu, "GPU-hour", "gpu_hour")):
            if q:
                charges.append(Charge(f"{label}: {_num(round(q, 3))} {unit.split('-')[0]} × {n}", q * n * ctx.hours,
                                      unit, rates.get(rate, 0.0)))  # fmt: skip
    charges += volumes
    if not charges:
        return _unpriced(res, f"Helm release {chart}: its pods' requests are not visible in the plan")
    return _line(res, STATUS_PRICED, f"Helm release {chart}: priced from the requests, replicas and volumes its "
                 "values state (pods the chart starts without them are not visible)", charges)  # fmt: skip


def _manifests(res: PlanResource, ctx: _Ctx) -> CostLine:
    if ctx.aws:
        return _free(res, "upstream manifests: their pods run on the priced node groups")
    return _unpriced(res, "upstream manifests (kustomize/YAML): their pods' requests are not visible in the plan")


def _custom_workload(res: PlanResource, ctx: _Ctx) -> CostLine | None:
    """Custom resources that run pods (KServe InferenceService, SeldonDeployment, …): on kubernetes
    targets priced from the requests and replica bounds they state; on aws free (node groups)."""
    spec = res.inputs.get("spec")
    found = _find_pod_shapes(spec)
    if not found:
        return None
    predictor = _d(_d(spec).get("predictor"))
    if predictor.get("canaryTrafficPercent") is not None:
        # A KServe canary rollout keeps the previous revision serving the rest of the traffic.
        found += [(f"{label} (previous revision)", req, lo, hi) for label, req, lo, hi in found
                  if label.startswith("predictor")]  # fmt: skip
    if ctx.aws:
        return _free(res, _K8S_FREE_ON_AWS)
    rates = ctx.usage.k8s_rates
    fixed: list[Charge] = []
    lo_total = exp_total = hi_total = 0.0
    parts = []
    for label, (cpu, mem, gpu), lo, hi in found:
        per = cpu * rates.get("vcpu_hour", 0.0) + mem * rates.get("gib_hour", 0.0) + gpu * rates.get("gpu_hour", 0.0)
        per *= ctx.hours
        exp = _expected(lo, hi, ctx.usage.autoscale_fraction)
        lo_total += per * lo
        exp_total += per * exp
        hi_total += per * hi
        if cpu:
            fixed.append(Charge(f"{label}: {_num(round(cpu, 3))} vCPU × {_num(round(exp, 2))} replicas",
                                cpu * ctx.hours * exp, "vCPU-hour", rates.get("vcpu_hour", 0.0)))  # fmt: skip
        if mem:
            fixed.append(Charge(f"{label}: {_num(round(mem, 3))} GiB × {_num(round(exp, 2))} replicas",
                                mem * ctx.hours * exp, "GiB-hour", rates.get("gib_hour", 0.0)))  # fmt: skip
        if gpu:
            fixed.append(Charge(f"{label}: {_num(gpu)} GPU × {_num(round(exp, 2))} replicas",
                                gpu * ctx.hours * exp, "GPU-hour", rates.get("gpu_hour", 0.0)))  # fmt: skip
        parts.append(f"{label} {lo}–{hi} replicas" if lo != hi else f"{label} {lo} replica(s)")
    line = _line(res, STATUS_PRICED, "; ".join(parts) + "; priced from requests", fixed)
    line.monthly_usd = exp_total
    if not (math.isclose(lo_total, exp_total) and math.isclose(hi_total, exp_total)):
        line.min_monthly_usd, line.max_monthly_usd = lo_total, hi_total
    return line


def _find_pod_shapes(spec: Any, path: str = "") -> list[tuple[str, tuple[float, float, float], int, int]]:
    """Pod-running parts of a custom resource: each dict with containers (or a KServe `model`) plus
    the replica bounds it or its closest ancestor states (minReplicas/maxReplicas/replicas)."""
    out: list[tuple[str, tuple[float, float, float], int, int]] = []

    def bounds(node: dict[str, Any], inherited: tuple[int, int]) -> tuple[int, int]:
        hpa = _d(node.get("hpaSpec"))  # Seldon: componentSpecs[].hpaSpec beside the pod spec
        lo = _int(node.get("minReplicas", hpa.get("minReplicas")))
        hi = _int(node.get("maxReplicas", hpa.get("maxReplicas")))
        fixed = _int(node.get("replicas"))
        if lo is None and hi is None and fixed is None:
            return inherited
        if fixed is not None and lo is None:
            lo = fixed
        lo = 1 if lo is None else lo
        hi = max(lo, hi if hi is not None else (fixed if fixed is not None else lo))
        return lo, hi

    def walk(node: Any, label: str, inherited: tuple[int, int]) -> None:
        if isinstance(node, list):
            for i, item in enumerate(node):
                name = item.get("name") if isinstance(item, dict) else None
                walk(item, f"{label}[{name or i}]", inherited)
            return
        if not isinstance(node, dict):
            return
        b = bounds(node, inherited)
        req = pod_requests(node) if isinstance(node.get("containers"), list) else None
        if req is None and isinstance(node.get("resources"), dict) and ("model" in label or "modelFormat" in node):
            req = pod_requests({"containers": [{"resources": node["resources"]}]})
        if req is not None:
            out.append((label or "pods", req, b[0], b[1]))
            return
        for key, child in node.items():
            if key in ("metadata", "resources"):
                continue
            walk(child, f"{label}.{key}" if label else key, b)

    walk(spec, path, (1, 1))
    return out


def _price_kubernetes(res: PlanResource, ctx: _Ctx) -> CostLine:
    kind = _kind(res)
    if kind in _WORKLOAD_KINDS:
        return _k8s_workload(res, ctx)
    if kind == "PersistentVolumeClaim":
        return _k8s_pvc(res, ctx)
    if kind == "Service":
        return _k8s_service(res, ctx)
    if kind == "Ingress":
        return _k8s_ingress(res, ctx)
    if res.type.startswith("kubernetes:helm.sh/"):
        return _helm_release(res, ctx) if kind == "Release" else _manifests(res, ctx)
    if res.type.startswith(("kubernetes:kustomize/", "kubernetes:yaml/")):
        return _manifests(res, ctx)
    if kind == "DaemonSet":
        if ctx.aws:
            return _free(res, _K8S_FREE_ON_AWS)
        return _unpriced(res, "DaemonSet: one pod per node, and the node count of an existing cluster is unknown")
    if kind in _SCHEDULED_KINDS:
        if ctx.aws:
            return _free(res, _K8S_FREE_ON_AWS)
        if kind == "Job":
            return _free(res, "one-off Job: runs once at deployment, not a monthly cost")
        return _k8s_cronjob(res, ctx)
    if kind == "PersistentVolume":
        return _unpriced(res, "pre-provisioned volume: priced by whoever provides it")
    group = res.type.split(":")[1] if res.type.count(":") >= 2 else ""
    builtin = group.split("/")[0] in ("core", "apps", "batch", "rbac.authorization.k8s.io", "networking.k8s.io",
                                      "policy", "storage.k8s.io", "autoscaling", "scheduling.k8s.io",
                                      "apiextensions.k8s.io", "admissionregistration.k8s.io", "coordination.k8s.io",
                                      "yaml", "meta")  # fmt: skip
    if not builtin:
        line = _custom_workload(res, ctx)
        if line is not None:
            return line
    return _free(res, _K8S_API_OBJECT)


__all__ = ["chart_shapes", "cron_runs_per_month", "pod_requests"]
