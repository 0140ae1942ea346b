"""One number, one value: every headline card on index.html equals the same number everywhere.

Builds the demo pack in English and in Chinese and reads each number back from what a reader
sees: the index card, the report page's table, the Excel list and the CSVs. The expected values
are read from the outputs independently of the code that wrote them (HTML parsed, workbooks read
with openpyxl, CSVs summed), and the card's change is recomputed from the values as shown.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from audit.core.fmt import fmt_change, fmt_month, fmt_value
from audit.core.labels import label
from audit.pack.build import build_monthly_pack
from audit.pack.headline import KINDS

MONTH = "2026-10"


class _Tables(HTMLParser):
    """Every <table> of a page as rows of cell texts (header row first)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = []
        elif tag in {"td", "th"}:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in {"td", "th"} and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _tables(page: Path) -> list[list[list[str]]]:
    parser = _Tables()
    parser.feed(page.read_text("utf-8"))
    return parser.tables


def _lookup(page: Path, row_label: str, column: str | int) -> str:
    """The cell in the row labelled ``row_label`` (first column) under header ``column``."""
    for table in _tables(page):
        head = table[0]
        index = column if isinstance(column, int) else (
            head.index(column) if column in head else None)
        if index is None:
            continue
        for row in table[1:]:
            if row and row[0] == row_label:
                return row[index]
    msg = f"no row {row_label!r} with column {column!r} in {page.name}"
    raise AssertionError(msg)


def _cards(index: Path) -> dict[str, tuple[str, str]]:
    """metric -> (value text, detail text) of each card."""
    text = index.read_text("utf-8")
    cards = re.findall(r'<div class="card" data-metric="([^"]+)"><div class="k">.*?</div>'
                       r'<div class="v">(.*?)</div><div class="d">(.*?)</div>'
                       r'(?:<div class="src">.*?</div>)?</div>', text)
    return {m: (html.unescape(v), html.unescape(re.sub(r"<[^>]+>", "", d)))
            for m, v, d in cards}


