"""Hand-made plan resources and specs for the policy tests (shaped like the offline engine's output)."""

from __future__ import annotations

import copy
import json
import textwrap
from pathlib import Path
from typing import Any

from mlplat.stacks.plan.model import SECRET, UNKNOWN, Plan, PlanResource

PLATFORM, ENV = "demo", "prod"
PREFIX = f"{PLATFORM}-{ENV}"


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:{PREFIX}::{PLATFORM}::{type_}::{name}"


def tags(component: str, name: str, **extra: str) -> dict[str, str]:
    return {
        "mlplat:platform": PLATFORM,
        "mlplat:environment": ENV,
        "mlplat:component": component,
        "mlplat:resource": name,
        "managed-by": "mlplat",
        **extra,
    }


def labels(component: str) -> dict[str, str]:
    return {
        "mlplat.io/platform": PLATFORM,
        "mlplat.io/environment": ENV,
        "mlplat.io/component": component,
        "app.kubernetes.io/managed-by": "mlplat",
    }


def res(
    type_: str,
    name: str,
    inputs: dict[str, Any] | None = None,
    *,
    component: str | None = None,
    deps: list[PlanResource] | None = None,
    parent: PlanResource | None = None,
    protect: bool = False,
    tagged: bool | None = None,
) -> PlanResource:
    """A plan resource; taggable aws types get ownership tags unless tagged=False."""
    inputs = dict(inputs or {})
    comp = component or "storage"
    if tagged is None:
        tagged = type_.startswith("aws:") and "tags" not in inputs and _taggable(type_)
    if tagged:
        inputs["tags"] = tags(comp, name)
    return PlanResource(
        urn=urn(type_, name),
        type=type_,
        name=name,
        parent=parent.urn if parent else None,
        component=comp,
        inputs=inputs,
        dependencies=[d.urn for d in deps or []],
        protect=protect,
    )


def _taggable(type_: str) -> bool:
    from mlplat.policies.helpers import TAGGABLE_AWS_TYPES

    return type_ in TAGGABLE_AWS_TYPES


def plan(*resources: PlanResource | list[PlanResource], env: str = ENV, provider: str = "aws") -> Plan:
    flat: list[PlanResource] = []
    for r in resources:
        flat.extend(r if isinstance(r, list) else [r])
    return Plan(PLATFORM, env, flat, provider)


# --------------------------------------------------------------------------- storage

BUCKET = "aws:s3/bucket:Bucket"
TLS_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::x", "arn:aws:s3:::x/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ],
}


def bucket(
    name: str,
    purpose: str = "general",
    *,
    versioning: str | None = "Enabled",
    sse: str | None = "aws:kms",
    pab: dict[str, bool] | str | None = None,  # overrides, or "absent"
    policy: dict[str, Any] | None | str = "tls",
    ownership: str | None = "BucketOwnerEnforced",
    force_destroy: bool = False,
    protect: bool = True,
    kms: PlanResource | None = None,
) -> list[PlanResource]:
    """A bucket with its configuration resources, as the storage component creates them."""
    logical = f"storage-{name}"
    physical = f"{PREFIX}-{name}"
    b = res(
        BUCKET,
        logical,
        {
            "bucket": physical,
            "forceDestroy": force_destroy,
            "tags": tags("storage", logical, **{"mlplat:purpose": purpose}),
        },
        protect=protect,
    )
    out = [b]

    def child(kind: str, suffix: str, inputs: dict[str, Any]) -> None:
        out.append(
            res(
                f"aws:s3/{kind[0].lower() + kind[1:]}:{kind}",
                f"{logical}-{suffix}",
                {"bucket": physical, **inputs},
                deps=[b],
                parent=None,
            )
        )

    if versioning is not None:
        child("BucketVersioning", "versioning", {"versioningConfiguration": {"status": versioning}})
    if sse is not None:
        default: dict[str, Any] = {"sseAlgorithm": sse}
        if sse.startswith("aws:kms"):
            default["kmsMasterKeyId"] = UNKNOWN
        child(
            "BucketServerSideEncryptionConfiguration",
            "sse",
            {"rules": [{"applyServerSideEncryptionByDefault": default}]},
        )
    if pab != "absent":
        flags = {
            "blockPublicAcls": True,
            "blockPublicPolicy": True,
            "ignorePublicAcls": True,
            "restrictPublicBuckets": True,
        }
        flags.update(pab if isinstance(pab, dict) else {})
        child("BucketPublicAccessBlock", "public-access-block", flags)
    if policy is not None:
        doc = TLS_POLICY if policy == "tls" else policy
        child("BucketPolicy", "policy", {"policy": json.dumps(doc)})
    if ownership is not None:
        child("BucketOwnershipControls", "ownership", {"rule": {"objectOwnership": ownership}})
    if kms is not None:
        for r in out[1:]:
            if r.type.endswith("BucketServerSideEncryptionConfiguration"):
                r.dependencies.append(kms.urn)
    return out


