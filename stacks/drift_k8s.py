"""Drift for first-party Kubernetes objects: replicas, images and resources.

mlplat writes its own services (MLflow, Feast, model servers…) as plain Kubernetes workloads,
so the plan holds their exact spec. Each Deployment / StatefulSet / DaemonSet the plan declares
becomes a Target whose checks are compared with the live object read through a *reader*:

    reader.get(kind, namespace, name) -> dict | None          # the object as API JSON (camelCase)
    reader.list(kind, label_selector) -> list[dict]           # for objects not in the plan

`KubeClientReader` implements it with the `kubernetes` Python client for a kubeconfig context;
tests pass a reader over dict fixtures. Quantities compare by value (`1000m` == `1`, `1Gi` ==
`1024Mi`); a Deployment an HPA scales is checked against the HPA's bounds, not a fixed count.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Protocol

from .plan import Plan, PlanResource

if TYPE_CHECKING:
    from .drift import Finding, Target
    from .resolve import ResolvedPlatform

WORKLOAD_KINDS = {
    "kubernetes:apps/v1:Deployment": "Deployment",
    "kubernetes:apps/v1:StatefulSet": "StatefulSet",
    "kubernetes:apps/v1:DaemonSet": "DaemonSet",
}
HPA_TYPES = ("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "kubernetes:autoscaling/v1:HorizontalPodAutoscaler")
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
PLATFORM_LABEL = "mlplat.io/platform"
ENVIRONMENT_LABEL = "mlplat.io/environment"

_SUFFIX = {
    "": 1, "m": Decimal("0.001"), "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
}  # fmt: skip
_QTY = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?\d+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")


class KubeReader(Protocol):
    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None: ...

    def list(self, kind: str, label_selector: str) -> list[dict[str, Any]]: ...


def quantity(value: Any) -> Any:
    """A Kubernetes quantity as a number (Decimal); anything unparseable is returned unchanged."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return Decimal(str(value)).normalize()
    if isinstance(value, str):
        m = _QTY.match(value.strip())
        if m:
            try:
                return (Decimal(m.group(1)) * Decimal(str(_SUFFIX[m.group(2) or ""]))).normalize()
            except InvalidOperation:
                return value
    return value


def resources_value(res: Any) -> dict[str, dict[str, str]]:
    """{requests: {cpu: ...}, limits: {...}} with quantities canonicalised (and shown as strings)."""
    out: dict[str, dict[str, str]] = {}
    if not isinstance(res, dict):
        return out
    for section in ("requests", "limits"):
        vals = res.get(section)
        if isinstance(vals, dict) and vals:
            out[section] = {k: _qty_str(quantity(v)) for k, v in sorted(vals.items())}
    return out


def _qty_str(q: Any) -> str:
    if isinstance(q, Decimal):
        return format(q, "f") if q == q.to_integral_value() or abs(q) < 1 else format(q.normalize(), "f")
    return str(q)


def _meta(obj: dict[str, Any]) -> tuple[str | None, str | None]:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    name = meta.get("name") if isinstance(meta, dict) else None
    ns = (meta.get("namespace") if isinstance(meta, dict) else None) or "default"
    return ns, name


def _pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    tmpl = spec.get("template") if isinstance(spec, dict) else None
    pod = tmpl.get("spec") if isinstance(tmpl, dict) else None
    return pod if isinstance(pod, dict) else {}


def _containers(obj: dict[str, Any], field: str) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in _pod_spec(obj).get(field) or [] if isinstance(c, dict) and c.get("name")}


def _first_party(r: PlanResource) -> bool:
    labels = r.labels or {}
    tmpl_labels = r.get("spec.template.metadata.labels") or {}
    return labels.get(MANAGED_BY_LABEL) == "mlplat" or (isinstance(tmpl_labels, dict) and tmpl_labels.get(MANAGED_BY_LABEL) == "mlplat")


def _hpa_bounds(plan: Plan, kind: str, namespace: str, name: str) -> tuple[int, int] | None:
    from .drift import known, norm

    for h in plan.of_type(*HPA_TYPES):
        ref = h.get("spec.scaleTargetRef") or {}
        ns, _ = _meta(h.inputs)
        if isinstance(ref, dict) and ref.get("kind") == kind and ref.get("name") == name and ns == namespace:
            lo, hi = h.get("spec.minReplicas", 1), h.get("spec.maxReplicas")
            if known(lo) and known(hi) and hi is not None:
                return int(norm(lo)), int(norm(hi))
    return None


def _replicas(live: dict[str, Any]) -> Any:
    return (live.get("spec") or {}).get("replicas")


def _in_bounds(expected: Any, actual: Any, *, lo: int, hi: int) -> bool:
    return isinstance(actual, int) and lo <= actual <= hi


def _container_reader(field_: str, name: str, attr: str) -> Any:
    def read(live: dict[str, Any]) -> Any:
        value = (_containers(live, field_).get(name) or {}).get(attr)
        return resources_value(value) if attr == "resources" else value

    return read


