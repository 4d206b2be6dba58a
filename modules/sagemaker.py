"""The managed AWS path: SageMaker real-time endpoints, SageMaker managed MLflow, MWAA, Studio.

No cluster: AWS runs the servers. Every store is encrypted with the platform key, every role is
scoped to the declared buckets (no AmazonSageMakerFullAccess), and everything that has a network
interface sits in the private subnets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
from mlplat.stacks.platform_spec import sagemaker_catalog as smc
from mlplat.stacks.platform_spec.model import Orchestrator as OrchestratorSpec
from mlplat.stacks.platform_spec.model import ServedModel, Serving
from mlplat.stacks.platform_spec.model import Tracking as TrackingSpec
from mlplat.stacks.platform_spec.model import Workspace as WorkspaceSpec

from .aws_iam import bounded_name, policy_document, service_assume_role_policy
from .common import BucketRef, Context, NetworkRef

SAGEMAKER = ("sagemaker.amazonaws.com",)  # the principal that assumes execution roles
PRIMARY = "primary"
CANARY = "canary"
# Application Auto Scaling names the variant's instance count this way (AWS docs, "Scaling a
# SageMaker endpoint"); the predefined metric keeps ~this many invocations per instance a minute.
SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
INVOCATIONS_PER_INSTANCE = 100.0


# --------------------------------------------------------------------------- pure helpers


def s3_bucket_of(uri: str) -> str:
    """`s3://bucket/key` → `bucket`."""
    m = re.fullmatch(r"s3://([^/]+)(?:/.*)?", uri)
    if not m:
        raise ValueError(f"not an s3:// URI: {uri!r}")
    return m.group(1)


def variant_weights(model: ServedModel) -> dict[str, float]:
    """Production-variant weights: the canary takes `traffic_percent`, the primary the rest."""
    if model.canary is None:
        return {PRIMARY: 1.0}
    p = round(float(model.canary.traffic_percent), 2)
    return {PRIMARY: round(100.0 - p, 2), CANARY: p}


def variant_bounds(model: ServedModel, variant: str) -> tuple[int, int]:
    """Autoscaling bounds per variant: the primary takes the model's replicas (at least 1 instance);
    a canary needs only its share of the ceiling (10 % of max 10 → 1 instance)."""
    lo, hi = max(1, model.replicas.min), max(1, model.replicas.max)
    if variant == PRIMARY or model.canary is None:
        return lo, hi
    share = max(1, -(-hi * int(round(float(model.canary.traffic_percent))) // 100))
    return 1, share


def endpoint_name(ctx: Context, model: str) -> str:
    """SageMaker names are at most 63 characters of [a-zA-Z0-9-]."""
    return ctx.name(model)[:63].rstrip("-")


def scaling_resource_id(endpoint: str, variant: str) -> str:
    return f"endpoint/{endpoint}/variant/{variant}"


def model_image(ctx: Context, model: ServedModel, instance_type: str) -> str:
    if model.image:
        return model.image
    image = smc.framework_image(model.format, ctx.region or "us-east-1", instance_type)
    if image is None:  # validate refuses this; a direct library call still gets a clear message
        raise ValueError(f"no SageMaker framework image for format {model.format!r} in {ctx.region}; set image")
    return image


def execution_policy(
    model_buckets: Sequence[str], capture_bucket_arn: str | None, kms_key_arn: str | None, region: str
) -> dict[str, Any]:
    """Least privilege for a SageMaker execution role: read the model objects, write captured data,
    use the platform key, pull framework images, write its own logs, attach to the VPC."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadModels",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [f"arn:aws:s3:::{b}" for b in model_buckets] + [f"arn:aws:s3:::{b}/*" for b in model_buckets],
        },
        {
            # GetAuthorizationToken has no resource-level permissions (it is account-wide).
            "Sid": "PullImages",
            "Effect": "Allow",
            "Action": ["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
                       "ecr:BatchCheckLayerAvailability"],
            "Resource": "*",
        },
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            "Resource": f"arn:aws:logs:{region}:*:log-group:/aws/sagemaker/*",
        },
        {
            # SageMaker creates the model's ENIs in the private subnets; these actions take no ARNs.
            "Sid": "Vpc",
            "Effect": "Allow",
            "Action": ["ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission",
                       "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission",
                       "ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs", "ec2:DescribeDhcpOptions",
                       "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"],
            "Resource": "*",
        },
    ]
    if capture_bucket_arn:
        statements.append({
            "Sid": "WriteCapture",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:GetBucketLocation"],
            "Resource": [capture_bucket_arn, f"{capture_bucket_arn}/*"],
        })
    if kms_key_arn:
        statements.append({
            "Sid": "PlatformKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:CreateGrant"],
            "Resource": kms_key_arn,
        })
    return policy_document(statements)


