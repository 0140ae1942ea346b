"""``index.html``: the page a manager opens first.

Headline numbers with the change from the previous month, links to each report and action
list, and the data-quality summary (rows read, valid and quarantined per table). A card whose
metric has a trend carries its monthly values as a small inline SVG read from the trends view
(:mod:`audit.pack.sparkline`). Built from escaped strings only: every value that came from data
or parameters goes through ``html.escape``. No script: the page is plain HTML, CSS and SVG.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING

from audit.core.bundle import action_list_href
from audit.core.display import value_label
from audit.core.fmt import DASH, fmt_change, fmt_count, fmt_date, fmt_interval, fmt_month, fmt_value
from audit.core.labels import has_label, label
from audit.pack.headline import LOWER_IS_BETTER, METRICS, NEUTRAL, Headline
from audit.pack.quality_words import reasons_text
from audit.pack.sparkline import CSS as SPARK_CSS
from audit.pack.sparkline import Point, sparkline_svg

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from audit.data.dataset import TableReport


#: Where each card's number comes from: (report page, section anchor, Excel list or None).
#: The card links to that section and to the list, so a reader gets from the number to the rows
#: behind it in one click.
SOURCES: dict[str, tuple[str, str, str | None]] = {
    "promises_broken_or_partial": ("promises", "headline", "promises_to_chase"),
    "owed_cny": ("promises", "headline", "promises_to_chase"),
    "promises_due": ("promises", "headline", None),
    "broken_rate": ("promises", "by-agent", None),
    "promises_to_chase": ("promises", "chase", "promises_to_chase"),
    "owed_to_chase_cny": ("promises", "chase", "promises_to_chase"),
    "resolution_rate": ("resolution", "by-category", None),
    "cohort_cases": ("resolution", "glance", None),
    "median_hours_to_first_contact": ("resolution", "timeliness", None),
    "share_within_sla": ("resolution", "timeliness", None),
    "protocol_breaches": ("resolution", "breaches", "protocol_breaches"),
    "unverified_claims": ("resolution", "unverified", "unverified_claims"),
    "explanation_lift": ("impact", "explanation", None),
}


SOURCES_BOOKS: frozenset[str] = frozenset(b for _, _, b in SOURCES.values() if b)


@dataclass(frozen=True)
class PageLink:
    """A link on the index: where it goes, its text, an optional note (e.g. "318 rows")."""

    href: str
    text: str
    note: str = ""
    #: When set, the note is itself a link (e.g. the executed notebook beside its report).
    note_href: str = ""


_CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", "Noto Sans CJK SC", sans-serif;
       margin: 0 auto; max-width: 1100px; padding: 24px; color: #222; }
h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 19px; margin: 28px 0 10px; }
.sub { color: #666; margin: 0 0 16px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 12px; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 12px 14px; }
.card .k { color: #555; font-size: 13px; } .card .v { font-size: 26px; font-weight: 600; }
.card .d { font-size: 13px; color: #666; } .good { color: #2e7d32; } .bad { color: #c62828; }
table { border-collapse: collapse; font-size: 14px; }
th, td { border: 1px solid #ddd; padding: 4px 10px; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; } th { background: #f5f5f5; }
ul.links li { margin: 4px 0; } .note { color: #666; font-size: 13px; }
.card .src { font-size: 13px; margin-top: 4px; } .card .src a { margin-right: 10px; }
"""


def _e(x: object) -> str:
    return html.escape(str(x), quote=True)


def _change_class(key: str, change: float | None) -> str:
    if change is None or change == 0 or key in NEUTRAL:
        return ""
    better = change < 0 if key in LOWER_IS_BETTER else change > 0
    return "good" if better else "bad"


def _lift_detail(h: Headline, lang: str) -> str:
    """The lift's 95% interval and verdict (it is pooled over the panel: no monthly change)."""
    lo, hi = h.values.get("explanation_lift_ci_low"), h.values.get("explanation_lift_ci_high")
    verdict = h.values.get("explanation_lift_verdict")
    parts = []
    if lo is not None and hi is not None:
        parts.append(f"{label('index.interval', lang)} "
                     f"{fmt_interval(lo, hi, 'signed_pct', lang)}")
    if verdict:
        parts.append(value_label("verdict", str(verdict), lang))
    parts.append(label("index.lift_pooled", lang))
    return _e(" · ".join(parts))


def _sources(key: str, lang: str, pages: set[str], lists: Mapping[str, str]) -> str:
    """The card's links: the report section behind the number, and its Excel list."""
    page, anchor, book = SOURCES.get(key, (None, "", None))
    links = []
    if page in pages:
        links.append(f'<a href="{_e(page)}.html#{_e(anchor)}">{_e(label("index.see_page", lang))}'
                     "</a>")
    if book in lists:
        links.append(f'<a href="{_e(lists[book])}">{_e(label("index.see_list", lang))}</a>')
    return f'<div class="src">{"".join(links)}</div>' if links else ""


def _spark(key: str, kind: str, lang: str, trends: Mapping[str, Sequence[Point]]) -> str:
    points = trends.get(key)
    return sparkline_svg(points, name=label(f"metric.{key}", lang), kind=kind,
                         lang=lang) if points else ""