def k8s_targets(plan: Plan) -> list["Target"]:
    """A Target per first-party workload with a known namespace/name."""
    from .drift import Check, Target, known, norm

    out: list[Target] = []
    for r in plan.resources:
        kind = WORKLOAD_KINDS.get(r.type)
        if kind is None or not _first_party(r):
            continue
        ns, name = _meta(r.inputs)
        if not (known(ns) and known(name) and name):
            continue  # auto-named objects cannot be found without the state
        assert ns is not None and name is not None
        t = Target("kubernetes", f"{ns}/{name}", r.type, r.name, r.urn, r.component,
                   {"kind": kind, "namespace": ns, "name": name}, urns=[r.urn])  # fmt: skip
        if kind != "DaemonSet":
            bounds = _hpa_bounds(plan, kind, ns, name)
            reps = r.get("spec.replicas")
            if bounds is not None:
                lo, hi = bounds
                t.checks.append(Check("replicas", f"{lo}..{hi}", _replicas, functools.partial(_in_bounds, lo=lo, hi=hi),
                                      note="scaled by a HorizontalPodAutoscaler"))  # fmt: skip
            elif reps is not None and known(reps):
                t.checks.append(Check("replicas", norm(reps), _replicas))
        for field_ in ("containers", "initContainers"):
            for cname, c in _containers(r.inputs, field_).items():
                if known(c.get("image")) and c.get("image"):
                    t.checks.append(Check(f"{field_}.{cname}.image", c["image"], _container_reader(field_, cname, "image")))
                if known(c.get("resources")) and c.get("resources"):
                    t.checks.append(Check(f"{field_}.{cname}.resources", resources_value(c["resources"]),
                                          _container_reader(field_, cname, "resources")))  # fmt: skip
        out.append(t)
    return out


def compare_objects(plan: Plan, reader: KubeReader, platform: str, env: str) -> tuple[list["Finding"], set[str]]:
    """Findings for first-party workloads (missing/changed) and labelled objects not in the plan."""
    from .drift import UNMANAGED, Finding, compare

    findings: list[Finding] = []
    urns: set[str] = set()
    planned: set[tuple[str, str, str]] = set()
    for t in k8s_targets(plan):
        look = t.lookup
        planned.add((look["kind"], look["namespace"], look["name"]))
        live = reader.get(look["kind"], look["namespace"], look["name"])
        findings.extend(compare(t, live, source="kubernetes"))
        urns.update(t.urns)
    selector = f"{PLATFORM_LABEL}={platform},{ENVIRONMENT_LABEL}={env}"
    for kind in sorted(set(WORKLOAD_KINDS.values())):
        for obj in reader.list(kind, selector):
            ns, name = _meta(obj)
            if name and (kind, ns or "default", name) not in planned:
                findings.append(
                    Finding(UNMANAGED, f"{ns}/{name}", f"kubernetes:{kind}", source="kubernetes",
                            message=f"{kind} carries the environment's labels but is not in the plan",
                            target_kind="kubernetes")
                )  # fmt: skip
    return findings, urns


class KubeClientReader:
    """KubeReader over the `kubernetes` Python client for one kubeconfig context."""

    def __init__(self, context: str | None) -> None:
        from .errors import MlplatError

        try:
            from kubernetes import client, config  # type: ignore[import-not-found,import-untyped,unused-ignore]
        except ImportError:
            raise MlplatError(
                "comparing Kubernetes objects needs the kubernetes Python client: pip install kubernetes"
            ) from None
        try:
            config.load_kube_config(context=context)
        except Exception as exc:  # missing kubeconfig, unknown context, bad file
            raise MlplatError(f"cannot load kubeconfig context {context!r}: {exc}") from None
        self._client = client
        self._apps = client.AppsV1Api()
        self._api = client.ApiClient()

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        from .errors import MlplatError

        try:
            return fn(*args, **kwargs)
        except self._client.exceptions.ApiException as exc:
            if exc.status == 404:
                return None
            raise MlplatError(f"Kubernetes API error: {exc.status} {exc.reason}") from None
        except Exception as exc:  # connection refused, TLS, auth plugin failures
            raise MlplatError(f"cannot reach the Kubernetes API: {exc}") from None

    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        fn = getattr(self._apps, f"read_namespaced_{_snake(kind)}")
        obj = self._call(fn, name, namespace)
        return self._api.sanitize_for_serialization(obj) if obj is not None else None  # type: ignore[no-any-return]

    def list(self, kind: str, label_selector: str) -> list[dict[str, Any]]:
        fn = getattr(self._apps, f"list_{_snake(kind)}_for_all_namespaces")
        resp = self._call(fn, label_selector=label_selector)
        items = resp.items if resp is not None else []
        return [self._api.sanitize_for_serialization(i) for i in items]


def _snake(kind: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", kind).lower()


def check_kubernetes(plan: Plan, resolved: "ResolvedPlatform", *, context: str | None,
                     reader: KubeReader | None = None) -> tuple[list["Finding"], set[str], list[str]]:  # fmt: skip
    """Run the Kubernetes comparison; returns (findings, covered urns, notes)."""
    notes: list[str] = []
    if reader is None:
        reader = KubeClientReader(context)
    findings, urns = compare_objects(plan, reader, resolved.name, resolved.environment)
    if not urns:
        notes.append("no first-party Kubernetes workloads with fixed names in the plan")
    return findings, urns, notes


__all__ = ["KubeClientReader", "KubeReader", "check_kubernetes", "compare_objects", "k8s_targets", "quantity",
           "resources_value"]  # fmt: skip
