"""Tiering as a job: every neutral/negative review tiered from its text, beside the logged category.

:func:`analyse` (typed tables in) is what the pack and the resolution job call;
:func:`load_and_analyse` (a folder in) is what the CLI calls; :func:`run_tiering` writes
``review_tiers.csv``. Only ``reviews`` is required: without a ``cases`` table every review's
``log_category`` and ``agrees`` are empty.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from audit.tiering.classify import OUTPUT_SCHEMA as TIER_SCHEMA
from audit.tiering.classify import tier_reviews

if TYPE_CHECKING:
    from collections.abc import Mapping

    from audit.data.dataset import Dataset

NAME = "tiering"
OUTPUT_FILE = "review_tiers.csv"
REQUIRED_TABLES: tuple[str, ...] = ("reviews",)

#: The ratings in the after-sales scope (the intake person logs these, DOMAIN.md).
IN_SCOPE_RATINGS: tuple[str, ...] = ("neutral", "negative")

#: The columns of ``review_tiers.csv``, in order (the issue's contract).
OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    **TIER_SCHEMA, "log_category": pl.String(), "agrees": pl.Boolean(),
}


def logged_category(cases: pl.LazyFrame) -> pl.LazyFrame:
    """One logged category per review: the first-opened case's (ties: smallest case_id)."""
    return (
        cases.select("review_id", "case_id", "opened_at", "category")
        .sort(["review_id", "opened_at", "case_id"], nulls_last=True)
        .group_by("review_id", maintain_order=True)
        .agg(pl.col("category").first().alias("log_category"))
    )


def analyse(tables: Mapping[str, pl.LazyFrame]) -> pl.DataFrame:
    """The text tier of every neutral/negative review and its case's logged category.

    Parameters
    ----------
    tables
        Canonical tables (``audit.data.dataset.Dataset.tables``); ``reviews`` is used, and
        ``cases`` when present (an absent table is an empty frame with the schema, or missing).

    Returns
    -------
    pl.DataFrame
        ``OUTPUT_SCHEMA``, one row per neutral/negative review, in review order: ``log_category``
        null when the review has no case, ``agrees`` null then, else tier == log_category.
    """
    reviews = tables["reviews"].filter(pl.col("rating").is_in(IN_SCOPE_RATINGS))
    tiers = tier_reviews(
        reviews.select("review_id", "rating", pl.col("review_text").alias("text")))
    cases = tables.get("cases")
    if cases is None:
        logged = pl.LazyFrame(schema={"review_id": pl.String, "log_category": pl.String})
    else:
        logged = logged_category(cases)
    return (
        tiers.join(logged, on="review_id", how="left", maintain_order="left")
        .with_columns(
            pl.when(pl.col("log_category").is_null()).then(None)
            .otherwise(pl.col("tier") == pl.col("log_category")).alias("agrees"))
        .select([pl.col(c).cast(t) for c, t in OUTPUT_SCHEMA.items()])
        .collect()
    )


def load_and_analyse(data_dir: Path | str) -> tuple[pl.DataFrame, Dataset]:
    """Load ``data_dir`` (validated; only ``reviews`` required) and :func:`analyse` it."""
    from audit.data.dataset import load_dataset

    ds = load_dataset(data_dir, require=REQUIRED_TABLES)
    tables = dict(ds.tables)
    if "cases" in ds.absent:
        tables.pop("cases", None)
    return analyse(tables), ds


def run_tiering(data_dir: Path | str, out_dir: Path | str) -> tuple[pl.DataFrame, Path]:
    """Tier ``data_dir``'s reviews and write ``out_dir/review_tiers.csv``; (frame, path)."""
    from audit.data import outputs

    frame, _ = load_and_analyse(data_dir)
    path = Path(out_dir) / OUTPUT_FILE
    outputs.write_csv(frame, path)
    return frame, path
