"""The index cards' sparklines: a metric's monthly values from the trends view, as inline SVG.

Why inline SVG from Python: the index is plain HTML with no script (it opens offline, from a
mail attachment or a shared drive), and a card's line needs no interaction; a plotly chart per
card would add a script and a heavy page for 8 small lines. The points are the trends view's
own values (``data/trends.csv``: the same rows the trends page shows), never recomputed here.
Months whose windows were still open at their cut are drawn hollow and lighter, and the SVG's
title and ``aria-label`` say what it shows in the pack's language, values included, so a
screen reader (or a reader hovering) gets the numbers. Every text goes through ``html.escape``.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from audit.core.fmt import fmt_month, fmt_value
from audit.core.labels import label

if TYPE_CHECKING:
    from collections.abc import Sequence

#: Size of the drawing (CSS pixels) and the margin that keeps the end points' circles inside.
WIDTH, HEIGHT, PAD = 150.0, 30.0, 3.5


@dataclass(frozen=True)
class Point:
    """One month of a metric: its value (None: no figure that month) and whether it is final."""

    month: str
    value: float | None
    final: bool


def series(trends: pl.DataFrame) -> dict[str, list[Point]]:
    """The whole-pack rows of the trends view (no agent), per metric, in month order."""
    rows = (trends.filter(pl.col("agent_id").is_null())
            .select("metric", "month", "value", "final").sort("metric", "month"))
    out: dict[str, list[Point]] = {}
    for metric, month, value, final in rows.iter_rows():
        out.setdefault(metric, []).append(Point(month, value, bool(final)))
    return out


def _e(x: object) -> str:
    return html.escape(str(x), quote=True)


def _describe(points: Sequence[Point], *, name: str, kind: str, lang: str) -> str:
    """The title/aria-label: what the line is, its months and values, what hollow means."""
    values = label("index.spark_separator", lang).join(
        f"{fmt_month(p.month, lang)} {fmt_value(p.value, kind, lang)}"
        + ("" if p.final else label("index.spark_open_mark", lang)) for p in points)
    text = label("index.spark_title", lang).format(metric=name, values=values)
    if not all(p.final for p in points):
        text += " " + label("index.spark_open", lang)
    return text


def sparkline_svg(points: Sequence[Point], *, name: str, kind: str, lang: str) -> str:
    """The inline SVG of ``points`` (``""`` when fewer than two months have a value).

    Each point's circle carries ``data-month``, ``data-value`` (the view's value in full
    precision) and ``data-final``, so a test or a script can read the drawn numbers back.
    """
    drawn = [(i, p.month, float(p.value), p.final) for i, p in enumerate(points)
             if p.value is not None and math.isfinite(p.value)]
    if len(drawn) < 2:  # noqa: PLR2004 - one month is a point, not a trend
        return ""
    low, high = min(d[2] for d in drawn), max(d[2] for d in drawn)
    step = (WIDTH - 2 * PAD) / (len(points) - 1)

    def at(i: int, v: float) -> str:
        y = HEIGHT / 2 if high == low else PAD + (high - v) / (high - low) * (HEIGHT - 2 * PAD)
        return f"{PAD + i * step:.1f},{y:.1f}"

    segments: list[list[str]] = []
    for n, (i, _, v, _) in enumerate(drawn):  # a month without a value breaks the line
        if n == 0 or i != drawn[n - 1][0] + 1:
            segments.append([])
        segments[-1].append(at(i, v))
    lines = "".join(f'<polyline points="{" ".join(s)}"/>' for s in segments if len(s) > 1)
    dots = "".join(
        '<circle cx="{}" cy="{}" r="2.5" class="{}" data-month="{}" data-value="{}" '
        'data-final="{}"/>'.format(*at(i, v).split(","), "f" if final else "o", _e(month),
                                   _e(repr(v)), "true" if final else "false")
        for i, month, v, final in drawn)
    text = _e(_describe(points, name=name, kind=kind, lang=lang))
    return (f'<svg class="spark" role="img" aria-label="{text}" width="{WIDTH:.0f}" '
            f'height="{HEIGHT:.0f}" viewBox="0 0 {WIDTH:.0f} {HEIGHT:.0f}" '
            f'xmlns="http://www.w3.org/2000/svg"><title>{text}</title>'
            f'<g class="line">{lines}</g>{dots}</svg>')


#: The sparkline's look, added to the index page's CSS: final months filled, open ones hollow.
CSS = """
.card .spark { display: block; margin-top: 6px; overflow: visible; }
.spark .line polyline { fill: none; stroke: #5b7fa6; stroke-width: 1.5; }
.spark circle.f { fill: #2f5d8a; stroke: #2f5d8a; }
.spark circle.o { fill: #fff; stroke: #9bb3cc; stroke-width: 1.5; }
"""
