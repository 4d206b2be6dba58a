"""Read the live AWS side of an environment with boto3: what drift and orphans compare against.

Everything goes through the standard AWS environment (credential chain, `AWS_ENDPOINT_URL`,
profiles), so the same code runs against AWS or a local emulator (moto). The region comes from
the spec, not from the ambient configuration: resources live where the spec put them.

Readers return small normalised dicts (snake_case keys, AWS enum spellings) or None when the
resource does not exist; they never interpret what the spec expects (that is drift.py's job).
Credential, permission and endpoint failures become `AwsAccessError` (exit 2, no traceback).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from mlplat.stacks.errors import MlplatError, printable

PLATFORM_TAG = "mlplat:platform"
ENVIRONMENT_TAG = "mlplat:environment"
RESOURCE_TAG = "mlplat:resource"
COMPONENT_TAG = "mlplat:component"

# Error codes that mean "you may not / cannot talk to AWS", never "the resource is absent".
_ACCESS_CODES = {
    "AccessDenied", "AccessDeniedException", "AuthFailure", "ExpiredToken", "ExpiredTokenException",
    "InvalidAccessKeyId", "InvalidClientTokenId", "InvalidToken", "SignatureDoesNotMatch",
    "UnrecognizedClientException", "UnauthorizedOperation", "MissingAuthenticationToken",
    "RequestExpired", "InvalidSignatureException",
}  # fmt: skip


class AwsAccessError(MlplatError):
    """AWS could not be reached or refused the credentials: a user error (exit 2)."""


def _error_code(exc: Exception) -> str:
    resp = getattr(exc, "response", None) or {}
    return str((resp.get("Error") or {}).get("Code", ""))


def translate_error(exc: Exception, what: str = "") -> Exception:
    """A botocore failure → an AwsAccessError with an actionable message, else `exc` unchanged."""
    from botocore import exceptions as bx

    where = f" ({what})" if what else ""
    if isinstance(exc, (bx.NoCredentialsError, bx.PartialCredentialsError)):
        return AwsAccessError(
            f"no usable AWS credentials{where}: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY "
            "(for a local emulator, any non-empty values and AWS_ENDPOINT_URL)"
        )
    if isinstance(exc, bx.NoRegionError):
        return AwsAccessError(f"no AWS region{where}: set target.region in the spec or AWS_DEFAULT_REGION")
    if isinstance(exc, (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ReadTimeoutError)):
        return AwsAccessError(f"cannot reach the AWS endpoint{where}: {exc} (check network or AWS_ENDPOINT_URL)")
    if isinstance(exc, bx.ProfileNotFound):
        return AwsAccessError(f"AWS profile not found{where}: {exc}")
    if isinstance(exc, bx.ClientError) and _error_code(exc) in _ACCESS_CODES:
        msg = (getattr(exc, "response", {}) or {}).get("Error", {}).get("Message", "")
        return AwsAccessError(f"AWS refused the request{where}: {_error_code(exc)}: {msg}".rstrip(": "))
    if isinstance(exc, bx.ClientError):
        msg = (getattr(exc, "response", {}) or {}).get("Error", {}).get("Message", "")
        return AwsAccessError(f"AWS error{where}: {_error_code(exc) or 'unknown'}: {msg}".rstrip(": "))
    if isinstance(exc, bx.BotoCoreError):
        return AwsAccessError(f"AWS client error{where}: {exc}")
    if isinstance(exc, ValueError) and "endpoint" in str(exc).lower():
        return AwsAccessError(f"invalid AWS endpoint{where}: {exc}")
    return exc


# --------------------------------------------------------------------------- session

CONNECT_TIMEOUT = 5  # seconds per connection attempt
READ_TIMEOUT = 15  # seconds per read; MLPLAT_AWS_READ_TIMEOUT overrides (README "Input limits")


def read_timeout() -> float:
    import os

    raw = os.environ.get("MLPLAT_AWS_READ_TIMEOUT", "")
    try:
        value = float(raw) if raw else READ_TIMEOUT
    except ValueError:
        raise AwsAccessError(f"MLPLAT_AWS_READ_TIMEOUT={raw!r} is not a number of seconds") from None
    if not 0 < value <= 600:
        raise AwsAccessError(f"MLPLAT_AWS_READ_TIMEOUT={raw!r}: expected 0 < seconds <= 600")
    return value


def check_endpoint_env() -> None:
    """AWS_ENDPOINT_URL (and the per-service AWS_ENDPOINT_URL_<SERVICE>) must be an http(s) URL
    with a host and a valid port: botocore raised a bare ValueError (exit 3) otherwise."""
    import os
    from urllib.parse import urlsplit

    for key, value in sorted(os.environ.items()):
        if not key.startswith("AWS_ENDPOINT_URL") or not value:
            continue
        shown = printable(repr(value))
        try:
            parts = urlsplit(value)
            port = parts.port  # raises on a port out of range
        except ValueError as exc:
            raise AwsAccessError(f"{key}={shown} is not a valid URL ({exc})") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise AwsAccessError(f"{key}={shown}: expected http(s)://HOST[:PORT], e.g. http://127.0.0.1:5000")
        del port

_LOADER: Any = None


def _botocore_session() -> Any:
    """A fresh botocore session (it reads the environment anew) sharing one model loader:
    parsing the EC2 service model alone takes ~0.5 s, once per process is enough."""
    import botocore.session
    from botocore.loaders import create_loader

    global _LOADER
    if _LOADER is None:
        _LOADER = create_loader()
    bc = botocore.session.get_session()
    bc.register_component("data_loader", _LOADER)
    return bc


class LiveAws:
    """Lazily created boto3 clients for one region, with not-found handling and error translation."""

    def __init__(self, region: str, session: Any = None) -> None:
        import boto3
        from botocore.config import Config

        self.region = region
        check_endpoint_env()
        try:
            self.session = session or boto3.session.Session(botocore_session=_botocore_session(), region_name=region)
        except Exception as exc:  # noqa: BLE001 - a broken profile fails here
            raise translate_error(exc, "creating the AWS session") from None
        # Few attempts and short timeouts: an unreachable or hung endpoint fails in seconds, not
        # minutes (a hung one took 128 s). The first such failure ends the whole read.
        self._config = Config(
            region_name=region, retries={"max_attempts": 2, "mode": "standard"},
            connect_timeout=CONNECT_TIMEOUT, read_timeout=read_timeout(),
        )  # fmt: skip
        self._clients: dict[str, Any] = {}
        self._kms_tags: dict[str, dict[str, str]] | None = None
        self._account: str | None = None

    def client(self, service: str) -> Any:
        if service not in self._clients:
            try:
                self._clients[service] = self.session.client(service, config=self._config)
            except Exception as exc:  # noqa: BLE001 - every failure becomes a clear, traceback-free error
                raise translate_error(exc, f"{service} client") from None
        return self._clients[service]

    def call(self, service: str, op: str, *, absent: tuple[str, ...] = (), **kwargs: Any) -> Any:
        """client.op(**kwargs); None when the error code is one of `absent` (the thing is not there)."""
        from botocore.exceptions import ClientError

        try:
            return getattr(self.client(service), op)(**kwargs)
        except ClientError as exc:
            code = _error_code(exc)
            status = (exc.response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
            if code in absent or ("404" in absent and status == 404):
                return None
            raise translate_error(exc, f"{service}:{op}") from None
        except Exception as exc:  # noqa: BLE001 - every failure becomes a clear, traceback-free error
            raise translate_error(exc, f"{service}:{op}") from None

    def pages(self, service: str, op: str, key: str, **kwargs: Any) -> Iterator[Any]:
        """Every item under `key` across the pages of a paginated operation."""
        try:
            client = self.client(service)
            if not client.can_paginate(op):  # e.g. ec2 describe_addresses
                yield from getattr(client, op)(**kwargs).get(key, []) or []
                return
            for page in client.get_paginator(op).paginate(**kwargs):
                yield from page.get(key, []) or []
        except Exception as exc:  # noqa: BLE001 - every failure becomes a clear, traceback-free error
            raise translate_error(exc, f"{service}:{op}") from None

    def check_access(self) -> None:
        """Fail early and clearly when credentials or the endpoint are unusable."""
        self.account_id()

    def account_id(self) -> str:
        """The account of the credentials (STS GetCallerIdentity, AWS_ENDPOINT_URL honoured):
        the account S3 bucket names carry (DESIGN 4). Asked once per reader."""
        if self._account is None:
            ident = self.call("sts", "get_caller_identity") or {}
            self._account = str(ident.get("Account") or "")
        return self._account

    # ------------------------------------------------------------------ S3

    def bucket(self, name: str) -> dict[str, Any] | None:
        """The spec-relevant configuration of one bucket, or None when it does not exist."""
        if self.call("s3", "head_bucket", Bucket=name, absent=("404", "NoSuchBucket", "NotFound")) is None:
            return None
        out: dict[str, Any] = {"name": name, "arn": f"arn:aws:s3:::{name}"}

        ver = self.call("s3", "get_bucket_versioning", Bucket=name) or {}
        out["versioning"] = ver.get("Status")  # None: never enabled

        enc = self.call(
            "s3", "get_bucket_encryption", Bucket=name, absent=("ServerSideEncryptionConfigurationNotFoundError",)
        )
        rules = ((enc or {}).get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
        if rules:
            default = rules[0].get("ApplyServerSideEncryptionByDefault") or {}
            out["encryption"] = {
                "algorithm": default.get("SSEAlgorithm"),
                "kms_key": default.get("KMSMasterKeyID"),
                "bucket_key": bool(rules[0].get("BucketKeyEnabled", False)),
            }
        else:
            out["encryption"] = None

        pab = self.call("s3", "get_public_access_block", Bucket=name, absent=("NoSuchPublicAccessBlockConfiguration",))
        conf = (pab or {}).get("PublicAccessBlockConfiguration")
        out["public_access_block"] = (
            {
                "block_public_acls": bool(conf.get("BlockPublicAcls")),
                "block_public_policy": bool(conf.get("BlockPublicPolicy")),
                "ignore_public_acls": bool(conf.get("IgnorePublicAcls")),
                "restrict_public_buckets": bool(conf.get("RestrictPublicBuckets")),
            }
            if conf
            else None
        )

        own = self.call(
            "s3", "get_bucket_ownership_controls", Bucket=name, absent=("OwnershipControlsNotFoundError",)
        )
        own_rules = ((own or {}).get("OwnershipControls") or {}).get("Rules") or []
        out["ownership"] = own_rules[0].get("ObjectOwnership") if own_rules else None

        pol = self.call("s3", "get_bucket_policy", Bucket=name, absent=("NoSuchBucketPolicy",))
        out["policy"] = json.loads(pol["Policy"]) if pol and pol.get("Policy") else None

        lc = self.call(
            "s3", "get_bucket_lifecycle_configuration", Bucket=name, absent=("NoSuchLifecycleConfiguration",)
        )
        out["lifecycle"] = (lc or {}).get("Rules") if lc else None

        tags = self.call("s3", "get_bucket_tagging", Bucket=name, absent=("NoSuchTagSet", "NoSuchTagSetError"))
        out["tags"] = _tag_list((tags or {}).get("TagSet"))
        return out

    # ------------------------------------------------------------------ KMS

    def kms_key(self, ref: str) -> dict[str, Any] | None:
        """A key by id, ARN, alias name or alias ARN; None when unknown."""
        meta = self.call("kms", "describe_key", KeyId=ref, absent=("NotFoundException",))
        if meta is None:
            return None
        md = meta["KeyMetadata"]
        key_id = md["KeyId"]
        rot = None
        if md.get("KeyState") not in ("PendingDeletion", "PendingReplicaDeletion"):
            r = self.call("kms", "get_key_rotation_status", KeyId=key_id, absent=("NotFoundException",))
            rot = bool((r or {}).get("KeyRotationEnabled"))
        return {
            "key_id": key_id,
            "arn": md.get("Arn"),
            "state": md.get("KeyState"),
            "enabled": bool(md.get("Enabled")),
            "manager": md.get("KeyManager"),
            "rotation": rot,
            "tags": self.kms_tags().get(key_id) or self._kms_tags_of(key_id),
        }

    def kms_key_arn(self, ref: str | None) -> str | None:
        """Normalise any key reference (id, ARN, alias) to the key ARN; None when unresolvable."""
        if not ref:
            return None
        meta = self.call("kms", "describe_key", KeyId=ref, absent=("NotFoundException", "NotFound"))
        return meta["KeyMetadata"].get("Arn") if meta else None

    def kms_tags(self) -> dict[str, dict[str, str]]:
        """key id → tags for every customer-managed key of the region (cached)."""
        if self._kms_tags is None:
            out: dict[str, dict[str, str]] = {}
            for k in self.pages("kms", "list_keys", "Keys"):
                out[k["KeyId"]] = self._kms_tags_of(k["KeyId"])
            self._kms_tags = out
        return self._kms_tags

    def _kms_tags_of(self, key_id: str) -> dict[str, str]:
        from botocore.exceptions import ClientError

        try:
            tags = self.client("kms").list_resource_tags(KeyId=key_id).get("Tags") or []
        except ClientError as exc:
            # AWS-managed keys refuse tag listing to most principals: they are never ours anyway.
            if _error_code(exc) in ("AccessDeniedException", "NotFoundException"):
                return {}
            raise translate_error(exc, "kms:list_resource_tags") from None
        return {t["TagKey"]: t["TagValue"] for t in tags}

    # ------------------------------------------------------------------ EKS

    def eks_cluster(self, name: str) -> dict[str, Any] | None:
        resp = self.call("eks", "describe_cluster", name=name, absent=("ResourceNotFoundException",))
        if resp is None:
            return None
        c = resp["cluster"]
        vpc = c.get("resourcesVpcConfig") or {}
        logging_types: list[str] = []
        for entry in (c.get("logging") or {}).get("clusterLogging") or []:
            if entry.get("enabled"):
                logging_types.extend(entry.get("types") or [])
        return {
            "name": c.get("name"),
            "arn": c.get("arn"),
            "status": c.get("status"),
            "version": c.get("version"),
            "endpoint_public_access": vpc.get("endpointPublicAccess"),
            "endpoint_private_access": vpc.get("endpointPrivateAccess"),
            "public_access_cidrs": vpc.get("publicAccessCidrs"),
            "logging": sorted(set(logging_types)),
            "tags": dict(c.get("tags") or {}),
        }

    def eks_nodegroup(self, cluster: str, name: str) -> dict[str, Any] | None:
        resp = self.call(
            "eks", "describe_nodegroup", clusterName=cluster, nodegroupName=name, absent=("ResourceNotFoundException",)
        )
        if resp is None:
            return None
        ng = resp["nodegroup"]
        sc = ng.get("scalingConfig") or {}
        return {
            "name": ng.get("nodegroupName"),
            "cluster": ng.get("clusterName"),
            "arn": ng.get("nodegroupArn"),
            "status": ng.get("status"),
            "scaling": {"min_size": sc.get("minSize"), "max_size": sc.get("maxSize"), "desired_size": sc.get("desiredSize")},
            "instance_types": list(ng.get("instanceTypes") or []),
            "capacity_type": ng.get("capacityType"),
            "labels": dict(ng.get("labels") or {}),
            "taints": [
                {"key": t.get("key"), "value": t.get("value"), "effect": t.get("effect")} for t in ng.get("taints") or []
            ],
            "disk_size": ng.get("diskSize"),
            "ami_type": ng.get("amiType"),
            "version": ng.get("version"),
            "tags": dict(ng.get("tags") or {}),
        }

    # ------------------------------------------------------------------ RDS

    def db_instance(self, identifier: str) -> dict[str, Any] | None:
        resp = self.call(
            "rds", "describe_db_instances", DBInstanceIdentifier=identifier, absent=("DBInstanceNotFound", "DBInstanceNotFoundFault")
        )
        items = (resp or {}).get("DBInstances") or []
        if not items:
            return None
        d = items[0]
        tags = d.get("TagList")
        if tags is None and d.get("DBInstanceArn"):
            tags = (self.call("rds", "list_tags_for_resource", ResourceName=d["DBInstanceArn"]) or {}).get("TagList")
        return {
            "identifier": d.get("DBInstanceIdentifier"),
            "arn": d.get("DBInstanceArn"),
            "status": d.get("DBInstanceStatus"),
            "instance_class": d.get("DBInstanceClass"),
            "engine": d.get("Engine"),
            "engine_version": d.get("EngineVersion"),
            "multi_az": d.get("MultiAZ"),
            "deletion_protection": d.get("DeletionProtection"),
            "storage_encrypted": d.get("StorageEncrypted"),
            "kms_key": d.get("KmsKeyId"),
            "allocated_storage": d.get("AllocatedStorage"),
            "max_allocated_storage": d.get("MaxAllocatedStorage"),
            "storage_type": d.get("StorageType"),
            "backup_retention_period": d.get("BackupRetentionPeriod"),
            "publicly_accessible": d.get("PubliclyAccessible"),
            "tags": _tag_list(tags),
        }

    # ------------------------------------------------------------------ ElastiCache

    def replication_group(self, group_id: str) -> dict[str, Any] | None:
        resp = self.call(
            "elasticache", "describe_replication_groups", ReplicationGroupId=group_id,
            absent=("ReplicationGroupNotFoundFault", "ReplicationGroupNotFound"),
        )  # fmt: skip
        items = (resp or {}).get("ReplicationGroups") or []
        if not items:
            return None
        g = items[0]
        arn = g.get("ARN")
        tags = (self.call("elasticache", "list_tags_for_resource", ResourceName=arn) or {}).get("TagList") if arn else []
        return {
            "id": g.get("ReplicationGroupId"),
            "arn": arn,
            "status": g.get("Status"),
            "node_type": g.get("CacheNodeType"),
            # Cluster mode disabled: every member cluster is one node (primary + replicas).
            "num_nodes": len(g.get("MemberClusters") or []),
            "num_node_groups": len(g.get("NodeGroups") or []),
            "at_rest_encryption": g.get("AtRestEncryptionEnabled"),
            "transit_encryption": g.get("TransitEncryptionEnabled"),
            "automatic_failover": g.get("AutomaticFailover"),
            "multi_az": g.get("MultiAZ"),
            "kms_key": g.get("KmsKeyId"),
            "engine": g.get("Engine"),
            "tags": _tag_list(tags),
        }

    def cache_cluster(self, cluster_id: str) -> dict[str, Any] | None:
        resp = self.call(
            "elasticache", "describe_cache_clusters", CacheClusterId=cluster_id,
            absent=("CacheClusterNotFound", "CacheClusterNotFoundFault"),
        )  # fmt: skip
        items = (resp or {}).get("CacheClusters") or []
        if not items:
            return None
        c = items[0]
        arn = c.get("ARN")
        tags = (self.call("elasticache", "list_tags_for_resource", ResourceName=arn) or {}).get("TagList") if arn else []
        return {
            "id": c.get("CacheClusterId"),
            "arn": arn,
            "status": c.get("CacheClusterStatus"),
            "node_type": c.get("CacheNodeType"),
            "num_nodes": c.get("NumCacheNodes"),
            "engine": c.get("Engine"),
            "at_rest_encryption": c.get("AtRestEncryptionEnabled"),
            "transit_encryption": c.get("TransitEncryptionEnabled"),
            "tags": _tag_list(tags),
        }


    # -- the managed path (SageMaker, MWAA)

    def _sagemaker_tags(self, arn: str | None) -> dict[str, str]:
        if not arn:
            return {}
        return _tag_list((self.call("sagemaker", "list_tags", ResourceArn=arn) or {}).get("Tags"))

    def sagemaker_endpoint_config(self, name: str) -> dict[str, Any] | None:
        c = self.call("sagemaker", "describe_endpoint_config", EndpointConfigName=name,
                      absent=("ValidationException",))
        if not c:
            return None
        capture = c.get("DataCaptureConfig") or {}
        return {
            "arn": c.get("EndpointConfigArn"),
            "variants": {
                v.get("VariantName"): {
                    "instance_type": v.get("InstanceType"),
                    "initial_instance_count": v.get("InitialInstanceCount"),
                    "initial_weight": v.get("InitialVariantWeight"),
                }
                for v in c.get("ProductionVariants") or []
            },
            "capture_enabled": capture.get("EnableCapture"),
            "capture_sampling": capture.get("InitialSamplingPercentage"),
            "kms_key": c.get("KmsKeyId"),
            "tags": self._sagemaker_tags(c.get("EndpointConfigArn")),
        }

    def sagemaker_endpoint(self, name: str) -> dict[str, Any] | None:
        e = self.call("sagemaker", "describe_endpoint", EndpointName=name, absent=("ValidationException",))
        if not e:
            return None
        return {
            "arn": e.get("EndpointArn"),
            "status": e.get("EndpointStatus"),
            "config_name": e.get("EndpointConfigName"),
            "tags": self._sagemaker_tags(e.get("EndpointArn")),
        }

    def mlflow_tracking_server(self, name: str) -> dict[str, Any] | None:
        s = self.call("sagemaker", "describe_mlflow_tracking_server", TrackingServerName=name,
                      absent=("ResourceNotFound", "ValidationException"))
        if not s:
            return None
        return {
            "arn": s.get("TrackingServerArn"),
            "status": s.get("TrackingServerStatus"),
            "size": s.get("TrackingServerSize"),
            "tags": self._sagemaker_tags(s.get("TrackingServerArn")),
        }

    def mwaa_environment(self, name: str) -> dict[str, Any] | None:
        resp = self.call("mwaa", "get_environment", Name=name, absent=("ResourceNotFoundException",))
        env = (resp or {}).get("Environment")
        if not env:
            return None
        return {
            "arn": env.get("Arn"),
            "status": env.get("Status"),
            "environment_class": env.get("EnvironmentClass"),
            "max_workers": env.get("MaxWorkers"),
            "webserver_access_mode": env.get("WebserverAccessMode"),
            "airflow_version": env.get("AirflowVersion"),
            "tags": dict(env.get("Tags") or {}),
        }


def _tag_list(tags: Any) -> dict[str, str]:
    """[{Key, Value}] (or {TagKey, TagValue}) → dict."""
    out: dict[str, str] = {}
    for t in tags or []:
        key = t.get("Key", t.get("TagKey"))
        if key is not None:
            out[str(key)] = str(t.get("Value", t.get("TagValue", "")))
    return out


# --------------------------------------------------------------------------- tagged resources (orphans)


@dataclass
class TaggedResource:
    """A live resource that carries an environment's ownership tags."""

    service: str  # s3, ec2, eks, rds, kms, elasticache, iam, logs, …
    resource_type: str  # bucket, vpc, subnet, cluster, nodegroup, db, key, replicationgroup, role, …
    identifier: str  # the name or id an operator would look for
    arn: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    status: str | None = None
    details: dict[str, Any] = field(default_factory=dict)  # spec-relevant facts (CIDR, retention…)

    @property
    def logical_name(self) -> str | None:
        return self.tags.get(RESOURCE_TAG)

    @property
    def component(self) -> str | None:
        return self.tags.get(COMPONENT_TAG)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.service, self.resource_type, self.identifier)

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "type": self.resource_type,
            "identifier": self.identifier,
            "arn": self.arn,
            "component": self.component,
            "logical_name": self.logical_name,
            "status": self.status,
        }


