"""Seeded item-day worlds with a known explanation effect and the failure modes of issue 14.

Why a generator of our own: the demo's explanation timing is independent of sales by
construction, so it cannot show what happens when a shop's agents choose *which* reviews to
explain. Each :class:`Scenario` switch breaks one assumption a real shop breaks:

- ``selection``: agents explain first the reviews that would recover fastest anyway (the
  explanation hazard rises with the review's expected recovery, which depends on its complaint
  tier and age: a logistics complaint fades in days, a quality one in weeks).
- ``heterogeneous``: the lift differs by item, larger on small items (so the orders-weighted and
  the per-explanation effect differ).
- ``delayed``: the lift ramps up over the first five days.
- ``saturation``: an explanation while another one is live on the item lifts only ``later_lift``.
- ``promotions``: two shop-wide days with traffic x5 (and conversion x0.8).
- ``bursts``: a few item-days with 5-10 reviews at once (a bad batch).

Model (per item i, shop s, day t): visitors ~ Poisson(V_i x weekday x shop-day shock x promo);
conversion = c_i x shop-day shock x exp(review dips + event lifts); orders ~ Binomial(visitors,
conversion). Review rate per item-day proportional to its expected orders. Each review dips log
conversion by ``depth[rating] x (0.2 + 0.8 exp(-age / tau[category]))`` for 30 days.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

CATEGORIES: tuple[str, ...] = ("logistics", "novice", "service", "wrong_item", "quality")
#: Recovery time constant (days) of a review's dip, by complaint category.
TAU: dict[str, float] = {"logistics": 1.5, "novice": 2.5, "service": 5.0, "wrong_item": 9.0,
                         "quality": 16.0}
DEPTH: dict[str, float] = {"negative": 0.25, "neutral": 0.12}
DURATION = 30
START = date(2026, 1, 1)


@dataclass(frozen=True)
class Scenario:
    """One simulated world type (see module docstring for the switches)."""

    name: str
    n_items: int = 600
    n_days: int = 90
    n_shops: int = 3
    lift: float = 0.10  # relative lift of conversion per explanation (first ones)
    later_lift: float | None = None  # saturation: lift of an explanation while another is live
    resolution_lift: float = 0.05
    selection: bool = False
    heterogeneous: bool = False
    delayed: bool = False
    promotions: bool = False
    bursts: bool = False
    review_rate: float = 0.035  # reviews per expected order
    window: int = 14
    extra: dict[str, float] = field(default_factory=dict)

    def null(self) -> Scenario:
        """The same world without any explanation effect."""
        return replace(self, name=f"{self.name}_null", lift=0.0,
                       later_lift=0.0 if self.later_lift is not None else None)


@dataclass(frozen=True)
class World:
    """Canonical tables and the true estimands (relative changes, not percent)."""

    sales: pl.DataFrame
    reviews: pl.DataFrame
    tiers: pl.DataFrame
    truth: dict[str, float]


def _explanation_delay(rng: np.random.Generator, tau: np.ndarray, *, selection: bool
                       ) -> np.ndarray:
    """Days from review to explanation (-1: never). With selection the daily hazard grows with
    how far the review's dip has already recovered: agents wait for the item to sell again."""
    n = tau.size
    ever = rng.random(n) < 0.75
    if not selection:
        d = rng.geometric(0.2, n) - 1
        return np.where(ever & (d < 29), d, -1)
    out = np.full(n, -1)
    alive = ever.copy()
    for h in range(29):
        recovered = 1.0 - np.exp(-h / tau)
        hazard = np.clip(0.03 + 0.45 * recovered**2, 0, 1)
        hit = alive & (rng.random(n) < hazard)
        out[hit] = h
        alive &= ~hit
    return out


