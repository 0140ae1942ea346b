"""Resolution of neutral/negative reviews by agent and category, with fair comparisons.

Definitions (issue 4; written out in docs/resolution.md and the notebook):

* Cohort: the cases whose review was posted in the report month (and at or before ``as_of``).
* Resolved: the *reviews* export shows the review revised to positive (``revised_at`` within 30
  days of ``reviewed_at``) or removed within 30 days, both at or before ``as_of``. The agent's own
  ``outcome`` is not evidence.
* Still open: not resolved, and the 30-day window has not closed at ``as_of``; reported apart,
  never as a failure. Eligible = resolved + unresolved with a closed window.
* Rate = resolved / eligible, with a Wilson 95% interval.
* Mix-adjusted ratio (issue 14): from one model with agent effects and shop x category x rating
  cells (:func:`_mutually_adjusted`), the agent's rate over the average agent's on the same
  cases, with a robust interval and a shrunk ratio to rank on. Per (agent, category) the
  descriptive indirect standardisation stays: expected = sum of the (shop, category) cohort
  rates over the agent's eligible cases.

The public entry point is :func:`analyse_resolution` (LazyFrames in, a named tuple of LazyFrames
out). :func:`resolution_headline` gives the handful of numbers the monthly index page shows.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

import polars as pl

from audit.data.schema import CATEGORIES, table
from audit.resolution import protocol
from audit.resolution.stats import (
    wilson_high,
    wilson_low,
)
from audit.resolution.workload import backlog_daily, workload_by_agent
from audit.robust.agent_model import compare_agents

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

#: The platform's revision window.
WINDOW = timedelta(days=30)
#: The cases table's own columns, first in :func:`case_frame` (as before the shared join).
CASE_COLUMNS: tuple[str, ...] = tuple(table("cases").schema)

BY_AGENT_COLUMNS: tuple[str, ...] = (
    "agent_id", "cases", "eligible", "resolved", "rate", "ci_low", "ci_high", "expected",
    "mix_adjusted_ratio", "ratio_ci_low", "ratio_ci_high",
)
BY_CATEGORY_COLUMNS: tuple[str, ...] = (
    "category", "cases", "eligible", "resolved", "rate", "ci_low", "ci_high",
    "median_hours_to_first_contact",
)
BY_AGENT_CATEGORY_COLUMNS: tuple[str, ...] = (
    "agent_id", "category", "cases", "eligible", "resolved", "rate", "ci_low", "ci_high",
    "expected", "mix_adjusted_ratio",
)


class ResolutionAudit(NamedTuple):
    """What :func:`analyse_resolution` returns; every field is a LazyFrame.

    * ``cases``: one row per cohort case (status, hours to case opened / first contact, ...).
    * ``by_agent``: one row per agent with cohort cases (issue columns first, then shrunk ratio,
      rank, timeliness).
    * ``by_category``: one row per category present in the cohort.
    * ``by_agent_category``: one row per (agent_id, category).
    * ``breaches``: one row per (cohort case, protocol check): case_id, agent_id, check, detail.
    * ``unverified``: one row per cohort case claiming revised/removed without evidence.
    * ``workload``: one row per agent active in the report month.
    * ``backlog``: one row per day, first case to ``as_of``: open cases vs active agents.
    """

    cases: pl.LazyFrame
    by_agent: pl.LazyFrame
    by_category: pl.LazyFrame
    by_agent_category: pl.LazyFrame
    breaches: pl.LazyFrame
    unverified: pl.LazyFrame
    workload: pl.LazyFrame
    backlog: pl.LazyFrame


def _hours(later: pl.Expr, earlier: pl.Expr) -> pl.Expr:
    return (later - earlier).dt.total_microseconds() / 3.6e9


def case_frame(
    reviews: pl.LazyFrame,
    cases: pl.LazyFrame,
    contacts: pl.LazyFrame,
    *,
    as_of: datetime,
    sla_hours: float = 24.0,
    shop: str | None = None,
) -> pl.LazyFrame:
    """One row per case logged at or before ``as_of`` (all months), with its status.

    Adds shop_id, buyer_id, reviewed_at, first_contact_at, n_contacts, resolved_at,
    is_resolved, status (``resolved`` / ``unresolved`` / ``open``), is_eligible,
    hours_to_case_opened, hours_to_first_contact, sla_due (SLA deadline passed or contacted) and
    within_sla.
    """
    facts = protocol.case_facts(reviews, cases, contacts, as_of=as_of, shop=shop)
    return case_status(facts, as_of=as_of, sla_hours=sla_hours)


def case_status(facts: pl.LazyFrame, *, as_of: datetime, sla_hours: float = 24.0) -> pl.LazyFrame:
    """:func:`case_frame` from :func:`audit.resolution.protocol.case_facts`, so the join is shared.

    Keeps the cases whose review exists and was posted at or before ``as_of``.
    """
    deadline = pl.col("reviewed_at") + WINDOW
    sla = timedelta(hours=sla_hours)
    return (
        facts.filter(pl.col("reviewed_at") <= as_of)
        .select(*CASE_COLUMNS, "shop_id", "buyer_id", "reviewed_at", "first_contact_at",
                "n_contacts", "resolved_at")  # resolved_at: protocol.review_evidence
        .with_columns(n_contacts=pl.col("n_contacts").fill_null(0).cast(pl.Int64))
        .with_columns(is_resolved=pl.col("resolved_at").is_not_null())
        .with_columns(
            status=pl.when(pl.col("is_resolved")).then(pl.lit("resolved"))
            .when(deadline <= as_of).then(pl.lit("unresolved"))
            .otherwise(pl.lit("open")),
            hours_to_case_opened=_hours(pl.col("opened_at"), pl.col("reviewed_at")),
            hours_to_first_contact=_hours(pl.col("first_contact_at"), pl.col("reviewed_at")),
            sla_due=pl.col("first_contact_at").is_not_null()
            | (pl.col("reviewed_at") + sla <= as_of),
            within_sla=(pl.col("first_contact_at") <= pl.col("reviewed_at") + sla).fill_null(False),
        )
        .with_columns(is_eligible=pl.col("status") != "open")
    )


def _in_month(col: str, month_start: date, month_end: date) -> pl.Expr:
    return pl.col(col).dt.date().is_between(month_start, month_end, closed="both")


def _counts() -> list[pl.Expr]:
    """Cases, eligible, resolved, still_open and the rate with its Wilson interval."""
    return [
        pl.len().cast(pl.Int64).alias("cases"),
        pl.col("is_eligible").sum().cast(pl.Int64).alias("eligible"),
        pl.col("is_resolved").sum().cast(pl.Int64).alias("resolved"),
        (pl.col("status") == "open").sum().cast(pl.Int64).alias("still_open"),
    ]


def _rates(frame: pl.LazyFrame) -> pl.LazyFrame:
    return frame.with_columns(
        rate=pl.when(pl.col("eligible") > 0).then(pl.col("resolved") / pl.col("eligible")),
        ci_low=wilson_low("resolved", "eligible"),
        ci_high=wilson_high("resolved", "eligible"),
    )


def _timeliness() -> list[pl.Expr]:
    h1 = pl.col("hours_to_first_contact")
    h0 = pl.col("hours_to_case_opened")
    due = pl.col("sla_due")
    return [
        h1.median().alias("median_hours_to_first_contact"),
        h1.quantile(0.9, interpolation="linear").alias("p90_hours_to_first_contact"),
        h0.median().alias("median_hours_to_case_opened"),
        h0.quantile(0.9, interpolation="linear").alias("p90_hours_to_case_opened"),
        (pl.col("within_sla") & due).sum().cast(pl.Int64).alias("within_sla"),
        due.sum().cast(pl.Int64).alias("sla_due"),
    ]


def _sla_share(frame: pl.LazyFrame) -> pl.LazyFrame:
    return frame.with_columns(
        share_within_sla=pl.when(pl.col("sla_due") > 0).then(
            pl.col("within_sla") / pl.col("sla_due")
        )
    )


def _with_expected(cohort: pl.LazyFrame) -> pl.LazyFrame:
    """Each eligible case's expected resolution probability: its (shop, category) cohort rate."""
    return cohort.with_columns(
        expected_p=pl.when(pl.col("is_eligible")).then(
            (pl.col("is_resolved") & pl.col("is_eligible")).sum().over("shop_id", "category")
            / pl.col("is_eligible").sum().over("shop_id", "category")
        ).otherwise(0.0)
    )


