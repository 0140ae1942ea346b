"""Do public explanations and resolved reviews lift sales? Two designs on the daily panel.

One public entry point, :func:`estimate_impact`, returns the two output tables of issue 5
(``impact_summary``, ``event_study``, extended by issue 14) and the descriptive mean paths for
the notebook; :func:`impact_headline` condenses it for the monthly index page.

The headline design (issue 14) is the Poisson fixed-effects event study on the whole item-day
panel (:mod:`audit.robust.panel_fe`): every item is used, calendar shocks are absorbed by one
effect per shop and day, and each review's own dip and recovery is modelled by its age, rating
and complaint tier (from the handling log), so explaining first the reviews that would recover
fastest anyway does not pass for an effect. Its rows carry the estimand (orders-weighted and
per-explanation for conversion), the first-vs-later explanation split, the placebo and
pre-trend checks that stop a verdict, and a relative-magnitudes sensitivity.

The stacked design (:mod:`audit.impact.design`, :mod:`audit.impact.stats`) is kept as a
robustness row: each explained review against reviews of the same shop and rating posted the
same day but not yet explained, with item-clustered bootstrap intervals. It is also where the
naive before/after comes from (reported so the report can show why it misleads). Both designs'
verdicts come from one rule, :func:`audit.robust.panel_fe.verdict`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits

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
from audit.robust.panel_fe import DROP as DROP  # the verdicts, re-exported for the views
from audit.robust.panel_fe import LIFT as LIFT
from audit.robust.panel_fe import MAX_HALF_WIDTH, breakdown_mbar, estimate_panel_impact, verdict
from audit.robust.panel_fe import NO_EFFECT as NO_EFFECT
from audit.robust.panel_fe import PRETREND as PRETREND
from audit.robust.panel_fe import THIN as THIN

if TYPE_CHECKING:
    from collections.abc import Iterable

#: Columns of impact_summary.csv and event_study.csv (issue 5, extended by issue 14), in order.
SUMMARY_COLUMNS: tuple[str, ...] = (
    "event", "metric", "design", "estimand", "group", "estimate_pct", "ci_low_pct",
    "ci_high_pct", "half_width_pct", "n_events", "n_treated", "n_control", "pretrend_p",
    "placebo_estimate_pct", "breakdown_mbar", "naive_pct", "verdict",
)
EVENT_STUDY_COLUMNS: tuple[str, ...] = (
    "event", "metric", "design", "estimand", "day", "estimate_pct", "ci_low_pct", "ci_high_pct",
)
#: The designs: the whole-panel event study (the headline) and the stacked comparison (kept as
#: a robustness row).
PANEL = "panel"
STACKED = "stacked"
#: The stacked design's estimand: its treated units, each weighted by its own pre-window level.
MATCHED = "matched units"
#: Estimand and group of the headline row of every (event, metric).
HEADLINE_ESTIMAND = "orders-weighted"
HEADLINE_GROUP = "all"
#: The stacked bootstrap needs this many treated and control items to estimate a variance at
#: all; below it the robustness row has no interval (and so is "too thin").
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
        raise ParameterError.worded(key="error.window", max=MAX_WINDOW, value=window)
    return window


def _collect(frame: pl.LazyFrame | pl.DataFrame, columns: list[str],
             optional: tuple[str, ...] = ()) -> pl.DataFrame:
    lazy = frame.lazy() if isinstance(frame, pl.DataFrame) else frame
    names = set(lazy.collect_schema().names())
    return lazy.select([c for c in columns if c not in optional or c in names]).collect()


def _pct(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else round(100.0 * x, 3)


def estimate_impact(  # noqa: PLR0913 - the job's knobs, all keyword-only
    sales: pl.LazyFrame | pl.DataFrame,
    reviews: pl.LazyFrame | pl.DataFrame,
    *,
    tiers: pl.LazyFrame | pl.DataFrame | None = None,
    events: Iterable[str] = EVENTS,
    window: int = 14,
    shop: str | None = None,
    n_boot: int = 199,
    seed: int = 20_261_123,
    min_items: int = MIN_ITEMS,
    adjust: bool = True,
    max_half_width: float = MAX_HALF_WIDTH,
) -> ImpactResult:
    """Effect of explanations and resolutions on conversion, traffic, review-page views, orders.

    Parameters
    ----------
    sales
        Canonical ``sales_daily`` (one row per item per day).
    reviews
        Canonical ``reviews`` (neutral/negative ones are used; resolution = revised to positive
        or removed within 30 days, as in docs/interfaces.md).
    tiers
        ``review_id`` and ``category`` (the handling log, ``cases``): the complaint tier, which
        predicts how fast a review's dip recovers. None: recovery by rating only.
    events
        Any of ``explanation``, ``resolution``.
    window
        Days after the event (1..29) the estimate covers (days 0..window).
    shop
        Only this shop_id (None: all shops).
    n_boot
        Bootstrap replicates of the stacked robustness row (items resampled as clusters, seeded
        by ``seed``).
    min_items
        The stacked row's bootstrap needs this many distinct treated and control items.
    adjust
        Adjust the stacked row for the other events on the same items
        (:mod:`audit.impact.adjust`). False gives the plain stacked comparison.
    max_half_width
        Half-width of the 95% interval, in points, above which a row is "too thin to answer":
        the data cannot tell the effect from zero (information, not a count of items).

    Returns
    -------
    ImpactResult: per (event, metric) the panel's headline row (orders-weighted, all
    explanations), for conversion also the per-explanation estimand and the first/later split,
    then the stacked robustness row; the by-day event study of both designs; the paths.
    """
    events = tuple(events)
    bad = [e for e in events if e not in EVENTS]
    if bad:
        msg = f"event must be one of {', '.join(EVENTS)}, got {bad[0]!r}"
        raise ParameterError(msg)
    check_window(window)
    sales_df = _collect(sales, ["shop_id", "item_id", "date", "visitors", "orders",
                                "review_page_views"])
    reviews_df = _collect(reviews, ["review_id", "shop_id", "item_id", "rating", "reviewed_at",
                                    "explained_at", "revised_rating", "revised_at", "removed_at"],
                          optional=("review_id",))  # only to join the tiers
    sales_df, reviews_df = for_shop(sales_df, shop), for_shop(reviews_df, shop)
    # One BLAS thread: the products and solves here are small and many, and on a shared
    # machine extra threads only spin (measured: 67 CPU-s with default threads, 24 with one,
    # for the same job at 10,000 items x 365 days under load).
    with threadpool_limits(1):
        stacked, stacked_study, paths = _stacked(
            sales_df, reviews_df, events=events, window=window, n_boot=n_boot, seed=seed,
            min_items=min_items, adjust=adjust, max_half_width=max_half_width)
        panel, panel_study = _panel(sales_df, reviews_df, tiers=tiers, events=events,
                                    window=window, max_half_width=max_half_width,
                                    stacked=stacked)
    summary = pl.concat([f.select(SUMMARY_COLUMNS) for f in (panel, stacked)])
    order = {e: k for k, e in enumerate(events)}
    metric_order = {m: k for k, m in enumerate(METRICS)}
    summary = summary.sort(pl.col("event").replace_strict(order),
                           pl.col("metric").replace_strict(metric_order),
                           pl.col("design") != PANEL, maintain_order=True)
    return ImpactResult(
        summary=summary,
        event_study=pl.concat([f.select(EVENT_STUDY_COLUMNS).cast(_study_schema())
                               for f in (panel_study, stacked_study)]),
        paths=pl.concat(paths).select("event", pl.exclude("event")) if paths else pl.DataFrame(),
    )


def _panel(sales: pl.DataFrame, reviews: pl.DataFrame, *, tiers: pl.LazyFrame | pl.DataFrame |
           None, events: tuple[str, ...], window: int, max_half_width: float,
           stacked: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The whole-panel rows: every metric orders-weighted; conversion also per explanation.

    The first/later split is kept for conversion (where saturation shows); the naive number is
    the stacked design's (it describes the same explained reviews).
    """
    if sales.height == 0:
        return _no_panel(stacked), pl.DataFrame(schema=_study_schema())
    kw = {"tiers": tiers, "events": events, "window": window, "max_half_width": max_half_width}
    main = estimate_panel_impact(sales, reviews, metrics=tuple(METRICS),
                                 weightings=(HEADLINE_ESTIMAND,),
                                 extra_fits=(("conversion", "per-explanation"),), **kw)
    rows = main.summary.filter(
        (pl.col("group") == HEADLINE_GROUP)
        | ((pl.col("metric") == "conversion") & (pl.col("estimand") == HEADLINE_ESTIMAND)))
    naive = stacked.select("event", "metric", "naive_pct")
    hidden = ("estimate_pct", "ci_low_pct", "ci_high_pct", "pretrend_p", "placebo_pct",
              "breakdown_mbar")  # a number too thin to answer is not shown
    summary = (rows.join(naive, on=["event", "metric"], how="left")
               .with_columns(pl.when(pl.col("verdict") != THIN).then(pl.col(c)).alias(c)
                             for c in hidden)
               .with_columns(design=pl.lit(PANEL), n_treated=pl.col("n_items"),
                             n_control=pl.col("n_control_items"),
                             placebo_estimate_pct=pl.col("placebo_pct"),
                             pretrend_p=pl.col("pretrend_p").round(4)))
    study = main.event_study.sort("estimand", "event", "metric", "day").with_columns(
        design=pl.lit(PANEL))  # the headline estimand's days first
    return summary, study


