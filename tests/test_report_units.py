"""Unit tests of the pack's small parts: parameters, labels, number formats, months, index."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit.core.dates import month_earlier, previous_month
from audit.core.errors import ParameterError
from audit.core.fmt import fmt_change, fmt_cny, fmt_count, fmt_hours, fmt_pct
from audit.core.labels import LANGS, _all_labels, label
from audit.pack.headline import Headline
from audit.pack.index import PageLink, index_html
from audit.pack.notebooks import describe_failure
from audit.pack.params import PackParams, check_params, check_shop, resolve_as_of

# --- parameters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"month": "2026-13"}, "month '2026-13' has no month 13; expected 01-12"),
        ({"month": "26-10"}, "month must be YYYY-MM (e.g. 2026-10), got '26-10'"),
        ({"month": "2026-10'; import os; '"}, "month must be YYYY-MM"),
        ({"month": "2026-10", "as_of": "2026-10-32"}, "as-of date '2026-10-32' is not a real"),
        ({"month": "2026-10", "as_of": "2026-09-30"},
         "as-of date 2026-09-30 is before the report month 2026-10"),
        ({"month": "2026-10", "lang": "fr"}, "lang must be one of en, zh, got 'fr'"),
        ({"month": "2026-10", "shop": 'S1"; import os'}, "shop must be a shop id"),
        ({"month": "2026-10", "shop": "S" * 65}, "shop must be a shop id"),
    ],
)
def test_bad_parameters_fail_in_one_line(tmp_path: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(ParameterError, match=re.escape(message)) as info:
        check_params(tmp_path, **kwargs)
    assert "\n" not in str(info.value)


def test_missing_data_folder_is_a_parameter_error(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="does not exist or is not a folder"):
        check_params(tmp_path / "nope", month="2026-10")


def test_good_parameters_become_plain_strings(tmp_path: Path) -> None:
    p = check_params(tmp_path, month=" 2026-10 ", as_of="2026-11-05", shop="S01", lang="zh")
    assert p.notebook_parameters(Path("/views"), Path("/snap")) == {
        "views_dir": "/views", "data_dir": "/snap", "month": "2026-10", "as_of": "2026-11-05",
        "shop": "S01", "lang": "zh", "sla_hours": "24.0", "window": "14"}
    assert all(isinstance(v, str) for v in p.notebook_parameters(Path("/v"), Path("/s")).values())


def test_as_of_defaults_to_last_activity_and_shop_must_exist(tmp_path: Path) -> None:
    p = check_params(tmp_path, month="2026-10")
    assert resolve_as_of(p, datetime(2026, 11, 30, 23, 59)).as_of == "2026-11-30"
    with pytest.raises(ParameterError, match="the data ends on 2026-09-30, before the report"):
        resolve_as_of(p, datetime(2026, 9, 30, 12))
    check_shop(PackParams(tmp_path, "2026-10", "", "S01", "en", tmp_path), {"S01", "S02"})
    with pytest.raises(ParameterError, match=r"shop 'S9' is not in the data \(shops: S01, S02\)"):
        check_shop(PackParams(tmp_path, "2026-10", "", "S9", "en", tmp_path), {"S01", "S02"})


# --- labels ----------------------------------------------------------------------------------


def test_label_in_both_languages_and_strict_errors() -> None:
    assert label("report.title", "en") == "Monthly review audit"
    assert label("report.title", "zh") == "月度评价审计"
    with pytest.raises(ParameterError, match="lang must be one of en, zh, got 'de'"):
        label("report.title", "de")
    with pytest.raises(KeyError, match="unknown label 'no.such.key'"):
        label("no.such.key", "en")


def test_every_label_file_has_both_languages_and_no_duplicates() -> None:
    folder = Path(__file__).resolve().parents[1] / "audit"
    seen: set[str] = set()
    for path in folder.glob("*/labels.json"):
        data = json.loads(path.read_text("utf-8"))
        for key, texts in data.items():
            assert set(LANGS) <= set(texts), f"{path.name}: {key}"
            assert key not in seen, key
            seen.add(key)
    assert seen == set(_all_labels())


# --- formats ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fn", "value", "text"),
    [(fmt_count, 1204, "1,204"), (fmt_count, None, "—"), (fmt_cny, 12345.6, "¥12,345.60"),
     (fmt_cny, -120.0, "-¥120.00"), (fmt_cny, 0.0004, "¥0.00"), (fmt_pct, 0.4123, "41.2%"),
     (fmt_pct, None, "—"), (fmt_hours, 18.46, "18.5 h")],
)
def test_formats(fn, value, text: str) -> None:
    assert fn(value) == text


@pytest.mark.parametrize(
    ("value", "kind", "en", "zh"),
    [(18.46, "hours", "18.5 h", "18.5 小时"), (1204, "count", "1,204", "1,204"),
     (12345.6, "cny", "¥12,345.60", "¥12,345.60"), (0.6611, "p", "0.66", "0.66")],
)
def test_formats_in_both_languages(value, kind: str, en: str, zh: str) -> None:
    from audit.core.fmt import fmt_value

    assert (fmt_value(value, kind, "en"), fmt_value(value, kind, "zh")) == (en, zh)


def test_dates_and_months_read_as_a_chinese_manager_writes_them() -> None:
    from datetime import datetime

    from audit.core.fmt import fmt_date, fmt_datetime, fmt_month

    assert fmt_date(date(2026, 10, 9), "zh") == "10月9日"
    assert fmt_date("2026-10-09", "zh", year=True) == "2026年10月9日"
    assert fmt_month("2026-10", "zh") == "2026年10月"
    assert fmt_month("2026-10", "en") == "October 2026"
    assert fmt_datetime(datetime(2026, 10, 9, 14, 1), "zh") == "2026年10月9日 14:01"


@pytest.mark.parametrize(
    ("value", "kind", "text"),
    [(3, "count", "+3"), (-120.0, "cny", "-¥120.00"), (0.025, "pct", "+2.5 pp"),
     (0, "count", "±0"), (None, "pct", "—"), (-2.54, "hours", "-2.5 h")],
)
def test_fmt_change(value, kind: str, text: str) -> None:
    assert fmt_change(value, kind) == text
    assert fmt_change(0.025, "pct", "zh") == "+2.5 个百分点"


# --- months ----------------------------------------------------------------------------------


def test_previous_month_and_month_earlier() -> None:
    assert previous_month("2026-01") == "2025-12"
    assert previous_month("2026-10") == "2026-09"
    assert month_earlier(date(2026, 3, 31)) == date(2026, 2, 28)
    assert month_earlier(date(2024, 3, 30)) == date(2024, 2, 29)
    assert month_earlier(date(2026, 1, 15)) == date(2025, 12, 15)


@given(st.dates(min_value=date(1900, 2, 1), max_value=date(2200, 12, 31)))
def test_month_earlier_is_in_the_previous_month(day: date) -> None:
    earlier = month_earlier(day)
    assert previous_month(day.strftime("%Y-%m")) == earlier.strftime("%Y-%m")
    assert earlier.day <= day.day


# --- failures and the index ------------------------------------------------------------------


class _PapermillLike(Exception):
    def __init__(self) -> None:
        super().__init__("long\ntraceback")
        self.ename, self.evalue, self.exec_count = "KeyError", "'x'\nmore", 7


def test_describe_failure_is_one_line() -> None:
    assert describe_failure(_PapermillLike()) == "cell [7]: KeyError: 'x'"
    assert describe_failure(RuntimeError("dead kernel\nstack")) == "RuntimeError: dead kernel"


def _headline(previous: dict) -> Headline:
    values = {"promises_broken_or_partial": 5, "owed_cny": 1234.5, "resolution_rate": 0.5,
              "cohort_cases": 1000, "median_hours_to_first_contact": 3.0,
              "explanation_lift": 0.12, "explanation_lift_ci_low": 0.05,
              "explanation_lift_ci_high": 0.2, "explanation_lift_verdict": "lift"}
    return Headline("2026-10", date(2026, 11, 30), values, "2026-09", date(2026, 10, 30),
                    previous)


def test_index_formats_numbers_colours_changes_and_escapes() -> None:
    page = index_html(
        headline=_headline({"promises_broken_or_partial": 8, "owed_cny": 1000.0,
                            "resolution_rate": 0.45,
                            "cohort_cases": 1200, "median_hours_to_first_contact": 2.0}),
        reports=[PageLink("promises.html", "Promises <b>")],
        actions=[PageLink("actions/x.xlsx", "X", "3 rows")], quality={},
        params={"month": "2026-10", "as_of": "2026-11-30", "shop": "<script>", "lang": "en"},
        notes=["<img src=x>"])
    assert "<script>" not in page
    assert "<img" not in page
    assert "Promises <b>" not in page
    assert "&lt;script&gt;" in page
    assert '<div class="v">¥1,234.50</div>' in page
    assert '<div class="v">50.0%</div>' in page
    assert '<span class="good">-3</span>' in page  # fewer broken promises: good
    assert '<span class="bad">+¥234.50</span>' in page  # more owed: bad
    assert '<span class="good">+5.0 pp</span>' in page  # higher resolution rate: good
    assert '<span class="bad">+1.0 h</span>' in page  # slower first contact: bad
    assert "95% interval +5.0% – +20.0% · lift" in page
    assert ">+12.0%</div>" in page


def test_index_without_previous_month_says_so() -> None:
    page = index_html(headline=_headline({}), reports=[], actions=[], quality={},
                      params={"month": "2026-10", "as_of": "2026-11-30", "shop": "",
                              "lang": "zh"})
    assert "数据中没有上月" in page
    assert "全部店铺" in page


def test_execution_order_runs_the_longest_first(tmp_path: Path) -> None:
    from audit.pack.build import _execution_order

    sources = [tmp_path / "promises.ipynb", tmp_path / "resolution.ipynb",
               tmp_path / "impact.ipynb", tmp_path / "new.ipynb"]
    assert _execution_order(sources, tmp_path / "none") == sources
    (tmp_path / "manifest.json").write_text(json.dumps({"notebooks_seconds": {
        "promises.ipynb": 4.5, "resolution.ipynb": 5.4, "impact.ipynb": 7.3}}), "utf-8")
    assert [p.stem for p in _execution_order(sources, tmp_path)] == [
        "new", "impact", "resolution", "promises"]


def test_render_hides_code_and_tagged_cells_and_loads_plotly_once(tmp_path: Path) -> None:
    import nbformat

    from audit.pack.html import render_notebook

    nb = nbformat.v4.new_notebook()
    shown = nbformat.v4.new_code_cell("secret_code_1 = 1")
    shown.outputs = [nbformat.v4.new_output("stream", name="stdout", text="visible output\n")]
    hidden = nbformat.v4.new_code_cell("secret_code_2 = 2")
    hidden.metadata["tags"] = ["remove_cell"]
    hidden.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hidden output\n")]
    nb.cells = [nbformat.v4.new_markdown_cell("# Title <b>md</b>"), shown, hidden]
    nbformat.write(nb, tmp_path / "x.ipynb")
    page = render_notebook(tmp_path / "x.ipynb", tmp_path / "x.html", title="T <&>",
                           nav='<a href="index.html">Overview</a>', lang="zh").read_text("utf-8")
    assert "visible output" in page
    assert "secret_code" not in page
    assert "hidden output" not in page
    assert '<html lang="zh">' in page
    assert "<title>T &lt;&amp;&gt;</title>" in page
    assert page.count('<script src="assets/plotly.min.js"></script>') == 1
    assert "require.min.js" not in page
    assert "mathjax" not in page.lower()
    assert '<nav class="ra-nav"><a href="index.html">Overview</a></nav>' in page