def bucket_rw_policy(bucket_arns: Sequence[str], kms_key_arn: str | None) -> dict[str, Any]:
    statements: list[dict[str, Any]] = [{
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket", "s3:GetBucketLocation"],
        "Resource": [*bucket_arns, *[f"{a}/*" for a in bucket_arns]],
    }]
    if kms_key_arn:
        statements.append({"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                           "Resource": kms_key_arn})
    return policy_document(statements)


def mwaa_execution_policy(
    ctx_region: str, env_name: str, dag_bucket_arn: str, kms_key_arn: str | None
) -> dict[str, Any]:
    """The MWAA execution role of the AWS user guide ("Amazon MWAA execution role"), scoped to the
    DAG bucket, this environment's log groups and the platform key."""
    statements: list[dict[str, Any]] = [
        {"Effect": "Allow", "Action": "airflow:PublishMetrics",
         "Resource": f"arn:aws:airflow:{ctx_region}:*:environment/{env_name}"},
        {"Effect": "Deny", "Action": "s3:ListAllMyBuckets", "Resource": [dag_bucket_arn, f"{dag_bucket_arn}/*"]},
        {"Effect": "Allow", "Action": ["s3:GetObject*", "s3:GetBucket*", "s3:List*"],
         "Resource": [dag_bucket_arn, f"{dag_bucket_arn}/*"]},
        {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:CreateLogGroup", "logs:PutLogEvents",
                                       "logs:GetLogEvents", "logs:GetLogRecord", "logs:GetLogGroupFields",
                                       "logs:GetQueryResults"],
         "Resource": f"arn:aws:logs:{ctx_region}:*:log-group:airflow-{env_name}-*"},
        {"Effect": "Allow", "Action": ["logs:DescribeLogGroups", "cloudwatch:PutMetricData"], "Resource": "*"},
        {"Effect": "Allow", "Action": ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                                       "sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:SendMessage"],
         "Resource": f"arn:aws:sqs:{ctx_region}:*:airflow-celery-*"},
    ]
    if kms_key_arn:
        statements.append({
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey*", "kms:Encrypt"],
            "Resource": kms_key_arn,
        })
    return policy_document(statements)


def _execution_policy_for(buckets: list[str], region: str) -> Any:
    def build(a: list[Any]) -> dict[str, Any]:
        return execution_policy(buckets, a[0], a[1], region)

    return build


