"""The month's headline numbers for ``index.html``, computed in-process from the analyses.

The numbers come from each analysis module's public functions (never re-derived here), so the
index and the reports cannot disagree:

- promises: :func:`audit.promises.audit_promises` + :func:`audit.promises.promise_headline`, on
  the promises made in the month (a cohort, like resolution's), evaluated as of ``as_of``;
- resolution: :func:`audit.resolution.resolution_headline` (cohort: reviews posted in the month);
- impact: :func:`audit.impact.impact_headline` when that module provides it.

The previous month is computed the same way with ``as_of`` moved back one calendar month, so the
two cohorts are compared at the same age (a month-old cohort has had more time to be resolved
and paid than this month's). It is shown only when the previous month has reviews in the data.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING

import polars as pl

from audit.core.dates import parse_month

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

#: Headline metrics in display order: (key, kind). kind drives formatting (audit.core.fmt).
METRICS: tuple[tuple[str, str], ...] = (
    ("promises_broken", "count"),
    ("owed_cny", "cny"),
    ("promises_due", "count"),
    ("broken_rate", "pct"),
    ("resolution_rate", "pct"),
    ("cohort_cases", "count"),
    ("median_hours_to_first_contact", "hours"),
    ("share_within_sla", "pct"),
    ("protocol_breaches", "count"),
    ("unverified_claims", "count"),
    ("explanation_lift", "signed_pct"),
)
#: Changes shown without a good/bad colour (a volume, neither good nor bad in itself).
NEUTRAL = frozenset({"promises_due"})
#: Where a lower value is better (the index colours the change accordingly).
LOWER_IS_BETTER = frozenset({"promises_broken", "owed_cny", "broken_rate", "cohort_cases",
                             "median_hours_to_first_contact", "protocol_breaches",
                             "unverified_claims"})


@dataclass(frozen=True)
class Headline:
    """One month's numbers (``values``), the previous month's (``previous``, may be empty)."""

    month: str
    as_of: date
    values: dict[str, float | int | str | None]
    previous_month: str
    previous_as_of: date
    previous: dict[str, float | int | None]
    notes: tuple[str, ...] = ()

    def frame(self) -> pl.DataFrame:
        """One row per metric: metric, value, previous, change (value - previous)."""
        rows = []
        for key, kind in METRICS:
            v, p = self.values.get(key), self.previous.get(key)
            change = v - p if v is not None and p is not None else None
            rows.append({"metric": key, "kind": kind, "value": _f(v), "previous": _f(p),
                         "change": _f(change)})
        return pl.DataFrame(rows, schema={"metric": pl.String, "kind": pl.String,
                                          "value": pl.Float64, "previous": pl.Float64,
                                          "change": pl.Float64})


def _f(x: float | int | None) -> float | None:
    return None if x is None else round(float(x), 6)


def previous_month(month: str) -> str:
    """The month before ``month`` (YYYY-MM). ``previous_month("2026-01") == "2025-12"``."""
    first, _ = parse_month(month)
    index = first.year * 12 + first.month - 2
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_earlier(day: date) -> date:
    """``day`` one calendar month earlier, clamped to the month's length (31 Mar -> 28/29 Feb)."""
    index = day.year * 12 + day.month - 2
    year, month = index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _end(day: date) -> datetime:
    return datetime.combine(day, time.max)


def _shop_filter(frame: pl.LazyFrame, shop: str) -> pl.LazyFrame:
    return frame.filter(pl.col("shop_id") == shop) if shop else frame


def promise_numbers(tables: Mapping[str, pl.LazyFrame], *, month: str, as_of: date,
                    shop: str = "") -> dict[str, float | int | None]:
    """Promises made in ``month`` (and ``shop``): how many are broken and what is still owed.

    ``promises_broken`` counts broken and partially kept promises (money still owed after the
    due date); ``owed_cny`` is what is still owed on them as of ``as_of``.
    """
    from audit.promises.analysis import PromiseAudit, audit_promises, promise_headline

    first, last = parse_month(month)
    audit = audit_promises(tables["promises"], tables["fulfilments"], tables["cases"],
                           tables["reviews"], tables["agents"], as_of=_end(as_of))
    in_month = pl.col("promised_at").dt.date().is_between(first, last)
    cohort = PromiseAudit(
        promises=_shop_filter(audit.promises.analysis, shop).filter(in_month),
        payments=_shop_filter(audit.payments, shop).filter(
            pl.col("executed_at").dt.date().is_between(first, last)),
    )
    h = promise_headline(cohort)
    return {"promises_made": h["promises"], "promises_due": h["due"],
            "promises_broken": h["broken"] + h["partial"], "broken_rate": h["broken_rate"]
            if h["due"] else None, "owed_cny": h["owed_cny"]}


