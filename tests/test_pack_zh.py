"""The pack a Chinese manager reads and works from, walked generically.

Every page's text nodes, every chart's titles/axes/legend/hover text and every Excel cell of the
built zh demo pack are collected (``builders.pack_text``) without naming any section, so a page,
chart or sheet added later is checked too. The allow-list of Latin words is small and explicit.
Then the Excel lists are opened with openpyxl (frozen header, formats, widths, a sheet per
agent, order), the CSVs checked for their BOM, the pack searched for paths of the machine that
built it, and one executed notebook re-run with papermill from inside the pack folder.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from builders.pack_text import (
    MASKED,
    chart_text,
    figures,
    latin_words,
    pack_text,
    page_text,
    workbook_text,
)

from audit.core.fmt import AXIS_DATE_FORMAT, HOVER_DATE_FORMAT, fmt_date, fmt_month
from audit.core.labels import label
from audit.data.outputs import text_width

MONTH = "2026-10"

#: Columns quoting the input's own words (the chat message, the review): data, not page text.
QUOTED = ("evidence", "review_text")


def quoted_headers(lang: str) -> frozenset[str]:
    """The headers of the quoted-input columns in ``lang`` (left out of the Latin-word walk)."""
    return frozenset(label(f"col.{c}", lang) for c in QUOTED)


@pytest.fixture(scope="module")
def zh(demo_pack) -> Path:
    return demo_pack("zh")


@pytest.mark.slow
def test_zh_pack_has_no_latin_word_on_any_page_chart_or_sheet(zh: Path) -> None:
    items = pack_text(zh, quoted_headers("zh"))
    assert len(items) > 1000  # pages, charts and workbooks were all read
    offenders = [(where, text[:90]) for where, text in items if latin_words(text)]
    assert not offenders, f"{len(offenders)} texts with Latin words, e.g. {offenders[:15]}"


def test_latin_word_finder_catches_words_and_spares_ids() -> None:
    assert latin_words("客服 A06 处理了 PR000023, 买家 t***3, SLA 24 小时, p = 0.66") == []
    assert latin_words("状态: broken · 类别 wrong_item") == ["broken", "wrong_item"]


@pytest.mark.slow
def test_zh_charts_draw_dates_and_hover_in_chinese(zh: Path) -> None:
    date_axes = 0
    for page in sorted(zh.glob("*.html")):
        for fig in figures(page):
            for key, axis in fig["layout"].items():
                if re.fullmatch(r"[xy]axis\d*", key) and axis.get("type") == "date":
                    date_axes += 1
                    assert axis.get("tickformat") == AXIS_DATE_FORMAT["zh"], (page.name, key)
                    assert axis.get("hoverformat") == HOVER_DATE_FORMAT["zh"], (page.name, key)
            # Dates written into text (hover, labels) read as 10月9日, never 2026-10-09 or Oct.
            for where, text in chart_text(fig):
                assert not re.search(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b",
                                     text), (page.name, where, text)
    assert date_axes >= 1  # the backlog chart at least


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_metric_has_one_name_on_every_page(lang: str) -> None:
    """The trends page's name of a headline metric is the one the index card and the
    resolution page use (a card may add what it counts, e.g. "(本月中差评)")."""
    from audit.core.labels import has_label
    from audit.pack.trends import METRICS

    shared = [m for m in METRICS if has_label(f"metric.{m}")]
    assert len(shared) >= 6  # noqa: PLR2004 - the index's metrics are on the trends page
    for metric in shared:
        name = label(f"year.metric.{metric}", lang)
        assert name.lower() in label(f"metric.{metric}", lang).lower(), metric
        if has_label(f"resolution.col.{metric}"):
            assert label(f"resolution.col.{metric}", lang) == name, metric


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("column", ["mix_adjusted_ratio", "agent_name", "still_open", "detail",
                                    "share_within_sla", "protocol_breaches",
                                    "unverified_claims"])
def test_a_column_has_one_name_on_the_resolution_and_trends_pages(column: str, lang: str) -> None:
    from audit.core.labels import has_label

    names = {label(key, lang) for key in (f"resolution.col.{column}", f"year.col.{column}",
                                          f"col.{column}") if has_label(key)}
    assert len(names) == 1, names


INTERNAL = re.compile(r"seed|Seed|DOMAIN|\.md\b|as_of|\bdata_dir\b|\bviews_dir\b")


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_internal_words_in_any_report(demo_pack, lang: str) -> None:
    pack = demo_pack(lang)
    offenders = [(where, text[:90]) for where, text in pack_text(pack)
                 if INTERNAL.search(text)]
    assert not offenders, offenders[:10]
    # No raw column names either (snake_case words) in the visible text of the English pack.
    snake = [(where, text[:90]) for where, text in pack_text(pack)
             if re.search(r"\b[a-z]+_[a-z_]+\b", MASKED.sub(" ", text))]
    assert not snake, snake[:10]


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pages_show_moments_to_the_minute(demo_pack, lang: str) -> None:
    """No page shows a raw timestamp (seconds, microseconds, or an ISO date with its time): a
    table column left unformatted. Every page writes a moment the same way (fmt_datetime)."""
    raw = re.compile(r"\d{1,2}:\d{2}:\d{2}|\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}")
    offenders = [(page.name, text[:60]) for page in sorted(demo_pack(lang).glob("*.html"))
                 for text in page_text(page) if raw.search(text)]
    assert not offenders, offenders[:10]


@pytest.mark.slow
def test_no_build_machine_path_anywhere_in_the_pack(zh: Path) -> None:
    needles = [b"building-", str(zh.parent).encode(), str(Path(__file__).parents[1]).encode()]
    home = os.environ.get("HOME")
    if home and home != "/":
        needles.append(home.encode())
    for path in sorted(p for p in zh.rglob("*") if p.is_file()):
        blobs = ([zipfile.ZipFile(path).read(n) for n in zipfile.ZipFile(path).namelist()]
                 if path.suffix == ".xlsx" else [path.read_bytes()])
        for blob in blobs:
            for needle in needles:
                assert needle not in blob, (path.relative_to(zh), needle)


@pytest.mark.slow
def test_an_executed_notebook_reruns_from_inside_the_pack(zh: Path, tmp_path: Path) -> None:
    executed = zh / "notebooks" / "promises.ipynb"
    params = json.loads(executed.read_text("utf-8"))["metadata"]["papermill"]["parameters"]
    assert params["views_dir"] == "views"  # pack-relative: the views are kept in the pack
    assert (zh / "views" / "promises").is_dir()
    out = tmp_path / "rerun.ipynb"
    subprocess.run([sys.executable, "-m", "papermill", "notebooks/promises.ipynb", str(out),
                    "--no-progress-bar"], cwd=zh, check=True, capture_output=True, timeout=300)

    def tables(nb: Path) -> list[str]:
        cells = json.loads(nb.read_text("utf-8"))["cells"]
        return ["".join(o["data"]["text/html"]) for c in cells if c["cell_type"] == "code"
                for o in c["outputs"] if "ra-table" in "".join(o.get("data", {})
                                                                .get("text/html", ""))]

    again = tables(out)
    assert again  # the re-run showed the tables
    assert again == tables(executed)  # and the same ones


@pytest.mark.slow
def test_csvs_carry_a_utf8_bom_for_excel(zh: Path) -> None:
    files = sorted((zh / "data").glob("*.csv"))
    assert files
    for csv in files:
        assert csv.read_bytes().startswith(b"\xef\xbb\xbf"), csv.name
        assert pl.read_csv(csv).columns[0].isascii()  # the BOM is not part of the header


def _rows(ws) -> list[dict[str, object]]:
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def _width(ws, column: int) -> float:
    """A column's width (openpyxl keeps runs of equal widths as one min..max range)."""
    for dim in ws.column_dimensions.values():
        if dim.min is not None and dim.min <= column <= dim.max:
            return dim.width
    return 0.0


