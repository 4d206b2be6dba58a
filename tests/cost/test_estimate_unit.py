"""The pricing engine over hand-made plans: every expected figure is computed here, by hand, from the
prices in the shipped catalogue file (read as plain YAML, not through mlplat's loader)."""

from __future__ import annotations

import pytest
from mlplat.stacks import load_platform
from mlplat.stacks.cost.estimate import budget_gate, compare, estimate
from mlplat.stacks.cost.pricers import gib, parse_quantity
from mlplat.stacks.cost.pricers_k8s import cron_runs_per_month

from .helpers import HOURS, container, k8s, plan, prices, res

# The documented usage defaults (stacks/cost/pricing/README.md, "What the plan cannot know"),
# written here rather than imported, so a changed default fails a test instead of moving with it.
AUTOSCALE_FRACTION = 0.25  # autoscale_fraction: share of the month above the minimum
ARTIFACTS_GB = 100  # storage_gb default for a bucket of purpose "artifacts"
NAT_GB = 100  # nat_gb_per_month
S3_REQUESTS = 1_000_000  # s3_requests_per_month, split evenly between buckets …
S3_PUT_SHARE = 0.2  # … of which 20 % PUT-class

USE1 = prices("aws-us-east-1.yaml")
EUW1 = prices("aws-eu-west-1.yaml")
K8S = prices("kubernetes.yaml")

AWS_SPEC = """\
apiVersion: mlplat.io/v1alpha1
kind: Platform
metadata: {name: acme}
target: {provider: aws, region: REGION}
storage:
  buckets:
    - {name: artifacts, purpose: artifacts}
    - {name: raw, purpose: datasets}
cluster:
  node_pools:
    - {name: system, instance_type: m6i.large, min_size: 2, max_size: 2}
    - {name: gpu, instance_type: g5.xlarge, min_size: 1, max_size: 5}
budget: {monthly_usd: 1000, max_increase_percent: 10}
USAGE
environments:
  dev: {profile: dev}
"""


@pytest.fixture
def aws_resolved(write_spec):
    def make(usage: str = "", region: str = "us-east-1"):
        return load_platform(write_spec(AWS_SPEC.replace("USAGE", usage).replace("REGION", region)), "dev")

    return make


def node_group(name: str, itype: str, lo: int, hi: int, capacity: str = "ON_DEMAND", disk: int | None = None):
    inputs = {"instanceTypes": [itype], "capacityType": capacity, "nodeGroupName": f"acme-dev-{name}",
              "scalingConfig": {"minSize": float(lo), "maxSize": float(hi), "desiredSize": float(max(lo, 1))}}
    if disk is not None:
        inputs["diskSize"] = float(disk)
    return res("aws:eks/nodeGroup:NodeGroup", f"cluster-{name}", "cluster", **inputs)


# --------------------------------------------------------------------------- fixed capacity


