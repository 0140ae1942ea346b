"""Hand-computed and reference checks of audit.robust (fast; the simulations are in
test_robust_sim.py)."""

from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np
import pandas as pd
import polars as pl
import pytest
import scipy.sparse as sp
import statsmodels.api as sm
from scipy import integrate, stats

from audit.robust import agent_model
from audit.robust.agent_model import _pinv_symmetric, _poisson_fit, _posterior, compare_agents
from audit.robust.panel_fe import (
    LIFT,
    NO_EFFECT,
    PRETREND,
    THIN,
    breakdown_mbar,
    build_grid,
    estimate_panel_impact,
    verdict,
)
from audit.robust.poisson_fe import fit_poisson_fe


def _panel(seed: int = 1, n: int = 60, t: int = 30) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    grp = rng.integers(0, 2, n)
    x1 = rng.poisson(0.3, (n, t)).astype(float)
    x2 = rng.normal(size=(n, t))
    v = rng.poisson(50, (n, t)) + 1
    mu = v * np.exp(-3 + rng.normal(size=n)[:, None] * 0.5 + rng.normal(size=(2, t))[grp] * 0.3
                    + 0.2 * x1 - 0.1 * x2)
    return rng.poisson(mu).astype(float), x1, x2, v, grp


@pytest.mark.filterwarnings("ignore")  # pyfixest's own pandas deprecation warnings
def test_poisson_fe_matches_pyfixest() -> None:
    """Coefficients and item-clustered SEs equal pyfixest.fepois with item + shop-day effects."""
    pf = pytest.importorskip("pyfixest")
    y, x1, x2, v, grp = _panel()
    n, t = y.shape
    x = sp.csr_matrix(np.column_stack([x1.ravel(), x2.ravel()]))
    fit = fit_poisson_fe(y, x, group=grp, offset=np.log(v), jackknife_max_clusters=0)  # CR1
    df = pd.DataFrame({"y": y.ravel(), "x1": x1.ravel(), "x2": x2.ravel(),
                       "lv": np.log(v).ravel(), "item": np.repeat(np.arange(n), t),
                       "gt": (grp[:, None] * t + np.arange(t)).ravel()})
    ref = pf.fepois("y ~ x1 + x2 | item + gt", data=df, offset="lv", vcov={"CRV1": "item"},
                    ssc=pf.ssc(k_adj=False, G_adj=True))
    np.testing.assert_allclose(fit.beta, ref.coef().to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.cov)), ref.se().to_numpy(), rtol=1e-3)
    assert fit.converged


def test_jackknife_variance_equals_refits_without_each_item() -> None:
    """The one-step CR3 against the brute-force jackknife (refit without each item).

    The one-step form redoes the item's own leverage and its shop's shop-day partialling
    without it; one Newton step from the full fit lands within ~0.2% of the refits here.
    """
    y, x1, x2, v, grp = _panel(seed=3, n=30, t=20)
    n, t = y.shape
    x = sp.csr_matrix(np.column_stack([x1.ravel(), x2.ravel()]))
    fit = fit_poisson_fe(y, x, group=grp, offset=np.log(v))
    betas = []
    for g in range(n):
        keep = np.arange(n) != g
        xs = sp.csr_matrix(np.column_stack([x1[keep].ravel(), x2[keep].ravel()]))
        betas.append(fit_poisson_fe(y[keep], xs, group=grp[keep], offset=np.log(v[keep])).beta)
    b = np.array(betas)
    d = b - b.mean(axis=0)
    brute = (n - 1) / n * d.T @ d
    cr1 = fit_poisson_fe(y, x, group=grp, offset=np.log(v), jackknife_max_clusters=0)
    se, se_brute, se_cr1 = (np.sqrt(np.diag(c)) for c in (fit.cov, brute, cr1.cov))
    np.testing.assert_allclose(se, se_brute, rtol=0.01)
    assert np.all(se > se_cr1)  # and it is the wider one (19% here)


