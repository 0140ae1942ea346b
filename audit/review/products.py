"""Products that draw complaints: neutral/negative reviews per 1,000 orders, against peers.

The seed of the "stop selling" decision (DOMAIN.md, product signal: an item whose rating was bad
against its peers and whose complaints were all quality). Per item and month:

* complaints = neutral/negative reviews posted in the month on the item; orders = the item's
  orders in the month (``sales_daily``); per_1000_orders with an exact (Garwood) Poisson 95%
  interval;
* peers = the shop's other items in the same month (a shop's items are of its one kind of product;
  the exports carry no finer product type): peer_per_1000_orders = their complaints over their
  orders;
* above_peers: the item's complaints are improbably many for its orders at the peer rate, on the
  funnel plot's one-sided 99.9% limit (a raw sort would put every small item with two
  complaints on top): z = (complaints - expected) / sqrt(expected), expected = orders x peer
  rate, divided by sqrt(phi) where the shop's items vary more than chance in that month
  (Spiegelhalter 2005: phi = the mean of the 10%-90% winsorised z squared over the shop's items,
  when above 1), above when z exceeds the normal quantile of 1 - ``ALPHA``;
* months_above: consecutive months, ending with this one, that were above peers;
* top_tier: the most frequent complaint tier from the reviews' own text (``audit.tiering``);
  quality_share: the share of tier ``quality``.

The short list: items above their peers for ``MIN_MONTHS`` or more months in a row, as of the
report month.
"""

from __future__ import annotations

import polars as pl
from scipy import stats

from audit.core.intervals import poisson_ratio_interval

#: One-sided significance of "above peers" (the funnel's 99.9% control limit).
ALPHA = 0.001
Z_LIMIT = float(stats.norm.isf(ALPHA))
#: Months in a row above peers that put an item on the short list.
MIN_MONTHS = 2

#: Columns of ``data/product_signal.csv`` (the issue's contract), then the quality share.
SIGNAL_COLUMNS: tuple[str, ...] = (
    "shop_id", "item_id", "month", "orders", "complaints", "per_1000_orders", "ci_low",
    "ci_high", "peer_per_1000_orders", "above_peers", "months_above", "top_tier",
)
_KEYS = ["shop_id", "item_id", "month"]


def _overdispersed_z() -> pl.Expr:
    """Z of complaints against the peer rate, scaled down by the shop-month's overdispersion."""
    expected = pl.col("orders") * pl.col("peer_per_1000_orders") / 1000.0
    z = pl.when(expected > 0).then((pl.col("complaints") - expected) / expected.sqrt())
    group = ["shop_id", "month"]
    wins = z.clip(z.quantile(0.1).over(group), z.quantile(0.9).over(group))
    phi = (wins**2).mean().over(group).clip(lower_bound=1.0)
    return z / phi.sqrt()


def _months_above(frame: pl.DataFrame) -> pl.DataFrame:
    """months_above: consecutive months above peers ending at each row (rows in month order)."""
    item = ["shop_id", "item_id"]
    above = pl.col("above_peers")
    return (frame.with_columns(_run=(~above).cast(pl.Int32).cum_sum().over(item))
            .with_columns(months_above=pl.when(above).then(
                above.cast(pl.Int64).cum_sum().over(*item, "_run")).otherwise(0))
            .drop("_run"))


def product_signal(reviews: pl.LazyFrame, sales_daily: pl.LazyFrame, tier_mix: pl.LazyFrame,
                   *, months: list[str]) -> pl.DataFrame:
    """One row per (shop, item, month) of ``months`` with orders: ``SIGNAL_COLUMNS``, quality_share.

    ``reviews``: the neutral/negative reviews to count (already cut at the audit date and
    shop); ``tier_mix``: :func:`audit.tiering.item_tier_mix` of the same reviews.
    """
    month = pl.col("date").dt.strftime("%Y-%m")
    orders = (sales_daily.with_columns(month=month).filter(pl.col("month").is_in(months))
              .group_by(_KEYS).agg(pl.col("orders").sum().cast(pl.Int64)))
    complaints = (reviews.with_columns(month=pl.col("reviewed_at").dt.strftime("%Y-%m"))
                  .group_by(_KEYS).agg(pl.len().cast(pl.Int64).alias("complaints")))
    top = (tier_mix.group_by(_KEYS).agg(
        pl.col("tier").first().alias("top_tier"),
        pl.col("share").filter(pl.col("tier") == "quality").sum().alias("quality_share")))
    lo, hi = poisson_ratio_interval("complaints", "orders")
    frame = (
        orders.join(complaints, on=_KEYS, how="left")
        .with_columns(pl.col("complaints").fill_null(0))
        .with_columns(
            per_1000_orders=pl.when(pl.col("orders") > 0).then(
                1000.0 * pl.col("complaints") / pl.col("orders")),
            ci_low=1000.0 * lo, ci_high=1000.0 * hi,
            _peer_c=pl.col("complaints").sum().over("shop_id", "month") - pl.col("complaints"),
            _peer_o=pl.col("orders").sum().over("shop_id", "month") - pl.col("orders"),
        )
        .with_columns(peer_per_1000_orders=pl.when(pl.col("_peer_o") > 0).then(
            1000.0 * pl.col("_peer_c") / pl.col("_peer_o")))
        .join(top, on=_KEYS, how="left")
        .sort(_KEYS)
        .collect()
    )
    return (frame.with_columns(above_peers=(_overdispersed_z() > Z_LIMIT).fill_null(False))
            .pipe(_months_above)
            .select(*SIGNAL_COLUMNS, pl.col("quality_share")))


def short_list(signal: pl.DataFrame, month: str) -> pl.DataFrame:
    """Items above their peers for ``MIN_MONTHS``+ months in a row as of ``month``, worst first."""
    return (signal.filter(pl.col("month") == month, pl.col("months_above") >= MIN_MONTHS)
            .sort(["months_above", "per_1000_orders"], descending=True))