def test_fixed_capacity_total_by_hand(aws_resolved):
    r = aws_resolved()
    p = plan(
        r,
        res("aws:eks/cluster:Cluster", "cluster-eks", "cluster", name="acme-dev-cluster"),
        node_group("system", "m6i.large", 2, 2, disk=50),
        res("aws:ec2/natGateway:NatGateway", "network-nat-a", "network", connectivityType="public"),
        res("aws:ec2/eip:Eip", "network-nat-eip-a", "network", domain="vpc"),
        res("aws:rds/instance:Instance", "tracking-db", "tracking", engine="postgres",
            instanceClass="db.t4g.medium", multiAz=True, allocatedStorage=50.0),
        res("aws:elasticache/replicationGroup:ReplicationGroup", "feature-store-redis", "feature_store",
            nodeType="cache.t4g.small", numCacheClusters=2.0),
        res("aws:kms/key:Key", "storage-kms", "storage"),
        res("aws:lb/loadBalancer:LoadBalancer", "serving-alb", "serving", loadBalancerType="application"),
    )  # fmt: skip
    e = estimate(r, p)

    eks = HOURS * USE1["eks"]["cluster_hour"]
    nodes = 2 * HOURS * USE1["ec2"]["m6i.large"] + 2 * 50 * USE1["ebs"]["gp3_gb_month"]
    # NAT: hours + 100 GB processed + 10% of those GB out to the internet (default nat_egress_share)
    nat = HOURS * USE1["vpc"]["nat_gateway_hour"] + NAT_GB * USE1["vpc"]["nat_gateway_gb"] \
        + 0.1 * NAT_GB * USE1["data_transfer"]["internet_egress_gb"]
    eip = HOURS * USE1["vpc"]["public_ipv4_hour"]
    # RDS: no backupRetentionPeriod in the plan and no tracking.database: AWS's default of 1 day;
    # 50 GB x 2%/day (default change) x 1 day = 1 GB of backup beyond the free 50 GB.
    rds = HOURS * USE1["rds_postgres"]["instances"]["db.t4g.medium"]["multi_az"] \
        + 50 * USE1["rds_postgres"]["storage_gb_month"]["multi_az"] + 1.0 * USE1["rds_postgres"]["backup_gb_month"]
    redis = 2 * HOURS * USE1["elasticache"]["cache.t4g.small"]
    kms = USE1["kms"]["key_month"]
    # ALB: no `internal` input: internet-facing, one public IPv4 in each of the 2 AZs (no network section)
    alb = HOURS * USE1["elb"]["alb_hour"] + 1 * HOURS * USE1["elb"]["alb_lcu_hour"] \
        + 2 * HOURS * USE1["vpc"]["public_ipv4_hour"]  # 1 LCU default

    assert e.line("cluster-eks").monthly_usd == pytest.approx(eks)
    assert e.line("cluster-system").monthly_usd == pytest.approx(nodes)
    assert not e.line("cluster-system").ranged  # fixed capacity: no min/max spread
    assert e.line("network-nat-a").monthly_usd == pytest.approx(nat)
    assert e.line("tracking-db").monthly_usd == pytest.approx(rds)
    assert e.line("feature-store-redis").monthly_usd == pytest.approx(redis)
    assert e.line("serving-alb").monthly_usd == pytest.approx(alb)
    total = eks + nodes + nat + eip + rds + redis + kms + alb
    assert e.monthly_usd == pytest.approx(total)
    assert e.min_monthly_usd == pytest.approx(total) and e.max_monthly_usd == pytest.approx(total)
    assert e.by_component["cluster"] == pytest.approx(eks + nodes)
    assert e.by_component["network"] == pytest.approx(nat + eip)
    assert sum(e.by_component.values()) == pytest.approx(e.monthly_usd)
    # The reference numbers themselves, so a catalogue edit shows up here too:
    # m6i.large $0.096/h, EKS $0.10/h, NAT $0.045/h + $0.045/GB in us-east-1.
    assert eks == pytest.approx(73.0)
    assert 2 * HOURS * USE1["ec2"]["m6i.large"] == pytest.approx(140.16)


def test_rds_single_az_is_half_of_multi_az(aws_resolved):
    r = aws_resolved()
    single = res("aws:rds/instance:Instance", "db-a", "tracking", engine="postgres", instanceClass="db.r6g.large",
                 multiAz=False, allocatedStorage=100.0)  # fmt: skip
    multi = res("aws:rds/instance:Instance", "db-b", "tracking", engine="postgres", instanceClass="db.r6g.large",
                multiAz=True, allocatedStorage=100.0)  # fmt: skip
    e = estimate(r, plan(r, single, multi))
    # Backups are not doubled by the standby: 100 GB x 2%/day x 1 day (AWS's default retention) = 2 GB billed.
    backup = 2.0 * USE1["rds_postgres"]["backup_gb_month"]
    a, b = e.line("db-a").monthly_usd - backup, e.line("db-b").monthly_usd - backup
    assert a == pytest.approx(HOURS * USE1["rds_postgres"]["instances"]["db.r6g.large"]["single_az"]
                              + 100 * USE1["rds_postgres"]["storage_gb_month"]["single_az"])  # fmt: skip
    assert b == pytest.approx(2 * a)  # AWS lists Multi-AZ (one standby) at twice the price


# --------------------------------------------------------------------------- autoscaling pools