def parse_arn(arn: str) -> tuple[str, str, str]:
    """arn → (service, resource type, identifier) as this module names them."""
    parts = arn.split(":", 5)
    service = parts[2] if len(parts) > 2 else ""
    rest = parts[5] if len(parts) > 5 else ""
    if service == "s3":
        return "s3", "bucket", rest
    if service == "elasticache" or service == "rds":  # …:replicationgroup:<id>, …:db:<id>
        rtype, _, ident = rest.partition(":")
        return service, rtype, ident
    if service == "eks" and rest.startswith("nodegroup/"):  # nodegroup/<cluster>/<name>/<uuid>
        segs = rest.split("/")
        return "eks", "nodegroup", f"{segs[1]}/{segs[2]}" if len(segs) > 2 else rest
    if service == "logs":  # log-group:<name>[:*]
        _, _, ident = rest.partition(":")
        return "logs", "log-group", ident.removesuffix(":*")
    rtype, sep, ident = rest.partition("/")
    if not sep:
        rtype, _, ident = rest.partition(":")
    if service == "ec2":  # security-group/sg-… names the type as describe_tags does: securitygroup
        rtype = _ec2_type(rtype)
    return service, rtype, ident or rest


def _env_match(tags: dict[str, str], platform: str, env: str) -> bool:
    return tags.get(PLATFORM_TAG) == platform and tags.get(ENVIRONMENT_TAG) == env


