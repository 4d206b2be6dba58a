"""Drift: where the running environment no longer matches its spec (DESIGN 5, issue 7).

The plan (what the spec decides, resource by resource) is turned into *targets*: one per live
thing an operator would recognise (a bucket with its versioning/encryption/… sub-resources, a
KMS key with its alias, an EKS cluster, a node group, an RDS instance, a Redis group), each
carrying the *checks* the spec controls. Only values the plan actually sets are compared, so
provider defaults and computed fields never raise noise. Live values are read with boto3
(:mod:`mlplat.stacks.live_aws`), optional Kubernetes objects with :mod:`.drift_k8s`.

Findings (DESIGN 5): `missing` (planned, not live), `changed` (attribute, expected, actual),
`unmanaged` (carries the environment's ownership tags but is not in the plan). A waiver with
policy `DRIFT` or `DRIFT-<KIND>` acknowledges matching findings until it expires. When a Pulumi
state exists for the environment, pending changes (spec vs state) are reported as well.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import functools
import gzip
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .plan import SECRET, UNKNOWN, Plan, PlanResource, walk_values

if TYPE_CHECKING:
    from .live_aws import LiveAws, TaggedResource
    from .resolve import ResolvedPlatform

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
BUCKET_SUBRESOURCES = (T_VERSIONING, T_SSE, T_PAB, T_OWNERSHIP, T_POLICY, T_LIFECYCLE)

# Which plan types the AWS side can check (the coverage figure counts these).
AWS_CHECKABLE = {T_BUCKET, *BUCKET_SUBRESOURCES, T_KMS_KEY, T_KMS_ALIAS, T_EKS, T_NODEGROUP, T_RDS,
                 T_REDIS_GROUP, T_CACHE_CLUSTER}  # fmt: skip  (plus TAGGED_TYPES below)


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


# --------------------------------------------------------------------------- targets from a plan


def _get(d: Any, *path: str) -> Any:
    for p in path:
        if not isinstance(d, dict):
            return None
        d = d.get(p)
    return d


def _tag_checks(res: PlanResource) -> list[Check]:
    """One check per tag the plan sets: a removed or altered tag is one finding, not a blob."""
    out = []
    for k, v in sorted(res.tags.items()):
        if known(v):
            out.append(Check(f"tags.{k}", str(v), _tag_reader(k)))
    return out


def _attr(checks: list[Check], inputs: dict[str, Any], key: str, attribute: str, live_key: str,
          convert: Callable[[Any], Any] = lambda v: v, **kw: Any) -> None:  # fmt: skip
    """Add a check when the plan sets `inputs[key]` to a known value."""
    if key in inputs and known(inputs[key]) and inputs[key] is not None:
        checks.append(Check(attribute, norm(convert(inputs[key])), _field(live_key), **kw))


def _dependency(plan: Plan, res: PlanResource, type_: str) -> PlanResource | None:
    for urn in res.dependencies:
        dep = plan.by_urn(urn)
        if dep is not None and dep.type == type_:
            return dep
    return None


def _key_ref(plan: Plan, res: PlanResource, value: Any) -> Any:
    """A KMS key input: the literal when known, else the planned key it comes from (LiveRef)."""
    if known(value):
        return value
    dep = _dependency(plan, res, T_KMS_KEY)
    if dep is not None:
        return LiveRef(dep.urn, f"arn of {dep.name} (the planned KMS key)")
    return None


def _versioning_equal(expected: Any, actual: Any) -> bool:
    # "Suspended" and never-enabled ("Disabled") both mean: no new versions are kept.
    off = ("Suspended", "Disabled", None)
    return expected == actual or (expected in off and actual in off)


def _lifecycle_rules(rules: Any, live: bool) -> list[dict[str, Any]]:
    """Plan (camelCase) or live (PascalCase) lifecycle rules → a comparable, ordered form."""
    if not rules:
        return []
    out = []
    for r in rules:
        def g(*names: str, r: Any = r) -> Any:
            cur: Any = r
            for n in names:
                if not isinstance(cur, dict):
                    return None
                cur = cur.get(("ID" if n == "id" else n[0].upper() + n[1:]) if live else n)
            return cur

        prefix = g("filter", "prefix")
        if prefix is None:
            prefix = g("prefix")
        transitions = g("transitions") or []
        key = "StorageClass" if live else "storageClass"
        days = "Days" if live else "days"
        out.append(
            {
                "id": g("id") or "",
                "status": g("status"),
                "prefix": prefix or "",
                "expiration_days": norm(g("expiration", "days")),
                "noncurrent_days": norm(g("noncurrentVersionExpiration", "noncurrentDays")),
                "abort_multipart_days": norm(g("abortIncompleteMultipartUpload", "daysAfterInitiation")),
                "transitions": sorted(
                    ([norm(t.get(days)), t.get(key)] for t in transitions if isinstance(t, dict)), key=str
                ),
            }
        )
    return sorted(out, key=lambda r: r["id"])


def _canonical_policy(value: Any) -> Any:
    """IAM documents: key order, list order and one-element lists vs scalars do not matter."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    return _canon(value)


def _canon(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _canon(x) for k, x in sorted(v.items())}
    if isinstance(v, list):
        items = sorted((_canon(x) for x in v), key=lambda x: json.dumps(x, sort_keys=True))
        return items[0] if len(items) == 1 else items
    return v


def _taints(items: Any) -> list[dict[str, Any]]:
    out = [
        {"key": t.get("key"), "value": t.get("value") or None, "effect": t.get("effect")}
        for t in items or []
        if isinstance(t, dict)
    ]
    return sorted(out, key=lambda t: (str(t["key"]), str(t["value"]), str(t["effect"])))


