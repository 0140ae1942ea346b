"""Figures for the resolution report: small, aggregated frames in, ``go.Figure`` out.

Every builder takes the frames of :func:`audit.resolution.analyse_resolution` after collection
(a few hundred rows at most) and a ``lang`` for titles and axis names (``audit/labels``).
Counts travel with every rate (hover text or cell text), so a 100% from 2 cases reads as such.
"""

from __future__ import annotations

from datetime import date, timedelta

import plotly.graph_objects as go
import polars as pl

from audit.core.display import agent_labels, value_label
from audit.core.figure_style import BAD, GOOD, PALETTE, date_axis, styled
from audit.core.fmt import fmt_count, fmt_hours, fmt_pct, fmt_ratio
from audit.core.labels import label
from audit.data.schema import CATEGORIES


def _l(key: str, lang: str) -> str:
    return label(f"resolution.{key}", lang)


def _cats(present: list[str]) -> list[str]:
    return [c for c in CATEGORIES if c in present]


def _cat(category: str, lang: str) -> str:
    return value_label("category", category, lang)


def _with_legend(fig: go.Figure, *, title: str, height: int = 400) -> go.Figure:
    # The shared layout puts the legend just above the plot; give the title its own row.
    styled(fig, title=title, height=height)
    fig.update_layout(margin={"t": 95}, title={"y": 0.98, "yanchor": "top"})
    return fig


def rate_by_category(by_category: pl.DataFrame, *, lang: str = "en") -> go.Figure:
    """Bars of the resolution rate per category with Wilson 95% error bars and counts."""
    df = by_category.filter(pl.col("eligible") > 0)
    rate = df["rate"].to_list()
    fig = go.Figure(go.Bar(
        x=[f"{_cat(c, lang)}<br>{a:,}/{b:,}" for c, a, b in
           zip(df["category"], df["resolved"], df["eligible"], strict=True)],
        y=rate,
        error_y={"type": "data", "symmetric": False,
                 "array": [h - r for h, r in zip(df["ci_high"], rate, strict=True)],
                 "arrayminus": [r - lo for lo, r in zip(df["ci_low"], rate, strict=True)]},
        text=[fmt_pct(r) for r in rate],
        textposition="inside",
        insidetextanchor="start",
        marker_color=PALETTE[0],
        hovertemplate="%{x}: %{y:.1%}<extra></extra>",
    ))
    fig.update_yaxes(title=_l("axis.rate", lang), tickformat=".0%", rangemode="tozero")
    fig.update_xaxes(title=_l("axis.category", lang))
    return styled(fig, title=_l("fig.rate_by_category", lang))


def agent_category_heatmap(by_agent_category: pl.DataFrame, *, lang: str = "en",
                           names_from: pl.DataFrame | None = None) -> go.Figure:
    """Agent × category heat map of resolution rates; each cell shows rate and resolved/eligible.

    ``names_from`` (e.g. ``by_agent``, with ``agent_name``) names the rows; without it, ids.
    """
    df = by_agent_category.filter(pl.col("eligible") > 0)
    agents = sorted(df["agent_id"].unique().to_list())
    cats = _cats(df["category"].unique().to_list())
    cell = {(r["agent_id"], r["category"]): r for r in df.iter_rows(named=True)}
    z, text = [], []
    for a in agents:
        z.append([cell[(a, c)]["rate"] if (a, c) in cell else None for c in cats])
        text.append([f"{fmt_pct(cell[(a, c)]['rate'])}<br>{cell[(a, c)]['resolved']}/"
                     f"{cell[(a, c)]['eligible']}" if (a, c) in cell else "" for c in cats])
    known = names_from if names_from is not None and "agent_name" in names_from.columns else df
    names = {a: a for a in agents} | agent_labels(known)
    fig = go.Figure(go.Heatmap(
        z=z, x=[_cat(c, lang) for c in cats], y=[names[a] for a in agents], text=text,
        texttemplate="%{text}", textfont={"size": 10},
        colorscale="RdYlGn", zmin=0, zmax=1, colorbar={"tickformat": ".0%"},
        hovertemplate="%{y} · %{x}: %{text}<extra></extra>", xgap=1, ygap=1,
    ))
    fig.update_yaxes(title=_l("axis.agent", lang), autorange="reversed", type="category")
    fig.update_xaxes(title=_l("axis.category", lang), side="top")
    return styled(fig, title=_l("fig.heatmap", lang), height=max(380, 26 * len(agents) + 140))


