"""The month's headline numbers for ``index.html``, assembled from the jobs' views.

Nothing is computed here: each number is read from the view that the report page, the Excel
list and the CSVs also show (:mod:`audit.promises.views`, :mod:`audit.resolution.views`,
:mod:`audit.impact.views`), under the same definition:

- promises: the promises made in the month (a cohort, like resolution's) as of the audit date:
  ``promises_broken_or_partial`` (broken + partly kept: the card says "broken or partly kept"),
  what is still owed on them, promises due, the broken-or-partial share; and the promises to
  chase now, of any month (the Excel list's rows and money);
- resolution: the reviews posted in the month, resolved within the platform's 30 days;
- impact: the explanations' lift on conversion, pooled over all the data (an all-period figure,
  marked so on its card, with no monthly change).

The previous month is analysed the same way with the audit date moved back one calendar month,
so two cohorts are compared at the same age. Changes are computed from the values as shown
(:func:`audit.core.fmt.change`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from audit.core.fmt import change, shown

if TYPE_CHECKING:
    from datetime import date

    from audit.impact.views import ImpactViews
    from audit.promises.views import PromiseViews
    from audit.resolution.views import ResolutionViews
    from audit.review.views import ReviewViews

#: Headline metrics in display order: (key, kind). kind drives formatting (audit.core.fmt).
METRICS: tuple[tuple[str, str], ...] = (
    ("promises_broken_or_partial", "count"),
    ("owed_cny", "cny"),
    ("promises_due", "count"),
    ("broken_rate", "pct"),
    ("promises_to_chase", "count"),
    ("owed_to_chase_cny", "cny"),
    ("resolution_rate", "pct"),
    ("cohort_cases", "count"),
    ("median_hours_to_first_contact", "hours"),
    ("share_within_sla", "pct"),
    ("protocol_breaches", "count"),
    ("unverified_claims", "count"),
    ("explanation_lift", "signed_pct"),
)
KINDS: dict[str, str] = dict(METRICS)
#: Changes shown without a good/bad colour (a volume, neither good nor bad in itself).
NEUTRAL = frozenset({"promises_due"})
#: Where a lower value is better (the index colours the change accordingly).
LOWER_IS_BETTER = frozenset({"promises_broken_or_partial", "owed_cny", "broken_rate",
                             "promises_to_chase", "owed_to_chase_cny", "cohort_cases",
                             "median_hours_to_first_contact", "protocol_breaches",
                             "unverified_claims"})
#: All-period figures: never compared with a previous month.
ALL_PERIOD = frozenset({"explanation_lift"})

Values = dict[str, float | int | str | None]


@dataclass(frozen=True)
class Headline:
    """One month's numbers (``values``), the previous month's (``previous``, may be empty)."""

    month: str
    as_of: date
    values: Values
    previous_month: str
    previous_as_of: date
    previous: Values
    notes: tuple[str, ...] = ()

    def change(self, key: str) -> float | None:
        """The change of ``key`` from the previous month, from the values as shown."""
        if key in ALL_PERIOD:
            return None
        return change(self.values.get(key), self.previous.get(key), KINDS[key])  # type: ignore[arg-type]

    def frame(self) -> pl.DataFrame:
        """One row per metric: metric, kind, value, previous, change (values as shown)."""
        rows = [{"metric": key, "kind": kind, "value": shown(self.values.get(key), kind),  # type: ignore[arg-type]
                 "previous": shown(self.previous.get(key), kind),  # type: ignore[arg-type]
                 "change": self.change(key)}
                for key, kind in METRICS]
        return pl.DataFrame(rows, schema={"metric": pl.String, "kind": pl.String,
                                          "value": pl.Float64, "previous": pl.Float64,
                                          "change": pl.Float64})


def promise_numbers(views: PromiseViews) -> Values:
    """The promise cards: the month's cohort (``month_headline``) and the chase list."""
    h = views.month_headline
    return {"promises_made": h["promises"], "promises_due": h["due"],
            "promises_broken_or_partial": h["broken_or_partial"], "broken_rate": h["broken_rate"],
            "owed_cny": h["owed_cny"], "promises_to_chase": views.headline["to_chase"],
            "owed_to_chase_cny": views.headline["to_chase_cny"]}


def resolution_numbers(views: ResolutionViews) -> Values:
    """The resolution cards: the month's cohort of reviews."""
    h = views.headline
    return {"resolution_rate": h["rate"], "cohort_cases": h["cohort_cases"],  # type: ignore[dict-item]
            "median_hours_to_first_contact": h["median_hours_to_first_contact"],
            "share_within_sla": h["share_within_sla"], "protocol_breaches": h["breaches"],
            "unverified_claims": h["unverified_claims"]}


def impact_numbers(views: ImpactViews) -> Values:
    """The impact card: the explanations' lift on conversion (a fraction: 0.12 = +12%).

    A number the analysis refuses to show (too thin) stays empty here too; the verdict travels
    with it.
    """
    h = views.headline

    def frac(key: str) -> float | None:
        x = h.get(key)
        return None if x is None else float(x) / 100.0  # type: ignore[arg-type]

    return {"explanation_lift": frac("estimate_pct"),
            "explanation_lift_ci_low": frac("ci_low_pct"),
            "explanation_lift_ci_high": frac("ci_high_pct"),
            "explanation_lift_verdict": h.get("verdict")}  # type: ignore[dict-item]


@dataclass(frozen=True)
class MonthViews:
    """The views of one month (a part is None when its exports are absent)."""

    promises: PromiseViews | None = None
    resolution: ResolutionViews | None = None
    impact: ImpactViews | None = None
    review: ReviewViews | None = None

    def numbers(self) -> Values:
        """Every headline number these views hold."""
        values: Values = {}
        if self.promises is not None:
            values.update(promise_numbers(self.promises))
        if self.resolution is not None:
            values.update(resolution_numbers(self.resolution))
        if self.impact is not None:
            values.update(impact_numbers(self.impact))
        return values