def generate(sc: Scenario, seed: int) -> World:  # noqa: PLR0915 - one linear recipe
    """Draw one world of scenario ``sc`` (deterministic in ``seed``)."""
    rng = np.random.default_rng(seed)
    n, t_days, n_shops = sc.n_items, sc.n_days, sc.n_shops
    shop = rng.integers(0, n_shops, n)
    base_v = np.exp(rng.normal(3.3, 0.7, n))
    base_c = 0.05 * np.exp(rng.normal(0, 0.3, n))
    weekday = np.array([1.0, 0.95, 0.95, 1.0, 1.1, 1.2, 1.15])
    days = np.arange(t_days)
    v_shock = np.exp(rng.normal(0, 0.1, (n_shops, t_days)))
    c_shock = np.exp(rng.normal(0, 0.1, (n_shops, t_days)))
    if sc.promotions:
        for d in rng.choice(np.arange(10, t_days - 10), 2, replace=False):
            v_shock[:, d] *= 5.0
            c_shock[:, d] *= 0.8
    ev = base_v[:, None] * weekday[(days + 3) % 7][None, :] * v_shock[shop]
    ec0 = base_c[:, None] * c_shock[shop]
    # Reviews: Poisson per item-day, proportional to expected orders.
    rate = sc.review_rate * ev * ec0
    nrev = rng.poisson(rate)
    if sc.bursts:
        bi = rng.integers(0, n, max(n // 30, 2))
        bd = rng.integers(0, t_days, bi.size)
        nrev[bi, bd] += rng.integers(5, 11, bi.size)
    ri, rd = np.nonzero(nrev)
    reps = nrev[ri, rd]
    ri, rd = np.repeat(ri, reps), np.repeat(rd, reps)
    m = ri.size
    rating = np.where(rng.random(m) < 0.6, "negative", "neutral")
    cat = np.array(CATEGORIES)[rng.integers(0, len(CATEGORIES), m)]
    tau = np.array([TAU[c] for c in cat])
    depth = np.array([DEPTH[r] for r in rating])
    delay = _explanation_delay(rng, tau, selection=sc.selection)
    ed = np.where(delay >= 0, rd + delay, -1)
    res = rng.random(m) < 0.25
    res_d = np.where(res, rd + rng.integers(1, 26, m), -1)
    # Log-conversion terms.
    logc = np.zeros((n, t_days))
    for a in range(DURATION):
        dd = rd + a
        ok = dd < t_days
        np.add.at(logc, (ri[ok], dd[ok]), -depth[ok] * (0.2 + 0.8 * np.exp(-a / tau[ok])))
    # Explanations: one per explained review (several on one item-day count separately).
    xi, xd = ri[ed >= 0], ed[ed >= 0]
    order = np.lexsort((xd, xi))
    xi, xd = xi[order], xd[order]
    prev = np.r_[False, xi[1:] == xi[:-1]]
    gap = np.r_[np.inf, np.diff(xd).astype(float)]
    first = ~(prev & (gap < DURATION))
    size_rank = np.argsort(np.argsort(base_v * base_c)) / max(n - 1, 1)
    lift_item = (sc.lift * (1.6 - 1.2 * size_rank) if sc.heterogeneous
                 else np.full(n, sc.lift))
    later = sc.later_lift
    lift_x = np.where(first | (later is None), lift_item[xi],
                      later if later is not None else 0.0)
    lift_log = np.log1p(lift_x)
    ramp = (np.minimum(1.0, (np.arange(DURATION) + 1) / 5.0) if sc.delayed
            else np.ones(DURATION))
    eff_terms = []
    for h in range(DURATION):
        dd = xd + h
        ok = dd < t_days
        term = lift_log[ok] * ramp[h]
        np.add.at(logc, (xi[ok], dd[ok]), term)
        if h <= sc.window:
            eff_terms.append((xi[ok], dd[ok], term, first[ok], np.flatnonzero(ok)))
    zi, zd = ri[res_d >= 0], res_d[res_d >= 0]
    for h in range(DURATION):
        dd = zd + h
        ok = dd < t_days
        np.add.at(logc, (zi[ok], dd[ok]), np.log1p(sc.resolution_lift))
    conv = np.clip(ec0 * np.exp(logc), 0, 0.9)
    visitors = rng.poisson(ev)
    orders = rng.binomial(visitors, conv)
    # Truth: over explanation-days 0..window, fitted-with over fitted-without (expected orders).
    mu = ev * conv
    num = {"all": 0.0, "first": 0.0, "later": 0.0}
    den = dict.fromkeys(num, 0.0)
    per_x = np.zeros(xi.size)
    per_n = np.zeros(xi.size)
    for ii, dd, term, fst, which in eff_terms:
        with_ = mu[ii, dd]
        without = with_ * np.exp(-term)
        for key, sel in (("all", slice(None)), ("first", fst), ("later", ~fst)):
            num[key] += with_[sel].sum()
            den[key] += without[sel].sum()
        per_x[which] += np.exp(term)
        per_n[which] += 1
    truth = {f"orders_weighted_{k}": (num[k] / den[k] - 1 if den[k] > 0 else np.nan)
             for k in num}
    has = per_n > 0
    truth["per_explanation_all"] = float(np.mean(per_x[has] / per_n[has]) - 1) if has.any() \
        else np.nan
    truth["n_explanations"] = float(xi.size)
    truth["n_reviews"] = float(m)
    # Canonical tables.
    item_ids = np.array([f"I{k:05d}" for k in range(n)])
    shop_ids = np.array([f"S{k}" for k in range(n_shops)])
    dates = [START + timedelta(days=int(d)) for d in days]
    sales = pl.DataFrame({
        "shop_id": np.repeat(shop_ids[shop], t_days),
        "item_id": np.repeat(item_ids, t_days),
        "date": pl.Series(dates * n, dtype=pl.Date),
        "visitors": visitors.ravel().astype(np.int64),
        "page_views": visitors.ravel().astype(np.int64),
        "review_page_views": rng.binomial(visitors.ravel(), 0.1).astype(np.int64),
        "orders": orders.ravel().astype(np.int64),
        "gmv_cny": orders.ravel() * 50.0,
    })
    t0 = datetime(START.year, START.month, START.day, 12)

    def stamp(d: np.ndarray) -> list[datetime | None]:
        return [None if x < 0 or x >= t_days else t0 + timedelta(days=int(x)) for x in d]

    rid = [f"R{k:06d}" for k in range(m)]
    reviews = pl.DataFrame({
        "review_id": rid,
        "shop_id": shop_ids[shop[ri]],
        "order_id": [f"O{k:06d}" for k in range(m)],
        "item_id": item_ids[ri],
        "buyer_id": [f"B{k:06d}" for k in range(m)],
        "rating": rating,
        "reviewed_at": pl.Series(stamp(rd), dtype=pl.Datetime("us")),
        "explained_at": pl.Series(stamp(ed), dtype=pl.Datetime("us")),
        "revised_rating": [None if x < 0 or x >= t_days else "positive" for x in res_d],
        "revised_at": pl.Series(stamp(res_d), dtype=pl.Datetime("us")),
        "removed_at": pl.Series([None] * m, dtype=pl.Datetime("us")),
    })
    tiers = pl.DataFrame({"review_id": rid, "category": cat})
    return World(sales, reviews, tiers, truth)


#: The impact scenarios of the slow test and the README table.
IMPACT_SCENARIOS: dict[str, Scenario] = {
    "baseline": Scenario("baseline"),
    "selection": Scenario("selection", selection=True),
    "selection_promo_burst": Scenario("selection_promo_burst", selection=True, promotions=True,
                                      bursts=True),
    "heterogeneous_delayed": Scenario("heterogeneous_delayed", selection=True,
                                      heterogeneous=True, delayed=True),
    "saturation": Scenario("saturation", selection=True, later_lift=0.03),
    "thin_120": Scenario("thin_120", n_items=120, n_shops=1, selection=True),
}