def _no_panel(stacked: pl.DataFrame) -> pl.DataFrame:
    """The whole-panel rows when there are no item-days at all (a shop without sales).

    Nothing to fit, so every row is "too thin to answer", with the rows and columns of a panel.
    """
    numbers = ("estimate_pct", "ci_low_pct", "ci_high_pct", "half_width_pct", "pretrend_p",
               "placebo_estimate_pct", "breakdown_mbar")
    base = stacked.with_columns(pl.lit(None, dtype=stacked.schema[c]).alias(c) for c in numbers)
    base = base.with_columns(design=pl.lit(PANEL), verdict=pl.lit(THIN))
    conversion = base.filter(pl.col("metric") == "conversion")
    return pl.concat([
        base.with_columns(estimand=pl.lit(HEADLINE_ESTIMAND), group=pl.lit(HEADLINE_GROUP)),
        conversion.with_columns(estimand=pl.lit("per-explanation"), group=pl.lit(HEADLINE_GROUP)),
        *(conversion.with_columns(estimand=pl.lit(HEADLINE_ESTIMAND), group=pl.lit(g))
          for g in ("first", "later")),
    ])


def _stacked(sales: pl.DataFrame, reviews: pl.DataFrame, *, events: tuple[str, ...], window: int,
             n_boot: int, seed: int, min_items: int, adjust: bool, max_half_width: float,
             ) -> tuple[pl.DataFrame, pl.DataFrame, list[pl.DataFrame]]:
    """The stacked same-day comparison: one robustness row per (event, metric), and the paths."""
    panel = build_panel(sales)
    events_all = review_events(reviews, panel)
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
            summary.append(_summary_row(event, metric, est[metric], plc[metric], design, thin,
                                        max_half_width))
            study.append(_study_rows(event, metric, est[metric], thin))
        paths.append(mean_paths(panel, design).with_columns(event=pl.lit(event)))
    frame = pl.DataFrame(summary, schema=_summary_schema(), orient="row")
    study_frame = pl.concat(study) if study else pl.DataFrame(schema=_study_schema())
    return frame, study_frame, paths


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
    types = {"event": s, "metric": s, "design": s, "estimand": s, "group": s, "n_events": i,
             "n_treated": i, "n_control": i, "verdict": s}
    return {c: types.get(c, f) for c in SUMMARY_COLUMNS}


