"""Interval estimates shared by the jobs, as polars expressions (moved from the resolution job).

* Wilson score interval for a rate (``wilson_low`` / ``wilson_high``): closed form, stays inside
  [0, 1] and keeps near-nominal coverage at small n and at rates near 0 or 1, where the Wald
  interval collapses.
* Exact (Garwood) Poisson interval for ``observed / expected`` (``poisson_ratio_interval``): a
  standardised ratio, or a count per exposure (complaints per order).

scipy is used only inside ``map_batches`` for gamma quantiles, which have no closed form.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy import special, stats

#: Two-sided 95%: the normal quantile used by the Wilson interval.
Z95: float = float(special.ndtri(0.975))


def _as_expr(x: str | pl.Expr) -> pl.Expr:
    return pl.col(x) if isinstance(x, str) else x


def wilson_low(successes: str | pl.Expr, trials: str | pl.Expr, *, z: float = Z95) -> pl.Expr:
    """Lower bound of the Wilson score interval for ``successes / trials`` (null when trials = 0).

    Examples
    --------
    >>> import polars as pl
    >>> pl.DataFrame({"x": [3], "n": [10]}).select(wilson_low("x", "n").round(6))
    shape: (1, 1)
    ┌──────────┐
    │ x        │
    │ ---      │
    │ f64      │
    ╞══════════╡
    │ 0.107791 │
    └──────────┘
    """
    return _wilson(successes, trials, z=z, sign=-1.0)


def wilson_high(successes: str | pl.Expr, trials: str | pl.Expr, *, z: float = Z95) -> pl.Expr:
    """Upper bound of the Wilson score interval for ``successes / trials`` (null if no trials)."""
    return _wilson(successes, trials, z=z, sign=1.0)


def _wilson(successes: str | pl.Expr, trials: str | pl.Expr, *, z: float, sign: float) -> pl.Expr:
    x = _as_expr(successes).cast(pl.Float64)
    n = _as_expr(trials).cast(pl.Float64)
    p = x / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denom
    half = (z / denom) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt()
    bound = (centre + sign * half).clip(0.0, 1.0)
    return pl.when(n > 0).then(bound).otherwise(None)


def _garwood(o: np.ndarray, e: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact Poisson interval for a mean, divided by ``e``; nan where e <= 0 or o is missing."""
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = np.where(o > 0, stats.gamma.ppf(alpha / 2, np.maximum(o, 1e-300)), 0.0)
        hi = stats.gamma.ppf(1 - alpha / 2, o + 1.0)
        ok = (e > 0) & np.isfinite(o)
        return np.where(ok, lo / e, np.nan), np.where(ok, hi / e, np.nan)


def poisson_ratio_interval(
    observed: str | pl.Expr, expected: str | pl.Expr, *, alpha: float = 0.05
) -> tuple[pl.Expr, pl.Expr]:
    """Exact (Garwood) interval for ``observed / expected``: (low, high), null when expected <= 0.

    ``low = Gamma^-1(alpha/2; O) / E`` (0 when O = 0) and
    ``high = Gamma^-1(1 - alpha/2; O + 1) / E``,
    the chi-square form of the exact Poisson interval.
    """
    both = pl.struct(_as_expr(observed).cast(pl.Float64).alias("o"),
                     _as_expr(expected).cast(pl.Float64).alias("e"))

    def bound(which: int) -> pl.Expr:
        def f(s: pl.Series) -> pl.Series:
            o = s.struct.field("o").to_numpy(allow_copy=True).astype(float)
            e = s.struct.field("e").to_numpy(allow_copy=True).astype(float)
            res = _garwood(o, np.nan_to_num(e, nan=0.0), alpha)[which]
            return pl.Series(res, dtype=pl.Float64).fill_nan(None)

        return both.map_batches(f, return_dtype=pl.Float64, is_elementwise=True)

    return bound(0), bound(1)