def _books(zh: Path) -> dict[str, openpyxl.Workbook]:
    return {name: openpyxl.load_workbook(zh / "actions" / f"{name}_{MONTH}.xlsx")
            for name in ("promises_to_chase", "protocol_breaches", "unverified_claims")}


@pytest.mark.slow
def test_excel_lists_are_ready_to_work_from(zh: Path) -> None:
    h = lambda c: label(f"col.{c}", "zh")  # noqa: E731 - a header lookup
    for name, wb in _books(zh).items():
        info = {r[0]: r[1] for r in wb.worksheets[0].iter_rows(values_only=True)}
        assert wb.worksheets[0].title == label("sheet.info", "zh")
        assert info[label("excel.month", "zh")] == fmt_month(MONTH, "zh")
        assert info[label("excel.as_of", "zh")] == fmt_date("2026-11-30", "zh", year=True)
        assert info[label("excel.shop", "zh")] == label("index.all_shops", "zh")
        assert label("excel.quality", "zh") in info
        for ws in wb.worksheets[1:]:
            assert ws.freeze_panes == "A2", (name, ws.title)
            head = [c.value for c in ws[1]]
            assert all(c.font.bold for c in ws[1]), (name, ws.title)
            assert {t for t in ws.tables}
            assert not any(t.startswith("Frame") for t in ws.tables)
            for i, column in enumerate(head, start=1):
                width = _width(ws, i)
                cells = [ws.cell(row=r, column=i) for r in range(2, ws.max_row + 1)]
                formats = {c.number_format for c in cells if c.value is not None}
                if column.endswith("¥"):
                    assert formats <= {'"¥"#,##0.00'}, (name, ws.title, column, formats)
                if any(isinstance(c.value, __import__("datetime").datetime) for c in cells):
                    assert formats == {"yyyy-mm-dd hh:mm"}, (name, column)
                    assert width >= len("2026-10-09 14:01"), (name, ws.title, column, width)
                strings = [text_width(c.value) for c in cells if isinstance(c.value, str)]
                if strings and max(strings) <= 58:  # noqa: PLR2004 - wider ones wrap at 60
                    assert width >= max(strings), (name, ws.title, column, width)
            if ws.title not in {label("sheet.by_agent", "zh")}:
                assert h("action_taken") in head, (name, ws.title)
                assert all(r[h("action_taken")] in (None, "") for r in _rows(ws))


