"""The routing check on the text tier, and the log's category against the text (issue 11).

The log-based check ``novice_on_senior_category`` trusts the category an agent typed. Here the
same rule -- novices take tiers 1-2 only (DOMAIN.md, intake and tiering: 1 novice buyer,
2 logistics, 3 service, 4 quality, 5 fraud) -- is evaluated on the tier read from the review's
own text (``audit.tiering``): a novice agent on a case whose text is tier 3-5 is a breach with
check ``text_tier``, whatever the log says. :func:`log_vs_text` counts, per agent, the cases
whose logged category differs from the text tier, and lists the hard ones logged as easy.

Pure functions over frames. :func:`text_tier_breaches` is one of the protocol checks
(``audit.resolution.protocol``, when the job passes the cohort's tiers);
:func:`log_vs_text_plans` and :func:`resolution_by_text_tier` are the resolution page's "log vs
text" views (``audit.resolution.views.resolution_views``).
"""

from __future__ import annotations

import polars as pl

from audit.core.masking import scrub_text_expr
from audit.data.schema import CATEGORIES, SENIOR_ONLY_CATEGORIES

CHECK = "text_tier"

#: DOMAIN.md's tier numbers; wrong_item and buyer have none (the intake text names them apart).
TIER_NUMBER: dict[str, int] = {"novice": 1, "logistics": 2, "service": 3, "quality": 4,
                               "fraud": 5}

LOG_VS_TEXT_COLUMNS: tuple[str, ...] = (
    "agent_id", "cases", "tiered", "mismatches", "mismatch_share", "hard_logged_easy")
MISMATCH_COLUMNS: tuple[str, ...] = (
    "case_id", "agent_id", "review_id", "log_category", "text_tier", "evidence", "review_text")
BY_TEXT_TIER_COLUMNS: tuple[str, ...] = (
    "category", "logged_cases", "logged_eligible", "logged_resolved", "logged_rate",
    "text_cases", "text_eligible", "text_resolved", "text_rate")


def _case_tiers(cases: pl.LazyFrame, tiers: pl.LazyFrame) -> pl.LazyFrame:
    """Cases with their review's text tier (``text_tier``, ``evidence``; null when untiered)."""
    return cases.select("case_id", "review_id", "agent_id", "category").join(
        tiers.select("review_id", pl.col("tier").alias("text_tier"), "evidence"),
        on="review_id", how="left")


def text_tier_breaches(
    cases: pl.LazyFrame, agents: pl.LazyFrame, tiers: pl.LazyFrame
) -> pl.LazyFrame:
    """Novice agents on cases whose text is tier 3-5: ``case_id, agent_id, check, detail``.

    Parameters
    ----------
    cases
        case_id, review_id, agent_id, category (the logged one).
    agents
        agent_id, level.
    tiers
        review_id, tier, evidence (``audit.tiering.tier_reviews`` or ``analyse_tiers``).
    """
    novices = agents.filter(pl.col("level") == "novice").select("agent_id")
    hit = (
        _case_tiers(cases, tiers)
        .filter(pl.col("text_tier").is_in(SENIOR_ONLY_CATEGORIES))
        .join(novices, on="agent_id", how="semi")
    )
    number = pl.col("text_tier").replace_strict(TIER_NUMBER, default=None,
                                                return_dtype=pl.String)
    detail = pl.format(
        "novice agent {} handled a case whose review text reads as {} (tier {}: {}); "
        "logged as {}", pl.col("agent_id"), pl.col("text_tier"), number,
        pl.col("evidence").fill_null(""), pl.col("category"))
    return hit.select("case_id", "agent_id", check=pl.lit(CHECK), detail=detail).sort("case_id")


