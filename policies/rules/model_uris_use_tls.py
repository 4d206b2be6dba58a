from __future__ import annotations

from collections.abc import Iterable

from ..base import SpecContext, SpecRule, Violation


class ModelUrisUseTls(SpecRule):
    """Models (and canaries) are fetched over an authenticated, encrypted channel: a plain http://
    download can be tampered with on the way, and the server would run the tampered model."""

    id = "MLP-SRV-003"
    name = "Ensure model URIs do not use plain HTTP"
    default_level = "mandatory"
    remediation = "Serve model files from s3://, gs://, pvc://, oci:// or https:// locations."

    def check(self, ctx: SpecContext) -> Iterable[Violation]:
        serving = ctx.spec.serving
        for i, m in enumerate(serving.models if serving else []):
            if m.uri.startswith("http://"):
                yield Violation(
                    m.name,
                    f"model {m.name} is fetched over plain HTTP",
                    ("serving", "models", i, "uri"),
                    component="serving",
                )
            if m.canary is not None and m.canary.uri.startswith("http://"):
                yield Violation(
                    m.name,
                    f"canary of model {m.name} is fetched over plain HTTP",
                    ("serving", "models", i, "canary", "uri"),
                    component="serving",
                )