def test_autoscaling_pool_min_expected_max(aws_resolved):
    r = aws_resolved()
    e = estimate(r, plan(r, node_group("gpu", "g5.xlarge", 1, 5, disk=100)))
    line = e.line("cluster-gpu")
    per_node = HOURS * USE1["ec2"]["g5.xlarge"] + 100 * USE1["ebs"]["gp3_gb_month"]
    f = AUTOSCALE_FRACTION
    assert line.min_monthly_usd == pytest.approx(1 * per_node)
    assert line.monthly_usd == pytest.approx((1 + f * (5 - 1)) * per_node)  # 2 nodes at f = 0.25
    assert line.max_monthly_usd == pytest.approx(5 * per_node)
    assert line.ranged
    assert (e.min_monthly_usd, e.max_monthly_usd) == (pytest.approx(per_node), pytest.approx(5 * per_node))


def test_spot_pool_from_zero_with_usage_overrides(aws_resolved):
    # usage: the pool runs at its maximum 10% of the month; spot is 70% off.
    r = aws_resolved("usage: {autoscale_fraction: 0.1, spot_discount: 0.7}")
    e = estimate(r, plan(r, node_group("train", "g5.2xlarge", 0, 8, capacity="SPOT", disk=200)))
    line = e.line("cluster-train")
    per_node = HOURS * USE1["ec2"]["g5.2xlarge"] * (1 - 0.7) + 200 * USE1["ebs"]["gp3_gb_month"]
    assert line.min_monthly_usd == pytest.approx(0.0)
    assert line.monthly_usd == pytest.approx(0.1 * 8 * per_node)
    assert line.max_monthly_usd == pytest.approx(8 * per_node)
    assert "spot" in line.charges[0].what and "70%" in line.charges[0].what


def test_default_spot_discount_is_the_catalogues(aws_resolved):
    r = aws_resolved()
    e = estimate(r, plan(r, node_group("train", "m6i.large", 2, 2, capacity="SPOT")))
    # diskSize absent from the plan: the spec's pool has none either → the spec default (100 GB) applies
    # only when the pool matches; this pool name is not in the spec, so only instance hours are priced.
    assert e.line("cluster-train").monthly_usd == pytest.approx(
        2 * HOURS * USE1["ec2"]["m6i.large"] * (1 - USE1["spot"]["discount"])
    )


def test_plan_gaps_filled_from_the_spec(aws_resolved):
    # A node group whose plan inputs lack instance type and bounds (e.g. set through a launch template)
    # is priced from the matching spec pool: system = m6i.large × 2, disk_gb default 100.
    r = aws_resolved()
    ng = res("aws:eks/nodeGroup:NodeGroup", "cluster-system", "cluster", nodeGroupName="acme-dev-system")
    e = estimate(r, plan(r, ng))
    assert e.line("cluster-system").monthly_usd == pytest.approx(
        2 * (HOURS * USE1["ec2"]["m6i.large"] + 100 * USE1["ebs"]["gp3_gb_month"])
    )


# --------------------------------------------------------------------------- storage and usage


def test_buckets_default_gb_by_purpose_and_usage_override(aws_resolved):
    r = aws_resolved("usage: {storage_gb: {raw: 2000}, s3_requests_per_month: 0}")
    e = estimate(r, plan(r, res("aws:s3/bucket:Bucket", "storage-artifacts", "storage", bucket="acme-dev-artifacts"),
                         res("aws:s3/bucket:Bucket", "storage-raw", "storage", bucket="acme-dev-raw")))  # fmt: skip
    gb = USE1["s3"]["standard_gb_month"]
    assert e.line("storage-artifacts").monthly_usd == pytest.approx(ARTIFACTS_GB * gb)
    assert e.line("storage-raw").monthly_usd == pytest.approx(2000 * gb)
    assert "usage.storage_gb" in e.line("storage-raw").assumption


