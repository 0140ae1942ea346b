"""Showing plotly figures in notebooks so they survive both JupyterLab and the offline HTML pack.

Why not ``fig.show()``: under papermill the default renderer emits a mimetype nbconvert cannot
draw, so charts silently vanish from the HTML (STACK_NOTES.md). ``show`` emits one display
bundle with two representations: the plotly JSON mimetype, which JupyterLab renders natively,
and an HTML ``<div>`` that expects ``window.Plotly`` to be loaded once by the page (the pack
ships ``plotly.min.js`` beside its pages instead of repeating 4.8 MB in every chart).
"""

from __future__ import annotations

import html
import json
import math
import re
from typing import TYPE_CHECKING

from audit.core.fmt import fmt_count

if TYPE_CHECKING:
    import plotly.graph_objects as go
    import polars as pl

PLOTLY_MIMETYPE = "application/vnd.plotly.v1+json"


def figure_bundle(fig: go.Figure) -> dict[str, object]:
    """The display bundle for ``fig``: plotly JSON for JupyterLab, a bare div for nbconvert."""
    html = fig.to_html(full_html=False, include_plotlyjs=False, include_mathjax=False,
                       config={"displaylogo": False, "responsive": True})
    return {PLOTLY_MIMETYPE: json.loads(fig.to_json()), "text/html": html}


def show(fig: go.Figure) -> None:
    """Display ``fig`` in a notebook (JupyterLab and the offline HTML pack alike)."""
    from IPython.display import display

    display(figure_bundle(fig), raw=True)


def cell_text(value: object) -> str:
    """A cell as a manager reads it: thousands separators, floats rounded, nothing for null.

    Floats of 1 or more get two decimals (money in yuan), smaller ones three (shares and
    rates), whole floats of 1,000 or more none: ``159.20000000000002 -> '159.20'``,
    ``0.158365 -> '0.158'``, ``12345.0 -> '12,345'``. Formatting only: tables are for reading,
    the CSV outputs keep full precision.

    Examples
    --------
    >>> [cell_text(v) for v in (None, 1234567, 159.20000000000002, 0.158365, 12345.0, "a<b")]
    ['', '1,234,567', '159.20', '0.158', '12,345', 'a<b']
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return ""
        if value.is_integer() and abs(value) >= 1000:  # noqa: PLR2004
            return f"{value:,.0f}"
        return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.3f}"
    return str(value)


_NUMBER = re.compile(r"^[-+±]?¥?[\d,.]+(%| \S{1,4})?( – [-+±]?¥?[\d,.]+(%| \S{1,4})?)?$")
#: Text cells up to this many characters never wrap (a name, a status, a date and time).
_SHORT = 18


def _cell(value: object, numeric: bool) -> str:  # noqa: FBT001 - one flag per column
    text = cell_text(value)
    if numeric or (isinstance(value, str) and _looks_numeric(text)):
        return f'<td class="num">{html.escape(text)}</td>'
    short = ' class="short"' if len(text) <= _SHORT else ""
    return f"<td{short}>{html.escape(text)}</td>"


def _looks_numeric(text: str) -> bool:
    """A formatted number (``¥1,234.50``, ``-12.5%``, ``3.5 小时``): right-aligned like one."""
    return bool(_NUMBER.match(text))


def table_html(df: pl.DataFrame, *, max_rows: int = 50, lang: str | None = None,
               more_href: str | None = None, anchor: str | None = None) -> str:
    """An HTML table of ``df`` with every header and cell escaped (review text may hold markup).

    With ``lang``, the frame is first shown in words (:func:`audit.core.display.display_table`:
    headers, coded values, numbers and dates in that language); without it numbers are
    formatted by :func:`cell_text`. Numbers are right-aligned. A capped table says how many rows
    are left out and, with ``more_href``, links to the list that has them all. The table sits in
    a horizontally scrollable box, so a wide table never widens the page.
    """
    if lang is not None:
        from audit.core.display import display_table

        numeric = [dt.is_numeric() for dt in df.dtypes]
        df = display_table(df, lang)
    else:
        numeric = [dt.is_numeric() for dt in df.dtypes]
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    rows = "".join(
        "<tr>" + "".join(_cell(v, num) for v, num in zip(row, numeric, strict=True)) + "</tr>"
        for row in df.head(max_rows).iter_rows()
    )
    more = ""
    if df.height > max_rows:
        from audit.core.labels import label

        text = label("table.more_rows", lang or "en").format(
            n=fmt_count(df.height - max_rows, lang or "en"))
        if more_href:
            link = label("table.full_list", lang or "en")
            text += f' <a href="{html.escape(more_href)}">{html.escape(link)}</a>'
        more = f'<p class="ra-more">{text}</p>'
    ident = f' id="{html.escape(anchor)}"' if anchor else ""
    return (f'<div class="ra-scroll"{ident}><table class="ra-table"><thead><tr>{head}</tr>'
            f"</thead><tbody>{rows}</tbody></table></div>{more}")


def show_table(df: pl.DataFrame, *, max_rows: int = 50, lang: str | None = None,
               more_href: str | None = None, anchor: str | None = None) -> None:
    """Display ``df`` as an escaped HTML table (never polars' or pandas' own HTML repr)."""
    from IPython.display import HTML, display

    display(HTML(table_html(df, max_rows=max_rows, lang=lang, more_href=more_href,
                            anchor=anchor)))