def find_tagged(
    platform: str,
    env: str,
    region: str,
    *,
    session: Any = None,
    live: LiveAws | None = None,
    include_retained: bool = False,
) -> list[TaggedResource]:
    """Every live resource in `region` (plus global IAM) carrying `platform`/`env` ownership tags.

    The Resource Groups Tagging API is asked first; since emulators (moto) answer it only for
    a few services, EC2, EKS, RDS, KMS, ElastiCache, IAM and CloudWatch Logs are also listed
    with their own describe calls. Results are de-duplicated by (service, type, identifier).
    Resources that stay behind by design after a teardown (KMS keys pending deletion, RDS
    snapshots) or are being deleted right now are left out unless `include_retained`.
    """
    aws = live or LiveAws(region, session)
    found: dict[tuple[str, str, str], TaggedResource] = {}

    def add(res: TaggedResource) -> None:
        if not _env_match(res.tags, platform, env):
            return
        prev = found.get(res.key)
        if prev is None:
            found[res.key] = res
        else:  # keep the richer record
            prev.arn = prev.arn or res.arn
            prev.status = prev.status or res.status
            prev.tags = {**res.tags, **prev.tags}
            prev.details = {**res.details, **prev.details}

    tag_filters = [{"Key": PLATFORM_TAG, "Values": [platform]}, {"Key": ENVIRONMENT_TAG, "Values": [env]}]
    for m in aws.pages("resourcegroupstaggingapi", "get_resources", "ResourceTagMappingList", TagFilters=tag_filters):
        service, rtype, ident = parse_arn(m["ResourceARN"])
        add(TaggedResource(service, rtype, ident, m["ResourceARN"], _tag_list(m.get("Tags"))))

    gone = _ec2_tagged(aws, platform, add)
    for key in [k for k in found if k[0] == "ec2" and k[2] in gone]:
        del found[key]  # the tagging API may still list what no longer exists
    _eks_tagged(aws, add)
    _rds_tagged(aws, add, include_retained)
    _kms_tagged(aws, add)
    _elasticache_tagged(aws, add)
    _iam_tagged(aws, platform, env, add)
    _logs_tagged(aws, add)

    out = list(found.values())
    if not include_retained:
        out = [r for r in out if not _retained(r, aws)]
    return sorted(out, key=lambda r: (r.service, r.resource_type, r.identifier))