def test_account_suffixed_buckets_priced_as_their_declared_bucket(aws_resolved):
    """On aws bucket names end in the account ID (DESIGN 4): the usage override and the purpose
    default still find their declared bucket (the account is not part of the spec's name)."""
    r = aws_resolved("usage: {storage_gb: {raw: 2000}, s3_requests_per_month: 0}")
    e = estimate(r, plan(r, res("aws:s3/bucket:Bucket", "storage-artifacts", "storage",
                                bucket="acme-dev-artifacts-210987654321"),
                         res("aws:s3/bucket:Bucket", "storage-raw", "storage", bucket="acme-dev-raw-210987654321")))
    gb = USE1["s3"]["standard_gb_month"]
    assert e.line("storage-artifacts").monthly_usd == pytest.approx(ARTIFACTS_GB * gb)
    assert e.line("storage-raw").monthly_usd == pytest.approx(2000 * gb)
    assert "usage.storage_gb" in e.line("storage-raw").assumption


def test_s3_requests_split_between_buckets(aws_resolved):
    r = aws_resolved("usage: {storage_gb: {artifacts: 0, raw: 0}}")
    e = estimate(r, plan(r, res("aws:s3/bucket:Bucket", "storage-artifacts", "storage", bucket="acme-dev-artifacts"),
                         res("aws:s3/bucket:Bucket", "storage-raw", "storage", bucket="acme-dev-raw")))  # fmt: skip
    per_bucket = S3_REQUESTS / 2
    expected = (per_bucket * S3_PUT_SHARE / 1000 * USE1["s3"]["put_per_1000"]
                + per_bucket * (1 - S3_PUT_SHARE) / 1000 * USE1["s3"]["get_per_1000"])  # fmt: skip
    assert e.line("storage-raw").monthly_usd == pytest.approx(expected)


def test_nat_traffic_is_split_not_multiplied(aws_resolved):
    r = aws_resolved("usage: {nat_gb_per_month: 900}")
    nats = [res("aws:ec2/natGateway:NatGateway", f"network-nat-{s}", "network") for s in "abc"]
    e = estimate(r, plan(r, *nats))
    # each: hours + 300 GB processed + 30 GB (10%, default nat_egress_share) out to the internet
    per = HOURS * USE1["vpc"]["nat_gateway_hour"] + 300 * USE1["vpc"]["nat_gateway_gb"] \
        + 30 * USE1["data_transfer"]["internet_egress_gb"]
    assert e.monthly_usd == pytest.approx(3 * per)


def test_region_catalogue_is_used(aws_resolved):
    r = aws_resolved(region="eu-west-1")
    e = estimate(r, plan(r, node_group("system", "m6i.large", 2, 2, disk=20)))
    assert e.catalogue.region == "eu-west-1"
    assert e.monthly_usd == pytest.approx(2 * HOURS * EUW1["ec2"]["m6i.large"] + 2 * 20 * EUW1["ebs"]["gp3_gb_month"])
    assert EUW1["ec2"]["m6i.large"] > USE1["ec2"]["m6i.large"]  # Ireland lists higher than N. Virginia


# --------------------------------------------------------------------------- coverage


def test_unpriced_resources_are_listed_not_zeroed(aws_resolved):
    r = aws_resolved()
    p = plan(
        r,
        res("aws:eks/cluster:Cluster", "cluster-eks", "cluster"),
        res("aws:sagemaker/notebookInstance:NotebookInstance", "lab-notebook", "cluster", instanceType="ml.t3.medium"),
        node_group("odd", "x9z.huge", 1, 1),  # no such instance type in the catalogue
        res("aws:iam/role:Role", "cluster-role", "cluster"),
        res("aws:ec2/securityGroup:SecurityGroup", "cluster-sg", "cluster"),
        res("kubernetes:core/v1:Namespace", "ml-ns", "serving", metadata={"name": "ml"}),
    )
    e = estimate(r, p)
    cov = e.coverage
    assert [ln.name for ln in cov.unpriced] == ["lab-notebook", "cluster-odd"]
    assert "x9z.huge" in e.line("cluster-odd").assumption
    assert cov.priced == 1 and cov.free == 3
    assert cov.percent == pytest.approx(100 / 3)
    # Free resources are classified explicitly, with the reason.
    assert e.line("cluster-role").status == "free" and "IAM" in e.line("cluster-role").assumption
    assert e.line("ml-ns").status == "free"
    data = e.to_dict()
    assert data["unpriced"] == ["lab-notebook", "cluster-odd"]
    assert data["coverage"]["unpriced"][0]["reason"]
    assert data["coverage_percent"] == pytest.approx(33.3)


