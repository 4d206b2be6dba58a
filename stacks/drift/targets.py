"""The AWS target table: what to read for each planned resource, and how to compare it."""


from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from mlplat.stacks.drift.model import (
    BUCKET_SUBRESOURCES,
    T_BUCKET,
    T_CACHE_CLUSTER,
    T_EKS,
    T_KMS_ALIAS,
    T_KMS_KEY,
    T_LIFECYCLE,
    T_MWAA,
    T_NODEGROUP,
    T_OWNERSHIP,
    T_PAB,
    T_POLICY,
    T_RDS,
    T_REDIS_GROUP,
    T_SM_ENDPOINT,
    T_SM_ENDPOINT_CONFIG,
    T_SM_MLFLOW,
    T_SSE,
    T_VERSIONING,
    Check,
    LiveRef,
    Located,
    Target,
    as_bool,
    known,
    norm,
)
from mlplat.stacks.plan.model import Plan, PlanResource

if TYPE_CHECKING:
    from mlplat.stacks.drift.live_aws import TaggedResource



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
    scaling = {k: norm(sc[w]) for k, w in (("min_size", "minSize"), ("max_size", "maxSize")) if w in sc and known(sc[w])}
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


def _variants(value: Any) -> dict[str, dict[str, Any]]:
    return {str(v.get("variantName")): v for v in value or [] if isinstance(v, dict)}


def _sm_endpoint_config_target(plan: Plan, c: PlanResource) -> Target | None:
    i = c.inputs
    name = i.get("name")
    if not known(name) or not name:
        return None
    t = Target("sagemaker-endpoint-config", name, c.type, c.name, c.urn, c.component,
               {"endpoint_config": name}, urns=[c.urn])
    for variant, v in sorted(_variants(i.get("productionVariants")).items()):
        for key, live_key in (("instanceType", "instance_type"), ("initialInstanceCount", "initial_instance_count"),
                              ("initialVariantWeight", "initial_weight")):
            if known(v.get(key)) and v.get(key) is not None:
                t.checks.append(Check(f"variants.{variant}.{live_key}", norm(v[key]),
                                      lambda live, a=variant, k=live_key: (live.get("variants") or {}).get(a, {}).get(k)))
    capture = i.get("dataCaptureConfig")
    if isinstance(capture, dict):
        _attr(t.checks, capture, "initialSamplingPercentage", "data_capture.sampling_percent", "capture_sampling")
        t.checks.append(Check("data_capture.enabled", True, _field("capture_enabled")))
    if "kmsKeyArn" in i:
        t.checks.append(Check("kms_key", "set" if i.get("kmsKeyArn") else None,
                              lambda live: "set" if live.get("kms_key") else None))
    t.checks.extend(_tag_checks(c))
    return t


def _named_target(res: PlanResource, kind: str, name_input: str, lookup: str,
                  attrs: tuple[tuple[str, str, str], ...]) -> Target | None:
    """A target found by the physical name the plan gives it, with (input, attribute, live key) checks and tags."""
    name = res.inputs.get(name_input)
    if not known(name) or not name:
        return None
    t = Target(kind, name, res.type, res.name, res.urn, res.component, {lookup: name}, urns=[res.urn])
    for key, attribute, live_key in attrs:
        _attr(t.checks, res.inputs, key, attribute, live_key)
    t.checks.extend(_tag_checks(res))
    return t


def _sm_endpoint_target(plan: Plan, e: PlanResource) -> Target | None:
    return _named_target(e, "sagemaker-endpoint", "name", "endpoint",
                         (("endpointConfigName", "endpoint_config", "config_name"),))


def _sm_mlflow_target(plan: Plan, m: PlanResource) -> Target | None:
    return _named_target(m, "sagemaker-mlflow", "trackingServerName", "tracking_server",
                         (("trackingServerSize", "size", "size"),))


def _mwaa_target(plan: Plan, w: PlanResource) -> Target | None:
    return _named_target(w, "mwaa", "name", "environment", (
        ("environmentClass", "environment_class", "environment_class"),
        ("maxWorkers", "max_workers", "max_workers"),
        ("webserverAccessMode", "webserver_access_mode", "webserver_access_mode"),
        ("airflowVersion", "airflow_version", "airflow_version"),
    ))


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
        (T_SM_ENDPOINT_CONFIG, _sm_endpoint_config_target), (T_SM_ENDPOINT, _sm_endpoint_target),
        (T_SM_MLFLOW, _sm_mlflow_target), (T_MWAA, _mwaa_target),
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


__all__ = ["aws_targets"]