def _role(ctx: Context, component: str, name: str, physical: str, services: tuple[str, ...],
          policy: pulumi.Output[dict[str, Any]], parent: pulumi.Resource) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
    """A role AWS `services` assume, named `{platform}-{env}-{physical}`, with one inline policy `{name}-policy`."""
    role = aws.iam.Role(
        name,
        name=bounded_name(ctx.name(physical)),
        assume_role_policy=json.dumps(service_assume_role_policy(*services)),
        tags=ctx.tags(component, name),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    inline = aws.iam.RolePolicy(
        f"{name}-policy", role=role.name, policy=policy.apply(json.dumps), opts=pulumi.ResourceOptions(parent=parent)
    )
    return role, inline


def _security_group(ctx: Context, component: str, name: str, what: str, network: NetworkRef,
                    parent: pulumi.Resource) -> aws.ec2.SecurityGroup:
    """Egress only to the VPC (S3 and ECR through the VPC's endpoints/NAT); no ingress from outside."""
    sg = aws.ec2.SecurityGroup(
        f"{name}-sg",
        name=ctx.name(name),
        description=f"mlplat {what} {ctx.name(name)}",
        vpc_id=network.vpc_id,
        tags=ctx.tags(component, f"{name}-sg"),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    aws.vpc.SecurityGroupEgressRule(
        f"{name}-egress",
        security_group_id=sg.id,
        ip_protocol="tcp",
        from_port=443,
        to_port=443,
        cidr_ipv4="0.0.0.0/0",
        description="HTTPS to AWS APIs (S3, ECR, CloudWatch) through the NAT or VPC endpoints",
        tags=ctx.tags(component, f"{name}-egress"),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    aws.vpc.SecurityGroupIngressRule(
        f"{name}-self",
        security_group_id=sg.id,
        ip_protocol="-1",
        referenced_security_group_id=sg.id,
        description="members talk to each other (MWAA workers, Studio apps)",
        tags=ctx.tags(component, f"{name}-self"),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return sg


# --------------------------------------------------------------------------- serving


@dataclass
class SageMakerServingArgs:
    ctx: Context
    spec: Serving
    network: NetworkRef
    capture_buckets: Mapping[str, BucketRef]  # model name → where its captured data goes
    kms_key_arn: pulumi.Input[str] | None


class SageMakerServing(pulumi.ComponentResource):
    """mlplat:index:SageMakerServing — one real-time endpoint per model, autoscaled, in the VPC."""

    def __init__(self, name: str, args: SageMakerServingArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplat:index:SageMakerServing", name, None, opts)
        ctx, spec = args.ctx, args.spec
        component = "serving"
        region = ctx.region or "us-east-1"
        profile = ctx.resolved.profile.name if ctx.resolved is not None else None
        sg = _security_group(ctx, component, f"{name}-endpoints", "SageMaker endpoints", args.network, self)
        self.endpoints: dict[str, pulumi.Output[str]] = {}
        for m in spec.models:
            itype = m.instance_type or smc.default_hosting_instance_type(profile)
            capture = args.capture_buckets.get(m.name)
            # A declared bucket named in a URI means its physical (account-suffixed) name.
            variants = [(PRIMARY, ctx.resolve_s3_uri(m.uri))] + (
                [(CANARY, ctx.resolve_s3_uri(m.canary.uri))] if m.canary else [])
            buckets = sorted({s3_bucket_of(uri) for _, uri in variants})
            policy = pulumi.Output.all(capture.arn if capture else None, args.kms_key_arn).apply(
                _execution_policy_for(buckets, region)
            )
            role, inline = _role(ctx, component, f"{name}-{m.name}-role", f"{m.name}-sagemaker", SAGEMAKER,
                                 policy, self)
            weights = variant_weights(m)
            models: dict[str, aws.sagemaker.Model] = {}
            for variant, uri in variants:
                models[variant] = aws.sagemaker.Model(
                    f"{name}-{m.name}-{variant}",
                    name=bounded_name(ctx.name(f"{m.name}-{variant}"), 63),
                    execution_role_arn=role.arn,
                    primary_container=aws.sagemaker.ModelPrimaryContainerArgs(
                        image=model_image(ctx, m, itype), model_data_url=uri,
                    ),
                    vpc_config=aws.sagemaker.ModelVpcConfigArgs(
                        subnets=args.network.private_subnet_ids, security_group_ids=[sg.id],
                    ),
                    # SageMaker itself downloads model_data_url before the container starts: the
                    # container needs no network (checkov CKV_AWS_370).
                    enable_network_isolation=True,
                    tags=ctx.tags(component, f"{name}-{m.name}-{variant}"),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[inline]),
                )
            capture_cfg = None
            if m.data_capture is not None and capture is not None:
                capture_cfg = aws.sagemaker.EndpointConfigurationDataCaptureConfigArgs(
                    enable_capture=True,
                    initial_sampling_percentage=m.data_capture.sampling_percent,
                    destination_s3_uri=pulumi.Output.concat("s3://", capture.bucket, f"/data-capture/{m.name}"),
                    kms_key_id=args.kms_key_arn,
                    capture_options=[
                        aws.sagemaker.EndpointConfigurationDataCaptureConfigCaptureOptionArgs(capture_mode="Input"),
                        aws.sagemaker.EndpointConfigurationDataCaptureConfigCaptureOptionArgs(capture_mode="Output"),
                    ],
                )
            config = aws.sagemaker.EndpointConfiguration(
                f"{name}-{m.name}-config",
                name=bounded_name(ctx.name(f"{m.name}-config"), 63),
                kms_key_arn=args.kms_key_arn,
                production_variants=[
                    aws.sagemaker.EndpointConfigurationProductionVariantArgs(
                        variant_name=variant,
                        model_name=models[variant].name,
                        instance_type=itype,
                        initial_instance_count=variant_bounds(m, variant)[0],
                        initial_variant_weight=weights[variant],
                    )
                    for variant, _ in variants
                ],
                data_capture_config=capture_cfg,
                tags=ctx.tags(component, f"{name}-{m.name}-config"),
                opts=pulumi.ResourceOptions(parent=self),
            )
            ep_name = endpoint_name(ctx, m.name)
            endpoint = aws.sagemaker.Endpoint(
                f"{name}-{m.name}",
                name=ep_name,
                endpoint_config_name=config.name,
                tags=ctx.tags(component, f"{name}-{m.name}"),
                opts=pulumi.ResourceOptions(parent=self),
            )
            for variant, _ in variants:
                target = aws.appautoscaling.Target(
                    f"{name}-{m.name}-{variant}-scaling",
                    service_namespace="sagemaker",
                    scalable_dimension=SCALABLE_DIMENSION,
                    resource_id=scaling_resource_id(ep_name, variant),
                    min_capacity=variant_bounds(m, variant)[0],
                    max_capacity=variant_bounds(m, variant)[1],
                    tags=ctx.tags(component, f"{name}-{m.name}-{variant}-scaling"),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[endpoint]),
                )
                aws.appautoscaling.Policy(
                    f"{name}-{m.name}-{variant}-invocations",
                    name=f"{ep_name}-{variant}-invocations",
                    policy_type="TargetTrackingScaling",
                    service_namespace=target.service_namespace,
                    scalable_dimension=target.scalable_dimension,
                    resource_id=target.resource_id,
                    target_tracking_scaling_policy_configuration=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
                        target_value=INVOCATIONS_PER_INSTANCE,
                        predefined_metric_specification=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                            predefined_metric_type="SageMakerVariantInvocationsPerInstance",
                        ),
                        scale_in_cooldown=300,
                        scale_out_cooldown=60,
                    ),
                    opts=pulumi.ResourceOptions(parent=self),
                )
            self.endpoints[m.name] = endpoint.name
        self.register_outputs({"endpoints": self.endpoints})


# --------------------------------------------------------------------------- managed MLflow


@dataclass
class ManagedTrackingArgs:
    ctx: Context
    spec: TrackingSpec
    artifacts: BucketRef


class ManagedTracking(pulumi.ComponentResource):
    """mlplat:index:ManagedTracking — a SageMaker managed MLflow tracking server (IAM auth only)."""

    def __init__(self, name: str, args: ManagedTrackingArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplat:index:ManagedTracking", name, None, opts)
        ctx, spec, art = args.ctx, args.spec, args.artifacts
        component = "tracking"
        policy = pulumi.Output.all(art.arn, art.kms_key_arn).apply(lambda a: bucket_rw_policy([str(a[0])], a[1]))
        role, inline = _role(ctx, component, f"{name}-role", "mlflow-sagemaker", SAGEMAKER, policy, self)
        server = aws.sagemaker.MlflowTrackingServer(
            f"{name}-server",
            tracking_server_name=ctx.name("mlflow")[:256],
            artifact_store_uri=pulumi.Output.concat("s3://", art.bucket, "/mlflow"),
            role_arn=role.arn,
            tracking_server_size=spec.size or smc.DEFAULT_TRACKING_SIZE,
            mlflow_version=spec.version if _sagemaker_mlflow_version(spec.version) else None,
            automatic_model_registration=True,
            tags=ctx.tags(component, f"{name}-server"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[inline]),
        )
        self.uri = server.tracking_server_url
        self.register_outputs({"uri": self.uri})


def _sagemaker_mlflow_version(version: str | None) -> bool:
    """Only an explicit major.minor(.patch) is passed on; otherwise AWS picks its current default."""
    return bool(version) and re.fullmatch(r"\d+\.\d+(\.\d+)?", version or "") is not None


# --------------------------------------------------------------------------- MWAA


@dataclass
class ManagedAirflowArgs:
    ctx: Context
    spec: OrchestratorSpec
    network: NetworkRef
    dags: BucketRef
    kms_key_arn: pulumi.Input[str] | None


class ManagedAirflow(pulumi.ComponentResource):
    """mlplat:index:ManagedAirflow — an MWAA environment in two private subnets, private web server."""

    def __init__(self, name: str, args: ManagedAirflowArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplat:index:ManagedAirflow", name, None, opts)
        ctx, spec, dags = args.ctx, args.spec, args.dags
        component = "orchestrator"
        env_name = ctx.name("airflow")[:80]
        region = ctx.region or "us-east-1"
        policy = pulumi.Output.all(dags.arn, args.kms_key_arn).apply(
            lambda a: mwaa_execution_policy(region, env_name, str(a[0]), a[1])
        )
        role, inline = _role(ctx, component, f"{name}-role", "mwaa",
                             ("airflow.amazonaws.com", "airflow-env.amazonaws.com"), policy, self)
        sg = _security_group(ctx, component, f"{name}-mwaa", "MWAA", args.network, self)
        logs = aws.mwaa.EnvironmentLoggingConfigurationArgs(
            dag_processing_logs=aws.mwaa.EnvironmentLoggingConfigurationDagProcessingLogsArgs(enabled=True, log_level="WARNING"),
            scheduler_logs=aws.mwaa.EnvironmentLoggingConfigurationSchedulerLogsArgs(enabled=True, log_level="WARNING"),
            task_logs=aws.mwaa.EnvironmentLoggingConfigurationTaskLogsArgs(enabled=True, log_level="INFO"),
            webserver_logs=aws.mwaa.EnvironmentLoggingConfigurationWebserverLogsArgs(enabled=True, log_level="WARNING"),
            worker_logs=aws.mwaa.EnvironmentLoggingConfigurationWorkerLogsArgs(enabled=True, log_level="WARNING"),
        )
        env = aws.mwaa.Environment(
            f"{name}-environment",
            name=env_name,
            airflow_version=spec.version,
            environment_class=spec.environment_class or smc.DEFAULT_MWAA_CLASS,
            min_workers=1,
            max_workers=spec.max_workers or 10,
            execution_role_arn=role.arn,
            source_bucket_arn=dags.arn,
            dag_s3_path="dags/",
            kms_key=args.kms_key_arn,
            webserver_access_mode="PRIVATE_ONLY",
            network_configuration=aws.mwaa.EnvironmentNetworkConfigurationArgs(
                security_group_ids=[sg.id],
                subnet_ids=list(args.network.private_subnet_ids[:2]),  # MWAA takes exactly two
            ),
            logging_configuration=logs,
            tags=ctx.tags(component, f"{name}-environment"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[inline]),
        )
        self.webserver_url = env.webserver_url
        self.register_outputs({"webserver_url": self.webserver_url})


# --------------------------------------------------------------------------- Studio


@dataclass
class StudioArgs:
    ctx: Context
    spec: WorkspaceSpec
    network: NetworkRef
    buckets: Sequence[BucketRef]
    kms_key_arn: pulumi.Input[str] | None


class Studio(pulumi.ComponentResource):
    """mlplat:index:Studio — a SageMaker Studio domain in the private subnets (VPC only, IAM auth)."""

    def __init__(self, name: str, args: StudioArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("mlplat:index:Studio", name, None, opts)
        ctx, spec = args.ctx, args.spec
        component = "workspace"
        arns = [b.arn for b in args.buckets]
        policy = pulumi.Output.all(args.kms_key_arn, *arns).apply(
            lambda a: bucket_rw_policy([str(x) for x in a[1:]], a[0])
        )
        role, _ = _role(ctx, component, f"{name}-role", "studio", SAGEMAKER, policy, self)
        sg = _security_group(ctx, component, f"{name}-studio", "SageMaker Studio", args.network, self)
        domain = aws.sagemaker.Domain(
            f"{name}-domain",
            domain_name=ctx.name("studio"),
            auth_mode="IAM",
            app_network_access_type="VpcOnly",
            vpc_id=args.network.vpc_id,
            subnet_ids=args.network.private_subnet_ids,
            kms_key_id=args.kms_key_arn,
            default_user_settings=aws.sagemaker.DomainDefaultUserSettingsArgs(
                execution_role=role.arn, security_groups=[sg.id],
            ),
            tags=ctx.tags(component, f"{name}-domain"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        for user in spec.users:
            aws.sagemaker.UserProfile(
                f"{name}-{user}",
                domain_id=domain.id,
                user_profile_name=user,
                user_settings=aws.sagemaker.UserProfileUserSettingsArgs(execution_role=role.arn,
                                                                       security_groups=[sg.id]),
                tags=ctx.tags(component, f"{name}-{user}"),
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.domain_id = domain.id
        self.register_outputs({"domain_id": self.domain_id})


__all__ = [
    "CANARY", "PRIMARY", "ManagedAirflow", "ManagedAirflowArgs", "ManagedTracking", "ManagedTrackingArgs",
    "SageMakerServing", "SageMakerServingArgs", "Studio", "StudioArgs", "bucket_rw_policy", "endpoint_name",
    "execution_policy", "model_image", "mwaa_execution_policy", "s3_bucket_of", "scaling_resource_id",
    "variant_bounds", "variant_weights",
]  # fmt: skip
