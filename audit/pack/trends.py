"""The trends: every headline number for each month the data cover, each at the same age.

A month's figure is taken as it stood ``N`` days after the month's end, where ``N`` is the report
month's age at the audit date (the audit date minus the report month's last day), so a recent
month is never flattered or penalised by windows that an older month has had time to close.
``final`` is False while a month's 30-day windows (revision, explanation) were still open at its
cut. The report month's row is read from the pack's own views (the same numbers as its pages);
every earlier month runs the same pure job functions at its cut (no notebooks, no Excel): the
promise audit, the resolution analysis and the review job's month numbers. Up to 24 months.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

import polars as pl

from audit.core.dates import end_of_day, parse_month

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from audit.pack.headline import MonthViews
    from audit.pack.params import PackParams

MAX_MONTHS = 24
#: The longest window a month's numbers wait for (revision and explanation: 30 days).
FINAL_AFTER = timedelta(days=30)
#: Metrics of the trends, in display order, and their kind (audit.core.fmt).
METRICS: dict[str, str] = {
    "promises_broken_or_partial": "count", "owed_cny": "cny", "broken_rate": "pct",
    "resolution_rate": "pct", "median_hours_to_first_contact": "hours",
    "share_within_sla": "pct", "protocol_breaches": "count", "unverified_claims": "count",
    "explanation_coverage": "pct", "complaints_per_1000_orders": "ratio",
}
TREND_SCHEMA: dict[str, pl.DataType] = {
    "metric": pl.String(), "month": pl.String(), "agent_id": pl.String(), "value": pl.Float64(),
    "ci_low": pl.Float64(), "ci_high": pl.Float64(), "final": pl.Boolean(),
}
#: The per-agent monthly counts behind the drift test (resolved against expected).
COUNTS_SCHEMA: dict[str, pl.DataType] = {
    "agent_id": pl.String(), "month": pl.String(), "resolved": pl.Int64(),
    "expected": pl.Float64(),
}


def cut_of(month: str, age: timedelta) -> datetime:
    """The instant at which ``month`` is ``age`` old: the end of its last day plus ``age``."""
    return end_of_day(parse_month(month)[1] + age)


def _rows(month: str, final: bool, promises: Mapping[str, object],  # noqa: FBT001
          resolution: Mapping[str, object], explanation: Mapping[str, object],
          complaints: Mapping[str, object]) -> list[dict]:
    def row(metric: str, value: object, lo: object = None, hi: object = None) -> dict:
        return {"metric": metric, "month": month, "agent_id": None, "value": value,
                "ci_low": lo, "ci_high": hi, "final": final}

    from audit.core.intervals import wilson_high, wilson_low

    bad, due = promises.get("broken_or_partial"), promises.get("due")
    ci = (pl.DataFrame({"x": [bad or 0], "n": [due or 0]})
          .select(wilson_low("x", "n"), wilson_high("x", "n").alias("h")).row(0))
    return [
        row("promises_broken_or_partial", bad), row("owed_cny", promises.get("owed_cny")),
        row("broken_rate", promises.get("broken_rate"), *ci),
        row("resolution_rate", resolution.get("rate"), resolution.get("ci_low"),
            resolution.get("ci_high")),
        row("median_hours_to_first_contact", resolution.get("median_hours_to_first_contact")),
        row("share_within_sla", resolution.get("share_within_sla")),
        row("protocol_breaches", resolution.get("breaches")),
        row("unverified_claims", resolution.get("unverified_claims")),
        row("explanation_coverage", explanation.get("coverage"), explanation.get("ci_low"),
            explanation.get("ci_high")),
        row("complaints_per_1000_orders", complaints.get("per_1000_orders"),
            complaints.get("ci_low"), complaints.get("ci_high")),
    ]


def _agent_rows(month: str, final: bool,  # noqa: FBT001
                by_agent: pl.DataFrame) -> pl.DataFrame:
    if by_agent.is_empty():
        return pl.DataFrame(schema=TREND_SCHEMA)
    base = by_agent.select("agent_id", month=pl.lit(month), final=pl.lit(final),
                           rate=pl.col("rate"), rl=pl.col("ci_low"), rh=pl.col("ci_high"),
                           ratio=pl.col("mix_adjusted_ratio"), ql=pl.col("ratio_ci_low"),
                           qh=pl.col("ratio_ci_high"))
    parts = [base.select(metric=pl.lit(name), month="month", agent_id="agent_id", value=v,
                         ci_low=lo, ci_high=hi, final="final")
             for name, v, lo, hi in (("resolution_rate", "rate", "rl", "rh"),
                                     ("mix_adjusted_ratio", "ratio", "ql", "qh"))]
    return pl.concat(parts).cast(TREND_SCHEMA)  # type: ignore[arg-type]


def _month_parts(tables: Mapping[str, pl.LazyFrame], params: PackParams, month: str,
                 cut: datetime, skip: set[str]) -> tuple[dict, dict, pl.DataFrame, dict, dict]:
    """The numbers of one earlier month at its cut, from the jobs' pure functions."""
    from audit.review.job import month_numbers

    shop = params.shop or None
    promises: dict = {}
    resolution: dict = {}
    by_agent = pl.DataFrame()
    if "promises" not in skip:
        from audit.promises.job import month_headline

        promises = month_headline(tables, month=month, as_of=cut, shop=shop)
    if "resolution" not in skip:
        from audit.resolution.analysis import analyse_resolution, audit_headline
        from audit.resolution.job import cohort_tiers

        start, end = parse_month(month)
        # With the reviews' text tiers, as the report month's job runs it: without them the
        # routing breaches read from the text (`text_tier`) were missing from earlier months.
        run = analyse_resolution(tables["reviews"], tables["cases"], tables["contacts"],
                                 tables["agents"], month_start=start, month_end=end, as_of=cut,
                                 sla_hours=params.sla_hours, shop=shop,
                                 tiers=cohort_tiers(tables, month_start=start, month_end=end,
                                                    as_of=cut, shop=shop))
        resolution = audit_headline(run)
        by_agent = run.by_agent.collect()
    numbers = month_numbers(tables, month=month, as_of=cut, shop=shop)
    return promises, resolution, by_agent, numbers["explanation"], numbers["complaints"]