def _retained(r: TaggedResource, aws: LiveAws) -> bool:
    """Left behind on purpose: keys waiting out their deletion window, database snapshots."""
    if r.service == "rds" and r.resource_type in ("snapshot", "cluster-snapshot"):
        return True
    if (r.status or "").lower() in ("deleting", "deleted"):
        return True  # on its way out (a destroy that just finished waits for most; not all)
    if r.service == "kms" and r.resource_type == "key":
        if r.status is None:
            meta = aws.call("kms", "describe_key", KeyId=r.identifier, absent=("NotFoundException",))
            r.status = meta["KeyMetadata"].get("KeyState") if meta else "Deleted"
        return r.status in ("PendingDeletion", "PendingReplicaDeletion", "Deleted")
    return False


def _ec2_tagged(aws: LiveAws, platform: str, add: Any) -> set[str]:
    """Adds the live EC2 resources carrying the platform tag; returns the ids of tagged ones now gone."""
    # One call finds every EC2 resource (VPC, subnets, gateways, EIPs, route tables, SGs…).
    ids: dict[str, str] = {}
    for t in aws.pages(
        "ec2", "describe_tags", "Tags", Filters=[{"Name": "key", "Values": [PLATFORM_TAG]}, {"Name": "value", "Values": [platform]}]
    ):
        ids[t["ResourceId"]] = t.get("ResourceType", "")
    if not ids:
        return set()
    tags: dict[str, dict[str, str]] = {i: {} for i in ids}
    id_list = sorted(ids)
    for start in range(0, len(id_list), 200):  # filter values are limited per request
        chunk = id_list[start : start + 200]
        for t in aws.pages("ec2", "describe_tags", "Tags", Filters=[{"Name": "resource-id", "Values": chunk}]):
            tags.setdefault(t["ResourceId"], {})[t["Key"]] = t.get("Value", "")
    # Tags can outlive their resource (deleted NAT gateways stay listed for a while; emulators keep
    # tags of deleted VPCs): ask each type which ids still exist, and in what state.
    by_type: dict[str, list[str]] = {}
    for rid, rtype in ids.items():
        by_type.setdefault(_ec2_type(rtype), []).append(rid)
    details: dict[str, dict[str, Any]] = {}
    status: dict[str, str | None] = {}
    gone: set[str] = set()
    for rtype, members in by_type.items():
        spec = _EC2_DESCRIBE.get(rtype)
        if spec is None:
            continue
        op, key, filter_name, id_field, state_field = spec
        seen: set[str] = set()
        for start in range(0, len(members), 200):
            chunk = members[start : start + 200]
            filters = {"Filters": [{"Name": filter_name, "Values": chunk}]} if filter_name else {}
            for item in aws.pages("ec2", op, key, **filters):
                rid = item[id_field]
                seen.add(rid)
                state = item.get(state_field) if state_field else None
                status[rid] = state.get("Name") if isinstance(state, dict) else state
                if rtype == "vpc":
                    details[rid] = {"cidr_block": item.get("CidrBlock")}
                elif rtype == "subnet":
                    details[rid] = {"cidr_block": item.get("CidrBlock"), "availability_zone": item.get("AvailabilityZone")}
        gone.update(set(members) - seen)
    for rid, rtype in ids.items():
        if (status.get(rid) or "").lower() == "deleted":
            gone.add(rid)
        if rid in gone:
            continue
        add(TaggedResource("ec2", _ec2_type(rtype), rid, None, tags.get(rid, {}), status.get(rid),
                           details=details.get(rid, {})))  # fmt: skip
    return gone


