"""Drift: where the running environment no longer matches its spec (DESIGN 5, issue 7).

The plan (what the spec decides, resource by resource) is turned into *targets*: one per live
thing an operator would recognise (a bucket with its versioning/encryption/… sub-resources, a
KMS key with its alias, an EKS cluster, a node group, an RDS instance, a Redis group), each
carrying the *checks* the spec controls. Only values the plan actually sets are compared, so
provider defaults and computed fields never raise noise. Live values are read with boto3
(:mod:`mlplat.stacks.drift.live_aws`), optional Kubernetes objects with :mod:`mlplat.stacks.drift.live_k8s`.

Findings (DESIGN 5): `missing` (planned, not live), `changed` (attribute, expected, actual),
`unmanaged` (carries the environment's ownership tags but is not in the plan). A waiver with
policy `DRIFT` or `DRIFT-<KIND>` acknowledges matching findings until it expires. When a Pulumi
state exists for the environment, pending changes (spec vs state) are reported as well."""


from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mlplat.stacks.plan.model import SECRET, UNKNOWN, walk_values

# Finding kinds (DESIGN 5 contract) and the pending-change kinds (spec vs state).
MISSING, CHANGED, UNMANAGED = "missing", "changed", "unmanaged"
CREATE, DELETE, UPDATE = "create", "delete", "update"

# Target kinds → the DRIFT-<CODE> a waiver may name (letters only: policy IDs are [A-Z]+).
KIND_CODES: dict[str, str] = {
    "s3-bucket": "BUCKET",
    "kms-key": "KMS",
    "eks-cluster": "EKS",
    "eks-nodegroup": "NODEGROUP",
    "rds-instance": "RDS",
    "elasticache": "ELASTICACHE",
    "sagemaker-endpoint": "SAGEMAKER",
    "sagemaker-endpoint-config": "SAGEMAKER",
    "sagemaker-mlflow": "MLFLOW",
    "mwaa": "MWAA",
    "kubernetes": "KUBERNETES",
    "tagged": "UNMANAGED",
    # "aws-resource" (VPCs, subnets, roles, log groups…): the type's name, e.g. DRIFT-NATGATEWAY
}

T_BUCKET = "aws:s3/bucket:Bucket"
T_VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
T_SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
T_PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
T_OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
T_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
T_LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
T_KMS_KEY = "aws:kms/key:Key"
T_KMS_ALIAS = "aws:kms/alias:Alias"
T_EKS = "aws:eks/cluster:Cluster"
T_NODEGROUP = "aws:eks/nodeGroup:NodeGroup"
T_RDS = "aws:rds/instance:Instance"
T_REDIS_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
T_CACHE_CLUSTER = "aws:elasticache/cluster:Cluster"
T_SM_ENDPOINT = "aws:sagemaker/endpoint:Endpoint"
T_SM_ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
T_SM_MLFLOW = "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer"
T_MWAA = "aws:mwaa/environment:Environment"
BUCKET_SUBRESOURCES = (T_VERSIONING, T_SSE, T_PAB, T_OWNERSHIP, T_POLICY, T_LIFECYCLE)

# Which plan types the AWS side can check (the coverage figure counts these).
AWS_CHECKABLE = {T_BUCKET, *BUCKET_SUBRESOURCES, T_KMS_KEY, T_KMS_ALIAS, T_EKS, T_NODEGROUP, T_RDS,
                 T_REDIS_GROUP, T_CACHE_CLUSTER, T_SM_ENDPOINT, T_SM_ENDPOINT_CONFIG, T_SM_MLFLOW, T_MWAA}  # fmt: skip  (plus TAGGED_TYPES below)


# --------------------------------------------------------------------------- values


def known(value: Any) -> bool:
    """A plan value that is fully decided before apply (no unknowns or secrets inside)."""
    return not any(v in (UNKNOWN, SECRET) for v in walk_values(value))


