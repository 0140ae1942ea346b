"""The stacked event-study design: item-day arrays, treated units, cohorts and clean controls.

Why this design (the demo's events are dense: an item gets a neutral/negative review every few
days, and most of them are explained a few days later, so event windows overlap):

- The unit is an **item-day with exactly one neutral/negative review posted** (item i, day p).
  It is *treated* on day e, the first day its review was explained (or resolved).
- Its **cohort** is (shop, rating, p, e, other-event state). Its **clean controls** are the
  other units of the same shop whose review of the same rating was posted the *same day p* and
  was still *not* explained (resolved) on day e + window: "not-yet-treated" controls in the
  sense of Callaway & Sant'Anna (2021), stacked per cohort as in Cengiz et al. (2019).
- Treated and controls therefore share the review's own dip and self-recovery (the reason a
  before/after comparison is biased), the shop's daily campaigns and the weekday pattern; what
  differs inside the window is only the explanation. Other reviews and explanations on the same
  items, before or during the window, happen at times that do not depend on this unit's
  treatment day, so they add noise but no bias (they balance in expectation).
- The *other* event (resolution when estimating explanations and vice versa) must not happen
  inside either group's window, and whether it happened before the window is matched: if
  resolution and explanation are correlated in a shop, one effect cannot leak into the other.

This module only builds index arrays; :mod:`audit.impact.stats` does the arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, get_args

import numpy as np
import polars as pl

EventName = Literal["explanation", "resolution"]
EVENTS: tuple[str, ...] = get_args(EventName)
#: Other event held fixed inside the window when estimating each event.
OTHER_EVENT: dict[str, str] = {"explanation": "resolution", "resolution": "explanation"}
#: Sentinel day index for "never (within the data)".
NEVER = 1 << 30


@dataclass(frozen=True)
class Panel:
    """Dense item x day arrays of the sales panel (rows: items, columns: days)."""

    items: pl.DataFrame  # i, shop_id, item_id
    first_day: np.datetime64
    visitors: np.ndarray
    orders: np.ndarray
    review_page_views: np.ndarray
    present_cum: np.ndarray  # items x (days + 1): running count of days with a sales row

    @property
    def n_days(self) -> int:
        """Number of calendar days the arrays cover."""
        return self.visitors.shape[1]

    def covered(self, item: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
        """Whether item has a sales row on every day of [start, stop] (inclusive)."""
        ok = (start >= 0) & (stop < self.n_days)
        s, t = np.clip(start, 0, self.n_days - 1), np.clip(stop, 0, self.n_days - 1)
        n = self.present_cum[item, t + 1] - self.present_cum[item, s]
        return ok & (n == t - s + 1)


@dataclass(frozen=True)
class Design:
    """Treated units, their cohorts and the (cohort, control item) pairs of one event type."""

    event: str
    window: int
    unit_item: np.ndarray  # per treated unit: item row
    unit_day: np.ndarray  # per treated unit: event day index e
    unit_cohort: np.ndarray  # per treated unit: cohort index
    cohort_day: np.ndarray  # per cohort: e
    pair_cohort: np.ndarray  # per control pair: cohort index
    pair_item: np.ndarray  # per control pair: item row
    unit_posted: np.ndarray  # per treated unit: its review's posting day p
    unit_rating: np.ndarray  # per treated unit: its review's rating
    pair_posted: np.ndarray  # per control pair: p
    pair_rating: np.ndarray  # per control pair: rating
    shift: int = 0  # placebo: event days moved this many days earlier

    @property
    def n_treated_items(self) -> int:
        """Distinct items among the treated units."""
        return int(np.unique(self.unit_item).size)

    @property
    def n_control_items(self) -> int:
        """Distinct items among the controls."""
        return int(np.unique(self.pair_item).size)


def build_panel(sales: pl.DataFrame) -> Panel:
    """Dense arrays from a ``sales_daily`` frame (duplicated item-days are summed)."""
    items = (sales.select("shop_id", "item_id").unique().sort("shop_id", "item_id")
             .with_row_index("i"))
    if sales.height == 0:
        z = np.zeros((0, 0))
        return Panel(items, np.datetime64("1970-01-01", "D"), z, z, z, np.zeros((0, 1), np.int64))
    first = sales["date"].min()
    n_days = (sales["date"].max() - first).days + 1
    day = sales.join(items, on=["shop_id", "item_id"]).select(
        "i", "visitors", "orders", "review_page_views",
        d=(pl.col("date") - pl.lit(first)).dt.total_days(),
    )
    shape = (items.height, n_days)
    # One flat index per item-day; bincount sums duplicates (no group-by over string keys).
    flat = day["i"].to_numpy().astype(np.int64) * n_days + day["d"].to_numpy()
    size = shape[0] * n_days

    def dense(col: str) -> np.ndarray:
        return np.bincount(flat, weights=day[col].to_numpy().astype(float),
                           minlength=size).reshape(shape)

    present = (np.bincount(flat, minlength=size) > 0).reshape(shape)
    cum = np.zeros((shape[0], n_days + 1), dtype=np.int64)
    np.cumsum(present, axis=1, out=cum[:, 1:])
    return Panel(items, np.datetime64(first, "D"), dense("visitors"), dense("orders"),
                 dense("review_page_views"), cum)


def review_units(events: pl.DataFrame) -> pl.DataFrame:
    """Keep the units: item-days with exactly one neutral/negative review.

    Item-days with several reviews are left out: which of them a later explanation belongs to
    would be ambiguous for the item's conversion. Their events still count as "other events".
    """
    return events.filter(pl.len().over("i", "p") == 1)


def review_events(reviews: pl.DataFrame, panel: Panel) -> pl.DataFrame:
    """One row per neutral/negative review on an item of the panel, with its event days.

    Columns: i (item row), shop_id, rating, p (posting day index), explanation and resolution
    (first day index of each event, ``NEVER`` when it did not happen). Resolution follows
    docs/interfaces.md: revised to positive, or removed, within 30 days of the review.
    """
    first = panel.first_day.astype(object)

    def day_index(col: pl.Expr) -> pl.Expr:
        return (col.dt.date() - pl.lit(first)).dt.total_days()

    limit = pl.col("reviewed_at") + timedelta(days=30)
    resolved_at = pl.min_horizontal(
        pl.when((pl.col("revised_rating") == "positive") & (pl.col("revised_at") <= limit))
        .then(pl.col("revised_at")),
        pl.when(pl.col("removed_at") <= limit).then(pl.col("removed_at")),
    )
    return (
        reviews.filter(pl.col("rating").is_in(["neutral", "negative"]))
        .join(panel.items, on=["shop_id", "item_id"], how="inner")
        .select(
            "i", "shop_id", "rating",
            p=day_index(pl.col("reviewed_at")),
            explanation=day_index(pl.col("explained_at")).fill_null(NEVER),
            resolution=day_index(resolved_at).fill_null(NEVER),
        )
        .sort("i", "p")
    )


def build_design(units: pl.DataFrame, panel: Panel, *, event: str, window: int,
                 shift: int = 0) -> Design:
    """Treated units, cohorts and clean control pairs for ``event`` (see module doc).

    ``shift`` moves every event day ``shift`` days earlier (the placebo) while keeping the
    cohorts and controls of the real event days.
    """
    other, w = OTHER_EVENT[event], window
    u = units.with_columns(e=pl.col(event), o=pl.col(other))
    treated = u.filter(pl.col("e") >= pl.col("p"), pl.col("e") < NEVER)
    # The other event must stay outside the window; whether it came before is matched.
    treated = treated.filter((pl.col("o") < pl.col("e") - w) | (pl.col("o") > pl.col("e") + w))
    treated = treated.with_columns(o_before=pl.col("o") < pl.col("e") - w)
    ok = panel.covered(treated["i"].to_numpy(), treated["e"].to_numpy() - shift - w,
                       treated["e"].to_numpy() - shift + w)
    treated = treated.filter(pl.Series(ok))
    key = ["shop_id", "rating", "p"]
    cohorts = (treated.select(*key, "e", "o_before").unique().sort(*key, "e", "o_before")
               .with_row_index("g"))
    cand = u.select(*key, "i", c_e="e", c_o="o")
    pairs = (
        cohorts.join(cand, on=key, how="inner")
        .filter(
            pl.col("c_e") > pl.col("e") + w,
            (pl.col("c_o") < pl.col("e") - w) | (pl.col("c_o") > pl.col("e") + w),
            (pl.col("c_o") < pl.col("e") - w) == pl.col("o_before"),
        )
    )
    pok = panel.covered(pairs["i"].to_numpy(), pairs["e"].to_numpy() - shift - w,
                        pairs["e"].to_numpy() - shift + w)
    pairs = pairs.filter(pl.Series(pok)).sort("g", "i")
    # Keep only cohorts that have at least one control.
    with_ctrl = pairs["g"].unique()
    treated = treated.join(cohorts, on=[*key, "e", "o_before"]).filter(
        pl.col("g").is_in(with_ctrl.implode())).sort("g", "i")
    cohorts = cohorts.filter(pl.col("g").is_in(with_ctrl.implode()))
    remap = cohorts.select("g").with_row_index("gg")
    treated = treated.join(remap, on="g")
    pairs = pairs.join(remap, on="g")
    return Design(
        event=event,
        window=w,
        unit_item=treated["i"].to_numpy().astype(np.int64),
        unit_day=treated["e"].to_numpy().astype(np.int64) - shift,
        unit_cohort=treated["gg"].to_numpy().astype(np.int64),
        cohort_day=cohorts["e"].to_numpy().astype(np.int64) - shift,
        pair_cohort=pairs["gg"].to_numpy().astype(np.int64),
        pair_item=pairs["i"].to_numpy().astype(np.int64),
        unit_posted=treated["p"].to_numpy().astype(np.int64),
        unit_rating=treated["rating"].to_numpy(),
        pair_posted=pairs["p"].to_numpy().astype(np.int64),
        pair_rating=pairs["rating"].to_numpy(),
        shift=shift,
    )
