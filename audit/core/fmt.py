"""Numbers written for a manager: ``¥12,345``, ``41.2%``, ``1,204``, ``18.5 h``, ``+9.1%``.

The one formatter module of the toolkit: index cards, report tables, CLI lines and notebooks all
format through it, so one quantity never reads two ways. ``None`` (not defined, e.g. a rate
with nothing due) prints as an em dash rather than 0, so a missing number never looks like a
good one.

:func:`shown` rounds a value to the precision it is displayed with; a change between two months
is computed from the shown values (:func:`change`), so "¥534 vs ¥593" reads "-¥59", never
"-¥60".
"""

from __future__ import annotations

import polars as pl

DASH = "—"

#: Decimal places each kind of number is shown with (of the displayed unit: % for fractions).
DECIMALS: dict[str, int] = {"count": 0, "cny": 0, "pct": 1, "signed_pct": 1, "hours": 1,
                            "ratio": 2}
#: Kinds stored as fractions (0.412) but shown as percentages (41.2%).
_FRACTIONS = frozenset({"pct", "signed_pct"})


def shown(x: float | None, kind: str) -> float | None:
    """``x`` rounded as it is displayed (fractions to 0.1 percentage point).

    >>> shown(0.41234, "pct"), shown(533.6, "cny"), shown(None, "count")
    (0.412, 534.0, None)
    """
    if x is None:
        return None
    digits = DECIMALS[kind] + (2 if kind in _FRACTIONS else 0)
    return round(float(x), digits)


def change(value: float | None, previous: float | None, kind: str) -> float | None:
    """The change between two shown values (None when either is undefined).

    >>> change(533.6, 593.4, "cny")
    -59.0
    """
    a, b = shown(value, kind), shown(previous, kind)
    if a is None or b is None:
        return None
    return shown(a - b, kind)


def fmt_count(x: float | None) -> str:
    """``1204 -> '1,204'``."""
    return DASH if x is None else f"{round(x):,}"


def fmt_cny(x: float | None) -> str:
    """``12345.6 -> '¥12,346'`` (whole yuan: managers read totals, not fen)."""
    if x is None:
        return DASH
    sign = "-" if round(x) < 0 else ""
    return f"{sign}¥{abs(x):,.0f}"


def fmt_pct(x: float | None, *, digits: int = 1) -> str:
    """A fraction as a percentage: ``0.4123 -> '41.2%'``."""
    return DASH if x is None else f"{x * 100:.{digits}f}%"


def fmt_signed_pct(x: float | None, *, digits: int = 1) -> str:
    """A relative change as a signed percentage: ``0.091 -> '+9.1%'``."""
    return DASH if x is None else f"{x * 100:+.{digits}f}%"


def fmt_hours(x: float | None) -> str:
    """Hours with one decimal: ``18.46 -> '18.5 h'``."""
    return DASH if x is None else f"{x:,.1f} h"


def fmt_ratio(x: float | None) -> str:
    """A ratio with two decimals: ``1.1 -> '1.10'``."""
    return DASH if x is None else f"{x:.2f}"


_FORMATS = {"count": fmt_count, "cny": fmt_cny, "pct": fmt_pct, "signed_pct": fmt_signed_pct,
            "hours": fmt_hours, "ratio": fmt_ratio}


def fmt_value(x: float | None, kind: str) -> str:
    """Format ``x`` by ``kind`` (count, cny, pct, signed_pct, hours, ratio)."""
    return _FORMATS[kind](x)


def fmt_interval(low: float | None, high: float | None, kind: str) -> str:
    """An interval as ``low – high`` in ``kind``'s format (a dash when undefined).

    >>> fmt_interval(0.3, 0.45, "pct")
    '30.0% – 45.0%'
    """
    if low is None or high is None:
        return DASH
    return f"{fmt_value(low, kind)} – {fmt_value(high, kind)}"


def fmt_change(x: float | None, kind: str) -> str:
    """A change with its sign: ``+3``, ``-¥120``, ``+2.5 pp`` (percentage points for rates)."""
    if x is None:
        return DASH
    a = abs(x)
    text = {"count": f"{round(a):,}", "cny": f"¥{a:,.0f}", "pct": f"{a * 100:.1f} pp",
            "signed_pct": f"{a * 100:.1f} pp", "hours": f"{a:,.1f} h", "ratio": f"{a:.2f}"}[kind]
    sign = "±" if shown(a, kind) == 0 else ("+" if x > 0 else "-")
    return sign + text


def fmt_column(column: str, kind: str) -> pl.Expr:
    """The polars expression formatting ``column`` as :func:`fmt_value` would (tables).

    A per-value function over small display tables: one rule for cells and cards alike.
    """
    return pl.col(column).map_elements(lambda x: fmt_value(x, kind), return_dtype=pl.String,
                                       skip_nulls=False).fill_null(DASH)
