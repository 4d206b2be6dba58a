"""Database credentials for workloads, with the RDS master password kept out of Pulumi state.

On aws, RDS manages the master password (`manage_master_user_password`): RDS creates it in a
Secrets Manager secret encrypted with the platform key (JSON keys `username`, `password`) and
rotates it, every 7 days unless told otherwise. Neither mlplat nor Pulumi ever sees the value.
Workloads get it through the External Secrets Operator:

- in every namespace that connects to the database, a `SecretStore` (`db-credentials`) reads
  that one secret through an IRSA role scoped to its ARN (and kms:Decrypt on the key, through
  Secrets Manager only);
- each Kubernetes Secret a workload reads (a connection URL, `PGPASSWORD`, a config file) is an
  `ExternalSecret` whose template puts the password where it goes, encoded for its place
  (URL-encoded in a URL, `%` doubled inside MLflow's ConfigParser ini);
- after a rotation the operator rewrites the Secret within `REFRESH`, and Reloader (a pinned
  release beside the operator) restarts the workloads that read it: the generated Secret
  carries `RELOAD_LABEL`, the one label Reloader watches.

Where the password is ours (in-cluster Postgres on kubernetes targets), the same values are
rendered here and written as an Opaque Secret (a Pulumi secret), so callers do not branch.

A value is written once, as text with `PASSWORD_MARK` where the password goes; `direct_value`
and `template_value` fill it for the two routes. Pure functions first, then the resources.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s

from . import k8s as kx
from .common import ClusterRef, Context, DatabaseEndpoint

# Letters only: URL quoting, ini escaping and Go-template escaping all leave it as it is.
PASSWORD_MARK = "MLPLATxDATABASExPASSWORDxMARK"
STORE = "db-credentials"  # the SecretStore and its ServiceAccount, in each consumer namespace
REMOTE_KEY = "password"  # property of the RDS-managed secret's JSON
# How long a rotated password may take to reach the Secret: each ExternalSecret reads the secret
# this often (about 8,800 GetSecretValue calls a month, $0.04 at $0.05 per 10,000).
REFRESH = "5m"
RELOAD_LABEL = ("mlplat.io/reload-consumers", "true")  # Reloader's --resource-label-selector

Encoding = Literal["raw", "url", "url-ini", "literal"]

# ESO template engine v2: Go text/template (`urlquery` is a builtin) plus sprig (`replace`).
GO_EXPRESSIONS: dict[str, str] = {
    "raw": "{{ .password }}",
    "url": "{{ .password | urlquery }}",
    "url-ini": '{{ .password | urlquery | replace "%" "%%" }}',
}

# --------------------------------------------------------------------------- pure


def postgres_url(
    host: str, port: int | str, username: str, password: str, database: str, *, driver: str = "postgresql",
    sslmode: str | None = None,
) -> str:  # fmt: skip
    """A SQLAlchemy/libpq URL with the credentials percent-encoded."""
    user = urllib.parse.quote(username, safe="")
    pw = urllib.parse.quote(password, safe="")
    url = f"{driver}://{user}:{pw}@{host}:{int(float(port))}/{database}"
    return f"{url}?sslmode={sslmode}" if sslmode else url


def url_text(
    host: str, port: int | str, username: str, database: str, *, driver: str = "postgresql", sslmode: str | None = None
) -> str:  # fmt: skip
    """A connection URL with `PASSWORD_MARK` where the (URL-encoded) password goes."""
    return postgres_url(host, port, username, PASSWORD_MARK, database, driver=driver, sslmode=sslmode)


def encode(password: str, encoding: Encoding) -> str:
    """The password as it must appear in its place (what the ESO template computes, for our own)."""
    if encoding in ("raw", "literal"):
        return password
    quoted = urllib.parse.quote(password, safe="")
    return quoted.replace("%", "%%") if encoding == "url-ini" else quoted


def go_literal(text: str) -> str:
    """`text` as literal output of a Go template: `{{` is the only sequence the engine reads."""
    return text.replace("{{", '{{ "{{" }}')


def _marked(text: str, encoding: Encoding) -> None:
    want = 0 if encoding == "literal" else 1
    if text.count(PASSWORD_MARK) != want:
        raise ValueError(f"a {encoding} credential value holds the password mark {text.count(PASSWORD_MARK)} times, not {want}")


def direct_value(text: str, encoding: Encoding, password: str) -> str:
    """The value with the password filled in (our own password: in-cluster Postgres)."""
    _marked(text, encoding)
    return text.replace(PASSWORD_MARK, encode(password, encoding))


def template_value(text: str, encoding: Encoding) -> str:
    """The ESO template that renders the value from the managed secret's `password`."""
    _marked(text, encoding)
    if encoding == "literal":
        return go_literal(text)
    return go_literal(text).replace(PASSWORD_MARK, GO_EXPRESSIONS[encoding])


