"""Drift for first-party Kubernetes objects: existence, replicas, images and resources.

mlplat writes its own services (MLflow, Feast, model servers, reports…) as Kubernetes objects
labelled `app.kubernetes.io/managed-by: mlplat`, so the plan holds their exact spec. Each one
with a fixed name becomes a Target; what is compared depends on the kind:

- every object: that it exists (Secrets: existence only, their data is never read or compared);
- Deployment / StatefulSet: replicas (within the HPA's bounds when an HPA scales it), and per
  container the image and resources; DaemonSet, CronJob: per container image and resources,
  CronJob also its schedule; HorizontalPodAutoscaler: min/max replicas;
- KServe InferenceService: predictor min/max replicas, model storage URI and resources, canary share.

Jobs are skipped: they finish and are garbage-collected, so their absence is not drift. Third-party
charts (helm Releases) are not first-party objects. Live objects come from a *reader*:

    reader.get(api_version, kind, namespace, name) -> dict | None     # API JSON (camelCase)
    reader.list(api_version, kind, label_selector) -> list[dict]      # for objects not in the plan

`KubeClientReader` implements it with the `kubernetes` Python client for a kubeconfig context
(tested against a local server answering like kube-apiserver); the comparison tests pass a reader
over dict fixtures. Quantities compare by value (`1000m` == `1`).
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Protocol

from mlplat.stacks.drift.model import UNMANAGED, Check, Finding, Target, compare, known, norm
from mlplat.stacks.plan.model import Plan, PlanResource

if TYPE_CHECKING:
    from mlplat.stacks.platform_spec.resolve import ResolvedPlatform

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
PLATFORM_LABEL = "mlplat.io/platform"
ENVIRONMENT_LABEL = "mlplat.io/environment"

POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
SCALED_KINDS = ("Deployment", "StatefulSet")
SKIPPED_KINDS = {"Job"}  # run to completion, then garbage-collected: absence is not drift
CLUSTER_SCOPED = {
    "Namespace", "StorageClass", "ClusterRole", "ClusterRoleBinding", "PriorityClass", "CustomResourceDefinition",
    "PersistentVolume", "ClusterIssuer", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
}  # fmt: skip
HPA_KINDS = ("HorizontalPodAutoscaler",)

_SUFFIX = {
    "": 1, "m": Decimal("0.001"), "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
}  # fmt: skip
_QTY = re.compile(r"([+-]?[0-9.]+(?:[eE][+-]?\d+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?")


class KubeReader(Protocol):
    def get(self, api_version: str, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None: ...

    def list(self, api_version: str, kind: str, label_selector: str) -> list[dict[str, Any]]: ...


# --------------------------------------------------------------------------- values


def quantity(value: Any) -> Any:
    """A Kubernetes quantity as a number (Decimal); anything unparseable is returned unchanged."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return Decimal(str(value)).normalize()
    if isinstance(value, str):
        m = _QTY.fullmatch(value.strip())
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
    return format(q, "f") if isinstance(q, Decimal) else str(q)


def _dig(obj: Any, path: tuple[str, ...]) -> Any:
    for p in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(p)
    return obj


def _meta(obj: dict[str, Any], kind: str) -> tuple[str | None, str | None]:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    name = meta.get("name") if isinstance(meta, dict) else None
    if kind in CLUSTER_SCOPED:
        return None, name
    ns = (meta.get("namespace") if isinstance(meta, dict) else None) or "default"
    return ns, name


def _containers(obj: dict[str, Any], kind: str, field: str) -> dict[str, dict[str, Any]]:
    pod = _dig(obj, POD_SPEC_PATHS.get(kind, ("spec", "template", "spec")))
    items = pod.get(field) if isinstance(pod, dict) else None
    return {c["name"]: c for c in items or [] if isinstance(c, dict) and c.get("name")}


def _first_party(r: PlanResource) -> bool:
    return (r.labels or {}).get(MANAGED_BY_LABEL) == "mlplat"


def _kind_of(r: PlanResource) -> tuple[str, str]:
    """(apiVersion, kind) from the Pulumi type: kubernetes:apps/v1:Deployment → (apps/v1, Deployment)."""
    _, group_version, kind = r.type.split(":", 2)
    group, _, version = group_version.partition("/")
    return (version if group == "core" else group_version), kind


