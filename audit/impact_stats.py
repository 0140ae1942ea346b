"""The arithmetic of the stacked event study: ratio-of-sums effects and an item-clustered bootstrap.

For a metric with numerator Y and denominator D (conversion: orders over visitors; a count such
as visitors: D = one per day), treated unit u in cohort g and event day k:

    counterfactual E[u, k] = D_u(k) x (Y_u,pre / D_u,pre) x r_g(k),
    r_g(k) = (Y_C(k) / D_C(k)) / (Y_C,pre / D_C,pre),

where C sums the cohort's control items and "pre" is days -window..-1. So the treated item's
own pre-event level is carried forward along the controls' path (which shares the review's dip
and recovery, the weekday and the shop's campaigns). The effect on day k is
``sum_u Y_u(k) / sum_u E[u, k] - 1`` and the overall effect uses the sums over days 0..window:
a relative change of the metric over the post-event window, the estimand of the demo's truth.
Summing before dividing keeps small items' zero-order days from blowing up ratios.

The bootstrap reweights whole items (every row of an item, as treated unit and as control,
gets the same weight), so dependence within an item across days and stacks is respected. The
weights are Bayesian-bootstrap Exp(1) draws (Rubin 1981) from a seeded generator: no item is
ever dropped entirely, so no cohort loses all its controls in a replicate.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
from scipy import stats

if TYPE_CHECKING:
    from audit.impact_design import Design, Panel


#: Metric -> (numerator array, denominator array or None for a per-day count).
METRICS: dict[str, tuple[str, str | None]] = {
    "conversion": ("orders", "visitors"),
    "visitors": ("visitors", None),
    "review_page_views": ("review_page_views", None),
    "orders": ("orders", None),
}
#: Elements per temporary array when processing bootstrap replicates in chunks (~160 MB).
_CHUNK_ELEMENTS = 20_000_000


@dataclass(frozen=True)
class Estimate:
    """One metric of one event: point estimates and bootstrap replicates (relative changes)."""

    days: np.ndarray  # event days -window..window
    by_day: np.ndarray  # point estimate per day
    overall: float  # point estimate over days 0..window
    boot_by_day: np.ndarray  # replicates x days
    boot_overall: np.ndarray  # replicates
    naive: float  # treated only: post vs pre of the same units

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """Percentile interval of the overall effect (nan without replicates)."""
        return _percentile(self.boot_overall, level)

    def day_intervals(self, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Percentile interval per event day."""
        if self.boot_by_day.shape[0] == 0:
            nan = np.full(self.days.size, np.nan)
            return nan, nan
        a = (1 - level) / 2
        with warnings.catch_warnings():  # a day with no usable replicate is simply nan
            warnings.simplefilter("ignore", RuntimeWarning)
            lo, hi = np.nanquantile(self.boot_by_day, [a, 1 - a], axis=0)
        return lo, hi

    def pretrend_p(self, n_bins: int = 3) -> float:
        """p-value of "the leads are jointly zero" (days -window..-2, in ``n_bins`` blocks).

        Day -1 is left out: the leads are measured against the pre-window mean, so they sum to
        about zero and one of them carries no information of its own. The remaining leads are
        averaged in a few contiguous blocks and tested with Hotelling's T-squared on the
        bootstrap covariance (an F test): a 13-dimensional covariance estimated from a couple of
        hundred replicates would reject far too often, blocks of days keep the test honest.
        """
        lead_days = np.flatnonzero(self.days < -1)
        boot = self.boot_by_day[:, lead_days]
        keep = np.all(np.isfinite(boot), axis=1)
        if lead_days.size == 0 or not np.all(np.isfinite(self.by_day[lead_days])):
            return float("nan")
        blocks = np.array_split(np.arange(lead_days.size), min(n_bins, lead_days.size))
        d = np.array([self.by_day[lead_days][ix].mean() for ix in blocks])
        bb = np.column_stack([boot[keep][:, ix].mean(1) for ix in blocks])
        n, k = bb.shape
        if n <= k + 1:
            return float("nan")
        cov = np.atleast_2d(np.cov(bb, rowvar=False))
        t2 = float(d @ np.linalg.pinv(cov) @ d)
        f = t2 * (n - k) / (k * (n - 1))
        return float(stats.f.sf(f, k, n - k))


def _percentile(x: np.ndarray, level: float) -> tuple[float, float]:
    x = x[np.isfinite(x)]
    if x.size == 0:
        return float("nan"), float("nan")
    a = (1 - level) / 2
    lo, hi = np.quantile(x, [a, 1 - a])
    return float(lo), float(hi)


def _windows(arr: np.ndarray, item: np.ndarray, day: np.ndarray, ks: np.ndarray) -> np.ndarray:
    """arr[item, day + k] for every row and every k: rows x days."""
    return arr[item[:, None], day[:, None] + ks[None, :]]


