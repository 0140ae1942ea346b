"""Mislabelled cases planted in the demo handling log (issue 11), with their truth.

The intake person sometimes logs a hard case as an easy one: a quality complaint logged as
``novice``, an agent-attitude complaint logged as ``logistics``. Such a case slips past the
routing check "novices take tiers 1-2 only" and flatters the mix of the agent who has it. The
demo plants a few, on cases worked by senior agents (so the log-based routing truth is
unchanged), and only on review texts that name the true complaint unmistakably (``CLEAR``):
the tiering must read those as their true tier, so every planted case is a disagreement.

Draws come from their own random stream, so every other demo file stays as it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    import numpy as np

#: (true category, logged category, how many): the hard cases logged as easy ones.
PLANTS: tuple[tuple[str, str, int], ...] = (
    ("quality", "novice", 10),
    ("service", "logistics", 6),
)

#: Demo review phrases (audit/demo/text.py) that name their category unmistakably.
CLEAR: dict[str, tuple[str, ...]] = {
    "quality": ("做工粗糙，线头很多", "就坏了"),
    "service": ("客服态度很差", "申请退换客服一直不处理"),
}

TRUTH_SCHEMA = {
    "case_id": pl.String,
    "review_id": pl.String,
    "agent_id": pl.String,
    "true_category": pl.String,
    "logged_category": pl.String,
}


def plant_mislabels(
    rng: np.random.Generator, cases: pl.DataFrame, reviews: pl.DataFrame, agents: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``cases`` with the planted categories, and the truth (one row per planted case)."""
    seniors = agents.filter(pl.col("level") == "senior")["agent_id"].implode()
    pool = (
        cases.select("case_id", "review_id", "agent_id", "category")
        .join(reviews.select("review_id", "review_text"), on="review_id", how="left")
        .filter(pl.col("agent_id").is_in(seniors), pl.col("review_text").is_not_null())
        .sort("case_id")
    )
    picked = []
    for true, logged, n in PLANTS:
        clear = pl.any_horizontal(
            [pl.col("review_text").str.contains(p, literal=True) for p in CLEAR[true]])
        candidates = pool.filter(pl.col("category") == true, clear)
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
