"""Pricing rules for the managed AWS path: SageMaker endpoints, MWAA, managed MLflow, Studio."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from mlplat.stacks.cost.catalogue import STATUS_PRICED
from mlplat.stacks.cost.fmt import _num
from mlplat.stacks.cost.lines import Charge, CostLine
from mlplat.stacks.cost.pricers import _Ctx, _d, _expected, _free, _int, _line, _scaled, _unpriced
from ruamel.yaml import YAML

if TYPE_CHECKING:
    from mlplat.stacks.plan.model import PlanResource

T_ENDPOINT_CONFIG = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
T_SCALING_TARGET = "aws:appautoscaling/target:Target"


@cache
def managed_prices(region: str) -> dict[str, Any]:
    """`pricing/managed-aws-<region>.yaml`, or {} where there is none (every line then unpriced)."""
    f = resources.files("mlplat.stacks.cost.pricing") / f"managed-aws-{region}.yaml"
    if not f.is_file():
        return {}
    data: dict[str, Any] = YAML(typ="safe").load(f.read_text(encoding="utf-8")) or {}
    return data


def _prices(ctx: _Ctx) -> dict[str, Any]:
    return managed_prices(getattr(ctx.resolved.spec.target, "region", None) or "us-east-1")


def _source(p: dict[str, Any]) -> str:
    return f"managed-aws-{p.get('region')}.yaml, as of {p.get('as_of')}"


def _variant_bounds(ctx: _Ctx, endpoint_name: str, variant: str, initial: int) -> tuple[int, int]:
    """The variant's autoscaling bounds from its Application Auto Scaling target, else fixed."""
    rid = f"endpoint/{endpoint_name}/variant/{variant}"
    for t in ctx.plan.of_type(T_SCALING_TARGET):
        if t.inputs.get("resourceId") == rid:
            lo, hi = _int(t.inputs.get("minCapacity")), _int(t.inputs.get("maxCapacity"))
            if lo is not None and hi is not None:
                return lo, hi
    return initial, initial


def _endpoint_config(res: PlanResource, ctx: _Ctx) -> CostLine:
    p = _prices(ctx)
    hourly = p.get("sagemaker_hosting_hour") or {}
    name = str(res.inputs.get("name", "")).removesuffix("-config")
    per_unit: list[Charge] = []
    lo_total = hi_total = exp_total = 0.0
    shapes = []
    for v in res.inputs.get("productionVariants") or []:
        v = _d(v)
        itype, variant = str(v.get("instanceType")), str(v.get("variantName"))
        price = hourly.get(itype)
        if price is None:
            return _unpriced(res, f"no dated SageMaker hosting price for {itype} ({_source(p) if p else 'no price file'})")
        initial = _int(v.get("initialInstanceCount"), 1) or 1
        lo, hi = _variant_bounds(ctx, name, variant, initial)
        exp = _expected(lo, hi, ctx.usage.autoscale_fraction)
        per_unit.append(Charge(f"{variant}: {itype} hosting ({_source(p)})", ctx.hours * exp, "instance-hour", float(price)))
        lo_total += float(price) * ctx.hours * lo
        hi_total += float(price) * ctx.hours * hi
        exp_total += float(price) * ctx.hours * exp
        shapes.append(f"{variant} {lo}–{hi} instances, expected {_num(round(exp, 2))}")
    fixed: list[Charge] = []
    capture = _d(res.inputs.get("dataCaptureConfig"))
    gb_price = ctx.cat.price("s3", "standard_gb_month")
    if capture and gb_price is not None:
        gb = float(p.get("data_capture_gb_per_model_month", 0) or 0)
        fixed.append(Charge(f"data capture, {_num(gb)} GB/month stored (assumption)", gb, "GB-month", gb_price))
    line = _line(res, STATUS_PRICED, "; ".join(shapes), per_unit + fixed)
    fixed_cost = sum(c.monthly_usd for c in fixed)
    line.monthly_usd = exp_total + fixed_cost
    if lo_total != hi_total:
        line.min_monthly_usd = lo_total + fixed_cost
        line.max_monthly_usd = hi_total + fixed_cost
    return line


def _mwaa(res: PlanResource, ctx: _Ctx) -> CostLine:
    p = _prices(ctx)
    cls = str(res.inputs.get("environmentClass", "mw1.small"))
    base = (p.get("mwaa_environment_hour") or {}).get(cls)
    worker = (p.get("mwaa_worker_hour") or {}).get(cls)
    if base is None or worker is None:
        return _unpriced(res, f"no agreed dated MWAA price for {cls} ({_source(p) if p else 'no price file'})")
    lo = (_int(res.inputs.get("minWorkers"), 1) or 1) - 1  # the base environment includes one worker
    hi = (_int(res.inputs.get("maxWorkers"), 10) or 10) - 1
    exp = _expected(lo, hi, ctx.usage.autoscale_fraction)
    fixed = [Charge(f"{cls} environment ({_source(p)})", ctx.hours, "hour", float(base))]
    per = [Charge(f"{cls} additional worker", ctx.hours, "worker-hour", float(worker))]
    return _scaled(res, fixed, per, lo, exp, hi,
                   f"base environment all month; {lo}–{hi} extra workers, expected {_num(round(exp, 2))}")


def _mlflow(res: PlanResource, ctx: _Ctx) -> CostLine:
    size = res.inputs.get("trackingServerSize", "Small")
    return _unpriced(res, f"SageMaker managed MLflow ({size}): no dated public price found; see the AWS pricing page")


MANAGED_PRICERS: dict[str, Callable[[PlanResource, _Ctx], CostLine]] = {
    T_ENDPOINT_CONFIG: _endpoint_config,
    "aws:mwaa/environment:Environment": _mwaa,
    "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer": _mlflow,
    "aws:sagemaker/endpoint:Endpoint": lambda r, c: _free(r, "billed on its endpoint configuration's instances"),
    "aws:sagemaker/model:Model": lambda r, c: _free(r, "a model definition: no charge"),
    "aws:sagemaker/domain:Domain": lambda r, c: _free(
        r, "Studio domain: no charge; Studio apps are billed per running app instance (not estimated)"),
    "aws:sagemaker/userProfile:UserProfile": lambda r, c: _free(r, "Studio user profile: no charge"),
    T_SCALING_TARGET: lambda r, c: _free(r, "autoscaling: no charge"),
    "aws:appautoscaling/policy:Policy": lambda r, c: _free(r, "autoscaling: no charge"),
}

__all__ = ["MANAGED_PRICERS", "managed_prices"]
