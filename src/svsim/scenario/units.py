"""Units and plausible ranges: a value in the wrong unit must not become a plausible-looking deficit.

Money fields say their unit in their name (`_gbp` pounds, `_gbp_m` millions of pounds) and in the schema
(`Param.unit`). A `{value: 97000000, unit: gbp}` block on a £m field is converted to £m; an unknown unit is
refused. Every number is then checked against the parameter's `Param.limits` (refused outside: e.g. a unit cost
of 0.0228 "looks like £m, not pounds") and `Param.usual` (a warning outside: unusual but possible).
"""

from __future__ import annotations

import math
from typing import Any

from .spec import Param

MONEY_UNITS: dict[str, float] = {"gbp": 1.0, "gbp_k": 1e3, "gbp_m": 1e6, "gbp_bn": 1e9}
"""Money units and their size in pounds."""

_ALIASES: dict[str, str] = {
    "gbp": "gbp", "£": "gbp", "pounds": "gbp", "pound": "gbp",
    "gbp_k": "gbp_k", "£k": "gbp_k", "£000": "gbp_k", "£000s": "gbp_k", "gbp_000": "gbp_k", "thousand_gbp": "gbp_k",
    "gbp_m": "gbp_m", "£m": "gbp_m", "gbpm": "gbp_m", "£million": "gbp_m", "million_gbp": "gbp_m",
    "gbp_bn": "gbp_bn", "£bn": "gbp_bn", "billion_gbp": "gbp_bn",
}
_NAMES = {"gbp": "pounds", "gbp_k": "£ thousands", "gbp_m": "£m", "gbp_bn": "£bn"}


def money_unit(text: str) -> str | None:
    """The canonical money unit ('gbp', 'gbp_k', 'gbp_m', 'gbp_bn') that `text` names, or None."""
    key = "_".join(str(text).strip().lower().replace("-", " ").split())
    key = key.replace("_million", "_m").replace("_thousand", "_k").replace("_billion", "_bn")
    return _ALIASES.get(key) or _ALIASES.get(key.replace("_", ""))


def _same_label(a: str, b: str) -> bool:
    norm = lambda s: " ".join(str(s).lower().replace("_", " ").replace(",000", "k").split())  # noqa: E731
    return norm(a) == norm(b)


def convert(value: Any, unit: str, spec: Param) -> tuple[Any, str | None]:
    """(value in the parameter's own unit, None) or (None, why the unit is refused). Non-numbers pass through."""
    own = money_unit(spec.unit) if spec.unit else None
    given = money_unit(unit)
    if own is not None:
        if given is None:
            return None, (f"unknown unit '{unit}': this parameter is in {_NAMES[own]} ({own}); a `unit:` may be one "
                          f"of {', '.join(MONEY_UNITS)}, and the value is converted")
        if isinstance(value, bool) or not isinstance(value, int | float):
            return value, None
        return value * MONEY_UNITS[given] / MONEY_UNITS[own], None
    if spec.unit and _same_label(unit, spec.unit):
        return value, None
    if given is not None:
        return None, f"'{unit}' is a money unit, but this parameter is not money" + (
            f" (it is in {spec.unit})" if spec.unit else "")
    what = f"this parameter is in {spec.unit}" if spec.unit else "this parameter has no unit to convert from"
    return None, f"unknown unit '{unit}': {what}; svsim converts only money (gbp, gbp_k, gbp_m, gbp_bn)"


def _fmt(v: float) -> str:
    if abs(v) >= 1e4:
        return f"{v:,.0f}"
    return f"{v:g}"


def _inside(v: float, bounds: tuple[float | None, float | None], signed: bool) -> bool:
    lo, hi = bounds
    x = abs(v) if signed else v
    return (lo is None or x >= lo) and (hi is None or x <= hi)


def _slip(v: float, spec: Param) -> str:
    """A likely slip that explains an out-of-range number: a wrong money unit or a wrong power of ten."""
    own = money_unit(spec.unit) if spec.unit else None
    target = spec.usual or spec.limits
    if target is None:
        return ""
    signed = spec.kind == "signed_money"
    if own is not None:
        for name, size in MONEY_UNITS.items():
            if name == own:
                continue
            converted = v * size / MONEY_UNITS[own]
            if converted != 0 and _inside(converted, target, signed):
                return (f": this looks like {_NAMES[name]}, not {_NAMES[own]} ({_fmt(v)} {_NAMES[name]} = "
                        f"{_fmt(converted)} {_NAMES[own]}); write the value in {_NAMES[own]} or add "
                        f"`unit: {name}` to convert it")
        return ""
    for factor in (100.0, 1e3, 1e4):
        for scaled, how in ((v / factor, f"{factor:g} times too large"), (v * factor, f"{factor:g} times too small")):
            if scaled != 0 and _inside(scaled, target, signed):
                return f": it looks {how} (did you mean {_fmt(scaled)}?)"
    return ""


def plausibility(spec: Param, value: Any) -> tuple[str | None, str | None]:
    """(error, warning) for a clean number against the parameter's limits and usual range (None when fine)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isinf(value):
        return None, None
    v = float(value)
    signed = spec.kind == "signed_money"
    unit = f" {spec.unit}" if spec.unit and not money_unit(spec.unit) else ""
    if spec.limits is not None and not (v == 0 and spec.zero_ok) and not _inside(v, spec.limits, signed):
        return f"{_fmt(v)}{unit} is outside the possible range {_range(spec.limits, signed)}{_slip(v, spec)}", None
    if spec.usual is not None and not (v == 0 and spec.zero_ok) and not _inside(v, spec.usual, signed):
        return None, (f"{_fmt(v)}{unit} is unusual (expected {_range(spec.usual, signed)}){_slip(v, spec)}; "
                      "check it is intended")
    return None, None


def _range(bounds: tuple[float | None, float | None], signed: bool) -> str:
    lo, hi = bounds
    if signed:
        return f"-{_fmt(hi)} to {_fmt(hi)}" if hi is not None else "any"
    if lo is None:
        return f"at most {_fmt(hi)}" if hi is not None else "any"
    if hi is None:
        return f"at least {_fmt(lo)}"
    return f"{_fmt(lo)} to {_fmt(hi)}"


__all__ = ["MONEY_UNITS", "convert", "money_unit", "plausibility"]
