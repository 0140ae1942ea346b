"""The complaint-tier mix of each item and month, from the reviews' own text (issue 12).

The product view asks what an item's complaints are about; the handling log's category is the
agent's word, the text is the buyer's (``tier_reviews``). Public through ``audit.tiering``.
"""

from __future__ import annotations

import polars as pl

from audit.tiering.classify import tier_reviews
from audit.tiering.job import IN_SCOPE_RATINGS

#: Columns of :func:`item_tier_mix`.
MIX_SCHEMA: dict[str, pl.DataType] = {
    "shop_id": pl.String(), "item_id": pl.String(), "month": pl.String(), "tier": pl.String(),
    "reviews": pl.Int64(), "share": pl.Float64(),
}


def item_tier_mix(reviews: pl.LazyFrame) -> pl.LazyFrame:
    """Per (shop_id, item_id, month of reviewed_at, tier): neutral/negative reviews and share.

    ``reviews``: the canonical reviews table (any subset of rows). Each review is tiered once
    from its text; ``share`` is the tier's part of the item's reviews of that month.

    Examples
    --------
    >>> from datetime import datetime
    >>> r = pl.LazyFrame({"review_id": ["a", "b", "c"], "shop_id": ["S"] * 3,
    ...                   "item_id": ["I"] * 3, "rating": ["negative"] * 3,
    ...                   "review_text": ["质量太差", "质量很差", "快递太慢"],
    ...                   "reviewed_at": [datetime(2026, 10, d) for d in (1, 2, 3)]})
    >>> item_tier_mix(r).select("tier", "reviews", "share").collect().rows()
    [('quality', 2, 0.6666666666666666), ('logistics', 1, 0.3333333333333333)]
    """
    scoped = reviews.filter(pl.col("rating").is_in(IN_SCOPE_RATINGS)).select(
        "review_id", "shop_id", "item_id", "rating", "review_text",
        month=pl.col("reviewed_at").dt.strftime("%Y-%m"))
    tiers = tier_reviews(scoped.select("review_id", "rating",
                                       pl.col("review_text").alias("text")))
    keys = ["shop_id", "item_id", "month"]
    return (
        scoped.select("review_id", *keys).join(tiers.select("review_id", "tier"), on="review_id")
        .group_by(*keys, "tier").agg(pl.len().cast(pl.Int64).alias("reviews"))
        .with_columns(share=pl.col("reviews") / pl.col("reviews").sum().over(keys))
        .sort([*keys, "reviews", "tier"], descending=[False, False, False, True, False])
        .select(*MIX_SCHEMA)
    )