def test_poisson_fe_collinear_column_is_not_identified() -> None:
    """A covariate that is another one plus an item effect is dropped, not fitted on noise.

    x3 = x1 + (1 on every day of item 0) is collinear with x1 and the item effects: the Schur
    complement is singular, and without the check its coefficient is whatever rounding left.
    The fit must equal the one without x3 and mark x3 collinear, its effect NaN.
    """
    from audit.robust.panel_fe import _combine

    y, x1, x2, v, grp = _panel(seed=5)
    n, t = y.shape
    x3 = x1 + (np.arange(n) == 0)[:, None]
    full = fit_poisson_fe(y, sp.csr_matrix(np.column_stack([x1.ravel(), x2.ravel(),
                                                            x3.ravel()])),
                          group=grp, offset=np.log(v))
    ref = fit_poisson_fe(y, sp.csr_matrix(np.column_stack([x1.ravel(), x2.ravel()])),
                         group=grp, offset=np.log(v))
    assert full.converged
    assert full.collinear.tolist() == [False, False, True]
    np.testing.assert_allclose(full.beta[:2], ref.beta, rtol=1e-10)
    np.testing.assert_allclose(full.cov[:2, :2], ref.cov, rtol=1e-8)
    assert np.isnan(full.beta[2])
    assert np.isnan(full.cov[2]).all()
    mass = np.ones(3)
    assert np.isnan(_combine(full, mass, [0, 2])[0])
    assert np.isfinite(_combine(full, mass, [0, 1])[0])


def test_poisson_fe_two_by_two_is_the_ratio_of_ratios() -> None:
    """Two items, two days, one treated cell: exp(beta) = (A2/A1) / (B2/B1) of conversion."""
    orders = np.array([[10.0, 30.0], [20.0, 25.0]])
    visitors = np.array([[100.0, 120.0], [200.0, 150.0]])
    x = sp.csr_matrix(np.array([[0.0], [1.0], [0.0], [0.0]]))
    fit = fit_poisson_fe(orders, x, group=np.zeros(2, int), offset=np.log(visitors))
    conv = orders / visitors
    hand = (conv[0, 1] / conv[0, 0]) / (conv[1, 1] / conv[1, 0])
    assert math.exp(fit.beta[0]) == pytest.approx(hand, rel=1e-8)


def _tables(orders: list[list[int]], visitors: list[list[int]]) -> tuple[pl.DataFrame, ...]:
    rows = []
    for i, (o_row, v_row) in enumerate(zip(orders, visitors, strict=True)):
        for d, (o, v) in enumerate(zip(o_row, v_row, strict=True)):
            rows.append({"shop_id": "S", "item_id": f"I{i}", "date": date(2026, 1, 1 + d),
                         "visitors": v, "orders": o, "review_page_views": 0})
    sales = pl.DataFrame(rows)
    reviews = pl.DataFrame({
        "review_id": ["R1"], "shop_id": ["S"], "item_id": ["I0"], "rating": ["negative"],
        "reviewed_at": [datetime(2026, 1, 1, 9)], "explained_at": [datetime(2026, 1, 3, 9)],
        "revised_rating": pl.Series([None], dtype=pl.String),
        "revised_at": pl.Series([None], dtype=pl.Datetime("us")),
        "removed_at": pl.Series([None], dtype=pl.Datetime("us")),
    })
    return sales, reviews


def test_panel_estimate_equals_hand_two_by_two() -> None:
    """End to end: day 0 is the review's own (absorbed by its age term); days 1-2 of the
    explained item against the item without events is the hand ratio of conversion ratios."""
    orders = [[5, 12, 30], [9, 20, 26]]
    visitors = [[100, 110, 130], [180, 210, 190]]
    sales, reviews = _tables(orders, visitors)
    res = estimate_panel_impact(sales.lazy(), reviews.lazy(), window=0, leads=0, horizon=1,
                                weightings=("orders-weighted",))
    row = res.summary.filter(pl.col("group") == "all").row(0, named=True)
    c = np.array(orders) / np.array(visitors)
    hand = (c[0, 2] / c[0, 1]) / (c[1, 2] / c[1, 1]) - 1
    assert row["estimate_pct"] == pytest.approx(100 * hand, abs=1e-3)
    assert row["n_events"] == 1
    assert row["n_items"] == 1