@pytest.mark.slow
def test_every_workbook_of_the_pack_is_styled_and_formatted(zh: Path) -> None:
    """Every workbook (action lists and the review part's alike): frozen bold header, money in ¥
    with two decimals, times to the minute, and no number left at Excel's or polars' default.
    """
    import datetime as dt

    books = sorted((zh / "actions").glob("*.xlsx"))
    assert len(books) >= 6  # noqa: PLR2004 - the review part's workbooks are checked too
    for path in books:
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            if ws.title == label("sheet.info", "zh"):
                continue
            where = (path.name, ws.title)
            assert ws.freeze_panes == "A2", where
            assert all(c.font.bold for c in ws[1]), where
            for i, column in enumerate([c.value for c in ws[1]], start=1):
                cells = [ws.cell(row=r, column=i) for r in range(2, ws.max_row + 1)]
                numbers = {c.number_format for c in cells
                           if isinstance(c.value, float | int) and not isinstance(c.value, bool)}
                assert not any(f.endswith(".000") or "0.000;" in f for f in numbers), (
                    *where, column, numbers)
                if "¥" in column:
                    assert numbers <= {'"¥"#,##0.00'}, (*where, column, numbers)
                if any(isinstance(c.value, dt.datetime) for c in cells):
                    assert {c.number_format for c in cells if isinstance(c.value, dt.datetime)
                            } == {"yyyy-mm-dd hh:mm"}, (*where, column)


