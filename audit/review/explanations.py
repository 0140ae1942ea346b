"""Explanation coverage (解释率): which neutral/negative reviews were explained in time.

Platform rule (DOMAIN.md): the seller's explanation must be posted within 30 days of the review and
is at most 500 characters. Definitions, over the cohort of reviews posted in the month (as of the
audit date, nothing later seen):

* explained in time: ``explained_at`` at most 30 days after ``reviewed_at`` (and by the audit date);
* still open: not explained in time and the 30-day window had not closed at the audit date;
  reported apart, never a miss (as resolution's open windows);
* due = reviews - still open; coverage = explained in time / due, with a Wilson 95% interval;
* median days to explanation over the explanations posted (in time or late);
* within the length rule: explanations of at most 500 characters, over those posted.

The action list "explain before the window closes" holds every review (of any month) not yet
explained whose window is still open, with the days left and the item's orders of the last 30
days: an explanation matters most where buyers read it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import polars as pl

from audit.core.intervals import wilson_high, wilson_low
from audit.core.shops import for_shop

if TYPE_CHECKING:
    from collections.abc import Sequence

#: The platform's explanation window and length rule.
WINDOW = timedelta(days=30)
MAX_CHARS = 500
_IN_SCOPE = ("neutral", "negative")

#: Columns of ``data/explain_before_window.csv`` (the issue's contract).
TO_EXPLAIN_COLUMNS: tuple[str, ...] = (
    "review_id", "shop_id", "item_id", "agent_id", "reviewed_at", "days_left", "item_orders_30d",
)


def explanation_facts(reviews: pl.LazyFrame, cases: pl.LazyFrame, *, as_of: datetime,
                      shop: str | None = None) -> pl.LazyFrame:
    """One row per neutral/negative review posted by ``as_of``, with its explanation's facts.

    Adds agent_id and category (the review's first-opened case), explained (posted by as_of),
    explained_in_time, days_to_explanation, within_length, window_open and days_left.
    """
    first_case = (cases.sort("review_id", "opened_at", "case_id")
                  .group_by("review_id", maintain_order=True)
                  .agg(pl.col("agent_id").first(), pl.col("category").first()))
    posted = pl.col("explained_at").is_not_null() & (pl.col("explained_at") <= as_of)
    days = (pl.col("explained_at") - pl.col("reviewed_at")).dt.total_seconds() / 86400.0
    closes = pl.col("reviewed_at") + WINDOW
    return (
        for_shop(reviews, shop)
        .filter(pl.col("rating").is_in(_IN_SCOPE), pl.col("reviewed_at") <= as_of)
        .join(first_case, on="review_id", how="left")
        .with_columns(explained=posted)
        .with_columns(
            explained_in_time=pl.col("explained") & (pl.col("explained_at") <= closes),
            days_to_explanation=pl.when(pl.col("explained")).then(days),
            within_length=pl.when(pl.col("explained")).then(
                pl.col("explanation_text").fill_null("").str.len_chars() <= MAX_CHARS),
            window_open=closes > as_of,
            days_left=(closes - as_of).dt.total_seconds() / 86400.0,
        )
        .with_columns(still_open=~pl.col("explained_in_time") & pl.col("window_open"))
    )


def _coverage() -> list[pl.Expr]:
    due = (~pl.col("still_open")).sum()
    return [
        pl.len().cast(pl.Int64).alias("reviews"),
        pl.col("explained").sum().cast(pl.Int64).alias("explained"),
        pl.col("explained_in_time").sum().cast(pl.Int64).alias("explained_in_time"),
        pl.col("still_open").sum().cast(pl.Int64).alias("still_open"),
        due.cast(pl.Int64).alias("due"),
        pl.col("days_to_explanation").median().alias("median_days_to_explanation"),
        pl.col("within_length").sum().cast(pl.Int64).alias("within_length"),
    ]


def _rates(frame: pl.LazyFrame) -> pl.LazyFrame:
    return frame.with_columns(
        coverage=pl.when(pl.col("due") > 0).then(pl.col("explained_in_time") / pl.col("due")),
        ci_low=wilson_low("explained_in_time", "due"),
        ci_high=wilson_high("explained_in_time", "due"),
        share_within_length=pl.when(pl.col("explained") > 0).then(
            pl.col("within_length") / pl.col("explained")),
    )


def coverage_by(facts: pl.LazyFrame, month_start: date, month_end: date,
                by: Sequence[str] = ()) -> pl.LazyFrame:
    """Coverage of the month's cohort, overall (``by`` empty) or per ``by`` group, sorted."""
    cohort = facts.filter(
        pl.col("reviewed_at").dt.date().is_between(month_start, month_end, closed="both"))
    grouped = cohort.group_by(*by).agg(*_coverage()) if by else cohort.select(*_coverage())
    out = _rates(grouped)
    return out.sort(*by, nulls_last=True) if by else out


def to_explain(facts: pl.LazyFrame, sales_daily: pl.LazyFrame | None, *,
               as_of: datetime) -> pl.LazyFrame:
    """Reviews not yet explained whose window is still open, fewest days left first.

    Then the busiest items (orders in the 30 days up to the audit date; 0 without a sales export).
    """
    rows = facts.filter(~pl.col("explained") & pl.col("window_open"))
    if sales_daily is None:
        orders = pl.LazyFrame(schema={"shop_id": pl.String, "item_id": pl.String,
                                      "item_orders_30d": pl.Int64})
    else:
        day = as_of.date()
        orders = (sales_daily.filter(pl.col("date").is_between(day - timedelta(days=29), day))
                  .group_by("shop_id", "item_id")
                  .agg(pl.col("orders").sum().cast(pl.Int64).alias("item_orders_30d")))
    return (rows.join(orders, on=["shop_id", "item_id"], how="left")
            .with_columns(pl.col("item_orders_30d").fill_null(0),
                          pl.col("days_left").round(1))
            .sort(["days_left", "item_orders_30d", "review_id"], descending=[False, True, False])
            .select(TO_EXPLAIN_COLUMNS))
