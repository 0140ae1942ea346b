"""Demo part 4: the item-day sales panel, with known effects of explanations and resolutions.

The model (one row per item per calendar day of the period), written so that the causal event
study in :mod:`audit.impact.analysis` has a truth to be checked against and a naive
before/after that is
wrong by construction:

- **visitors** (traffic) ~ Poisson(base_i x weekday x shop-day shock x item-day noise). Reviews,
  explanations and resolutions never change traffic (seed 004: "shop traffic stayed flat").
- **conversion** = base_i x weekday x shop-day shock x item-day noise x exp(review terms):
  every neutral/negative review posted on day p lowers log conversion by ``D`` (negative) or
  ``D/2`` (neutral) times ``rho + (1 - rho) exp(-age / tau)`` for ``REVIEW_VISIBLE_DAYS`` days:
  a dip that partly recovers by itself within days, so a before/after comparison around an
  explanation posted a few days after the review is biased. An explanation posted on day e
  multiplies conversion by ``exp(L)`` for ``EFFECT_DAYS`` days; a resolution (revised to
  positive or removed) by ``exp(R)``. Effects add on the log scale, so overlapping events on one
  item compose without interacting.
- **review_page_views** ~ Binomial(visitors, q_i x exp(Lq per live explanation)).
- **orders** ~ Binomial(visitors, conversion); **gmv_cny** = orders x price;
  **page_views** = visitors + Poisson(0.6 visitors). So visitors >= orders and page_views >=
  visitors always, and every count is an integer.

The true effects are written to ``Part.facts`` in the estimand's own unit: the relative change
(%) of the metric over the post-event window against the same item without the event, which
for this model is exactly ``100 (exp(L) - 1)`` on every day of a window shorter than
``EFFECT_DAYS``. With ``effect=False`` every explanation and resolution effect is zero.
"""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import polars as pl

from audit.data.schema import SALES_DAILY
from audit.demo.season import season_factor
from audit.demo.types import DemoPeriod, Part, World

#: Log-conversion lift of one explanation / one resolution, and of review-page views.
EXPLANATION_LOG_LIFT = math.log(1.12)
RESOLUTION_LOG_LIFT = math.log(1.08)
EXPLANATION_LOG_LIFT_RPV = math.log(1.15)
#: Days an explanation's or a resolution's effect lasts (windows must be shorter).
EFFECT_DAYS = 30
#: Dip of one negative review on log conversion; neutral reviews dip half as much.
REVIEW_DIP = 0.08
#: Share of the dip that stays after the short-term recovery, and the recovery time (days).
DIP_PERSISTENT = 0.3
DIP_RECOVERY_DAYS = 3.0
#: Days a review weighs on conversion (it drops off the item page's first screen).
REVIEW_VISIBLE_DAYS = 30
#: Weekday multipliers (Monday first) of traffic and of conversion.
WEEKDAY_VISITORS = (0.95, 0.93, 0.96, 1.0, 1.04, 1.08, 1.04)
WEEKDAY_CONVERSION = (1.0, 1.0, 0.99, 1.0, 1.01, 1.03, 1.02)


def _event_days(days: pl.Series, first: np.datetime64, n_days: int) -> np.ndarray:
    """Day index (0 = first panel day) of each timestamp; -1 when null or outside the panel."""
    d = days.dt.date().to_numpy().astype("datetime64[D]")
    idx = (d - first).astype("int64")
    ok = ~np.isnat(d) & (idx >= 0) & (idx < n_days)
    return np.where(ok, idx, -1)


def _counts(item_idx: np.ndarray, day_idx: np.ndarray, weight: np.ndarray, shape) -> np.ndarray:
    """Items x days array of summed weights of the events that fall inside the panel."""
    out = np.zeros(shape)
    ok = day_idx >= 0
    np.add.at(out, (item_idx[ok], day_idx[ok]), weight[ok])
    return out