@pytest.mark.slow
def test_excel_lists_have_a_sheet_per_agent_and_the_order_to_act(zh: Path) -> None:
    from audit.resolution.protocol import SEVERITY

    books = _books(zh)
    h = lambda c: label(f"col.{c}", "zh")  # noqa: E731
    for name, wb in books.items():
        everyone = _rows(wb[label("sheet.all_agents", "zh")])
        agents = {r[h("agent_id")] for r in everyone}
        fixed = {label("sheet.info", "zh"), label("sheet.by_agent", "zh"),
                 label("sheet.all_agents", "zh")}
        per_agent = [ws for ws in wb.worksheets if ws.title not in fixed]
        assert len(per_agent) == len(agents), name
        for ws in per_agent:
            rows = _rows(ws)
            (agent,) = {r[h("agent_id")] for r in rows}
            assert agent in ws.title
            assert rows == [r for r in everyone if r[h("agent_id")] == agent]  # same order
    chase = _rows(books["promises_to_chase"][label("sheet.all_agents", "zh")])
    # Most owed first, then longest overdue; an offer only made in chat has no due date (last).
    keys = [(-(r[h("owed_cny")] if r[h("owed_cny")] is not None else -1),
             r[h("days_overdue")] is None, -(r[h("days_overdue")] or 0)) for r in chase]
    assert keys == sorted(keys)
    blank = [r for r in chase if r[h("owed_cny")] is None]
    assert blank
    assert all(r[h("note")] for r in blank)
    assert not any(r[h("note")] for r in chase if r[h("owed_cny")] is not None)
    ageing = {r[h("ageing")] for r in chase}
    assert len(ageing) >= 4  # noqa: PLR2004 - the buckets separate the list
    checks = [label(f"resolution.check.{c}", "zh") for c in SEVERITY]
    breaches = _rows(books["protocol_breaches"][label("sheet.all_agents", "zh")])
    ranks = [checks.index(r[h("check")]) for r in breaches]
    assert ranks == sorted(ranks)


@pytest.mark.slow
def test_index_numbers_link_to_their_section_and_list(zh: Path) -> None:
    index = (zh / "index.html").read_text("utf-8")
    links = re.findall(r'<div class="src">(.*?)</div>', index)
    assert len(links) >= 10  # noqa: PLR2004 - nearly every card
    seen_list = False
    for block in links:
        for href in re.findall(r'href="([^"]+)"', block):
            target, _, anchor = href.partition("#")
            assert (zh / target).is_file(), href
            if anchor:
                assert f'id="{anchor}"' in (zh / target).read_text("utf-8"), href
            seen_list |= target.endswith(".xlsx")
    assert seen_list


def test_pack_text_walks_titles_axes_hover_and_cells(tmp_path: Path) -> None:
    """The collectors find text in every place a reader sees it (so the Latin test can fail)."""
    import plotly.graph_objects as go

    from audit.core.charts import figure_bundle

    fig = go.Figure(go.Bar(x=["coupon"], y=[1], name="legend word",
                           hovertemplate="hover word %{y}<extra></extra>"))
    fig.update_layout(title="title word", xaxis_title="axis word")
    page = tmp_path / "p.html"
    page.write_text("<html><body><h2>heading word</h2><script>var ignored = 1;</script>"
                    + figure_bundle(fig)["text/html"] + "</body></html>", "utf-8")
    texts = " ".join(t for _, t in chart_text(figures(page)[0])) + " ".join(page_text(page))
    for word in ("coupon", "legend", "hover", "title", "axis", "heading"):
        assert word in texts
    assert "ignored" not in texts
    book = tmp_path / "b.xlsx"
    pl.DataFrame({"列": ["cell word"]}).write_excel(book, worksheet="sheet word")
    assert {t for _, t in workbook_text(book)} >= {"cell word", "sheet word"}


def test_quoted_input_columns_are_data_and_nothing_else(tmp_path: Path) -> None:
    """Only the cells under a quoted-input header are left out; its header and others stay."""
    quoted = quoted_headers("zh")
    evidence = label("col.evidence", "zh")
    page = tmp_path / "p.html"
    page.write_text(f"<table><thead><tr><th>{evidence}</th><th>状态</th></tr></thead><tbody>"
                    "<tr><td>vip价</td><td>broken</td></tr></tbody></table>", "utf-8")
    assert page_text(page, quoted) == [evidence, "状态", "broken"]
    assert "vip价" in page_text(page)
    book = tmp_path / "b.xlsx"
    pl.DataFrame({evidence: ["vip价"], "状态": ["broken"]}).write_excel(book, worksheet="表")
    texts = {t for _, t in workbook_text(book, quoted)}
    assert evidence in texts
    assert "broken" in texts
    assert "vip价" not in texts
