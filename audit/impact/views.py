"""Words and display tables for the impact report: what a manager reads, built from the result.

Numbers for managers: % with one decimal and a sign. The verdict says in plain words which number
to trust (the event study) and why the naive before/after misleads.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from audit.core.display import value_label
from audit.core.fmt import DASH, fmt_count, fmt_p, fmt_points, fmt_ratio, fmt_signed_pct
from audit.core.labels import check_lang, label
from audit.impact.analysis import (
    DROP,
    HEADLINE_ESTIMAND,
    LIFT,
    PANEL,
    PRETREND,
    STACKED,
    THIN,
    ImpactResult,
    headline_rows,
    impact_headline,
)


def _pct(x: float | None, lang: str = "en") -> str:
    """A percent change (already in %, e.g. 12.8) as the pack shows it: ``+12.8%``."""
    return fmt_signed_pct(None if x is None else x / 100, lang=lang)


def display_summary(result: ImpactResult, *, lang: str = "en") -> pl.DataFrame:
    """impact_summary formatted for a table: one row per (event, metric), text cells."""
    check_lang(lang)
    rows = []
    for r in result.summary.iter_rows(named=True):
        rows.append({
            "event": label(f"impact.event.{r['event']}", lang),
            "metric": label(f"impact.metric.{r['metric']}", lang),
            "estimate": _pct(r["estimate_pct"], lang),
            "interval": (DASH if r["ci_low_pct"] is None
                         else f"{_pct(r['ci_low_pct'], lang)} … {_pct(r['ci_high_pct'], lang)}"),
            "design": label(f"impact.design.{r['design']}", lang),
            "estimand": label(f"impact.estimand.{r['estimand']}", lang),
            "explanations": label(f"impact.group.{r['group']}", lang),
            "items": f"{fmt_count(r['n_treated'], lang)} / {fmt_count(r['n_control'], lang)}",
            "pretrend_p": fmt_p(r["pretrend_p"]),
            "placebo": _pct(r["placebo_estimate_pct"], lang),
            "sensitivity": _mbar(r["breakdown_mbar"], lang),
            "naive": _pct(r["naive_pct"], lang),
            "verdict": value_label("verdict", r["verdict"], lang),
        })
    frame = pl.DataFrame(rows)
    return frame.rename({c: label(f"col.{c}", lang) for c in frame.columns})


#: Beyond this breakdown M-bar the sensitivity stops mattering and is shown as the cap.
_MBAR_CAP = 10


def _mbar(m: float | None, lang: str = "en") -> str:
    """The breakdown M-bar as a ratio (two decimals); "> 10" beyond, where it stops mattering."""
    if m is None:
        return DASH
    return f"> {_MBAR_CAP}" if m > _MBAR_CAP else fmt_ratio(m, lang=lang)


def _sensitivity(m: float | None, lang: str) -> str:
    """The breakdown M-bar in words: none needed, a ratio, or beyond the display cap of 10."""
    if not m:
        return label("impact.text.sensitivity_none", lang)
    if m > _MBAR_CAP:
        return label("impact.text.sensitivity_large", lang)
    return label("impact.text.sensitivity", lang).format(mbar=_mbar(m, lang))


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
        return (f"{_pct(r['estimate_pct'], lang)} ({_pct(r['ci_low_pct'], lang)} … "
                f"{_pct(r['ci_high_pct'], lang)})")

    parts = [label("impact.text.estimand", lang).format(
        days=_window(result) + 1, per=est(row(PANEL, "per-explanation", "all")))]
    parts.append(label("impact.text.split", lang).format(
        first=est(row(PANEL, HEADLINE_ESTIMAND, "first")),
        later=est(row(PANEL, HEADLINE_ESTIMAND, "later"))))
    parts.append(_sensitivity(conv["breakdown_mbar"], lang))
    st = row(STACKED, "matched units", "all")
    if st is not None and st["estimate_pct"] is not None:
        parts.append(label("impact.text.check", lang).format(
            est=_pct(st["estimate_pct"], lang), lo=_pct(st["ci_low_pct"], lang),
            hi=_pct(st["ci_high_pct"], lang)))
    return " ".join(parts)


def verdict_text(result: ImpactResult, *, event: str = "explanation", lang: str = "en") -> str:
    """Write a plain-words paragraph (Markdown) for one event: conversion, traffic, trust."""
    def say(key: str, **values: object) -> str:
        return label(f"impact.verdict.{key}", lang).format(**values)

    s = headline_rows(result.summary).filter(pl.col("event") == event)
    if s.height == 0:
        return say("none", event=label(f"impact.event.{event}", lang))
    conv = s.filter(pl.col("metric") == "conversion").row(0, named=True)
    vis = s.filter(pl.col("metric") == "visitors").row(0, named=True)
    what = label(f"impact.what.{event}", lang)
    counts = {"treated": fmt_count(conv["n_treated"], lang),
              "control": fmt_count(conv["n_control"], lang)}
    if conv["verdict"] == THIN:
        return say("thin", what=what, **counts)
    interval = {"estimate": _pct(conv["estimate_pct"], lang),
                "low": _pct(conv["ci_low_pct"], lang), "high": _pct(conv["ci_high_pct"], lang)}
    if conv["verdict"] == PRETREND:
        head = say("pretrend", p=fmt_p(conv["pretrend_p"]))
    elif conv["verdict"] == LIFT:
        head = say("lift", what=what, window=_window(result) + 1, **interval)
    elif conv["verdict"] == DROP:
        head = say("drop", what=what, **interval)
    else:
        head = say("no_effect", what=what, **interval)
    vis_moved = vis["ci_low_pct"] is not None and not (
        vis["ci_low_pct"] <= 0 <= vis["ci_high_pct"])
    traffic = say("traffic_moved" if vis_moved else "traffic_flat",
                  estimate=_pct(vis["estimate_pct"], lang), low=_pct(vis["ci_low_pct"], lang),
                  high=_pct(vis["ci_high_pct"], lang))
    gap = ("" if conv["estimate_pct"] is None or conv["naive_pct"] is None else
           say("gap", points=fmt_points(abs(conv["naive_pct"] - conv["estimate_pct"]), lang)))
    naive = say("naive", naive=_pct(conv["naive_pct"], lang), gap=gap,
                why=label(f"impact.why.{event}", lang),
                event_word=label(f"impact.event_word.{event}", lang),
                p=fmt_p(conv["pretrend_p"]), placebo_days=_window(result) + 1,
                placebo=_pct(conv["placebo_estimate_pct"], lang),
                items=say("items" if conv["n_control"] else "items_all", **counts))
    return f"{head} {traffic}\n\n{_extra(result, event, conv, lang)}\n\n{naive}"


def _window(result: ImpactResult) -> int:
    """The event window's last day (days 0 to it: one more day than its number)."""
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
