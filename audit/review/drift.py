"""Which agents' resolution drifts over the months: a per-agent Poisson trend test.

Each month an agent has ``resolved`` reviews against ``expected`` ones (indirect
standardisation, the resolution job's mix-adjusted ratio: the case mix is taken out). Model:
``resolved_t ~ Poisson(expected_t x exp(a + b t))``, t in months; ``b`` is the monthly log-change
of the agent's mix-adjusted ratio (exp(b) - 1 = the change per month). Fitted by Newton's method
(two parameters, closed-form score and information); Wald z = b / se(b). An agent is flagged as
drifting when |z| exceeds the Bonferroni limit for the number of agents tested at 5% two-sided,
so a team of 25 shows no drift by chance in 95% of years.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy import stats

#: Months an agent needs (with expected resolutions) before a trend is tested.
MIN_MONTHS = 4
ALPHA = 0.05

DRIFT_SCHEMA: dict[str, pl.DataType] = {
    "agent_id": pl.String(), "months": pl.Int64(), "monthly_change": pl.Float64(),
    "ci_low": pl.Float64(), "ci_high": pl.Float64(), "z": pl.Float64(),
    "drifting": pl.Boolean(),
}


def poisson_trend(t: np.ndarray, observed: np.ndarray, expected: np.ndarray
                  ) -> tuple[float, float]:
    """(b, se(b)) of ``observed ~ Poisson(expected exp(a + b t))``; (nan, nan) if not estimable.

    Examples
    --------
    >>> t = np.arange(6.0)
    >>> b, se = poisson_trend(t, 100 * np.exp(-0.1 * t), np.full(6, 100.0))
    >>> round(b, 6)
    -0.1
    """
    keep = expected > 0
    t, o, e = t[keep], observed[keep].astype(float), expected[keep].astype(float)
    if t.size < 2 or np.ptp(t) == 0 or o.sum() == 0:  # noqa: PLR2004
        return float("nan"), float("nan")
    x = np.column_stack([np.ones_like(t), t - t.mean()])
    beta = np.array([np.log(o.sum() / e.sum()), 0.0])
    for _ in range(50):
        mu = e * np.exp(x @ beta)
        info = x.T @ (mu[:, None] * x)
        step = np.linalg.solve(info, x.T @ (o - mu))
        beta = beta + step
        if np.abs(step).max() < 1e-10:  # noqa: PLR2004
            break
    mu = e * np.exp(x @ beta)
    cov = np.linalg.inv(x.T @ (mu[:, None] * x))
    return float(beta[1]), float(np.sqrt(cov[1, 1]))


def agent_drift(monthly: pl.DataFrame) -> pl.DataFrame:
    """One row per agent: the monthly change of the mix-adjusted ratio, its 95% interval, z, flag.

    ``monthly``: agent_id, month (YYYY-MM), resolved, expected (one row per agent and month).
    """
    rows = []
    parts = monthly.filter(pl.col("expected") > 0).sort("agent_id", "month").partition_by(
        "agent_id", as_dict=True, maintain_order=True)
    tested = [g for g in parts.values() if g.height >= MIN_MONTHS]
    limit = float(stats.norm.isf(ALPHA / 2 / max(1, len(tested))))
    for g in tested:
        index = g["month"].map_elements(lambda m: int(m[:4]) * 12 + int(m[5:]),
                                        return_dtype=pl.Int64).to_numpy().astype(float)
        b, se = poisson_trend(index, g["resolved"].to_numpy(), g["expected"].to_numpy())
        z = b / se if se > 0 else float("nan")
        rows.append({"agent_id": g["agent_id"][0], "months": g.height,
                     "monthly_change": float(np.expm1(b)),
                     "ci_low": float(np.expm1(b - 1.959964 * se)),
                     "ci_high": float(np.expm1(b + 1.959964 * se)), "z": z,
                     "drifting": bool(abs(z) > limit) if np.isfinite(z) else False})
    return pl.DataFrame(rows, schema=DRIFT_SCHEMA).sort("z", nulls_last=True)
