"""A mutually adjusted agent comparison for resolution: agent effects next to case-mix cells.

Why not indirect standardisation (today's ``mix_adjusted_ratio``): a case's expected rate is its
(shop, category) rate, which is mostly the rate of the agents who work that category. When novices
get only the easy categories, those categories' reference rates *are* the novices' rates, so a
weak novice looks average and a strong senior is compared with other seniors (issue 14: rank
correlation with true skill 0.61). Rating (a negative review is harder to turn than a neutral
one) is not in the reference at all.

Here every case enters one log-linear model (the "modified Poisson" of Zou 2004: a Poisson
pseudo-likelihood for a binary outcome, robust variance, coefficients are log risk ratios)::

    log P(resolved) = cell(shop x category x rating) + agent

so each agent's effect is estimated *holding the cells fixed* and each cell's rate *holding the
agents fixed*: mutual adjustment. The agent effects are centred on the case-weighted average
agent, so ``mix_adjusted_ratio`` = this agent's resolution rate over the average agent's on the
same cases. Shrinkage: the centred log ratios are pulled toward 0 with a normal prior whose
spread tau (the agents' true spread beyond their sampling noise) is not fixed at one estimate
but integrated over (a flat prior on tau, Gelman 2006): ``shrunk_ratio`` is the posterior mean
of the log ratio, ``shrunk_ci_*`` the posterior 2.5% and 97.5% quantiles, and ranks use the
shrunk ratio, so a thin agent's lucky month does not put them first. Why not a point estimate
of tau (DerSimonian-Laird, with Morris's widening): in a team of ten it is 0 in many months,
which shrinks every agent onto the average (no ranking at all) and gave intervals that covered
89% of true skills in the thin-team simulation (the integrated posterior: 93%).
"""

from __future__ import annotations

import numpy as np
import polars as pl
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy import linalg, special, stats

AGENT_COLUMNS: tuple[str, ...] = (
    "agent_id", "cases", "resolved", "mix_adjusted_ratio", "ratio_ci_low", "ratio_ci_high",
    "shrunk_ratio", "shrunk_ci_low", "shrunk_ci_high", "rank", "prior_sd",
)