def _mutually_adjusted(by_agent: pl.LazyFrame, cohort: pl.LazyFrame,
                       reviews: pl.LazyFrame) -> pl.LazyFrame:
    """The agent comparison from one model with every agent and every case-mix cell (issue 14).

    :func:`audit.robust.agent_model.compare_agents`: log P(resolved) = shop x category x rating
    cell + agent, so each agent is compared with the average agent *on the same cases* and the
    cells' rates are not the rates of whoever works them. Replaces the (shop, category) cohort
    rate as reference, which made a novice on easy categories the reference of those
    categories. Columns keep their names; their meaning (docs/resolution.md):

    * ``mix_adjusted_ratio``: the agent's rate over the average agent's on the same cases;
      ``ratio_ci_*`` its robust (sandwich) 95% interval.
    * ``expected``: the cases the average agent would have resolved among this agent's, so that
      resolved / expected = ``mix_adjusted_ratio``.
    * ``shrunk_ratio``, ``shrunk_ci_*``: posterior mean and 95% interval under a normal prior
      on the log ratios whose spread is integrated over, not fixed; ``rank`` is on it.
    * ``prior_mean`` (1: the average agent) and ``prior_var`` (the square of the posterior mean
      of the agents' spread, on the log scale), for the record.
    """
    rated = cohort.filter(pl.col("agent_id").is_not_null()).join(
        reviews.select("review_id", "rating"), on="review_id", how="left")
    model = compare_agents(rated)
    cols = model.lazy().select(
        "agent_id", "mix_adjusted_ratio", "ratio_ci_low", "ratio_ci_high", "shrunk_ratio",
        "shrunk_ci_low", "shrunk_ci_high", "rank", prior_mean=pl.lit(1.0),
        prior_var=pl.col("prior_sd") ** 2)
    return (by_agent.drop("mix_adjusted_ratio", "expected")
            .join(cols, on="agent_id", how="left")
            .with_columns(expected=pl.when(pl.col("mix_adjusted_ratio") > 0).then(
                pl.col("resolved") / pl.col("mix_adjusted_ratio"))))