def resolution_numbers(tables: Mapping[str, pl.LazyFrame], *, month: str, as_of: date,
                       shop: str = "") -> dict[str, float | int | None]:
    """Reviews posted in ``month``: resolution rate, time to first contact, protocol issues."""
    from audit.resolution.analysis import resolution_headline

    h = resolution_headline(tables, month=month, as_of=_end(as_of), shop=shop or None)
    return {"resolution_rate": h["rate"], "cohort_cases": h["cohort_cases"],
            "median_hours_to_first_contact": h["median_hours_to_first_contact"],
            "share_within_sla": h["share_within_sla"], "protocol_breaches": h["breaches"],
            "unverified_claims": h["unverified_claims"]}


def impact_numbers(tables: Mapping[str, pl.LazyFrame], *, month: str, as_of: date,
                   shop: str = "") -> dict[str, float | int | str | None]:
    """The explanations' estimated lift on conversion (a fraction: 0.12 = +12%).

    The event study pools every explanation in the panel (a month alone is too thin), exactly
    as the impact report does, so ``month`` and ``as_of`` do not change it; the verdict ("lift",
    "no clear effect", "too thin to answer", ...) travels with it, and a number the analysis
    refuses to show (too thin) stays empty here too.
    """
    from audit.impact.analysis import estimate_impact, impact_headline

    result = estimate_impact(tables["sales_daily"], tables["reviews"], events=("explanation",),
                             shop=shop or None)
    h = impact_headline(result, event="explanation")

    def frac(x: float | None) -> float | None:
        return None if x is None else x / 100.0

    return {"explanation_lift": frac(h["estimate_pct"]),
            "explanation_lift_ci_low": frac(h["ci_low_pct"]),
            "explanation_lift_ci_high": frac(h["ci_high_pct"]),
            "explanation_lift_verdict": h["verdict"]}


def _month_numbers(tables: Mapping[str, pl.LazyFrame], *, month: str, as_of: date, shop: str,
                   notes: list[str], impact: bool = True,
                   skip: Collection[str] = ()) -> dict[str, float | int | None]:
    values: dict[str, float | int | None] = {}
    parts = [("promises", promise_numbers), ("resolution", resolution_numbers)]
    if impact:
        parts.append(("impact", impact_numbers))
    for name, part in parts:
        if name in skip:
            continue
        try:
            values.update(part(tables, month=month, as_of=as_of, shop=shop))
        except (ImportError, AttributeError) as exc:
            # The analysis is not installed in this build: show "n/a", say why in the pack.
            note = f"{name} headline unavailable: {exc}"
            if note not in notes:
                notes.append(note)
    return values


def has_reviews(tables: Mapping[str, pl.LazyFrame], *, month: str, shop: str = "") -> bool:
    """True when the data hold at least one review posted in ``month`` (and ``shop``)."""
    first, last = parse_month(month)
    n = (_shop_filter(tables["reviews"], shop)
         .filter(pl.col("reviewed_at").dt.date().is_between(first, last))
         .select(pl.len()).collect().item())
    return n > 0


def compute_headline(tables: Mapping[str, pl.LazyFrame], *, month: str, as_of: date,
                     shop: str = "", skip: Collection[str] = ()) -> Headline:
    """Compute the month's and the previous month's headline numbers (module docstring).

    ``skip``: parts (promises, resolution, impact) whose inputs were not exported; their numbers
    stay empty (shown as "—"), never 0.
    """
    notes: list[str] = []
    values = _month_numbers(tables, month=month, as_of=as_of, shop=shop, notes=notes, skip=skip)
    prev = previous_month(month)
    prev_as_of = month_earlier(as_of)
    previous: dict[str, float | int | None] = {}
    if has_reviews(tables, month=prev, shop=shop):
        # The explanation lift is estimated over the whole panel, not per month: no "change".
        previous = _month_numbers(tables, month=prev, as_of=prev_as_of, shop=shop, notes=notes,
                                  impact=False, skip=skip)
    return Headline(month, as_of, values, prev, prev_as_of, previous, tuple(notes))
