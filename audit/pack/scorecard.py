"""The agent scorecard (绩效): one row per agent for the month, across the three questions.

Assembled from the jobs' views only (the numbers the other pages show, joined on agent_id): the
resolution job's ``by_agent`` (cases, rate and interval, mix-adjusted ratio and interval, median
and p90 hours to first contact, share within SLA), its ``breaches`` and ``unverified`` lists
(counted per agent and check), the promise job's ``month_by_agent`` (promises made in the month,
broken or partly kept, still owed, kept late) and the review job's ``explanation_by_agent``
(explanations posted, posted in time). The change from the previous month is this month's value
minus the previous month's at the same age (the index's rule), for the columns in ``CHANGES``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from audit.pack.headline import MonthViews

#: The scorecard's columns after agent_id and agent_name, and their kind (audit.core.fmt).
KINDS: dict[str, str] = {
    "cases": "count", "resolution_rate": "pct", "rate_ci_low": "pct", "rate_ci_high": "pct",
    "mix_adjusted_ratio": "ratio", "ratio_ci_low": "ratio", "ratio_ci_high": "ratio",
    "median_hours_to_first_contact": "hours", "p90_hours_to_first_contact": "hours",
    "share_within_sla": "pct", "protocol_breaches": "count", "promises_made": "count",
    "promises_broken_or_partial": "count", "owed_cny": "cny", "promises_kept_late": "count",
    "unverified_claims": "count", "explanations_posted": "count",
    "explanations_in_time": "count",
}
#: Columns whose change from the previous month the scorecard shows (``<column>_change``).
CHANGES: tuple[str, ...] = ("cases", "resolution_rate", "share_within_sla", "protocol_breaches",
                            "promises_broken_or_partial", "explanations_in_time")
_COUNTS = ("protocol_breaches", "promises_made", "promises_broken_or_partial",
           "promises_kept_late", "unverified_claims", "explanations_posted",
           "explanations_in_time", "cases")


def breach_columns() -> list[str]:
    """One column per protocol check (``breaches_<check>``), in the resolution job's order."""
    from audit.resolution.protocol import CHECKS

    return [f"breaches_{c}" for c in CHECKS]


def _month_card(views: MonthViews) -> pl.DataFrame:
    from audit.resolution.protocol import CHECKS

    key = pl.DataFrame(schema={"agent_id": pl.String})
    parts: list[pl.DataFrame] = []
    if views.resolution is not None:
        r = views.resolution
        parts.append(r.by_agent.select(
            "agent_id", "cases", resolution_rate="rate", rate_ci_low="ci_low",
            rate_ci_high="ci_high", mix_adjusted_ratio="mix_adjusted_ratio",
            ratio_ci_low="ratio_ci_low", ratio_ci_high="ratio_ci_high",
            median_hours_to_first_contact="median_hours_to_first_contact",
            p90_hours_to_first_contact="p90_hours_to_first_contact",
            share_within_sla="share_within_sla"))
        by_check = r.breaches.group_by("agent_id").agg(
            pl.len().alias("protocol_breaches"),
            *[(pl.col("check") == c).sum().alias(f"breaches_{c}") for c in CHECKS])
        parts.append(by_check)
        parts.append(r.unverified.group_by("agent_id").agg(pl.len().alias("unverified_claims")))
    if views.promises is not None and not views.promises.month_by_agent.is_empty():
        parts.append(views.promises.month_by_agent.select(
            "agent_id", promises_made="promises", promises_broken_or_partial="broken_or_partial",
            owed_cny="owed_cny", promises_kept_late="kept_late"))
    if views.review is not None:
        parts.append(views.review.explanation_by_agent.filter(pl.col("agent_id").is_not_null())
                     .select("agent_id", explanations_posted="explained",
                             explanations_in_time="explained_in_time"))
    ids = pl.concat([p.select(pl.col("agent_id").cast(pl.String)) for p in parts] or [key]
                    ).unique()
    card = ids
    for p in parts:
        card = card.join(p, on="agent_id", how="left")
    counts = [c for c in (*_COUNTS, *breach_columns(), "owed_cny") if c in card.columns]
    ints = [c for c in counts if c != "owed_cny"]
    return card.with_columns(pl.col(ints).fill_null(0).cast(pl.Int64),
                             pl.col("owed_cny").fill_null(0.0) if "owed_cny" in card.columns
                             else pl.lit(None).alias("_none")).drop("_none", strict=False)


def scorecard(current: MonthViews, previous: MonthViews | None,
              agents: pl.DataFrame) -> pl.DataFrame:
    """One row per agent with cases, promises or explanations in the month (see module doc).

    ``agents``: agent_id, agent_name (the agents table).
    """
    card = _month_card(current)
    if previous is not None:
        before = _month_card(previous)
        keep = [c for c in CHANGES if c in card.columns and c in before.columns]
        card = card.join(before.select("agent_id", *[pl.col(c).alias(f"_prev_{c}") for c in keep]),
                         on="agent_id", how="left").with_columns(
            [(pl.col(c) - pl.col(f"_prev_{c}")).alias(f"{c}_change") for c in keep]
        ).drop([f"_prev_{c}" for c in keep])
    return (card.join(agents.select("agent_id", "agent_name"), on="agent_id", how="left")
            .select("agent_id", "agent_name", pl.exclude("agent_id", "agent_name"))
            .sort("agent_id"))


def agent_sheets(card: pl.DataFrame, current: MonthViews, *,
                 lang: str) -> dict[str, pl.DataFrame]:
    """The workbook behind the scorecard: the team sheet, then one sheet per agent.

    Each agent's sheet lists the cases behind their numbers (breaches, unverified claims,
    promises to chase, reviews still to explain), each row with what it is and its detail in
    the reader's words (the check, the claimed outcome, the promise's status, the days left).
    """
    from audit.core.labels import label

    lists: list[tuple[str, pl.DataFrame, str, str]] = []  # kind, rows, column, its labels' prefix
    if current.resolution is not None:
        lists += [("breach", current.resolution.breach_list, "check", "resolution.check"),
                  ("unverified", current.resolution.claim_list, "claimed_outcome",
                   "year.outcome")]
    if current.promises is not None:
        lists.append(("promise", current.promises.chase, "status", "promises.status"))
    if current.review is not None:
        lists.append(("to_explain", current.review.to_explain, "days_left", ""))

    def words(df: pl.DataFrame, column: str, prefix: str) -> pl.Expr:
        if not prefix:
            return pl.col(column).round(1).cast(pl.String)
        values = df[column].unique().drop_nulls().to_list()
        return pl.col(column).replace_strict(
            {v: label(f"{prefix}.{v}", lang) for v in values}, default=None)

    rows = [df.select(pl.lit(label(f"year.item.{kind}", lang)).alias("item"), pl.col("agent_id"),
                      pl.col("case_id" if "case_id" in df.columns else "review_id").alias("ref"),
                      words(df, column, prefix).alias("detail"))
            for kind, df, column, prefix in lists]
    every = pl.concat(rows) if rows else pl.DataFrame(
        schema={"item": pl.String, "agent_id": pl.String, "ref": pl.String, "detail": pl.String})
    sheets = {"team": card}
    for agent in card["agent_id"].to_list():
        sheets[agent] = every.filter(pl.col("agent_id") == agent).drop("agent_id")
    return sheets
