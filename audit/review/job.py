"""The review job: explanation coverage and the product signal, analysed once for a month.

:func:`analyse` (typed tables in) is what the pack calls; :func:`month_numbers` is the cheap part
the trends need for every month (no text tiering), the same definitions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from audit.core.dates import parse_month
from audit.core.intervals import poisson_ratio_interval
from audit.core.shops import for_shop
from audit.review import explanations, products
from audit.review.views import ReviewViews

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

NAME = "review"
_IN_SCOPE = ("neutral", "negative")


def covered_months(tables: Mapping[str, pl.LazyFrame], month: str, shop: str | None = None,
                   *, limit: int = 24) -> list[str]:
    """The months with reviews (of ``shop``) up to ``month``, the last ``limit`` at most."""
    got = (for_shop(tables["reviews"], shop)
           .select(pl.col("reviewed_at").dt.strftime("%Y-%m").unique())
           .collect().to_series().sort().to_list())
    return [m for m in got if m <= month][-limit:]


def _complaints(tables: Mapping[str, pl.LazyFrame], *, as_of: datetime,
                shop: str | None) -> pl.LazyFrame:
    return for_shop(tables["reviews"], shop).filter(pl.col("rating").is_in(_IN_SCOPE),
                                                    pl.col("reviewed_at") <= as_of)


def month_numbers(tables: Mapping[str, pl.LazyFrame], *, month: str, as_of: datetime,
                  shop: str | None = None) -> dict[str, dict[str, float | int | None]]:
    """``explanation`` (the coverage row) and ``complaints`` (per 1,000 orders) of ``month``."""
    start, end = parse_month(month)
    facts = explanations.explanation_facts(tables["reviews"], tables["cases"], as_of=as_of,
                                           shop=shop)
    coverage = explanations.coverage_by(facts, start, end)
    lo, hi = poisson_ratio_interval("complaints", "orders")
    cut = as_of.date()
    per_1000 = (
        _complaints(tables, as_of=as_of, shop=shop)
        .filter(pl.col("reviewed_at").dt.date().is_between(start, end))
        .select(complaints=pl.len().cast(pl.Int64))
        .join(for_shop(tables["sales_daily"], shop)
              .filter(pl.col("date").is_between(start, min(end, cut)))
              .select(orders=pl.col("orders").sum().cast(pl.Int64)), how="cross")
        .with_columns(per_1000_orders=pl.when(pl.col("orders") > 0).then(
            1000.0 * pl.col("complaints") / pl.col("orders")), ci_low=1000.0 * lo,
            ci_high=1000.0 * hi)
    ) if "sales_daily" in tables else None
    rows = pl.collect_all([coverage] + ([per_1000] if per_1000 is not None else []))
    return {"explanation": rows[0].row(0, named=True),
            "complaints": rows[1].row(0, named=True) if len(rows) > 1 else {}}


def analyse(tables: Mapping[str, pl.LazyFrame], *, month: str, as_of: datetime,
            shop: str | None = None, products_signal: bool = True) -> ReviewViews:
    """Every view of the review job for ``month`` as of ``as_of`` (one shop or all).

    ``products_signal`` False leaves the product frames empty (the previous month of a pack
    needs only the explanations, for the scorecard's changes).
    """
    from audit.tiering import item_tier_mix

    start, end = parse_month(month)
    facts = explanations.explanation_facts(tables["reviews"], tables["cases"], as_of=as_of,
                                           shop=shop).cache()
    sales = tables.get("sales_daily")
    lazy = [explanations.coverage_by(facts, start, end, ["agent_id"]),
            explanations.coverage_by(facts, start, end, ["category"]),
            explanations.to_explain(facts, for_shop(sales, shop) if sales is not None else None,
                                    as_of=as_of)]
    by_agent, by_category, to_explain = pl.collect_all(lazy)
    numbers = month_numbers(tables, month=month, as_of=as_of, shop=shop)
    if sales is not None and products_signal:
        complaints = _complaints(tables, as_of=as_of, shop=shop)
        signal = products.product_signal(
            complaints, for_shop(sales, shop).filter(pl.col("date") <= as_of.date()),
            item_tier_mix(complaints), months=covered_months(tables, month, shop))
    else:
        signal = pl.DataFrame(schema={c: pl.String for c in products.SIGNAL_COLUMNS})
    return ReviewViews(month, f"{as_of:%Y-%m-%d}", numbers["explanation"], numbers["complaints"],
                       by_agent, by_category, to_explain, signal,
                       products.short_list(signal, month) if signal.height else signal)
