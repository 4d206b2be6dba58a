from __future__ import annotations

from collections.abc import Iterable

from ..base import PlanContext, PlanRule, Violation
from ..helpers import walk_paths

# What a generated credential looks like under the offline engine (mlplat.stacks.plan.offline): the
# engine lets it flow as a known value, so if it ever surfaces in a plan it was not kept secret.
GENERATED_MARKER = "mlplat-offline-generated-secret"
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"


class GeneratedPasswordsSecret(PlanRule):
    """Generated credentials (RandomPassword results) stay Pulumi secrets wherever they flow: into
    databases, Kubernetes Secrets, connection strings. A plaintext copy would land in the state file."""

    id = "MLP-SEC-002"
    name = "Ensure generated passwords stay secret wherever they are used"
    default_level = "mandatory"
    remediation = (
        "Wrap values derived from generated passwords in pulumi.Output.secret (mlplat's components do)."
    )
    stack = True
    crossguard = False  # relies on the offline engine's stand-in value

    def check(self, ctx: PlanContext) -> Iterable[Violation]:
        for res in ctx.plan.resources:
            if res.type == RANDOM_PASSWORD:
                continue
            for path, v in walk_paths(res.inputs):
                if isinstance(v, str) and GENERATED_MARKER in v:
                    yield Violation(
                        res.name,
                        f"{res.name}.{path} carries a generated password in plaintext",
                        resource_type=res.type,
                        urn=res.urn,
                        component=res.component,
                    )
