"""Create, with boto3, the live resources a plan describes: a stand-in for `mlplat up` against moto.

Every value comes from the plan's inputs (nothing is hard-coded to what drift expects), so an
environment built here is "what Pulumi would have created". Values Pulumi would compute (key
ARNs, role ARNs, subnet ids) are filled in from the resources created earlier, or faked where
moto does not check them (IAM role ARNs, subnet ids).
"""

from __future__ import annotations

from typing import Any

import boto3
from mlplat.stacks.plan.model import UNKNOWN, Plan, PlanResource

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
    """What was created: physical ids by plan URN (key ARNs, bucket names, VPC ids…)."""

    def __init__(self) -> None:
        self.key_arn: dict[str, str] = {}
        self.key_id: dict[str, str] = {}
        self.ids: dict[str, str] = {}  # urn → id (vpc-…, subnet-…, role name…)
        self.created: list[tuple[str, str]] = []  # (type, identifier)

    def dep_id(self, plan: Plan, res: PlanResource, type_: str) -> str:
        dep = _dep(plan, res, type_)
        assert dep is not None and dep.urn in self.ids, f"{res.name}: no created {type_} to depend on"
        return self.ids[dep.urn]

    def dep_ids(self, plan: Plan, res: PlanResource, type_: str) -> list[str]:
        return [self.ids[u] for u in res.dependencies if (d := plan.by_urn(u)) is not None and d.type == type_]


def _tag_spec(res: PlanResource, kind: str) -> list[dict[str, Any]]:
    return [{"ResourceType": kind, "Tags": _tags(res)}]