# type → (describe operation, result key, id filter, id field, state field)
_EC2_DESCRIBE: dict[str, tuple[str, str, str, str, str | None]] = {
    "vpc": ("describe_vpcs", "Vpcs", "vpc-id", "VpcId", "State"),
    "subnet": ("describe_subnets", "Subnets", "subnet-id", "SubnetId", "State"),
    "natgateway": ("describe_nat_gateways", "NatGateways", "nat-gateway-id", "NatGatewayId", "State"),
    "internetgateway": ("describe_internet_gateways", "InternetGateways", "internet-gateway-id", "InternetGatewayId", None),
    "routetable": ("describe_route_tables", "RouteTables", "route-table-id", "RouteTableId", None),
    "securitygroup": ("describe_security_groups", "SecurityGroups", "group-id", "GroupId", None),
    "elasticip": ("describe_addresses", "Addresses", "allocation-id", "AllocationId", None),
    "vpcflowlog": ("describe_flow_logs", "FlowLogs", "flow-log-id", "FlowLogId", "FlowLogStatus"),
    # No id filter: moto does not implement vpc-endpoint-id (there are few endpoints anyway).
    "vpcendpoint": ("describe_vpc_endpoints", "VpcEndpoints", "", "VpcEndpointId", "State"),
}  # fmt: skip

