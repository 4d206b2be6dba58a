"""Drift detection: locate the live resources of a plan, compare, report unmanaged ones, apply waivers."""


from __future__ import annotations

import datetime as _dt
import fnmatch
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlplat.stacks.drift.model import (
    CHANGED,
    KIND_CODES,
    MISSING,
    UNMANAGED,
    DriftReport,
    Finding,
    LiveRef,
    Located,
    PendingChange,
    Target,
    compare,
)
from mlplat.stacks.drift.state import _has_ref, find_state, load_state, pending_changes, state_dir, state_plan
from mlplat.stacks.drift.targets import TAGGED_TYPES, aws_targets, locate_tagged
from mlplat.stacks.errors import MlplatError
from mlplat.stacks.plan.model import Plan

if TYPE_CHECKING:
    from mlplat.stacks.drift.live_aws import LiveAws, TaggedResource
    from mlplat.stacks.platform_spec.resolve import ResolvedPlatform



# --------------------------------------------------------------------------- reading live AWS


def locate_aws(targets: list[Target], live: LiveAws, platform: str, env: str) -> list[Located]:
    """Find each target live (deterministic names first, ownership tags for KMS keys)."""
    from mlplat.stacks.drift.live_aws import ENVIRONMENT_TAG, PLATFORM_TAG, RESOURCE_TAG

    out: list[Located] = []
    for t in targets:
        rec: dict[str, Any] | None
        ident: tuple[str, str, str] | None = None
        if t.kind == "s3-bucket":
            rec = live.bucket(t.lookup["bucket"])
            if rec and rec.get("encryption") and rec["encryption"].get("kms_key"):
                rec["encryption"]["kms_key_arn"] = live.kms_key_arn(rec["encryption"]["kms_key"])
            ident = ("s3", "bucket", t.resource)
        elif t.kind == "kms-key":
            rec = None
            by_alias: dict[str, dict[str, Any] | None] = {a: live.kms_key(a) for a in t.lookup["aliases"]}
            tagged = [
                kid for kid, tags in live.kms_tags().items()
                if tags.get(RESOURCE_TAG) == t.lookup["logical"] and tags.get(PLATFORM_TAG) == platform
                and tags.get(ENVIRONMENT_TAG) == env
            ]  # fmt: skip
            candidates = [live.kms_key(k) for k in tagged]
            # Prefer a tagged key that is alive; else whatever the alias points at.
            alive = [c for c in candidates if c and c["state"] not in ("PendingDeletion", "PendingReplicaDeletion")]
            rec = alive[0] if alive else next((v for v in by_alias.values() if v), None)
            if rec is not None and rec["state"] in ("PendingDeletion", "PendingReplicaDeletion"):
                rec = None  # a key waiting to be deleted is gone for every purpose
            if rec is not None:
                rec["aliases"] = {
                    a: ("points to this key" if v and v["key_id"] == rec["key_id"] else (v["arn"] if v else None))
                    for a, v in by_alias.items()
                }
                ident = ("kms", "key", rec["key_id"])
        elif t.kind == "eks-cluster":
            rec = live.eks_cluster(t.lookup["cluster"])
            ident = ("eks", "cluster", t.resource)
        elif t.kind == "eks-nodegroup":
            rec = live.eks_nodegroup(t.lookup["cluster"], t.lookup["nodegroup"])
            ident = ("eks", "nodegroup", f"{t.lookup['cluster']}/{t.lookup['nodegroup']}")
        elif t.kind == "rds-instance":
            rec = live.db_instance(t.lookup["identifier"])
            if rec and rec.get("kms_key"):
                rec["kms_key_arn"] = live.kms_key_arn(rec["kms_key"])
            ident = ("rds", "db", t.resource)
        elif t.kind == "elasticache":
            if "replication_group" in t.lookup:
                rec = live.replication_group(t.lookup["replication_group"])
                ident = ("elasticache", "replicationgroup", t.resource)
            else:
                rec = live.cache_cluster(t.lookup["cache_cluster"])
                ident = ("elasticache", "cluster", t.resource)
            if rec and rec.get("kms_key"):
                rec["kms_key_arn"] = live.kms_key_arn(rec["kms_key"])
        elif t.kind == "sagemaker-endpoint-config":
            rec = live.sagemaker_endpoint_config(t.lookup["endpoint_config"])
            ident = ("sagemaker", "endpoint-config", t.resource)
        elif t.kind == "sagemaker-endpoint":
            rec = live.sagemaker_endpoint(t.lookup["endpoint"])
            ident = ("sagemaker", "endpoint", t.resource)
        elif t.kind == "sagemaker-mlflow":
            rec = live.mlflow_tracking_server(t.lookup["tracking_server"])
            ident = ("sagemaker", "mlflow-tracking-server", t.resource)
        elif t.kind == "mwaa":
            rec = live.mwaa_environment(t.lookup["environment"])
            ident = ("airflow", "environment", t.resource)
        else:  # pragma: no cover - every kind built above is handled
            rec = None
        if rec is not None and str(rec.get("status") or "").lower() in ("deleting", "deleted"):
            rec = None  # being deleted: for the spec it is already gone
        out.append(Located(t, rec, (rec or {}).get("arn"), ident if rec is not None else None))
    return out


