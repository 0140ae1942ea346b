"""The routing check on the text tier and the log-vs-text table (audit.resolution.text_tier)."""

from __future__ import annotations

import polars as pl

from audit.resolution.protocol import BREACH_COLUMNS
from audit.resolution.text_tier import (
    BY_TEXT_TIER_COLUMNS,
    LOG_VS_TEXT_COLUMNS,
    MISMATCH_COLUMNS,
    log_vs_text,
    resolution_by_text_tier,
    text_tier_breaches,
)
from audit.tiering import tier_reviews

AGENTS = pl.LazyFrame({"agent_id": ["N1", "S1"], "level": ["novice", "senior"]})
CASES = pl.LazyFrame({
    "case_id": ["C1", "C2", "C3", "C4", "C5"],
    "review_id": ["R1", "R2", "R3", "R4", "R5"],
    "agent_id": ["N1", "N1", "N1", "S1", "S1"],
    "category": ["novice", "logistics", "quality", "novice", "quality"],
})
REVIEWS = pl.LazyFrame({
    "review_id": ["R1", "R2", "R3", "R4", "R5"],
    "rating": ["negative", "neutral", "negative", "negative", "negative"],
    "review_text": [
        "做工粗糙，线头很多，差评！联系13812345678",  # quality text, logged novice, novice agent
        "快递太慢了，等了五天才到",  # logistics text, logged logistics: fine
        "客服态度很差，问了半天才回一句",  # service text, logged quality, novice agent
        "用了3天就坏了",  # quality text logged novice, senior agent: no breach, a mismatch
        "质量太差",  # agrees
    ],
})


def _tiers() -> pl.LazyFrame:
    return tier_reviews(REVIEWS.select("review_id", "rating", pl.col("review_text").alias("text")))


def test_text_tier_breaches_are_novices_on_text_tier_3_to_5() -> None:
    out = text_tier_breaches(CASES, AGENTS, _tiers()).collect()
    assert tuple(out.columns) == BREACH_COLUMNS
    assert out.select("case_id", "agent_id", "check").rows() == [
        ("C1", "N1", "text_tier"), ("C3", "N1", "text_tier")]
    assert "reads as quality (tier 4" in out["detail"][0]
    assert out["detail"][0].endswith("logged as novice")
    assert "reads as service (tier 3" in out["detail"][1]


def test_text_tier_ignores_untiered_cases() -> None:
    tiers = pl.LazyFrame(schema={"review_id": pl.String, "tier": pl.String,
                                 "evidence": pl.String})
    assert text_tier_breaches(CASES, AGENTS, tiers).collect().height == 0


def test_log_vs_text_by_agent_and_mismatched_cases() -> None:
    by_agent, hard = log_vs_text(CASES, _tiers(), REVIEWS)
    assert tuple(by_agent.columns) == LOG_VS_TEXT_COLUMNS
    assert by_agent.select("agent_id", "cases", "tiered", "mismatches",
                           "hard_logged_easy").rows() == [
        ("N1", 3, 3, 2, 1), ("S1", 2, 2, 1, 1)]
    assert by_agent["mismatch_share"].to_list() == [2 / 3, 1 / 2]
    assert tuple(hard.columns) == MISMATCH_COLUMNS
    # Every mismatch, the hard ones logged as easy (C1, C4) first.
    assert hard.select("case_id", "log_category", "text_tier").rows() == [
        ("C1", "novice", "quality"), ("C4", "novice", "quality"), ("C3", "quality", "service")]
    assert "13812345678" not in hard["review_text"][0]
    assert "138****5678" in hard["review_text"][0]


def test_resolution_by_text_tier_counts_each_case_under_both_categories() -> None:
    cohort = CASES.with_columns(is_eligible=pl.Series([True, True, True, True, False]),
                                is_resolved=pl.Series([True, False, True, False, False]))
    out = resolution_by_text_tier(cohort, _tiers()).collect()
    assert tuple(out.columns) == BY_TEXT_TIER_COLUMNS
    # logged: novice C1 C4, logistics C2, quality C3 C5; text: quality C1 C4 C5, logistics C2,
    # service C3. C5 is not eligible.
    assert out.select("category", "logged_cases", "logged_eligible", "logged_resolved",
                      "text_cases", "text_eligible", "text_resolved").rows() == [
        ("novice", 2, 2, 1, 0, 0, 0), ("logistics", 1, 1, 0, 1, 1, 0),
        ("service", 0, 0, 0, 1, 1, 1), ("quality", 2, 1, 1, 3, 2, 1)]
    assert out["logged_rate"].to_list() == [0.5, 0.0, None, 1.0]
    assert out["text_rate"].to_list() == [None, 0.0, 1.0, 0.5]


def test_resolution_views_carry_log_vs_text_on_the_demo(demo_dir, tmp_path) -> None:
    from audit.core.bundle import load_views, save_views
    from audit.resolution.job import load_and_analyse
    from audit.resolution.views import ResolutionViews

    run, ds = load_and_analyse(demo_dir, month="2026-10")
    lvt = run.views.log_vs_text
    assert tuple(lvt.columns) == LOG_VS_TEXT_COLUMNS
    assert lvt["cases"].sum() == run.views.by_category["cases"].sum()
    planted = pl.read_csv(demo_dir / "truth" / "mislabelled_cases.csv", infer_schema=False)
    cohort = ds.tables["reviews"].filter(
        pl.col("reviewed_at").dt.strftime("%Y-%m") == "2026-10").select("review_id").collect()
    in_cohort = planted.join(cohort, on="review_id")
    assert in_cohort.height > 0
    # Every planted case is a hard case logged as easy, counted on its agent's row.
    per_agent = dict(lvt.select("agent_id", "hard_logged_easy").iter_rows())
    for agent, n in in_cohort.group_by("agent_id").len().iter_rows():
        assert per_agent[agent] >= n
    # The pack hands the views to notebooks through save/load: the new frame survives it.
    back = load_views(ResolutionViews, save_views(run.views, tmp_path / "views"))
    assert back.log_vs_text.equals(lvt)
