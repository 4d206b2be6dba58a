from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule
from ..helpers import is_set

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource


class SagemakerDataCaptureEncrypted(PlanRule):
    """An endpoint configuration encrypts its instance storage, and captured requests and responses
    (often personal data) with the platform key, not the S3 default."""

    id = "MLP-SM-001"
    name = "Ensure SageMaker endpoint storage and data capture are encrypted with the platform key"
    default_level = "mandatory"
    remediation = "Keep storage.encryption: kms (mlplat then passes the platform key to every endpoint configuration)."
    resource_types = ("aws:sagemaker/endpointConfiguration:EndpointConfiguration",)
    spec_anchor = ("serving",)
    checkov_equivalents = ("CKV_AWS_98",)

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        if not is_set(res.inputs.get("kmsKeyArn")):
            yield f"endpoint configuration {res.name} has no KMS key for its storage"
        capture = res.inputs.get("dataCaptureConfig")
        if isinstance(capture, dict) and not is_set(capture.get("kmsKeyId")):
            yield f"endpoint configuration {res.name} captures data without a KMS key"
