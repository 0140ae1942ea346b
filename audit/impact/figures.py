"""Figures for the sales-impact report: result frames in, ``go.Figure`` out.

Builders take the frames of :func:`audit.impact.estimate_impact`; titles and axis names come
from ``audit/labels/impact.json``.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from audit.core.figure_style import BAD, PALETTE, styled
from audit.core.labels import label
from audit.impact.analysis import headline_rows


def _l(key: str, lang: str) -> str:
    return label(f"impact.{key}", lang)


def event_study_chart(event_study: pl.DataFrame, *, event: str = "explanation",
                      metric: str = "conversion", lang: str = "en") -> go.Figure:
    """Effect by event day with its 95% interval band; day 0 is the event, leads before it.

    Leads near zero are the visual pre-trend check; an empty chart means "too thin".
    """
    df = headline_rows(event_study).filter(pl.col("event") == event,
                                           pl.col("metric") == metric).sort("day")
    day = df["day"].to_list()
    fig = go.Figure([
        go.Scatter(x=day + day[::-1],
                   y=df["ci_high_pct"].to_list() + df["ci_low_pct"].to_list()[::-1],
                   fill="toself", fillcolor="rgba(76,120,168,0.18)", line={"width": 0},
                   name=_l("series.interval", lang), hoverinfo="skip"),
        go.Scatter(x=day, y=df["estimate_pct"].to_list(), mode="lines+markers",
                   line={"color": PALETTE[0]}, name=_l("series.estimate", lang),
                   hovertemplate="%{x}: %{y:.1f}%<extra></extra>"),
    ])
    fig.add_hline(y=0, line={"color": "#888", "width": 1})
    fig.add_vline(x=-0.5, line={"color": "#888", "width": 1, "dash": "dot"})
    fig.update_xaxes(title=_l("axis.day", lang))
    fig.update_yaxes(title=_l("axis.effect_pct", lang), ticksuffix="%")
    title = f"{_l('event.' + event, lang)}: {_l('fig.event_study', lang)}"
    return styled(fig, title=title)


def decomposition_chart(paths: pl.DataFrame, *, event: str = "explanation",
                        lang: str = "en") -> go.Figure:
    """Mean visitors (traffic) and conversion per day, treated vs clean controls.

    Seed 004's pattern is flat traffic and rising conversion for the treated line only.
    """
    fig = make_subplots(rows=1, cols=2, subplot_titles=(_l("axis.visitors", lang),
                                                        _l("axis.conversion", lang)))
    df = paths.filter(pl.col("event") == event)
    for colour, group in zip((PALETTE[0], PALETTE[3]), ("treated", "control"), strict=True):
        g = df.filter(pl.col("group") == group).sort("day")
        name = _l(f"group.{group}", lang)
        fig.add_trace(go.Scatter(x=g["day"].to_list(), y=g["visitors"].to_list(), name=name,
                                 line={"color": colour}, legendgroup=group,
                                 hovertemplate="%{x}: %{y:,.0f}<extra></extra>"), row=1, col=1)
        fig.add_trace(go.Scatter(x=g["day"].to_list(), y=g["conversion"].to_list(), name=name,
                                 line={"color": colour}, legendgroup=group, showlegend=False,
                                 hovertemplate="%{x}: %{y:.2%}<extra></extra>"), row=1, col=2)
    fig.update_xaxes(title=_l("axis.day", lang))
    fig.update_yaxes(rangemode="tozero", row=1, col=1)
    fig.update_yaxes(tickformat=".1%", row=1, col=2)
    return styled(fig, title=f"{_l('event.' + event, lang)}: {_l('fig.decomposition', lang)}")


def summary_chart(summary: pl.DataFrame, *, event: str = "explanation",
                  lang: str = "en") -> go.Figure:
    """Per metric: the event-study estimate with its interval beside the naive before/after."""
    df = headline_rows(summary).filter(pl.col("event") == event)
    names = [_l(f"metric.{m}", lang) for m in df["metric"]]
    est = df["estimate_pct"].to_list()
    fig = go.Figure([
        go.Bar(x=names, y=est, name=_l("series.estimate", lang), marker_color=PALETTE[0],
               error_y={"type": "data", "symmetric": False,
                        "array": [None if h is None or e is None else h - e
                                  for h, e in zip(df["ci_high_pct"], est, strict=True)],
                        "arrayminus": [None if lo is None or e is None else e - lo
                                       for lo, e in zip(df["ci_low_pct"], est, strict=True)]},
               hovertemplate="%{x}: %{y:.1f}%<extra></extra>"),
        go.Bar(x=names, y=df["naive_pct"].to_list(), name=_l("series.naive", lang),
               marker_color=BAD, opacity=0.55,
               hovertemplate="%{x}: %{y:.1f}%<extra></extra>"),
    ])
    fig.add_hline(y=0, line={"color": "#888", "width": 1})
    fig.update_yaxes(title=_l("axis.effect_pct", lang), ticksuffix="%")
    fig.update_layout(barmode="group")
    return styled(fig, title=f"{_l('event.' + event, lang)}: {_l('fig.summary', lang)}")
