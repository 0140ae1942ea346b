"""`review-audit impact`: thin CLI over estimate_impact, end to end on the demo."""

from __future__ import annotations

import json

import polars as pl
from typer.testing import CliRunner

from audit.cli import app
from audit.impact.analysis import EVENT_STUDY_COLUMNS, SUMMARY_COLUMNS


def test_impact_writes_both_files_with_exact_columns(demo_dir, tmp_path):
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["impact", str(demo_dir), "--out", str(out), "--window", "10",
                                   "--event", "explanation"])
    assert res.exit_code == 0, res.output
    summary = pl.read_csv(out / "impact_summary.csv")
    study = pl.read_csv(out / "event_study.csv")
    assert tuple(summary.columns) == SUMMARY_COLUMNS
    assert tuple(study.columns) == EVENT_STUDY_COLUMNS
    assert summary["event"].unique().to_list() == ["explanation"]
    assert sorted(summary["metric"].unique()) == ["conversion", "orders", "review_page_views",
                                                  "visitors"]
    assert sorted(summary["design"].unique()) == ["panel", "stacked"]
    assert set(summary.filter(pl.col("metric") == "conversion")["estimand"]) == {
        "orders-weighted", "per-explanation", "matched units"}
    assert sorted(summary.filter(pl.col("metric") == "conversion")["group"]) == [
        "all", "all", "all", "first", "later"]
    assert study.filter(pl.col("design") == "stacked")["day"].min() == -10
    assert study.filter(pl.col("design") == "panel")["day"].min() == -7
    assert study["day"].max() == 10
    assert "naive before/after" in res.output
    assert "verdict" in res.output
    facts = json.loads((demo_dir / "truth" / "facts.json").read_text())
    conv = summary.filter(pl.col("metric") == "conversion").row(0, named=True)
    truth = facts["sales"]["explanation_lift_conversion_pct"]
    assert conv["ci_low_pct"] <= truth <= conv["ci_high_pct"]


def test_unknown_event_is_a_parameter_error(demo_dir, tmp_path):
    res = CliRunner().invoke(app, ["impact", str(demo_dir), "--out", str(tmp_path),
                                   "--event", "explain"])
    assert res.exit_code == 2
    assert "--event must be one of explanation, resolution, got 'explain'" in res.output


def test_missing_sales_table_is_a_structural_error(tmp_path):
    (tmp_path / "reviews.csv").write_text("review_id\n")
    res = CliRunner().invoke(app, ["impact", str(tmp_path), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