def _bucket_target(plan: Plan, bucket: PlanResource, subs: list[PlanResource]) -> Target | None:
    name = bucket.inputs.get("bucket")
    if not known(name) or not name:
        return None
    t = Target("s3-bucket", name, bucket.type, bucket.name, bucket.urn, bucket.component, {"bucket": name},
               urns=[bucket.urn])  # fmt: skip
    by_type: dict[str, PlanResource] = {}
    for s in subs:
        by_type.setdefault(s.type, s)
        t.urns.append(s.urn)

    ver = by_type.get(T_VERSIONING)
    status = _get(ver.inputs, "versioningConfiguration", "status") if ver else None
    if ver is None:
        # No versioning resource: the spec still says versioning is off (a Bucket has no such input).
        status = "Suspended"
    if known(status) and status:
        t.checks.append(Check("versioning", status, lambda live: live.get("versioning") or "Disabled", _versioning_equal))

    sse = by_type.get(T_SSE)
    rule = (_get(sse.inputs, "rules") or [None])[0] if sse else None
    if sse is not None and isinstance(rule, dict):
        default = rule.get("applyServerSideEncryptionByDefault") or {}
        expected: dict[str, Any] = {"algorithm": default.get("sseAlgorithm")}
        if default.get("sseAlgorithm") == "aws:kms":
            expected["kms_key"] = _key_ref(plan, sse, default.get("kmsMasterKeyId"))
        if "bucketKeyEnabled" in rule and known(rule["bucketKeyEnabled"]):
            expected["bucket_key"] = bool(as_bool(rule["bucketKeyEnabled"]))
        t.checks.append(Check("encryption", expected, _live_encryption(expected)))

    pab = by_type.get(T_PAB)
    if pab is not None:
        flags = {
            "block_public_acls": "blockPublicAcls",
            "block_public_policy": "blockPublicPolicy",
            "ignore_public_acls": "ignorePublicAcls",
            "restrict_public_buckets": "restrictPublicBuckets",
        }
        exp = {k: bool(as_bool(pab.inputs.get(w))) for k, w in flags.items() if w in pab.inputs}
        t.checks.append(
            Check("public_access_block", exp, _subset_reader("public_access_block", tuple(exp)))
        )

    own = by_type.get(T_OWNERSHIP)
    rule_own = _get(own.inputs, "rule", "objectOwnership") if own else None
    if known(rule_own) and rule_own:
        t.checks.append(Check("ownership", rule_own, lambda live: live.get("ownership")))

    pol = by_type.get(T_POLICY)
    if pol is not None and known(pol.inputs.get("policy")):
        t.checks.append(
            Check("policy", _canonical_policy(pol.inputs["policy"]), lambda live: _canonical_policy(live.get("policy")))
        )

    lc = by_type.get(T_LIFECYCLE)
    if lc is not None and known(lc.inputs.get("rules")):
        t.checks.append(
            Check("lifecycle", _lifecycle_rules(lc.inputs["rules"], live=False),
                  lambda live: _lifecycle_rules(live.get("lifecycle"), live=True) if live.get("lifecycle") else None)
        )  # fmt: skip

    t.checks.extend(_tag_checks(bucket))
    return t


Reader = Callable[[dict[str, Any]], Any]


def _field(key: str) -> Reader:
    return lambda live: live.get(key)


def _tag_reader(key: str) -> Reader:
    return lambda live: (live.get("tags") or {}).get(key)


def _subset_reader(key: str, keys: tuple[str, ...]) -> Reader:
    return lambda live: _subset(live.get(key), keys)


def _alias_reader(alias: str) -> Reader:
    return lambda live: (live.get("aliases") or {}).get(alias)


def _endpoint_reader(keys: tuple[str, ...]) -> Reader:
    return lambda live: {k: live.get(f"endpoint_{k}_access") for k in keys}


def _subset(value: Any, keys: tuple[str, ...]) -> Any:
    if not isinstance(value, dict):
        return value
    return {k: value.get(k) for k in keys}


def _live_encryption(expected: dict[str, Any]) -> Callable[[dict[str, Any]], Any]:
    def read(live: dict[str, Any]) -> Any:
        enc = live.get("encryption")
        if not enc:
            return None
        out = {"algorithm": enc.get("algorithm")}
        if "kms_key" in expected or enc.get("kms_key"):
            out["kms_key"] = enc.get("kms_key_arn") or enc.get("kms_key")
        if "bucket_key" in expected:
            out["bucket_key"] = enc.get("bucket_key")
        return out

    return read


def _kms_target(plan: Plan, key: PlanResource, aliases: list[PlanResource]) -> Target:
    alias_names = [a.inputs["name"] for a in aliases if known(a.inputs.get("name"))]
    label = alias_names[0].removeprefix("alias/") if alias_names else key.name
    t = Target("kms-key", label, key.type, key.name, key.urn, key.component,
               {"aliases": alias_names, "logical": key.name}, urns=[key.urn, *(a.urn for a in aliases)])  # fmt: skip
    _attr(t.checks, key.inputs, "enableKeyRotation", "rotation", "rotation", as_bool)
    # A disabled key breaks every bucket and cluster that uses it; Pulumi's default is enabled.
    enabled = as_bool(key.inputs.get("isEnabled", True))
    if known(enabled):
        t.checks.append(Check("enabled", bool(enabled), lambda live: live.get("enabled")))
    for a in alias_names:
        t.checks.append(Check(f"alias:{a}", "points to this key", _alias_reader(a)))
    t.checks.extend(_tag_checks(key))
    return t


