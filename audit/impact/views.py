"""Words and display tables for the impact report: what a manager reads, built from the result.

Numbers for managers: % with one decimal and a sign. The verdict says in plain words which number
to trust (the event study) and why the naive before/after misleads.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from audit.core.fmt import DASH, fmt_ratio, fmt_signed_pct
from audit.core.labels import check_lang, label
from audit.impact.analysis import (
    HEADLINE_ESTIMAND,
    PANEL,
    PRETREND,
    STACKED,
    THIN,
    ImpactResult,
    headline_rows,
    impact_headline,
)


def _pct(x: float | None) -> str:
    """A percent change (already in %, e.g. 12.8) as the pack shows it: ``+12.8%``."""
    return fmt_signed_pct(None if x is None else x / 100)


def display_summary(result: ImpactResult, *, lang: str = "en") -> pl.DataFrame:
    """impact_summary formatted for a table: one row per (event, metric), text cells."""
    check_lang(lang)
    rows = []
    for r in result.summary.iter_rows(named=True):
        rows.append({
            "event": label(f"impact.event.{r['event']}", lang),
            "metric": label(f"impact.metric.{r['metric']}", lang),
            "estimate": _pct(r["estimate_pct"]),
            "95% interval": (DASH if r["ci_low_pct"] is None
                             else f"{_pct(r['ci_low_pct'])} … {_pct(r['ci_high_pct'])}"),
            "design": label(f"impact.design.{r['design']}", lang),
            "estimand": label(f"impact.estimand.{r['estimand']}", lang),
            "explanations": label(f"impact.group.{r['group']}", lang),
            "treated / control items": f"{r['n_treated']:,} / {r['n_control']:,}",
            "pre-trend p": DASH if r["pretrend_p"] is None else f"{r['pretrend_p']:.2f}",
            "placebo": _pct(r["placebo_estimate_pct"]),
            "sensitivity (M)": _mbar(r["breakdown_mbar"]),
            "naive before/after (biased)": _pct(r["naive_pct"]),
            "verdict": r["verdict"],
        })
    return pl.DataFrame(rows)


def _mbar(m: float | None) -> str:
    """The breakdown M-bar as a ratio (two decimals); "> 10" beyond, where it stops mattering."""
    if m is None:
        return DASH
    return "> 10" if m > 10 else fmt_ratio(m)  # noqa: PLR2004 - display cap


def _extra(result: ImpactResult, event: str, conv: dict, lang: str) -> str:
    """Estimand, first/later split, sensitivity and the stacked check (labelled sentences)."""
    s = result.summary.filter(pl.col("event") == event, pl.col("metric") == "conversion")

    def row(design: str, estimand: str, group: str) -> dict | None:
        f = s.filter(pl.col("design") == design, pl.col("estimand") == estimand,
                     pl.col("group") == group)
        return f.row(0, named=True) if f.height else None

    def est(r: dict | None) -> str:
        if r is None or r["estimate_pct"] is None:
            return DASH
        return (f"{_pct(r['estimate_pct'])} ({_pct(r['ci_low_pct'])} … "
                f"{_pct(r['ci_high_pct'])})")

    parts = [label("impact.text.estimand", lang).format(
        days=_window(result) + 1, per=est(row(PANEL, "per-explanation", "all")))]
    parts.append(label("impact.text.split", lang).format(
        first=est(row(PANEL, HEADLINE_ESTIMAND, "first")),
        later=est(row(PANEL, HEADLINE_ESTIMAND, "later"))))
    m = conv["breakdown_mbar"]
    parts.append(label("impact.text.sensitivity", lang).format(mbar=_mbar(m)) if m
                 else label("impact.text.sensitivity_none", lang))
    st = row(STACKED, "matched units", "all")
    if st is not None and st["estimate_pct"] is not None:
        parts.append(label("impact.text.check", lang).format(
            est=_pct(st["estimate_pct"]), lo=_pct(st["ci_low_pct"]), hi=_pct(st["ci_high_pct"])))
    return " ".join(parts)


def verdict_text(result: ImpactResult, *, event: str = "explanation", lang: str = "en") -> str:
    """Write a plain-words paragraph (Markdown) for one event: conversion, traffic, trust."""
    s = headline_rows(result.summary).filter(pl.col("event") == event)
    if s.height == 0:
        return f"No `{event}` events were estimated."
    conv = s.filter(pl.col("metric") == "conversion").row(0, named=True)
    vis = s.filter(pl.col("metric") == "visitors").row(0, named=True)
    what = {"explanation": "a public explanation is posted under a neutral/negative review",
            "resolution": "a neutral/negative review is revised to positive or removed"}[event]
    if conv["verdict"] == THIN:
        return (f"**Too thin to answer.** When {what}, the 95% interval would be ±"
                f"{conv['half_width_pct']:.1f} points wide ({conv['n_treated']} items with the "
                "event): no number is shown, rather than a number that would mislead.")
    if conv["verdict"] == PRETREND:
        head = ("**Do not trust this estimate:** items already moved apart before the event "
                f"(pre-trend p = {conv['pretrend_p']:.3f}, placebo "
                f"{_pct(conv['placebo_estimate_pct'])}).")
    elif conv["verdict"] == "lift":
        head = (f"**Yes: conversion rises by about {_pct(conv['estimate_pct'])}** in the "
                f"{_window(result)} days after {what} (95% interval "
                f"{_pct(conv['ci_low_pct'])} to {_pct(conv['ci_high_pct'])}).")
    elif conv["verdict"] == "drop":
        head = (f"**Conversion falls by about {_pct(conv['estimate_pct'])}** after {what} "
                f"(95% interval {_pct(conv['ci_low_pct'])} to {_pct(conv['ci_high_pct'])}).")
    else:
        head = (f"**No clear effect on conversion** after {what}: the 95% interval "
                f"({_pct(conv['ci_low_pct'])} to {_pct(conv['ci_high_pct'])}) includes zero.")
    vis_moved = vis["ci_low_pct"] is not None and not (
        vis["ci_low_pct"] <= 0 <= vis["ci_high_pct"])
    traffic = (
        f"Traffic (visitors) moved too, by {_pct(vis['estimate_pct'])} (95% interval "
        f"{_pct(vis['ci_low_pct'])} to {_pct(vis['ci_high_pct'])}): part of any change in sales "
        "may come from more shoppers; see the traffic vs conversion chart."
        if vis_moved else
        f"Traffic (visitors) did not move ({_pct(vis['estimate_pct'])}), so any change in "
        "sales comes from conversion, not from more shoppers."
    )
    gap = ("" if conv["estimate_pct"] is None or conv["naive_pct"] is None else
           f" (here {abs(conv['naive_pct'] - conv['estimate_pct']):.1f} points away from the "
           "event study)")
    return (
        f"{head} {traffic}\n\n{_extra(result, event, conv, lang)}\n\n"
        f"The naive before/after comparison says {_pct(conv['naive_pct'])}{gap}. **Trust the "
        "event study, not the naive number**: explanations are posted while conversion is still "
        "inside the review's own dip and recovery, and among other reviews and explanations on "
        "the same item, so before/after mixes all of that into its number. The event study "
        "uses every item and day: each item against its own level, each day's shop-wide swings "
        "taken out, and each review's own dip and recovery modelled by its age, rating and "
        "complaint type, so explaining first the reviews that recover fastest anyway is not "
        f"counted as an effect. Checks: pre-trend p = {conv['pretrend_p']}, placebo (the days "
        f"before the event) {_pct(conv['placebo_estimate_pct'])}, {conv['n_treated']:,} items "
        f"with the event and {conv['n_control']:,} without."
    )


def _window(result: ImpactResult) -> int:
    return int(result.event_study["day"].max()) if result.event_study.height else 0


@dataclass(frozen=True)
class ImpactViews:
    """The event study's tables and its headline (the explanation's lift on conversion).

    The estimate pools every event in the panel (a month alone is too thin), so it is an
    all-period figure: the index card says so, and it has no month-on-month change.
    """

    window: int
    headline: dict[str, object]
    summary: pl.DataFrame
    event_study: pl.DataFrame
    paths: pl.DataFrame

    @property
    def result(self) -> ImpactResult:
        """The analysis result these views were built from (for the display helpers)."""
        return ImpactResult(self.summary, self.event_study, self.paths)


def impact_views(result: ImpactResult, *, window: int) -> ImpactViews:
    """The views of one event study (the explanation headline when explanations were estimated)."""
    has_explanation = "explanation" in result.summary["event"].to_list()
    headline = impact_headline(result, event="explanation") if has_explanation else {}
    return ImpactViews(window, headline, result.summary, result.event_study, result.paths)


def summary_lines(result: ImpactResult) -> list[str]:
    """One plain line per (event, metric) of conversion and visitors, with every check.

    The checks are printed with the estimate, never apart from it: pre-trend p-value, placebo,
    numbers of treated and control items, and the naive before/after labelled as misleading.
    """
    lines = []
    rows = result.summary.filter(pl.col("metric").is_in(["conversion", "visitors"]),
                                 pl.col("group") == "all")
    for r in rows.iter_rows(named=True):
        if r["verdict"] == THIN:
            est = "too thin to answer"
        else:
            est = (f"{_pct(r['estimate_pct'])} [95% {_pct(r['ci_low_pct'])} to "
                   f"{_pct(r['ci_high_pct'])}], pre-trend p {r['pretrend_p']}, placebo "
                   f"{_pct(r['placebo_estimate_pct'])}")
        lines.append(f"{r['event']} -> {r['metric']} ({r['design']}, {r['estimand']}): {est}; "
                     f"sensitivity M {_mbar(r['breakdown_mbar'])}; treated items {r['n_treated']}, "
                     f"control items {r['n_control']}; naive before/after "
                     f"{_pct(r['naive_pct'])} (biased, do not use); verdict: {r['verdict']}")
    return lines
