"""KServe v0.20.0 as it installs and behaves (issue 12): Standard mode, cert-manager, a canary
that exists, a scale metric the mode accepts, request logs in the report bucket."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from mlplat.cli.main import cli
from mlplat.modules.serving import ModelServing, ModelServingArgs

from tests.conftest import EXAMPLES
from tests.modules import workload_harness as h
from tests.plans import reference
from tests.unit.spec_text import at

# kserve v0.20.0 pkg/constants/constants.go + inference_service_validation.go: the metrics each
# mode's autoscaler accepts (Knative's KPA: concurrency|rps; Standard's HPA: cpu|memory).
ALLOWED_METRICS = {"Standard": {"cpu", "memory"}, "RawDeployment": {"cpu", "memory"},
                   "Knative": {"concurrency", "rps"}, "Serverless": {"concurrency", "rps"}}  # fmt: skip


@pytest.fixture(scope="module")
def plan():
    return reference("platform", "prod")[1]


def test_cert_manager_is_installed_before_kserve(plan):
    cm = plan.named("cluster-operators-cert-manager")
    assert cm is not None, "kserve-resources renders a cert-manager Certificate: cert-manager must be in the plan"
    assert (cm.inputs["chart"], cm.inputs["version"]) == ("cert-manager", "v1.21.1")
    assert cm.inputs["repositoryOpts"]["repo"] == "https://charts.jetstack.io"
    assert cm.inputs["values"]["crds"]["enabled"] is True  # the chart's CRDs (Certificate, Issuer)
    assert cm.urn in plan.named("serving-kserve").dependencies


def test_standard_mode_everywhere_and_a_scale_metric_it_accepts(plan):
    controller = plan.named("serving-kserve").inputs["values"]["kserve"]["controller"]
    assert controller["deploymentMode"] == "Standard"  # no Knative/Istio in the plan
    assert plan.of_type("kubernetes:serving.kserve.io/v1beta1:InferenceService")
    for r in plan.of_type("kubernetes:serving.kserve.io/v1beta1:InferenceService"):
        mode = r.inputs["metadata"]["annotations"]["serving.kserve.io/deploymentMode"]
        assert mode == "Standard"
        metric = r.inputs["spec"]["predictor"]["scaleMetric"]
        assert metric in ALLOWED_METRICS[mode], f"{r.name}: [{metric}] is not a supported metric in {mode}"
        assert 1 <= r.inputs["spec"]["predictor"]["scaleTarget"] <= 100  # cpu utilisation target


def test_the_canary_is_a_second_deployment_kserve_actually_runs(plan):
    r = plan.named("serving-churn-classifier")
    predictor = r.inputs["spec"]["predictor"]
    # canaryTrafficPercent is read only by the Knative reconciler: in Standard mode it did nothing.
    assert "canaryTrafficPercent" not in predictor
    (canary,) = r.inputs["spec"]["canary"]
    assert canary["predictor"]["name"] == "canary" and canary["trafficPercent"] == 10
    # validateCanarySpecs: fixed replicas, so none of the scale fields on the canary.
    assert not {"maxReplicas", "scaleTarget", "scaleMetric", "autoScaling"} & set(canary["predictor"])
    assert canary["predictor"]["model"]["storageUri"].endswith("/churn-classifier/v4")
    assert predictor["model"]["storageUri"].endswith("/churn-classifier/v3")


def test_the_endpoint_service_reaches_both_revisions(plan):
    svc = plan.named("serving-churn-classifier-endpoint")
    assert svc.type == "kubernetes:core/v1:Service"
    predictor = plan.named("serving-churn-classifier").inputs["spec"]["predictor"]
    # KServe copies the stable predictor (labels included) into the canary, so a selector made
    # of predictor labels matches the pods of both Deployments.
    assert svc.inputs["spec"]["selector"].items() <= predictor["labels"].items()
    assert svc.inputs["spec"]["ports"][0]["targetPort"] == 9081  # through the logger agent


def test_requests_are_logged_under_the_agreed_prefix(plan):
    predictor = plan.named("serving-churn-classifier").inputs["spec"]["predictor"]
    # Layout agreed with the drift-report job: s3://<report bucket>/inference-logs/<model>/
    assert predictor["logger"] == {"mode": "all", "url": "s3://churn-prod-artifacts-123456789012/inference-logs/churn-classifier"}  # offline account
    # The role policy (bucket ARNs are unknown offline in the full plan: build it with known ones).
    ctx = h.context("platform", "prod")
    buckets = {b.name: h.bucket(ctx, b.name) for b in ctx.resolved.spec.storage.buckets}

    def program() -> None:
        ModelServing("serving", ModelServingArgs(ctx, ctx.resolved.spec.serving, h.cluster(True), buckets,
                                                 buckets["artifacts"]))  # fmt: skip

    policy = json.loads(h.run(program).named("serving-sa-irsa-policy").inputs["policy"])
    puts = {r for s in policy["Statement"] if "s3:PutObject" in s["Action"] for r in s["Resource"]}
    assert puts == {"arn:aws:s3:::churn-prod-artifacts-123456789012/inference-logs/*"}  # nowhere near the models


def _validate(tmp_path, old, new):
    text = (EXAMPLES / "platform.yaml").read_text()
    assert old in text
    text = text.replace(old, new, 1)
    spec = tmp_path / "platform.yaml"
    spec.write_text(text)
    return spec, text, CliRunner().invoke(cli, ["validate", str(spec)])


def test_validate_refuses_a_kserve_canary_that_would_run_no_pods(tmp_path):
    spec, text, res = _validate(tmp_path, "replicas: {min: 2, max: 10}", "replicas: {min: 0, max: 10}")
    assert res.exit_code == 2, res.output
    # Located at the canary mapping (its first key); staging keeps the base replicas (dev and prod override them).
    loc = at(text, "uri: s3://churn-prod-artifacts/models/churn-classifier/v4")
    assert res.stderr.startswith(
        f"{spec}:{loc}: serving.models[0].canary: a KServe canary runs ceil(replicas.min × traffic_percent / 100) pods"
    ), res.stderr


def test_validate_refuses_a_kserve_canary_of_a_custom_image(tmp_path):
    _, _, res = _validate(
        tmp_path,
        "      format: sklearn\n      uri: s3://churn-prod-artifacts/models/churn-classifier/v3",
        "      format: custom\n      uri: oci://ghcr.io/acme/churn:3.0.0",
    )
    assert res.exit_code == 2 and "serving.models[0].canary: KServe canaries need a model format" in res.stderr, res.output


@pytest.mark.parametrize("version", ["0.13.1", "v0.19.0", "latest"])
def test_validate_refuses_kserve_versions_without_the_charts_mlplat_installs(tmp_path, version):
    # kserve-resources exists from v0.17, spec.canary from v0.20 (kserve CHANGELOG / charts/).
    _, _, res = _validate(tmp_path, "  kind: kserve\n", f"  kind: kserve\n  version: \"{version}\"\n")
    assert res.exit_code == 2 and "serving.version: KServe" in res.stderr, res.output


def test_validate_accepts_the_pinned_kserve_version(tmp_path):
    _, _, res = _validate(tmp_path, "  kind: kserve\n", '  kind: kserve\n  version: "v0.20.0"\n')
    assert res.exit_code == 0, res.output
