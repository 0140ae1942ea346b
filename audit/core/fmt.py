"""Numbers and dates written for a manager: ``¥12,345.60``, ``41.2%``, ``1,204``, ``10月9日``.

The one formatter module of the toolkit: index cards, report tables, Excel notes, CLI lines,
chart hover text and notebooks all format through it, so one quantity never reads two ways.
Locale-aware pieces (thousands separators, month and day names, ``2026年10月`` vs
``October 2026``) come from babel (CLDR data), so Chinese reads as a Chinese manager writes it.
``None`` (not defined, e.g. a rate with nothing due) prints as an em dash rather than 0, so a
missing number never looks like a good one.

The rules: ¥ with 2 decimals, % with one, ratios with two, p-values with two significant
digits, counts with thousands separators, hours with one decimal ("18.5 h" / "18.5 小时").

:func:`shown` rounds a value to the precision it is displayed with; a change between two months
is computed from the shown values (:func:`change`), so "¥534.20 vs ¥593.40" reads "-¥59.20".
"""

from __future__ import annotations

import math
from datetime import date, datetime
from functools import cache

import polars as pl
from babel import dates as babel_dates
from babel import numbers as babel_numbers

DASH = "—"

#: Decimal places each kind of number is shown with (of the displayed unit: % for fractions).
DECIMALS: dict[str, int] = {"count": 0, "cny": 2, "pct": 1, "signed_pct": 1, "hours": 1,
                            "ratio": 2, "days": 1}
#: Kinds stored as fractions (0.412) but shown as percentages (41.2%).
_FRACTIONS = frozenset({"pct", "signed_pct"})
#: babel locale of each report language.
LOCALES: dict[str, str] = {"en": "en_GB", "zh": "zh_Hans_CN"}
#: Units written after a number, per language.
_UNITS: dict[str, dict[str, str]] = {
    "hours": {"en": " h", "zh": " 小时"},
    "days": {"en": " days", "zh": " 天"},
    "pp": {"en": " pp", "zh": " 个百分点"},
    "seconds": {"en": " s", "zh": " 秒"},
}
#: CLDR skeletons: day ("Oct 9" / "10月9日"), month ("October 2026" / "2026年10月").
_SKELETONS = {"day": "MMMd", "month": "yMMMM", "day_year": "yMMMd"}


def shown(x: float | None, kind: str) -> float | None:
    """``x`` rounded as it is displayed (fractions to 0.1 percentage point).

    >>> shown(0.41234, "pct"), shown(533.634, "cny"), shown(None, "count")
    (0.412, 533.63, None)
    """
    if x is None:
        return None
    digits = DECIMALS[kind] + (2 if kind in _FRACTIONS else 0)
    return round(float(x), digits)


def change(value: float | None, previous: float | None, kind: str) -> float | None:
    """The change between two shown values (None when either is undefined).

    >>> change(533.6, 593.4, "cny")
    -59.8
    """
    a, b = shown(value, kind), shown(previous, kind)
    if a is None or b is None:
        return None
    return shown(a - b, kind)


@cache
def _locale(lang: str) -> str:
    return LOCALES.get(lang, LOCALES["en"])