def analyse_resolution(
    reviews: pl.LazyFrame,
    cases: pl.LazyFrame,
    contacts: pl.LazyFrame,
    agents: pl.LazyFrame,
    *,
    month_start: date,
    month_end: date,
    as_of: datetime,
    sla_hours: float = 24.0,
    shop: str | None = None,
    tiers: pl.LazyFrame | None = None,
) -> ResolutionAudit:
    """Resolution rates, mix-adjusted agent ratios, timeliness, protocol breaches, workload.

    Parameters
    ----------
    reviews, cases, contacts, agents
        Canonical tables (``audit.data.schema``), unfiltered: protocol checks need all of a buyer's
        cases and the backlog needs earlier months.
    month_start, month_end
        The cohort month's first and last day (``audit.core.dates.parse_month``).
    as_of
        Nothing stamped later is seen; windows closing later are "still open".
    sla_hours
        First-contact policy, hours after the review.
    shop
        Only this shop_id (``None`` or ``""``: all shops).
    tiers
        The cohort reviews' text tiers (``audit.resolution.job.cohort_tiers``): the routing
        check on the text tier (``text_tier``) joins the breaches; ``None``: it is not run.

    Returns
    -------
    ResolutionAudit
        A named tuple of LazyFrames; collect them together (``pl.collect_all``) to share work.
    """
    # One shared plan joins cases, reviews and the contact summary; every output reads it, so
    # pl.collect_all runs the big join and the contact group-by once.
    facts = protocol.case_facts(reviews, cases, contacts, as_of=as_of, shop=shop)
    all_cases = case_status(facts, as_of=as_of, sla_hours=sla_hours)
    in_cohort = (pl.col("reviewed_at") <= as_of) & _in_month("reviewed_at", month_start, month_end)
    cohort = _with_expected(all_cases.filter(in_cohort))
    cohort_facts = facts.filter(in_cohort)

    by_agent = (
        cohort.group_by("agent_id")
        .agg(*_counts(), pl.col("expected_p").sum().alias("expected"),
             *_timeliness())
        .pipe(_rates)
        .with_columns(
            mix_adjusted_ratio=pl.when(pl.col("expected") > 0).then(
                pl.col("resolved") / pl.col("expected")
            )
        )
    )
    by_agent = (
        _mutually_adjusted(by_agent, cohort, reviews)
        .pipe(_sla_share)
        .join(agents.select("agent_id", "agent_name", "level"), on="agent_id", how="left")
        .sort("rank", "agent_id", nulls_last=True)
    )
    by_agent = by_agent.select(
        *BY_AGENT_COLUMNS, "still_open", "shrunk_ratio", "shrunk_ci_low", "shrunk_ci_high", "rank",
        "agent_name", "level", "median_hours_to_first_contact", "p90_hours_to_first_contact",
        "share_within_sla", "prior_mean", "prior_var",
    )

    cat_order = pl.LazyFrame({"category": list(CATEGORIES),
                              "_order": list(range(len(CATEGORIES)))})
    by_category = (
        cohort.group_by("category")
        .agg(*_counts(), *_timeliness())
        .pipe(_rates)
        .pipe(_sla_share)
        .join(cat_order, on="category", how="left")
        .sort("_order")
        .select(*BY_CATEGORY_COLUMNS, "still_open", "p90_hours_to_first_contact",
                "median_hours_to_case_opened", "p90_hours_to_case_opened", "share_within_sla")
    )

    by_agent_category = (
        cohort.group_by("agent_id", "category")
        .agg(*_counts(), pl.col("expected_p").sum().alias("expected"))
        .pipe(_rates)
        .with_columns(
            mix_adjusted_ratio=pl.when(pl.col("expected") > 0).then(
                pl.col("resolved") / pl.col("expected")
            )
        )
        .join(cat_order, on="category", how="left")
        .sort("agent_id", "_order")
        .select(*BY_AGENT_CATEGORY_COLUMNS, "still_open")
    )

    # Workload and backlog count contacts of the shop's cases only; without a shop filter every
    # contact belongs to some case, so the 30M-row semi-join is skipped.
    shop_contacts = (contacts.join(all_cases.select("case_id"), on="case_id", how="semi")
                     if shop else contacts)
    # The per-case checks and claims run on the cohort's rows only (details are built for the
    # reported cases alone); multiple_agents still sees every case of the buyer.
    breaches = protocol.breaches_from_facts(facts, cohort_facts, contacts, agents, as_of=as_of,
                                            tiers=tiers)
    unverified = protocol.claims_from_facts(cohort_facts).sort("case_id")
    return ResolutionAudit(
        cases=cohort,
        by_agent=by_agent,
        by_category=by_category,
        by_agent_category=by_agent_category,
        breaches=breaches,
        unverified=unverified,
        workload=workload_by_agent(all_cases, shop_contacts, month_start=month_start,
                                   month_end=month_end, as_of=as_of),
        backlog=backlog_daily(all_cases, shop_contacts, as_of=as_of),
    )


