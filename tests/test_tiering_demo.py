"""The demo's planted mislabelled cases (truth/mislabelled_cases.csv) found by the tiering job.

Recall is over every planted case. Precision is over the planting pool: the cases whose review
text uses a phrase that names its category unmistakably (``audit.demo.mislabel.CLEAR``). Over
the whole demo the tiering disagrees with the log far more often, because several of the demo's
own templates read as another tier (docs/tiering.md, "On the demo"); that is not claimed here.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from audit.data.dataset import load_dataset
from audit.demo.mislabel import CLEAR, PLANTS
from audit.tiering import analyse_tiers


def _tiers(demo_dir: Path) -> pl.DataFrame:
    ds = load_dataset(demo_dir, require=("reviews",))
    return analyse_tiers(ds.tables)


def test_every_planted_mislabel_is_found(demo_dir: Path) -> None:
    truth = pl.read_csv(demo_dir / "truth" / "mislabelled_cases.csv", infer_schema=False)
    assert truth.height == sum(n for _, _, n in PLANTS)
    tiers = _tiers(demo_dir)
    found = truth.join(tiers, on="review_id", how="left")
    assert found["agrees"].to_list() == [False] * truth.height
    assert found["tier"].to_list() == found["true_category"].to_list()
    assert found["log_category"].to_list() == found["logged_category"].to_list()


def test_disagreements_in_the_clear_pool_are_exactly_the_planted(demo_dir: Path) -> None:
    truth = pl.read_csv(demo_dir / "truth" / "mislabelled_cases.csv", infer_schema=False)
    reviews = pl.read_csv(demo_dir / "reviews.csv", infer_schema=False)
    clear = pl.any_horizontal([
        pl.col("review_text").str.contains(p, literal=True)
        for phrases in CLEAR.values() for p in phrases])
    pool = reviews.filter(clear).select("review_id")
    tiers = _tiers(demo_dir).join(pool, on="review_id")
    assert tiers.height > 10 * truth.height
    flagged = set(tiers.filter(pl.col("agrees").not_())["review_id"])
    planted = set(truth["review_id"])
    tp = len(flagged & planted)
    assert tp / len(flagged) == 1.0  # precision
    assert tp / len(planted) == 1.0  # recall
