"""Judging a plan against the live cloud: targets, live readers (AWS, Kubernetes), state, detection."""

from __future__ import annotations

from .detect import apply_waivers, detect_drift, locate_aws, unmanaged_findings
from .live_aws import AwsAccessError, LiveAws, TaggedResource, find_tagged, parse_arn, translate_error
from .live_k8s import (
    KubeClientReader,
    KubeReader,
    check_kubernetes,
    compare_objects,
    k8s_targets,
    quantity,
    resources_value,
)
from .model import (
    AWS_CHECKABLE,
    CHANGED,
    KIND_CODES,
    MISSING,
    UNMANAGED,
    Check,
    DriftReport,
    Finding,
    LiveRef,
    Located,
    PendingChange,
    Target,
    compare,
    norm,
)
from .state import find_state, load_state, pending_changes, state_plan
from .targets import aws_targets

__all__ = ['AWS_CHECKABLE', 'CHANGED', 'KIND_CODES', 'MISSING', 'UNMANAGED', 'AwsAccessError', 'Check', 'DriftReport', 'Finding', 'KubeClientReader', 'KubeReader', 'LiveAws', 'LiveRef', 'Located', 'PendingChange', 'TaggedResource', 'Target', 'apply_waivers', 'aws_targets', 'check_kubernetes', 'compare', 'compare_objects', 'detect_drift', 'find_state', 'find_tagged', 'k8s_targets', 'load_state', 'locate_aws', 'norm', 'parse_arn', 'pending_changes', 'quantity', 'resources_value', 'state_plan', 'translate_error', 'unmanaged_findings']  # fmt: skip