def secret_read_policy(secret_arn: str, kms_key_arn: str | None, region: str | None) -> dict[str, Any]:
    """Read one secret, nothing else; decrypt with its key only when Secrets Manager asks."""
    statements: list[dict[str, Any]] = [{
        "Sid": "ReadDatabaseSecret", "Effect": "Allow",
        "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], "Resource": [secret_arn],
    }]  # fmt: skip
    if kms_key_arn:
        via = f"secretsmanager.{region}.amazonaws.com" if region else "secretsmanager.*.amazonaws.com"
        op = "StringEquals" if region else "StringLike"
        statements.append({
            "Sid": "DecryptDatabaseSecret", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [kms_key_arn],
            "Condition": {op: {"kms:ViaService": via}},
        })  # fmt: skip
    return {"Version": "2012-10-17", "Statement": statements}


def store_spec(region: str | None) -> dict[str, Any]:
    """`SecretStore` spec: Secrets Manager, the namespace's `db-credentials` account (IRSA, jwt)."""
    aws: dict[str, Any] = {"service": "SecretsManager", "auth": {"jwt": {"serviceAccountRef": {"name": STORE}}}}
    if region:
        aws["region"] = region
    return {"provider": {"aws": aws}}


def external_secret_spec(
    secret_name: str, arn: pulumi.Input[str], templates: Mapping[str, pulumi.Input[str]],
    template_secret: tuple[str, Sequence[str]] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """`ExternalSecret` spec: the secret's `password` rendered into `templates` (key → template),
    and into the keys of `template_secret` (a Secret holding templates: (name, keys)), each
    written under its own key.

    mergePolicy Replace (the default): only the templated keys are written, never the bare
    password under a key nobody asked for."""
    template: dict[str, Any] = {
        "engineVersion": "v2",
        "mergePolicy": "Replace",
        "type": "Opaque",
        "metadata": {"labels": dict([RELOAD_LABEL])},
    }
    if templates:
        template["data"] = dict(templates)
    if template_secret is not None:
        holder, keys = template_secret
        template["templateFrom"] = [
            {"secret": {"name": holder, "items": [{"key": k, "templateAs": "Values"} for k in keys]}}
        ]
    return {
        "refreshInterval": REFRESH,
        "secretStoreRef": {"kind": "SecretStore", "name": STORE},
        "target": {
            "name": secret_name,
            "creationPolicy": "Owner",
            "template": template,
        },
        "data": [{"secretKey": "password", "remoteRef": {"key": arn, "property": REMOTE_KEY}}],
    }


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Credential:
    """A Secret value made from the database password: `text` with `PASSWORD_MARK` where the
    password goes, and how it is encoded there."""

    text: pulumi.Input[str]
    encoding: Encoding = "raw"
    # The text itself holds a secret (MLflow's ini holds the admin password): its template then
    # lives in a Secret the ExternalSecret reads (`templateFrom`), not in the ExternalSecret's spec.
    secret_text: bool = False


def literal(text: pulumi.Input[str]) -> Credential:
    """A value without the password that belongs beside it (a user name)."""
    return Credential(text, "literal")


def password() -> Credential:
    """The bare password (PGPASSWORD, a password key a chart reads)."""
    return Credential(PASSWORD_MARK)


def url(db: DatabaseEndpoint, database: str | None = None, *, driver: str = "postgresql", sslmode: str | None = None) -> Credential:
    """The connection URL of `db` (optionally another database on it), the password URL-encoded."""
    name = database or db.database
    text = pulumi.Output.all(db.host, db.port).apply(
        lambda a: url_text(str(a[0]), a[1], db.username, name, driver=driver, sslmode=sslmode)
    )
    return Credential(text, "url")


# --------------------------------------------------------------------------- resources


@dataclass(frozen=True)
class Store:
    """The `db-credentials` SecretStore of one namespace (ExternalSecrets depend on `resource`)."""

    namespace: str
    resource: pulumi.Resource


def secret_store(
    ctx: Context, component: str, name: str, namespace_: str, db: DatabaseEndpoint, cluster: ClusterRef,
    parent: pulumi.Resource, depends_on: Sequence[pulumi.Resource] | None = None,
) -> Store | None:  # fmt: skip
    """The namespace's reader of `db`'s managed secret, or None when the password is ours.

    Children: `{name}-irsa` (+ `-policy`: GetSecretValue on the one ARN), `{name}-sa`
    (ServiceAccount `db-credentials`, no token mounted: the operator asks for one) and `{name}`
    (the SecretStore, after the External Secrets release)."""
    managed = db.managed
    if managed is None:
        return None
    from .aws_iam import granted_arn, irsa_role

    policy = pulumi.Output.all(managed.secret_arn, managed.kms_key_arn).apply(
        lambda a: json.dumps(secret_read_policy(str(a[0]), str(a[1]) if a[1] else None, ctx.region))
    )
    role = irsa_role(ctx, component, f"{name}-irsa", STORE, namespace_, policy, cluster, parent)
    sa = kx.service_account(
        ctx, component, f"{name}-sa", STORE, namespace_, cluster, parent, role_arn=granted_arn(role),
        depends_on=depends_on,
    )  # fmt: skip
    operator = cluster.operators.get("external-secrets")
    store = k8s.apiextensions.CustomResource(
        name,
        api_version="external-secrets.io/v1",
        kind="SecretStore",
        metadata=kx.wire(kx.object_meta(ctx, component, STORE, namespace_)),
        spec=store_spec(ctx.region),
        opts=kx.k8s_opts(cluster, parent, [sa, *([operator] if operator is not None else [])]),
    )
    return Store(namespace_, store)


def _direct(value: Credential, own: pulumi.Output[str]) -> pulumi.Output[str]:
    return pulumi.Output.all(value.text, own).apply(lambda a: direct_value(str(a[0]), value.encoding, str(a[1])))


def _template(value: Credential) -> pulumi.Output[str]:
    return pulumi.Output.from_input(value.text).apply(lambda t: template_value(str(t), value.encoding))


def credentials_secret(
    ctx: Context, component: str, name: str, secret_name: str, namespace_: str, values: Mapping[str, Credential],
    db: DatabaseEndpoint, store: Store | None, cluster: ClusterRef, parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] | None = None,
) -> pulumi.Resource:  # fmt: skip
    """The Secret `secret_name` holding `values`: an ExternalSecret rendering them from the managed
    secret (through `store`), or an Opaque Secret with our own password filled in."""
    if db.managed is None:
        own = db.password
        if own is None:
            raise ValueError(f"{name}: the database has neither a password nor a managed secret")
        data = {key: _direct(v, own) for key, v in values.items()}
        return kx.opaque_secret(ctx, component, name, secret_name, namespace_, data, cluster, parent, depends_on=depends_on)
    if store is None or store.namespace != namespace_:
        raise ValueError(f"{name}: a managed database password needs the SecretStore of namespace {namespace_}")
    # Leaf by leaf: an unknown host (an instance not yet created) leaves the rest of the spec in the plan.
    templates = {key: _template(v) for key, v in values.items()}
    hidden = [k for k, v in values.items() if v.secret_text]
    waits = [*(depends_on or []), store.resource]
    holder: tuple[str, Sequence[str]] | None = None
    if hidden:
        holder = (f"{secret_name}-template", hidden)
        waits.append(kx.opaque_secret(
            ctx, component, f"{name}-template", holder[0], namespace_, {k: templates[k] for k in hidden}, cluster, parent,
            depends_on=depends_on,
        ))  # fmt: skip
    inline = {k: t for k, t in templates.items() if k not in hidden}
    return k8s.apiextensions.CustomResource(
        name,
        api_version="external-secrets.io/v1",
        kind="ExternalSecret",
        metadata=kx.wire(kx.object_meta(ctx, component, secret_name, namespace_)),
        spec=external_secret_spec(secret_name, db.managed.secret_arn, inline, holder),
        opts=kx.k8s_opts(cluster, parent, waits),
    )


__all__ = [
    "GO_EXPRESSIONS", "PASSWORD_MARK", "RELOAD_LABEL", "STORE", "Credential", "Store", "credentials_secret", "direct_value",
    "encode", "external_secret_spec", "go_literal", "literal", "password", "postgres_url", "secret_read_policy", "secret_store", "store_spec",
    "template_value", "url", "url_text",
]  # fmt: skip