def _study_schema() -> dict[str, pl.DataType]:
    f, s = pl.Float64(), pl.String()
    types = {"event": s, "metric": s, "design": s, "estimand": s, "day": pl.Int64()}
    return {c: types.get(c, f) for c in EVENT_STUDY_COLUMNS}


def _stacked_mbar(est: Estimate, lo: float, hi: float) -> float:
    """The relative-magnitudes breakdown of a stacked row (as the panel's, on its own leads).

    The pre-period deviation is the larger of the two lead blocks' mean log change (days
    -window..-2 in halves; day -1 is implied by the pre-window normalisation).
    """
    lead = est.by_day[est.days < -1]
    if lead.size == 0 or not np.all(lead > -1) or not (lo > -1 and hi > -1):
        return float("nan")
    blocks = np.array_split(np.log1p(lead), min(2, lead.size))
    pre_dev = max(abs(float(b.mean())) for b in blocks)
    return breakdown_mbar(float(np.log1p(lo)), float(np.log1p(hi)), pre_dev)


def _summary_row(event: str, metric: str, est: Estimate, plc: Estimate, design: Design,  # noqa: PLR0913
                 thin: bool, max_half_width: float) -> dict[str, object]:  # noqa: FBT001
    lo, hi = est.interval() if not thin else (float("nan"), float("nan"))
    p = est.pretrend_p()
    v = verdict(lo, hi, pretrend_p=p, placebo_lo=float("nan"), placebo_hi=float("nan"),
                max_half_width=max_half_width)
    shown = v != THIN
    return {
        "event": event, "metric": metric, "design": STACKED, "estimand": MATCHED,
        "group": HEADLINE_GROUP,
        "estimate_pct": _pct(est.overall) if shown else None,
        "ci_low_pct": _pct(lo) if shown else None,
        "ci_high_pct": _pct(hi) if shown else None,
        "half_width_pct": _pct((hi - lo) / 2),
        "n_events": int(design.unit_item.size),
        "n_treated": design.n_treated_items, "n_control": design.n_control_items,
        "pretrend_p": (round(p, 4) if np.isfinite(p) else None) if shown else None,
        "placebo_estimate_pct": _pct(plc.overall) if shown else None,
        "breakdown_mbar": _stacked_mbar(est, lo, hi) if shown else None,
        "naive_pct": _pct(est.naive),
        "verdict": v,
    }