def build_trends(tables: Mapping[str, pl.LazyFrame], params: PackParams, current: MonthViews,
                 *, skip: set[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(trends, agent counts) for every month the data cover, each at the report month's age.

    ``TREND_SCHEMA`` rows for every metric and month (and agent), and the per-agent monthly
    resolved/expected the drift test reads.
    """
    as_of = date.fromisoformat(params.as_of)
    age = end_of_day(as_of) - end_of_day(parse_month(params.month)[1])
    rows: list[dict] = []
    agents = [pl.DataFrame(schema=TREND_SCHEMA)]
    counts = [pl.DataFrame(schema=COUNTS_SCHEMA)]
    from audit.review.job import covered_months

    for month in covered_months(tables, params.month, params.shop or None, limit=MAX_MONTHS):
        cut = min(cut_of(month, age), end_of_day(as_of))
        final = cut >= cut_of(month, FINAL_AFTER)
        if month == params.month:
            parts = (current.promises.month_headline if current.promises else {},
                     current.resolution.headline if current.resolution else {},
                     current.resolution.by_agent if current.resolution else pl.DataFrame(),
                     current.review.explanation if current.review else {},
                     current.review.complaints if current.review else {})
        else:
            parts = _month_parts(tables, params, month, cut, skip)
        promises, resolution, by_agent, explanation, complaints = parts
        rows.extend(_rows(month, final, promises, resolution, explanation, complaints))
        agents.append(_agent_rows(month, final, by_agent))
        if not by_agent.is_empty():
            counts.append(by_agent.select("agent_id", month=pl.lit(month), resolved="resolved",
                                          expected="expected").cast(COUNTS_SCHEMA))  # type: ignore[arg-type]
    trends = pl.concat([pl.DataFrame(rows, schema=TREND_SCHEMA), *agents])
    return trends, pl.concat(counts)
