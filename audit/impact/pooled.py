"""The platform's pooled impact: each shop's headline estimate combined over shops (issue 15).

Why a second pass on the per-shop rows and not one fit over the whole platform: every shop's
event study is its own model (its own item and shop-day effects, its own clustered variance),
and what pooling needs from it is one log-ratio estimate and its standard error. The shops'
true effects may differ (a shop's explanations are not another's), so the pooling is
DerSimonian-Laird random effects: the between-shop variance tau^2 is estimated by the method of
moments from Cochran's Q and added to every shop's own variance before inverse-variance
weighting. The interval is the normal one on the log scale, shown as percent.

A shop's standard error comes from its row of ``impact_summary``: the panel interval is
``estimate +/- t * se`` on the ratio scale (percent), so on the log scale
``se_log = half_width / (100 + estimate) / z``. The row does not carry its own t quantile (its
degrees of freedom are the shop's treated items minus one), so ``z`` is the normal 0.975
quantile: a shop with few items gets a larger standard error than its own, and weighs less in
the pool, not more. Rows "too thin to answer" show no estimate and are left out (counted);
rows whose checks stop a verdict (pre-trends differ) are pooled as shown: their shop's own
row says so, and leaving them out would pick shops by their estimates.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import polars as pl
from scipy import stats

from audit.impact.analysis import headline_rows

#: Columns of ``OUT/platform_summary/`` (one row per event and metric of the headline rows).
POOLED_COLUMNS: tuple[str, ...] = (
    "event", "metric", "design", "estimand", "n_shops", "n_shops_thin", "estimate_pct",
    "ci_low_pct", "ci_high_pct", "tau2", "i2", "q",
)
Z = float(stats.norm.ppf(0.975))


class Pooled(NamedTuple):
    """A DerSimonian-Laird random-effects mean: estimate, its SE, tau^2, Q, I^2 and k."""

    estimate: float
    se: float
    tau2: float
    q: float
    i2: float
    k: int


def dersimonian_laird(effects: np.ndarray, variances: np.ndarray) -> Pooled:
    """Random-effects mean of ``effects`` with within-study ``variances`` (DerSimonian-Laird).

    ``tau2 = max(0, (Q - (k - 1)) / (sum w - sum w^2 / sum w))`` with ``w = 1 / v`` and Q the
    fixed-effect heterogeneity statistic (the truncation at 0 is DerSimonian and Laird's;
    statsmodels' ``combine_effects`` keeps the negative value); the mean weighs by
    ``1 / (v + tau2)``. One study: its own estimate (tau^2 = 0). None: NaN.
    """
    y = np.asarray(effects, float)
    v = np.asarray(variances, float)
    k = y.size
    if k == 0:
        return Pooled(np.nan, np.nan, np.nan, np.nan, np.nan, 0)
    w = 1.0 / v
    fixed = float(w @ y / w.sum())
    q = float(w @ (y - fixed) ** 2)
    c = float(w.sum() - (w @ w) / w.sum())
    tau2 = max(0.0, (q - (k - 1)) / c) if k > 1 and c > 0 else 0.0
    i2 = max(0.0, (q - (k - 1)) / q) if q > 0 else 0.0
    w_re = 1.0 / (v + tau2)
    return Pooled(float(w_re @ y / w_re.sum()), float(np.sqrt(1.0 / w_re.sum())), tau2, q, i2, k)


def pooled_summary(summary: pl.DataFrame) -> pl.DataFrame:
    """Per (event, metric): the shops' headline rows of ``impact_summary`` pooled (see module).

    ``summary``: the per-shop rows (columns of ``impact_summary`` plus ``shop_id``), e.g. every
    shop of a ``platform`` run. Columns ``POOLED_COLUMNS``.
    """
    rows = []
    head = headline_rows(summary).with_columns(
        y=(pl.col("estimate_pct") / 100).log1p(),
        se=pl.col("half_width_pct") / (100 + pl.col("estimate_pct")) / Z)
    keys = ["event", "metric", "design", "estimand"]
    for key, part in head.group_by(keys, maintain_order=True):
        usable = part.filter(pl.col("y").is_finite() & pl.col("se").is_finite()
                             & (pl.col("se") > 0)).sort("shop_id")  # a fixed order of sums
        pooled = dersimonian_laird(usable["y"].to_numpy(), usable["se"].to_numpy() ** 2)
        lo, hi = pooled.estimate - Z * pooled.se, pooled.estimate + Z * pooled.se
        rows.append({**dict(zip(keys, key, strict=True)), "n_shops": pooled.k,
                     "n_shops_thin": part.height - pooled.k,
                     "estimate_pct": _pct(pooled.estimate), "ci_low_pct": _pct(lo),
                     "ci_high_pct": _pct(hi), "tau2": pooled.tau2, "i2": pooled.i2,
                     "q": pooled.q})
    return pl.DataFrame(rows, schema=_schema(), orient="row")


def _pct(log_ratio: float) -> float | None:
    return round(100 * float(np.expm1(log_ratio)), 3) if np.isfinite(log_ratio) else None


def _schema() -> dict[str, pl.DataType]:
    s, i, f = pl.String(), pl.Int64(), pl.Float64()
    return {c: s if c in ("event", "metric", "design", "estimand") else
            i if c.startswith("n_") else f for c in POOLED_COLUMNS}
