"""Figures for the promise audit: one builder per chart, small aggregated frames in, go.Figure out.

Every builder takes the frames of :mod:`audit.promises.views` (already aggregated, buyers
masked) and ``lang`` for its words (:func:`audit.core.labels.label`). Rates carry their counts
in the
bar text and hover, so a manager never reads a 100 % that means one promise out of one.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from audit.core.display import value_label
from audit.core.figure_style import BAD, GOOD, PALETTE, styled
from audit.core.fmt import DASH, fmt_datetime, fmt_pct
from audit.core.labels import label


def _legend_below_title(fig: go.Figure) -> go.Figure:
    """Leave room between the title and the horizontal legend (they overlap otherwise)."""
    return fig.update_layout(margin_t=80, legend_y=1.04)


def _rate_text(df: pl.DataFrame) -> list[str]:
    return [
        f"{fmt_pct(r)} ({b + p:,}/{d:,})" if r is not None else DASH
        for r, b, p, d in zip(df["broken_rate"], df["broken"], df["partial"], df["due"],
                              strict=True)
    ]


def broken_rate_bars(df: pl.DataFrame, *, by: str, lang: str = "en") -> go.Figure:
    """Draw the broken-or-partial share of promises due, one horizontal bar per ``by`` value.

    Parameters
    ----------
    df
        ``promises_summary.by_agent`` or ``by_kind`` collected (columns ``by``, broken_rate,
        broken, partial, due, owed_cny).
    by
        ``agent_id`` or ``kind``.
    """
    df = df.filter(pl.col("due") > 0).sort("broken_rate", descending=False)
    if by == "kind":
        names = [label(f"promises.kind.{k}", lang) for k in df["kind"]]
        title = label("promises.by_kind", lang)
    else:
        names = [f"{a} {n}" if n else a for a, n in
                 zip(df["agent_id"], df["agent_name"], strict=True)]
        title = label("promises.by_agent", lang)
    fig = go.Figure(go.Bar(
        x=df["broken_rate"].to_list(), y=names, orientation="h", marker_color=BAD,
        text=_rate_text(df), textposition="auto",
        customdata=list(zip(df["broken"], df["partial"], df["due"], df["owed_cny"].fill_null(0),
                            strict=True)),
        hovertemplate=(
            "%{y}<br>%{x:.1%} · " + label("promises.status.broken", lang) + " %{customdata[0]}, "
            + label("promises.status.partial", lang) + " %{customdata[1]} / %{customdata[2]}"
            + "<br>" + label("promises.owed_cny", lang) + " ¥%{customdata[3]:,.2f}<extra></extra>"
        ),
    ))
    fig.update_xaxes(tickformat=".1%", title=label("promises.broken_rate", lang),
                     rangemode="tozero")
    return styled(fig, title=title, height=max(300, 26 * df.height + 120))


def ageing_bars(df: pl.DataFrame, *, lang: str = "en") -> go.Figure:
    """Stack broken and partial promises per ageing bucket (``promises_summary.ageing``)."""
    fig = go.Figure()
    for status, colour in (("broken", BAD), ("partial", PALETTE[3])):
        fig.add_bar(x=[value_label("ageing", a, lang) for a in df["ageing"]],
                    y=df[status].to_list(), marker_color=colour,
                    name=label(f"promises.status.{status}", lang),
                    customdata=df["owed_cny"].to_list(),
                    hovertemplate="%{x}: %{y:,}<br>" + label("promises.owed_cny", lang)
                    + " ¥%{customdata:,.2f}<extra></extra>")
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title=label("promises.ageing", lang), type="category")
    fig.update_yaxes(title=label("promises.count", lang))
    return _legend_below_title(styled(fig, title=label("promises.ageing_title", lang)))


def flag_bars(df: pl.DataFrame, *, lang: str = "en") -> go.Figure:
    """Draw bars of promises per flag (``promises_summary.flag_counts``); compliance flag in red."""
    names = [label(f"promises.flag.{f}", lang) for f in df["flag"]]
    colours = [BAD if f == "conditional_on_review" else PALETTE[0] for f in df["flag"]]
    fig = go.Figure(go.Bar(
        x=df["promises"].to_list(), y=names, orientation="h", marker_color=colours,
        text=[f"{n:,}" for n in df["promises"]], textposition="auto",
        customdata=df["promised_cny"].to_list(),
        hovertemplate="%{y}: %{x:,}<br>" + label("promises.amount_cny", lang)
        + " ¥%{customdata:,.2f}<extra></extra>",
    ))
    fig.update_xaxes(title=label("promises.count", lang), rangemode="tozero")
    return styled(fig, title=label("promises.flags_title", lang), height=300)


def money_out_bars(df: pl.DataFrame, *, lang: str = "en") -> go.Figure:
    """Stack duplicate and unpromised money per shop (``money_out_without_promise``)."""
    fig = go.Figure()
    shops = sorted(set(df["shop_id"].to_list()))
    for finding, colour in (("unpromised", BAD), ("duplicate", PALETTE[3])):
        part = df.filter(pl.col("finding") == finding).group_by("shop_id").agg(
            pl.col("amount_cny").sum(), pl.col("payments").sum())
        amounts = dict(zip(part["shop_id"], part["amount_cny"], strict=True))
        counts = dict(zip(part["shop_id"], part["payments"], strict=True))
        fig.add_bar(x=shops, y=[amounts.get(s, 0.0) for s in shops], marker_color=colour,
                    name=label(f"promises.finding.{finding}", lang),
                    customdata=[counts.get(s, 0) for s in shops],
                    hovertemplate="%{x}: ¥%{y:,.2f} (%{customdata:,})<extra></extra>")
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title=label("promises.shop", lang), type="category")
    fig.update_yaxes(title=label("promises.amount_cny", lang), tickprefix="¥", tickformat=",.0f")
    return _legend_below_title(styled(fig, title=label("promises.money_out_title", lang)))


def status_donut(counts: dict[str, int], *, lang: str = "en") -> go.Figure:
    """Draw all audited promises by status (from ``promise_headline``)."""
    order = ("kept", "kept_late", "partial", "broken", "pending")
    colours = (GOOD, PALETTE[4], PALETTE[3], BAD, PALETTE[7])
    fig = go.Figure(go.Pie(
        labels=[label(f"promises.status.{s}", lang) for s in order],
        values=[counts.get(s, 0) for s in order], marker_colors=list(colours), hole=0.55,
        sort=False, textinfo="label+percent", texttemplate="%{label}<br>%{percent:.1%}",
        hovertemplate="%{label}: %{value:,}<extra></extra>",
    ))
    fig = styled(fig, title=label("promises.title", lang), height=340)
    return fig.update_layout(showlegend=False)  # the slices carry their labels


#: Coded columns whose values the page shows in words: column -> label prefix.
_CODED = {"kind": "promises.kind", "finding": "promises.finding", "verdict": "promises.verdict",
          "status": "promises.status"}


def labelled(df: pl.DataFrame, *, lang: str = "en") -> pl.DataFrame:
    """``df`` as a manager reads it: coded values and headers in words (``col.<column>``).

    Used by the page sections of issue 13 (compensation tied to the review, chat offers), whose
    lists carry codes (``conditional_not_declared``) that must not reach a reader.
    """
    def header(c: str) -> str:
        try:
            return label(f"col.{c}", lang)
        except KeyError:
            return c

    coded = [
        pl.col(c).replace_strict({v: label(f"{_CODED[c]}.{v}", lang)
                                  for v in df[c].drop_nulls().unique()}, default=None)
        for c in df.columns if c in _CODED
    ]
    flags = [pl.when(pl.col(c)).then(pl.lit(label("promises.yes", lang)))
             .otherwise(pl.lit(label("promises.no", lang))).alias(c)
             for c, t in df.schema.items() if t == pl.Boolean]
    times = [pl.col(c).map_elements(lambda v: fmt_datetime(v, lang), return_dtype=pl.String,
                                    skip_nulls=False)  # as every other page writes a moment
             for c, t in df.schema.items() if isinstance(t, pl.Datetime)]
    return df.with_columns(*coded, *flags, *times).rename({c: header(c) for c in df.columns})


def section_html(title: str, text: str = "", *, level: int = 2) -> str:
    """A section heading and its paragraph as escaped HTML (label texts, never input text)."""
    import html

    body = f"<p>{html.escape(text)}</p>" if text else ""
    return f"<h{level}>{html.escape(title)}</h{level}>{body}"


def show_section(title: str, text: str = "", *, level: int = 2) -> None:
    """Display :func:`section_html` in a notebook."""
    from IPython.display import HTML, display

    display(HTML(section_html(title, text, level=level)))
