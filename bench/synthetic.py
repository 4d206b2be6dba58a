"""Synthetic specs for the benchmarks: the reference platform with many served models.

    from synthetic import synthetic_spec   # (bench/ on sys.path)
    text = synthetic_spec(200)             # 200 served models in prod
    text = synthetic_spec(1000, 96)        # 2,909 resources: 1,000 models, 100 buckets (the limits)

The reference spec's two models stay (ingress exposes `models/churn-classifier`); the others are
plain sklearn models `model-2` … `model-{n-1}` with their own URI, so every model adds the same
set of resources (InferenceService, its autoscaling and policies) and the marginal cost of a
model can be read off two sizes.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANCHOR = "serving:\n  kind: kserve\n  models:\n"


def synthetic_spec(models: int, buckets: int = 0) -> str:
    """examples/platform.yaml with `models` served models in total (at least 2; the spec's limit
    is 1,000) and `buckets` more versioned DVC buckets (7 resources each)."""
    base = (ROOT / "examples" / "platform.yaml").read_text()
    if ANCHOR not in base:
        raise SystemExit("examples/platform.yaml changed: update bench/synthetic.py's anchor")
    extra = []
    for i in range(2, models):
        extra += [
            f"    - name: model-{i}",
            "      format: sklearn",
            f"      uri: s3://churn-prod-artifacts/models/m{i}/v1",
            "      replicas: {min: 1, max: 3}",
        ]
    text = base.replace(ANCHOR, ANCHOR + "".join(line + "\n" for line in extra), 1)
    if buckets:
        anchor = "storage:\n  encryption: kms\n  buckets:\n"
        if anchor not in text:
            raise SystemExit("examples/platform.yaml changed: update bench/synthetic.py's storage anchor")
        more = "".join(f"    - {{name: data-{i}, purpose: dvc, versioning: true}}\n" for i in range(buckets))
        text = text.replace(anchor, anchor + more, 1)
    return text