def unmanaged_findings(tagged: Iterable[TaggedResource], located: list[Located], plan: Plan,
                       state_ids: set[str] | None = None) -> list[Finding]:  # fmt: skip
    """Live resources with the environment's tags that no planned resource accounts for.

    Kinds drift checks are matched by identity (a bucket by its name, a key by its id): a
    look-alike that copied the tags is still unmanaged. Other kinds (VPCs, roles…) carry ids
    only Pulumi knows: matched by state id when a state exists, else by their `mlplat:resource`
    tag against the plan's logical names; extra claimants of one name are unmanaged.
    """
    managed = {loc.identity for loc in located if loc.identity is not None}
    checked_kinds = {("s3", "bucket"), ("kms", "key"), ("eks", "cluster"), ("eks", "nodegroup"), ("rds", "db"),
                     ("elasticache", "replicationgroup"), ("elasticache", "cluster"), *TAGGED_TYPES.values()}  # fmt: skip
    logical = {r.name for r in plan.custom_resources()}
    claimed: set[tuple[str, str, str]] = set()
    out = []
    for r in sorted(tagged, key=lambda r: (r.service, r.resource_type, r.identifier)):
        kind = (r.service, r.resource_type)
        if kind in checked_kinds:
            if r.key in managed:
                continue
            why = f"carries the ownership tags of {r.tags.get('mlplat:platform')}-{r.tags.get('mlplat:environment')}" \
                  " but is not in the plan"  # fmt: skip
        else:
            if state_ids is not None and (r.identifier in state_ids or (r.arn and r.arn in state_ids)):
                continue
            claim = (r.service, r.resource_type, r.logical_name or "")
            if state_ids is None and r.logical_name in logical and claim not in claimed:
                claimed.add(claim)
                continue
            why = (
                f"another {r.resource_type} already stands for {r.logical_name!r}"
                if r.logical_name in logical
                else "carries the environment's ownership tags but is not in the plan"
            )
        out.append(
            Finding(UNMANAGED, r.identifier, f"{r.service}:{r.resource_type}", logical_name=r.logical_name,
                    component=r.component, message=why, target_kind="tagged")
        )  # fmt: skip
    return out


# --------------------------------------------------------------------------- waivers


def apply_waivers(items: Iterable[Finding | PendingChange], waivers: Iterable[Any], today: _dt.date) -> list[str]:
    """Mark findings acknowledged by a matching, unexpired DRIFT waiver; returns notes on expiry."""
    notes: list[str] = []
    waivers = [w for w in waivers if str(w.policy) == "DRIFT" or str(w.policy).startswith("DRIFT-")]
    for item in items:
        for w in waivers:
            if not _waiver_matches(w, item):
                continue
            info = {"policy": w.policy, "resource": w.resource, "reason": w.reason, "owner": w.owner,
                    "expires": w.expires.isoformat(), "expired": w.expires < today}  # fmt: skip
            if w.expires < today:
                item.waiver = info  # still shown, so the operator sees why it fails again
                note = f"waiver {w.policy} for {w.resource!r} (owner {w.owner}) expired on {w.expires.isoformat()}"
                if note not in notes:
                    notes.append(note)
                continue
            item.acknowledged = True
            item.waiver = info
            break
    return notes