def test_component_resources_and_providers_are_not_lines(aws_resolved):
    r = aws_resolved()
    comp = res("mlplat:index:Cluster", "cluster", "cluster")
    comp.custom = False
    prov = res("pulumi:providers:aws", "aws", None)  # type: ignore[arg-type]
    e = estimate(r, plan(r, comp, prov, res("aws:kms/key:Key", "k", "storage")))
    assert [ln.name for ln in e.lines] == ["k"]


# --------------------------------------------------------------------------- kubernetes targets

K8S_SPEC = """\
apiVersion: mlplat.io/v1alpha1
kind: Platform
metadata: {name: lab}
target: {provider: kubernetes, context: onprem}
serving:
  kind: seldon
  models:
    - {name: m, format: sklearn, uri: "s3://b/m", replicas: {min: 2, max: 4}}
USAGE
environments:
  prod: {profile: prod}
"""


@pytest.fixture
def k8s_resolved(write_spec):
    def make(usage: str = ""):
        return load_platform(write_spec(K8S_SPEC.replace("USAGE", usage)), "prod")

    return make


def test_kubernetes_requests_times_replicas(k8s_resolved):
    r = k8s_resolved()
    dep = k8s("Deployment", "apps/v1", "tracking-server", "tracking",
              {"replicas": 2.0, "template": {"spec": {"containers": [container("500m", "1Gi"), container("250m", "512Mi")]}}})  # fmt: skip
    sts = k8s("StatefulSet", "apps/v1", "tracking-postgres", "tracking",
              {"replicas": 1.0, "template": {"spec": {"containers": [container("1", "2Gi")]}},
               "volumeClaimTemplates": [{"metadata": {"name": "data"},
                                         "spec": {"resources": {"requests": {"storage": "20Gi"}}}}]})  # fmt: skip
    pvc = k8s("PersistentVolumeClaim", "core/v1", "monitoring-prometheus", "monitoring",
              {"resources": {"requests": {"storage": "200Gi"}}})  # fmt: skip
    e = estimate(r, plan(r, dep, sts, pvc))
    rate = K8S["rates"]
    dep_cost = 2 * HOURS * ((0.5 + 0.25) * rate["vcpu_hour"] + (1 + 0.5) * rate["gib_hour"])
    sts_cost = HOURS * (1 * rate["vcpu_hour"] + 2 * rate["gib_hour"]) + 20 * rate["storage_gb_month"]
    pvc_cost = 200 * rate["storage_gb_month"]
    assert e.line("tracking-server").monthly_usd == pytest.approx(dep_cost)
    assert e.line("tracking-postgres").monthly_usd == pytest.approx(sts_cost)
    assert e.line("monitoring-prometheus").monthly_usd == pytest.approx(pvc_cost)
    assert e.monthly_usd == pytest.approx(dep_cost + sts_cost + pvc_cost)


def test_kubernetes_hpa_range_gpu_and_custom_rates(k8s_resolved):
    # Chargeback rates from the spec replace the catalogue defaults.
    r = k8s_resolved("usage: {k8s_rates: {vcpu_hour: 0.05, gib_hour: 0.01, gpu_hour: 2.0}}")
    dep = k8s("Deployment", "apps/v1", "serving-m", "serving",
              {"replicas": 2.0, "template": {"spec": {"containers": [container("2", "8Gi", gpu=1)]}}})  # fmt: skip
    hpa = k8s("HorizontalPodAutoscaler", "autoscaling/v2", "serving-m-hpa", "serving",
              {"scaleTargetRef": {"kind": "Deployment", "name": "serving-m"}, "minReplicas": 2.0, "maxReplicas": 6.0})
    e = estimate(r, plan(r, dep, hpa))
    per_replica = HOURS * (2 * 0.05 + 8 * 0.01 + 1 * 2.0)
    line = e.line("serving-m")
    assert line.min_monthly_usd == pytest.approx(2 * per_replica)
    assert line.monthly_usd == pytest.approx((2 + AUTOSCALE_FRACTION * 4) * per_replica)
    assert line.max_monthly_usd == pytest.approx(6 * per_replica)
    assert e.line("serving-m-hpa").status == "free"