def _eks_target(plan: Plan, c: PlanResource) -> Target | None:
    name = c.inputs.get("name")
    if not known(name) or not name:
        return None
    t = Target("eks-cluster", name, c.type, c.name, c.urn, c.component, {"cluster": name}, urns=[c.urn])
    i = c.inputs
    _attr(t.checks, i, "version", "version", "version", str)
    vpc = i.get("vpcConfig") or {}
    access = {}
    for k, w in (("private", "endpointPrivateAccess"), ("public", "endpointPublicAccess")):
        if w in vpc and known(vpc[w]):
            access[k] = bool(as_bool(vpc[w]))
    if access:
        t.checks.append(
            Check("endpoint_access", access, _endpoint_reader(tuple(access)))
        )
    if known(vpc.get("publicAccessCidrs")) and vpc.get("publicAccessCidrs"):
        t.checks.append(Check("public_access_cidrs", sorted(vpc["publicAccessCidrs"]),
                              lambda live: sorted(live.get("public_access_cidrs") or [])))  # fmt: skip
    if "enabledClusterLogTypes" in i and known(i["enabledClusterLogTypes"]):
        t.checks.append(Check("logging", sorted(i["enabledClusterLogTypes"] or []), lambda live: live.get("logging")))
    t.checks.extend(_tag_checks(c))
    return t


def _nodegroup_target(plan: Plan, ng: PlanResource) -> Target | None:
    i = ng.inputs
    name = i.get("nodeGroupName")
    cluster = i.get("clusterName")
    if not known(cluster):
        dep = _dependency(plan, ng, T_EKS)
        cluster = dep.inputs.get("name") if dep is not None else None
    if not known(name) or not name or not known(cluster) or not cluster:
        return None
    t = Target("eks-nodegroup", name, ng.type, ng.name, ng.urn, ng.component, {"cluster": cluster, "nodegroup": name},
               urns=[ng.urn])  # fmt: skip
    sc = i.get("scalingConfig") or {}
    # min/max are what the spec decides; the autoscaler owns desiredSize (ignore_changes in the module).
    scaling = {k: norm(sc[w]) for k, w in (("min_size", "minSize"), ("max_size", "maxSize")) if known(sc.get(w))}
    if scaling:
        t.checks.append(Check("scaling", scaling, _subset_reader("scaling", tuple(scaling))))
    if known(i.get("instanceTypes")) and i.get("instanceTypes"):
        t.checks.append(Check("instance_types", sorted(i["instanceTypes"]), lambda live: sorted(live.get("instance_types") or [])))
    _attr(t.checks, i, "capacityType", "capacity_type", "capacity_type")
    if "labels" in i and known(i["labels"]):
        t.checks.append(Check("labels", dict(i["labels"] or {}), lambda live: live.get("labels") or {}))
    if "taints" in i and known(i["taints"]):
        t.checks.append(Check("taints", _taints(i["taints"]), lambda live: _taints(live.get("taints"))))
    _attr(t.checks, i, "diskSize", "disk_size", "disk_size")
    t.checks.extend(_tag_checks(ng))
    return t


def _storage_in_range(expected: Any, actual: Any, *, upper: int | None) -> bool:
    if not isinstance(actual, (int, float)):
        return False
    if upper is None:
        return bool(norm(expected) == norm(actual))
    # Storage autoscaling grows the volume up to maxAllocatedStorage: growth is not drift.
    return bool(expected <= actual <= upper)


def _rds_target(plan: Plan, db: PlanResource) -> Target | None:
    i = db.inputs
    ident = i.get("identifier")
    if not known(ident) or not ident:
        return None
    t = Target("rds-instance", ident, db.type, db.name, db.urn, db.component, {"identifier": ident}, urns=[db.urn])
    _attr(t.checks, i, "instanceClass", "instance_class", "instance_class")
    _attr(t.checks, i, "multiAz", "multi_az", "multi_az", as_bool)
    _attr(t.checks, i, "deletionProtection", "deletion_protection", "deletion_protection", as_bool)
    _attr(t.checks, i, "storageEncrypted", "storage_encrypted", "storage_encrypted", as_bool)
    if known(i.get("allocatedStorage")) and i.get("allocatedStorage") is not None:
        upper = norm(i.get("maxAllocatedStorage")) if known(i.get("maxAllocatedStorage")) else None
        upper = upper if isinstance(upper, int) and upper > 0 else None
        t.checks.append(
            Check("allocated_storage", norm(i["allocatedStorage"]), lambda live: live.get("allocated_storage"),
                  functools.partial(_storage_in_range, upper=upper),
                  note=f"storage autoscaling up to {upper} GB" if upper else None)
        )  # fmt: skip
    _attr(t.checks, i, "backupRetentionPeriod", "backup_retention_period", "backup_retention_period")
    _kms_key_check(plan, db, t)
    t.checks.extend(_tag_checks(db))
    return t


def _kms_key_check(plan: Plan, res: PlanResource, t: Target) -> None:
    """The data service's key, when the plan names one (its ARN is unknown until apply)."""
    if "kmsKeyId" in res.inputs:
        ref = _key_ref(plan, res, res.inputs["kmsKeyId"])
        if ref is not None:
            t.checks.append(Check("kms_key", ref, lambda live: live.get("kms_key_arn") or live.get("kms_key")))


def _redis_target(plan: Plan, g: PlanResource) -> Target | None:
    i = g.inputs
    gid = i.get("replicationGroupId")
    if not known(gid) or not gid:
        return None
    t = Target("elasticache", gid, g.type, g.name, g.urn, g.component, {"replication_group": gid}, urns=[g.urn])
    _attr(t.checks, i, "nodeType", "node_type", "node_type")
    _attr(t.checks, i, "numCacheClusters", "num_nodes", "num_nodes")
    _attr(t.checks, i, "atRestEncryptionEnabled", "at_rest_encryption", "at_rest_encryption", as_bool)
    _attr(t.checks, i, "transitEncryptionEnabled", "transit_encryption", "transit_encryption", as_bool)
    _kms_key_check(plan, g, t)
    t.checks.extend(_tag_checks(g))
    return t