def _waiver_matches(w: Any, item: Finding | PendingChange) -> bool:
    policy = str(w.policy)
    if policy != "DRIFT":
        code = policy.removeprefix("DRIFT-")
        if isinstance(item, Finding):
            codes = {item.kind.upper(), KIND_CODES.get(item.target_kind, "")}
            if item.target_kind == "aws-resource":  # DRIFT-VPC, DRIFT-SUBNET, DRIFT-ROLE, DRIFT-LOGGROUP…
                codes.add(item.type.rsplit(":", 1)[-1].upper())
            if item.source == "kubernetes":
                codes.add("KUBERNETES")
        else:
            codes = {"STATE", "PENDING", item.change.upper()}
        if code not in codes:
            return False
    names = [item.resource, item.logical_name or ""]
    return any(n and fnmatch.fnmatchcase(n, w.resource) for n in names)


def _annotate_causes(findings: list[Finding], state_targets: dict[tuple[str, str], Target]) -> None:
    """With a state: was a changed attribute altered out of band, or is the spec change not applied yet?"""
    for f in findings:
        if f.kind != CHANGED:
            continue
        t = state_targets.get((f.target_kind, f.resource))
        c = next((c for c in t.checks if c.attribute == f.attribute), None) if t else None
        if c is None or _has_ref(c.expected):
            continue
        if c.equal(c.expected, f.actual):
            f.cause = "not-applied"  # state already has the live value: run `mlplat up`
        elif c.equal(c.expected, f.expected):
            f.cause = "out-of-band"  # Pulumi applied the spec; someone changed it since


# --------------------------------------------------------------------------- the whole thing


def kubernetes_checkable(plan: Plan) -> set[str]:
    from mlplat.stacks.drift.live_k8s import k8s_targets

    return {u for t in k8s_targets(plan) for u in t.urns}


