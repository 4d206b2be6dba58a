"""Create, with boto3, the live resources a plan describes: a stand-in for `mlplat up` against moto.

Every value comes from the plan's inputs (nothing is hard-coded to what drift expects), so an
environment built here is "what Pulumi would have created". Values Pulumi would compute (key
ARNs, role ARNs, subnet ids) are filled in from the resources created earlier, or faked where
moto does not check them (IAM role ARNs, subnet ids).
"""

from __future__ import annotations

from typing import Any

import boto3

from mlplat.stacks.plan import UNKNOWN, Plan, PlanResource

FAKE_ROLE = "arn:aws:iam::123456789012:role/mlplat-test"
FAKE_SUBNETS = ["subnet-0000000000000001a", "subnet-0000000000000001b"]


def _num(v: Any) -> Any:
    return int(v) if isinstance(v, float) and v.is_integer() else v


def _pascal(value: Any) -> Any:
    """camelCase wire names → the PascalCase the S3 API uses (lifecycle rules)."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            key = "ID" if k == "id" else k[0].upper() + k[1:]
            out[key] = _pascal(v)
        return out
    if isinstance(value, list):
        return [_pascal(v) for v in value]
    return _num(value)


def _tags(res: PlanResource) -> list[dict[str, str]]:
    return [{"Key": k, "Value": str(v)} for k, v in res.tags.items()]


class Materialized:
    """What was created: physical ids by plan URN (key ARNs, bucket names…)."""

    def __init__(self) -> None:
        self.key_arn: dict[str, str] = {}
        self.key_id: dict[str, str] = {}
        self.created: list[tuple[str, str]] = []  # (type, identifier)


def _dep(plan: Plan, res: PlanResource, type_: str) -> PlanResource | None:
    return next((plan.by_urn(u) for u in res.dependencies if (d := plan.by_urn(u)) is not None and d.type == type_), None)


def _key_arn(plan: Plan, res: PlanResource, value: Any, made: Materialized) -> str | None:
    if value not in (None, UNKNOWN):
        return str(value)
    dep = _dep(plan, res, "aws:kms/key:Key")
    return made.key_arn.get(dep.urn) if dep is not None else None


def materialize(plan: Plan, region: str) -> Materialized:
    made = Materialized()
    s3 = boto3.client("s3", region_name=region)
    kms = boto3.client("kms", region_name=region)
    eks = boto3.client("eks", region_name=region)
    rds = boto3.client("rds", region_name=region)
    ec = boto3.client("elasticache", region_name=region)

    for k in plan.of_type("aws:kms/key:Key"):
        md = kms.create_key(Description=k.inputs.get("description", ""),
                            Tags=[{"TagKey": t["Key"], "TagValue": t["Value"]} for t in _tags(k)])["KeyMetadata"]
        if k.inputs.get("enableKeyRotation"):
            kms.enable_key_rotation(KeyId=md["KeyId"])
        made.key_arn[k.urn], made.key_id[k.urn] = md["Arn"], md["KeyId"]
        made.created.append(("kms-key", md["KeyId"]))
    for a in plan.of_type("aws:kms/alias:Alias"):
        key = _dep(plan, a, "aws:kms/key:Key")
        assert key is not None
        kms.create_alias(AliasName=a.inputs["name"], TargetKeyId=made.key_id[key.urn])

    for b in plan.of_type("aws:s3/bucket:Bucket"):
        name = b.inputs["bucket"]
        kwargs: dict[str, Any] = {"Bucket": name}
        if region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3.create_bucket(**kwargs)
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": _tags(b)})
        made.created.append(("bucket", name))

    def bucket_of(r: PlanResource) -> str:
        dep = _dep(plan, r, "aws:s3/bucket:Bucket")
        return str(dep.inputs["bucket"] if dep is not None else r.inputs["bucket"])

    for r in plan.of_type("aws:s3/bucketVersioning:BucketVersioning"):
        s3.put_bucket_versioning(Bucket=bucket_of(r),
                                 VersioningConfiguration={"Status": r.inputs["versioningConfiguration"]["status"]})
    for r in plan.of_type("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"):
        rules = []
        for rule in r.inputs["rules"]:
            d = rule["applyServerSideEncryptionByDefault"]
            default = {"SSEAlgorithm": d["sseAlgorithm"]}
            if d["sseAlgorithm"] == "aws:kms":
                arn = _key_arn(plan, r, d.get("kmsMasterKeyId"), made)
                if arn:
                    default["KMSMasterKeyID"] = arn
            out: dict[str, Any] = {"ApplyServerSideEncryptionByDefault": default}
            if "bucketKeyEnabled" in rule:
                out["BucketKeyEnabled"] = bool(rule["bucketKeyEnabled"])
            rules.append(out)
        s3.put_bucket_encryption(Bucket=bucket_of(r), ServerSideEncryptionConfiguration={"Rules": rules})
    for r in plan.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"):
        i = r.inputs
        s3.put_public_access_block(Bucket=bucket_of(r), PublicAccessBlockConfiguration={
            "BlockPublicAcls": bool(i.get("blockPublicAcls")), "BlockPublicPolicy": bool(i.get("blockPublicPolicy")),
            "IgnorePublicAcls": bool(i.get("ignorePublicAcls")), "RestrictPublicBuckets": bool(i.get("restrictPublicBuckets")),
        })  # fmt: skip
    for r in plan.of_type("aws:s3/bucketOwnershipControls:BucketOwnershipControls"):
        s3.put_bucket_ownership_controls(
            Bucket=bucket_of(r), OwnershipControls={"Rules": [{"ObjectOwnership": r.inputs["rule"]["objectOwnership"]}]}
        )
    for r in plan.of_type("aws:s3/bucketPolicy:BucketPolicy"):
        s3.put_bucket_policy(Bucket=bucket_of(r), Policy=r.inputs["policy"])
    for r in plan.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"):
        s3.put_bucket_lifecycle_configuration(
            Bucket=bucket_of(r), LifecycleConfiguration={"Rules": _pascal(r.inputs["rules"])}
        )

    for c in plan.of_type("aws:eks/cluster:Cluster"):
        i = c.inputs
        vpc = i.get("vpcConfig") or {}
        kwargs = {
            "name": i["name"], "version": i["version"], "roleArn": FAKE_ROLE,
            "resourcesVpcConfig": {"subnetIds": FAKE_SUBNETS,
                                   "endpointPublicAccess": bool(vpc.get("endpointPublicAccess")),
                                   "endpointPrivateAccess": bool(vpc.get("endpointPrivateAccess"))},
            "tags": dict(c.tags),
        }  # fmt: skip
        if i.get("enabledClusterLogTypes"):
            kwargs["logging"] = {"clusterLogging": [{"types": list(i["enabledClusterLogTypes"]), "enabled": True}]}
        eks.create_cluster(**kwargs)
        made.created.append(("eks-cluster", i["name"]))
    for ng in plan.of_type("aws:eks/nodeGroup:NodeGroup"):
        i = ng.inputs
        cluster = i["clusterName"]
        if cluster == UNKNOWN:
            dep = _dep(plan, ng, "aws:eks/cluster:Cluster")
            assert dep is not None
            cluster = dep.inputs["name"]
        sc = i["scalingConfig"]
        kwargs = {
            "clusterName": cluster, "nodegroupName": i["nodeGroupName"], "nodeRole": FAKE_ROLE, "subnets": FAKE_SUBNETS,
            "scalingConfig": {"minSize": _num(sc["minSize"]), "maxSize": _num(sc["maxSize"]),
                              "desiredSize": _num(sc.get("desiredSize", sc["minSize"]))},
            "instanceTypes": list(i["instanceTypes"]), "capacityType": i.get("capacityType", "ON_DEMAND"),
            "labels": dict(i.get("labels") or {}), "tags": dict(ng.tags),
            "taints": [{"key": t["key"], "value": t.get("value", ""), "effect": t["effect"]} for t in i.get("taints") or []],
        }  # fmt: skip
        if "diskSize" in i:
            kwargs["diskSize"] = _num(i["diskSize"])
        if "amiType" in i:
            kwargs["amiType"] = i["amiType"]
        eks.create_nodegroup(**kwargs)
        made.created.append(("eks-nodegroup", f"{cluster}/{i['nodeGroupName']}"))

    for db in plan.of_type("aws:rds/instance:Instance"):
        i = db.inputs
        kwargs = {
            "DBInstanceIdentifier": i["identifier"], "DBInstanceClass": i["instanceClass"], "Engine": i.get("engine", "postgres"),
            "MasterUsername": "mlplat", "MasterUserPassword": "not-a-real-password-1",
            "AllocatedStorage": _num(i["allocatedStorage"]), "MultiAZ": bool(i.get("multiAz")),
            "StorageEncrypted": bool(i.get("storageEncrypted")), "BackupRetentionPeriod": _num(i.get("backupRetentionPeriod", 1)),
            "DeletionProtection": bool(i.get("deletionProtection")), "Tags": _tags(db),
        }  # fmt: skip
        if i.get("maxAllocatedStorage"):
            kwargs["MaxAllocatedStorage"] = _num(i["maxAllocatedStorage"])
        arn = _key_arn(plan, db, i.get("kmsKeyId"), made) if "kmsKeyId" in i else None
        if arn:
            kwargs["KmsKeyId"] = arn
        rds.create_db_instance(**kwargs)
        made.created.append(("rds", i["identifier"]))

    for g in plan.of_type("aws:elasticache/replicationGroup:ReplicationGroup"):
        i = g.inputs
        n = _num(i.get("numCacheClusters", 1))
        kwargs = {
            "ReplicationGroupId": i["replicationGroupId"], "ReplicationGroupDescription": i.get("description", "x"),
            "Engine": i.get("engine", "redis"), "CacheNodeType": i["nodeType"], "NumCacheClusters": n,
            # moto ignores NumCacheClusters without ReplicasPerNodeGroup (it always makes one node).
            "ReplicasPerNodeGroup": n - 1,
            "AtRestEncryptionEnabled": bool(i.get("atRestEncryptionEnabled")),
            "TransitEncryptionEnabled": bool(i.get("transitEncryptionEnabled")), "Tags": _tags(g),
        }  # fmt: skip
        arn = _key_arn(plan, g, i.get("kmsKeyId"), made) if "kmsKeyId" in i else None
        if arn:
            kwargs["KmsKeyId"] = arn
        ec.create_replication_group(**kwargs)
        made.created.append(("elasticache", i["replicationGroupId"]))
    return made


def teardown(plan: Plan, region: str) -> None:
    """Delete everything materialize created (KMS keys are only scheduled, as on AWS)."""
    s3 = boto3.client("s3", region_name=region)
    kms = boto3.client("kms", region_name=region)
    eks = boto3.client("eks", region_name=region)
    rds = boto3.client("rds", region_name=region)
    ec = boto3.client("elasticache", region_name=region)
    for g in plan.of_type("aws:elasticache/replicationGroup:ReplicationGroup"):
        ec.delete_replication_group(ReplicationGroupId=g.inputs["replicationGroupId"])
    for db in plan.of_type("aws:rds/instance:Instance"):
        rds.modify_db_instance(DBInstanceIdentifier=db.inputs["identifier"], DeletionProtection=False, ApplyImmediately=True)
        rds.delete_db_instance(DBInstanceIdentifier=db.inputs["identifier"], SkipFinalSnapshot=True)
    for c in plan.of_type("aws:eks/cluster:Cluster"):
        name = c.inputs["name"]
        for ng in eks.list_nodegroups(clusterName=name)["nodegroups"]:
            eks.delete_nodegroup(clusterName=name, nodegroupName=ng)
        eks.delete_cluster(name=name)
    for b in plan.of_type("aws:s3/bucket:Bucket"):
        s3.delete_bucket(Bucket=b.inputs["bucket"])
    for a in plan.of_type("aws:kms/alias:Alias"):
        kms.delete_alias(AliasName=a.inputs["name"])
    for k in kms.list_keys()["Keys"]:
        if kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] != "PendingDeletion":
            kms.schedule_key_deletion(KeyId=k["KeyId"], PendingWindowInDays=7)