def ranked_agents(by_agent: pl.DataFrame, *, lang: str = "en") -> go.Figure:
    """Agents ordered by shrunk ratio: raw ratio and shrunk ratio, each with its 95% interval."""
    df = by_agent.filter(pl.col("shrunk_ratio").is_not_null()).sort("rank")
    names = agent_labels(df)
    y = [names[a] for a in df["agent_id"]]

    def whiskers(mid: str, lo: str, hi: str) -> dict:
        return {"type": "data", "symmetric": False,
                "array": (df[hi] - df[mid]).to_list(), "arrayminus": (df[mid] - df[lo]).to_list()}

    hover = [_l("hover.agent", lang).format(agent=a, eligible=fmt_count(n, lang),
                                            resolved=fmt_count(r, lang),
                                            expected=fmt_ratio(e, lang))
             for a, n, r, e in zip(y, df["eligible"], df["resolved"], df["expected"],
                                   strict=True)]
    fig = go.Figure([
        go.Scatter(x=df["mix_adjusted_ratio"].to_list(), y=y, mode="markers",
                   name=_l("series.raw_ratio", lang), marker={"color": PALETTE[7], "size": 7},
                   error_x=whiskers("mix_adjusted_ratio", "ratio_ci_low", "ratio_ci_high")
                   | {"color": PALETTE[7], "thickness": 1},
                   text=hover, hovertemplate="%{text}<br>%{x:.2f}<extra></extra>"),
        go.Scatter(x=df["shrunk_ratio"].to_list(), y=y, mode="markers",
                   name=_l("series.shrunk_ratio", lang),
                   marker={"color": [GOOD if lo > 1 else BAD if hi < 1 else PALETTE[0]
                                     for lo, hi in zip(df["shrunk_ci_low"], df["shrunk_ci_high"],
                                                       strict=True)], "size": 10,
                           "symbol": "diamond"},
                   error_x=whiskers("shrunk_ratio", "shrunk_ci_low", "shrunk_ci_high")
                   | {"color": PALETTE[0], "thickness": 2},
                   text=hover, hovertemplate="%{text}<br>%{x:.2f}<extra></extra>"),
    ])
    fig.add_vline(x=1.0, line_dash="dash", line_color="#888")
    fig.update_yaxes(title=_l("axis.agent", lang), autorange="reversed", type="category")
    fig.update_xaxes(title=_l("axis.ratio", lang), rangemode="tozero")
    return _with_legend(fig, title=_l("fig.ranked_agents", lang),
                        height=max(400, 22 * len(y) + 160))


def timeliness_by_category(
    by_category: pl.DataFrame, *, sla_hours: float = 24.0, lang: str = "en"
) -> go.Figure:
    """Median and 90th-percentile hours from review to first contact per category, SLA line."""
    df = by_category.filter(pl.col("median_hours_to_first_contact").is_not_null())
    x = [_cat(c, lang) for c in df["category"]]
    unit = fmt_hours(0.0, lang).removeprefix("0.0")
    fig = go.Figure([
        go.Bar(x=x, y=df["median_hours_to_first_contact"].to_list(),
               name=_l("series.median", lang), marker_color=PALETTE[0],
               hovertemplate="%{x}: %{y:.1f}" + unit + "<extra></extra>"),
        go.Bar(x=x, y=df["p90_hours_to_first_contact"].to_list(),
               name=_l("series.p90", lang), marker_color=PALETTE[3],
               hovertemplate="%{x}: %{y:.1f}" + unit + "<extra></extra>"),
    ])
    fig.add_hline(y=sla_hours, line_dash="dash", line_color=BAD,
                  annotation_text=f"{_l('series.sla', lang)} {fmt_hours(sla_hours, lang)}")
    fig.update_layout(barmode="group")
    fig.update_yaxes(title=_l("axis.hours", lang), rangemode="tozero")
    fig.update_xaxes(title=_l("axis.category", lang))
    return _with_legend(fig, title=_l("fig.timeliness", lang))


def breaches_by_check(breaches: pl.DataFrame, *, lang: str = "en") -> go.Figure:
    """Horizontal bars: number of breach rows per protocol check (zero checks shown as 0)."""
    from audit.resolution.protocol import CHECKS

    counts = dict(breaches.group_by("check").len().iter_rows())
    names = [_l(f"check.{c}", lang) for c in CHECKS]
    fig = go.Figure(go.Bar(
        x=[counts.get(c, 0) for c in CHECKS], y=names, orientation="h", marker_color=BAD,
        text=[f"{counts.get(c, 0):,}" for c in CHECKS], textposition="outside",
        hovertemplate="%{y}: %{x:,}<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title=_l("axis.cases", lang), rangemode="tozero")
    return styled(fig, title=_l("fig.breaches", lang))


def backlog_chart(
    backlog: pl.DataFrame, *, month_start: date, month_end: date, lang: str = "en"
) -> go.Figure:
    """Open cases and new reviews per day (left axis) against active agents (right axis).

    The report month is shaded; spikes (a burst of reviews the team cannot absorb) show as the
    open-case line climbing while the agent line stays flat.
    """
    d = backlog["date"].to_list()
    fig = go.Figure([
        go.Bar(x=d, y=backlog["new_reviews"].to_list(), name=_l("series.new_reviews", lang),
               marker_color=PALETTE[7], opacity=0.6),
        go.Scatter(x=d, y=backlog["open_cases"].to_list(), name=_l("series.open_cases", lang),
                   mode="lines", line={"color": BAD, "width": 2}),
        go.Scatter(x=d, y=backlog["active_agents"].to_list(),
                   name=_l("series.active_agents", lang), mode="lines",
                   line={"color": PALETTE[0], "dash": "dot"}, yaxis="y2"),
    ])
    fig.add_vrect(x0=month_start, x1=month_end + timedelta(days=1), fillcolor=PALETTE[4],
                  opacity=0.12, line_width=0, annotation_text=_l("series.report_month", lang),
                  annotation_position="top left")
    fig.update_layout(
        yaxis={"title": _l("axis.cases", lang), "rangemode": "tozero"},
        yaxis2={"title": _l("axis.agents", lang), "overlaying": "y", "side": "right",
                "rangemode": "tozero", "showgrid": False, "tickformat": ",d"},
        bargap=0.1,
    )
    fig.update_xaxes(title=_l("axis.date", lang))
    date_axis(fig, lang)
    return _with_legend(fig, title=_l("fig.backlog", lang), height=440)
