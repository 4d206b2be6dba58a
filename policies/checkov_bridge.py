"""checkov over an offline plan, in-process (DESIGN 6).

checkov has no Pulumi framework, so the plan is rendered into the two formats it scans:

* Kubernetes objects → one manifest file per object (`kubernetes` runner);
* AWS resources → one Terraform plan JSON (`terraform_plan` runner): pulumi-aws type tokens map
  to Terraform types, camelCase wire names to snake_case attributes, Pulumi's plural names of
  repeated blocks to Terraform's singular ones, and a `configuration` section carries the
  references between resources (from the plan's dependencies) so cross-resource checks link
  (e.g. a bucket and its versioning / encryption / public-access-block resources).

Every checkov result is mapped back to the plan resource it came from (file per object, address
per resource). Runners are created per scan; checkov is imported only here and only when a scan
runs (its import costs seconds), with BC_SKIP_MAPPING=TRUE so it never goes to the network.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .checkov_skips import runner_skips, skipped
from .helpers import k8s_name, namespace_of, unknown

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import Plan, PlanResource

TERRAFORM_VERSION = "1.9.8"  # what the generated plan JSON claims to come from; checkov needs one

# pulumi-aws type tokens whose Terraform name does not follow `aws_<module>_<snake type>`.
TF_TYPES: dict[str, str] = {
    "aws:s3/bucket:Bucket": "aws_s3_bucket",
    "aws:s3/bucketV2:BucketV2": "aws_s3_bucket",
    "aws:rds/instance:Instance": "aws_db_instance",
    "aws:rds/cluster:Cluster": "aws_rds_cluster",
    "aws:rds/subnetGroup:SubnetGroup": "aws_db_subnet_group",
    "aws:rds/parameterGroup:ParameterGroup": "aws_db_parameter_group",
    "aws:rds/optionGroup:OptionGroup": "aws_db_option_group",
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": "aws_rds_cluster_parameter_group",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "aws_vpc_security_group_ingress_rule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "aws_vpc_security_group_egress_rule",
    "aws:cloudwatch/logGroup:LogGroup": "aws_cloudwatch_log_group",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "aws_cloudwatch_metric_alarm",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": "aws_iam_openid_connect_provider",
    "aws:lb/loadBalancer:LoadBalancer": "aws_lb",
    "aws:lb/listener:Listener": "aws_lb_listener",
    "aws:lb/targetGroup:TargetGroup": "aws_lb_target_group",
}
# pulumi-aws modules whose Terraform resources carry no module prefix (aws:ec2/subnet → aws_subnet).
UNPREFIXED_MODULES = ("ec2",)
# Attributes whose values are maps (keys are data, not attribute names: never snake_cased).
MAP_ATTRIBUTES = {"tags", "tags_all", "labels", "variables", "environment", "parameters_map"}
# Pulumi names repeated blocks in the plural; Terraform in the singular (per resource type).
PLURAL_BLOCKS: dict[str, dict[str, str]] = {
    "*": {"rules": "rule", "taints": "taint", "transitions": "transition", "filters": "filter"},
    "aws_s3_bucket_lifecycle_configuration": {"rules": "rule"},
    "aws_s3_bucket_server_side_encryption_configuration": {"rules": "rule"},
    "aws_eks_node_group": {"taints": "taint"},
    "aws_db_parameter_group": {"parameters": "parameter"},
    "aws_elasticache_parameter_group": {"parameters": "parameter"},
}
# Attributes that name another resource → the Terraform types they may reference.
REFERENCE_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "bucket": ("aws_s3_bucket",),
    "vpc_id": ("aws_vpc",),
    "subnet_id": ("aws_subnet",),
    "subnet_ids": ("aws_subnet",),
    "route_table_id": ("aws_route_table",),
    "gateway_id": ("aws_internet_gateway",),
    "nat_gateway_id": ("aws_nat_gateway",),
    "allocation_id": ("aws_eip",),
    "kms_key_id": ("aws_kms_key",),
    "kms_master_key_id": ("aws_kms_key",),
    "key_arn": ("aws_kms_key",),
    "target_key_id": ("aws_kms_key",),
    "role": ("aws_iam_role",),
    "role_arn": ("aws_iam_role",),
    "iam_role_arn": ("aws_iam_role",),
    "node_role_arn": ("aws_iam_role",),
    "service_account_role_arn": ("aws_iam_role",),
    "cluster_name": ("aws_eks_cluster",),
    "log_destination": ("aws_cloudwatch_log_group", "aws_s3_bucket"),
    "db_subnet_group_name": ("aws_db_subnet_group",),
    "subnet_group_name": ("aws_elasticache_subnet_group",),
    "vpc_security_group_ids": ("aws_security_group",),
    "security_group_ids": ("aws_security_group",),
    "security_group_id": ("aws_security_group",),
    "policy_arn": ("aws_iam_policy",),
}
# Kubernetes resources of the Pulumi provider that are not API objects.
NOT_K8S_OBJECTS = ("kubernetes:helm.sh/", "kubernetes:yaml", "kubernetes:kustomize")


@dataclass
class CheckovFailure:
    check_id: str
    check_name: str
    urn: str | None  # the plan resource
    resource: str  # its logical name
    checkov_resource: str  # how checkov named it (Deployment.ns.name, aws_s3_bucket.x)
    framework: str
    guideline: str | None = None


@dataclass
class CheckovScan:
    failures: list[CheckovFailure] = field(default_factory=list)
    passed: int = 0
    skipped: list[str] = field(default_factory=list)  # check ids skipped by SKIPS
    scanned: dict[str, int] = field(default_factory=dict)  # framework → objects rendered
    timings: dict[str, float] = field(default_factory=dict)


# --------------------------------------------------------------------------- value conversion


def snake(name: str) -> str:
    """camelCase wire name → snake_case Terraform attribute (`kmsMasterKeyId` → `kms_master_key_id`)."""
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    return s.lower()


def _number(v: Any) -> Any:
    # The engine hands numbers over as floats: 2.0 replicas would read as "2.0" to some checks.
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def plain(value: Any) -> Any:
    """Floats that are whole numbers become ints, recursively (manifests)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return _number(value)