def norm(value: Any) -> Any:
    """Plan numbers arrive as floats (2.0), live ones as ints: compare them as the same."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: norm(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [norm(v) for v in value]
    return value


def as_bool(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


@dataclass(frozen=True)
class LiveRef:
    """An expected value only known live: the ARN of another planned resource (e.g. the platform key)."""

    urn: str
    label: str

    def __str__(self) -> str:
        return self.label


@dataclass
class Check:
    """One attribute the spec controls, with its expected value and how to read/compare it live."""

    attribute: str
    expected: Any
    actual: Callable[[dict[str, Any]], Any]
    matches: Callable[[Any, Any], bool] | None = None  # (expected, actual) → equal; default ==
    note: str | None = None

    def equal(self, expected: Any, actual: Any) -> bool:
        if self.matches is not None:
            return self.matches(expected, actual)
        return norm(expected) == norm(actual)


@dataclass
class Target:
    """A live thing drift looks up, the plan resources it stands for, and what to check on it."""

    kind: str  # s3-bucket, kms-key, eks-cluster, eks-nodegroup, rds-instance, elasticache
    resource: str  # the name an operator knows (bucket, cluster, node group, DB identifier…)
    type: str  # Pulumi type of the primary plan resource
    logical_name: str
    urn: str
    component: str | None
    lookup: dict[str, Any]
    checks: list[Check] = field(default_factory=list)
    urns: list[str] = field(default_factory=list)  # every plan resource this target covers

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.resource)


# --------------------------------------------------------------------------- findings and the report


@dataclass
class Finding:
    kind: str  # missing | changed | unmanaged
    resource: str
    type: str
    source: str = "aws"  # aws | kubernetes
    logical_name: str | None = None
    component: str | None = None
    attribute: str | None = None
    expected: Any = None
    actual: Any = None
    message: str = ""
    target_kind: str = ""
    acknowledged: bool = False
    waiver: dict[str, Any] | None = None
    cause: str | None = None  # with a state: "out-of-band" (state = spec) or "not-applied" (state = live)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "resource": self.resource, "type": self.type}
        if self.kind == CHANGED:
            d.update(attribute=self.attribute, expected=_jsonable(self.expected), actual=_jsonable(self.actual))
        d.update(
            source=self.source, logical_name=self.logical_name, component=self.component, message=self.message,
            acknowledged=self.acknowledged,
        )  # fmt: skip
        if self.waiver is not None:
            d["waiver"] = self.waiver
        if self.cause is not None:
            d["cause"] = self.cause
        return d


@dataclass
class PendingChange:
    """Spec vs Pulumi state: what the next `mlplat up` would do."""

    change: str  # create | delete | update
    resource: str
    type: str
    logical_name: str
    attribute: str | None = None
    expected: Any = None  # the spec (plan)
    actual: Any = None  # the state
    acknowledged: bool = False
    waiver: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"change": self.change, "resource": self.resource, "type": self.type,
                             "logical_name": self.logical_name}  # fmt: skip
        if self.change == UPDATE:
            d.update(attribute=self.attribute, expected=_jsonable(self.expected), actual=_jsonable(self.actual))
        d["acknowledged"] = self.acknowledged
        if self.waiver is not None:
            d["waiver"] = self.waiver
        return d


@dataclass
class DriftReport:
    platform: str
    environment: str
    findings: list[Finding]
    planned: int  # custom resources in the plan
    checked: int  # of those, how many drift could check
    unchecked_types: dict[str, int] = field(default_factory=dict)
    pending: list[PendingChange] = field(default_factory=list)
    state: str | None = None  # path of the Pulumi state compared, if any
    notes: list[str] = field(default_factory=list)

    @property
    def failing(self) -> list[Finding]:
        return [f for f in self.findings if not f.acknowledged]

    @property
    def failing_pending(self) -> list[PendingChange]:
        return [p for p in self.pending if not p.acknowledged]

    @property
    def in_sync(self) -> bool:
        return not self.failing and not self.failing_pending

    @property
    def coverage_percent(self) -> float:
        if self.planned == 0:
            return 100.0
        return round(100.0 * self.checked / self.planned, 1)

    @property
    def exit_code(self) -> int:
        return 0 if self.in_sync else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "environment": self.environment,
            "in_sync": self.in_sync,
            "coverage_percent": self.coverage_percent,
            "findings": [f.to_dict() for f in self.findings],
            "coverage": {"planned": self.planned, "checked": self.checked, "unchecked_types": self.unchecked_types},
            "pending": [p.to_dict() for p in self.pending],
            "state": self.state,
            "notes": self.notes,
        }


def _jsonable(v: Any) -> Any:
    if isinstance(v, LiveRef):
        return str(v)
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    return v


# --------------------------------------------------------------------------- comparing


@dataclass
class Located:
    """A target found live: the normalised live record (None when missing)."""

    target: Target
    live: dict[str, Any] | None
    arn: str | None = None
    identity: tuple[str, str, str] | None = None  # (service, type, identifier) as find_tagged names it


def compare(target: Target, live: dict[str, Any] | None, resolve: Callable[[LiveRef], Any] | None = None,
            source: str = "aws") -> list[Finding]:  # fmt: skip
    """The findings for one target: `missing` once, or one `changed` per differing attribute."""
    def finding(kind: str, message: str, **kw: Any) -> Finding:
        return Finding(kind, target.resource, target.type, source=source, logical_name=target.logical_name,
                       component=target.component, target_kind=target.kind, message=message, **kw)  # fmt: skip

    if live is None:
        return [finding(MISSING, f"planned {target.kind} not found live")]
    out = []
    for c in target.checks:
        expected = _resolve_refs(c.expected, resolve)
        if _has_unresolved(expected):
            expected = _drop_unresolved(expected)
            if expected is None:
                continue
        actual = c.actual(live)
        if isinstance(expected, dict) and isinstance(actual, dict):
            actual = {k: actual.get(k) for k in expected}  # compare what the spec decides, nothing else
        if not c.equal(expected, actual):
            msg = f"{c.attribute}: expected {_short(expected)}, found {_short(actual)}"
            if c.note:
                msg += f" ({c.note})"
            out.append(finding(CHANGED, msg, attribute=c.attribute, expected=norm(expected), actual=norm(actual)))
    return out


class _Unresolved:
    def __repr__(self) -> str:
        return "<unresolved>"


_UNRESOLVED = _Unresolved()


def _resolve_refs(v: Any, resolve: Callable[[LiveRef], Any] | None) -> Any:
    if isinstance(v, LiveRef):
        got = resolve(v) if resolve else None
        return got if got is not None else _UNRESOLVED
    if isinstance(v, dict):
        return {k: _resolve_refs(x, resolve) for k, x in v.items()}
    if isinstance(v, list):
        return [_resolve_refs(x, resolve) for x in v]
    return v


def _has_unresolved(v: Any) -> bool:
    return any(x is _UNRESOLVED for x in walk_values(v))


def _drop_unresolved(v: Any) -> Any:
    """An expected key ARN whose key is itself missing: compare the rest (the key is reported once)."""
    if v is _UNRESOLVED:
        return None
    if isinstance(v, dict):
        kept = {k: x for k, x in v.items() if x is not _UNRESOLVED}
        return kept or None
    return v


def _short(v: Any, limit: int = 120) -> str:
    s = json.dumps(_jsonable(v), sort_keys=True, default=str) if not isinstance(v, str) else v
    return s if len(s) <= limit else s[: limit - 1] + "…"


__all__ = ["AWS_CHECKABLE", "CHANGED", "KIND_CODES", "MISSING", "UNMANAGED", "Check", "DriftReport", "Finding", "LiveRef", "Located", "PendingChange", "Target", "compare", "norm"]
