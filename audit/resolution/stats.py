"""Interval estimates for the resolution analysis, as polars expressions.

Three pieces, each chosen so a small team or a small agent is not over-read:

* Wilson score interval for a rate (``wilson_low`` / ``wilson_high``): closed form, stays inside
  [0, 1] and keeps near-nominal coverage at small n and at rates near 0 or 1, where the Wald
  interval collapses.
* Exact (Garwood) Poisson interval for a standardised ratio ``observed / expected``
  (``poisson_ratio_interval``): the classic interval for an indirectly standardised ratio (SMR).
  The resolved count is treated as Poisson with mean ``expected * ratio``; for a binomial count
  this is conservative (its variance is below the Poisson's), which is the side to err on when
  an interval decides whether an agent "differs".
* Empirical-Bayes gamma-Poisson shrinkage of the ratios (``shrink_ratios``): ratios from few
  cases are pulled toward the team's mean, so a lucky or unlucky agent with 8 cases neither tops
  nor bottoms a ranking. Prior moments by Clayton & Kaldor's (1987) method of moments.

Every function returns expressions or lazy frames; scipy is used only inside ``map_batches`` for
gamma quantiles, which have no closed form.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy import stats

from audit.core.intervals import Z95, poisson_ratio_interval, wilson_high, wilson_low

__all__ = ["Z95", "poisson_ratio_interval", "shrink_ratios", "wilson_high", "wilson_low"]


def shrink_ratios(
    frame: pl.LazyFrame,
    *,
    observed: str = "resolved",
    expected: str = "expected",
    null_var: str | None = None,
    alpha: float = 0.05,
) -> pl.LazyFrame:
    """Add empirical-Bayes (gamma-Poisson) shrunk ratios to a frame of units (one row per agent).

    Model: ``O_i ~ Poisson(E_i * theta_i)``, ``theta_i ~ Gamma(a, b)``. The prior's mean ``m`` and
    variance ``v`` come from the method of moments over units with ``E_i > 0`` (Clayton & Kaldor):
    ``m = sum O / sum E`` and ``v = (sum E_i (r_i - m)^2 - m * sum V_i / E_i) / sum E``, where
    ``V_i`` is the chance variance of ``O_i``. For a pure Poisson count ``V_i = E_i`` and this is
    the classic ``s^2 - m / mean(E)``. A resolved count is a sum of Bernoulli trials, whose
    variance ``sum p(1-p)`` is well below ``E`` when rates are near 50%; pass it as ``null_var``,
    or the Poisson noise term swallows the real spread between agents and everyone is shrunk to
    the mean. ``v`` is floored at a tiny positive value (agents who differ no more than chance
    all shrink to ``m``).

    With ``null_var``, each unit's likelihood is the quasi-Poisson one with dispersion
    ``phi_i = V_i / E_i`` (clipped to [0.05, 1]): the posterior is
    ``Gamma(a + O_i / phi_i, b + E_i / phi_i)``; without it, ``Gamma(a + O_i, b + E_i)``. The
    posterior mean is the shrunk ratio, its 2.5% and 97.5% quantiles the shrunk interval.

    Adds ``shrunk_ratio``, ``shrunk_ci_low``, ``shrunk_ci_high`` (null where ``E_i <= 0``) and
    ``prior_mean``, ``prior_var`` (the same on every row, for the record).
    """
    o = pl.col(observed).cast(pl.Float64)
    e = pl.col(expected).cast(pl.Float64)
    var = e if null_var is None else pl.col(null_var).cast(pl.Float64)
    has_e = e > 0
    sum_e = pl.when(has_e).then(e).sum()
    m = pl.when(has_e).then(o).sum() / sum_e
    spread = pl.when(has_e).then(e * (o / e - m) ** 2).sum()
    chance = m * pl.when(has_e).then(var / e).sum()
    v = ((spread - chance) / sum_e).clip(lower_bound=1e-9)
    phi = (var / e).clip(0.05, 1.0) if null_var is not None else pl.lit(1.0)
    with_prior = frame.with_columns(prior_mean=m, prior_var=v)
    a = pl.col("prior_mean") ** 2 / pl.col("prior_var")
    b = pl.col("prior_mean") / pl.col("prior_var")
    shape = a + o / phi
    rate = b + e / phi

    def q(p: float) -> pl.Expr:
        def f(s: pl.Series) -> pl.Series:
            k = s.struct.field("k").to_numpy(allow_copy=True).astype(float)
            th = s.struct.field("t").to_numpy(allow_copy=True).astype(float)
            with np.errstate(invalid="ignore"):
                res = stats.gamma.ppf(p, k) / th
            return pl.Series(res, dtype=pl.Float64).fill_nan(None)

        return pl.struct(shape.alias("k"), rate.alias("t")).map_batches(
            f, return_dtype=pl.Float64, is_elementwise=True
        )

    return with_prior.with_columns(
        shrunk_ratio=pl.when(has_e).then(shape / rate),
        shrunk_ci_low=pl.when(has_e).then(q(alpha / 2)),
        shrunk_ci_high=pl.when(has_e).then(q(1 - alpha / 2)),
    )