def test_resolution_needs_positive_revision_within_30_days() -> None:
    sales = pl.DataFrame({"shop_id": ["S"] * 60, "item_id": ["I"] * 60,
                          "date": pl.date_range(date(2026, 1, 1), date(2026, 3, 1), eager=True),
                          "visitors": [10] * 60, "orders": [1] * 60,
                          "review_page_views": [0] * 60})
    t = datetime(2026, 1, 2, 10)
    reviews = pl.DataFrame({
        "review_id": ["a", "b", "c"], "shop_id": ["S"] * 3, "item_id": ["I"] * 3,
        "rating": ["negative", "neutral", "negative"], "reviewed_at": [t] * 3,
        "explained_at": pl.Series([None] * 3, dtype=pl.Datetime("us")),
        "revised_rating": ["positive", "positive", "neutral"],
        "revised_at": [datetime(2026, 1, 20), datetime(2026, 2, 10), datetime(2026, 1, 5)],
        "removed_at": pl.Series([None] * 3, dtype=pl.Datetime("us")),
    })
    grid = build_grid(sales, reviews)
    assert grid.reviews.sort("p")["resolution"].to_list() == [19, -1, -1]


def test_breakdown_mbar_by_hand() -> None:
    assert breakdown_mbar(0.05, 0.15, 0.02) == pytest.approx(2.5)
    assert breakdown_mbar(-0.15, -0.05, 0.01) == pytest.approx(5.0)
    assert breakdown_mbar(-0.01, 0.15, 0.02) == 0.0
    assert breakdown_mbar(0.05, 0.15, 0.0) == math.inf


def test_verdict_rules() -> None:
    ok = {"pretrend_p": 0.5, "placebo_lo": -0.01, "placebo_hi": 0.01}
    assert verdict(0.02, 0.08, **ok) == LIFT
    assert verdict(-0.02, 0.08, **ok) == NO_EFFECT
    assert verdict(-0.05, 0.25, **ok) == THIN  # half-width 15 points
    assert verdict(0.02, 0.08, pretrend_p=0.01, placebo_lo=-0.01, placebo_hi=0.01) == PRETREND
    assert verdict(0.02, 0.08, pretrend_p=0.5, placebo_lo=0.005, placebo_hi=0.03) == PRETREND


def test_agent_glm_matches_statsmodels() -> None:
    rng = np.random.default_rng(3)
    n = 400
    x = np.column_stack([np.ones(n), rng.integers(0, 2, n), rng.integers(0, 2, n)]).astype(float)
    y = (rng.random(n) < 0.3 * np.exp(0.3 * x[:, 1] - 0.2 * x[:, 2])).astype(float)
    beta, cov = _poisson_fit(sp.csr_matrix(x), y)
    ref = sm.GLM(y, x, family=sm.families.Poisson()).fit(cov_type="HC0")
    np.testing.assert_allclose(beta, ref.params, atol=1e-7)
    # HC1 = HC0 x n / (n - k); statsmodels' GLM applies no such factor, so it is added here.
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), ref.bse * math.sqrt(n / (n - 3)),
                               rtol=1e-6)


def test_agent_posterior_integrates_tau_like_quadrature() -> None:
    """The grid mixture against adaptive quadrature over tau (same flat prior, same upper end):
    posterior means, and the mixture CDF at the returned bounds is 2.5% and 97.5%."""
    theta = np.array([0.31, -0.12, 0.05, -0.40, 0.18, 0.0, -0.07])
    se = np.array([0.15, 0.22, 0.10, 0.30, 0.12, 0.25, 0.18])
    mean, lo, hi, tau_mean = _posterior(theta, se, 0.05)
    top = 4.0 * max(np.sqrt(np.mean(theta**2)), np.median(se))

    def lik(t: float) -> float:
        return float(np.prod(stats.norm.pdf(theta, 0.0, np.sqrt(se**2 + t**2))))

    def cond(t: float) -> tuple[np.ndarray, np.ndarray]:
        b = t**2 / (t**2 + se**2)
        return b * theta, np.sqrt(b) * se

    norm = integrate.quad(lik, 0, top)[0]
    assert tau_mean == pytest.approx(integrate.quad(lambda t: t * lik(t), 0, top)[0] / norm,
                                     rel=1e-3)
    for i in range(theta.size):
        m_i = integrate.quad(lambda t, i=i: cond(t)[0][i] * lik(t), 0, top)[0] / norm
        assert mean[i] == pytest.approx(m_i, abs=1e-4)
        for bound, p in ((lo[i], 0.025), (hi[i], 0.975)):
            f = integrate.quad(lambda t, i=i, x=bound: stats.norm.cdf(
                x, cond(t)[0][i], max(cond(t)[1][i], 1e-12)) * lik(t), 0, top, points=[0])[0]
            assert f / norm == pytest.approx(p, abs=2e-3)
    # Shrinkage toward the average, more for the noisier agent of two equal raw ratios.
    two, _, _, _ = _posterior(np.array([0.3, 0.3, -0.3, -0.3]),
                              np.array([0.1, 0.3, 0.1, 0.3]), 0.05)
    assert 0 < two[1] < two[0] < 0.3


