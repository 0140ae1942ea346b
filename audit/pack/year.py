"""The monthly review's pack part: trends, agent drift, the scorecard and their files.

Built after the month's analyses (:mod:`audit.pack.analyses`) from the same views and tables:
:func:`year_views` runs the trends (:mod:`audit.pack.trends`), the drift test
(:func:`audit.review.drift.agent_drift`) and the scorecard (:mod:`audit.pack.scorecard`);
:func:`write_year_files` writes ``data/trends.csv``, ``data/agent_scorecard.csv``,
``data/explain_before_window.csv``, ``data/product_signal.csv`` and the Excel workbooks
``actions/agent_scorecards_<month>.xlsx``, ``actions/explain_before_window_<month>.xlsx`` and
``actions/products_to_review_<month>.xlsx``, through the pack's writers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from audit.core.bundle import action_list_file, load_views, save_views
from audit.core.labels import label
from audit.data import outputs

if TYPE_CHECKING:
    from collections.abc import Mapping

    import polars as pl

    from audit.pack.headline import MonthViews
    from audit.pack.params import PackParams
    from audit.review.views import ReviewViews

NAME = "year"


@dataclass(frozen=True)
class YearViews:
    """Trends (``audit.pack.trends.TREND_SCHEMA``), agent drift, the month's scorecard.

    ``agent_drift`` carries each agent's name after the id; ``agents`` (agent_id, agent_name)
    names the lines of the per-agent chart, agents not tested for drift included.
    """

    month: str
    trends: pl.DataFrame
    agent_drift: pl.DataFrame
    scorecard: pl.DataFrame
    agents: pl.DataFrame


def year_views(tables: Mapping[str, pl.LazyFrame], params: PackParams, current: MonthViews,
               previous: MonthViews | None, *, skip: set[str]) -> YearViews:
    """Every view of the pack's review part (see the module docstring)."""
    from audit.pack.scorecard import scorecard
    from audit.pack.trends import build_trends
    from audit.review.drift import agent_drift

    trends, counts = build_trends(tables, params, current, skip=skip)
    agents = tables["agents"].select("agent_id", "agent_name").collect()
    drift = agent_drift(counts)
    named = drift.join(agents, on="agent_id", how="left", maintain_order="left").select(
        "agent_id", "agent_name", *drift.columns[1:])
    return YearViews(params.month, trends, named, scorecard(current, previous, agents), agents)


def save_year(views: YearViews, folder: Path) -> Path:
    """Save for the trends notebook (:mod:`audit.core.bundle`)."""
    return save_views(views, folder / NAME)


def notebook_views(*, views_dir: str, data_dir: str, month: str, as_of: str = "",
                   shop: str = "", sla_hours: float = 24.0) -> tuple[YearViews, ReviewViews]:
    """The views the trends page shows: a pack's saved ones, else a run on ``data_dir``.

    The run is the same analyses on ``data_dir`` (the notebook opened on its own in JupyterLab).
    """
    from audit.review.views import ReviewViews

    if views_dir:
        return (load_views(YearViews, Path(views_dir) / NAME),
                load_views(ReviewViews, Path(views_dir) / "review"))
    from audit.data.dataset import load_dataset
    from audit.pack.analyses import analyse_month
    from audit.pack.params import check_params, resolve_as_of

    ds = load_dataset(data_dir, require=("reviews", "cases"))
    params = resolve_as_of(check_params(data_dir, month=month, as_of=as_of or None,
                                        shop=shop or None, sla_hours=float(sla_hours)),
                           ds.last_activity())
    from audit.pack.build import REPORT_TABLES

    skip = {stem for stem, needs in REPORT_TABLES.items() if set(needs) & set(ds.absent)}
    skip.add("impact")
    current, previous, _ = analyse_month(ds.tables, params, skip=skip)
    year = year_views(ds.tables, params, current, previous, skip=skip)
    assert current.review is not None
    return year, current.review


def _book(sheets: dict[str, pl.DataFrame], path: Path, lang: str) -> None:
    """A styled workbook as the action lists are: frozen header, ¥ / % / ratio formats, widths."""
    from audit.core.labels import has_label
    from audit.pack.year_page import KINDS, header, in_words

    def sheet(key: str, df: pl.DataFrame) -> outputs.ListSheet:
        words = in_words(df, lang)
        return outputs.ListSheet(
            name=label(f"sheet.{key}", lang) if has_label(f"sheet.{key}") else key,
            frame=words.rename({c: header(c, lang) for c in words.columns}),
            formats={header(c, lang): k for c, k in outputs.excel_kinds(words, KINDS).items()},
            table="list_" + re.sub(r"\W", "_", key, flags=re.ASCII))  # never a cell (A01)

    outputs.write_styled_excel([sheet(k, df) for k, df in sheets.items()], path)


def write_year_files(year: YearViews, current: MonthViews, actions: Path, data: Path, *,
                     lang: str) -> dict[str, int]:
    """Write the review part's CSVs and workbooks; rows of each workbook's main list."""
    from audit.pack.scorecard import agent_sheets

    month = year.month
    outputs.write_csv(year.trends, data / "trends.csv", bom=True)
    outputs.write_csv(year.scorecard, data / "agent_scorecard.csv", bom=True)
    _book(agent_sheets(year.scorecard, current, lang=lang),
          actions / action_list_file("agent_scorecards", month), lang)
    counts = {"agent_scorecards": year.scorecard.height}
    if current.review is not None:
        r = current.review
        outputs.write_csv(r.to_explain, data / "explain_before_window.csv", bom=True)
        _book({"to_explain": r.to_explain},
              actions / action_list_file("explain_before_window", month), lang)
        outputs.write_csv(r.product_signal, data / "product_signal.csv", bom=True)
        _book({"products_to_review": r.products_to_review, "product_signal": r.product_signal},
              actions / action_list_file("products_to_review", month), lang)
        counts["explain_before_window"] = r.to_explain.height
        counts["products_to_review"] = r.products_to_review.height
    return counts
