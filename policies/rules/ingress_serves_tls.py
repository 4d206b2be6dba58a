from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..base import PlanContext, PlanRule

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource

INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
ALB = "alb.ingress.kubernetes.io/"


def _https_only_alb(ann: dict[str, object]) -> str | None:
    """Why an ALB Ingress is not HTTPS-only, or None."""
    if not str(ann.get(f"{ALB}certificate-arn") or "").startswith("arn:"):
        return "no ACM certificate (alb.ingress.kubernetes.io/certificate-arn)"
    try:
        ports = json.loads(str(ann.get(f"{ALB}listen-ports") or "[]"))
    except ValueError:
        ports = []
    protocols = {k for p in ports if isinstance(p, dict) for k in p}
    if "HTTPS" not in protocols:
        return "no HTTPS listener (alb.ingress.kubernetes.io/listen-ports)"
    if "HTTP" in protocols and not ann.get(f"{ALB}ssl-redirect"):
        return "plain HTTP is served without a redirect to HTTPS (alb.ingress.kubernetes.io/ssl-redirect)"
    return None


class IngressServesTls(PlanRule):
    """What the platform exposes is served over TLS only: an ALB Ingress carries an ACM certificate
    and redirects HTTP to HTTPS; any other class names a TLS Secret. Tracking, pipeline and
    dashboard logins would otherwise cross the network in clear text."""

    id = "MLP-NET-007"
    name = "Ensure ingresses serve TLS only"
    default_level = "advisory"  # staging and prod profiles make it mandatory
    remediation = (
        "aws: set `ingress.certificate_arn` (an ACM certificate for *.HOST); kubernetes targets: "
        "set `ingress.tls_secret`."
    )
    resource_types = (INGRESS,)
    spec_anchor = ("ingress",)

    def check_resource(self, res: PlanResource, ctx: PlanContext) -> Iterable[str]:
        spec = res.inputs.get("spec") or {}
        meta = res.inputs.get("metadata") or {}
        if not isinstance(spec, dict) or not isinstance(meta, dict):
            return
        ann = meta.get("annotations") or {}
        if spec.get("ingressClassName") == "alb" or any(str(k).startswith(ALB) for k in ann):
            why = _https_only_alb(ann if isinstance(ann, dict) else {})
            if why:
                yield f"ingress {res.name}: {why}"
        elif not spec.get("tls"):
            yield f"ingress {res.name} serves plain HTTP (no spec.tls)"
