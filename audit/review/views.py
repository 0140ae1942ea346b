"""The review job's views: each number computed once, in a frozen dataclass the pack saves.

``explanation``: the month's coverage (:func:`audit.review.explanations.coverage_by`, one row as
a dict); ``explanation_by_agent`` / ``explanation_by_category``: the same per group;
``to_explain``: the "explain before the window closes" list; ``product_signal``: every item and
month up to the report month; ``products_to_review``: the short list of the report month;
``complaints``: the shop's neutral/negative reviews per 1,000 orders in the month.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl


@dataclass(frozen=True)
class ReviewViews:
    """Explanation coverage and the products that draw complaints, for one month."""

    month: str
    as_of: str
    explanation: dict[str, float | int | None]
    complaints: dict[str, float | int | None]
    explanation_by_agent: pl.DataFrame
    explanation_by_category: pl.DataFrame
    to_explain: pl.DataFrame
    product_signal: pl.DataFrame
    products_to_review: pl.DataFrame
