"""Resolution tables as a manager reads them: 41.2%, 1,204, 18.5 h, labelled headers.

The analysis frames keep full-precision numbers (the CSV files are for re-use); the notebook
shows these formatted copies instead. Pure: a collected frame in, a string frame out.
"""

from __future__ import annotations

from typing import Literal, get_args

import polars as pl

from audit.core.labels import label
from audit.core.masking import mask_buyers

View = Literal["agents", "categories", "breaches", "unverified", "workload"]
VIEWS: tuple[str, ...] = get_args(View)

_COLUMNS: dict[str, tuple[str, ...]] = {
    "agents": ("rank", "agent_id", "agent_name", "level", "cases", "eligible", "resolved",
               "still_open", "rate", "rate_ci", "expected", "mix_adjusted_ratio", "ratio_ci",
               "shrunk_ratio", "median_hours_to_first_contact", "share_within_sla"),
    "categories": ("category", "cases", "eligible", "resolved", "still_open", "rate", "rate_ci",
                   "median_hours_to_case_opened", "median_hours_to_first_contact",
                   "p90_hours_to_first_contact", "share_within_sla"),
    "breaches": ("case_id", "agent_id", "check", "detail"),
    "unverified": ("case_id", "agent_id", "claimed_outcome"),
    "workload": ("agent_id", "working_days", "cases_opened", "cases_per_working_day",
                 "resolutions", "resolutions_per_working_day", "contacts", "peak_day_cases"),
}
_PCT = ("rate", "share_within_sla")
_HOURS = ("median_hours_to_first_contact", "p90_hours_to_first_contact",
          "median_hours_to_case_opened")
_RATIO = ("mix_adjusted_ratio", "shrunk_ratio", "expected", "cases_per_working_day",
          "resolutions_per_working_day")
_DASH = "—"


def _pct(col: str | pl.Expr) -> pl.Expr:
    e = pl.col(col) if isinstance(col, str) else col
    return (e * 100).round(1).cast(pl.String) + "%"


def _num(col: str, decimals: int, unit: str = "") -> pl.Expr:
    return pl.col(col).round(decimals).cast(pl.String) + unit


def _count(col: str) -> pl.Expr:
    # Thousands separators: 1204 -> "1,204" (polars has no format spec for ints).
    return pl.col(col).cast(pl.Int64).cast(pl.String).str.reverse().str.replace_all(
        r"(\d{3})(\d)", "$1,$2").str.reverse()


def display_frame(df: pl.DataFrame, view: str, *, lang: str = "en") -> pl.DataFrame:
    """Format, label and mask one resolution frame for showing.

    Parameters
    ----------
    df
        A collected frame of :class:`audit.resolution.ResolutionAudit` (``by_agent`` for
        ``agents``, ``by_category`` for ``categories``, ``breaches``, ``unverified``,
        ``workload``).
    view
        Which preset of columns to show (``VIEWS``).
    lang
        ``en`` or ``zh`` for headers and check names.
    """
    if view not in VIEWS:
        msg = f"view must be one of {', '.join(VIEWS)}, got {view!r}"
        raise ValueError(msg)
    out = mask_buyers(df)
    if "ci_low" in out.columns:
        out = out.with_columns(
            rate_ci=pl.when(pl.col("ci_low").is_not_null())
            .then(_pct("ci_low") + " – " + _pct("ci_high"))
        )
    if "ratio_ci_low" in out.columns:
        out = out.with_columns(
            ratio_ci=pl.when(pl.col("ratio_ci_low").is_not_null())
            .then(_num("ratio_ci_low", 2) + " – " + _num("ratio_ci_high", 2))
        )
    if view == "breaches":
        from audit.resolution.protocol import CHECKS

        out = out.with_columns(pl.col("check").replace(
            list(CHECKS), [label(f"resolution.check.{c}", lang) for c in CHECKS]))
    cols = [c for c in _COLUMNS[view] if c in out.columns]
    fmt = []
    for c in cols:
        dtype = out.schema[c]
        if c in _PCT:
            fmt.append(_pct(c).alias(c))
        elif c in _HOURS:
            fmt.append(_num(c, 1, " h").alias(c))
        elif c in _RATIO:
            fmt.append(_num(c, 2).alias(c))
        elif dtype.is_integer():
            fmt.append(_count(c).alias(c))
        else:
            fmt.append(pl.col(c).cast(pl.String))
    shown = out.select(fmt).with_columns(pl.all().fill_null(_DASH))
    return shown.rename({c: label(f"resolution.col.{c}", lang) for c in cols})


def headline_frame(headline: dict[str, object], *, lang: str = "en") -> pl.DataFrame:
    """Turn a :func:`audit.resolution.resolution_headline` dict into a two-column table."""
    def pct(x: object) -> str:
        return _DASH if x is None else f"{float(x) * 100:.1f}%"  # type: ignore[arg-type]

    def hours(x: object) -> str:
        return _DASH if x is None else f"{float(x):,.1f} h"  # type: ignore[arg-type]

    h = headline
    ci = (_DASH if h["ci_low"] is None else f"{pct(h['ci_low'])} – {pct(h['ci_high'])}")
    rows = [
        ("cases", f"{h['cohort_cases']:,}"),
        ("eligible", f"{h['eligible']:,}"),
        ("resolved", f"{h['resolved']:,}"),
        ("still_open", f"{h['still_open']:,}"),
        ("rate", pct(h["rate"])),
        ("rate_ci", ci),
        ("median_hours_to_first_contact", hours(h["median_hours_to_first_contact"])),
        ("p90_hours_to_first_contact", hours(h["p90_hours_to_first_contact"])),
        ("share_within_sla", pct(h["share_within_sla"])),
        ("breaches", f"{h['breaches']:,}"),
        ("unverified_claims", f"{h['unverified_claims']:,}"),
    ]
    names = [label(f"resolution.col.{k}", lang) for k, _ in rows]
    return pl.DataFrame({label("resolution.col.metric", lang): names,
                         label("resolution.col.value", lang): [v for _, v in rows]})
