from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule, containers, iter_pod_specs
from ..helpers import k8s_kind, secretish, walk_paths

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource

CREDENTIAL_NAME = re.compile(
    r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIAL)", re.IGNORECASE
)
NOT_A_SECRET = re.compile(r"(_FILE|_PATH|_NAME|_REF|_ARN|_ENDPOINT|_URL_SECRET_NAME)$", re.IGNORECASE)
AWS_ACCESS_KEY = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b")
PASSWORD_INPUTS = ("password", "masterPassword", "authToken", "adminPassword")


class NoPlaintextCredentials(PlanRule):
    """No credential reaches the plan (and so the state file) as plaintext: database passwords and
    tokens are Pulumi secrets, container environment variables that hold credentials come from a
    Secret (valueFrom), and no AWS access key appears anywhere."""

    id = "MLP-SEC-001"
    name = "Ensure no credential appears in plaintext in the plan"
    default_level = "mandatory"
    remediation = "Reference credentials ({from_env}/{secret_ref} in the spec, secretKeyRef in pods); never inline them."

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        for key in PASSWORD_INPUTS:
            v = res.inputs.get(key)
            if isinstance(v, str) and v and not secretish(v):
                yield f"{res.name}.{key} is a plaintext value (not a secret)"
        if k8s_kind(res) == "Secret":
            for field in ("data", "stringData"):
                values = res.inputs.get(field)
                for k, v in values.items() if isinstance(values, dict) else ():
                    if isinstance(v, str) and v and not secretish(v) and CREDENTIAL_NAME.search(k):
                        yield f"Secret {res.name} holds {field}.{k} in plaintext (not a Pulumi secret)"
        for _, pod in iter_pod_specs(res):
            for c in containers(pod):
                for env in c.get("env") or []:
                    name, value = env.get("name", ""), env.get("value")
                    if (
                        isinstance(value, str)
                        and value
                        and not secretish(value)
                        and CREDENTIAL_NAME.search(name)
                        and not NOT_A_SECRET.search(name)
                    ):
                        yield f"container {c.get('name', '?')} in {res.name} sets {name} as a literal"
        for path, v in walk_paths(res.inputs):
            if isinstance(v, str) and AWS_ACCESS_KEY.search(v):
                yield f"{res.name}.{path} contains an AWS access key id"