# --------------------------------------------------------------------------- readers of live values


def _at(path: tuple[str, ...], transform: Any = None) -> Any:
    def read(live: dict[str, Any]) -> Any:
        value = _dig(live, path)
        return transform(value) if transform is not None else value

    return read


def _canary_reader(name: str, path: tuple[str, ...]) -> Any:
    def read(live: dict[str, Any]) -> Any:
        for c in _dig(live, ("spec", "canary")) or []:
            if _dig(c, ("predictor", "name")) == name:
                return _dig(c, path)
        return None

    return read


def _container_reader(kind: str, field_: str, name: str, attr: str) -> Any:
    def read(live: dict[str, Any]) -> Any:
        value = (_containers(live, kind, field_).get(name) or {}).get(attr)
        return resources_value(value) if attr == "resources" else value

    return read


def _in_bounds(expected: Any, actual: Any, *, lo: int, hi: int) -> bool:
    return isinstance(actual, int) and lo <= actual <= hi


def _hpa_bounds(plan: Plan, kind: str, namespace: str | None, name: str) -> tuple[int, int] | None:

    for h in plan.resources:
        if not h.type.endswith(":HorizontalPodAutoscaler"):
            continue
        ref = h.get("spec.scaleTargetRef") or {}
        ns, _ = _meta(h.inputs, "HorizontalPodAutoscaler")
        if isinstance(ref, dict) and ref.get("kind") == kind and ref.get("name") == name and ns == namespace:
            lo, hi = h.get("spec.minReplicas", 1), h.get("spec.maxReplicas")
            if known(lo) and known(hi) and hi is not None:
                return int(norm(lo)), int(norm(hi))
    return None


# --------------------------------------------------------------------------- targets


def _value_check(checks: list[Check], attribute: str, expected: Any, path: tuple[str, ...], transform: Any = None) -> None:

    if expected is None or not known(expected):
        return
    exp = transform(expected) if transform is not None else norm(expected)
    checks.append(Check(attribute, exp, _at(path, transform)))


def _workload_checks(plan: Plan, r: PlanResource, kind: str, ns: str | None, name: str) -> list[Check]:

    checks: list[Check] = []
    if kind in SCALED_KINDS:
        bounds = _hpa_bounds(plan, kind, ns, name)
        reps = r.get("spec.replicas")
        if bounds is not None:
            lo, hi = bounds
            checks.append(Check("replicas", f"{lo}..{hi}", _at(("spec", "replicas")),
                                functools.partial(_in_bounds, lo=lo, hi=hi), note="scaled by a HorizontalPodAutoscaler"))  # fmt: skip
        elif reps is not None and known(reps):
            checks.append(Check("replicas", norm(reps), _at(("spec", "replicas"))))
    if kind == "CronJob":
        _value_check(checks, "schedule", r.get("spec.schedule"), ("spec", "schedule"))
    for field_ in ("containers", "initContainers"):
        for cname, c in _containers(r.inputs, kind, field_).items():
            if known(c.get("image")) and c.get("image"):
                checks.append(Check(f"{field_}.{cname}.image", c["image"], _container_reader(kind, field_, cname, "image")))
            if known(c.get("resources")) and c.get("resources"):
                checks.append(Check(f"{field_}.{cname}.resources", resources_value(c["resources"]),
                                    _container_reader(kind, field_, cname, "resources")))  # fmt: skip
    return checks