def cards_html(h: Headline, lang: str, *, pages: set[str] = frozenset(),
               lists: Mapping[str, str] | None = None,
               trends: Mapping[str, Sequence[Point]] | None = None) -> str:
    """One card per headline metric: value, change from the previous month, links to the rows.

    ``pages`` are the report stems in the pack, ``lists`` the Excel list of each workbook name,
    ``trends`` each metric's monthly points (:func:`audit.pack.sparkline.series`).
    """
    lists = lists or {}
    trends = trends or {}
    previous = fmt_month(h.previous_month, lang)
    cards = []
    for key, kind in METRICS:
        value = h.values.get(key)
        prev = h.previous.get(key)
        change = h.change(key)
        if change is not None:
            d = (f'<span class="{_change_class(key, change)}">'
                 f'{_e(fmt_change(change, kind, lang))}'
                 f'</span> {_e(label("index.vs", lang))} {_e(previous)} '
                 f'({_e(fmt_value(prev, kind, lang))})')
        elif key == "explanation_lift":
            d = _lift_detail(h, lang)
        elif not h.previous:
            d = _e(label("index.no_previous", lang))
        else:
            d = (f'{_e(label("index.vs", lang))} {_e(previous)}: '
                 f'{_e(fmt_value(prev, kind, lang))}')

        cards.append(
            f'<div class="card" data-metric="{_e(key)}"><div class="k">'
            f'{_e(label(f"metric.{key}", lang))}</div><div class="v">'
            f'{_e(fmt_value(value, kind, lang))}</div><div class="d">{d}</div>'
            f'{_spark(key, kind, lang, trends)}{_sources(key, lang, pages, lists)}</div>')
    return '<div class="cards">' + "".join(cards) + "</div>"


def table_name(name: str, lang: str) -> str:
    """An export's name as a manager calls it (``cases`` -> 处理记录表)."""
    return label(f"dq.table.{name}", lang) if has_label(f"dq.table.{name}") else name


def quality_html(reports: Mapping[str, TableReport], lang: str) -> str:
    """The data-quality table: per table, file and rows read / valid / quarantined / blank."""
    heads = ["table", "rows_read", "rows_valid", "rows_quarantined", "rows_blank", "top_reasons"]
    head = "".join(f"<th>{_e(label(f'dq.{h}', lang))}</th>" for h in heads)
    rows = []
    for name, r in sorted(reports.items()):
        reasons = reasons_text(r.top_reasons[:3], lang) or DASH
        absent = "" if r.source_file else f' {label("dq.absent", lang)}'
        rows.append(
            f"<tr><td>{_e(table_name(name, lang) + absent)}</td>"
            + "".join(f'<td class="n">{_e(fmt_count(v, lang))}</td>' for v in
                      (r.rows_read, r.rows_valid, r.rows_quarantined, r.rows_blank))
            + f"<td>{_e(reasons)}</td></tr>")
    return f'<table class="dq"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _links(items: Sequence[PageLink]) -> str:
    lis = "".join(
        f'<li><a href="{_e(i.href)}">{_e(i.text)}</a>'
        + (f' <span class="note"><a href="{_e(i.note_href)}" download>{_e(i.note)}</a></span>'
           if i.note_href else f' <span class="note">{_e(i.note)}</span>' if i.note else "")
        + "</li>"
        for i in items)
    return f'<ul class="links">{lis}</ul>'


def index_html(*, headline: Headline, reports: Sequence[PageLink], actions: Sequence[PageLink],
               quality: Mapping[str, TableReport], params: Mapping[str, str],
               notes: Sequence[str] = (), quarantine: Sequence[PageLink] = (),
               trends: Mapping[str, Sequence[Point]] | None = None) -> str:
    """The whole index page as one HTML string (``lang`` from ``params``).

    ``trends``: each metric's monthly points for the cards' sparklines (none when absent).
    """
    lang = params["lang"]
    shop = params.get("shop") or label("index.all_shops", lang)
    title = label("index.title", lang).format(month=fmt_month(params["month"], lang))
    sub = (f'{_e(label("index.shop", lang))}: {_e(shop)} · {_e(label("index.as_of", lang))}: '
           f'{_e(fmt_date(params["as_of"], lang, year=True))} · '
           f'{_e(label("index.change_note", lang))}')
    pages = {r.href.removesuffix(".html") for r in reports}
    month = params["month"]
    lists = {book: action_list_href(book, month) for book in SOURCES_BOOKS
             if any(a.href == action_list_href(book, month) for a in actions)}
    quarantined = sum(r.rows_quarantined for r in quality.values())
    dq_note = (label("dq.some_quarantined", lang).format(n=fmt_count(quarantined, lang))
               if quarantined
               else label("dq.none_quarantined", lang))
    note_html = ("<h2>" + _e(label("index.notes", lang)) + "</h2><ul>"
                 + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>") if notes else ""
    return f"""<!DOCTYPE html>
<html lang="{'zh-CN' if lang == 'zh' else 'en'}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title><style>{_CSS}{SPARK_CSS}</style></head>
<body>
<h1>{_e(title)}</h1>
<p class="sub">{sub}</p>
<h2>{_e(label("index.headline", lang))}</h2>
{cards_html(headline, lang, pages=pages, lists=lists, trends=trends)}
<h2>{_e(label("index.reports", lang))}</h2>
{_links(reports)}
<h2>{_e(label("index.actions", lang))}</h2>
{_links(actions)}
<h2>{_e(label("index.quality", lang))}</h2>
<p>{_e(dq_note)}</p>
{quality_html(quality, lang)}
{_links(quarantine) if quarantine else ""}
{note_html}
<p class="note"><a href="manifest.json">{_e(label("index.manifest_link", lang))}</a> ·
{_e(label("index.manifest", lang))}</p>
</body>
</html>
"""