def _lagged(counts: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Causal convolution along days: sum over lags a of kernel[a] x counts[:, t - a]."""
    out = np.zeros_like(counts)
    n = counts.shape[1]
    for a, k in enumerate(kernel[:n]):  # one shift per lag (<= 60), vectorised over items/days
        if k:
            out[:, a:] += k * counts[:, : n - a]
    return out


def simulate_sales(
    rng: np.random.Generator, world: World, log: Part, period: DemoPeriod, *, effect: bool
) -> Part:
    """Daily visitors, views, orders and GMV per item, with known effects (see module doc).

    Parameters
    ----------
    rng
        The part's own random stream.
    world
        ``world.items``: shop_id, item_id, title, price_cny, popularity (mean 1.0).
    log
        The handling part; ``log.tables["reviews"]`` gives the events (reviewed_at, rating,
        explained_at, revised_rating/revised_at, removed_at per item).
    period
        The calendar: one row per item for every day of ``period.days``.
    effect
        False: explanations and resolutions have no effect at all (the null world).

    Returns
    -------
    Part with ``sales_daily`` (canonical schema) and ``facts`` holding the true effects (%).
    """
    items = world.items.sort("shop_id", "item_id")
    days = period.days
    n_items, n_days = items.height, len(days)
    shape = (n_items, n_days)
    first = np.datetime64(days[0], "D")
    log_lift = EXPLANATION_LOG_LIFT if effect else 0.0
    res_lift = RESOLUTION_LOG_LIFT if effect else 0.0
    rpv_lift = EXPLANATION_LOG_LIFT_RPV if effect else 0.0

    # Review events, mapped to panel coordinates.
    reviews = log.tables.get("reviews")
    if reviews is None or reviews.height == 0 or n_items == 0:
        reviews = pl.DataFrame(schema={"item_id": pl.String, "rating": pl.String,
                                       "reviewed_at": pl.Datetime("us"),
                                       "explained_at": pl.Datetime("us"),
                                       "revised_rating": pl.String, "revised_at": pl.Datetime("us"),
                                       "removed_at": pl.Datetime("us")})
    index = items.select("item_id").with_row_index("i")
    ev = (
        reviews.filter(pl.col("rating") != "positive")
        .join(index, on="item_id", how="inner")
        .with_columns(
            resolved_at=pl.min_horizontal(
                pl.when(pl.col("revised_rating") == "positive").then(pl.col("revised_at")),
                pl.col("removed_at"),
            )
        )
    )
    i = ev["i"].to_numpy().astype(np.int64)
    posted = _event_days(ev["reviewed_at"], first, n_days)
    explained = _event_days(ev["explained_at"], first, n_days)
    resolved = _event_days(ev["resolved_at"], first, n_days)
    dip = np.where(ev["rating"].to_numpy() == "negative", REVIEW_DIP, REVIEW_DIP / 2)
    ones = np.ones(len(i))

    age = np.arange(REVIEW_VISIBLE_DAYS)
    dip_kernel = DIP_PERSISTENT + (1 - DIP_PERSISTENT) * np.exp(-age / DIP_RECOVERY_DAYS)
    step = np.ones(EFFECT_DAYS)
    log_conv_events = (
        -_lagged(_counts(i, posted, dip, shape), dip_kernel)
        + log_lift * _lagged(_counts(i, explained, ones, shape), step)
        + res_lift * _lagged(_counts(i, resolved, ones, shape), step)
    )
    log_rpv_events = rpv_lift * _lagged(_counts(i, explained, ones, shape), step)
    # Centre each item's event terms: busy items (many reviews, many explanations) would
    # otherwise drift to extreme conversion levels. A per-item constant changes no effect.
    if n_days:
        log_conv_events -= log_conv_events.mean(axis=1, keepdims=True)
        log_rpv_events -= log_rpv_events.mean(axis=1, keepdims=True)

    # Item heterogeneity, weekday pattern, shop-day shocks (campaigns), item-day noise.
    popularity = items["popularity"].to_numpy()
    # Orders follow popularity closely (reviews do too: complaints per 1,000 orders are level
    # across a shop's ordinary items); traffic and conversion vary against each other.
    traffic = rng.lognormal(0.0, 0.3, n_items)
    base_visitors = 150.0 * popularity * traffic
    base_conv = np.clip(0.03 * rng.lognormal(0.0, 0.08, n_items) / traffic, 0.003, 0.15)
    base_rpv = np.clip(0.04 * rng.lognormal(0.0, 0.2, n_items), 0.005, 0.2)
    weekday = np.array([d.weekday() for d in days])
    shop_codes, shop_idx = np.unique(items["shop_id"].to_numpy(), return_inverse=True)
    shop_v = rng.normal(0.0, 0.06, (len(shop_codes), n_days))[shop_idx]
    shop_c = rng.normal(0.0, 0.04, (len(shop_codes), n_days))[shop_idx]

    lam = (base_visitors[:, None] * np.asarray(WEEKDAY_VISITORS)[weekday][None, :]
           * season_factor(period.start, n_days)[None, :]
           * np.exp(shop_v + rng.normal(0.0, 0.15, shape)))
    visitors = rng.poisson(lam)
    conv = (base_conv[:, None] * np.asarray(WEEKDAY_CONVERSION)[weekday][None, :]
            * np.exp(shop_c + rng.normal(0.0, 0.1, shape) + log_conv_events))
    orders = rng.binomial(visitors, np.clip(conv, 0.0, 0.9))
    rpv = rng.binomial(visitors, np.clip(base_rpv[:, None] * np.exp(log_rpv_events), 0.0, 0.95))
    page_views = visitors + rng.poisson(0.6 * visitors)
    price = items["price_cny"].to_numpy()

    day_col = pl.Series("date", days, dtype=pl.Date)
    sales = pl.DataFrame({
        "shop_id": np.repeat(items["shop_id"].to_numpy(), n_days),
        "item_id": np.repeat(items["item_id"].to_numpy(), n_days),
        "date": pl.concat([day_col] * n_items) if n_items else day_col.head(0),
        "visitors": visitors.ravel().astype(np.int64),
        "page_views": page_views.ravel().astype(np.int64),
        "review_page_views": rpv.ravel().astype(np.int64),
        "orders": orders.ravel().astype(np.int64),
        "gmv_cny": np.round((orders * price[:, None]).ravel(), 2),
    }).cast(SALES_DAILY.schema).select(SALES_DAILY.schema.keys())

    def pct(x: float) -> float:
        return round(100.0 * (math.exp(x) - 1.0), 6)

    facts = {
        "explanation_lift_conversion_pct": pct(log_lift),
        "explanation_lift_orders_pct": pct(log_lift),
        "explanation_lift_review_page_views_pct": pct(rpv_lift),
        "resolution_lift_conversion_pct": pct(res_lift),
        "resolution_lift_orders_pct": pct(res_lift),
        "resolution_lift_review_page_views_pct": 0.0,
        "visitors_effect_pct": 0.0,
        "effect_days": EFFECT_DAYS,
        "review_dip_negative": REVIEW_DIP,
        "review_dip_neutral": REVIEW_DIP / 2,
        "dip_persistent_share": DIP_PERSISTENT,
        "dip_recovery_days": DIP_RECOVERY_DAYS,
        "review_visible_days": REVIEW_VISIBLE_DAYS,
        "estimand": "relative change (%) of the metric over the post-event window vs. the same "
                    "item without the event; exact for any window shorter than effect_days",
        "last_day": (days[0] + timedelta(days=n_days - 1)).isoformat(),
    }
    return Part(tables={"sales_daily": sales}, facts=facts)
