"""The platform's pooled impact (audit.impact.pooled): DerSimonian-Laird against statsmodels,
and the per-shop rows it pools."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from statsmodels.stats.meta_analysis import combine_effects

from audit.impact.analysis import SUMMARY_COLUMNS, THIN
from audit.impact.pooled import POOLED_COLUMNS, Z, dersimonian_laird, pooled_summary


def _studies(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    v = rng.uniform(0.001, 0.05, 12)
    return 0.05 + rng.normal(0, 0.08, 12) + rng.normal(0, np.sqrt(v)), v  # shops differ


@pytest.mark.parametrize("seed", [4, 6, 8])
def test_dersimonian_laird_equals_statsmodels(seed: int) -> None:
    y, v = _studies(seed)
    got = dersimonian_laird(y, v)
    ref = combine_effects(y, v, method_re="dl")
    assert got.k == y.size
    assert got.tau2 > 0
    assert got.tau2 == pytest.approx(ref.tau2, rel=1e-10)
    assert got.estimate == pytest.approx(ref.mean_effect_re, rel=1e-10)
    assert got.se == pytest.approx(ref.sd_eff_w_re, rel=1e-10)
    assert got.q == pytest.approx(ref.q, rel=1e-10)
    assert got.i2 == pytest.approx(ref.i2, rel=1e-10)


@pytest.mark.parametrize("seed", [3, 5])
def test_dersimonian_laird_truncates_tau2_at_zero(seed: int) -> None:
    """Q below its degrees of freedom: statsmodels reports the negative moment estimate (and
    weighs by it); DerSimonian-Laird truncates it at 0, so the mean is the fixed-effect one."""
    y, v = _studies(seed)
    got = dersimonian_laird(y, v)
    ref = combine_effects(y, v, method_re="dl")
    assert ref.tau2 < 0
    assert got.tau2 == 0.0
    assert got.estimate == pytest.approx(ref.mean_effect_fe, rel=1e-10)
    assert got.se == pytest.approx(ref.sd_eff_w_fe, rel=1e-10)


def test_dersimonian_laird_homogeneous_and_degenerate() -> None:
    same = dersimonian_laird(np.full(5, 0.1), np.full(5, 0.01))
    assert same.tau2 == 0.0
    assert same.estimate == pytest.approx(0.1)
    assert same.se == pytest.approx(math.sqrt(0.01 / 5))
    one = dersimonian_laird(np.array([0.2]), np.array([0.04]))
    assert (one.estimate, one.se, one.tau2) == (pytest.approx(0.2), pytest.approx(0.2), 0.0)
    assert math.isnan(dersimonian_laird(np.zeros(0), np.zeros(0)).estimate)


def _row(shop: str, estimate: float | None, half: float | None, **kw: object) -> dict:
    row = dict.fromkeys(SUMMARY_COLUMNS)
    row.update(event="explanation", metric="conversion", design="panel",
               estimand="orders-weighted", group="all", estimate_pct=estimate,
               half_width_pct=half, verdict="lift" if estimate is not None else THIN)
    row.update(kw)
    return {**row, "shop_id": shop}


def test_pooled_summary_pools_the_headline_rows_of_each_shop() -> None:
    rows = [_row("S1", 12.0, 5.0), _row("S2", 4.0, 3.0), _row("S3", -2.0, 8.0),
            _row("S4", None, 40.0),                                  # too thin: left out
            _row("S1", 50.0, 1.0, group="first"),                    # not a headline row
            _row("S1", 50.0, 1.0, design="stacked", estimand="matched units")]
    frame = pl.DataFrame(rows, schema_overrides={"estimate_pct": pl.Float64,
                                                 "half_width_pct": pl.Float64})
    got = pooled_summary(frame)
    assert got.columns == list(POOLED_COLUMNS)
    assert got.height == 1
    r = got.row(0, named=True)
    assert (r["n_shops"], r["n_shops_thin"]) == (3, 1)
    est = np.array([12.0, 4.0, -2.0])
    y = np.log1p(est / 100)
    se = np.array([5.0, 3.0, 8.0]) / (100 + est) / Z
    ref = combine_effects(y, se**2, method_re="dl")
    assert r["estimate_pct"] == pytest.approx(round(100 * math.expm1(ref.mean_effect_re), 3))
    lo, hi = ref.conf_int(use_t=False)[1]
    assert r["ci_low_pct"] == pytest.approx(round(100 * math.expm1(lo), 3))
    assert r["ci_high_pct"] == pytest.approx(round(100 * math.expm1(hi), 3))
    assert r["tau2"] == pytest.approx(ref.tau2, rel=1e-10, abs=1e-15)