def resolution_headline(
    tables: Mapping[str, pl.LazyFrame],
    *,
    month: str,
    as_of: datetime,
    sla_hours: float = 24.0,
    shop: str | None = None,
    tiers: pl.LazyFrame | None = None,
) -> dict[str, object]:
    """Summarise the month's resolution for the monthly index page, as plain Python values.

    Parameters
    ----------
    tables
        ``Dataset.tables`` (uses reviews, cases, contacts, agents).
    month
        Cohort month, ``YYYY-MM``.
    as_of
        As in :func:`analyse_resolution` (e.g. ``Dataset.last_activity()``).
    sla_hours, shop, tiers
        As in :func:`analyse_resolution`.

    Returns
    -------
    dict
        cohort_cases, eligible, resolved, still_open, rate, ci_low, ci_high,
        median_hours_to_first_contact, p90_hours_to_first_contact, share_within_sla,
        breaches (rows), breach_cases (distinct cases), unverified_claims. Rates are fractions
        (0-1); ``None`` where undefined (no eligible case).
    """
    from audit.core.dates import parse_month

    month_start, month_end = parse_month(month)
    return audit_headline(analyse_resolution(
        tables["reviews"], tables["cases"], tables["contacts"], tables["agents"],
        month_start=month_start, month_end=month_end, as_of=as_of, sla_hours=sla_hours, shop=shop,
        tiers=tiers,
    ))


def audit_headline(audit: ResolutionAudit) -> dict[str, object]:
    """The headline numbers of one analysed cohort (:func:`resolution_headline`'s keys).

    ``resolved`` counts the cohort's reviews resolved within the platform's 30 days (not the
    resolutions logged during the month, which the workload table counts).
    """
    overall = (
        audit.cases.select(*_counts(), *_timeliness())
        .pipe(_rates)
        .pipe(_sla_share)
    )
    breach_n = audit.breaches.select(
        breaches=pl.len(), breach_cases=pl.col("case_id").n_unique()
    )
    claims_n = audit.unverified.select(unverified_claims=pl.len())
    o, b, c = pl.collect_all([overall, breach_n, claims_n])
    row = o.row(0, named=True)
    return {
        "cohort_cases": row["cases"],
        "eligible": row["eligible"],
        "resolved": row["resolved"],
        "still_open": row["still_open"],
        "rate": row["rate"],
        "ci_low": row["ci_low"],
        "ci_high": row["ci_high"],
        "median_hours_to_first_contact": row["median_hours_to_first_contact"],
        "p90_hours_to_first_contact": row["p90_hours_to_first_contact"],
        "share_within_sla": row["share_within_sla"],
        "breaches": b.item(0, "breaches"),
        "breach_cases": b.item(0, "breach_cases"),
        "unverified_claims": c.item(0, "unverified_claims"),
    }


def collect_outputs(
    audit: ResolutionAudit, fields: Iterable[str] | None = None
) -> dict[str, pl.DataFrame]:
    """Collect the named frames (default: all) in one pass, so shared sub-plans run once."""
    names = list(fields) if fields is not None else list(audit._fields)
    frames = pl.collect_all([getattr(audit, n) for n in names])
    return dict(zip(names, frames, strict=True))