def detect_drift(
    resolved: ResolvedPlatform,
    *,
    plan: Plan | None = None,
    live: LiveAws | None = None,
    kube_context: str | None = None,
    kube_reader: Any = None,
    state_path: Path | None | bool = None,
    today: _dt.date | None = None,
) -> DriftReport:
    """Compare one environment's plan (and Pulumi state, when present) with what is running.

    The compose target has no cloud to compare: that is a user error with the command to use.

    `state_path`: None → look beside the spec (.mlplat/state), False → ignore any state, or a
    checkpoint file. `kube_reader` stands in for a live cluster (tests); `kube_context` uses the
    `kubernetes` client (kubernetes targets default to the spec's `target.context`). Raises
    MlplatError (exit 2) when AWS or the cluster cannot be read.
    """
    if resolved.provider == "compose":
        raise MlplatError(f"{resolved.environment} runs on the compose target (your machine): there is no cloud to "
                          "compare; `docker compose ps` shows what runs")
    if resolved.provider == "kubernetes" and kube_context is None and kube_reader is None:
        # A bring-your-own cluster: its objects are all there is to compare; the spec names the context.
        kube_context = getattr(resolved.spec.target, "context", None) or ""  # "": kubeconfig's current
    if kube_context is not None and kube_reader is None:
        from mlplat.stacks.drift.live_k8s import KubeClientReader

        kube_reader = KubeClientReader(kube_context)  # a missing client or context fails before any work
    region = getattr(resolved.spec.target, "region", None) or "us-east-1"
    if resolved.provider == "aws":
        from mlplat.stacks.drift.live_aws import LiveAws

        live = live or LiveAws(region)
        live.check_access()  # before the plan: bad credentials or endpoint fail in a second
    if plan is None:
        from mlplat.stacks.plan.offline import run_offline

        # Planned for the account being read: S3 bucket names (and key policies) carry it, so a
        # plan for the offline example account would find none of this account's buckets.
        plan = run_offline(resolved, live.account_id() if live is not None else None)
    today = today or _dt.date.today()
    notes: list[str] = []
    findings: list[Finding] = []
    checkable: set[str] = set()

    # Pulumi state, when the engine has written one.
    st_path: Path | None = None
    state: Plan | None = None
    state_outputs: dict[str, dict[str, Any]] = {}
    if state_path is not False:
        st_path = state_path if isinstance(state_path, Path) else find_state(resolved)
        if st_path is not None and st_path.is_file():
            state, state_outputs = state_plan(load_state(st_path), resolved.name, resolved.environment)
        else:
            st_path = None
            where = state_dir(resolved)
            notes.append(
                "no Pulumi state for this environment: pending changes (spec vs state) not checked"
                if where is not None
                else "the Pulumi state is not in a local file backend: pending changes (spec vs state) not checked"
            )

    located: list[Located] = []
    aws_targets_ = aws_targets(plan) if resolved.provider == "aws" else []
    if resolved.provider == "aws" and live is not None:
        from mlplat.stacks.drift.live_aws import find_tagged

        state_ids = None
        if state is not None:
            state_ids = {str(o.get("id")) for o in state_outputs.values() if o.get("id")}
            state_ids |= {str(o.get("arn")) for o in state_outputs.values() if o.get("arn")}
        tagged = find_tagged(resolved.name, resolved.environment, region, live=live)
        located = locate_aws([t for t in aws_targets_ if t.kind != "aws-resource"], live, resolved.name,
                             resolved.environment)  # fmt: skip
        located += locate_tagged([t for t in aws_targets_ if t.kind == "aws-resource"], tagged, plan, state_ids)
        arns = {loc.target.urn: loc.arn for loc in located if loc.arn}

        def resolve(ref: LiveRef) -> Any:
            return arns.get(ref.urn)

        for loc in located:
            findings.extend(compare(loc.target, loc.live, resolve))
            checkable.update(loc.target.urns)
        findings.extend(unmanaged_findings(tagged, located, plan, state_ids))
    else:
        notes.append(f"target provider {resolved.provider}: no cloud resources to read")

    if kube_reader is not None:
        from mlplat.stacks.drift.live_k8s import check_kubernetes

        k_findings, k_urns, k_notes = check_kubernetes(plan, resolved, context=kube_context, reader=kube_reader)
        findings.extend(k_findings)
        checkable.update(k_urns)
        notes.extend(k_notes)
    elif kubernetes_checkable(plan):
        notes.append("Kubernetes objects not compared: pass --kube-context to check replicas, images and resources")

    pending: list[PendingChange] = []
    if state is not None:
        def builder(p: Plan) -> list[Target]:
            from mlplat.stacks.drift.live_k8s import k8s_targets

            return aws_targets(p) + k8s_targets(p)

        pending = pending_changes(plan, state, builder)
        _annotate_causes(findings, {(t.kind, t.resource): t for t in builder(state)})

    waivers = resolved.spec.policies.waivers if resolved.spec.policies is not None else []
    notes.extend(apply_waivers([*findings, *pending], waivers, today))

    planned = [r for r in plan.custom_resources()]
    unchecked: dict[str, int] = {}
    for r in planned:
        if r.urn not in checkable:
            unchecked[r.type] = unchecked.get(r.type, 0) + 1
    findings.sort(key=lambda f: ({MISSING: 0, CHANGED: 1, UNMANAGED: 2}.get(f.kind, 3), f.resource, f.attribute or ""))
    return DriftReport(
        resolved.name, resolved.environment, findings, len(planned), sum(1 for r in planned if r.urn in checkable),
        dict(sorted(unchecked.items())), pending, str(st_path) if st_path else None, notes,
    )  # fmt: skip


__all__ = ["apply_waivers", "detect_drift", "locate_aws", "unmanaged_findings"]