def log_vs_text_plans(
    cases: pl.LazyFrame, tiers: pl.LazyFrame, reviews: pl.LazyFrame
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """(per agent, mismatched cases): the log's category against the text tier, as plans.

    Per agent (``LOG_VS_TEXT_COLUMNS``): cases, tiered (cases whose review has a text tier),
    mismatches (tiered cases whose logged category differs), mismatch_share (of tiered),
    hard_logged_easy (text tier 3-5, logged as a tier 1-2 category: the cases that slip past the
    log-based routing check); sorted by hard_logged_easy, then mismatches, descending.

    The list (``MISMATCH_COLUMNS``) holds every mismatched case with the review text, phone
    numbers masked (HTML escaping is the page's job, Excel/CSV neutralising the writers'), the
    hard-logged-easy ones first, then by case_id.
    """
    easy = [c for c in TIER_NUMBER if c not in SENIOR_ONLY_CATEGORIES]
    joined = _case_tiers(cases, tiers).with_columns(
        mismatch=pl.col("text_tier").is_not_null() & (pl.col("text_tier") != pl.col("category")),
        hard_logged_easy=pl.col("text_tier").is_in(SENIOR_ONLY_CATEGORIES)
        & pl.col("category").is_in(easy),
    )
    by_agent = (
        joined.group_by("agent_id")
        .agg(cases=pl.len().cast(pl.Int64), tiered=pl.col("text_tier").count().cast(pl.Int64),
             mismatches=pl.col("mismatch").sum().cast(pl.Int64),
             hard_logged_easy=pl.col("hard_logged_easy").sum().cast(pl.Int64))
        .with_columns(mismatch_share=pl.when(pl.col("tiered") > 0)
                      .then(pl.col("mismatches") / pl.col("tiered")))
        .select(LOG_VS_TEXT_COLUMNS)
        .sort(["hard_logged_easy", "mismatches", "agent_id"], descending=[True, True, False])
    )
    mismatched = (
        joined.filter(pl.col("mismatch"))
        .join(reviews.select("review_id", "review_text"), on="review_id", how="left")
        .sort(["hard_logged_easy", "case_id"], descending=[True, False])
        .select("case_id", "agent_id", "review_id", pl.col("category").alias("log_category"),
                "text_tier", "evidence", scrub_text_expr("review_text"))
    )
    return by_agent, mismatched


def log_vs_text(
    cases: pl.LazyFrame, tiers: pl.LazyFrame, reviews: pl.LazyFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """:func:`log_vs_text_plans`, collected together."""
    by_agent, mismatched = pl.collect_all(list(log_vs_text_plans(cases, tiers, reviews)))
    return by_agent, mismatched


def resolution_by_text_tier(cohort: pl.LazyFrame, tiers: pl.LazyFrame) -> pl.LazyFrame:
    """Resolution by category twice: on the logged category and on the text tier, side by side.

    ``cohort`` is the resolution cohort (``ResolutionAudit.cases``: category, is_eligible,
    is_resolved per case). Columns ``BY_TEXT_TIER_COLUMNS``, one row per category either side
    has, in ``CATEGORIES`` order; a side without the category has 0 cases and no rate. Cases
    whose review has no text tier count on the logged side only.
    """
    def side(key: str, prefix: str) -> pl.LazyFrame:
        return (
            with_tier.filter(pl.col(key).is_not_null())
            .group_by(pl.col(key).alias("category"))
            .agg(cases=pl.len().cast(pl.Int64),
                 eligible=pl.col("is_eligible").sum().cast(pl.Int64),
                 resolved=pl.col("is_resolved").sum().cast(pl.Int64))
            .with_columns(rate=pl.when(pl.col("eligible") > 0)
                          .then(pl.col("resolved") / pl.col("eligible")))
            .select("category", pl.exclude("category").name.prefix(prefix))
        )

    with_tier = cohort.select("review_id", "category", "is_eligible", "is_resolved").join(
        tiers.select("review_id", pl.col("tier").alias("text_tier")), on="review_id",
        how="left")
    order = pl.LazyFrame({"category": list(CATEGORIES), "_order": list(range(len(CATEGORIES)))})
    counts = [c for c in BY_TEXT_TIER_COLUMNS if c.endswith(("cases", "eligible", "resolved"))]
    return (
        side("category", "logged_").join(side("text_tier", "text_"), on="category", how="full",
                                         coalesce=True)
        .with_columns(pl.col(counts).fill_null(0))
        .join(order, on="category", how="left")
        .sort("_order", "category", nulls_last=True)
        .select(BY_TEXT_TIER_COLUMNS)
    )