def _study_rows(event: str, metric: str, est: Estimate, thin: bool) -> pl.DataFrame:  # noqa: FBT001
    lo, hi = est.day_intervals()
    vals = [est.by_day, lo, hi]
    if thin:
        vals = [np.full(est.days.size, np.nan)] * 3
    return pl.DataFrame({
        "event": event, "metric": metric, "design": STACKED, "estimand": MATCHED,
        "day": est.days.astype(np.int64),
        "estimate_pct": np.round(100 * vals[0], 3), "ci_low_pct": np.round(100 * vals[1], 3),
        "ci_high_pct": np.round(100 * vals[2], 3),
    }, schema=_study_schema()).with_columns(pl.col("^.*_pct$").fill_nan(None))


def headline_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """The headline rows of a summary or event-study frame (one per event and metric).

    Headline = the whole-panel design, orders-weighted, all explanations (per day in the event
    study, which has no group).
    """
    keep = (pl.col("design") == PANEL) & (pl.col("estimand") == HEADLINE_ESTIMAND)
    if "group" in frame.columns:
        keep &= pl.col("group") == HEADLINE_GROUP
    return frame.filter(keep)


def impact_headline(result: ImpactResult, *, event: str = "explanation") -> dict[str, object]:
    """Return the one number for the monthly index page: the event's lift on conversion.

    Returns
    -------
    dict with ``event``, ``metric`` ("conversion"), ``estimand``, ``estimate_pct``,
    ``ci_low_pct``, ``ci_high_pct`` (None when too thin), ``breakdown_mbar``, ``verdict``,
    ``naive_pct`` and ``trust``: always "event study" (the naive before/after is shown only to
    explain why it misleads).
    """
    row = headline_rows(result.summary).filter(pl.col("event") == event,
                                               pl.col("metric") == "conversion")
    if row.height == 0:
        msg = f"no `{event}` rows in the impact result (estimated: "\
              f"{', '.join(result.summary['event'].unique().sort())})"
        raise ParameterError(msg)
    r = row.row(0, named=True)
    shown = r["verdict"] != THIN
    return {"event": event, "metric": "conversion", "estimand": r["estimand"],
            "estimate_pct": r["estimate_pct"] if shown else None,
            "ci_low_pct": r["ci_low_pct"] if shown else None,
            "ci_high_pct": r["ci_high_pct"] if shown else None,
            "breakdown_mbar": r["breakdown_mbar"] if shown else None,
            "verdict": r["verdict"], "naive_pct": r["naive_pct"], "trust": "event study"}
