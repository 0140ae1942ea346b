"""Each analysis of a monthly pack, run once: this month's and the previous month's views.

A pack needs every job for the report month and the promise and resolution jobs for the month
before (at the same age: the audit date moved back one calendar month), nothing more. They run
here, in this process, on the validated snapshot, concurrently (``concurrent.futures``); the
notebooks, the index, the Excel lists and the CSVs then all read these views. An analysis that
raises fails the pack with the job's name (:class:`audit.core.errors.AnalysisFailed`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields
from datetime import date
from typing import TYPE_CHECKING

import polars as pl

from audit.core.bundle import save_views
from audit.core.dates import end_of_day, in_month, month_earlier, previous_month
from audit.core.errors import AnalysisFailed, AuditError, Phrase
from audit.core.labels import has_label
from audit.core.shops import for_shop
from audit.pack.headline import Headline, MonthViews

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping
    from concurrent.futures import Future
    from pathlib import Path

    from audit.pack.params import PackParams


def has_reviews(tables: Mapping[str, pl.LazyFrame], *, month: str, shop: str = "") -> bool:
    """True when the data hold at least one review posted in ``month`` (and ``shop``)."""
    reviews = for_shop(tables["reviews"], shop).filter(in_month("reviewed_at", month))
    return reviews.select(pl.len()).collect().item() > 0


def _jobs(tables: Mapping[str, pl.LazyFrame], params: PackParams, *, month: str, as_of: date,
          impact: bool, skip: Collection[str]) -> dict[str, Callable[[], object]]:
    from audit.impact import job as impact_job
    from audit.promises import job as promises_job
    from audit.resolution import job as resolution_job
    from audit.review import job as review_job

    at, shop = end_of_day(as_of), params.shop or None
    jobs: dict[str, Callable[[], object]] = {
        "promises": lambda: promises_job.analyse(tables, as_of=at, month=month, shop=shop).views,
        "resolution": lambda: resolution_job.analyse(tables, month=month, as_of=at,
                                                     sla_hours=params.sla_hours,
                                                     shop=shop).views,
    }
    jobs["review"] = lambda: review_job.analyse(tables, month=month, as_of=at, shop=shop,
                                                products_signal=impact)
    if impact:
        jobs["impact"] = lambda: impact_job.analyse(tables, window=params.window, shop=shop)
    return {name: job for name, job in jobs.items() if name not in skip}


def _views(futures: Mapping[str, Future[object]], month: str) -> MonthViews:
    got = {}
    for name, future in futures.items():
        try:
            got[name] = future.result()
        except AuditError:
            raise
        except Exception as exc:
            part = Phrase(f"report.{name}" if has_label(f"report.{name}") else "report.trends")
            raise AnalysisFailed.worded(key="error.analysis_failed", name=name, part=part,
                                        month=month, why=f"{type(exc).__name__}: {exc}") from exc
    return MonthViews(**got)


def analyse_month(tables: Mapping[str, pl.LazyFrame], params: PackParams, *,
                  skip: Collection[str] = ()) -> tuple[MonthViews, MonthViews | None, Headline]:
    """Run every job once for ``params.month`` (and the previous month) and the headline.

    ``skip``: parts (promises, resolution, impact) whose exports are absent; their numbers
    stay empty (shown as "—"), never 0.
    """
    as_of = date.fromisoformat(params.as_of)
    prev_month, prev_as_of = previous_month(params.month), month_earlier(as_of)
    with_previous = has_reviews(tables, month=prev_month, shop=params.shop)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="analysis") as executor:
        now = {name: executor.submit(job) for name, job in _jobs(
            tables, params, month=params.month, as_of=as_of, impact=True, skip=skip).items()}
        before = {name: executor.submit(job) for name, job in _jobs(
            tables, params, month=prev_month, as_of=prev_as_of, impact=False,
            skip=skip).items()} if with_previous else {}
        current = _views(now, params.month)
        previous = _views(before, prev_month) if with_previous else None
    headline = Headline(params.month, as_of, current.numbers(), prev_month, prev_as_of,
                        previous.numbers() if previous else {})
    return current, previous, headline


def save_month_views(views: MonthViews, folder: Path) -> None:
    """Save each part's views in ``folder/<part>/`` for the notebooks (:mod:`audit.core.bundle`)."""
    for f in fields(views):
        part = getattr(views, f.name)
        if part is not None:
            save_views(part, folder / f.name)
