"""What the generators can build, checked by validate (issue 14: whatever validates, plans).

These rules used to fire only at plan time, deep in modules/, as ValueErrors (exit 3 or a
late exit). validate cannot import modules/ (a higher layer), so the few facts they rest on
are stated here; tests/unit/test_validate_implies_plan.py asserts they equal the modules'
own tables, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterator

from mlplat.stacks.platform_spec.model import PlatformSpec

# modules/serving.py SELDON_SERVERS: the formats Seldon Core has a pre-packaged server for.
SELDON_FORMATS = ("sklearn", "xgboost", "tensorflow", "mlflow", "triton", "onnx", "pytorch", "huggingface")


def findings(spec: PlatformSpec) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(path, message) for every choice the generators cannot build or would ignore."""
    yield from _no_effect(spec)
    t = spec.tracking
    if t is not None:
        ref = t.auth.admin_password if t.auth is not None else None
        if t.auth is not None and t.auth.kind == "basic" and ref is not None and ref.secret_ref is not None:
            yield (
                ("tracking", "auth", "admin_password", "secret_ref"),
                (
                    "basic auth reads its admin password from the environment at deploy time: use "
                    "{from_env: VAR}, or leave admin_password unset to generate one (secret_ref is not supported here)"
                ),
            )
    # Versions (MLflow, Airflow, Kubeflow Pipelines, Feast) are checked in semantic.py against what
    # mlplat pins and vendors.
    s = spec.serving
    if s is not None:
        for i, m in enumerate(s.models):
            base = ("serving", "models", i)
            uris = [(base + ("uri",), m.uri)] + ([(base + ("canary", "uri"), m.canary.uri)] if m.canary else [])
            for path, uri in uris:
                if s.kind == "bentoml" and not uri.startswith("oci://"):
                    yield path, "bentoml serves a built Bento image: the uri must be oci://<image>:<tag>"
                elif m.format == "custom" and s.kind in ("kserve", "seldon") and not uri.startswith("oci://"):
                    yield path, "format custom runs your own image: the uri must be oci://<image>:<tag>"
            if s.kind == "sagemaker" and spec.target.provider == "aws":
                yield from _sagemaker_image(spec.target.region, m, base)
            if s.kind == "seldon" and m.format not in SELDON_FORMATS and m.format != "custom":
                yield (
                    base + ("format",),
                    (
                        f"Seldon Core has no pre-packaged server for {m.format!r} (it has: "
                        f"{', '.join(SELDON_FORMATS)}); use kind kserve, or format custom with an oci:// image"
                    ),
                )


def _sagemaker_image(region: str, m: object, base: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """A framework image must exist in the target region (found by the property test: sklearn
    in ap-southeast-7 validated, then failed in preview)."""
    from mlplat.stacks.platform_spec import sagemaker_catalog as smc

    fmt = getattr(m, "format", "")
    if getattr(m, "image", None) is not None or fmt not in smc.SAGEMAKER_FORMATS:
        return  # an own image, or a format semantic.py already refuses
    if smc.framework_image(fmt, region, getattr(m, "instance_type", None) or "ml.m5.large") is None:
        yield base + ("format",), (
            f"SageMaker publishes no {fmt} framework image in {region}: set image to your own, or choose another region"
        )


def _no_effect(spec: PlatformSpec) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Keys the user wrote that change nothing on this target: silently ignoring them would
    let a reader believe they apply. (Only keys written in the spec or a profile count.)
    Database keys on kubernetes are checked with the database (stacks/platform_spec/semantic.py)."""
    if spec.target.provider == "kubernetes":
        if spec.cluster is not None:
            for key in ("kubernetes_version", "public_endpoint"):
                if key in spec.cluster.model_fields_set:
                    yield ("cluster", key), (
                        f"{key} has no effect on a kubernetes target: the cluster exists already (remove it)"
                    )
        fs = spec.feature_store
        if fs is not None and "node_type" in fs.redis.model_fields_set:
            yield ("feature_store", "redis", "node_type"), (
                "node_type is an ElastiCache node type: it has no effect on a kubernetes target (in-cluster Redis)"
            )
    elif spec.usage is not None and spec.usage.k8s_rates:
        yield ("usage", "k8s_rates"), "k8s_rates price kubernetes targets: they have no effect on provider aws"


__all__ = ["SELDON_FORMATS", "findings"]
