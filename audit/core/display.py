"""A view's frame as a manager reads it: headers and coded values in words, numbers formatted.

Every table a page shows goes through :func:`display_table`, so a column or a coded value
(``coupon``, ``broken``, ``novice``) reads the same on every page and in every language, and a
new view's column is labelled (or caught by the zh pack's Latin-word test) without touching the
page. Column headers come from ``col.<column>`` labels; coded values from
``<prefix>.<value>`` labels (:data:`VALUE_LABELS`, ``value.<column>`` by default); numbers from
:mod:`audit.core.fmt` by the column's kind (:func:`column_kind`).
"""

from __future__ import annotations

import re

import polars as pl

from audit.core.fmt import DASH, fmt_cell, fmt_date, fmt_datetime
from audit.core.labels import has_label, label

#: Coded columns and the label prefix of their values (``value.<column>`` when not listed).
VALUE_LABELS: dict[str, str] = {
    "status": "promises.status", "kind": "promises.kind", "flags": "promises.flag",
    "finding": "promises.finding", "check": "resolution.check", "event": "impact.event",
    "metric": "impact.metric", "log_category": "value.category", "text_tier": "value.category",
}
#: Coded columns holding several codes joined by ``;`` (shown joined by the list separator).
MULTI_VALUED: frozenset[str] = frozenset({"flags"})
#: Columns whose values are codes to translate (everything else is shown as written).
CODED: frozenset[str] = frozenset({
    *VALUE_LABELS, "category", "level", "rating", "claimed_outcome", "ageing", "verdict",
    "text_tier_name", "logged_category", "text_category", "log_category", "text_tier",
})

#: Name patterns -> kind of number (first match wins); ints default to counts, floats to ratios.
_KIND_RULES: tuple[tuple[str, str], ...] = (
    (r"_cny$", "cny"), (r"(^|_)p$|_p_|pretrend_p|p_value", "p"),
    (r"(^|_)(rate|share)(_|$)|_share$|^share_", "pct"), (r"_pct$", "signed_pct_points"),
    (r"hours", "hours"), (r"(^|_)days?(_|$)", "days"), (r"ratio|expected|per_", "ratio"),
)


def column_kind(name: str, dtype: pl.DataType) -> str | None:
    """The kind of number a column holds, from its name (``owed_cny`` -> cny), or None."""
    if not dtype.is_numeric():
        return None
    for pattern, kind in _KIND_RULES:
        if re.search(pattern, name):
            if kind == "days" and dtype.is_integer():
                return "count"
            return kind
    return "count" if dtype.is_integer() else "ratio"


def header(column: str, lang: str) -> str:
    """A column's header in ``lang`` (``col.<column>``; the raw name when no label has it)."""
    return label(f"col.{column}", lang) if has_label(f"col.{column}") else column


def value_label(column: str, value: str, lang: str) -> str:
    """A coded value in words (``kind``: ``coupon`` -> 优惠券); unknown codes stay as they are."""
    key = f"{VALUE_LABELS.get(column, f'value.{column}')}.{value}"
    return label(key, lang) if has_label(key) else value


def coded_text(column: str, value: str | None, lang: str) -> str:
    """A coded cell in words; several codes (``a;b``) joined with the language's separator."""
    if value is None or value == "":
        return "" if column in MULTI_VALUED else DASH
    if column in MULTI_VALUED:
        return label("list.separator", lang).join(value_label(column, v, lang)
                                          for v in value.split(";") if v)
    return value_label(column, value, lang)


def cell_expr(column: str, dtype: pl.DataType, lang: str, kind: str | None = None) -> pl.Expr:
    """The expression showing one column as text: coded values, numbers, dates."""
    col = pl.col(column)
    if column in CODED and dtype == pl.String:
        return col.map_elements(lambda v: coded_text(column, v, lang), return_dtype=pl.String,
                                skip_nulls=False)
    if dtype == pl.Datetime or isinstance(dtype, pl.Datetime):
        return col.map_elements(lambda v: fmt_datetime(v, lang), return_dtype=pl.String,
                                skip_nulls=False)
    if dtype == pl.Date:
        return col.map_elements(lambda v: fmt_date(v, lang, year=True), return_dtype=pl.String,
                                skip_nulls=False)
    kind = kind or column_kind(column, dtype)
    if kind == "signed_pct_points":  # already in percent: 12.8 -> +12.8%
        return col.map_elements(lambda v: fmt_cell(None if v is None else v / 100,
                                                   "signed_pct", lang),
                                return_dtype=pl.String, skip_nulls=False)
    if kind is not None:
        return col.map_elements(lambda v: fmt_cell(v, kind, lang), return_dtype=pl.String,
                                skip_nulls=False)
    if dtype == pl.Boolean:
        return col.map_elements(lambda v: label(f"value.bool.{str(v).lower()}", lang),
                                return_dtype=pl.String, skip_nulls=False)
    return col.cast(pl.String).fill_null(DASH)


def display_table(df: pl.DataFrame, lang: str, *, kinds: dict[str, str] | None = None,
                  columns: list[str] | None = None) -> pl.DataFrame:
    """``df`` as text for a page: every cell formatted, every header and code in ``lang``.

    ``kinds`` overrides the kind of number of a column; ``columns`` picks and orders them.
    String columns that are not codes (ids, names, already formatted text) pass through.
    """
    kinds = kinds or {}
    cols = columns or df.columns
    out = df.select(cell_expr(c, df.schema[c], lang, kinds.get(c)).alias(c) for c in cols)
    return out.rename({c: header(c, lang) for c in cols})


def agent_labels(df: pl.DataFrame) -> dict[str, str]:
    """agent_id -> the id with the name a manager knows (``A06 赵敏``; unique, like the ids).

    The id alone where ``df`` has no ``agent_name`` or the name is missing. Every chart that
    names agents (heatmap, ranking, the trends page's lines) uses this one form.
    """
    if "agent_name" not in df.columns:
        return {a: a for a in df["agent_id"].to_list()}
    return {a: f"{a} {n}" if n else a
            for a, n in df.select("agent_id", "agent_name").unique().iter_rows()}
