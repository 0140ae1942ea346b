"""The covariate adjustment: counts of other events, and the adjusted estimate written simply."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from audit.impact.adjust import HORIZONS, TYPES, covariates, event_arrays
from audit.impact.design import NEVER, Design, Panel
from audit.impact.stats import estimate


def _panel(n_items: int, n_days: int, rng: np.random.Generator) -> Panel:
    visitors = rng.integers(100, 300, (n_items, n_days)).astype(float)
    orders = rng.binomial(visitors.astype(int), 0.05).astype(float)
    cum = np.tile(np.arange(n_days + 1), (n_items, 1))
    items = pl.DataFrame({"i": np.arange(n_items, dtype=np.uint32), "shop_id": "S01",
                          "item_id": [f"I{k}" for k in range(n_items)]})
    return Panel(items, np.datetime64("2026-10-01"), visitors, orders, visitors // 10, cum)


def test_covariates_count_other_events_and_leave_out_the_units_own():
    panel = _panel(1, 40, np.random.default_rng(0))
    events = pl.DataFrame({
        "i": [0, 0, 0], "rating": ["negative", "negative", "neutral"],
        "p": [10, 18, 22], "explanation": [20, NEVER, 25], "resolution": [NEVER, 24, NEVER],
    })
    arrays = event_arrays(events, panel)
    ks = np.arange(-5, 6)
    # The unit: the negative review of day 10, explained on day 20 (its own event).
    x = covariates(arrays, np.array([0]), np.array([20]), ks, posted=np.array([10]),
                   rating=np.array(["negative"]), own_event="explanation")
    names = [f"{t}_{h}" for t in TYPES for h in HORIZONS]
    raw = {}
    for t, day in (("negative", [18]), ("neutral", [22]), ("explanation", [25]),
                   ("resolution", [24])):  # the other events, written out by hand
        for h in HORIZONS:
            col = np.array([sum(1 for d in day if 0 <= 20 + k - d < h) for k in ks], float)
            raw[f"{t}_{h}"] = col - col[ks < 0].mean()
    for j, name in enumerate(names):
        np.testing.assert_allclose(x[:, 0, j], raw[name], err_msg=name)


def test_adjusted_estimate_matches_a_plain_weighted_poisson_fit():
    """Written the simple way: one row per unit, post-window totals, a Poisson fit by scipy."""
    from scipy.optimize import minimize

    rng = np.random.default_rng(5)
    n_items, n_days, w = 60, 40, 3
    panel = _panel(n_items, n_days, rng)
    # 20 cohorts on days 10..29, one treated item and two controls each.
    g = np.arange(20)
    design = Design(
        event="explanation", window=w, unit_item=g, unit_day=10 + g, unit_cohort=g,
        cohort_day=10 + g, pair_cohort=np.repeat(g, 2), pair_item=20 + np.arange(40),
        unit_posted=10 + g - 1, unit_rating=np.array(["negative"] * 20),
        pair_posted=np.repeat(10 + g - 1, 2), pair_rating=np.array(["negative"] * 40))
    ks = np.arange(-w, w + 1)
    xt = rng.normal(size=(ks.size, 20, 2))
    xc = rng.normal(size=(ks.size, 40, 2))
    got = estimate(panel, design, n_boot=0, seed=0, covariates=(xt, xc))["conversion"].overall

    pre, post = ks < 0, ks >= 0
    rows = []
    for side, items, days, weight, x in (("t", g, 10 + g, np.ones(20), xt),
                                         ("c", 20 + np.arange(40), np.repeat(10 + g, 2),
                                          np.full(40, 0.5), xc)):
        for r, (it, d) in enumerate(zip(items, days, strict=True)):
            v = panel.visitors[it, d + ks]
            o = panel.orders[it, d + ks]
            level = o[pre].sum() / v[pre].sum()
            e_post = (v[post] * level).sum()  # the unit's own pre level carried forward
            xr = (v[post] * level) @ x[post, r] / e_post
            rows.append((side == "t", o[post].sum(), e_post, weight[r] / v[pre].sum(), xr))
    treated = np.array([r[0] for r in rows], float)
    y, e, a = (np.array([r[i] for r in rows]) for i in (1, 2, 3))
    m = np.column_stack([np.ones(len(rows)), treated, np.array([r[4] for r in rows])])

    def nll(b):  # weighted Poisson pseudo-likelihood with offset log(e)
        eta = m @ b
        return -(a * (y * eta - e * np.exp(eta))).sum()

    fit = minimize(nll, np.zeros(4), method="BFGS", options={"gtol": 1e-12})
    moved = e * np.exp(m[:, 2:] @ fit.x[2:])  # baselines moved by the other events' effect
    t, c = treated == 1, treated == 0
    expected = ((a[t] * y[t]).sum() / (a[t] * moved[t]).sum()) / (
        (a[c] * y[c]).sum() / (a[c] * moved[c]).sum()) - 1
    assert got == pytest.approx(expected, abs=1e-7)


def test_interval_is_normal_on_the_replicates_sd():
    from audit.impact.stats import Estimate

    rng = np.random.default_rng(2)
    boot = rng.normal(0.1, 0.02, (199, 3))
    boot[5, 1] = np.nan  # a replicate with no usable rows that day is left out
    est = Estimate(np.arange(-1, 2), np.array([0.0, 0.1, 0.12]), 0.11, boot, boot[:, 2], 0.2)
    lo, hi = est.interval()
    sd = boot[:, 2].std(ddof=1)
    assert (lo, hi) == pytest.approx((0.11 - 1.959964 * sd, 0.11 + 1.959964 * sd))
    day_lo, day_hi = est.day_intervals()
    sd1 = np.nanstd(boot[:, 1], ddof=1)
    assert day_lo[1] == pytest.approx(0.1 - 1.959964 * sd1)
    assert day_hi[1] == pytest.approx(0.1 + 1.959964 * sd1)