# Emulators spell a few describe_tags resource types differently from AWS (and its ARNs).
_EC2_TYPE_ALIASES = {"vpcelasticip": "elasticip", "flowlogs": "vpcflowlog", "flowlog": "vpcflowlog"}


def _ec2_type(rtype: str) -> str:
    """`security-group` → `securitygroup`: one spelling for describe_tags and ARNs."""
    t = rtype.replace("-", "") if rtype else "resource"
    return _EC2_TYPE_ALIASES.get(t, t)


def _eks_tagged(aws: LiveAws, add: Any) -> None:
    for name in aws.pages("eks", "list_clusters", "clusters"):
        c = aws.call("eks", "describe_cluster", name=name, absent=("ResourceNotFoundException",))
        if c is None:
            continue
        add(TaggedResource("eks", "cluster", name, c["cluster"].get("arn"), dict(c["cluster"].get("tags") or {}),
                           c["cluster"].get("status")))  # fmt: skip
        for ng_name in aws.pages("eks", "list_nodegroups", "nodegroups", clusterName=name):
            ng = aws.call(
                "eks", "describe_nodegroup", clusterName=name, nodegroupName=ng_name, absent=("ResourceNotFoundException",)
            )
            if ng is None:
                continue
            n = ng["nodegroup"]
            add(TaggedResource("eks", "nodegroup", f"{name}/{ng_name}", n.get("nodegroupArn"), dict(n.get("tags") or {}),
                               n.get("status")))  # fmt: skip


