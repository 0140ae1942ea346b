"""Do public explanations and resolved reviews lift sales? A stacked event study on the daily panel.

One public entry point, :func:`estimate_impact`, returns the two output tables of issue 5
(``impact_summary``, ``event_study``) and the descriptive mean paths for the notebook;
:func:`impact_headline` condenses it for the monthly index page.

Why not a before/after or a two-way fixed-effects regression: an explanation is posted a few days
after a negative review, while conversion is still recovering from that review's dip, so the
days after an explanation look better than the days before it even when the explanation does
nothing (the *naive* number, reported beside the estimate so the report can show it); and events
are staggered over items, which biases plain two-way fixed effects (Goodman-Bacon 2021). The
design (:mod:`audit.impact.design`) compares each explained review with reviews of the same
shop and rating posted the *same day* but not yet explained, and the arithmetic
(:mod:`audit.impact.stats`) turns that into relative changes with item-clustered bootstrap
intervals, a pre-trend test and a placebo.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import polars as pl

from audit.core.errors import ParameterError
from audit.core.shops import for_shop
from audit.impact.adjust import covariates, event_arrays
from audit.impact.design import (
    EVENTS,
    Design,
    build_design,
    build_panel,
    review_events,
    review_units,
)
from audit.impact.stats import METRICS, Estimate, estimate, mean_paths

if TYPE_CHECKING:
    from collections.abc import Iterable

#: Columns of impact_summary.csv and event_study.csv (issue 5), in this order.
SUMMARY_COLUMNS: tuple[str, ...] = (
    "event", "metric", "estimate_pct", "ci_low_pct", "ci_high_pct", "n_treated", "n_control",
    "pretrend_p", "placebo_estimate_pct", "naive_pct", "verdict",
)
EVENT_STUDY_COLUMNS: tuple[str, ...] = (
    "event", "metric", "day", "estimate_pct", "ci_low_pct", "ci_high_pct",
)
#: Verdicts, one per summary row.
THIN = "too thin to answer"
PRETREND = "pre-trends differ: do not trust"
LIFT = "lift"
DROP = "drop"
NO_EFFECT = "no clear effect"
#: Fewest distinct treated and control items for a number to be shown at all.
MIN_ITEMS = 20
MAX_WINDOW = 29  # the demo's effects last 30 days; longer windows need a longer panel anyway


class ImpactResult(NamedTuple):
    """What the event study produces (small eager frames, ready to write or plot).

    summary: one row per (event, metric), columns ``SUMMARY_COLUMNS``.
    event_study: one row per (event, metric, day), columns ``EVENT_STUDY_COLUMNS``.
    paths: one row per (event, group, day): mean visitors, conversion, review_page_views and
    orders per item-day of the treated units and of their (weighted) clean controls.
    """

    summary: pl.DataFrame
    event_study: pl.DataFrame
    paths: pl.DataFrame


def check_window(window: int) -> int:
    """``window`` when it is 1..``MAX_WINDOW`` days, else a ``ParameterError``."""
    if not 1 <= window <= MAX_WINDOW:
        msg = f"--window must be between 1 and {MAX_WINDOW} days, got {window}"
        raise ParameterError(msg)
    return window


def _collect(frame: pl.LazyFrame | pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    lazy = frame.lazy() if isinstance(frame, pl.DataFrame) else frame
    return lazy.select(columns).collect()


def _pct(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else round(100.0 * x, 3)


def _verdict(lo: float, hi: float, pretrend_p: float, *, thin: bool) -> str:
    if thin or not (np.isfinite(lo) and np.isfinite(hi)):
        return THIN
    if np.isfinite(pretrend_p) and pretrend_p < 0.05:  # noqa: PLR2004 - conventional level
        return PRETREND
    if lo > 0:
        return LIFT
    if hi < 0:
        return DROP
    return NO_EFFECT


def estimate_impact(
    sales: pl.LazyFrame | pl.DataFrame,
    reviews: pl.LazyFrame | pl.DataFrame,
    *,
    events: Iterable[str] = EVENTS,
    window: int = 14,
    shop: str | None = None,
    n_boot: int = 199,
    seed: int = 20_261_123,
    min_items: int = MIN_ITEMS,
    adjust: bool = True,
) -> ImpactResult:
    """Effect of explanations and resolutions on conversion, traffic, review-page views, orders.

    Parameters
    ----------
    sales
        Canonical ``sales_daily`` (one row per item per day).
    reviews
        Canonical ``reviews`` (neutral/negative ones are used; resolution = revised to positive
        or removed within 30 days, as in docs/interfaces.md).
    events
        Any of ``explanation``, ``resolution``.
    window
        Days before and after the event (1..29); the estimate is over days 0..window.
    shop
        Only this shop_id (None: all shops; controls always come from the unit's own shop).
    n_boot
        Bootstrap replicates (items resampled as clusters, seeded by ``seed``).
    min_items
        Fewer distinct treated or control items than this: the verdict is "too thin to answer"
        and no number is printed.
    adjust
        Adjust for the other events on the same items (:mod:`audit.impact.adjust`): same
        target, narrower intervals. False gives the plain stacked comparison.

    Returns
    -------
    ImpactResult with the summary, the by-day event study and the descriptive paths.
    """
    events = tuple(events)
    bad = [e for e in events if e not in EVENTS]
    if bad:
        msg = f"event must be one of {', '.join(EVENTS)}, got {bad[0]!r}"
        raise ParameterError(msg)
    check_window(window)
    sales_df = _collect(sales, ["shop_id", "item_id", "date", "visitors", "orders",
                                "review_page_views"])
    reviews_df = _collect(reviews, ["shop_id", "item_id", "rating", "reviewed_at",
                                    "explained_at", "revised_rating", "revised_at", "removed_at"])
    sales_df, reviews_df = for_shop(sales_df, shop), for_shop(reviews_df, shop)
    panel = build_panel(sales_df)
    events_all = review_events(reviews_df, panel)
    units = review_units(events_all)
    arrays = event_arrays(events_all, panel) if adjust else None

    summary, study, paths = [], [], []
    for event in events:
        design = build_design(units, panel, event=event, window=window)
        placebo = build_design(units, panel, event=event, window=window, shift=window + 1)
        thin = min(design.n_treated_items, design.n_control_items) < min_items
        est = estimate(panel, design, n_boot=n_boot, seed=seed,
                       covariates=_covariates(arrays, design))
        plc = estimate(panel, placebo, n_boot=0, seed=seed,
                       covariates=_covariates(arrays, placebo))
        for metric in METRICS:
            summary.append(_summary_row(event, metric, est[metric], plc[metric], design, thin))
            study.append(_study_rows(event, metric, est[metric], thin))
        paths.append(mean_paths(panel, design).with_columns(event=pl.lit(event)))
    return ImpactResult(
        summary=pl.DataFrame(summary, schema=_summary_schema(), orient="row"),
        event_study=pl.concat(study) if study else pl.DataFrame(schema=_study_schema()),
        paths=pl.concat(paths).select("event", pl.exclude("event")) if paths else pl.DataFrame(),
    )


def _covariates(arrays: dict[str, np.ndarray] | None,
                design: Design) -> tuple[np.ndarray, np.ndarray] | None:
    """Covariates of the treated and control rows of ``design`` (None: no adjustment)."""
    if arrays is None:
        return None
    ks = np.arange(-design.window, design.window + 1)
    own = design.event if design.shift == 0 else None
    x_t = covariates(arrays, design.unit_item, design.unit_day, ks,
                     posted=design.unit_posted, rating=design.unit_rating, own_event=own)
    x_c = covariates(arrays, design.pair_item, design.cohort_day[design.pair_cohort], ks,
                     posted=design.pair_posted, rating=design.pair_rating, own_event=None)
    return x_t, x_c


def _summary_schema() -> dict[str, pl.DataType]:
    f, i, s = pl.Float64(), pl.Int64(), pl.String()
    return dict(zip(SUMMARY_COLUMNS, (s, s, f, f, f, i, i, f, f, f, s), strict=True))


def _study_schema() -> dict[str, pl.DataType]:
    f = pl.Float64()
    return dict(zip(EVENT_STUDY_COLUMNS, (pl.String(), pl.String(), pl.Int64(), f, f, f),
                    strict=True))


def _summary_row(event: str, metric: str, est: Estimate, plc: Estimate, design,
                 thin: bool) -> tuple:  # noqa: FBT001 - private helper
    lo, hi = est.interval()
    p = est.pretrend_p()
    verdict = _verdict(lo, hi, p, thin=thin)
    shown = verdict != THIN
    return (
        event, metric,
        _pct(est.overall) if shown else None,
        _pct(lo) if shown else None,
        _pct(hi) if shown else None,
        design.n_treated_items, design.n_control_items,
        (round(p, 4) if np.isfinite(p) else None) if shown else None,
        _pct(plc.overall) if shown else None,
        _pct(est.naive),
        verdict,
    )


def _study_rows(event: str, metric: str, est: Estimate, thin: bool) -> pl.DataFrame:  # noqa: FBT001
    lo, hi = est.day_intervals()
    vals = [est.by_day, lo, hi]
    if thin:
        vals = [np.full(est.days.size, np.nan)] * 3
    return pl.DataFrame({
        "event": event, "metric": metric, "day": est.days.astype(np.int64),
        "estimate_pct": np.round(100 * vals[0], 3), "ci_low_pct": np.round(100 * vals[1], 3),
        "ci_high_pct": np.round(100 * vals[2], 3),
    }, schema=_study_schema()).with_columns(pl.col("^.*_pct$").fill_nan(None))


def impact_headline(result: ImpactResult, *, event: str = "explanation") -> dict[str, object]:
    """Return the one number for the monthly index page: the event's lift on conversion.

    Returns
    -------
    dict with ``event``, ``metric`` ("conversion"), ``estimate_pct``, ``ci_low_pct``,
    ``ci_high_pct`` (None when too thin), ``verdict``, ``naive_pct`` and ``trust``: always
    "event study" (the naive before/after is shown only to explain why it misleads).
    """
    row = result.summary.filter(pl.col("event") == event, pl.col("metric") == "conversion")
    if row.height == 0:
        msg = f"no `{event}` rows in the impact result (estimated: "\
              f"{', '.join(result.summary['event'].unique().sort())})"
        raise ParameterError(msg)
    r = row.row(0, named=True)
    return {"event": event, "metric": "conversion", "estimate_pct": r["estimate_pct"],
            "ci_low_pct": r["ci_low_pct"], "ci_high_pct": r["ci_high_pct"],
            "verdict": r["verdict"], "naive_pct": r["naive_pct"], "trust": "event study"}
