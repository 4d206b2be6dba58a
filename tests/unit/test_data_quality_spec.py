"""validate on data_quality: what Great Expectations needs, each refusal located with its fix."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.unit.spec_text import diagnostics

HEAD = """\
apiVersion: mlplat.io/v1alpha1
kind: Platform
metadata: {name: dq}
target: {provider: kubernetes, context: lab}
environments: {dev: {}}
"""


def check(tmp_path: Path, body: str, head: str = HEAD) -> list[str]:
    path = tmp_path / "platform.yaml"
    path.write_text(head + textwrap.dedent(body))
    return diagnostics(path)


def test_a_data_docs_bucket_is_enough(tmp_path):
    assert check(tmp_path, """\
        storage: {buckets: [{name: docs, purpose: data-docs}]}
        data_quality: {kind: great-expectations}
        """) == []


def test_without_a_data_docs_bucket_validate_says_how_to_declare_one(tmp_path):
    errs = check(tmp_path, """\
        storage: {buckets: [{name: artifacts, purpose: artifacts}]}
        data_quality: {kind: great-expectations}
        """)
    # line 7 (5 lines of HEAD, then storage); column 15 is where the data_quality mapping starts
    assert errs == [
        ("platform.yaml:7:15: data_quality: Great Expectations needs a bucket with purpose data-docs for its stores "
        "and Data Docs: declare one under storage.buckets, e.g. {name: data-docs, purpose: data-docs}")
    ]


def test_a_named_bucket_must_exist_and_hold_data_docs(tmp_path):
    errs = check(tmp_path, """\
        storage: {buckets: [{name: artifacts, purpose: artifacts}, {name: docs, purpose: data-docs}]}
        data_quality: {bucket: dcos}
        """)
    assert errs == [
        ("platform.yaml:7:24: data_quality.bucket: 'dcos' is not a declared bucket (declared: artifacts, docs); "
        "did you mean 'docs'?")
    ]
    errs = check(tmp_path, """\
        storage: {buckets: [{name: artifacts, purpose: artifacts}]}
        data_quality: {bucket: artifacts}
        """)
    assert errs == [
        ("platform.yaml:7:24: data_quality.bucket: bucket 'artifacts' has purpose artifacts; Great Expectations keeps "
        "its stores and Data Docs in a bucket of purpose data-docs (set storage.buckets[0].purpose: data-docs)")
    ]


def test_only_the_gx_release_whose_config_is_written(tmp_path):
    errs = check(tmp_path, """\
        storage: {buckets: [{name: docs, purpose: data-docs}]}
        data_quality: {version: "0.18.21"}
        """)
    assert len(errs) == 1 and errs[0].startswith("platform.yaml:7:25: data_quality.version: mlplat writes the GX Core "
                                                 "config of 1.24.1, not '0.18.21'")  # fmt: skip


def test_unknown_kind_and_key_are_refused(tmp_path):
    errs = check(tmp_path, """\
        storage: {buckets: [{name: docs, purpose: data-docs}]}
        data_quality: {kind: soda, buckt: docs}
        """)
    assert any(e.startswith("platform.yaml:7:22: data_quality.kind:") for e in errs), errs
    assert any(e.startswith("platform.yaml:7:28: data_quality.buckt:") and "did you mean 'bucket'" in e for e in errs), errs


def test_data_docs_are_never_exposed(tmp_path):
    errs = check(tmp_path, """\
        storage: {buckets: [{name: docs, purpose: data-docs}]}
        data_quality: {}
        ingress: {host: ml.lab.example, expose: [data-docs]}
        """, HEAD.replace("context: lab}", "context: lab, ingress_class: nginx}"))
    assert errs == [
        ('platform.yaml:8:42: ingress.expose[0]: Data Docs have no login to put behind the ingress: they stay private '
        '(an internal Service; reach them with kubectl port-forward, README "Great Expectations")')
    ]


def test_on_aws_it_needs_a_cluster(tmp_path):
    head = HEAD.replace("{provider: kubernetes, context: lab}", "{provider: aws, region: us-east-1}")
    errs = check(tmp_path, """\
        storage: {buckets: [{name: docs, purpose: data-docs}]}
        data_quality: {}
        """, head)
    assert errs == [("platform.yaml:7:15: data_quality: data_quality on provider: aws needs a cluster section "
                    "(it runs on Kubernetes)")]