def _cache_cluster_target(plan: Plan, c: PlanResource) -> Target | None:
    i = c.inputs
    cid = i.get("clusterId")
    if not known(cid) or not cid:
        return None
    t = Target("elasticache", cid, c.type, c.name, c.urn, c.component, {"cache_cluster": cid}, urns=[c.urn])
    _attr(t.checks, i, "nodeType", "node_type", "node_type")
    _attr(t.checks, i, "numCacheNodes", "num_nodes", "num_nodes")
    t.checks.extend(_tag_checks(c))
    return t


def aws_targets(plan: Plan) -> list[Target]:
    """Every live AWS thing the plan implies, with the checks the spec controls."""
    targets: list[Target] = []
    subs: dict[str, list[PlanResource]] = {}
    for r in plan.of_type(*BUCKET_SUBRESOURCES):
        b = _dependency(plan, r, T_BUCKET)
        if b is None and known(r.inputs.get("bucket")):
            b = next((x for x in plan.of_type(T_BUCKET) if x.inputs.get("bucket") == r.inputs["bucket"]), None)
        if b is not None:
            subs.setdefault(b.urn, []).append(r)
    for b in plan.of_type(T_BUCKET):
        bt = _bucket_target(plan, b, subs.get(b.urn, []))
        if bt is not None:
            targets.append(bt)
    aliases: dict[str, list[PlanResource]] = {}
    for a in plan.of_type(T_KMS_ALIAS):
        k = _dependency(plan, a, T_KMS_KEY)
        if k is not None:
            aliases.setdefault(k.urn, []).append(a)
    for k in plan.of_type(T_KMS_KEY):
        targets.append(_kms_target(plan, k, aliases.get(k.urn, [])))
    builders: list[tuple[str, Callable[[Plan, PlanResource], Target | None]]] = [
        (T_EKS, _eks_target), (T_NODEGROUP, _nodegroup_target), (T_RDS, _rds_target),
        (T_REDIS_GROUP, _redis_target), (T_CACHE_CLUSTER, _cache_cluster_target),
    ]  # fmt: skip
    for type_, build in builders:
        for r in plan.of_type(type_):
            t = build(plan, r)
            if t is not None:
                targets.append(t)
    targets.extend(tagged_targets(plan))
    return targets


