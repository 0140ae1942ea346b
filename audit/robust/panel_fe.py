"""Explanation (and resolution) effects from a Poisson fixed-effects event study on the whole panel.

Why this replaces the stacked same-day comparison (issue 14):

- **All the data.** Every item-day of ``sales_daily`` is used: items without events are
  controls, an item's own days before its review and long after its events anchor its level
  (item fixed effects), and one effect per shop and day absorbs calendar shocks, campaigns and
  11.11-style promotions (traffic x5) for every item of the shop at once. The stacked design
  kept 37-55% of explained reviews and ignored items without a review in the window.
- **Review age as event time.** Each neutral/negative review enters as its own dip-and-recovery
  path: daily counts of live reviews by age bin, by rating and by complaint category (tier).
  What predicts recovery is thereby modelled instead of being matched away: when agents explain
  first the reviews that recover fastest (logistics complaints recover in days, quality ones in
  weeks), the comparison is against reviews *of the same age and tier*, not of the same posting
  day. Time to explanation is implicit (an explanation on day e meets its review at age e - p).
- **Each event as a count.** An item carries many overlapping explanations; each one adds its
  own event-time profile (leads -L..-1 for the pre-trend, days 0..window one by one, then a
  tail to the assumed duration), separately for an item's *first* explanation (none live in the
  previous ``horizon`` days) and *later* ones, so saturation shows instead of being averaged.
  Resolutions enter the same way in the same model, so one event cannot leak into the other.

The estimand (written into every summary row): the relative change of the item's conversion
(orders for a given number of visitors) over days 0..window after an explanation, against the
same item-days without that explanation, holding the item's other reviews and events fixed::

    effect = sum over explained item-days of fitted orders / the same without the explanation - 1

``orders-weighted``: the Poisson pseudo-likelihood weights every item-day by its expected
orders, so the number is the effect on the shop's orders. ``per-explanation``: items
re-weighted by the inverse of their average daily orders, so each explanation counts about
equally whatever its item's size. The two differ only when lifts differ with item size.

Checks that feed the verdict: a joint Wald test of the daily leads (pre-trend) and the placebo
(the leads combined like the post days). Sensitivity (Rambachan & Roth 2023, relative
magnitudes): the largest M-bar such that the interval, widened by M-bar times the largest
pre-period deviation, still excludes zero ("breakdown M-bar"; a simplified, point-identified
version of their bound). "Too thin" is decided by the interval's half-width, not a count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import polars as pl
import scipy.sparse as sp
from scipy import stats
from threadpoolctl import threadpool_limits

from audit.robust.poisson_fe import PoissonFEFit, SparseDesign, fit_poisson_fe

if TYPE_CHECKING:
    from collections.abc import Iterable

EVENTS: tuple[str, ...] = ("explanation", "resolution")
METRICS: dict[str, tuple[str, str | None]] = {
    # metric -> (outcome column, exposure column or None)
    "conversion": ("orders", "visitors"),
    "orders": ("orders", None),
    "visitors": ("visitors", None),
    "review_page_views": ("review_page_views", None),
}
WEIGHTINGS: tuple[str, ...] = ("orders-weighted", "per-explanation")
GROUPS: tuple[str, ...] = ("all", "first", "later")
#: Review-age bins (days since the review, lower edges); ages >= horizon have no term.
AGE_EDGES: tuple[int, ...] = (0, 1, 2, 3, 5, 8, 12, 17, 23)
THIN = "too thin to answer"
PRETREND = "pre-trends differ: do not trust"
LIFT = "lift"
DROP = "drop"
NO_EFFECT = "no clear effect"
#: Level of each of the two checks (pre-trend test, placebo interval): Bonferroni, so that
#: together they stop about 5% of verdicts where nothing is wrong.
CHECK_LEVEL = 0.025
#: Half-width (points) above which the answer is "too thin": the data cannot tell +10% from 0.
MAX_HALF_WIDTH = 10.0
#: Relative cut of the pre-trend Wald test's pseudo-inverse (unit-diagonal scale). Measured on a
#: 200-shop platform set: lead covariances of full rank have condition numbers up to 2e10,
#: singular ones 1e16 or more; the cut sits between them.
WALD_RCOND = 1e-13

SUMMARY_COLUMNS: tuple[str, ...] = (
    "event", "metric", "estimand", "group", "estimate_pct", "ci_low_pct", "ci_high_pct",
    "half_width_pct", "n_events", "n_items", "n_control_items", "pretrend_p", "placebo_pct",
    "placebo_ci_low_pct",
    "placebo_ci_high_pct", "breakdown_mbar", "verdict",
)
EVENT_STUDY_COLUMNS: tuple[str, ...] = (
    "event", "metric", "estimand", "day", "estimate_pct", "ci_low_pct", "ci_high_pct",
)


@dataclass(frozen=True)
class GridData:
    """Dense item x day arrays and the review events mapped onto them."""

    items: pl.DataFrame  # i, shop_id, item_id, g
    n_days: int
    values: dict[str, np.ndarray]  # column -> (items, days)
    present: np.ndarray  # (items, days) a sales row exists
    reviews: pl.DataFrame  # i, p, rating, category, explanation, resolution (day indices or -1)


class PanelImpact(NamedTuple):
    """Summary rows (``SUMMARY_COLUMNS``) and the by-day event study (``EVENT_STUDY_COLUMNS``)."""

    summary: pl.DataFrame
    event_study: pl.DataFrame


def _eager(frame: pl.LazyFrame | pl.DataFrame, cols: list[str]) -> pl.DataFrame:
    lazy = frame.lazy() if isinstance(frame, pl.DataFrame) else frame
    names = lazy.collect_schema().names()
    return lazy.select([c for c in cols if c in names]).collect()


def build_grid(
    sales: pl.LazyFrame | pl.DataFrame,
    reviews: pl.LazyFrame | pl.DataFrame,
    *,
    tiers: pl.LazyFrame | pl.DataFrame | None = None,
    shop: str | None = None,
) -> GridData:
    """Dense arrays from canonical ``sales_daily`` and ``reviews`` (+ optional review tiers).

    ``tiers`` has review_id and category (the handling log's complaint tier, ``cases``); reviews
    without one get category "unknown". Resolution = revised to positive or removed within 30
    days of the review (docs/interfaces.md). Day indices of events that did not happen are -1.
    """
    s = _eager(sales, ["shop_id", "item_id", "date", "visitors", "orders", "review_page_views"])
    r = _eager(reviews, ["review_id", "shop_id", "item_id", "rating", "reviewed_at",
                         "explained_at", "revised_rating", "revised_at", "removed_at"])
    if shop:
        s = s.filter(pl.col("shop_id") == shop)
        r = r.filter(pl.col("shop_id") == shop)
    items = s.select("shop_id", "item_id").unique().sort("shop_id", "item_id").with_row_index("i")
    shops = items.select("shop_id").unique().sort("shop_id").with_row_index("g")
    items = items.join(shops, on="shop_id").sort("i")
    first = s["date"].min()
    n_days = (s["date"].max() - first).days + 1 if s.height else 0
    day = s.join(items, on=["shop_id", "item_id"]).with_columns(
        d=(pl.col("date") - pl.lit(first)).dt.total_days())
    flat = day["i"].to_numpy().astype(np.int64) * n_days + day["d"].to_numpy()
    size = items.height * n_days
    shape = (items.height, n_days)
    values = {c: np.bincount(flat, weights=day[c].to_numpy().astype(float), minlength=size)
              .reshape(shape) for c in ("visitors", "orders", "review_page_views")}
    present = (np.bincount(flat, minlength=size) > 0).reshape(shape)
    if tiers is not None:
        t = _eager(tiers, ["review_id", "category"]).unique("review_id", keep="first")
        r = r.join(t, on="review_id", how="left")
    if "category" not in r.columns:
        r = r.with_columns(category=pl.lit(None, pl.String))
    limit = pl.col("reviewed_at") + timedelta(days=30)
    resolved_at = pl.min_horizontal(
        pl.when((pl.col("revised_rating") == "positive") & (pl.col("revised_at") <= limit))
        .then(pl.col("revised_at")),
        pl.when(pl.col("removed_at") <= limit).then(pl.col("removed_at")),
    )

    def idx(col: pl.Expr) -> pl.Expr:
        return (col.dt.date() - pl.lit(first)).dt.total_days().fill_null(-1)

    rv = (
        r.filter(pl.col("rating").is_in(["neutral", "negative"]))
        .join(items.select("i", "shop_id", "item_id"), on=["shop_id", "item_id"], how="inner")
        .select("i", "rating", category=pl.col("category").fill_null("unknown"),
                p=idx(pl.col("reviewed_at")), explanation=idx(pl.col("explained_at")),
                resolution=idx(resolved_at))
        .filter(pl.col("p") >= 0)
        .with_columns(  # an event before its review (bad data) is ignored
            explanation=pl.when(pl.col("explanation") >= pl.col("p"))
            .then(pl.col("explanation")).otherwise(-1),
            resolution=pl.when(pl.col("resolution") >= pl.col("p"))
            .then(pl.col("resolution")).otherwise(-1),
        )
    )
    return GridData(items, n_days, values, present, rv)


@dataclass
class _Columns:
    """Sparse covariate columns under construction: (cell, column) entries and names."""

    n_cells: int
    rows: list[np.ndarray]
    cols: list[np.ndarray]
    names: list[str]

    def add(self, name: str, cells: np.ndarray) -> None:
        self.rows.append(cells)
        self.cols.append(np.full(cells.size, len(self.names), np.int64))
        self.names.append(name)

    def matrix(self) -> sp.csr_matrix:
        rows = np.concatenate(self.rows) if self.rows else np.zeros(0, np.int64)
        cols = np.concatenate(self.cols) if self.cols else np.zeros(0, np.int64)
        return sp.csr_matrix((np.ones(rows.size), (rows, cols)),
                             shape=(self.n_cells, len(self.names)))


def _cells(item: np.ndarray, day: np.ndarray, n_days: int) -> np.ndarray:
    ok = (day >= 0) & (day < n_days)
    return item[ok].astype(np.int64) * n_days + day[ok]


def design_matrix(grid: GridData, *, window: int, leads: int, horizon: int
                  ) -> tuple[sp.csr_matrix, list[str], dict[str, np.ndarray]]:
    """Covariates: review-age bins (by rating and by category) and event-time counts per event.

    Returns the matrix, column names, and per event the number of events and of their items.
    """
    n_days = grid.n_days
    acc = _Columns(grid.items.height * n_days, [], [], [])
    rv = grid.reviews
    item, posted = rv["i"].to_numpy(), rv["p"].to_numpy()
    edges = [*(e for e in AGE_EDGES if e < horizon), horizon]
    cats = sorted(set(rv["category"].to_list()))
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        ages = np.arange(lo, hi)
        # Rating x category: the depth of a dip depends on the rating, its recovery speed on the
        # complaint tier; an additive (in logs) version left dip residue in the leads.
        for rating in ("negative", "neutral"):
            for cat in cats:
                m = ((rv["rating"] == rating) & (rv["category"] == cat)).to_numpy()
                if m.any():
                    acc.add(f"age{lo}_{rating}_{cat}", _cells(
                        np.repeat(item[m], ages.size),
                        (posted[m][:, None] + ages[None, :]).ravel(), n_days))
    counts: dict[str, np.ndarray] = {}
    for event in EVENTS:
        ev = rv.filter(pl.col(event) >= 0).select("i", e=pl.col(event)).sort("i", "e")
        ei, ed = ev["i"].to_numpy(), ev["e"].to_numpy()
        # First = no earlier event of this type on the item in the previous `horizon` days.
        first = np.ones(ei.size, bool)
        if ei.size > 1:
            first[1:] = ~((ei[1:] == ei[:-1]) & (np.diff(ed) < horizon))
        counts[event] = np.array([ed.size, np.unique(ei).size, int(first.sum())])
        for h in range(-leads, 0):
            acc.add(f"{event}_lead{h}", _cells(ei, ed + h, n_days))
        for label, m in (("first", first), ("later", ~first)):
            for h in range(window + 1):
                acc.add(f"{event}_{label}_d{h}", _cells(ei[m], ed[m] + h, n_days))
            tail = np.arange(window + 1, horizon)
            if tail.size:
                acc.add(f"{event}_{label}_tail", _cells(np.repeat(ei[m], tail.size),
                        (ed[m][:, None] + tail[None, :]).ravel(), n_days))
    return acc.matrix(), acc.names, counts


def _combine(fit: PoissonFEFit, mass_all: np.ndarray, cols: list[int]) -> tuple[float, float]:
    """Relative change over the cells of ``cols`` (fitted over without-the-event) and its SE.

    ``mass_all`` is ``x' mu``: per column k the fitted mass sum of x_k * mu, once per fit.
    ``m_k`` = counterfactual fitted mass of column k (its mass times exp(-beta_k)); the
    effect is ``sum mass_k / sum m_k - 1``, SE by the delta method with m fixed. A column
    without support has no cells to change and is left out; a collinear one (or a fit that did
    not converge) leaves the effect unidentified: NaN, not a number made of rounding noise.
    """
    if fit.collinear[cols].any():
        return np.nan, np.nan
    cols = [c for c in cols if np.isfinite(fit.beta[c])]
    if not cols:
        return np.nan, np.nan
    b = fit.beta[cols]
    mass = mass_all[cols]
    with np.errstate(over="ignore"):  # a coefficient that ran off in a tiny shop: no effect
        m0 = mass * np.exp(-b)
    tot = m0.sum()
    if not np.isfinite(tot) or tot <= 0:
        return np.nan, np.nan
    eff = float(mass.sum() / tot - 1.0)
    grad = mass / tot
    cov = fit.cov[np.ix_(cols, cols)]
    return eff, float(np.sqrt(max(grad @ cov @ grad, 0.0)))


def _pct(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else round(100.0 * x, 3)


def breakdown_mbar(lo_log: float, hi_log: float, pre_dev: float) -> float:
    """Largest M-bar at which [lo - M pre_dev, hi + M pre_dev] (log scale) still excludes 0.

    Relative-magnitudes sensitivity in the spirit of Rambachan & Roth (2023): post-event
    violations of parallel trends up to M-bar times the largest pre-period deviation. 0 when the
    interval already covers 0; infinity when the pre-period shows no deviation at all.
    """
    if not (np.isfinite(lo_log) and np.isfinite(hi_log)) or lo_log <= 0 <= hi_log:
        return 0.0
    dist = lo_log if lo_log > 0 else -hi_log
    return float("inf") if pre_dev <= 0 else float(dist / pre_dev)


def verdict(lo: float, hi: float, *, pretrend_p: float, placebo_lo: float, placebo_hi: float,
            max_half_width: float = MAX_HALF_WIDTH) -> str:
    """Too thin (half-width in points over the limit), untrustworthy checks, or the direction.

    The pre-trend test (p < ``CHECK_LEVEL``) and the placebo (its ``1 - CHECK_LEVEL``
    interval, passed in, excludes 0) both stop a directional verdict: either says treated and
    untreated item-days differed before the event.
    """
    if not (np.isfinite(lo) and np.isfinite(hi)) or 100 * (hi - lo) / 2 > max_half_width:
        return THIN
    placebo_off = np.isfinite(placebo_lo) and (placebo_lo > 0 or placebo_hi < 0)
    if (np.isfinite(pretrend_p) and pretrend_p < CHECK_LEVEL) or placebo_off:
        return PRETREND
    if lo > 0:
        return LIFT
    if hi < 0:
        return DROP
    return NO_EFFECT


def _item_weights(grid: GridData, y: np.ndarray, weighting: str) -> np.ndarray | None:
    if weighting == "orders-weighted":
        return None
    days = np.maximum(grid.present.sum(axis=1), 1)
    size = np.maximum(y.sum(axis=1) / days, 1e-9)
    w = 1.0 / size
    pos = y.sum(axis=1) > 0
    return w / w[pos].mean() if pos.any() else w


def estimate_panel_impact(  # noqa: PLR0913
    sales: pl.LazyFrame | pl.DataFrame,
    reviews: pl.LazyFrame | pl.DataFrame,
    *,
    tiers: pl.LazyFrame | pl.DataFrame | None = None,
    events: Iterable[str] = ("explanation",),
    metrics: Iterable[str] = ("conversion",),
    weightings: Iterable[str] = WEIGHTINGS,
    window: int = 14,
    leads: int = 7,
    horizon: int = 30,
    shop: str | None = None,
    max_half_width: float = MAX_HALF_WIDTH,
    alpha: float = 0.05,
    extra_fits: Iterable[tuple[str, str]] = (),
) -> PanelImpact:
    """Effects of explanations / resolutions on the chosen metrics from the whole panel.

    Parameters
    ----------
    sales, reviews
        Canonical ``sales_daily`` and ``reviews`` (LazyFrames or DataFrames).
    tiers
        Optional review_id -> category (from ``cases``): the complaint tier, which predicts how
        fast a review's dip recovers. Without it recovery is modelled by rating only.
    events, metrics, weightings
        Which summary rows to produce (``EVENTS``, ``METRICS``, ``WEIGHTINGS``). Both events are
        always in the model.
    window
        The estimate is over days 0..window after the event (also the event-study days).
    leads
        Days before the event in the pre-trend test and the placebo.
    horizon
        Days an event's (and a review's) effect may last; beyond it the item is back to its level.
    max_half_width
        Interval half-width, in points, above which the verdict is "too thin to answer".
    extra_fits
        (metric, weighting) pairs fitted besides ``metrics`` x ``weightings`` (the impact job's
        per-explanation conversion), on the same grid and covariates, so both are built once.
    """
    if not 0 <= window < horizon:
        msg = f"window must be in 0..horizon-1 ({horizon - 1}), got {window}"
        raise ValueError(msg)
    grid = build_grid(sales, reviews, tiers=tiers, shop=shop)
    x, names, counts = design_matrix(grid, window=window, leads=leads, horizon=horizon)
    dsg = SparseDesign.of(x)
    col = {n: j for j, n in enumerate(names)}
    group = grid.items["g"].to_numpy()
    summary: list[dict[str, object]] = []
    study: list[dict[str, object]] = []
    weightings = tuple(weightings)
    fits = [(m, w) for m in metrics for w in weightings]
    fits += [f for f in extra_fits if f not in fits]
    with threadpool_limits(1):  # many small solves: extra BLAS threads only contend
        for metric, weighting in fits:
            fit, mass = _fit(grid, dsg, group, metric, weighting)
            for event in events:
                df = _dof(fit, counts[event])
                tq = stats.t.ppf(1 - alpha / 2, df)
                summary.extend(_event_rows(fit, mass, col, counts[event], event, metric,
                                           weighting, window, leads, tq, max_half_width,
                                           grid.items.height))
                for h in range(window + 1):
                    cols = [col[f"{event}_{g}_d{h}"] for g in ("first", "later")]
                    eff, se = _combine(fit, mass, cols)
                    study.append(_study_row(event, metric, weighting, h, eff, se, tq))
                for h in range(-leads, 0):
                    eff, se = _combine(fit, mass, [col[f"{event}_lead{h}"]])
                    study.append(_study_row(event, metric, weighting, h, eff, se, tq))
    sdf = pl.DataFrame(summary, schema=_summary_schema(), orient="row") if summary else \
        pl.DataFrame(schema=_summary_schema())
    edf = pl.DataFrame(study, schema=_study_schema()) if study else \
        pl.DataFrame(schema=_study_schema())
    return PanelImpact(sdf, edf.sort("event", "metric", "estimand", "day"))


def _fit(grid: GridData, dsg: SparseDesign, group: np.ndarray, metric: str,
         weighting: str) -> tuple[PoissonFEFit, np.ndarray]:
    """One metric's fit and its column masses ``x' mu`` (what :func:`_combine` weighs by)."""
    ycol, ecol = METRICS[metric]
    y = grid.values[ycol]
    valid = grid.present.copy()
    offset = None
    if ecol is not None:
        expo = grid.values[ecol]
        valid &= expo > 0
        with np.errstate(divide="ignore"):
            offset = np.log(np.where(expo > 0, expo, 1.0))
    fit = fit_poisson_fe(y, dsg, group=group, offset=offset, valid=valid,
                         item_weight=_item_weights(grid, y, weighting))
    return fit, dsg.col_sums(fit.mu.ravel())


def _dof(fit: PoissonFEFit, count: np.ndarray) -> int:
    """Degrees of freedom of the t quantiles: clusters that carry the effect, minus one.

    The effect is identified by the items that have the event; with a handful of them the
    clustered variance has about that many independent pieces, not the panel's item count.
    """
    return max(min(fit.n_clusters, int(count[1])) - 1, 1)


def _event_rows(fit: PoissonFEFit, mass: np.ndarray, col: dict[str, int],  # noqa: PLR0913
                count: np.ndarray, event: str, metric: str, weighting: str, window: int,
                leads: int, tq: float, max_half_width: float, n_items: int,
                ) -> list[dict[str, object]]:
    lead_cols = [col[f"{event}_lead{h}"] for h in range(-leads, 0)]
    plc, plc_se = _combine(fit, mass, lead_cols)
    lb = [c for c in lead_cols if np.isfinite(fit.beta[c]) and fit.cov[c, c] > 0]
    cov = fit.cov[np.ix_(lb, lb)]
    if lb and np.isfinite(cov).all():
        pre_p = float(stats.f.sf(_wald(fit.beta[lb], cov) / len(lb), len(lb), _dof(fit, count)))
    else:
        pre_p = np.nan
    half = max(leads // 2, 1)
    blocks = [lead_cols[:half], lead_cols[half:]] if leads > 1 else [lead_cols]
    with np.errstate(divide="ignore", invalid="ignore"):  # a -100% block: no bound (inf/nan)
        pre_dev = max((abs(np.log1p(_combine(fit, mass, b)[0])) for b in blocks if b),
                      default=0.0)
    tq_check = stats.t.ppf(1 - CHECK_LEVEL / 2, _dof(fit, count))
    rows = []
    for grp in GROUPS:
        parts = ("first", "later") if grp == "all" else (grp,)
        cols = [col[f"{event}_{g}_d{h}"] for g in parts for h in range(window + 1)]
        eff, se = _combine(fit, mass, cols)
        lo, hi = eff - tq * se, eff + tq * se
        plo, phi = plc - tq * plc_se, plc + tq * plc_se
        tc = tq_check * plc_se
        check_lo, check_hi = plc - tc, plc + tc
        se_log = se / (1 + eff) if np.isfinite(eff) and eff > -1 else np.nan
        lo_log = np.log1p(eff) - tq * se_log if np.isfinite(se_log) else np.nan
        hi_log = np.log1p(eff) + tq * se_log if np.isfinite(se_log) else np.nan
        n_ev = {"all": count[0], "first": count[2], "later": count[0] - count[2]}[grp]
        rows.append({
            "event": event, "metric": metric, "estimand": weighting, "group": grp,
            "estimate_pct": _pct(eff), "ci_low_pct": _pct(lo), "ci_high_pct": _pct(hi),
            "half_width_pct": _pct(tq * se), "n_events": int(n_ev), "n_items": int(count[1]),
            "n_control_items": int(n_items - count[1]),
            "pretrend_p": float(pre_p) if np.isfinite(pre_p) else None,
            "placebo_pct": _pct(plc), "placebo_ci_low_pct": _pct(plo),
            "placebo_ci_high_pct": _pct(phi),
            "breakdown_mbar": breakdown_mbar(lo_log, hi_log, pre_dev),
            "verdict": verdict(lo, hi, pretrend_p=pre_p, placebo_lo=check_lo, placebo_hi=check_hi,
                               max_half_width=max_half_width),
        })
    return rows


def _wald(b: np.ndarray, cov: np.ndarray) -> float:
    """``b' cov^+ b`` on the unit-diagonal scale, the pseudo-inverse cut at ``WALD_RCOND``.

    A clustered covariance of the leads is singular when fewer items carry them than there are
    leads; with ``pinv``'s default cut (1e-15 of the largest singular value, unscaled) whether
    its near-zero directions are inverted, and the statistic with them, is rounding noise.
    """
    d = np.sqrt(np.diag(cov))
    z = b / d
    return float(z @ np.linalg.pinv(cov / np.outer(d, d), rcond=WALD_RCOND, hermitian=True) @ z)


def _study_row(event: str, metric: str, weighting: str, day: int, eff: float, se: float,
               tq: float) -> dict[str, object]:
    return {"event": event, "metric": metric, "estimand": weighting, "day": day,
            "estimate_pct": _pct(eff), "ci_low_pct": _pct(eff - tq * se),
            "ci_high_pct": _pct(eff + tq * se)}


def _summary_schema() -> dict[str, pl.DataType]:
    f, s, i = pl.Float64(), pl.String(), pl.Int64()
    types = {"event": s, "metric": s, "estimand": s, "group": s, "n_events": i, "n_items": i,
             "n_control_items": i, "verdict": s}
    return {c: types.get(c, f) for c in SUMMARY_COLUMNS}


def _study_schema() -> dict[str, pl.DataType]:
    f, s = pl.Float64(), pl.String()
    types = {"event": s, "metric": s, "estimand": s, "day": pl.Int64()}
    return {c: types.get(c, f) for c in EVENT_STUDY_COLUMNS}