def materialize_network_and_friends(plan: Plan, region: str, made: Materialized) -> None:
    """The VPC plumbing, IAM roles, log groups and subnet/parameter groups of the plan."""
    ec2 = boto3.client("ec2", region_name=region)
    iam = boto3.client("iam", region_name=region)
    logs = boto3.client("logs", region_name=region)
    rds = boto3.client("rds", region_name=region)
    ec = boto3.client("elasticache", region_name=region)

    for r in plan.of_type("aws:iam/role:Role"):
        doc = r.inputs.get("assumeRolePolicy")
        if doc in (None, UNKNOWN):  # IRSA trust policies name the OIDC provider: computed at apply
            doc = '{"Version": "2012-10-17", "Statement": []}'
        iam.create_role(RoleName=r.inputs["name"], AssumeRolePolicyDocument=doc, Tags=_tags(r))
        made.ids[r.urn] = r.inputs["name"]
    for r in plan.of_type("aws:cloudwatch/logGroup:LogGroup"):
        logs.create_log_group(logGroupName=r.inputs["name"], tags=dict(r.tags))
        if r.inputs.get("retentionInDays"):
            logs.put_retention_policy(logGroupName=r.inputs["name"], retentionInDays=_num(r.inputs["retentionInDays"]))
        made.ids[r.urn] = r.inputs["name"]
    for r in plan.of_type("aws:ec2/vpc:Vpc"):
        vpc = ec2.create_vpc(CidrBlock=r.inputs["cidrBlock"], TagSpecifications=_tag_spec(r, "vpc"))["Vpc"]
        made.ids[r.urn] = vpc["VpcId"]
    for r in plan.of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"):
        vpc_id = made.dep_id(plan, r, "aws:ec2/vpc:Vpc")
        sg = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                                   {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]  # fmt: skip
        ec2.create_tags(Resources=[sg["GroupId"]], Tags=_tags(r))
        made.ids[r.urn] = sg["GroupId"]
    for r in plan.of_type("aws:ec2/subnet:Subnet"):
        sn = ec2.create_subnet(VpcId=made.dep_id(plan, r, "aws:ec2/vpc:Vpc"), CidrBlock=r.inputs["cidrBlock"],
                               AvailabilityZone=r.inputs["availabilityZone"], TagSpecifications=_tag_spec(r, "subnet"))["Subnet"]  # fmt: skip
        made.ids[r.urn] = sn["SubnetId"]
    for r in plan.of_type("aws:ec2/internetGateway:InternetGateway"):
        igw = ec2.create_internet_gateway(TagSpecifications=_tag_spec(r, "internet-gateway"))["InternetGateway"]
        ec2.attach_internet_gateway(InternetGatewayId=igw["InternetGatewayId"], VpcId=made.dep_id(plan, r, "aws:ec2/vpc:Vpc"))
        made.ids[r.urn] = igw["InternetGatewayId"]
    for r in plan.of_type("aws:ec2/eip:Eip"):
        eip = ec2.allocate_address(Domain="vpc", TagSpecifications=_tag_spec(r, "elastic-ip"))
        made.ids[r.urn] = eip["AllocationId"]
    for r in plan.of_type("aws:ec2/natGateway:NatGateway"):
        nat = ec2.create_nat_gateway(SubnetId=made.dep_id(plan, r, "aws:ec2/subnet:Subnet"),
                                     AllocationId=made.dep_id(plan, r, "aws:ec2/eip:Eip"),
                                     TagSpecifications=_tag_spec(r, "natgateway"))["NatGateway"]  # fmt: skip
        made.ids[r.urn] = nat["NatGatewayId"]
    for r in plan.of_type("aws:ec2/routeTable:RouteTable"):
        rt = ec2.create_route_table(VpcId=made.dep_id(plan, r, "aws:ec2/vpc:Vpc"),
                                    TagSpecifications=_tag_spec(r, "route-table"))["RouteTable"]  # fmt: skip
        made.ids[r.urn] = rt["RouteTableId"]
    for r in plan.of_type("aws:ec2/securityGroup:SecurityGroup"):
        sg_id = ec2.create_security_group(GroupName=r.inputs["name"], Description=r.inputs.get("description", "x"),
                                          VpcId=made.dep_id(plan, r, "aws:ec2/vpc:Vpc"),
                                          TagSpecifications=_tag_spec(r, "security-group"))["GroupId"]  # fmt: skip
        made.ids[r.urn] = sg_id
    for r in plan.of_type("aws:ec2/vpcEndpoint:VpcEndpoint"):
        ep = ec2.create_vpc_endpoint(VpcId=made.dep_id(plan, r, "aws:ec2/vpc:Vpc"), ServiceName=r.inputs["serviceName"],
                                     VpcEndpointType=r.inputs.get("vpcEndpointType", "Gateway"),
                                     RouteTableIds=made.dep_ids(plan, r, "aws:ec2/routeTable:RouteTable"),
                                     TagSpecifications=_tag_spec(r, "vpc-endpoint"))["VpcEndpoint"]  # fmt: skip
        made.ids[r.urn] = ep["VpcEndpointId"]
    for r in plan.of_type("aws:ec2/flowLog:FlowLog"):
        log_group = _dep(plan, r, "aws:cloudwatch/logGroup:LogGroup")
        fl = ec2.create_flow_logs(ResourceIds=[made.dep_id(plan, r, "aws:ec2/vpc:Vpc")], ResourceType="VPC",
                                  TrafficType=r.inputs.get("trafficType", "ALL"), LogDestinationType="cloud-watch-logs",
                                  LogGroupName=log_group.inputs["name"] if log_group else "x",
                                  DeliverLogsPermissionArn=FAKE_ROLE, TagSpecifications=_tag_spec(r, "vpc-flow-log"))  # fmt: skip
        made.ids[r.urn] = fl["FlowLogIds"][0]
    for r in plan.of_type("aws:rds/subnetGroup:SubnetGroup"):
        rds.create_db_subnet_group(DBSubnetGroupName=r.inputs["name"], DBSubnetGroupDescription=r.inputs.get("description", "x"),
                                   SubnetIds=made.dep_ids(plan, r, "aws:ec2/subnet:Subnet"), Tags=_tags(r))  # fmt: skip
        made.ids[r.urn] = r.inputs["name"]
    for r in plan.of_type("aws:rds/parameterGroup:ParameterGroup"):
        rds.create_db_parameter_group(DBParameterGroupName=r.inputs["name"], DBParameterGroupFamily=r.inputs["family"],
                                      Description=r.inputs.get("description", "x"), Tags=_tags(r))  # fmt: skip
        made.ids[r.urn] = r.inputs["name"]
    for r in plan.of_type("aws:elasticache/subnetGroup:SubnetGroup"):
        ec.create_cache_subnet_group(CacheSubnetGroupName=r.inputs["name"], CacheSubnetGroupDescription=r.inputs.get("description", "x"),
                                     SubnetIds=made.dep_ids(plan, r, "aws:ec2/subnet:Subnet"), Tags=_tags(r))  # fmt: skip
        made.ids[r.urn] = r.inputs["name"]


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

    materialize_network_and_friends(plan, region, made)

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

    iam = boto3.client("iam", region_name=region)
    for r in plan.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider"):
        cluster = _dep(plan, r, "aws:eks/cluster:Cluster")
        assert cluster is not None
        issuer = eks.describe_cluster(name=cluster.inputs["name"])["cluster"]["identity"]["oidc"]["issuer"]
        arn = iam.create_open_id_connect_provider(Url=issuer, ClientIDList=list(r.inputs.get("clientIdLists") or []),
                                                  ThumbprintList=["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"],
                                                  Tags=_tags(r))["OpenIDConnectProviderArn"]  # fmt: skip
        made.ids[r.urn] = arn

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
    teardown_network_and_friends(plan, region)
    for k in kms.list_keys()["Keys"]:
        if kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] != "PendingDeletion":
            kms.schedule_key_deletion(KeyId=k["KeyId"], PendingWindowInDays=7)


