"""The index cards' sparklines: the trends view's monthly values, open months hollow, en and zh.

The pack's points are compared with an independent read of ``data/trends.csv`` (the csv
module, not polars, not the pack's code); the drawing rules on hand-built points.
"""

from __future__ import annotations

import csv
import re
from html.parser import HTMLParser
from typing import TYPE_CHECKING

import pytest

from audit.core.labels import label
from audit.pack.sparkline import Point, series, sparkline_svg

if TYPE_CHECKING:
    from pathlib import Path


class _Cards(HTMLParser):
    """Per card (``data-metric``): its svg's aria-label, title text and circles' attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.cards: dict[str, dict] = {}
        self._card: str | None = None
        self._depth = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "div" and "data-metric" in a:
            self._card, self._depth = a["data-metric"], 0
            self.cards[self._card] = {"svg": None, "title": "", "points": []}
        if self._card is None:
            return
        if tag == "div":
            self._depth += 1
        elif tag == "svg":
            self.cards[self._card]["svg"] = a
        elif tag == "title":
            self._in_title = True
        elif tag == "circle":
            self.cards[self._card]["points"].append(a)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "div" and self._card is not None:
            self._depth -= 1
            if self._depth == 0:
                self._card = None

    def handle_data(self, data: str) -> None:
        if self._in_title and self._card is not None:
            self.cards[self._card]["title"] += data


def _cards_of(page: str) -> dict[str, dict]:
    parser = _Cards()
    parser.feed(page)
    return parser.cards


def _cards(index: Path) -> dict[str, dict]:
    return _cards_of(index.read_text("utf-8"))


def _trends_csv(path: Path) -> dict[str, list[tuple[str, float | None, bool]]]:
    """Whole-pack rows of trends.csv per metric, month order, read with the csv module."""
    out: dict[str, list[tuple[str, float | None, bool]]] = {}
    with path.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            if row["agent_id"]:
                continue
            value = float(row["value"]) if row["value"] else None
            out.setdefault(row["metric"], []).append((row["month"], value,
                                                      row["final"] == "true"))
    return {m: sorted(rows) for m, rows in out.items()}


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_card_sparklines_are_the_trends_csv_values_with_open_months_hollow(demo_pack,
                                                                          lang: str) -> None:
    folder = demo_pack(lang)
    trends = _trends_csv(folder / "data" / "trends.csv")
    cards = _cards(folder / "index.html")
    drawn = [key for key, card in cards.items() if card["svg"] is not None]
    # every card whose metric has a trend (8 of the 13 cards) carries one, and only those
    assert sorted(drawn) == sorted(k for k in cards if len(trends.get(k, [])) > 1)
    assert len(drawn) >= 8  # noqa: PLR2004 - the headline metrics with a monthly trend
    for key in drawn:
        card = cards[key]
        points = [(p["data-month"], float(p["data-value"]), p["data-final"] == "true")
                  for p in card["points"]]
        assert points == [r for r in trends[key] if r[1] is not None], key
        for p in card["points"]:  # open months hollow, final ones filled
            assert p["class"] == ("f" if p["data-final"] == "true" else "o")
        aria = card["svg"]["aria-label"]
        assert card["svg"]["role"] == "img"
        assert aria == card["title"]
        assert aria.startswith(label(f"metric.{key}", lang))
        assert label("index.spark_title", lang).split("{values}")[0].split("}")[-1] in aria
        if lang == "zh":  # months in Chinese, no English word in the label
            assert "年" in aria
            assert not re.search(r"[A-Za-z]{2,}", aria), aria
    page = (folder / "index.html").read_text("utf-8")
    assert "<script" not in page


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_index_cards_mark_open_months_in_the_packs_language(lang: str) -> None:
    from datetime import date

    from audit.pack.headline import Headline
    from audit.pack.index import index_html

    headline = Headline("2026-10", date(2026, 11, 5), {"owed_cny": 30.0}, "2026-09",
                        date(2026, 10, 5), {})
    trends = {"owed_cny": [Point("2026-08", 10.0, final=True), Point("2026-09", 20.0, final=True),
                           Point("2026-10", 30.0, final=False)],
              "broken_rate": [Point("2026-10", 0.1, final=False)]}
    page = index_html(headline=headline, reports=[], actions=[], quality={},
                      params={"month": "2026-10", "as_of": "2026-11-05", "shop": "", "lang": lang},
                      trends=trends)
    cards = _cards_of(page)
    assert cards["broken_rate"]["svg"] is None  # one month: no line
    owed = cards["owed_cny"]
    assert [p["class"] for p in owed["points"]] == ["f", "f", "o"]
    aria = owed["svg"]["aria-label"]
    assert label("index.spark_open", lang) in aria
    assert label("index.spark_open_mark", lang) in aria
    assert ("2026年10月" if lang == "zh" else "October 2026") in aria
    assert "<script" not in page


def test_one_month_of_data_draws_no_sparkline() -> None:
    assert sparkline_svg([Point("2026-10", 5.0, final=False)], name="x", kind="count",
                         lang="en") == ""
    # two months, one without a value: still a single point, no line
    assert sparkline_svg([Point("2026-09", None, final=True), Point("2026-10", 5.0, final=False)],
                         name="x", kind="count", lang="en") == ""


def test_sparkline_points_scale_and_escape() -> None:
    pts = [Point("2026-08", 10.0, final=True), Point("2026-09", None, final=True),
           Point("2026-10", 30.0, final=True), Point("2026-11", 20.0, final=False)]
    svg = sparkline_svg(pts, name='Broken <b>"x"</b>', kind="count", lang="en")
    assert "<b>" not in svg
    assert "&lt;b&gt;&quot;x&quot;" in svg
    circles = re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)"[^>]*class="(\w)" '
                         r'data-month="([\d-]+)" data-value="([\d.]+)"', svg)
    assert [(m, float(v), c) for *_, c, m, v in circles] == [
        ("2026-08", 10.0, "f"), ("2026-10", 30.0, "f"), ("2026-11", 20.0, "o")]
    xs = [float(x) for x, *_ in circles]
    ys = {m: float(y) for _, y, _, m, _ in circles}
    assert xs == sorted(xs)
    assert len(set(xs)) == len(xs)
    assert ys["2026-10"] < ys["2026-11"] < ys["2026-08"]  # higher value, higher on the card
    # the month without a value breaks the line: one segment (Oct-Nov), not Aug-Oct
    assert svg.count("<polyline") == 1
    assert "still open" in svg


def test_series_keeps_the_whole_pack_rows_in_month_order() -> None:
    import polars as pl

    from audit.pack.trends import TREND_SCHEMA

    trends = pl.DataFrame(
        {"metric": ["a", "a", "a", "b"], "month": ["2026-10", "2026-09", "2026-10", "2026-10"],
         "agent_id": [None, None, "A1", None], "value": [2.0, 1.0, 9.0, 3.0],
         "ci_low": [None] * 4, "ci_high": [None] * 4, "final": [False, True, False, False]},
        schema=TREND_SCHEMA)
    assert series(trends) == {"a": [Point("2026-09", 1.0, final=True),
                                    Point("2026-10", 2.0, final=False)],
                              "b": [Point("2026-10", 3.0, final=False)]}