def kms_key(name: str = "storage-kms", rotation: bool | None = True, protect: bool = True) -> PlanResource:
    inputs: dict[str, Any] = {"description": "key", "deletionWindowInDays": 30.0}
    if rotation is not None:
        inputs["enableKeyRotation"] = rotation
    return res("aws:kms/key:Key", name, inputs, protect=protect)


# --------------------------------------------------------------------------- network / cluster


def network(*, public_ip: bool = False, flow_log: bool = True, default_sg: str = "empty") -> dict[str, Any]:
    """A VPC with one public and one private subnet, routing, NAT, flow logs; returns the pieces."""
    c = "network"
    vpc = res("aws:ec2/vpc:Vpc", "network-vpc", {"cidrBlock": "10.0.0.0/16"}, component=c)
    pub = res(
        "aws:ec2/subnet:Subnet",
        "network-public-a",
        {"vpcId": UNKNOWN, "cidrBlock": "10.0.128.0/20", "mapPublicIpOnLaunch": public_ip},
        component=c,
        deps=[vpc],
    )
    priv = res(
        "aws:ec2/subnet:Subnet",
        "network-private-a",
        {"vpcId": UNKNOWN, "cidrBlock": "10.0.0.0/18", "mapPublicIpOnLaunch": False},
        component=c,
        deps=[vpc],
    )
    igw = res(
        "aws:ec2/internetGateway:InternetGateway", "network-igw", {"vpcId": UNKNOWN}, component=c, deps=[vpc]
    )
    prt = res(
        "aws:ec2/routeTable:RouteTable", "network-public-rt", {"vpcId": UNKNOWN}, component=c, deps=[vpc]
    )
    route = res(
        "aws:ec2/route:Route",
        "network-public-default-route",
        {"routeTableId": UNKNOWN, "destinationCidrBlock": "0.0.0.0/0", "gatewayId": UNKNOWN},
        component=c,
        deps=[prt, igw],
    )
    assoc = res(
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
        "network-public-rta-a",
        {"subnetId": UNKNOWN, "routeTableId": UNKNOWN},
        component=c,
        deps=[pub, prt],
    )
    rt2 = res(
        "aws:ec2/routeTable:RouteTable", "network-private-rt-a", {"vpcId": UNKNOWN}, component=c, deps=[vpc]
    )
    assoc2 = res(
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
        "network-private-rta-a",
        {"subnetId": UNKNOWN, "routeTableId": UNKNOWN},
        component=c,
        deps=[priv, rt2],
    )
    out = [vpc, pub, priv, igw, prt, route, assoc, rt2, assoc2]
    if flow_log:
        lg = res(
            "aws:cloudwatch/logGroup:LogGroup", "network-flow-logs", {"retentionInDays": 365.0}, component=c
        )
        out += [
            lg,
            res(
                "aws:ec2/flowLog:FlowLog",
                "network-flow-log",
                {"vpcId": UNKNOWN, "trafficType": "ALL", "logDestination": UNKNOWN},
                component=c,
                deps=[vpc, lg],
            ),
        ]
    if default_sg != "absent":
        sg_inputs: dict[str, Any] = {"vpcId": UNKNOWN}
        if default_sg == "open":
            sg_inputs["ingress"] = [{"protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "self": True}]
        out.append(
            res(
                "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
                "network-default-sg",
                sg_inputs,
                component=c,
                deps=[vpc],
            )
        )
    return {"all": out, "vpc": vpc, "public": pub, "private": priv}


def node_group(
    name: str,
    instance: str = "m6i.large",
    *,
    ami: str | None = "AL2023_x86_64_STANDARD",
    taints: list[dict[str, str]] | None = None,
    capacity: str = "ON_DEMAND",
    min_size: float = 1.0,
    subnets: list[PlanResource] | None = None,
) -> PlanResource:
    inputs: dict[str, Any] = {
        "clusterName": UNKNOWN,
        "nodeGroupName": f"{PREFIX}-{name}",
        "instanceTypes": [instance],
        "capacityType": capacity,
        "scalingConfig": {"minSize": min_size, "maxSize": 4.0, "desiredSize": max(min_size, 1.0)},
        "subnetIds": [UNKNOWN],
    }
    if ami is not None:
        inputs["amiType"] = ami
    if taints:
        inputs["taints"] = taints
    return res(
        "aws:eks/nodeGroup:NodeGroup", f"cluster-{name}", inputs, component="cluster", deps=subnets or []
    )


GPU_TAINT = {"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}


def eks_cluster(name: str = "cluster-eks", **over: Any) -> PlanResource:
    inputs: dict[str, Any] = {
        "name": f"{PREFIX}-cluster",
        "version": "1.35",
        "roleArn": UNKNOWN,
        "vpcConfig": {"subnetIds": [UNKNOWN], "endpointPrivateAccess": True, "endpointPublicAccess": False},
        "enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"],
        "encryptionConfig": {"provider": {"keyArn": UNKNOWN}, "resources": ["secrets"]},
    }
    inputs.update(over)
    return res("aws:eks/cluster:Cluster", name, inputs, component="cluster")


# --------------------------------------------------------------------------- databases


def rds(name: str = "tracking-db", protect: bool = True, **over: Any) -> PlanResource:
    inputs: dict[str, Any] = {
        "identifier": f"{PREFIX}-{name}",
        "engine": "postgres",
        "instanceClass": "db.t4g.medium",
        "multiAz": True,
        "deletionProtection": True,
        "backupRetentionPeriod": 14.0,
        "storageEncrypted": True,
        "kmsKeyId": UNKNOWN,
        "publiclyAccessible": False,
        "skipFinalSnapshot": False,
        "password": SECRET,
        "username": "mlflow",
    }
    inputs.update(over)
    return res("aws:rds/instance:Instance", name, inputs, component="tracking", protect=protect)


def cache(name: str = "feature-store-redis", protect: bool = True, **over: Any) -> PlanResource:
    inputs: dict[str, Any] = {
        "atRestEncryptionEnabled": True,
        "transitEncryptionEnabled": True,
        "authToken": SECRET,
    }
    inputs.update(over)
    return res(
        "aws:elasticache/replicationGroup:ReplicationGroup",
        name,
        inputs,
        component="feature_store",
        protect=protect,
    )


# --------------------------------------------------------------------------- kubernetes

GOOD_CONTAINER: dict[str, Any] = {
    "name": "app",
    "image": "ghcr.io/mlflow/mlflow:v2.16.2",
    "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}},
    "securityContext": {
        "runAsNonRoot": True,
        "runAsUser": 10001.0,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "privileged": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    },
    "readinessProbe": {"httpGet": {"path": "/health", "port": 5000.0}},
    "livenessProbe": {"httpGet": {"path": "/health", "port": 5000.0}},
    "env": [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}],
}


def container(**over: Any) -> dict[str, Any]:
    c = copy.deepcopy(GOOD_CONTAINER)
    for k, v in over.items():
        if v is None:
            c.pop(k, None)
        elif k == "securityContext" and isinstance(v, dict):  # merged: tests vary one field
            c[k] = {**c[k], **v}
        else:
            c[k] = v
    return c


def k8s(
    kind: str,
    name: str,
    spec: dict[str, Any] | None = None,
    *,
    namespace: str = "mlplat-tracking",
    component: str = "tracking",
    api: str = "apps/v1",
    extra: dict[str, Any] | None = None,
    meta: dict[str, Any] | None = None,
    deps: list[PlanResource] | None = None,
) -> PlanResource:
    metadata: dict[str, Any] = {"name": name, "labels": labels(component)}
    if kind != "Namespace":
        metadata["namespace"] = namespace
    metadata.update(meta or {})
    inputs: dict[str, Any] = {
        "apiVersion": "v1" if api == "core/v1" else api,
        "kind": kind,
        "metadata": metadata,
    }
    if spec is not None:
        inputs["spec"] = spec
    inputs.update(extra or {})
    return res(
        f"kubernetes:{api}:{kind}",
        f"{component}-{name}-{kind.lower()}",
        inputs,
        component=component,
        deps=deps,
    )


def deployment(
    name: str = "mlflow",
    containers: list[dict[str, Any]] | None = None,
    *,
    pod: dict[str, Any] | None = None,
    namespace: str = "mlplat-tracking",
    kind: str = "Deployment",
    component: str = "tracking",
) -> PlanResource:
    pod_spec: dict[str, Any] = {
        "automountServiceAccountToken": False,
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": containers if containers is not None else [container()],
    }
    pod_spec.update(pod or {})
    template = {"metadata": {"labels": {"app": name}}, "spec": pod_spec}
    if kind == "CronJob":
        spec: dict[str, Any] = {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": template}}}
        api = "batch/v1"
    elif kind == "Job":
        spec, api = {"template": template}, "batch/v1"
    else:
        spec, api = (
            {"replicas": 2.0, "selector": {"matchLabels": {"app": name}}, "template": template},
            "apps/v1",
        )
    return k8s(kind, name, spec, namespace=namespace, component=component, api=api)


def network_policy(namespace: str = "mlplat-tracking", component: str = "tracking") -> PlanResource:
    spec = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    return k8s(
        "NetworkPolicy",
        f"default-deny-{namespace}",
        spec,
        namespace=namespace,
        component=component,
        api="networking.k8s.io/v1",
    )


# --------------------------------------------------------------------------- specs

BASE_SPEC = """\
apiVersion: mlplat.io/v1alpha1
kind: Platform
metadata:
  name: demo
  owner: ml@acme.example
target:
  provider: aws
  region: us-east-1
"""


def spec_text(body: str = "", header: str = BASE_SPEC) -> str:
    return header + textwrap.dedent(body)


def write(tmp: Path, body: str, name: str = "platform.yaml", header: str = BASE_SPEC) -> Path:
    p = tmp / name
    p.write_text(spec_text(body, header), encoding="utf-8")
    return p
