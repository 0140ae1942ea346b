"""Mislabelled cases planted in the demo handling log (issue 11), with their truth.

The intake person sometimes logs a hard case as an easy one: a quality complaint logged as
``novice``, an agent-attitude complaint logged as ``logistics``. Such a case slips past the
routing check "novices take tiers 1-2 only" and flatters the mix of the agent who has it. The
demo plants a few on cases of senior agents (the mix is flattered, no routing rule is broken)
and a few on the cases the simulation routed to a novice against the tiering (the log-based
routing check no longer sees them; the check on the text tier, ``text_tier``, does).

Every demo review text is written for its true category (``audit.demo.text``), so the text tier
of every case is its true category and every disagreement with the log is a planted one. The
routing truth follows the written log: :func:`routing_truth` moves the planted novice cases from
``novice_on_senior_category`` to ``text_tier`` only, and adds ``text_tier`` for every novice
case whose true category is tier 3-5.

Draws come from their own random stream, so every other demo file stays as it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from audit.data.schema import SENIOR_ONLY_CATEGORIES

if TYPE_CHECKING:
    import numpy as np

#: (true category, logged category, agent level, how many): the hard cases logged as easy ones.
PLANTS: tuple[tuple[str, str, str, int], ...] = (
    ("quality", "novice", "senior", 10),
    ("service", "logistics", "senior", 6),
    ("quality", "novice", "novice", 6),
    ("service", "logistics", "novice", 4),
)

TRUTH_SCHEMA = {
    "case_id": pl.String,
    "review_id": pl.String,
    "agent_id": pl.String,
    "true_category": pl.String,
    "logged_category": pl.String,
}


def plant_mislabels(
    rng: np.random.Generator, cases: pl.DataFrame, agents: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``cases`` with the planted categories, and the truth (one row per planted case)."""
    pool = cases.select("case_id", "review_id", "agent_id", "category").join(
        agents.select("agent_id", "level"), on="agent_id", how="left").sort("case_id")
    picked = []
    for true, logged, level, n in PLANTS:
        candidates = pool.filter(pl.col("category") == true, pl.col("level") == level)
        if candidates.height == 0:
            continue
        idx = rng.choice(candidates.height, size=min(n, candidates.height), replace=False)
        picked.append(candidates[sorted(idx.tolist())].select(
            "case_id", "review_id", "agent_id",
            pl.col("category").alias("true_category"),
            pl.lit(logged).alias("logged_category"),
        ))
    truth = (pl.concat(picked) if picked else pl.DataFrame(schema=TRUTH_SCHEMA)).sort("case_id")
    relabelled = (
        cases.join(truth.select("case_id", "logged_category"), on="case_id", how="left",
                   maintain_order="left")
        .with_columns(pl.coalesce("logged_category", "category").alias("category"))
        .select(cases.columns)
    )
    return relabelled.cast(dict(cases.schema)), truth.cast(TRUTH_SCHEMA)


def routing_truth(
    breaches: pl.DataFrame, true_cases: pl.DataFrame, written_cases: pl.DataFrame,
    agents: pl.DataFrame,
) -> pl.DataFrame:
    """The breach truth of the written log: routing rows on the logged and on the text tier.

    ``breaches`` is the simulation's truth (case_id, agent_id, check) on the true categories;
    ``true_cases`` and ``written_cases`` the cases before and after :func:`plant_mislabels`.
    ``novice_on_senior_category`` keeps the cases still logged tier 3-5; ``text_tier`` holds
    every novice-agent case whose true category (= its text's tier) is tier 3-5.
    """
    novices = agents.filter(pl.col("level") == "novice").select("agent_id")
    still_senior = written_cases.filter(
        pl.col("category").is_in(SENIOR_ONLY_CATEGORIES)).select("case_id")
    kept = pl.concat([
        breaches.filter(pl.col("check") != "novice_on_senior_category"),
        breaches.filter(pl.col("check") == "novice_on_senior_category")
        .join(still_senior, on="case_id", how="semi"),
    ])
    text = (true_cases.filter(pl.col("category").is_in(SENIOR_ONLY_CATEGORIES))
            .join(novices, on="agent_id", how="semi")
            .select("case_id", "agent_id", check=pl.lit("text_tier")))
    return pl.concat([kept, text.cast(dict(kept.schema))]).sort("case_id", "check")