# Tagged resources without a deterministic name drift looks up directly: found through
# find_tagged by their `mlplat:resource` tag; checked for existence, ownership tags and the few
# spec-derived facts the listing carries (CIDRs, AZs, log retention).
TAGGED_TYPES: dict[str, tuple[str, str]] = {
    "aws:ec2/vpc:Vpc": ("ec2", "vpc"),
    "aws:ec2/subnet:Subnet": ("ec2", "subnet"),
    "aws:ec2/internetGateway:InternetGateway": ("ec2", "internetgateway"),
    "aws:ec2/natGateway:NatGateway": ("ec2", "natgateway"),
    "aws:ec2/eip:Eip": ("ec2", "elasticip"),
    "aws:ec2/routeTable:RouteTable": ("ec2", "routetable"),
    "aws:ec2/securityGroup:SecurityGroup": ("ec2", "securitygroup"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ("ec2", "securitygroup"),
    "aws:ec2/flowLog:FlowLog": ("ec2", "vpcflowlog"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("ec2", "vpcendpoint"),
    "aws:cloudwatch/logGroup:LogGroup": ("logs", "log-group"),
    "aws:iam/role:Role": ("iam", "role"),
    "aws:iam/policy:Policy": ("iam", "policy"),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": ("iam", "oidc-provider"),
    "aws:rds/subnetGroup:SubnetGroup": ("rds", "subgrp"),
    "aws:rds/parameterGroup:ParameterGroup": ("rds", "pg"),
    "aws:elasticache/subnetGroup:SubnetGroup": ("elasticache", "subnetgroup"),
}
# input → (detail key in TaggedResource.details, attribute name)
TAGGED_DETAILS: dict[str, list[tuple[str, str, str]]] = {
    "aws:ec2/vpc:Vpc": [("cidrBlock", "cidr_block", "cidr_block")],
    "aws:ec2/subnet:Subnet": [("cidrBlock", "cidr_block", "cidr_block"),
                              ("availabilityZone", "availability_zone", "availability_zone")],
    "aws:cloudwatch/logGroup:LogGroup": [("retentionInDays", "retention_days", "retention_days")],
    "aws:rds/parameterGroup:ParameterGroup": [("family", "family", "family")],
}  # fmt: skip


def tagged_targets(plan: Plan) -> list[Target]:
    out = []
    for r in plan.resources:
        kind = TAGGED_TYPES.get(r.type)
        if kind is None or r.tags.get("mlplat:resource") != r.name:
            continue  # without its own ownership tags nothing can find it
        name = r.inputs.get("name")
        display = name if isinstance(name, str) and known(name) and name else str(r.tags.get("Name") or r.name)
        t = Target("aws-resource", display, r.type, r.name, r.urn, r.component,
                   {"service": kind[0], "resource_type": kind[1], "logical": r.name, "name_tag": r.tags.get("Name")},
                   urns=[r.urn])  # fmt: skip
        for key, detail, attribute in TAGGED_DETAILS.get(r.type, []):
            _attr(t.checks, r.inputs, key, attribute, detail)
        t.checks.extend(_tag_checks(r))
        out.append(t)
    return out


def locate_tagged(targets: list[Target], tagged: Iterable[TaggedResource], plan: Plan,
                  state_ids: set[str] | None = None) -> list[Located]:  # fmt: skip
    """Match generic targets to live tagged resources: by `mlplat:resource`, then by elimination.

    Several live resources claiming one logical name: the one the state knows wins, else the
    one that agrees with the plan on most checked attributes (tags included); the others stay
    unmatched (and so become `unmanaged`).
    """
    pool: dict[tuple[str, str], list[TaggedResource]] = {}
    for r in tagged:
        pool.setdefault((r.service, r.resource_type), []).append(r)
    logical = {r.name for r in plan.resources}
    used: set[tuple[str, str, str]] = set()
    found: dict[str, TaggedResource] = {}

    def score(t: Target, r: TaggedResource) -> tuple[int, int, str]:
        # Copies usually carry the same tags; what tells the planned one apart is every checked
        # attribute (a VPC's CIDR, …), read from the same live view the comparison uses.
        in_state = int(bool(state_ids) and (r.identifier in (state_ids or ()) or (r.arn or "") in (state_ids or ())))
        live = {"tags": dict(r.tags), **r.details}
        agree = sum(1 for c in t.checks if c.equal(c.expected, c.actual(live)))
        return (-in_state, -agree, r.identifier)

    for t in targets:
        kind = (t.lookup["service"], t.lookup["resource_type"])
        claims = [r for r in pool.get(kind, []) if r.logical_name == t.logical_name and r.key not in used]
        if claims:
            best = min(claims, key=lambda r: score(t, r))
            found[t.urn] = best
            used.add(best.key)
    # A resource whose mlplat:resource tag was removed still carries platform/env tags: pair it with
    # the planned one nobody claimed (same Name tag, or the only candidate), so the tag is reported.
    for t in targets:
        if t.urn in found:
            continue
        kind = (t.lookup["service"], t.lookup["resource_type"])
        orphans = [r for r in pool.get(kind, []) if r.key not in used and r.logical_name not in logical]
        unclaimed = [x for x in targets if x.urn not in found and (x.lookup["service"], x.lookup["resource_type"]) == kind]
        named = [r for r in orphans if t.lookup.get("name_tag") and r.tags.get("Name") == t.lookup["name_tag"]]
        pick = named[0] if len(named) == 1 else (orphans[0] if len(orphans) == 1 and len(unclaimed) == 1 else None)
        if pick is not None:
            found[t.urn] = pick
            used.add(pick.key)
    out = []
    for t in targets:
        hit = found.get(t.urn)
        live = {"tags": dict(hit.tags), **hit.details} if hit is not None else None
        out.append(Located(t, live, hit.arn if hit else None, hit.key if hit else None))
    return out


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


# --------------------------------------------------------------------------- reading live AWS


def locate_aws(targets: list[Target], live: LiveAws, platform: str, env: str) -> list[Located]:
    """Find each target live (deterministic names first, ownership tags for KMS keys)."""
    from .live_aws import ENVIRONMENT_TAG, PLATFORM_TAG, RESOURCE_TAG

    out: list[Located] = []
    for t in targets:
        rec: dict[str, Any] | None
        ident: tuple[str, str, str] | None = None
        if t.kind == "s3-bucket":
            rec = live.bucket(t.lookup["bucket"])
            if rec and rec.get("encryption") and rec["encryption"].get("kms_key"):
                rec["encryption"]["kms_key_arn"] = live.kms_key_arn(rec["encryption"]["kms_key"])
            ident = ("s3", "bucket", t.resource)
        elif t.kind == "kms-key":
            rec = None
            by_alias: dict[str, dict[str, Any] | None] = {a: live.kms_key(a) for a in t.lookup["aliases"]}
            tagged = [
                kid for kid, tags in live.kms_tags().items()
                if tags.get(RESOURCE_TAG) == t.lookup["logical"] and tags.get(PLATFORM_TAG) == platform
                and tags.get(ENVIRONMENT_TAG) == env
            ]  # fmt: skip
            candidates = [live.kms_key(k) for k in tagged]
            # Prefer a tagged key that is alive; else whatever the alias points at.
            alive = [c for c in candidates if c and c["state"] not in ("PendingDeletion", "PendingReplicaDeletion")]
            rec = alive[0] if alive else next((v for v in by_alias.values() if v), None)
            if rec is not None and rec["state"] in ("PendingDeletion", "PendingReplicaDeletion"):
                rec = None  # a key waiting to be deleted is gone for every purpose
            if rec is not None:
                rec["aliases"] = {
                    a: ("points to this key" if v and v["key_id"] == rec["key_id"] else (v["arn"] if v else None))
                    for a, v in by_alias.items()
                }
                ident = ("kms", "key", rec["key_id"])
        elif t.kind == "eks-cluster":
            rec = live.eks_cluster(t.lookup["cluster"])
            ident = ("eks", "cluster", t.resource)
        elif t.kind == "eks-nodegroup":
            rec = live.eks_nodegroup(t.lookup["cluster"], t.lookup["nodegroup"])
            ident = ("eks", "nodegroup", f"{t.lookup['cluster']}/{t.lookup['nodegroup']}")
        elif t.kind == "rds-instance":
            rec = live.db_instance(t.lookup["identifier"])
            if rec and rec.get("kms_key"):
                rec["kms_key_arn"] = live.kms_key_arn(rec["kms_key"])
            ident = ("rds", "db", t.resource)
        elif t.kind == "elasticache":
            if "replication_group" in t.lookup:
                rec = live.replication_group(t.lookup["replication_group"])
                ident = ("elasticache", "replicationgroup", t.resource)
            else:
                rec = live.cache_cluster(t.lookup["cache_cluster"])
                ident = ("elasticache", "cluster", t.resource)
            if rec and rec.get("kms_key"):
                rec["kms_key_arn"] = live.kms_key_arn(rec["kms_key"])
        else:  # pragma: no cover - every kind built above is handled
            rec = None
        if rec is not None and str(rec.get("status") or "").lower() in ("deleting", "deleted"):
            rec = None  # being deleted: for the spec it is already gone
        out.append(Located(t, rec, (rec or {}).get("arn"), ident if rec is not None else None))
    return out


def unmanaged_findings(tagged: Iterable[TaggedResource], located: list[Located], plan: Plan,
                       state_ids: set[str] | None = None) -> list[Finding]:  # fmt: skip
    """Live resources with the environment's tags that no planned resource accounts for.

    Kinds drift checks are matched by identity (a bucket by its name, a key by its id): a
    look-alike that copied the tags is still unmanaged. Other kinds (VPCs, roles…) carry ids
    only Pulumi knows: matched by state id when a state exists, else by their `mlplat:resource`
    tag against the plan's logical names; extra claimants of one name are unmanaged.
    """
    managed = {loc.identity for loc in located if loc.identity is not None}
    checked_kinds = {("s3", "bucket"), ("kms", "key"), ("eks", "cluster"), ("eks", "nodegroup"), ("rds", "db"),
                     ("elasticache", "replicationgroup"), ("elasticache", "cluster"), *TAGGED_TYPES.values()}  # fmt: skip
    logical = {r.name for r in plan.custom_resources()}
    claimed: set[tuple[str, str, str]] = set()
    out = []
    for r in sorted(tagged, key=lambda r: (r.service, r.resource_type, r.identifier)):
        kind = (r.service, r.resource_type)
        if kind in checked_kinds:
            if r.key in managed:
                continue
            why = f"carries the ownership tags of {r.tags.get('mlplat:platform')}-{r.tags.get('mlplat:environment')}" \
                  " but is not in the plan"  # fmt: skip
        else:
            if state_ids is not None and (r.identifier in state_ids or (r.arn and r.arn in state_ids)):
                continue
            claim = (r.service, r.resource_type, r.logical_name or "")
            if state_ids is None and r.logical_name in logical and claim not in claimed:
                claimed.add(claim)
                continue
            why = (
                f"another {r.resource_type} already stands for {r.logical_name!r}"
                if r.logical_name in logical
                else "carries the environment's ownership tags but is not in the plan"
            )
        out.append(
            Finding(UNMANAGED, r.identifier, f"{r.service}:{r.resource_type}", logical_name=r.logical_name,
                    component=r.component, message=why, target_kind="tagged")
        )  # fmt: skip
    return out


# --------------------------------------------------------------------------- waivers


def apply_waivers(items: Iterable[Finding | PendingChange], waivers: Iterable[Any], today: _dt.date) -> list[str]:
    """Mark findings acknowledged by a matching, unexpired DRIFT waiver; returns notes on expiry."""
    notes: list[str] = []
    waivers = [w for w in waivers if str(w.policy) == "DRIFT" or str(w.policy).startswith("DRIFT-")]
    for item in items:
        for w in waivers:
            if not _waiver_matches(w, item):
                continue
            info = {"policy": w.policy, "resource": w.resource, "reason": w.reason, "owner": w.owner,
                    "expires": w.expires.isoformat(), "expired": w.expires < today}  # fmt: skip
            if w.expires < today:
                item.waiver = info  # still shown, so the operator sees why it fails again
                note = f"waiver {w.policy} for {w.resource!r} (owner {w.owner}) expired on {w.expires.isoformat()}"
                if note not in notes:
                    notes.append(note)
                continue
            item.acknowledged = True
            item.waiver = info
            break
    return notes


def _waiver_matches(w: Any, item: Finding | PendingChange) -> bool:
    policy = str(w.policy)
    if policy != "DRIFT":
        code = policy.removeprefix("DRIFT-")
        if isinstance(item, Finding):
            codes = {item.kind.upper(), KIND_CODES.get(item.target_kind, "")}
            if item.target_kind == "aws-resource":  # DRIFT-VPC, DRIFT-SUBNET, DRIFT-ROLE, DRIFT-LOGGROUP…
                codes.add(item.type.rsplit(":", 1)[-1].upper())
            if item.source == "kubernetes":
                codes.add("KUBERNETES")
        else:
            codes = {"STATE", "PENDING", item.change.upper()}
        if code not in codes:
            return False
    names = [item.resource, item.logical_name or ""]
    return any(n and fnmatch.fnmatchcase(n, w.resource) for n in names)


# --------------------------------------------------------------------------- Pulumi state (spec vs state)


def state_dir(resolved: ResolvedPlatform) -> Path | None:
    """The directory of the environment's file backend: the engine's choice (PULUMI_BACKEND_URL,
    else `.mlplat/state` beside the spec); None for a remote backend (not read here)."""
    from .errors import MlplatError

    try:
        from .engine import resolve_backend

        return resolve_backend(resolved.source).local_dir
    except ImportError:  # pragma: no cover - the engine ships with mlplat
        return Path(resolved.source).resolve().parent / ".mlplat" / "state"
    except MlplatError:  # a malformed PULUMI_BACKEND_URL: `up` reports it; drift just has no state
        return None


def state_candidates(resolved: ResolvedPlatform) -> list[Path]:
    """Where the file backend keeps this environment's checkpoint: `.pulumi/stacks/<project>/<stack>.json`."""
    base = state_dir(resolved)
    if base is None:
        return []
    root = base / ".pulumi" / "stacks" / resolved.name
    names = dict.fromkeys([resolved.prefix, resolved.environment])  # stack `{platform}-{env}` (engine.stack_name)
    return [root / f"{n}{ext}" for n in names for ext in (".json", ".json.gz")]


def find_state(resolved: ResolvedPlatform) -> Path | None:
    return next((p for p in state_candidates(resolved) if p.is_file()), None)


def load_state(path: Path) -> list[dict[str, Any]]:
    """The resources of a Pulumi file-backend checkpoint (`{version, checkpoint: {latest: {resources}}}`)."""
    from .errors import MlplatError

    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        data = json.loads(raw)
    except (OSError, ValueError) as exc:
        raise MlplatError(f"cannot read the Pulumi state {path}: {exc}") from None
    cp = data.get("checkpoint", data) if isinstance(data, dict) else {}
    latest = (cp or {}).get("latest") or {}
    return [r for r in latest.get("resources") or [] if isinstance(r, dict)]


def _state_value(v: Any) -> Any:
    """State secrets are ciphertext objects: treat them like plan secrets (never compared)."""
    if isinstance(v, dict):
        if v.get("4dabf18193072939515e22adb298388d") == "1b47061264138c4ac30d75fd1eb44270":
            return SECRET
        return {k: _state_value(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_state_value(x) for x in v]
    return v


def _urn_tail(urn: str) -> str:
    """`<type>::<name>`: what plan and state agree on. Not the stack or project, and not the
    parent type chain either: the offline plan's URNs keep only the immediate parent's type,
    the engine's the whole chain (see engine.engine_urn)."""
    parts = urn.split("::", 3)
    if len(parts) < 4:
        return urn
    return f"{parts[2].rsplit('$', 1)[-1]}::{parts[3]}"


def state_plan(resources: list[dict[str, Any]], platform: str, env: str) -> tuple[Plan, dict[str, dict[str, Any]]]:
    """State resources as a Plan (inputs, dependencies), plus urn → outputs for id lookups."""
    res = []
    outputs: dict[str, dict[str, Any]] = {}
    for r in resources:
        t = r.get("type", "")
        if t.startswith("pulumi:pulumi:Stack"):
            continue
        urn = r.get("urn", "")
        res.append(
            PlanResource(urn=urn, type=t, name=urn.rsplit("::", 1)[-1], parent=r.get("parent"), component=None,
                         inputs=_state_value(r.get("inputs") or {}), custom=bool(r.get("custom", False)),
                         dependencies=list(r.get("dependencies") or []))
        )  # fmt: skip
        outputs[urn] = {"id": r.get("id"), **(r.get("outputs") or {})}
    return Plan(platform, env, res, "aws"), outputs


def pending_changes(plan: Plan, state: Plan, target_builder: Callable[[Plan], list[Target]]) -> list[PendingChange]:
    """Resources to create or delete, and controlled attributes whose spec value differs from state."""
    def managed(p: Plan) -> dict[str, PlanResource]:
        return {_urn_tail(r.urn): r for r in p.custom_resources()}

    planned, stated = managed(plan), managed(state)
    out: list[PendingChange] = []
    for tail in sorted(planned.keys() - stated.keys()):
        r = planned[tail]
        out.append(PendingChange(CREATE, _display_name(r), r.type, r.name))
    for tail in sorted(stated.keys() - planned.keys()):
        r = stated[tail]
        out.append(PendingChange(DELETE, _display_name(r), r.type, r.name))
    st_targets = {(t.kind, _urn_tail(t.urn)): t for t in target_builder(state)}
    for t in target_builder(plan):
        s = st_targets.get((t.kind, _urn_tail(t.urn)))
        if s is None:
            continue
        s_checks = {c.attribute: c for c in s.checks}
        for c in t.checks:
            sc = s_checks.get(c.attribute)
            if sc is None or _has_ref(c.expected) or _has_ref(sc.expected):
                continue  # computed on one side (a key ARN): nothing the spec alone decides
            # Both sides are expectations (no live value): plain equality, not the live matcher.
            if norm(c.expected) != norm(sc.expected):
                out.append(PendingChange(UPDATE, t.resource, t.type, t.logical_name, c.attribute, norm(c.expected),
                                         norm(sc.expected)))  # fmt: skip
    return out


def _has_ref(v: Any) -> bool:
    if isinstance(v, LiveRef):
        return True
    if isinstance(v, dict):
        return any(_has_ref(x) for x in v.values())
    if isinstance(v, list):
        return any(_has_ref(x) for x in v)
    return False


def _display_name(r: PlanResource) -> str:
    """The physical name when the inputs carry one, else the logical name."""
    for key in ("bucket", "identifier", "replicationGroupId", "nodeGroupName", "name"):
        v = r.inputs.get(key)
        if isinstance(v, str) and known(v) and v:
            return v
    meta = r.inputs.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("name"), str):
        ns = meta.get("namespace")
        return f"{ns}/{meta['name']}" if ns else str(meta["name"])
    return r.name


def _annotate_causes(findings: list[Finding], state_targets: dict[tuple[str, str], Target]) -> None:
    """With a state: was a changed attribute altered out of band, or is the spec change not applied yet?"""
    for f in findings:
        if f.kind != CHANGED:
            continue
        t = state_targets.get((f.target_kind, f.resource))
        c = next((c for c in t.checks if c.attribute == f.attribute), None) if t else None
        if c is None or _has_ref(c.expected):
            continue
        if c.equal(c.expected, f.actual):
            f.cause = "not-applied"  # state already has the live value: run `mlplat up`
        elif c.equal(c.expected, f.expected):
            f.cause = "out-of-band"  # Pulumi applied the spec; someone changed it since


# --------------------------------------------------------------------------- the whole thing


def kubernetes_checkable(plan: Plan) -> set[str]:
    from .drift_k8s import k8s_targets

    return {u for t in k8s_targets(plan) for u in t.urns}


def detect_drift(
    resolved: ResolvedPlatform,
    *,
    plan: Plan | None = None,
    live: LiveAws | None = None,
    kube_context: str | None = None,
    kube_reader: Any = None,
    state_path: Path | None | bool = None,
    today: _dt.date | None = None,
) -> DriftReport:
    """Compare one environment's plan (and Pulumi state, when present) with what is running.

    `state_path`: None → look beside the spec (.mlplat/state), False → ignore any state, or a
    checkpoint file. `kube_reader` stands in for a live cluster (tests); `kube_context` uses the
    `kubernetes` client (kubernetes targets default to the spec's `target.context`). Raises
    MlplatError (exit 2) when AWS or the cluster cannot be read.
    """
    if resolved.provider == "kubernetes" and kube_context is None and kube_reader is None:
        # A bring-your-own cluster: its objects are all there is to compare; the spec names the context.
        kube_context = getattr(resolved.spec.target, "context", None) or ""  # "": kubeconfig's current
    if kube_context is not None and kube_reader is None:
        from .drift_k8s import KubeClientReader

        kube_reader = KubeClientReader(kube_context)  # a missing client or context fails before any work
    region = getattr(resolved.spec.target, "region", None) or "us-east-1"
    if resolved.provider == "aws":
        from .live_aws import LiveAws

        live = live or LiveAws(region)
        live.check_access()  # before the plan: bad credentials or endpoint fail in a second
    if plan is None:
        from .offline import run_offline

        plan = run_offline(resolved)
    today = today or _dt.date.today()
    notes: list[str] = []
    findings: list[Finding] = []
    checkable: set[str] = set()

    # Pulumi state, when the engine has written one.
    st_path: Path | None = None
    state: Plan | None = None
    state_outputs: dict[str, dict[str, Any]] = {}
    if state_path is not False:
        st_path = state_path if isinstance(state_path, Path) else find_state(resolved)
        if st_path is not None and st_path.is_file():
            state, state_outputs = state_plan(load_state(st_path), resolved.name, resolved.environment)
        else:
            st_path = None
            where = state_dir(resolved)
            notes.append(
                "no Pulumi state for this environment: pending changes (spec vs state) not checked"
                if where is not None
                else "the Pulumi state is not in a local file backend: pending changes (spec vs state) not checked"
            )

    located: list[Located] = []
    aws_targets_ = aws_targets(plan) if resolved.provider == "aws" else []
    if resolved.provider == "aws" and live is not None:
        from .live_aws import find_tagged

        state_ids = None
        if state is not None:
            state_ids = {str(o.get("id")) for o in state_outputs.values() if o.get("id")}
            state_ids |= {str(o.get("arn")) for o in state_outputs.values() if o.get("arn")}
        tagged = find_tagged(resolved.name, resolved.environment, region, live=live)
        located = locate_aws([t for t in aws_targets_ if t.kind != "aws-resource"], live, resolved.name,
                             resolved.environment)  # fmt: skip
        located += locate_tagged([t for t in aws_targets_ if t.kind == "aws-resource"], tagged, plan, state_ids)
        arns = {loc.target.urn: loc.arn for loc in located if loc.arn}

        def resolve(ref: LiveRef) -> Any:
            return arns.get(ref.urn)

        for loc in located:
            findings.extend(compare(loc.target, loc.live, resolve))
            checkable.update(loc.target.urns)
        findings.extend(unmanaged_findings(tagged, located, plan, state_ids))
    else:
        notes.append(f"target provider {resolved.provider}: no cloud resources to read")

    if kube_reader is not None:
        from .drift_k8s import check_kubernetes

        k_findings, k_urns, k_notes = check_kubernetes(plan, resolved, context=kube_context, reader=kube_reader)
        findings.extend(k_findings)
        checkable.update(k_urns)
        notes.extend(k_notes)
    elif kubernetes_checkable(plan):
        notes.append("Kubernetes objects not compared: pass --kube-context to check replicas, images and resources")

    pending: list[PendingChange] = []
    if state is not None:
        def builder(p: Plan) -> list[Target]:
            from .drift_k8s import k8s_targets

            return aws_targets(p) + k8s_targets(p)

        pending = pending_changes(plan, state, builder)
        _annotate_causes(findings, {(t.kind, t.resource): t for t in builder(state)})

    waivers = resolved.spec.policies.waivers if resolved.spec.policies is not None else []
    notes.extend(apply_waivers([*findings, *pending], waivers, today))

    planned = [r for r in plan.custom_resources()]
    unchecked: dict[str, int] = {}
    for r in planned:
        if r.urn not in checkable:
            unchecked[r.type] = unchecked.get(r.type, 0) + 1
    findings.sort(key=lambda f: ({MISSING: 0, CHANGED: 1, UNMANAGED: 2}.get(f.kind, 3), f.resource, f.attribute or ""))
    return DriftReport(
        resolved.name, resolved.environment, findings, len(planned), sum(1 for r in planned if r.urn in checkable),
        dict(sorted(unchecked.items())), pending, str(st_path) if st_path else None, notes,
    )  # fmt: skip


__all__ = [
    "AWS_CHECKABLE",
    "CHANGED",
    "KIND_CODES",
    "MISSING",
    "UNMANAGED",
    "Check",
    "DriftReport",
    "Finding",
    "LiveRef",
    "Located",
    "PendingChange",
    "Target",
    "apply_waivers",
    "aws_targets",
    "compare",
    "detect_drift",
    "find_state",
    "load_state",
    "locate_aws",
    "norm",
    "pending_changes",
    "state_plan",
    "unmanaged_findings",
]  # fmt: skip