def _rds_tagged(aws: LiveAws, add: Any, include_retained: bool) -> None:
    for d in aws.pages("rds", "describe_db_instances", "DBInstances"):
        tags = d.get("TagList")
        if tags is None:
            tags = (aws.call("rds", "list_tags_for_resource", ResourceName=d["DBInstanceArn"]) or {}).get("TagList")
        add(TaggedResource("rds", "db", d["DBInstanceIdentifier"], d.get("DBInstanceArn"), _tag_list(tags),
                           d.get("DBInstanceStatus")))  # fmt: skip
    for g in aws.pages("rds", "describe_db_subnet_groups", "DBSubnetGroups"):
        arn = g.get("DBSubnetGroupArn")
        if not arn:
            continue
        tags = (aws.call("rds", "list_tags_for_resource", ResourceName=arn) or {}).get("TagList")
        add(TaggedResource("rds", "subgrp", g["DBSubnetGroupName"], arn, _tag_list(tags)))
    for g in aws.pages("rds", "describe_db_parameter_groups", "DBParameterGroups"):
        arn = g.get("DBParameterGroupArn")
        if not arn or g["DBParameterGroupName"].startswith("default."):
            continue
        tags = (aws.call("rds", "list_tags_for_resource", ResourceName=arn) or {}).get("TagList")
        add(TaggedResource("rds", "pg", g["DBParameterGroupName"], arn, _tag_list(tags),
                           details={"family": g.get("DBParameterGroupFamily")}))  # fmt: skip
    if include_retained:
        for s in aws.pages("rds", "describe_db_snapshots", "DBSnapshots", SnapshotType="manual"):
            add(TaggedResource("rds", "snapshot", s["DBSnapshotIdentifier"], s.get("DBSnapshotArn"),
                               _tag_list(s.get("TagList")), s.get("Status")))  # fmt: skip


