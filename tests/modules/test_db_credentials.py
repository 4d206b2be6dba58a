"""Issue 13 item 6: the RDS master password stays out of Pulumi state and still reaches workloads.

RDS manages the password (Secrets Manager, rotated); External Secrets renders the Secrets
workloads read from it; Reloader restarts them after a rotation. Judged against: SQLAlchemy's
URL parser and Python's configparser (what MLflow, Airflow and Feast read the values with),
ESO v2.9.0's template function list and CRDs (tests/upstream), and the plan of the reference spec.
"""

from __future__ import annotations

import configparser
import json
import re
import urllib.parse
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mlplat.modules import db_credentials as dc
from mlplat.modules.operators import reloader_values
from mlplat.modules.tracking import basic_auth_ini
from sqlalchemy.engine import make_url

from tests.plans import reference

UPSTREAM = Path(__file__).resolve().parents[1] / "upstream"
ESO_FUNCTIONS = json.loads((UPSTREAM / "external-secrets" / "template-functions-2.9.0.json").read_text())

# What an RDS-generated master password may hold: printable ASCII except '/', '"', '@' and space
# (AWS RDS user guide, "Password management with Amazon RDS and AWS Secrets Manager").
RDS_CHARS = "".join(c for c in map(chr, range(33, 127)) if c not in '/"@')
HOSTILE = "p%2F:#?&+=x{{ .password }}]%%"  # percent, URL delimiters, template braces
MARK = "MLPLATxDATABASExPASSWORDxMARK"  # input: where a caller's text puts the password
STORE = "db-credentials"  # the SecretStore and ServiceAccount name issue 13's design gives every consumer namespace
RELOAD = {"mlplat.io/reload-consumers": "true"}  # the label Reloader's --resource-label-selector names
# The ESO v2 actions for the password raw, in a URL (Go's urlquery), and in a URL inside a
# ConfigParser ini (sprig's replace doubles '%').
RAW, URL, URL_INI = "{{ .password }}", "{{ .password | urlquery }}", '{{ .password | urlquery | replace "%" "%%" }}'


def go_urlquery(value: str) -> str:
    """Go's text/template `urlquery` is url.QueryEscape: Python's quote_plus (same unreserved set)."""
    return urllib.parse.quote_plus(value)


def render_eso(template: str, password: str) -> str:
    """The actions mlplat emits, evaluated as ESO's engine would (one pass: output is not re-read)."""
    values = {
        '{{ "{{" }}': "{{",
        RAW: password,
        URL: go_urlquery(password),
        URL_INI: go_urlquery(password).replace("%", "%%"),
    }
    out = []
    for part in re.split(r"(\{\{.*?\}\})", template):
        if part.startswith("{{"):
            assert part in values, f"an action this test does not model: {part!r}"
            out.append(values[part])
        else:
            out.append(part)
    return "".join(out)


# --------------------------------------------------------------------------- pure


def test_every_template_function_exists_in_eso_2_9_0():
    names = set(ESO_FUNCTIONS["all_function_names"])
    assert [dc.template_value(MARK, e) for e in ("raw", "url", "url-ini")] == [RAW, URL, URL_INI]
    used = {fn for expr in (RAW, URL, URL_INI) for fn in re.findall(r"\|\s*(\w+)", expr)}
    assert used == {"urlquery", "replace"}
    assert used <= names


@given(st.text(alphabet=RDS_CHARS, min_size=1, max_size=40))
def test_a_url_parses_back_to_the_password_on_both_routes(pw):
    url = dc.url_text("db.internal", 5432, "mlplat", "mlflow", sslmode="require")
    direct = dc.direct_value(url, "url", pw)
    rendered = render_eso(dc.template_value(url, "url"), pw)
    for value in (direct, rendered):
        parsed = make_url(value)
        assert parsed.password == pw
        assert (parsed.host, parsed.port, parsed.database, parsed.query) == ("db.internal", 5432, "mlflow", {"sslmode": "require"})


@given(st.text(alphabet=RDS_CHARS, min_size=1, max_size=40))
def test_mlflow_ini_gives_back_the_url_on_both_routes(pw):
    ini = basic_auth_ini(dc.url_text("db.internal", 5432, "mlplat", "mlflow_auth"), "admin-{{secret}}%")
    for text in (dc.direct_value(ini, "url-ini", pw), render_eso(dc.template_value(ini, "url-ini"), pw)):
        cfg = configparser.ConfigParser()  # as mlflow/server/auth/config.py reads it (interpolation on)
        cfg.read_string(text)
        assert make_url(cfg["mlflow"]["database_uri"]).password == pw
        assert cfg["mlflow"]["admin_password"] == "admin-{{secret}}%"


def test_literal_text_never_becomes_a_template_action():
    tpl = dc.template_value(f"user={{{{x}}}} pw={MARK}", "raw")
    assert tpl == 'user={{ "{{" }}x}} pw={{ .password }}'
    assert render_eso(tpl, HOSTILE) == f"user={{{{x}}}} pw={HOSTILE}"
    assert dc.template_value("mlplat", "literal") == "mlplat"
    with pytest.raises(ValueError, match="mark 0 times, not 1"):
        dc.template_value("no password here", "url")
    with pytest.raises(ValueError, match="mark 1 times, not 0"):
        dc.direct_value(MARK, "literal", "pw")