def test_kubernetes_inference_service_custom_resource(k8s_resolved):
    r = k8s_resolved()
    isvc = k8s("InferenceService", "serving.kserve.io/v1beta1", "serving-churn", "serving",
               {"predictor": {"minReplicas": 1.0, "maxReplicas": 3.0,
                              "model": {"modelFormat": {"name": "sklearn"},
                                        "resources": {"requests": {"cpu": "1", "memory": "2Gi"}}}}})  # fmt: skip
    e = estimate(r, plan(r, isvc))
    rate = K8S["rates"]
    per = HOURS * (1 * rate["vcpu_hour"] + 2 * rate["gib_hour"])
    line = e.line("serving-churn")
    assert line.status == "priced"
    assert (line.min_monthly_usd, line.max_monthly_usd) == (pytest.approx(per), pytest.approx(3 * per))
    assert line.monthly_usd == pytest.approx((1 + AUTOSCALE_FRACTION * 2) * per)


def test_kubernetes_cronjob_runs_times_duration(k8s_resolved):
    r = k8s_resolved("usage: {job_minutes: 30}")
    cj = k8s("CronJob", "batch/v1", "monitoring-drift", "monitoring",
             {"schedule": "0 */6 * * *",
              "jobTemplate": {"spec": {"template": {"spec": {"containers": [container("1", "4Gi")]}}}}})  # fmt: skip
    e = estimate(r, plan(r, cj))
    runs = 4 * 365 / 12  # four runs a day
    rate = K8S["rates"]
    assert e.line("monitoring-drift").monthly_usd == pytest.approx(runs * 0.5 * (rate["vcpu_hour"] + 4 * rate["gib_hour"]))


def test_kubernetes_objects_without_price_are_listed(k8s_resolved):
    r = k8s_resolved()
    ds = k8s("DaemonSet", "apps/v1", "node-exporter", "monitoring",
             {"template": {"spec": {"containers": [container("100m", "64Mi")]}}})  # fmt: skip
    helm = res("kubernetes:helm.sh/v3:Release", "orchestrator-kfp", "orchestrator", chart="kubeflow-pipelines")
    bare = k8s("Deployment", "apps/v1", "no-requests", "serving",
               {"template": {"spec": {"containers": [{"name": "c", "image": "x:1"}]}}})  # fmt: skip
    e = estimate(r, plan(r, ds, helm, bare))
    assert {ln.name for ln in e.coverage.unpriced} == {"node-exporter", "orchestrator-kfp", "no-requests"}
    assert e.coverage.percent == 0.0


def test_kubernetes_objects_on_aws_run_on_priced_nodes(aws_resolved):
    r = aws_resolved()
    dep = k8s("Deployment", "apps/v1", "tracking-server", "tracking",
              {"replicas": 2.0, "template": {"spec": {"containers": [container("1", "1Gi")]}}})  # fmt: skip
    pvc = k8s("PersistentVolumeClaim", "core/v1", "prom-data", "monitoring",
              {"resources": {"requests": {"storage": "100Gi"}}})  # fmt: skip
    lb = k8s("Service", "core/v1", "serving-gw", "serving", {"type": "LoadBalancer"},
             annotations={"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"})
    e = estimate(r, plan(r, dep, pvc, lb))
    assert e.line("tracking-server").status == "free"
    assert e.line("prom-data").monthly_usd == pytest.approx(100 * USE1["ebs"]["gp3_gb_month"])
    # in-tree NLB: internet-facing unless annotated internal, so one public IPv4 per AZ (2 here)
    assert e.line("serving-gw").monthly_usd == pytest.approx(
        HOURS * USE1["elb"]["nlb_hour"] + HOURS * USE1["elb"]["nlb_lcu_hour"] + 2 * HOURS * USE1["vpc"]["public_ipv4_hour"]
    )


