"""The demo's planted mislabelled cases (truth/mislabelled_cases.csv) found by the tiering job.

The demo writes every review text for its true category (``audit.demo.text``), so the text tier
of every case is its true category and the only disagreements with the log are the planted
ones: precision and recall are over the whole demo. The first test holds the premise over every
text the generator can write; the others hold the numbers the resolution page shows against
the truth, computed here the plain way (CSV rows, Python dicts).
"""

from __future__ import annotations

import csv
from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import polars as pl
import pytest

from audit.data.dataset import load_dataset
from audit.demo import text as demo_text
from audit.demo.mislabel import PLANTS
from audit.tiering import analyse_tiers, tier_reviews

if TYPE_CHECKING:
    from pathlib import Path

FMT = "%Y-%m-%d %H:%M:%S"
SENIOR = {"service", "quality", "fraud"}
EASY = {"novice", "logistics"}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _every_demo_text() -> pl.DataFrame:
    """(category, rating, text) for every text ``review_texts`` can write, every item noun."""
    nouns = sorted({n for _, products, _ in demo_text.SHOP_TRADES for n in products})
    rows = []
    for category, phrases in demo_text._REVIEW.items():
        for rating in ("neutral", "negative"):
            for first in phrases:
                for second in ("", *(p for p in phrases if p != first)):
                    for tail in demo_text._tails(category, rating):
                        template = first + second + tail
                        for noun in nouns if "{p}" in template else nouns[:1]:
                            rows.append((category, rating,
                                         template.format(n=7, p=noun, m=200)))
    return pl.DataFrame(rows, schema=["category", "rating", "text"], orient="row")


def test_every_text_the_demo_writes_reads_as_its_category() -> None:
    texts = _every_demo_text().with_row_index("i").with_columns(
        review_id=pl.col("i").cast(pl.String))
    assert texts.height > 50_000
    got = tier_reviews(texts.lazy().select("review_id", "rating", "text")).collect()
    wrong = texts.join(got, on="review_id").filter(pl.col("tier") != pl.col("category"))
    assert wrong.height == 0, wrong.select("category", "rating", "text", "tier").head(5)


@pytest.fixture(scope="module")
def tiers(demo_dir: Path) -> pl.DataFrame:
    ds = load_dataset(demo_dir, require=("reviews",))
    return analyse_tiers(ds.tables)


def test_every_planted_mislabel_is_found_and_nothing_else(demo_dir: Path,
                                                          tiers: pl.DataFrame) -> None:
    truth = pl.read_csv(demo_dir / "truth" / "mislabelled_cases.csv", infer_schema=False)
    assert truth.height == sum(n for *_, n in PLANTS)
    found = truth.join(tiers, on="review_id", how="left")
    assert found["agrees"].to_list() == [False] * truth.height
    assert found["tier"].to_list() == found["true_category"].to_list()
    assert found["log_category"].to_list() == found["logged_category"].to_list()
    flagged = set(tiers.filter(pl.col("agrees").not_())["review_id"])
    planted = set(truth["review_id"])
    assert tiers.height > 300 * truth.height
    assert len(flagged & planted) / len(flagged) == 1.0  # precision, whole demo
    assert len(flagged & planted) / len(planted) == 1.0  # recall


@pytest.fixture(scope="module")
def october(demo_dir: Path):
    from audit.resolution.job import load_and_analyse

    run, _ = load_and_analyse(demo_dir, month="2026-10")
    return run.views


def _cohort(demo_dir: Path, month: str) -> tuple[list[dict[str, str]], dict[str, str]]:
    """The month's cases (plain rows) and each case's true category (= its text's tier)."""
    reviews = {r["review_id"]: r for r in _rows(demo_dir / "reviews.csv")}
    cases = [c for c in _rows(demo_dir / "cases.csv")
             if reviews[c["review_id"]]["reviewed_at"].startswith(month)]
    true = {c["case_id"]: c["category"] for c in cases}
    true |= {m["case_id"]: m["true_category"]
             for m in _rows(demo_dir / "truth" / "mislabelled_cases.csv") if m["case_id"] in true}
    return cases, true


def test_log_vs_text_by_agent_is_the_planted_truth(demo_dir: Path, october) -> None:
    cases, true = _cohort(demo_dir, "2026-10")
    planted = [c for c in cases if true[c["case_id"]] != c["category"]]
    assert planted, "no planted case in the month: the test could not fail"
    expected = {a: (n, n, Counter(c["agent_id"] for c in planted)[a])
                for a, n in Counter(c["agent_id"] for c in cases).items()}
    got = {r["agent_id"]: (r["cases"], r["tiered"], r["mismatches"])
           for r in october.log_vs_text.iter_rows(named=True)}
    assert got == expected
    hard = Counter(c["agent_id"] for c in planted
                   if true[c["case_id"]] in SENIOR and c["category"] in EASY)
    assert dict(october.log_vs_text.select("agent_id", "hard_logged_easy").iter_rows()) == {
        a: hard[a] for a in expected}
    listed = october.log_vs_text_cases
    assert set(listed["case_id"]) == {c["case_id"] for c in planted}
    assert {(r["case_id"], r["log_category"], r["text_tier"]) for r in listed.iter_rows(
        named=True)} == {(c["case_id"], c["category"], true[c["case_id"]]) for c in planted}