def _inference_service_checks(r: PlanResource) -> list[Check]:

    checks: list[Check] = []
    pred = r.get("spec.predictor") or {}
    bounds = {k: norm(pred[k]) for k in ("minReplicas", "maxReplicas") if k in pred and known(pred[k])}
    if bounds:
        checks.append(Check("predictor.replicas", bounds, _at(("spec", "predictor"), lambda p: _pick(p, tuple(bounds)))))
    _value_check(checks, "predictor.canary_traffic_percent", pred.get("canaryTrafficPercent"),
                 ("spec", "predictor", "canaryTrafficPercent"))  # fmt: skip
    # Standard-mode canaries (KServe v0.20 `spec.canary[]`), matched by predictor name.
    for c in r.get("spec.canary") or []:
        cname = _dig(c, ("predictor", "name"))
        if not isinstance(cname, str):
            continue
        for attr, path in (("traffic_percent", ("trafficPercent",)), ("model.storage_uri", ("predictor", "model", "storageUri"))):
            expected = _dig(c, path)
            if expected is not None and known(expected):
                checks.append(Check(f"canary.{cname}.{attr}", norm(expected), _canary_reader(cname, path)))
    for part in ("model", "transformer"):
        spec = pred.get(part) if isinstance(pred.get(part), dict) else None
        if spec is None:
            continue
        _value_check(checks, f"predictor.{part}.storage_uri", spec.get("storageUri"), ("spec", "predictor", part, "storageUri"))
        _value_check(checks, f"predictor.{part}.image", spec.get("image"), ("spec", "predictor", part, "image"))
        if known(spec.get("resources")) and spec.get("resources"):
            checks.append(Check(f"predictor.{part}.resources", resources_value(spec["resources"]),
                                _at(("spec", "predictor", part, "resources"), resources_value)))  # fmt: skip
    return checks


def _pick(value: Any, keys: tuple[str, ...]) -> Any:

    return {k: norm(value.get(k)) for k in keys} if isinstance(value, dict) else None


def k8s_targets(plan: Plan) -> list[Target]:
    """A Target per first-party Kubernetes object with a known name (Jobs excepted)."""

    out: list[Target] = []
    for r in plan.resources:
        if not r.type.startswith("kubernetes:") or r.type.startswith("kubernetes:helm.sh/") or not _first_party(r):
            continue
        api_version, kind = _kind_of(r)
        if kind in SKIPPED_KINDS:
            continue
        ns, name = _meta(r.inputs, kind)
        if not (name and known(name) and known(ns)):
            continue  # auto-named objects cannot be found without the state
        # Kind in the name: a Deployment, its Service, HPA and PDB often share one name.
        resource = f"{ns}/{kind}/{name}" if ns else f"{kind}/{name}"
        t = Target("kubernetes", resource, r.type, r.name, r.urn, r.component,
                   {"api_version": api_version, "kind": kind, "namespace": ns, "name": name}, urns=[r.urn])  # fmt: skip
        if kind in POD_SPEC_PATHS:
            t.checks.extend(_workload_checks(plan, r, kind, ns, name))
        elif kind in HPA_KINDS:
            spec = r.get("spec") or {}
            bounds = {k: norm(spec[k]) for k in ("minReplicas", "maxReplicas") if k in spec and known(spec[k])}
            if bounds:
                t.checks.append(_bounds_check("replicas", bounds))
        elif kind == "InferenceService":
            t.checks.extend(_inference_service_checks(r))
        out.append(t)
    return out


def _bounds_check(attribute: str, bounds: dict[str, Any]) -> Check:

    return Check(attribute, bounds, _at(("spec",), lambda s: _pick(s, tuple(bounds))))


# --------------------------------------------------------------------------- comparing


def compare_objects(plan: Plan, reader: KubeReader, platform: str, env: str) -> tuple[list[Finding], set[str]]:
    """Findings for first-party objects (missing/changed) and labelled objects not in the plan."""

    findings: list[Finding] = []
    urns: set[str] = set()
    planned: set[tuple[str, str | None, str]] = set()
    kinds: dict[str, str] = {}
    for t in k8s_targets(plan):
        look = t.lookup
        planned.add((look["kind"], look["namespace"], look["name"]))
        kinds[look["kind"]] = look["api_version"]
        live = reader.get(look["api_version"], look["kind"], look["namespace"], look["name"])
        findings.extend(compare(t, live, source="kubernetes"))
        urns.update(t.urns)
    selector = f"{PLATFORM_LABEL}={platform},{ENVIRONMENT_LABEL}={env}"
    for kind, api_version in sorted(kinds.items()):
        for obj in reader.list(api_version, kind, selector):
            ns, name = _meta(obj, kind)
            meta = obj.get("metadata") or {}
            if meta.get("ownerReferences"):
                continue  # made by a controller from a planned object (KServe, CronJob, HPA…): not unmanaged
            if name and (kind, ns, name) not in planned:
                findings.append(
                    Finding(UNMANAGED, f"{ns}/{kind}/{name}" if ns else f"{kind}/{name}", f"kubernetes:{api_version}:{kind}",
                            source="kubernetes", message=f"{kind} carries the environment's labels but is not in the plan",
                            target_kind="kubernetes")
                )  # fmt: skip
    return findings, urns