def estimate(panel: Panel, design: Design, *, n_boot: int, seed: int,
             covariates: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, Estimate]:
    """Every metric of ``METRICS`` for one design, with ``n_boot`` clustered replicates.

    Replicate weights are drawn per item from ``numpy.random.default_rng(seed)``; the point
    estimate is the replicate with all weights one. ``covariates`` (days x treated rows x p,
    days x control rows x p; see :mod:`audit.impact_adjust`) switch on the regression
    adjustment: each side's mean relative change is moved by ``beta'(xbar_side - xbar_all)``,
    with ``beta`` the pooled within-group slopes of the rows' relative changes on their
    covariates (weighted as in the estimate, fitted per day on the full sample; p is small
    against thousands of rows, so refitting it per replicate would change little).
    """
    w = design.window
    ks = np.arange(-w, w + 1)
    pre, post = ks < 0, ks >= 0
    n_items = panel.visitors.shape[0]
    arrays = {"visitors": panel.visitors, "orders": panel.orders,
              "review_page_views": panel.review_page_views}
    t_win = {n: _windows(a, design.unit_item, design.unit_day, ks) for n, a in arrays.items()}
    c_win = {n: _windows(a, design.pair_item, design.cohort_day[design.pair_cohort], ks)
             for n, a in arrays.items()}
    # Per metric: observed window Y and baseline D x (pre-window level) for treated and controls.
    parts = {m: (_observed_and_baseline(t_win, m, pre), _observed_and_baseline(c_win, m, pre))
             for m in METRICS}
    g_n, u_n, p_n = design.cohort_day.size, design.unit_item.size, design.pair_item.size

    # Stacked-DiD weights: each cohort's controls together weigh as much as its treated units.
    # They are design weights, fixed across replicates: recomputing them from bootstrap weights
    # would hand a control the weight of the treated item it is compared with, and a control
    # item serving many cohorts would no longer move as one cluster (intervals too narrow).
    n_t = np.bincount(design.unit_cohort, minlength=g_n)
    n_c = np.bincount(design.pair_cohort, minlength=g_n)
    scale = (n_t / np.maximum(n_c, 1))[design.pair_cohort]
    # Each unit counts once, whatever its item's size: weight 1 / pre-window traffic. With sums
    # weighted by size instead, the busiest items (most reviews, so most overlapping events)
    # would dominate both the estimate and its noise.
    base_t = 1.0 / np.maximum(t_win["visitors"][:, pre].sum(1), 1.0)
    base_c = scale / np.maximum(c_win["visitors"][:, pre].sum(1), 1.0)
    rng = np.random.default_rng(seed)
    weights = np.vstack([np.ones((1, n_items)), rng.exponential(1.0, (n_boot, n_items))])
    n_rep = weights.shape[0]
    chunk = max(1, min(n_rep, _CHUNK_ELEMENTS // max(1, u_n + p_n)))
    result = {}
    for metric, ((y_t, e_t, ok_t), (y_c, e_c, ok_c)) in parts.items():
        at, ac = base_t * ok_t, base_c * ok_c
        # Columns: every event day, then the post window as a whole.
        yt, et = _with_total(y_t, post), _with_total(e_t, post)
        yc, ec = _with_total(y_c, post), _with_total(e_c, post)
        beta = ext = exc = None
        if covariates is not None:
            xt, xc = _per_day(covariates[0], e_t, post), _per_day(covariates[1], e_c, post)
            beta = _slopes(yt, et, xt, at, yc, ec, xc, ac)  # (days + 1) x p
            # beta is fixed across replicates, so each row's fitted adjustment beta'x is too:
            # replicates only re-weight these (rows x days), not the p covariates.
            ext = et * np.column_stack([x @ b for x, b in zip(xt, beta, strict=True)])
            exc = ec * np.column_stack([x @ b for x, b in zip(xc, beta, strict=True)])
        rows = []
        for start in range(0, n_rep, chunk):
            wb = weights[start:start + chunk].T  # items x b
            wt = wb[design.unit_item] * at[:, None]
            wc = wb[design.pair_item] * ac[:, None]
            s_ty, s_te = wt.T @ yt, wt.T @ et  # b x (days + 1)
            s_cy, s_ce = wc.T @ yc, wc.T @ ec
            with np.errstate(divide="ignore", invalid="ignore"):
                r_t, r_c = s_ty / s_te, s_cy / s_ce
                if beta is not None:
                    f_t, f_c = wt.T @ ext, wc.T @ exc  # b x (days + 1): sums of e x beta'x
                    f_all = (f_t + f_c) / (s_te + s_ce)
                    r_t = r_t - (f_t / s_te - f_all)
                    r_c = r_c - (f_c / s_ce - f_all)
                rows.append(r_t / r_c - 1)
        eff = np.vstack(rows)  # replicates x (days + 1)
        result[metric] = Estimate(ks, eff[0, :-1], float(eff[0, -1]), eff[1:, :-1], eff[1:, -1],
                                  _naive(t_win, metric, pre, post))
    return result


def _with_total(x: np.ndarray, post: np.ndarray) -> np.ndarray:
    """Rows x (days + 1): every day, then the sum over the post window."""
    return np.column_stack([x, x[:, post].sum(1)])


def _per_day(x: np.ndarray, e: np.ndarray, post: np.ndarray) -> list[np.ndarray]:
    """Covariates (days x rows x p) as one rows x p matrix per day, plus the post window's.

    The post window's covariates are the days' covariates weighted by the row's baseline.
    """
    days = list(x)
    acc = np.zeros(x.shape[1:])
    for k in np.flatnonzero(post):
        acc += e[:, k, None] * x[k]
    with np.errstate(divide="ignore", invalid="ignore"):
        xp = acc / e[:, post].sum(1)[:, None]
    return [*days, np.nan_to_num(xp)]


def _slopes(yt: np.ndarray, et: np.ndarray, xt: list[np.ndarray], at: np.ndarray,
            yc: np.ndarray, ec: np.ndarray, xc: list[np.ndarray], ac: np.ndarray) -> np.ndarray:
    """Per day: weighted least squares of relative change on [1, treated, covariates].

    A row's relative change is y / e - 1, weighted by a x e (its weight in the ratio
    estimate). Solved by the normal equations, accumulated side by side (no stacked copies).
    Returns the covariates' slopes, (days + 1) x p.
    """
    n_k, p = yt.shape[1], xt[0].shape[1]
    beta = np.zeros((n_k, p))
    for k in range(n_k):
        xtx = np.zeros((p + 2, p + 2))
        xtz = np.zeros(p + 2)
        n_ok = 0
        for y, e, x, a, treated in ((yt, et, xt, at, 1.0), (yc, ec, xc, ac, 0.0)):
            wk = a * e[:, k]
            ok = wk > 0
            n_ok += int(ok.sum())
            z = y[ok, k] / e[ok, k] - 1
            m = np.column_stack([np.ones(ok.sum()), np.full(ok.sum(), treated), x[k][ok]])
            mw = m.T * wk[ok]
            xtx += mw @ m
            xtz += mw @ z
        if n_ok > 2 * (p + 2):
            # pinv copes with a covariate that is zero everywhere (no such events).
            beta[k] = (np.linalg.pinv(xtx) @ xtz)[2:]
    return beta


def _observed_and_baseline(
    win: dict[str, np.ndarray], metric: str, pre: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observed Y (rows x days), baseline D x pre-level, and which rows are usable.

    A row is usable when its pre-window denominator is positive (an item with no visitors at
    all before the event has no conversion to carry forward).
    """
    num, den = METRICS[metric]
    y = win[num]
    d = win[den] if den else np.ones_like(y)
    d_pre = d[:, pre].sum(1)
    ok = d_pre > 0
    level = np.where(ok, y[:, pre].sum(1) / np.where(ok, d_pre, 1.0), 0.0)
    return y, d * level[:, None], ok.astype(float)


def _naive(treated: dict[str, np.ndarray], metric: str, pre: np.ndarray,
           post: np.ndarray) -> float:
    """Before/after of the treated units alone: post-window level over pre-window level."""
    num, den = METRICS[metric]
    y = treated[num]
    d = treated[den] if den else np.ones_like(y)
    if y.shape[0] == 0:
        return float("nan")
    return float((y[:, post].sum() / d[:, post].sum()) / (y[:, pre].sum() / d[:, pre].sum()) - 1)


def mean_paths(panel: Panel, design: Design) -> pl.DataFrame:
    """Descriptive mean paths around the event: treated units and their weighted controls.

    One row per (group, day): mean visitors, review_page_views and orders per item-day and
    conversion as total orders over total visitors (controls weighted as in :func:`estimate`,
    so both groups stand for the same mix of cohorts). Descriptive only: the treated path alone
    is what a before/after reading sees, the gap between the paths is what the estimate uses.
    """
    w = design.window
    ks = np.arange(-w, w + 1)
    g_n = design.cohort_day.size
    n_t = np.bincount(design.unit_cohort, minlength=g_n)
    n_c = np.bincount(design.pair_cohort, minlength=g_n)
    scale = (n_t / np.maximum(n_c, 1))[design.pair_cohort]
    groups = {"treated": (design.unit_item, design.unit_day, np.ones(design.unit_item.size)),
              "control": (design.pair_item, design.cohort_day[design.pair_cohort], scale)}
    frames = []
    for name, (item, day, wt) in groups.items():
        tot = wt.sum()
        sums = {n: wt @ _windows(a, item, day, ks) if item.size else np.zeros(ks.size)
                for n, a in (("visitors", panel.visitors), ("orders", panel.orders),
                             ("review_page_views", panel.review_page_views))}
        with np.errstate(divide="ignore", invalid="ignore"):
            frames.append(pl.DataFrame({
                "group": name, "day": ks.astype(np.int64),
                "visitors": sums["visitors"] / tot,
                "conversion": sums["orders"] / sums["visitors"],
                "review_page_views": sums["review_page_views"] / tot,
                "orders": sums["orders"] / tot,
            }).with_columns(pl.col(pl.Float64).fill_nan(None)))
    return pl.concat(frames)
