"""What a reader of a built pack sees, collected generically: page text, chart text, Excel cells.

The Latin-word and internal-word tests walk every page, chart and workbook of a pack through
these collectors, so a section, chart or sheet added later is checked without naming it.
Each item is ``(where, text)`` so a failure says which page/chart/cell holds the word.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

#: Latin words a Chinese page may keep: units and names managers use as they are.
ALLOWED = frozenset({"SLA", "ID", "p", "Excel"})
#: A masked buyer (``t***3``) and ids (``A06``, ``PR000023``, ``C004839``) are not words.
MASKED = re.compile(r"\b\w\*{3,}\w?\b|\w\*{3,}")
_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def latin_words(text: str) -> list[str]:
    """The Latin words of ``text`` outside the allow-list (ids with digits are not words)."""
    text = MASKED.sub(" ", text)
    return [t for t in _TOKEN.findall(text) if not re.search(r"\d", t) and t not in ALLOWED]


#: Elements whose content a reader never sees as text.
_HIDDEN = frozenset({"script", "style", "noscript", "template"})
#: Attributes a reader sees (tooltips, alternative text, link titles).
_SEEN_ATTRIBUTES = ("title", "alt", "aria-label", "placeholder")


class _Text(HTMLParser):
    """Text nodes and seen attributes; table cells under a header in ``data_headers`` left out."""

    def __init__(self, data_headers: frozenset[str] = frozenset()) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[str] = []
        self._hidden = 0
        self._data_headers = data_headers
        self._headers: list[str] = []
        self._column = -1
        self._in_th = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag == "table":
            self._headers = []
        elif tag == "tr":
            self._column = -1
        elif tag in {"td", "th"}:
            self._column += 1
            self._in_th = tag == "th"
        for name, value in attrs:
            if name in _SEEN_ATTRIBUTES and value:
                self.items.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN and self._hidden:
            self._hidden -= 1
        elif tag in {"td", "th"}:
            self._in_th = False

    def handle_data(self, data: str) -> None:
        if self._hidden or not data.strip():
            return
        if self._in_th:
            self._headers.append(data.strip())
        elif (0 <= self._column < len(self._headers)
              and self._headers[self._column] in self._data_headers):
            return  # a quoted input text (a buyer's or agent's words): data, not page text
        self.items.append(data.strip())


def page_text(page: Path, data_headers: frozenset[str] = frozenset()) -> list[str]:
    """Every text node and seen attribute of an HTML page (scripts and styles excluded).

    Table cells under a header in ``data_headers`` (columns quoting input text) are left out.
    """
    parser = _Text(data_headers)
    parser.feed(page.read_text("utf-8"))
    return parser.items


def figures(page: Path) -> list[dict]:
    """Every plotly figure of a page, as ``{"data": [...], "layout": {...}}``."""
    source = page.read_text("utf-8")
    decoder = json.JSONDecoder()
    found = []
    for match in re.finditer(r"Plotly\.newPlot\(\s*\"[^\"]+\",\s*", source):
        data, end = decoder.raw_decode(source, match.end())
        rest = re.match(r"\s*,\s*", source[end:])
        layout, _ = decoder.raw_decode(source, end + rest.end()) if rest else ({}, 0)
        found.append({"data": data, "layout": layout})
    return found


#: Trace and layout keys whose strings a reader sees (on the chart or on hover).
_TRACE_TEXT = ("name", "text", "hovertext", "labels", "hovertemplate", "texttemplate")
_CATEGORY = ("x", "y")


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _layout_text(layout: dict, where: str) -> Iterator[tuple[str, str]]:
    for key, value in layout.items():
        if key == "title" or key.endswith("title"):
            text = value.get("text") if isinstance(value, dict) else value
            if isinstance(text, str):
                yield f"{where}.{key}", text
        elif key == "annotations":
            for i, a in enumerate(value):
                yield f"{where}.annotations[{i}]", a.get("text", "")
        elif key in {"ticktext"}:
            for s in _strings(value):
                yield f"{where}.{key}", s
        elif isinstance(value, dict):
            yield from _layout_text(value, f"{where}.{key}")


def chart_text(figure: dict) -> list[tuple[str, str]]:
    """Every string of a figure a reader sees: titles, axes, legend, labels, hover templates.

    Hover placeholders (``%{y:.1%}``) and markup tags are removed; category values on x/y
    (agent names, categories, dates as text) are included.
    """
    items = list(_layout_text(figure.get("layout", {}), "layout"))
    for i, trace in enumerate(figure.get("data", [])):
        for key in (*_TRACE_TEXT, *_CATEGORY):
            items.extend((f"trace[{i}].{key}", s) for s in _strings(trace.get(key)))
        items.extend(_layout_text({k: v for k, v in trace.items()
                                   if k in {"title", "colorbar", "legendgrouptitle"}},
                                  f"trace[{i}]"))
    return [(where, _visible(text)) for where, text in items]


def _visible(text: str) -> str:
    text = re.sub(r"%\{[^}]*\}", " ", text)
    text = re.sub(r"<extra>.*?</extra>", " ", text)
    return re.sub(r"<[^>]+>", " ", text)


def date_axes(figure: dict) -> list[tuple[str, dict]]:
    """Every date axis of a figure (explicit ``type: date`` or date strings on x)."""
    layout = figure.get("layout", {})
    axes = [(k, v) for k, v in layout.items() if re.fullmatch(r"[xy]axis\d*", k)
            and isinstance(v, dict) and v.get("type") == "date"]
    return axes


def workbook_text(book: Path, data_headers: frozenset[str] = frozenset()
                  ) -> list[tuple[str, str]]:
    """Every sheet name and every string cell of a workbook, as ``(sheet!cell, text)``.

    Cells below a first-row header in ``data_headers`` (columns quoting input text) are left out.
    """
    import openpyxl

    wb = openpyxl.load_workbook(book, read_only=True)
    items = []
    for ws in wb.worksheets:
        items.append((f"{book.name}:{ws.title}", ws.title))
        quoted: set[int] = set()
        for row in ws.iter_rows():
            for cell in row:
                if cell.row == 1 and cell.value in data_headers:
                    quoted.add(cell.column)
                if isinstance(cell.value, str) and not (cell.row > 1 and cell.column in quoted):
                    items.append((f"{book.name}:{ws.title}!{cell.coordinate}", cell.value))
    return items


def pack_text(pack: Path, data_headers: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """Everything a reader of ``pack`` sees: every page, every chart, every workbook cell.

    ``data_headers``: column headers whose cells quote input text (left out, see above).
    """
    items: list[tuple[str, str]] = []
    for page in sorted(pack.glob("*.html")):
        items.extend((page.name, t) for t in page_text(page, data_headers))
        for n, fig in enumerate(figures(page)):
            items.extend((f"{page.name} chart {n}: {w}", t) for w, t in chart_text(fig))
    for book in sorted(pack.rglob("*.xlsx")):
        items.extend(workbook_text(book, data_headers))
    return items