def _sheet_rows(path: Path, sheet: str) -> list[dict[str, object]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = list(book[sheet].iter_rows(values_only=True))
    finally:
        book.close()  # read-only workbooks keep the file open until closed
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


@pytest.fixture(scope="module", params=["en", "zh"])
def pack(request: pytest.FixtureRequest, demo_pack) -> tuple[Path, str]:
    return demo_pack(request.param), request.param


@pytest.mark.slow
def test_every_card_equals_its_csv_value_and_change_as_shown(pack) -> None:
    folder, lang = pack
    cards = _cards(folder / "index.html")
    assert set(cards) == set(KINDS)
    headline = pl.read_csv(folder / "data" / "headline.csv")
    for row in headline.iter_rows(named=True):
        kind = row["kind"]
        shown, detail = cards[row["metric"]]
        assert shown == fmt_value(row["value"], kind, lang), row["metric"]
        if row["previous"] is not None:
            # The change is the difference of the two numbers as they are printed.
            assert row["change"] == pytest.approx(row["value"] - row["previous"], abs=1e-9)
            assert fmt_change(row["change"], kind, lang) in detail, row["metric"]
            assert fmt_value(row["previous"], kind, lang) in detail, row["metric"]


@pytest.mark.slow
def test_promise_cards_equal_the_promises_page_and_the_chase_list(pack) -> None:
    folder, lang = pack
    cards = _cards(folder / "index.html")
    page = folder / "promises.html"
    month_col = label("promises.column_month", lang).format(month=fmt_month(MONTH, lang))
    all_col = label("promises.column_all", lang)
    for metric, key in (("promises_broken_or_partial", "promises.broken_or_partial"),
                        ("owed_cny", "promises.owed_cny"), ("promises_due", "promises.due"),
                        ("broken_rate", "promises.broken_rate")):
        assert cards[metric][0] == _lookup(page, label(key, lang), month_col), metric
    assert cards["promises_to_chase"][0] == _lookup(page, label("promises.to_chase", lang),
                                                    all_col)
    assert cards["owed_to_chase_cny"][0] == _lookup(page, label("promises.to_chase_cny", lang),
                                                    all_col)

    # The Excel list and its CSV twin: rows and money add up to the cards.
    book = folder / "actions" / f"promises_to_chase_{MONTH}.xlsx"
    rows = _sheet_rows(book, label("sheet.all_agents", lang))
    owed_header = label("col.owed_cny", lang)
    assert fmt_value(len(rows), "count", lang) == cards["promises_to_chase"][0]
    owed = sum(float(r[owed_header] or 0) for r in rows)
    # Money is in cents: a float sum in another order must not flip a half-yuan when shown.
    assert fmt_value(round(owed, 2), "cny", lang) == cards["owed_to_chase_cny"][0]
    by_agent = _sheet_rows(book, label("sheet.by_agent", lang))
    assert sum(int(r[label("col.promises", lang)]) for r in by_agent) == len(rows)
    csv = pl.read_csv(folder / "data" / "promises_to_chase.csv")
    assert fmt_value(csv.height, "count", lang) == cards["promises_to_chase"][0]
    assert (fmt_value(round(csv["owed_cny"].sum(), 2), "cny", lang)
            == cards["owed_to_chase_cny"][0])
    # The month's card counts the chase list's logged promises made in the month (same
    # statuses; the offers promised in chat and never logged are in the list, not the cohort).
    made = csv.filter(pl.col("promised_at").str.starts_with(MONTH),
                      pl.col("status") != "chat_not_logged")
    assert fmt_value(made.height, "count", lang) == cards["promises_broken_or_partial"][0]
    assert fmt_value(made["owed_cny"].sum(), "cny", lang) == cards["owed_cny"][0]


@pytest.mark.slow
def test_chat_findings_on_the_page_in_the_workbook_and_the_csv(pack) -> None:
    """Issue 13: the tied chat offers and the found agents, in the pack's language."""
    folder, lang = pack
    csv = pl.read_csv(folder / "data" / "chat_offers.csv")
    page = folder / "promises.html"
    all_col = label("promises.column_all", lang)
    for key, finding in (("chat_not_logged", "not_logged"),
                         ("chat_conditional_not_declared", "conditional_not_declared")):
        shown = _lookup(page, label(f"promises.{key}", lang), all_col)
        assert shown == fmt_value((csv["finding"] == finding).sum(), "count"), key
    book = folder / "actions" / f"review_conditional_{MONTH}.xlsx"
    tied = _sheet_rows(book, label("sheet.chat_conditional", lang))
    assert len(tied) == csv["finding"].is_in(["conditional_not_declared",
                                               "conditional_declared"]).sum()
    words = {label(f"promises.finding.{f}", lang) for f in ("conditional_not_declared",
                                                           "conditional_declared")}
    assert {r[label("col.finding", lang)] for r in tied} == words
    found = _sheet_rows(book, label("sheet.conditional_found", lang))
    assert [r[label("col.verdict", lang)] for r in found] == [
        label("promises.verdict.conditional_in_effect", lang)]
    text = page.read_text("utf-8")
    assert html.escape(label("promises.chat_title", lang)) in text
    assert html.escape(label("promises.conditional_found_title", lang)) in text


@pytest.mark.slow
def test_resolution_cards_equal_the_resolution_page_and_the_lists(pack) -> None:
    folder, lang = pack
    cards = _cards(folder / "index.html")
    page = folder / "resolution.html"
    value_col = label("resolution.col.value", lang)
    for metric, key in (("resolution_rate", "rate"), ("cohort_cases", "cases"),
                        ("median_hours_to_first_contact", "median_hours_to_first_contact"),
                        ("share_within_sla", "share_within_sla"),
                        ("protocol_breaches", "breaches"),
                        ("unverified_claims", "unverified_claims")):
        assert cards[metric][0] == _lookup(page, label(f"resolution.col.{key}", lang),
                                           value_col), metric
    for book, metric in (("protocol_breaches", "protocol_breaches"),
                         ("unverified_claims", "unverified_claims")):
        rows = _sheet_rows(folder / "actions" / f"{book}_{MONTH}.xlsx",
                           label("sheet.all_agents", lang))
        assert fmt_value(len(rows), "count", lang) == cards[metric][0], book
        csv = pl.read_csv(folder / "data" / f"{book}.csv")
        assert fmt_value(csv.height, "count", lang) == cards[metric][0], book


@pytest.mark.slow
def test_impact_card_equals_the_impact_page(pack) -> None:
    folder, lang = pack
    cards = _cards(folder / "index.html")
    page = folder / "impact.html"
    event, metric = label("impact.event.explanation", lang), label("impact.metric.conversion",
                                                                    lang)
    for table in _tables(page):
        for row in table[1:]:
            if row[:2] == [event, metric]:
                assert row[2] == cards["explanation_lift"][0]
                return
    pytest.fail("no explanation/conversion row on the impact page")


@pytest.mark.slow
def test_an_analysis_error_fails_the_pack_with_the_jobs_name(demo_dir: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    from audit.core.errors import AnalysisFailed
    from audit.resolution import job as resolution_job

    def broken(*_args: object, **_kwargs: object) -> None:
        msg = "'NoneType' object has no attribute 'rate'"
        raise AttributeError(msg)

    monkeypatch.setattr(resolution_job, "analyse", broken)
    with pytest.raises(AnalysisFailed, match=r"the resolution analysis of 2026-1\d failed: "
                                             r"AttributeError"):
        build_monthly_pack(demo_dir, month=MONTH, out=tmp_path, warm_kernels=False)
    assert not (tmp_path / MONTH).exists()  # nothing half-built is left as the month's pack


@pytest.mark.slow
def test_each_analysis_runs_once_per_period(demo_dir: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from audit.impact import job as impact_job
    from audit.promises import job as promises_job
    from audit.resolution import job as resolution_job

    calls: list[tuple[str, str]] = []
    for name, module in (("promises", promises_job), ("resolution", resolution_job),
                         ("impact", impact_job)):
        real = module.analyse

        def counted(*args: object, _real=real, _name=name, **kwargs: object) -> object:
            calls.append((_name, str(kwargs.get("month", "all data"))))
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, "analyse", counted)
    result = build_monthly_pack(demo_dir, month=MONTH, out=tmp_path)
    assert sorted(calls) == [("impact", "all data"), ("promises", "2026-09"),
                             ("promises", MONTH), ("resolution", "2026-09"),
                             ("resolution", MONTH)]
    # The executed notebooks showed the pack's saved views (they ran no analysis of their own).
    import nbformat

    for nb in ("promises", "resolution", "impact"):
        executed = nbformat.read(result.pack_dir / "notebooks" / f"{nb}.ipynb", as_version=4)
        assert executed.metadata["papermill"]["parameters"]["views_dir"]


@pytest.mark.slow
def test_scorecard_and_trends_equal_the_cards_and_the_resolution_page(pack) -> None:
    """The scorecard's numbers are the other pages' numbers: its sums equal the cards, each
    agent's rate and ratio the resolution page's, its workbook the CSV; the trends' report-month
    row equals the headline."""
    folder, lang = pack
    cards = _cards(folder / "index.html")
    card = pl.read_csv(folder / "data" / "agent_scorecard.csv")
    for column, metric in (("protocol_breaches", "protocol_breaches"),
                           ("unverified_claims", "unverified_claims"),
                           ("promises_broken_or_partial", "promises_broken_or_partial"),
                           ("cases", "cohort_cases")):
        assert fmt_value(card[column].sum(), "count") == cards[metric][0], column
    assert fmt_value(card["owed_cny"].sum(), "cny") == cards["owed_cny"][0]
    page = folder / "resolution.html"
    rate_col = label("resolution.col.rate", lang)
    agents = next(t for t in _tables(page) if label("resolution.col.agent_id", lang) in t[0])
    head = agents[0]
    shown = {r[head.index(label("resolution.col.agent_id", lang))]:
             (r[head.index(rate_col)], r[head.index(label("resolution.col.mix_adjusted_ratio",
                                                        lang))]) for r in agents[1:]}
    for row in card.filter(pl.col("cases") > 0).iter_rows(named=True):
        assert shown[row["agent_id"]] == (fmt_value(row["resolution_rate"], "pct", lang),
                                          fmt_value(row["mix_adjusted_ratio"], "ratio", lang))
    book = folder / "actions" / f"agent_scorecards_{MONTH}.xlsx"
    team = _sheet_rows(book, label("sheet.team", lang))
    assert len(team) == card.height
    breaches = sum(len([r for r in _sheet_rows(book, a) if r[label("year.col.item", lang)]
                        == label("year.item.breach", lang)]) for a in card["agent_id"])
    assert fmt_value(breaches, "count", lang) == cards["protocol_breaches"][0]
    trends = pl.read_csv(folder / "data" / "trends.csv").filter(
        pl.col("month") == MONTH, pl.col("agent_id").is_null())
    headline = pl.read_csv(folder / "data" / "headline.csv")
    for metric in ("promises_broken_or_partial", "owed_cny", "broken_rate", "resolution_rate",
                   "median_hours_to_first_contact", "share_within_sla", "protocol_breaches",
                   "unverified_claims"):
        kind = headline.filter(pl.col("metric") == metric)["kind"][0]
        value = trends.filter(pl.col("metric") == metric)["value"][0]
        assert fmt_value(value, kind, lang) == cards[metric][0], metric


def test_trends_earlier_months_equal_the_jobs_run_at_their_cut(pack, demo_snapshot) -> None:
    """Each earlier month's resolution and promise numbers in ``trends.csv`` are what the jobs
    (the path the report month's pages use) say for that month at that month's cut: the
    routing breaches read from the review text included (they were missing once)."""
    import json
    from datetime import date

    from audit.core.dates import end_of_day, parse_month
    from audit.data.dataset import load_dataset
    from audit.pack.trends import cut_of
    from audit.promises import job as promises_job
    from audit.resolution import job

    folder, _ = pack
    params = json.loads((folder / "manifest.json").read_text())["parameters"]
    age = (end_of_day(date.fromisoformat(params["as_of"]))
           - end_of_day(parse_month(params["month"])[1]))
    trends = pl.read_csv(folder / "data" / "trends.csv").filter(pl.col("agent_id").is_null())
    tables = load_dataset(demo_snapshot).tables
    earlier = sorted(set(trends["month"]) - {params["month"]})
    assert earlier
    for month in earlier:
        views = job.analyse(tables, month=month, as_of=cut_of(month, age)).views
        assert views.breach_list.filter(pl.col("check") == "text_tier").height > 0
        for metric, key in (("protocol_breaches", "breaches"),
                            ("unverified_claims", "unverified_claims"),
                            ("resolution_rate", "rate"),
                            ("share_within_sla", "share_within_sla")):
            value = trends.filter(pl.col("metric") == metric, pl.col("month") == month)["value"]
            assert value[0] == pytest.approx(views.headline[key], rel=1e-12), (month, metric)
        assert views.headline["breaches"] == views.breach_list.height
        made = promises_job.analyse(tables, as_of=cut_of(month, age), month=month).views
        for metric, key in (("promises_broken_or_partial", "broken_or_partial"),
                            ("owed_cny", "owed_cny"), ("broken_rate", "broken_rate")):
            value = trends.filter(pl.col("metric") == metric, pl.col("month") == month)["value"]
            assert value[0] == pytest.approx(made.month_headline[key], rel=1e-12), (month, metric)