def teardown_network_and_friends(plan: Plan, region: str) -> None:
    ec2 = boto3.client("ec2", region_name=region)
    iam = boto3.client("iam", region_name=region)
    logs = boto3.client("logs", region_name=region)
    rds = boto3.client("rds", region_name=region)
    ec = boto3.client("elasticache", region_name=region)
    for g in ec.describe_cache_subnet_groups()["CacheSubnetGroups"]:
        if g["CacheSubnetGroupName"] == "default":
            continue
        # moto has no DeleteCacheSubnetGroup: dropping its ownership tags stands in for deleting it.
        tags = ec.list_tags_for_resource(ResourceName=g["ARN"])["TagList"]
        if tags:
            ec.remove_tags_from_resource(ResourceName=g["ARN"], TagKeys=[t["Key"] for t in tags])
    for r in plan.of_type("aws:rds/subnetGroup:SubnetGroup"):
        rds.delete_db_subnet_group(DBSubnetGroupName=r.inputs["name"])
    for r in plan.of_type("aws:rds/parameterGroup:ParameterGroup"):
        rds.delete_db_parameter_group(DBParameterGroupName=r.inputs["name"])
    for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
        iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=p["Arn"])
    for r in plan.of_type("aws:iam/role:Role"):
        iam.delete_role(RoleName=r.inputs["name"])
    for r in plan.of_type("aws:cloudwatch/logGroup:LogGroup"):
        logs.delete_log_group(logGroupName=r.inputs["name"])
    vpcs = [v["VpcId"] for v in ec2.describe_vpcs(Filters=[{"Name": "tag:mlplat:platform", "Values": [plan.platform]}])["Vpcs"]]
    for fl in ec2.describe_flow_logs()["FlowLogs"]:
        ec2.delete_flow_logs(FlowLogIds=[fl["FlowLogId"]])
    for ep in ec2.describe_vpc_endpoints()["VpcEndpoints"]:
        ec2.delete_vpc_endpoints(VpcEndpointIds=[ep["VpcEndpointId"]])
    for nat in ec2.describe_nat_gateways()["NatGateways"]:
        ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])
    for addr in ec2.describe_addresses()["Addresses"]:
        ec2.release_address(AllocationId=addr["AllocationId"])
    for vpc_id in vpcs:
        for igw in ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])["InternetGateways"]:
            ec2.detach_internet_gateway(InternetGatewayId=igw["InternetGatewayId"], VpcId=vpc_id)
            ec2.delete_internet_gateway(InternetGatewayId=igw["InternetGatewayId"])
        for rt in ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]:
            if not any(a.get("Main") for a in rt.get("Associations", [])):
                ec2.delete_route_table(RouteTableId=rt["RouteTableId"])
        for sg in ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"]:
            if sg["GroupName"] != "default":
                ec2.delete_security_group(GroupId=sg["GroupId"])
        for sn in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]:
            ec2.delete_subnet(SubnetId=sn["SubnetId"])
        ec2.delete_vpc(VpcId=vpc_id)
