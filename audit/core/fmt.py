"""Numbers written for a manager: ``¥12,345``, ``41.2%``, ``1,204``, ``18.5 h``.

One function per kind of number; ``None`` (not defined, e.g. a rate with nothing due) prints as
an em dash rather than 0, so a missing number never looks like a good one.
"""

from __future__ import annotations

DASH = "—"


def fmt_count(x: float | int | None) -> str:
    """``1204 -> '1,204'``."""
    return DASH if x is None else f"{round(x):,}"


def fmt_cny(x: float | None) -> str:
    """``12345.6 -> '¥12,346'`` (whole yuan: managers read totals, not fen)."""
    if x is None:
        return DASH
    sign = "-" if x < 0 else ""
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


def fmt_value(x: float | int | None, kind: str) -> str:
    """Format ``x`` by ``kind`` (count, cny, pct, signed_pct, hours)."""
    return {"count": fmt_count, "cny": fmt_cny, "pct": fmt_pct, "signed_pct": fmt_signed_pct,
            "hours": fmt_hours}[kind](x)


def fmt_change(x: float | None, kind: str) -> str:
    """A change with its sign: ``+3``, ``-¥120``, ``+2.5 pp`` (percentage points for rates)."""
    if x is None:
        return DASH
    sign = "+" if x > 0 else ("-" if x < 0 else "±")
    a = abs(x)
    text = {"count": f"{round(a):,}", "cny": f"¥{a:,.0f}", "pct": f"{a * 100:.1f} pp",
            "signed_pct": f"{a * 100:.1f} pp", "hours": f"{a:,.1f} h"}[kind]
    return sign + text
