"""Workload per agent and the daily backlog: is the team staffed for its reviews.

The seeds give the yardsticks: the best agent of a large shop resolved 70+ reviews a day, and a
power-cut week produced ~800 reviews at once, handled by 3 regulars plus 10 new agents. These
frames show the same two things for the data at hand: per-agent throughput per working day, and
the open-case backlog against the number of agents active each day.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from datetime import date, datetime

WORKLOAD_COLUMNS: tuple[str, ...] = (
    "agent_id", "working_days", "cases_opened", "cases_per_working_day", "resolutions",
    "resolutions_per_working_day", "contacts", "peak_day_cases",
)
BACKLOG_COLUMNS: tuple[str, ...] = (
    "date", "new_reviews", "cases_opened", "cases_closed", "open_cases", "active_agents",
    "open_cases_per_agent",
)


def _activity(cases: pl.LazyFrame, contacts: pl.LazyFrame, *, as_of: datetime) -> pl.LazyFrame:
    """One row per (agent_id, date) with any activity: cases opened and contacts logged that day.

    ``contacts`` must already be limited to the cases of interest (the caller's shop filter);
    one pass over them serves both the workload table and the backlog's active agents.
    """
    opened = cases.group_by("agent_id", date=pl.col("opened_at").dt.date()).agg(
        cases_opened=pl.len().cast(pl.Int64))
    contacted = (
        contacts.filter(pl.col("contacted_at") <= as_of)
        .group_by("agent_id", date=pl.col("contacted_at").dt.date())
        .agg(contacts=pl.len().cast(pl.Int64))
    )
    return opened.join(contacted, on=["agent_id", "date"], how="full", coalesce=True).with_columns(
        pl.col("cases_opened", "contacts").fill_null(0)
    )


def workload_by_agent(
    cases: pl.LazyFrame,
    contacts: pl.LazyFrame,
    *,
    month_start: date,
    month_end: date,
    as_of: datetime,
) -> pl.LazyFrame:
    """Per agent, over the report month's calendar days: throughput per working day.

    ``cases`` is :func:`audit.resolution.case_frame` (all cohorts, already filtered to a shop),
    ``contacts`` the contacts of those cases. A working day is a day on which the agent opened a
    case or logged a contact. Resolutions are credited to the case's agent on the day the
    review was revised or removed.

    One row per agent active in the month: agent_id, working_days, cases_opened,
    cases_per_working_day, resolutions, resolutions_per_working_day, contacts, peak_day_cases.
    """
    per_agent = (
        _activity(cases, contacts, as_of=as_of)
        .filter(pl.col("date").is_between(month_start, month_end))
        .group_by("agent_id")
        .agg(
            working_days=pl.len().cast(pl.Int64),
            cases_opened=pl.col("cases_opened").sum(),
            contacts=pl.col("contacts").sum(),
            peak_day_cases=pl.col("cases_opened").max(),
        )
    )
    resolved = (
        cases.filter(pl.col("is_resolved")
                     & pl.col("resolved_at").dt.date().is_between(month_start, month_end))
        .group_by("agent_id")
        .agg(resolutions=pl.len().cast(pl.Int64))
    )
    return (
        per_agent.join(resolved, on="agent_id", how="left")
        .with_columns(pl.col("resolutions").fill_null(0))
        .with_columns(
            cases_per_working_day=pl.col("cases_opened") / pl.col("working_days"),
            resolutions_per_working_day=pl.col("resolutions") / pl.col("working_days"),
        )
        .sort("agent_id")
        .select(*WORKLOAD_COLUMNS)
    )


def backlog_daily(
    cases: pl.LazyFrame, contacts: pl.LazyFrame, *, as_of: datetime
) -> pl.LazyFrame:
    """One row per calendar day from the first case to ``as_of``: backlog vs active agents.

    ``open_cases`` at the end of a day: cases opened by then and not closed by then (a
    ``closed_at`` after ``as_of`` is not yet known, so the case counts as open). ``new_reviews``
    counts the reviews behind the cases, by the day they were posted. ``active_agents``: agents
    who opened a case or logged a contact that day.
    """
    def per_day(frame: pl.LazyFrame, col: str, name: str) -> pl.LazyFrame:
        return (frame.filter(pl.col(col) <= as_of)
                .group_by(date=pl.col(col).dt.date()).agg(pl.len().cast(pl.Int64).alias(name)))

    # With no case at all the calendar is just the as-of day (a null start would not parse).
    first = pl.coalesce(pl.col("opened_at").min().dt.date(), pl.lit(as_of.date()))
    calendar = cases.select(date=pl.date_range(first, pl.lit(as_of.date()), "1d"))
    active = (_activity(cases, contacts, as_of=as_of).group_by("date")
              .agg(active_agents=pl.len().cast(pl.Int64)))
    counts = ["new_reviews", "cases_opened", "cases_closed", "active_agents"]
    return (
        calendar.join(per_day(cases, "reviewed_at", "new_reviews"), on="date", how="left")
        .join(per_day(cases, "opened_at", "cases_opened"), on="date", how="left")
        .join(per_day(cases, "closed_at", "cases_closed"), on="date", how="left")
        .join(active, on="date", how="left")
        .with_columns(pl.col(counts).fill_null(0))
        .sort("date")
        .with_columns(
            open_cases=(pl.col("cases_opened").cum_sum() - pl.col("cases_closed").cum_sum())
        )
        .with_columns(
            open_cases_per_agent=pl.when(pl.col("active_agents") > 0).then(
                pl.col("open_cases") / pl.col("active_agents")
            )
        )
        .select(*BACKLOG_COLUMNS)
    )