# --------------------------------------------------------------------------- compare and the gate


def test_compare_and_gates(aws_resolved):
    r = aws_resolved()  # budget 1000/month, at most +10% per change
    small = estimate(r, plan(r, node_group("system", "m6i.large", 2, 2, disk=20)))
    big = estimate(r, plan(r, node_group("system", "m6i.large", 3, 3, disk=20), res("aws:kms/key:Key", "k", "storage")))
    diff = compare(big, small, "main")
    node = HOURS * USE1["ec2"]["m6i.large"] + 20 * USE1["ebs"]["gp3_gb_month"]
    assert diff.baseline_monthly_usd == pytest.approx(2 * node)
    assert diff.diff_monthly_usd == pytest.approx(node + USE1["kms"]["key_month"])
    by = {d.component: d for d in diff.components}
    assert by["cluster"].diff_usd == pytest.approx(node) and by["storage"].baseline_usd == 0
    assert {d.name: d.change for d in diff.lines} == {"cluster-system": "changed", "k": "added"}

    verdict = budget_gate(big, diff)  # +50%: above max_increase_percent 10
    assert not verdict.ok and verdict.exit_code == 1
    assert "max_increase_percent" in verdict.reasons[0]
    assert budget_gate(big).ok  # 3 nodes ≈ $211: within the monthly budget, no comparison
    assert budget_gate(small, compare(small, small, "main")).ok

    huge = estimate(r, plan(r, node_group("gpu", "p4d.24xlarge", 1, 1)))
    verdict = budget_gate(huge)
    assert not verdict.ok and "exceeds budget.monthly_usd" in verdict.reasons[0]


def test_new_environment_has_no_increase_gate(aws_resolved):
    r = aws_resolved()
    e = estimate(r, plan(r, node_group("system", "m6i.large", 2, 2)))
    diff = compare(e, None, "main")
    assert diff.baseline_monthly_usd == 0 and diff.diff_percent is None
    assert budget_gate(e, diff).ok


# --------------------------------------------------------------------------- small pure pieces


@pytest.mark.parametrize(
    ("text", "value"),
    [("500m", 0.5), ("2", 2.0), (1.5, 1.5), ("1k", 1000.0), ("bad", None), (None, None), (True, None)],
)
def test_parse_quantity(text, value):
    assert parse_quantity(text) == value


def test_gib():
    assert gib("2Gi") == 2 and gib("512Mi") == 0.5 and gib("1G") == pytest.approx(1e9 / 2**30)


@pytest.mark.parametrize(
    ("schedule", "runs"),
    [("0 * * * *", 730.0), ("0 3 * * *", 365 / 12), ("*/15 * * * *", 4 * 730.0), ("0 0 1 * *", 1.0),
     ("0 3 * * 1-5", 365 / 12 * 5 / 7), ("@daily", None)],
)  # fmt: skip
def test_cron_runs_per_month(schedule, runs):
    got = cron_runs_per_month(schedule)
    assert got == (pytest.approx(runs) if runs is not None else None)


def test_vpc_endpoints(aws_resolved):
    r = aws_resolved()
    gw = res("aws:ec2/vpcEndpoint:VpcEndpoint", "network-s3-endpoint", "network", vpcEndpointType="Gateway")
    iface = res("aws:ec2/vpcEndpoint:VpcEndpoint", "network-ecr-api-endpoint", "network",
                vpcEndpointType="Interface", subnetIds=["<unknown>"] * 3)  # fmt: skip
    e = estimate(r, plan(r, gw, iface))
    assert e.line("network-s3-endpoint").status == "free"
    assert e.line("network-ecr-api-endpoint").monthly_usd == pytest.approx(3 * HOURS * USE1["vpc"]["interface_endpoint_hour"])


