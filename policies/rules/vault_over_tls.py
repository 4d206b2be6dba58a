from __future__ import annotations

from collections.abc import Iterable

from ..base import SpecContext, SpecRule, Violation
from ..helpers import is_prod_spec


class VaultOverTls(SpecRule):
    """The External Secrets Operator sends its Vault login (a ServiceAccount token or an AppRole
    secret ID) and receives every secret over this connection: over plain http anyone on the path
    reads them. `secrets.vault.allow_http` lets a lab Vault without TLS validate; production refuses it."""

    id = "MLP-SEC-006"
    name = "Ensure the Vault secret store is reached over TLS in production"
    default_level = "mandatory"
    remediation = "Serve Vault over https and set secrets.vault.address to the https:// URL (drop allow_http)."

    def check(self, ctx: SpecContext) -> Iterable[Violation]:
        vault = ctx.spec.secrets.vault if ctx.spec.secrets is not None else None
        if vault is not None and vault.address.startswith("http://") and is_prod_spec(ctx):
            yield Violation(
                "vault",
                f"the Vault secret store {vault.address} is reached over plain http in production",
                ("secrets", "vault", "address"),
                component="cluster",
            )
