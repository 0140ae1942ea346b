"""A small stand-in for the demo's world and review timing, for the impact tests and benchmark.

It follows the timing model of docs/TEAM.md / the demo-core generator (neutral/negative reviews
spread over items by popularity; ~60% explained after 0-2 or 3-12 days, independent of sales;
~40% resolved within 30 days) so the estimator can be tested at sizes the real generator does
not make (the benchmark) and independently of it. The real generator is tested separately.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

from audit.demo.types import DemoPeriod, Part, World


def toy_world(rng: np.random.Generator, *, n_items: int, shops: int) -> World:
    """Items with popularity (mean 1) and price, spread over ``shops`` shops."""
    shop = [f"S{k % shops + 1:02d}" for k in range(n_items)]
    items = pl.DataFrame({
        "shop_id": shop,
        "item_id": [f"I{k:06d}" for k in range(n_items)],
        "title": [f"item {k}" for k in range(n_items)],
        "price_cny": np.round(rng.uniform(20, 300, n_items), 2),
        "popularity": rng.lognormal(0, 0.5, n_items) / np.exp(0.125),
    })
    return World(shops=sorted(set(shop)), agents=pl.DataFrame(), items=items)


def toy_reviews(rng: np.random.Generator, world: World, period: DemoPeriod, *,
                n_reviews: int) -> Part:
    """``n_reviews`` neutral/negative reviews with explanation and resolution times."""
    items = world.items
    pop = items["popularity"].to_numpy()
    idx = rng.choice(items.height, size=n_reviews, p=pop / pop.sum())
    n_days = (period.end_month_last_day - period.start).days + 1
    start = datetime.combine(period.start, datetime.min.time())
    posted = rng.uniform(0, n_days, n_reviews)
    explained = rng.random(n_reviews) < 0.6
    quick = rng.random(n_reviews) < 0.5
    delay = np.where(quick, rng.uniform(0, 3, n_reviews), rng.uniform(3, 13, n_reviews))
    resolved = rng.random(n_reviews) < 0.4
    res_delay = rng.uniform(0.5, 30, n_reviews)
    removed = rng.random(n_reviews) < 0.3

    def ts(days: np.ndarray, mask: np.ndarray) -> list[datetime | None]:
        return [start + timedelta(days=float(d)) if m else None for d, m in zip(days, mask)]

    rev = pl.DataFrame({
        "review_id": [f"R{k:07d}" for k in range(n_reviews)],
        "shop_id": items["shop_id"].to_numpy()[idx],
        "item_id": items["item_id"].to_numpy()[idx],
        "rating": np.where(rng.random(n_reviews) < 0.6, "negative", "neutral"),
        "reviewed_at": ts(posted, np.ones(n_reviews, bool)),
        "explained_at": ts(posted + delay, explained),
        "revised_rating": ["positive" if m else None for m in resolved & ~removed],
        "revised_at": ts(posted + res_delay, resolved & ~removed),
        "removed_at": ts(posted + res_delay, resolved & removed),
    }, schema_overrides={"revised_rating": pl.String, "reviewed_at": pl.Datetime("us"),
                         "explained_at": pl.Datetime("us"), "revised_at": pl.Datetime("us"),
                         "removed_at": pl.Datetime("us")})
    return Part(tables={"reviews": rev})


def toy_period(months: int = 3) -> DemoPeriod:
    """``months`` months ending 2026-10 (plus the 30-day follow-up)."""
    start = {1: date(2026, 10, 1), 2: date(2026, 9, 1), 3: date(2026, 8, 1)}.get(
        months, date(2026, 10, 1) - timedelta(days=30 * months))
    return DemoPeriod(start=start, end_month_last_day=date(2026, 10, 31))