AIRFLOW_LIKE_VALUES = {
    "executor": "KubernetesExecutor",
    "webserver": {"replicas": 2, "resources": {"requests": {"cpu": "250m", "memory": "1Gi"}}},
    "scheduler": {"replicas": 2, "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}},
    "workers": {"resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}},  # per-task pods: not standing
    "migrateDatabaseJob": {"resources": {"requests": {"cpu": "100m", "memory": "512Mi"}}},  # one-off
    "redis": {"enabled": False, "resources": {"requests": {"cpu": "1", "memory": "1Gi"}}},
    "logs": {"persistence": {"enabled": True, "size": "10Gi"}},
}


def test_helm_values_on_kubernetes_target(k8s_resolved):
    r = k8s_resolved()
    rel = res("kubernetes:helm.sh/v3:Release", "orchestrator-airflow", "orchestrator", chart="airflow",
              values=AIRFLOW_LIKE_VALUES)  # fmt: skip
    e = estimate(r, plan(r, rel))
    rate = K8S["rates"]
    pods = 2 * (0.25 * rate["vcpu_hour"] + 1 * rate["gib_hour"]) + 2 * (0.5 * rate["vcpu_hour"] + 1 * rate["gib_hour"])
    assert e.line("orchestrator-airflow").monthly_usd == pytest.approx(HOURS * pods + 10 * rate["storage_gb_month"])


def test_helm_volumes_on_aws_are_ebs(aws_resolved):
    r = aws_resolved()
    values = {"prometheus": {"prometheusSpec": {"replicas": 2, "resources": {"requests": {"cpu": "1", "memory": "4Gi"}},
              "storageSpec": {"volumeClaimTemplate": {"spec": {"resources": {"requests": {"storage": "100Gi"}}}}}}}}
    rel = res("kubernetes:helm.sh/v3:Release", "monitoring-prometheus", "monitoring", chart="kube-prometheus-stack",
              values=values)  # fmt: skip
    plain = res("kubernetes:helm.sh/v3:Release", "cluster-autoscaler", "cluster", chart="cluster-autoscaler",
                values={"resources": {"requests": {"cpu": "100m"}}})  # fmt: skip
    e = estimate(r, plan(r, rel, plain))
    # Pods run on the priced node groups; the two 100 GiB volumes (one per replica) are EBS gp3.
    assert e.line("monitoring-prometheus").monthly_usd == pytest.approx(2 * 100 * USE1["ebs"]["gp3_gb_month"])
    assert e.line("cluster-autoscaler").status == "free"


def test_opaque_components_get_a_line(k8s_resolved):
    r = k8s_resolved()
    kfp = res("kubernetes:kustomize/v2:Directory", "orchestrator-kfp-base", "orchestrator", directory="github.com/x")
    kfp.custom = False  # a remote component: its children never reach an offline plan
    e = estimate(r, plan(r, kfp))
    assert [ln.name for ln in e.coverage.unpriced] == ["orchestrator-kfp-base"]


def test_seldon_deployment_with_hpa_spec_and_kserve_canary(k8s_resolved):
    r = k8s_resolved()
    pod = {"containers": [container("500m", "1Gi")]}
    sdep = k8s("SeldonDeployment", "machinelearning.seldon.io/v1", "serving-fraud", "serving",
               {"predictors": [{"name": "main", "replicas": 2.0,
                                "componentSpecs": [{"spec": pod, "hpaSpec": {"minReplicas": 2.0, "maxReplicas": 6.0}}]}]})  # fmt: skip
    isvc = k8s("InferenceService", "serving.kserve.io/v1beta1", "serving-churn", "serving",
               {"predictor": {"minReplicas": 1.0, "maxReplicas": 1.0, "canaryTrafficPercent": 10.0,
                              "model": {"modelFormat": {"name": "sklearn"},
                                        "resources": {"requests": {"cpu": "1", "memory": "2Gi"}}}}})  # fmt: skip
    e = estimate(r, plan(r, sdep, isvc))
    rate = K8S["rates"]
    per = HOURS * (0.5 * rate["vcpu_hour"] + 1 * rate["gib_hour"])
    line = e.line("serving-fraud")
    assert (line.min_monthly_usd, line.max_monthly_usd) == (pytest.approx(2 * per), pytest.approx(6 * per))
    # canary: the new and the previous revision each run their minimum
    assert e.line("serving-churn").monthly_usd == pytest.approx(2 * HOURS * (rate["vcpu_hour"] + 2 * rate["gib_hour"]))