def _kms_tagged(aws: LiveAws, add: Any) -> None:
    for key_id, tags in aws.kms_tags().items():
        if tags.get(PLATFORM_TAG) is None:
            continue
        meta = aws.call("kms", "describe_key", KeyId=key_id, absent=("NotFoundException",))
        md = meta["KeyMetadata"] if meta else {}
        add(TaggedResource("kms", "key", key_id, md.get("Arn"), tags, md.get("KeyState")))


def _elasticache_tagged(aws: LiveAws, add: Any) -> None:
    for g in aws.pages("elasticache", "describe_replication_groups", "ReplicationGroups"):
        arn = g.get("ARN")
        if not arn:
            continue
        tags = (aws.call("elasticache", "list_tags_for_resource", ResourceName=arn) or {}).get("TagList")
        add(TaggedResource("elasticache", "replicationgroup", g["ReplicationGroupId"], arn, _tag_list(tags), g.get("Status")))
    for sg in aws.pages("elasticache", "describe_cache_subnet_groups", "CacheSubnetGroups"):
        arn = sg.get("ARN")
        if not arn or sg["CacheSubnetGroupName"] == "default":
            continue
        tags = (aws.call("elasticache", "list_tags_for_resource", ResourceName=arn) or {}).get("TagList")
        add(TaggedResource("elasticache", "subnetgroup", sg["CacheSubnetGroupName"], arn, _tag_list(tags)))


def _iam_tagged(aws: LiveAws, platform: str, env: str, add: Any) -> None:
    # IAM names start with `{platform}-{env}` (DESIGN 4); only those are asked for their tags,
    # so an account with thousands of roles costs one listing, not thousands of calls.
    prefix = f"{platform}-{env}"
    for role in aws.pages("iam", "list_roles", "Roles"):
        if not role["RoleName"].startswith(prefix):
            continue
        tags = list(aws.pages("iam", "list_role_tags", "Tags", RoleName=role["RoleName"]))
        add(TaggedResource("iam", "role", role["RoleName"], role.get("Arn"), _tag_list(tags)))
    for pol in aws.pages("iam", "list_policies", "Policies", Scope="Local"):
        if not pol["PolicyName"].startswith(prefix):
            continue
        tags = list(aws.pages("iam", "list_policy_tags", "Tags", PolicyArn=pol["Arn"]))
        add(TaggedResource("iam", "policy", pol["PolicyName"], pol.get("Arn"), _tag_list(tags)))
    providers = (aws.call("iam", "list_open_id_connect_providers") or {}).get("OpenIDConnectProviderList") or []
    for p in providers:
        arn = p["Arn"]
        otags = (aws.call("iam", "list_open_id_connect_provider_tags", OpenIDConnectProviderArn=arn,
                          absent=("NoSuchEntity",)) or {}).get("Tags")  # fmt: skip
        add(TaggedResource("iam", "oidc-provider", arn.split("/", 1)[-1], arn, _tag_list(otags)))


def _logs_tagged(aws: LiveAws, add: Any) -> None:
    # mlplat log groups live under /mlplat/; EKS writes its control-plane logs under /aws/eks/.
    for prefix in ("/mlplat/", "/aws/eks/"):
        for g in aws.pages("logs", "describe_log_groups", "logGroups", logGroupNamePrefix=prefix):
            tags = (aws.call("logs", "list_tags_log_group", logGroupName=g["logGroupName"],
                             absent=("ResourceNotFoundException",)) or {}).get("tags") or {}  # fmt: skip
            add(TaggedResource("logs", "log-group", g["logGroupName"], g.get("arn"), dict(tags),
                               details={"retention_days": g.get("retentionInDays")}))  # fmt: skip


__all__ = ["AwsAccessError", "LiveAws", "TaggedResource", "find_tagged", "parse_arn", "translate_error"]
