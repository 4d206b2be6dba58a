"""validate on secrets.vault and `secret_ref: "vault/<path>"`: each refusal located, with the fix."""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.unit.spec_text import diagnostics

HEAD = """\
apiVersion: mlplat.io/v1alpha1
kind: Platform
metadata: {name: lab}
target: {provider: kubernetes, context: lab}
environments: {dev: {}, prod: {}}
monitoring:
  grafana: {admin_password: {secret_ref: "vault/lab/grafana#password"}}
"""
VAULT = "secrets: {vault: {address: 'https://vault.lab.example:8200', auth: {kind: kubernetes, role: mlplat}}}\n"


def check(tmp_path: Path, body: str, head: str = HEAD) -> list[str]:
    path = tmp_path / "platform.yaml"
    path.write_text(head + textwrap.dedent(body))
    return diagnostics(path)


def test_a_vault_section_makes_vault_refs_valid(tmp_path):
    assert check(tmp_path, VAULT) == []


def test_a_vault_ref_without_a_vault_section_says_how_to_add_one(tmp_path):
    errs = check(tmp_path, "")
    # line 7 holds the ref; column 42 is where its value starts
    assert errs == [
        ("platform.yaml:7:42: monitoring.grafana.admin_password.secret_ref: 'vault/lab/grafana#password' reads from "
        "Vault, but the spec has no secrets.vault section: add secrets: {vault: {address: https://vault.example:8200, "
        "auth: {kind: kubernetes, role: <role>}}} (mlplat then creates the ClusterSecretStore `vault`)")
    ]


def test_other_stores_stay_prerequisites(tmp_path):
    head = HEAD.replace("vault/lab/grafana#password", "aws-secrets-manager/lab/grafana")
    assert check(tmp_path, "", head) == []


def test_http_needs_an_explicit_opt_in(tmp_path):
    errs = check(tmp_path, "secrets: {vault: {address: 'http://vault.lab:8200', auth: {kind: kubernetes, role: r}}}\n")
    assert errs == [
        ("platform.yaml:8:28: secrets.vault.address: Vault must be reached over https (tokens and secrets cross the "
        "network); set allow_http: true only for a lab Vault without TLS")
    ]
    assert check(tmp_path, "secrets: {vault: {address: 'http://vault.lab:8200', allow_http: true, "
                           "auth: {kind: kubernetes, role: r}}}\n") == []  # fmt: skip


def test_the_address_is_a_bare_url(tmp_path):
    errs = check(tmp_path, "secrets: {vault: {address: 'https://user:pw@vault/x', auth: {kind: kubernetes, role: r}}}\n")
    assert len(errs) == 1 and errs[0].startswith("platform.yaml:8:28: secrets.vault.address: ")
    assert "pw" not in errs[0].split("got")[0]


def test_kubernetes_auth_needs_a_role(tmp_path):
    errs = check(tmp_path, "secrets: {vault: {address: 'https://v.example', auth: {kind: kubernetes}}}\n")
    assert errs == [("platform.yaml:8:55: secrets.vault.auth: kubernetes auth needs role: the Vault role bound to the "
                    "operator's ServiceAccount (external-secrets/external-secrets)")]  # fmt: skip


def test_approle_needs_role_id_and_a_secret_id_outside_any_store(tmp_path):
    errs = check(tmp_path, "secrets: {vault: {address: 'https://v.example', auth: {kind: approle}}}\n")
    assert errs == [
        "platform.yaml:8:55: secrets.vault.auth: approle auth needs role_id",
        ("platform.yaml:8:55: secrets.vault.auth: approle auth needs secret_id ({from_env: VAR} or "
        "{secret_ref: 'kubernetes/<secret>/<key>'})"),
    ]
    errs = check(tmp_path, textwrap.dedent("""\
        secrets:
          vault:
            address: https://v.example
            auth: {kind: approle, role_id: r-1, secret_id: {secret_ref: vault/approle/secret-id}}
        """))
    # the operator needs the secret ID to reach Vault: it cannot come from Vault (or another store)
    assert errs == [
        ("platform.yaml:11:65: secrets.vault.auth.secret_id.secret_ref: the Vault login secret cannot come from the "
        "store 'vault' (the operator needs it to reach any store): use {from_env: VAR} or "
        "{secret_ref: 'kubernetes/<secret>/<key>'}")
    ]
    assert check(tmp_path, textwrap.dedent("""\
        secrets:
          vault:
            address: https://v.example
            auth: {kind: approle, role_id: r-1, secret_id: {from_env: VAULT_SECRET_ID}}
        """)) == []


def test_compose_runs_no_secret_operator(tmp_path):
    head = HEAD.replace("{provider: kubernetes, context: lab}", "{provider: compose}").replace(
        'monitoring:\n  grafana: {admin_password: {secret_ref: "vault/lab/grafana#password"}}\n', "")
    errs = check(tmp_path, VAULT, head)
    assert errs == [("platform.yaml:6:18: secrets.vault: the compose target runs no External Secrets Operator: "
                    "secrets.vault applies to aws and kubernetes targets")]  # fmt: skip


def test_unknown_auth_kind_is_refused(tmp_path):
    errs = check(tmp_path, "secrets: {vault: {address: 'https://v.example', auth: {kind: token}}}\n")
    assert len(errs) == 1 and errs[0].startswith("platform.yaml:8:62: secrets.vault.auth.kind:")


def test_an_existing_secret_id_must_be_a_secret_name_and_key(tmp_path):
    errs = check(tmp_path, textwrap.dedent("""\
        secrets:
          vault:
            address: https://v.example
            auth: {kind: approle, role_id: r-1, secret_id: {secret_ref: kubernetes/Vault Login/id}}
        """))
    assert errs == ["platform.yaml:11:65: secrets.vault.auth.secret_id.secret_ref: expected kubernetes/<secret>/<key>: "
                    "a lowercase DNS name, then a key of letters, digits, '-', '_' or '.'"]  # fmt: skip
