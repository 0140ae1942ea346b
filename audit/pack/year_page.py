"""What the trends page shows: labelled, formatted tables and the charts of the review part.

Formatting and labelling only (audit.core.fmt, the label files); every number comes from the
saved views (:class:`audit.pack.year.YearViews`, :class:`audit.review.views.ReviewViews`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from audit.core.display import agent_labels, cell_expr
from audit.core.figure_style import styled
from audit.core.fmt import DASH, fmt_column, fmt_count, fmt_interval, fmt_month
from audit.core.labels import label
from audit.data.schema import CATEGORIES
from audit.pack.scorecard import KINDS as CARD_KINDS
from audit.pack.trends import METRICS

if TYPE_CHECKING:
    from audit.pack.year import YearViews

#: The review part's columns and their kind of number (pages and Excel lists alike).
KINDS: dict[str, str] = {
    **CARD_KINDS, "coverage": "pct", "share_within_length": "pct",
    "median_days_to_explanation": "days", "days_left": "days", "per_1000_orders": "ratio",
    "peer_per_1000_orders": "ratio", "quality_share": "pct", "monthly_change": "signed_pct",
    "z": "ratio", "orders": "count", "complaints": "count", "reviews": "count",
    "explained": "count", "explained_in_time": "count", "still_open": "count", "due": "count",
    "item_orders_30d": "count", "months_above": "count", "months": "count",
    "resolution_rate_change": "pp", "share_within_sla_change": "pp",
}


#: Columns holding a tier or logged category (shown in the reader's words).
_TIER_COLUMNS = frozenset({"top_tier", "category"})


def header(column: str, lang: str) -> str:
    """The reader's name of a column of the review part (pages and Excel alike).

    ``breaches_<check>`` takes the resolution job's name of the check, so a new check needs
    no label here.
    """
    if column.startswith("breaches_"):
        return label(f"resolution.check.{column.removeprefix('breaches_')}", lang)
    return label(f"year.col.{column}", lang)


def in_words(df: pl.DataFrame, lang: str) -> pl.DataFrame:
    """``df`` with tiers and yes/no flags in the reader's words.

    For the Excel lists; the CSVs keep the codes other tools script against.
    """
    words = {t: label(f"year.tier.{t}", lang) for t in CATEGORIES}
    yes_no = {True: label("year.yes", lang), False: label("year.no", lang)}
    return df.with_columns(
        *[pl.col(c).replace_strict(words, default=None, return_dtype=pl.String)
          for c in df.columns if c in _TIER_COLUMNS],
        *[pl.col(c).replace_strict(yes_no, default=None, return_dtype=pl.String)
          for c in df.columns if df.schema[c] == pl.Boolean])


def table(df: pl.DataFrame, columns: list[str], *, lang: str,
          intervals: dict[str, tuple[str, str, str]] | None = None) -> pl.DataFrame:
    """``columns`` of ``df`` formatted (numbers via audit.core.fmt) under labelled headers.

    ``intervals``: new column -> (low, high, kind), shown as one "a – b" cell.
    """
    out = df
    for name, (lo, hi, kind) in (intervals or {}).items():
        out = out.with_columns(pl.struct(lo, hi).map_elements(
            lambda r, lo=lo, hi=hi, kind=kind: fmt_interval(r[lo], r[hi], kind, lang),
            return_dtype=pl.String).alias(name))
    exprs = []
    for c in columns:
        if c in KINDS:
            exprs.append(fmt_column(c, KINDS[c], lang))
        elif c in _TIER_COLUMNS:
            exprs.append(pl.col(c).replace_strict(
                {t: label(f"year.tier.{t}", lang) for t in CATEGORIES}, default=DASH,
                return_dtype=pl.String))
        elif c in out.columns and out.schema[c].is_temporal():  # 2026年11月1日 00:45
            exprs.append(cell_expr(c, out.schema[c], lang).fill_null(DASH))
        elif c in out.columns and out.schema[c] == pl.Boolean:
            exprs.append(pl.col(c).replace_strict({True: label("year.yes", lang),
                                                   False: label("year.no", lang)},
                                                  default=DASH, return_dtype=pl.String))
        else:
            exprs.append(pl.col(c).cast(pl.String).fill_null(DASH))
    return out.select(exprs).rename({c: header(c, lang) for c in columns})


def trend_chart(trends: pl.DataFrame, *, lang: str) -> go.Figure:
    """Small multiples: one panel per headline metric, month by month, with its interval.

    Hollow markers on months whose windows were still open.
    """
    team = trends.filter(pl.col("agent_id").is_null())
    names = list(METRICS)
    months = _months(trends, lang)
    cols = 2
    fig = make_subplots(rows=-(-len(names) // cols), cols=cols,
                        subplot_titles=[label(f"year.metric.{m}", lang) for m in names])
    for i, metric in enumerate(names):
        d = team.filter(pl.col("metric") == metric).sort("month")
        r, c = i // cols + 1, i % cols + 1
        has_ci = d["ci_low"].is_not_null().any()
        fig.add_trace(go.Scatter(
            x=[fmt_month(m, lang) for m in d["month"]], y=d["value"].to_list(),
            mode="lines+markers", name=label(f"year.metric.{metric}", lang), showlegend=False,
            marker={"symbol": ["circle" if f else "circle-open" for f in d["final"]]},
            error_y={"type": "data", "symmetric": False, "visible": bool(has_ci),
                     "array": (d["ci_high"] - d["value"]).fill_null(0).to_list(),
                     "arrayminus": (d["value"] - d["ci_low"]).fill_null(0).to_list()}),
            row=r, col=c)
        fig.update_yaxes(tickformat=_TICKS.get(METRICS[metric], ""), row=r, col=c)
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=months)
    return styled(fig, title=label("year.fig.trends", lang), height=260 * (-(-len(names) // cols)))


#: Axis tick formats (d3) of a metric's kind: a share as a percentage, money with ¥.
_TICKS = {"pct": ".0%", "cny": "¥,.0f"}


def _months(trends: pl.DataFrame, lang: str) -> list[str]:
    """Every month of ``trends`` in order, as the axis spells it (``2026年10月``)."""
    return [fmt_month(m, lang) for m in sorted(set(trends["month"].to_list()))]


def agent_chart(trends: pl.DataFrame, drift: pl.DataFrame, *, lang: str,
                agents: pl.DataFrame | None = None,
                metric: str = "mix_adjusted_ratio") -> go.Figure:
    """The agents' monthly mix-adjusted ratio, one line each (a legend click hides one).

    Agents whose trend is significant drawn bold. Lines are named as on the heatmap and the
    ranking (``A06 赵敏``) from ``agents`` (agent_id, agent_name); the id alone without a name.
    """
    flagged = set(drift.filter("drifting")["agent_id"].to_list())
    d = trends.filter(pl.col("metric") == metric, pl.col("agent_id").is_not_null())
    names = agent_labels(agents) if agents is not None else {}
    fig = go.Figure()
    for agent in sorted(set(d["agent_id"].to_list())):
        a = d.filter(pl.col("agent_id") == agent).sort("month")
        fig.add_trace(go.Scatter(x=[fmt_month(m, lang) for m in a["month"]],
                                 y=a["value"].to_list(),
                                 mode="lines+markers", name=names.get(agent, agent),
                                 line={"width": 4 if agent in flagged else 1},
                                 opacity=1.0 if agent in flagged else 0.45))
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=_months(trends, lang))
    return styled(fig, title=label(f"year.fig.agents.{metric}", lang), height=420)


def funnel_chart(signal: pl.DataFrame, month: str, *, lang: str) -> go.Figure:
    """Funnel plot of the month: each item's complaints per 1,000 orders against its orders.

    Items above their peers in red.
    """
    d = signal.filter(pl.col("month") == month, pl.col("orders") > 0)
    fig = go.Figure()
    for above, colour in ((False, "#9aa5b1"), (True, "#c0392b")):
        part = d.filter(pl.col("above_peers") == above)
        fig.add_trace(go.Scatter(
            x=part["orders"].to_list(), y=part["per_1000_orders"].to_list(), mode="markers",
            text=part["item_id"].to_list(), marker={"color": colour},
            name=label("year.above_peers" if above else "year.within_peers", lang)))
    fig.update_xaxes(type="log", title=header("orders", lang))
    fig.update_yaxes(title=header("per_1000_orders", lang))
    return styled(fig, title=label("year.fig.funnel", lang), height=420)


def heading(key: str, lang: str) -> None:
    """Show a section heading and its lead paragraph from the labels (HTML-escaped)."""
    import html

    from IPython.display import HTML, display

    text = f"<h2>{html.escape(label(f'year.h.{key}', lang))}</h2>"
    try:
        text += f"<p>{html.escape(label(f'year.p.{key}', lang))}</p>"
    except KeyError:
        pass
    display(HTML(text))


#: The drift table's columns (the interval from ci_low and ci_high).
DRIFT_COLUMNS = ["agent_id", "agent_name", "months", "monthly_change", "interval", "z",
                 "drifting"]


def drift_note(drift: pl.DataFrame, *, lang: str) -> str:
    """The sentence above the drift table: how many of the tested agents drift, or none tested.

    No agent is tested before ``MIN_MONTHS`` months of cases: the sentence says so instead of
    an empty table under bare headers.
    """
    from audit.review.drift import MIN_MONTHS

    if drift.is_empty():
        return label("year.drift.untested", lang).format(months=MIN_MONTHS)
    drifting = int(drift["drifting"].sum())
    key = "year.drift.some" if drifting else "year.drift.none"
    return label(key, lang).format(n=fmt_count(drifting, lang), tested=fmt_count(drift.height,
                                                                                 lang))


def show_drift(drift: pl.DataFrame, *, lang: str) -> None:
    """Show the drift sentence, then the table of the tested agents (none: the sentence only)."""
    import html

    from IPython.display import HTML, display

    from audit.core.charts import show_table

    display(HTML(f"<p>{html.escape(drift_note(drift, lang=lang))}</p>"))
    if not drift.is_empty():
        show_table(table(drift, DRIFT_COLUMNS, lang=lang,
                         intervals={"interval": ("ci_low", "ci_high", "signed_pct")}),
                   max_rows=60, lang=lang)


def trend_table(year: YearViews, *, lang: str) -> pl.DataFrame:
    """The headline trends as a month x metric table (values as shown; * = windows open)."""
    from audit.core.fmt import fmt_value

    team = year.trends.filter(pl.col("agent_id").is_null())
    rows = []
    for month in sorted(set(team["month"].to_list())):
        m = team.filter(pl.col("month") == month)
        row = {header("month", lang): fmt_month(month, lang) + ("" if m["final"].all() else " *")}
        for metric, kind in METRICS.items():
            v = m.filter(pl.col("metric") == metric)["value"]
            row[label(f"year.metric.{metric}", lang)] = fmt_value(v[0] if v.len() else None,
                                                                  kind, lang)
        rows.append(row)
    return pl.DataFrame(rows)