def test_resolution_by_text_tier_is_resolution_by_true_category(demo_dir: Path, october) -> None:
    import json

    facts = json.loads((demo_dir / "truth" / "facts.json").read_text("utf-8"))
    as_of = datetime.fromisoformat(facts["period"]["as_of"])
    reviews = {r["review_id"]: r for r in _rows(demo_dir / "reviews.csv")}
    cases, true = _cohort(demo_dir, "2026-10")

    def resolved(review: dict[str, str]) -> bool:
        deadline = datetime.strptime(review["reviewed_at"], FMT) + timedelta(days=30)
        limit = min(deadline, as_of)
        revised = (review["revised_rating"] == "positive" and review["revised_at"]
                   and datetime.strptime(review["revised_at"], FMT) <= limit)
        removed = review["removed_at"] and datetime.strptime(review["removed_at"], FMT) <= limit
        return bool(revised or removed)

    def tally(category_of) -> dict[str, tuple[int, int]]:  # noqa: ANN001
        out: dict[str, list[int]] = {}
        for c in cases:
            cell = out.setdefault(category_of(c), [0, 0])
            cell[0] += 1
            cell[1] += resolved(reviews[c["review_id"]])
        return {k: (n, r) for k, (n, r) in out.items()}

    shown = october.by_text_tier
    logged = {r["category"]: (r["logged_cases"], r["logged_resolved"])
              for r in shown.iter_rows(named=True) if r["logged_cases"]}
    text = {r["category"]: (r["text_cases"], r["text_resolved"])
            for r in shown.iter_rows(named=True) if r["text_cases"]}
    assert logged == tally(lambda c: c["category"])
    assert text == tally(lambda c: true[c["case_id"]])
    assert logged != text  # the planted cases move between categories
    # The logged side is the page's resolution by category, case for case.
    by_category = october.by_category.select("category", "cases", "resolved", "rate")
    assert shown.select("category", cases="logged_cases", resolved="logged_resolved",
                        rate="logged_rate").filter(pl.col("cases") > 0).equals(by_category)


def test_text_tier_breaches_on_the_page_are_the_truth(demo_dir: Path, october) -> None:
    cases, _ = _cohort(demo_dir, "2026-10")
    cohort = {c["case_id"] for c in cases}
    truth = {(r["case_id"], r["agent_id"]) for r in _rows(
        demo_dir / "truth" / "protocol_breaches.csv")
        if r["check"] == "text_tier" and r["case_id"] in cohort}
    shown = october.breaches.filter(pl.col("check") == "text_tier")
    assert set(shown.select("case_id", "agent_id").rows()) == truth
    assert shown.height == len(truth) > 0
    assert october.headline["breaches"] == october.breaches.height


def test_review_text_in_the_log_vs_text_list_is_masked_and_escaped(demo_dir: Path,
                                                                   tmp_path: Path) -> None:
    import shutil

    from builders.notebooks import PLANTED_PHONE_TEXT, SCRIPT

    from audit.core.charts import table_html
    from audit.resolution.job import load_and_analyse
    from audit.resolution.views import display_frame

    data = tmp_path / "d"
    shutil.copytree(demo_dir, data, ignore=shutil.ignore_patterns("truth"))
    cases, true = _cohort(demo_dir, "2026-10")
    target = next(c["review_id"] for c in cases if true[c["case_id"]] != c["category"])
    reviews = pl.read_csv(data / "reviews.csv", infer_schema=False)
    planted = pl.lit(f"{SCRIPT} 电话 {PLANTED_PHONE_TEXT} ") + pl.col("review_text")
    reviews.with_columns(pl.when(pl.col("review_id") == target).then(planted)
                         .otherwise(pl.col("review_text")).alias("review_text")
                         ).write_csv(data / "reviews.csv")
    run, _ = load_and_analyse(data, month="2026-10")
    listed = run.views.log_vs_text_cases.filter(pl.col("review_id") == target)
    assert listed.height == 1
    for lang in ("en", "zh"):
        page = table_html(display_frame(run.views.log_vs_text_cases, "log_vs_text_cases",
                                        lang=lang))
        assert "<script>" not in page
        assert "&lt;script&gt;" in page
        assert PLANTED_PHONE_TEXT not in page
        assert f"{PLANTED_PHONE_TEXT[:3]}****{PLANTED_PHONE_TEXT[-4:]}" in page
