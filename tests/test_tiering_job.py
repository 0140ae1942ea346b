"""The tiering job (audit.tiering.job) and ``review-audit tier``: files, columns, exit codes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from audit.cli import app
from audit.tiering import analyse_tiers
from audit.tiering.job import OUTPUT_FILE, OUTPUT_SCHEMA

COLUMNS = ["review_id", "tier", "tiers", "confidence", "evidence", "log_category", "agrees"]

REVIEWS_CSV = (
    "review_id,shop_id,order_id,item_id,buyer_id,rating,review_text,reviewed_at\n"
    "R1,S1,O1,I1,b1,negative,快递很快，但是质量太差,2026-10-01 10:00:00\n"
    "R2,S1,O2,I1,b2,neutral,东西很好，很满意,2026-10-01 11:00:00\n"
    "R3,S1,O3,I2,b3,positive,很好,2026-10-01 12:00:00\n"
    "R4,S1,O4,I2,b4,neutral,物流不慢，就是發錯顏色了,2026-10-02 09:00:00\n"
)


def _reviews_only(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    (data / "reviews.csv").write_text(REVIEWS_CSV, "utf-8")
    return data


def test_tier_on_a_reviews_only_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["tier", str(_reviews_only(tmp_path)),
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    out = pl.read_csv(tmp_path / "out" / OUTPUT_FILE, infer_schema=False)
    assert out.columns == COLUMNS
    # Positive reviews are outside the after-sales scope; no cases: log and agreement empty.
    assert out["review_id"].to_list() == ["R1", "R2", "R4"]
    assert out["tier"].to_list() == ["quality", "novice", "wrong_item"]
    assert out["log_category"].null_count() == 3
    assert out["agrees"].null_count() == 3


def test_analyse_joins_the_first_case_category_and_agreement() -> None:
    reviews = pl.LazyFrame({
        "review_id": ["R1", "R2", "R3"], "rating": ["negative", "neutral", "negative"],
        "review_text": ["质量太差，用了一次就坏了", "东西很好，很满意", "快递太慢了"],
    })
    t = datetime(2026, 10, 1)
    cases = pl.LazyFrame({
        "case_id": ["C2", "C1", "C9"], "review_id": ["R1", "R1", "R2"],
        "opened_at": [t.replace(hour=2), t.replace(hour=1), t],
        "category": ["quality", "novice", "novice"],
    })
    out = analyse_tiers({"reviews": reviews, "cases": cases})
    assert dict(out.schema) == OUTPUT_SCHEMA
    assert out.select("review_id", "tier", "log_category", "agrees").rows() == [
        ("R1", "quality", "novice", False),  # first-opened case (C1) is the logged one
        ("R2", "novice", "novice", True),
        ("R3", "logistics", None, None),
    ]
    # Without a cases table at all, the same tiers and empty log columns.
    alone = analyse_tiers({"reviews": reviews})
    assert alone["tier"].to_list() == out["tier"].to_list()
    assert alone["agrees"].null_count() == 3


def test_tier_on_the_demo(demo_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["tier", str(demo_dir), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    out = pl.read_csv(tmp_path / OUTPUT_FILE, infer_schema=False)
    assert out.columns == COLUMNS
    reviews = pl.read_csv(demo_dir / "reviews.csv", infer_schema=False)
    in_scope = reviews.filter(pl.col("rating").is_in(["neutral", "negative"]))
    assert out["review_id"].to_list() == in_scope["review_id"].to_list()
    assert set(out["agrees"].drop_nulls().unique()) <= {"true", "false"}
    cases = pl.read_csv(demo_dir / "cases.csv", infer_schema=False)
    with_case = out.filter(pl.col("review_id").is_in(cases["review_id"].implode()))
    assert with_case["log_category"].null_count() == 0
    assert out.filter(pl.col("log_category").is_null())["agrees"].null_count() == (
        out["log_category"].null_count())


def test_tier_exit_codes(tmp_path: Path) -> None:
    runner = CliRunner()
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(app, ["tier", str(empty), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "no exports found" in result.stderr
    assert "Traceback" not in result.output
    (empty / "cases.csv").write_text(
        "case_id,review_id,agent_id,category,opened_at,closed_at,outcome\n", "utf-8")
    result = runner.invoke(app, ["tier", str(empty), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "`reviews` is absent" in result.stderr
    (empty / "cases.csv").unlink()

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "reviews.csv").write_text("rating,review_text\nneutral,还行\n", "utf-8")
    result = runner.invoke(app, ["tier", str(broken), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1

    missing_out = runner.invoke(app, ["tier", str(empty)])
    assert missing_out.exit_code == 2