def test_agent_glm_never_steps_onto_a_non_finite_point(monkeypatch) -> None:
    """A Newton step that is not finite (a singular solve) is refused: the fit stays at its
    last finite iterate instead of returning NaN (which failed the covariance's inverse)."""
    rng = np.random.default_rng(4)
    n = 300
    x = sp.csr_matrix(np.column_stack([np.ones(n), rng.integers(0, 2, n)]).astype(float))
    y = (rng.random(n) < 0.3).astype(float)
    good, _ = _poisson_fit(x, y)
    calls = {"n": 0}
    solve = np.linalg.solve

    def nan_after_two(h: np.ndarray, g: np.ndarray) -> np.ndarray:
        calls["n"] += 1
        return solve(h, g) if calls["n"] <= 2 else np.full_like(g, np.nan)  # noqa: PLR2004

    monkeypatch.setattr(agent_model.np.linalg, "solve", nan_after_two)
    beta, cov = _poisson_fit(x, y)
    assert np.isfinite(beta).all()
    assert np.isfinite(cov).all()
    np.testing.assert_allclose(beta, good, atol=1e-3)  # two Newton steps from the start


def test_information_matrix_pseudo_inverse_and_its_fallback(monkeypatch) -> None:
    """A singular PSD matrix: both routes give the Moore-Penrose inverse (numpy's generic SVD
    pinv as the reference); the fallback is taken when the eigensolver does not converge."""
    rng = np.random.default_rng(9)
    a = rng.normal(size=(6, 4))
    h = a @ a.T  # rank 4 of 6
    ref = np.linalg.pinv(h)
    np.testing.assert_allclose(_pinv_symmetric(h), ref, atol=1e-10)

    def fails(*_args: object, **_kw: object) -> np.ndarray:
        msg = "SVD did not converge"
        raise np.linalg.LinAlgError(msg)

    monkeypatch.setattr(agent_model.np.linalg, "pinv", fails)
    np.testing.assert_allclose(_pinv_symmetric(h), ref, atol=1e-10)


def test_agent_model_mutual_adjustment_by_hand() -> None:
    """A resolves twice B's rate in both cells; equal case counts: ratios sqrt(2), 1/sqrt(2).

    Indirect standardisation on the same cases gives the same here; the point is the exact
    value: the centred log ratios are +-log(2)/2.
    """
    rows = []
    for agent, cell, k in (("A", "x", 4), ("A", "y", 2), ("B", "x", 2), ("B", "y", 1)):
        rows += [{"agent_id": agent, "shop_id": "S", "category": cell, "rating": "negative",
                  "is_resolved": j < k} for j in range(10)]
    out = compare_agents(pl.DataFrame(rows), eligible=None).sort("agent_id")
    np.testing.assert_allclose(out["mix_adjusted_ratio"].to_numpy(),
                               [math.sqrt(2), 1 / math.sqrt(2)], rtol=1e-6)
    assert out["rank"].to_list() == [1, 2]
    assert (out["shrunk_ci_low"] <= out["shrunk_ratio"]).all()


def test_agent_model_separates_level_from_case_mix() -> None:
    """Novices on the easy category only, equally skilled as seniors: ratio near 1 under the
    mutual model, while the category reference alone would also say 1 only by accident of
    rating; here rating differs by level and the cell includes it."""
    rng = np.random.default_rng(5)
    rows = []
    for a in range(8):
        novice = a < 4
        for _ in range(400):
            cat = "easy" if novice or rng.random() < 0.5 else "hard"
            rating = "neutral" if rng.random() < (0.8 if novice else 0.3) else "negative"
            p = (0.6 if cat == "easy" else 0.3) * (1.3 if rating == "neutral" else 0.8)
            rows.append({"agent_id": f"A{a}", "shop_id": "S", "category": cat, "rating": rating,
                         "is_resolved": rng.random() < p})
    out = compare_agents(pl.DataFrame(rows), eligible=None)
    assert out["mix_adjusted_ratio"].max() < 1.12
    assert out["mix_adjusted_ratio"].min() > 0.89
    assert (out["ratio_ci_low"] < 1).all()