def _poisson_fit(x: sp.csr_matrix, y: np.ndarray, *, max_iter: int = 100
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Poisson pseudo-ML by Newton with step-halving; returns beta and the HC1 sandwich.

    Written out (instead of ``statsmodels.GLM``) to stay sparse and fast with many cells; the
    unit tests hold it to statsmodels' ``GLM(Poisson).fit(cov_type="HC1")``.
    """
    n, k = x.shape
    # Start every row at the overall rate: x @ beta0 = log(mean y) in least squares.
    beta = spla.lsqr(x, np.full(n, np.log(max(y.mean(), 1e-6))))[0]
    off = 0.0

    def ll(b: np.ndarray) -> float:
        e = x @ b + off
        return float(np.sum(y * e - np.exp(e)))

    cur = ll(beta)
    for _ in range(max_iter):
        eta = x @ beta + off
        mu = np.exp(eta)
        g = x.T @ (y - mu)
        h = (x.T @ sp.diags(mu) @ x).toarray()
        h[np.diag_indices_from(h)] += 1e-10
        step = np.linalg.solve(h, g)
        floor = cur - 1e-12 * abs(cur)  # a step may not lose likelihood (NaN never passes)
        t, new = 1.0, -np.inf
        if np.all(np.isfinite(step)):
            while t >= 1e-8 and not (new := ll(beta + t * step)) >= floor:
                t /= 2
        if not new >= floor:  # no step keeps the likelihood: stay at beta
            break
        beta, gain, cur = beta + t * step, new - cur, new
        if abs(gain) < 1e-10 * (abs(cur) + 1) and np.max(np.abs(t * step)) < 1e-8:
            break
    mu = np.exp(x @ beta + off)
    h = (x.T @ sp.diags(mu) @ x).toarray()
    hi = _pinv_symmetric(h)
    r = y - mu
    meat = (x.T @ sp.diags(r**2) @ x).toarray()
    return beta, hi @ meat @ hi * n / max(n - k, 1)


def _pinv_symmetric(h: np.ndarray) -> np.ndarray:
    """Pseudo-inverse of the (symmetric, positive semi-definite) information matrix.

    Why not ``np.linalg.pinv(h)``: its divide-and-conquer SVD (LAPACK gesdd) can fail to
    converge on a finite, nearly singular matrix, depending even on the BLAS thread count
    (numpy#11887); on the platform benchmark it stopped a whole Spark run on one shop of
    2,000 agents. The symmetric eigensolver is the first choice (and faster); the slower,
    more robust QR-iteration SVD (gesvd) is the fallback.
    """
    try:
        return np.linalg.pinv(h, hermitian=True)
    except np.linalg.LinAlgError:
        u, s, vt = linalg.svd(h, full_matrices=False, lapack_driver="gesvd")
        keep = s > s.max(initial=0.0) * max(h.shape) * np.finfo(float).eps
        return (vt[keep].T / s[keep]) @ u[:, keep].T


def _posterior(theta: np.ndarray, se: np.ndarray, alpha: float, *, grid: int = 400
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Normal hierarchical posterior of each agent's centred log ratio, tau integrated out.

    theta_i ~ N(t_i, se_i^2), t_i ~ N(0, tau^2), tau flat on a grid from 0 to four times the
    larger of the agents' observed spread (root mean square of theta) and their median noise,
    beyond which the likelihood of tau is negligible for any team of more than a few agents.
    Given tau, t_i is normal (mean B theta_i, variance B se_i^2, B = tau^2 / (tau^2 + se_i^2));
    the posterior is the mixture over tau weighted by the marginal likelihood of theta. Returns
    the posterior means, the alpha/2 and 1 - alpha/2 quantiles and the posterior mean of tau.
    """
    s2 = se**2
    top = 4.0 * max(float(np.sqrt(np.mean(theta**2))), float(np.median(se)), 0.01)
    tau = np.linspace(0.0, top, grid)
    total = s2[None, :] + tau[:, None] ** 2
    loglik = np.sum(-0.5 * np.log(total) - 0.5 * theta[None, :] ** 2 / total, axis=1)
    wt = np.exp(loglik - loglik.max())
    wt[[0, -1]] /= 2  # the trapezoid rule over tau
    wt /= wt.sum()
    b = tau[:, None] ** 2 / total
    mean_t, sd_t = b * theta[None, :], np.sqrt(np.maximum(b * s2[None, :], 1e-18))

    def quantile(p: float) -> np.ndarray:  # bisection on the mixture CDF, every agent at once
        lo = np.min(mean_t - 12 * sd_t, axis=0) - 1e-9
        hi = np.max(mean_t + 12 * sd_t, axis=0) + 1e-9
        for _ in range(60):
            mid = (lo + hi) / 2
            below = wt @ special.ndtr((mid[None, :] - mean_t) / sd_t) < p
            lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
        return (lo + hi) / 2

    return wt @ mean_t, quantile(alpha / 2), quantile(1 - alpha / 2), float(wt @ tau)


def compare_agents(
    cases: pl.LazyFrame | pl.DataFrame,
    *,
    resolved: str = "is_resolved",
    cell: tuple[str, ...] = ("shop_id", "category", "rating"),
    eligible: str | None = "is_eligible",
    alpha: float = 0.05,
) -> pl.DataFrame:
    """Per agent: mutually adjusted ratio, its robust interval, shrunk ratio and interval, rank.

    Parameters
    ----------
    cases
        One row per case of the cohort with ``agent_id``, the ``cell`` columns and the boolean
        ``resolved`` column (``audit.resolution.analysis``'s cohort rows: ``is_resolved``).
    eligible
        Boolean column of cases whose window has closed (others are left out); None: use all.
    cell
        The case-mix cell; cells where every case has the same outcome carry no information on
        agents and are dropped before fitting (their agents keep the other cells' information).

    Returns
    -------
    One row per agent, columns ``AGENT_COLUMNS``, sorted by rank. Agents with no case in an
    informative cell get nulls.
    """
    lazy = cases.lazy() if isinstance(cases, pl.DataFrame) else cases
    names = lazy.collect_schema().names()
    keep = ["agent_id", *cell, resolved] + ([eligible] if eligible and eligible in names else [])
    df = lazy.select(keep).collect()
    if eligible and eligible in df.columns:
        df = df.filter(pl.col(eligible))
    df = df.with_columns(y=pl.col(resolved).cast(pl.Float64),
                         cellkey=pl.concat_str([pl.col(c).cast(pl.String) for c in cell],
                                               separator="|"))
    counts = df.group_by("agent_id").agg(cases=pl.len(), resolved=pl.col("y").sum())
    # A cell carries information on agents only when its outcomes differ and more than one
    # agent works it (a single agent's cell is absorbed by its own cell effect: an agent who
    # works nothing else cannot be compared with anyone, and gets nulls).
    informative = df.group_by("cellkey").agg(
        m=pl.col("y").mean(), agents=pl.col("agent_id").n_unique()).filter(
        (pl.col("m") > 0) & (pl.col("m") < 1) & (pl.col("agents") > 1))
    fit_df = df.join(informative.select("cellkey"), on="cellkey", how="semi")
    agents = sorted(fit_df["agent_id"].unique().to_list())
    a_n = len(agents)
    out_empty = counts.with_columns(
        *[pl.lit(None, pl.Float64).alias(c) for c in AGENT_COLUMNS[3:10] if c != "rank"],
        rank=pl.lit(None, pl.Int64), prior_sd=pl.lit(None, pl.Float64))
    if a_n < 2:  # noqa: PLR2004
        return out_empty.select(AGENT_COLUMNS)
    cells = sorted(fit_df["cellkey"].unique().to_list())
    a_idx = fit_df["agent_id"].replace_strict({a: j for j, a in enumerate(agents)},
                                              return_dtype=pl.Int64).to_numpy()
    c_idx = fit_df["cellkey"].replace_strict({c: j for j, c in enumerate(cells)},
                                             return_dtype=pl.Int64).to_numpy()
    n = fit_df.height
    rows = np.arange(n)
    # Cell dummies (all) + agent dummies (first agent is the reference, coefficient 0).
    cols = np.r_[c_idx, len(cells) + a_idx[a_idx > 0] - 1]
    rr = np.r_[rows, rows[a_idx > 0]]
    x = sp.csr_matrix((np.ones(rr.size), (rr, cols)), shape=(n, len(cells) + a_n - 1))
    y = fit_df["y"].to_numpy()
    beta, cov = _poisson_fit(x, y)
    b = np.r_[0.0, beta[len(cells):]]
    vb = np.zeros((a_n, a_n))
    vb[1:, 1:] = cov[len(cells):, len(cells):]
    n_a = np.bincount(a_idx, minlength=a_n).astype(float)
    w = n_a / n_a.sum()
    centre = np.eye(a_n) - np.outer(np.ones(a_n), w)  # theta = b - sum w b
    theta = centre @ b
    vt = centre @ vb @ centre.T
    # Floor: the chance variance of an *average* agent on the same cases, sum p(1-p) / E^2.
    # The sandwich is 0 for an agent whose every case ends as fitted (2 of 2 resolved in a
    # 50% cell fits exactly), which would make the luckiest thin agent the most certain one.
    p_avg = np.clip(np.exp(x[:, :len(cells)] @ beta[:len(cells)] + b @ w), 0.0, 1.0)
    e_a = np.bincount(a_idx, weights=p_avg, minlength=a_n)
    v_a = np.bincount(a_idx, weights=p_avg * (1 - p_avg), minlength=a_n)
    floor = np.where(e_a > 0, v_a / np.where(e_a > 0, e_a, 1.0) ** 2, 0.0)
    se = np.sqrt(np.maximum(np.clip(np.diag(vt), 1e-12, None), floor))
    z = stats.norm.ppf(1 - alpha / 2)
    post, post_lo, post_hi, tau = _posterior(theta, se, alpha)
    with np.errstate(over="ignore"):  # an agent with almost no expected cases: bound = inf
        ratio_hi, shrunk_hi = np.exp(theta + z * se), np.exp(post_hi)
    res = pl.DataFrame({
        "agent_id": agents,
        "mix_adjusted_ratio": np.exp(theta),
        "ratio_ci_low": np.exp(theta - z * se),
        "ratio_ci_high": ratio_hi,
        "shrunk_ratio": np.exp(post),
        "shrunk_ci_low": np.exp(post_lo),
        "shrunk_ci_high": shrunk_hi,
        "prior_sd": np.full(a_n, tau),
    })
    res = res.with_columns(rank=pl.col("shrunk_ratio").rank("min", descending=True)
                           .cast(pl.Int64))
    return (counts.join(res, on="agent_id", how="left")
            .select(AGENT_COLUMNS).sort("rank", "agent_id", nulls_last=True))