def _number(x: float, decimals: int, lang: str) -> str:
    """``x`` with thousands separators and ``decimals`` places in ``lang``'s convention."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return babel_numbers.format_decimal(round(x, decimals) + 0.0, format=pattern,
                                        locale=_locale(lang), decimal_quantization=True)


def fmt_count(x: float | None, lang: str = "en") -> str:
    """``1204 -> '1,204'``."""
    return DASH if x is None else _number(round(x), 0, lang)


def fmt_cny(x: float | None, lang: str = "en") -> str:
    """``12345.6 -> '¥12,345.60'`` (yuan and fen, the sign before the ¥)."""
    if x is None:
        return DASH
    sign = "-" if round(x, 2) < 0 else ""
    return f"{sign}¥{_number(abs(x), 2, lang)}"


def fmt_pct(x: float | None, *, digits: int = 1, lang: str = "en") -> str:
    """A fraction as a percentage: ``0.4123 -> '41.2%'``."""
    return DASH if x is None else f"{_number(x * 100, digits, lang)}%"


def fmt_signed_pct(x: float | None, *, digits: int = 1, lang: str = "en") -> str:
    """A relative change as a signed percentage: ``0.091 -> '+9.1%'``."""
    if x is None:
        return DASH
    sign = "-" if round(x * 100, digits) < 0 else "+"
    return f"{sign}{_number(abs(x) * 100, digits, lang)}%"


def fmt_hours(x: float | None, lang: str = "en") -> str:
    """Hours with one decimal: ``18.46 -> '18.5 h'`` (``18.5 小时`` in zh)."""
    return DASH if x is None else _number(x, 1, lang) + _UNITS["hours"][lang]


def fmt_days(x: float | None, lang: str = "en") -> str:
    """Days with one decimal: ``36.42 -> '36.4 days'`` (``36.4 天`` in zh)."""
    return DASH if x is None else _number(x, 1, lang) + _UNITS["days"][lang]


def fmt_points(x: float | None, lang: str = "en") -> str:
    """Percentage points (already in points) with one decimal: ``4.05 -> '4.0'``."""
    return DASH if x is None else _number(x, 1, lang)


def fmt_seconds(x: float | None, lang: str = "en") -> str:
    """A duration for progress lines: ``12.34 -> '12.3 s'`` (``12.3 秒`` in zh)."""
    return DASH if x is None else _number(x, 1, lang) + _UNITS["seconds"][lang]


def fmt_ratio(x: float | None, lang: str = "en") -> str:
    """A ratio with two decimals: ``1.1 -> '1.10'``."""
    return DASH if x is None else _number(x, 2, lang)


def fmt_p(p: float | None, lang: str = "en") -> str:  # noqa: ARG001 - same signature as the rest
    """A p-value with two significant digits: ``0.66112 -> '0.66'``, ``0.000412 -> '0.00041'``.

    >>> fmt_p(0.66112), fmt_p(0.0004123), fmt_p(1.0), fmt_p(None)
    ('0.66', '0.00041', '1.0', '—')
    """
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return DASH
    if p == 0:
        return "0"
    digits = max(1, 1 - math.floor(math.log10(abs(p))))
    return f"{p:.{digits}f}"


_FORMATS = {"count": fmt_count, "cny": fmt_cny, "hours": fmt_hours, "ratio": fmt_ratio,
            "days": fmt_days, "p": fmt_p}


def fmt_value(x: float | None, kind: str, lang: str = "en") -> str:
    """Format ``x`` by ``kind`` (count, cny, pct, signed_pct, pp, hours, days, ratio, p).

    ``pp`` is the change of a rate in percentage points (``+5.4 个百分点``), as the index says it.
    """
    if kind == "pp":
        return fmt_change(x, "pct", lang)
    if kind == "pct":
        return fmt_pct(x, lang=lang)
    if kind == "signed_pct":
        return fmt_signed_pct(x, lang=lang)
    return _FORMATS[kind](x, lang)


def fmt_interval(low: float | None, high: float | None, kind: str, lang: str = "en") -> str:
    """An interval as ``low – high`` in ``kind``'s format (a dash when undefined).

    >>> fmt_interval(0.3, 0.45, "pct")
    '30.0% – 45.0%'
    """
    if low is None or high is None:
        return DASH
    return f"{fmt_value(low, kind, lang)} – {fmt_value(high, kind, lang)}"


def fmt_change(x: float | None, kind: str, lang: str = "en") -> str:
    """A change with its sign: ``+3``, ``-¥120.00``, ``+2.5 pp`` (percentage points for rates)."""
    if x is None:
        return DASH
    a = abs(x)
    if kind in _FRACTIONS:
        text = _number(a * 100, 1, lang) + _UNITS["pp"][lang]
    else:
        text = fmt_value(a, kind, lang)
    sign = "±" if shown(a, kind) == 0 else ("+" if x > 0 else "-")
    return sign + text


def fmt_date(d: date | datetime | str | None, lang: str = "en", *, year: bool = False) -> str:
    """A day as a manager writes it: ``9 Oct`` / ``10月9日`` (with the year: ``2026年10月9日``).

    ``d`` may be an ISO string (``2026-10-31``, as the views record their as-of date).
    """
    if d is None or d == "":
        return DASH
    if isinstance(d, str):
        d = date.fromisoformat(d[:10])
    day = d.date() if isinstance(d, datetime) else d
    return babel_dates.format_skeleton(_SKELETONS["day_year" if year else "day"], day,
                                       locale=_locale(lang))


def fmt_datetime(t: datetime | None, lang: str = "en") -> str:
    """A moment to the minute: ``9 Oct 2026 14:01`` / ``2026年10月9日 14:01``."""
    if t is None:
        return DASH
    return f"{fmt_date(t, lang, year=True)} {t:%H:%M}"


def fmt_month(month: str | None, lang: str = "en") -> str:
    """A report month ``YYYY-MM`` as ``October 2026`` / ``2026年10月``."""
    if not month:
        return DASH
    year, mon = (int(p) for p in month.split("-"))
    return babel_dates.format_skeleton(_SKELETONS["month"], date(year, mon, 1),
                                       locale=_locale(lang))


#: d3 time formats for plotly date axes and hover text (plotly draws them in the browser).
AXIS_DATE_FORMAT: dict[str, str] = {"en": "%-d %b", "zh": "%-m月%-d日"}
HOVER_DATE_FORMAT: dict[str, str] = {"en": "%-d %b %Y", "zh": "%Y年%-m月%-d日"}


def fmt_cell(value: object, kind: str | None, lang: str = "en") -> str:
    """One table or Excel-note cell: numbers by ``kind``, dates by language, text as is.

    ``kind`` None guesses from the value: int -> count, float -> ratio (two decimals).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    if isinstance(value, datetime):
        return fmt_datetime(value, lang)
    if isinstance(value, date):
        return fmt_date(value, lang, year=True)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return fmt_value(value, kind or ("count" if isinstance(value, int) else "ratio"), lang)
    return str(value)


def fmt_column(column: str, kind: str, lang: str = "en") -> pl.Expr:
    """The polars expression formatting ``column`` as :func:`fmt_value` would (tables).

    A per-value function over small display tables: one rule for cells and cards alike.
    """
    return pl.col(column).map_elements(lambda x: fmt_value(x, kind, lang), return_dtype=pl.String,
                                       skip_nulls=False).fill_null(DASH)
