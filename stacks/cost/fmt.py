"""Number formatting shared by cost lines, the budget gate and the outputs."""

from __future__ import annotations


def _r(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


def _num(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,g}"



# --------------------------------------------------------------------------- rendering helpers


def _money(value: float) -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"


def _signed_money(value: float) -> str:
    if abs(value) < 0.005:
        return "$0.00"
    return ("+" if value > 0 else "−") + f"${abs(value):,.2f}"


def _signed_pct(value: float | None) -> str:
    if value is None:
        return "n/a"
    return ("+" if value > 0 else "−" if value < 0 else "±") + f"{abs(value):.1f}%"


def _arrow(value: float) -> str:
    if abs(value) < 0.005:
        return "→"
    return "↑" if value > 0 else "↓"