def tf_type(pulumi_type: str) -> str | None:
    """pulumi-aws type token → Terraform resource type (None for non-aws types)."""
    if pulumi_type in TF_TYPES:
        return TF_TYPES[pulumi_type]
    m = re.fullmatch(r"aws:([a-zA-Z0-9]+)/([a-zA-Z0-9]+):([A-Za-z0-9]+)", pulumi_type)
    if not m:
        return None
    module, typ = m.group(1).lower(), m.group(3)
    typ = re.sub(r"V2$", "", typ)  # BucketVersioningV2 and friends are the same Terraform resource
    name = snake(typ)
    if module in UNPREFIXED_MODULES:
        return f"aws_{name}"
    return f"aws_{module}_{name}"


def tf_values(tf: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """Pulumi inputs (wire names) → Terraform attribute values."""
    renames = {**PLURAL_BLOCKS["*"], **PLURAL_BLOCKS.get(tf, {})}

    def conv(value: Any, top: bool, key: str | None) -> Any:
        if isinstance(value, dict):
            if key in MAP_ATTRIBUTES:
                return {k: _number(v) for k, v in value.items()}
            return {_name(k, top=False): conv(v, False, _name(k, False)) for k, v in value.items()}
        if isinstance(value, list):
            return [conv(v, False, key) for v in value]
        return _number(value)

    def _name(k: str, top: bool) -> str:
        s = snake(k)
        return renames.get(k, renames.get(s, s))

    out = {}
    for k, v in inputs.items():
        name = _name(k, True)
        out[name] = conv(v, True, name)
    if "tags" in out and isinstance(out["tags"], dict):
        out.setdefault("tags_all", dict(out["tags"]))
    return out


def _address_name(name: str, used: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if not base or base[0].isdigit():
        base = f"r_{base}"
    candidate, i = base, 2
    while candidate in used:
        candidate, i = f"{base}_{i}", i + 1
    used.add(candidate)
    return candidate


def terraform_plan(plan: Plan) -> tuple[dict[str, Any], dict[str, str]]:
    """The plan's AWS resources as a Terraform plan JSON, and address → plan URN."""
    used: set[str] = set()
    entries: list[tuple[PlanResource, str, str, dict[str, Any]]] = []
    for res in plan.custom_resources():
        tf = tf_type(res.type) if res.is_aws else None
        if tf is None:
            continue
        name = _address_name(res.name, used)
        entries.append((res, tf, name, tf_values(tf, res.inputs)))
    by_urn = {res.urn: (tf, name, values) for res, tf, name, values in entries}

    planned, configured, addresses = [], [], {}
    for res, tf, name, values in entries:
        address = f"{tf}.{name}"
        addresses[address] = res.urn
        expressions: dict[str, Any] = {}
        deps = [by_urn[d] for d in res.dependencies if d in by_urn]
        for attr, value in list(values.items()):
            targets = REFERENCE_ATTRIBUTES.get(attr)
            if not targets:
                continue
            refs = []
            for dtf, dname, dvalues in deps:
                if dtf not in targets:
                    continue
                # A known value must name this dependency (bucket name, id); unknown values link by type.
                identity = {
                    dvalues.get(k) for k in ("bucket", "name", "id", "arn") if isinstance(dvalues.get(k), str)
                }
                names = value if isinstance(value, list) else [value]
                if any(unknown(v) for v in names) or identity & {v for v in names if isinstance(v, str)}:
                    refs += [f"{dtf}.{dname}.id", f"{dtf}.{dname}"]
            if refs:
                expressions[attr] = {"references": refs}
                if unknown(value):
                    del values[attr]  # as in a real plan: unknown values are absent, the reference stands in
        planned.append(
            {
                "address": address,
                "mode": "managed",
                "type": tf,
                "name": name,
                "provider_name": "registry.terraform.io/hashicorp/aws",
                "schema_version": 0,
                "values": values,
            }
        )
        configured.append(
            {"address": address, "mode": "managed", "type": tf, "name": name, "expressions": expressions}
        )
    doc = {
        "format_version": "1.2",
        "terraform_version": TERRAFORM_VERSION,
        "planned_values": {"root_module": {"resources": planned}},
        "configuration": {"root_module": {"resources": configured}},
    }
    return doc, addresses


def k8s_manifests(plan: Plan) -> list[tuple[PlanResource, dict[str, Any]]]:
    """The plan's Kubernetes API objects as manifests (apiVersion, kind, metadata with a name)."""
    out = []
    for res in plan.custom_resources():
        if not res.is_kubernetes or res.type.startswith(NOT_K8S_OBJECTS):
            continue
        group_version, kind = res.type.split(":", 1)[1].rsplit(":", 1)
        api = group_version.removeprefix("core/")
        doc = plain({k: v for k, v in res.inputs.items() if k not in ("apiVersion", "kind")})
        meta = dict(doc.get("metadata") or {})
        meta["name"] = k8s_name(res)
        if kind != "Namespace" and not _cluster_scoped(kind):
            meta["namespace"] = namespace_of(plan, res)
        doc["metadata"] = meta
        out.append(
            (
                res,
                {
                    "apiVersion": res.inputs.get("apiVersion", api),
                    "kind": res.inputs.get("kind", kind),
                    **doc,
                },
            )
        )
    return out


def _cluster_scoped(kind: str) -> bool:
    return kind in {
        "Namespace",
        "ClusterRole",
        "ClusterRoleBinding",
        "StorageClass",
        "PersistentVolume",
        "CustomResourceDefinition",
        "PriorityClass",
        "IngressClass",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
    }


# --------------------------------------------------------------------------- scanning


def _import_checkov() -> Any:
    os.environ.setdefault("BC_SKIP_MAPPING", "TRUE")  # no network look-ups of check metadata
    os.environ.setdefault("CHECKOV_RUN_SCA_PACKAGE_SCAN_V2", "false")
    os.environ.setdefault("CHECKOV_PARALLELIZATION_TYPE", "none")
    import logging

    from checkov.kubernetes.runner import Runner as K8sRunner
    from checkov.runner_filter import RunnerFilter
    from checkov.terraform.plan_runner import Runner as PlanRunner

    # checkov logs parse chatter at WARNING; the report is ours to print.
    logging.getLogger("checkov").setLevel(logging.ERROR)
    # checkov parses files in forked children by default: in a process that has run Pulumi (gRPC
    # threads) forking is unsafe (DESIGN 6) and, one fork per manifest, slower than parsing here.
    from checkov.common.parallelizer.parallel_runner import parallel_runner

    parallel_runner.type = "none"
    return K8sRunner, PlanRunner, RunnerFilter


def _reports(result: Any) -> list[Any]:
    return list(result) if isinstance(result, list) else [result]


def scan_plan(plan: Plan, skips: Iterable[str] | None = None) -> CheckovScan:
    """Run checkov's Kubernetes and Terraform-plan runners over the plan; map failures back.

    `skips`: check ids to skip everywhere (default: the documented list in checkov_skips)."""
    use_list = skips is None
    skip = runner_skips() if skips is None else sorted(skips)
    t0 = time.perf_counter()
    K8sRunner, PlanRunner, RunnerFilter = _import_checkov()
    scan = CheckovScan(skipped=skip)
    scan.timings["import"] = time.perf_counter() - t0
    manifests = k8s_manifests(plan)
    tf_doc, addresses = terraform_plan(plan)
    scan.scanned = {"kubernetes": len(manifests), "terraform_plan": len(addresses)}

    with tempfile.TemporaryDirectory(prefix="mlplat-checkov-") as tmp:
        root = Path(tmp)
        if manifests:
            t0 = time.perf_counter()
            files: dict[str, PlanResource] = {}
            kdir = root / "k8s"
            kdir.mkdir()
            for i, (res, manifest) in enumerate(manifests):
                f = kdir / f"r{i:04d}.json"
                f.write_text(json.dumps(manifest), encoding="utf-8")
                files[f.name] = res
            report = K8sRunner().run(
                root_folder=str(kdir),
                runner_filter=RunnerFilter(
                    framework=["kubernetes"], skip_checks=skip, show_progress_bar=False
                ),
            )
            for rep in _reports(report):
                scan.passed += len(rep.passed_checks)
                for c in rep.failed_checks:
                    res = files.get(Path(c.file_path).name)
                    scan.failures.append(
                        CheckovFailure(
                            c.check_id,
                            c.check_name,
                            res.urn if res else None,
                            res.name if res else c.resource,
                            c.resource,
                            "kubernetes",
                            c.guideline,
                        )
                    )
            scan.timings["kubernetes"] = time.perf_counter() - t0
        if addresses:
            t0 = time.perf_counter()
            f = root / "plan.json"
            f.write_text(json.dumps(tf_doc), encoding="utf-8")
            report = PlanRunner().run(
                root_folder=None,
                files=[str(f)],
                runner_filter=RunnerFilter(
                    framework=["terraform_plan"], skip_checks=skip, show_progress_bar=False
                ),
            )
            by_name = {u: r for r in plan.resources for u in [r.urn]}
            for rep in _reports(report):
                scan.passed += len(rep.passed_checks)
                for c in rep.failed_checks:
                    address = getattr(c, "resource_address", None) or c.resource
                    urn = addresses.get(address) or addresses.get(c.resource)
                    res = by_name.get(urn) if urn else None
                    scan.failures.append(
                        CheckovFailure(
                            c.check_id,
                            c.check_name,
                            urn,
                            res.name if res else c.resource,
                            c.resource,
                            "terraform_plan",
                            c.guideline,
                        )
                    )
            scan.timings["terraform_plan"] = time.perf_counter() - t0
    if use_list:  # resource-scoped skips of the documented list
        scan.failures = [f for f in scan.failures if not skipped(f.check_id, f.resource)]
    scan.failures.sort(key=lambda f: (f.check_id, f.resource))
    return scan


def warm_up() -> None:
    """Import checkov now (benchmarks separate its start-up from the scans)."""
    _import_checkov()


__all__ = [
    "CheckovFailure", "CheckovScan", "k8s_manifests", "plain", "scan_plan", "snake", "terraform_plan", "tf_type",
    "tf_values", "warm_up",
]  # fmt: skip
