"""The ONE list of checkov checks the policy gate skips, each with the reason it does not apply.

A skip without `resources` is passed to checkov's runners (the check never runs); a skip with
`resources` (globs over plan logical names) only drops that check's results for those resources.
Everything else checkov reports is a finding: its level is the equivalent mlplat rule's, else the
profile's (`CKV_*` globs), else advisory. Reviewed whenever checkov is upgraded.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass


@dataclass(frozen=True)
class Skip:
    reason: str
    resources: tuple[str, ...] = ()  # empty: everywhere

    def covers(self, resource: str) -> bool:
        return not self.resources or any(fnmatch.fnmatchcase(resource, g) for g in self.resources)


SKIPS: dict[str, Skip] = {
    # ------------------------------------------------------------------ S3
    "CKV_AWS_144": Skip(
        "Cross-region replication is a disaster-recovery choice with its own cost (a second bucket and "
        "region per bucket); the spec has no replication setting, and versioning (MLP-STO-002) covers "
        "recovery from overwrites and deletes."
    ),
    "CKV2_AWS_62": Skip(
        "S3 event notifications are an integration feature, not a control: nothing in the platform "
        "consumes bucket events."
    ),
    # ------------------------------------------------------------------ KMS
    "CKV2_AWS_64": Skip(
        "mlplat's keys use the default key policy, which delegates to IAM in the owning account; access "
        "is granted per workload through IRSA roles (MLP-SEC-004/005), so an explicit key policy would "
        "duplicate IAM and risk locking the account out of its own key."
    ),
    # ------------------------------------------------------------------ RDS
    "CKV2_AWS_30": Skip(
        "Query logging (log_statement) on the tracking database would log every MLflow/Airflow metadata "
        "query, including parameters: more data exposure than audit value for a metadata store."
    ),
    # ------------------------------------------------------------------ IAM
    "CKV_AWS_355": Skip(
        "cluster-autoscaler's upstream policy: its Describe* actions support no resource-level "
        "permissions, and its scaling actions are conditioned on the cluster's ownership tag "
        "(checkov ignores Conditions). Any other policy with Resource '*' still fails.",
        resources=("*-autoscaler-irsa-policy",),
    ),
    # ------------------------------------------------------------------ Kubernetes workloads
    "CKV_K8S_15": Skip(
        "imagePullPolicy Always: images are pinned to version tags (MLP-WRK-004), so IfNotPresent runs "
        "the same image and does not make every pod start depend on the registry being up."
    ),
    "CKV_K8S_43": Skip(
        "Digest pinning: images are pinned to immutable version tags of upstream projects (MLP-WRK-004); "
        "digests differ per architecture and mirror and would have to be resolved at spec time."
    ),
    "CKV_K8S_35": Skip(
        "MLflow, Airflow and Feast read their database URIs and passwords from environment variables; "
        "mlplat feeds them through secretKeyRef (never literals: MLP-SEC-001), which is what this check "
        "discourages in favour of files the upstream images do not read."
    ),
    # ------------------------------------------------------------------ vendored third-party manifests
    **{
        check: Skip(
            "Kubeflow Pipelines' upstream manifests (templates/kfp/<version>/, rendered at the release tag) are "
            "applied as published: their Deployments set no CPU limits or security contexts, mount service-"
            "account tokens, and the cache deployer's RBAC manages certificate signing requests and webhooks. "
            "Hardening them would fork upstream; the namespace keeps upstream's pod-security level (baseline) "
            "and mlplat's default-deny NetworkPolicies. mlplat's own rules still report them (waived in the "
            "reference spec).",
            resources=("orchestrator-kfp-*",),
        )
        for check in ("CKV_K8S_11", "CKV_K8S_38", "CKV_K8S_40", "CKV_K8S_49", "CKV_K8S_155", "CKV_K8S_156", "CKV2_K8S_5")
    },
}


def runner_skips() -> list[str]:
    """Checks skipped everywhere: handed to checkov so they never run."""
    return sorted(k for k, s in SKIPS.items() if not s.resources)


def skipped(check_id: str, resource: str) -> bool:
    s = SKIPS.get(check_id)
    return s is not None and s.covers(resource)


__all__ = ["SKIPS", "Skip", "runner_skips", "skipped"]