class KubeClientReader:
    """KubeReader over the `kubernetes` Python client (dynamic client) for one kubeconfig context."""

    def __init__(self, context: str | None) -> None:
        from mlplat.stacks.errors import MlplatError

        try:
            from kubernetes import config, dynamic  # type: ignore[import-not-found,import-untyped,unused-ignore]
            from kubernetes.client import ApiClient  # type: ignore[import-not-found,import-untyped,unused-ignore]
        except ImportError:
            raise MlplatError(
                "comparing Kubernetes objects needs the kubernetes Python client: pip install kubernetes"
            ) from None
        try:
            api = config.new_client_from_config(context=context or None)
        except Exception as exc:  # noqa: BLE001 - missing kubeconfig, unknown context, bad file
            raise MlplatError(f"cannot load kubeconfig context {context!r}: {exc}") from None
        try:
            self._dyn = dynamic.DynamicClient(api if isinstance(api, ApiClient) else ApiClient())
        except Exception as exc:  # noqa: BLE001 - discovery needs the API server
            raise MlplatError(f"cannot reach the Kubernetes API of context {context!r}: {exc}") from None

    def _resource(self, api_version: str, kind: str) -> Any:
        from kubernetes.dynamic.exceptions import ResourceNotFoundError  # type: ignore[import-not-found,import-untyped,unused-ignore]
        from mlplat.stacks.errors import MlplatError

        try:
            return self._dyn.resources.get(api_version=api_version, kind=kind)
        except ResourceNotFoundError:
            return None  # the CRD is not installed: no such object can exist
        except Exception as exc:  # noqa: BLE001 - discovery refused (403) or failing
            raise MlplatError(f"Kubernetes API error: {_api_error(exc)}") from None

    def _call(self, fn: Any, **kwargs: Any) -> Any:
        from kubernetes.dynamic.exceptions import NotFoundError  # type: ignore[import-not-found,import-untyped,unused-ignore]
        from mlplat.stacks.errors import MlplatError

        try:
            return fn(**kwargs)
        except NotFoundError:
            return None
        except Exception as exc:  # noqa: BLE001 - API errors, connection refused, TLS, auth plugin failures
            raise MlplatError(f"Kubernetes API error: {_api_error(exc)}") from None

    def get(self, api_version: str, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        res = self._resource(api_version, kind)
        if res is None:
            return None
        obj = self._call(res.get, name=name, namespace=namespace) if namespace else self._call(res.get, name=name)
        return obj.to_dict() if obj is not None else None  # type: ignore[no-any-return]

    def list(self, api_version: str, kind: str, label_selector: str) -> list[dict[str, Any]]:
        res = self._resource(api_version, kind)
        if res is None:
            return []
        got = self._call(res.get, label_selector=label_selector)
        return [i.to_dict() for i in (got.items if got is not None else [])]


def _api_error(exc: Exception) -> str:
    """The API's own message: the dynamic client's str() adds response headers and a Python traceback."""
    status, summary = getattr(exc, "status", None), getattr(exc, "summary", None)
    if status is None or not callable(summary):
        return str(exc)  # not an HTTP answer: connection refused, TLS, an auth plugin
    reason = getattr(exc, "reason", None)
    try:
        message = summary()  # the Status message when the body is JSON, else the body
    except ValueError:
        message = getattr(exc, "body", "")
    return f"HTTP {status}{f' {reason}' if reason else ''}: {message}"


def check_kubernetes(plan: Plan, resolved: ResolvedPlatform, *, context: str | None,
                     reader: KubeReader | None = None) -> tuple[list[Finding], set[str], list[str]]:  # fmt: skip
    """Run the Kubernetes comparison; returns (findings, covered urns, notes)."""
    notes: list[str] = []
    if reader is None:
        reader = KubeClientReader(context)
    findings, urns = compare_objects(plan, reader, resolved.name, resolved.environment)
    if not urns:
        notes.append("no first-party Kubernetes objects with fixed names in the plan")
    return findings, urns, notes


__all__ = ["KubeClientReader", "KubeReader", "check_kubernetes", "compare_objects", "k8s_targets", "quantity",
           "resources_value"]  # fmt: skip