def test_read_policy_is_one_secret_and_its_key_through_secrets_manager():
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-1234-AbCdEf"
    key = "arn:aws:kms:eu-west-1:123456789012:key/k"
    assert dc.secret_read_policy(arn, key, "eu-west-1")["Statement"] == [
        {"Sid": "ReadDatabaseSecret", "Effect": "Allow",
         "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], "Resource": [arn]},
        {"Sid": "DecryptDatabaseSecret", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [key],
         "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}}},
    ]  # fmt: skip


# --------------------------------------------------------------------------- the plan


def _es(plan):
    return [r for r in plan.resources if r.type == "kubernetes:external-secrets.io/v1:ExternalSecret"]


def _waits_for(plan, res, target) -> bool:
    from tests.upstream.judges import upstream_before

    return any(r.urn == target.urn for r in upstream_before(plan, res))


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_reference_plan_reads_the_rds_password_only_through_external_secrets(env):
    _, plan = reference("platform", env)
    dbs = plan.of_type("aws:rds/instance:Instance")
    assert [d.name for d in dbs] == ["tracking-db"]
    for db in dbs:
        assert db.inputs["manageMasterUserPassword"] is True and "password" not in db.inputs, db.name
    assert not [r.name for r in plan.of_type("random:index/randomPassword:RandomPassword") if r.name.endswith("-db-password")]
    # every connection Secret on the platform Postgres is rendered by the operator (tracking,
    # its auth database, Airflow's metadata and admin, Feast's registry)
    want = {"tracking-backend-store", "tracking-auth", "tracking-auth-db-admin", "orchestrator-metadata",
            "orchestrator-airflow-db-admin", "feature-store-credentials", "feature-store-registry-db-admin"}  # fmt: skip
    db_es = [r for r in _es(plan) if r.inputs["spec"]["secretStoreRef"] == {"kind": "SecretStore", "name": STORE}]
    assert {r.name for r in db_es} == want
    assert not [r for r in plan.of_type("kubernetes:core/v1:Secret") if r.name in want]
    operator = plan.named("cluster-operators-external-secrets")
    checked = 0
    for es in db_es:
        ns = es.inputs["metadata"]["namespace"]
        spec = es.inputs["spec"]
        assert spec["data"][0]["remoteRef"]["property"] == "password"
        tpl = spec["target"]["template"]
        assert tpl["mergePolicy"] == "Replace" and tpl["engineVersion"] == "v2"  # never the bare password key
        assert tpl["metadata"]["labels"] == RELOAD
        (store,) = [r for r in plan.resources if r.inputs.get("kind") == "SecretStore"
                    and r.inputs["metadata"]["namespace"] == ns]  # fmt: skip
        assert _waits_for(plan, es, store) and _waits_for(plan, store, operator)
        assert store.inputs["spec"]["provider"]["aws"]["auth"]["jwt"]["serviceAccountRef"] == {"name": STORE}
        (sa,) = [r for r in plan.of_type("kubernetes:core/v1:ServiceAccount")
                 if r.inputs["metadata"] == {**r.inputs["metadata"], "name": STORE, "namespace": ns}]  # fmt: skip
        assert "eks.amazonaws.com/role-arn" in sa.inputs["metadata"]["annotations"]
        role = sa.name.removesuffix("-sa") + "-irsa"
        assert plan.named(role).type == "aws:iam/role:Role" and plan.named(f"{role}-policy") is not None
        checked += 1
    assert checked == len(want)
    # the ini holds MLflow's admin password too: its template sits in a Secret, not in the spec
    auth = plan.named("tracking-auth").inputs["spec"]["target"]["template"]
    assert "data" not in auth
    assert auth["templateFrom"] == [{"secret": {"name": "mlflow-auth-template",
                                                "items": [{"key": "basic_auth.ini", "templateAs": "Values"}]}}]  # fmt: skip
    assert plan.named("tracking-auth-template").inputs["stringData"] in ("<secret>", "<unknown>")  # host unknown in preview
    admin = plan.named("orchestrator-airflow-db-admin").inputs["spec"]["target"]["template"]["data"]
    assert admin == {"PGPASSWORD": "{{ .password }}"}


def test_reloader_restarts_exactly_the_labelled_secrets_readers():
    _, plan = reference("platform", "prod")
    rel = plan.named("cluster-operators-reloader")
    assert (rel.inputs["chart"], rel.inputs["version"]) == ("reloader", "2.2.16")
    assert rel.inputs["repositoryOpts"]["repo"] == "https://stakater.github.io/stakater-charts"
    values = rel.inputs["values"]["reloader"]
    assert values["resourceLabelSelector"] == "mlplat.io/reload-consumers=true"
    assert values["autoReloadAll"] is True and values["reloadStrategy"] == "annotations"
    assert values["ignoreJobs"] is True and values["ignoreCronJobs"] is True  # the db-init Jobs are not re-run
    assert reloader_values() == rel.inputs["values"]


def test_the_store_role_trusts_only_its_namespace_account():
    from mlplat.modules.tracking import TrackingServer, TrackingServerArgs

    from tests.modules import workload_harness as h

    ctx = h.context("platform", "prod")

    def program() -> None:
        TrackingServer("tracking", TrackingServerArgs(ctx, ctx.resolved.spec.tracking, h.cluster(True),
                                                      h.bucket(ctx, "artifacts"), h.network()))  # fmt: skip

    plan = h.run(program)
    trust = json.loads(plan.named("tracking-db-store-irsa").inputs["assumeRolePolicy"])
    assert list(trust["Statement"][0]["Condition"]["StringEquals"].values()).count(
        "system:serviceaccount:churn-prod-tracking:db-credentials") == 1
    assert plan.named("tracking-db-store-sa").inputs["automountServiceAccountToken"] is False


def test_kubernetes_target_keeps_its_own_password_and_no_reloader():
    _, plan = reference("onprem", "prod")
    assert not [r for r in plan.resources if r.inputs.get("kind") == "SecretStore"]
    assert plan.named("cluster-operators-reloader") is None
    sec = plan.named("tracking-backend-store")
    assert sec.type == "kubernetes:core/v1:Secret" and sec.inputs["stringData"] == "<secret>"
