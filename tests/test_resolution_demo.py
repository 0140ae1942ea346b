"""The resolution analysis against the demo's ground truth (truth/*.csv), and the CLI end to end."""

from __future__ import annotations

import json
from datetime import datetime

import polars as pl
import pytest
from typer.testing import CliRunner

from audit.cli import app
from audit.core.dates import parse_month
from audit.data.dataset import load_dataset
from audit.resolution.analysis import (
    BY_AGENT_CATEGORY_COLUMNS,
    BY_AGENT_COLUMNS,
    BY_CATEGORY_COLUMNS,
    analyse_resolution,
    collect_outputs,
    resolution_headline,
)
from audit.resolution.protocol import CHECKS, detect_breaches, unverified_claims
from audit.tiering import tier_reviews

MONTHS = ("2026-08", "2026-09", "2026-10")


@pytest.fixture(scope="module")
def demo(demo_dir):
    ds = load_dataset(demo_dir, require=["reviews", "cases", "contacts", "agents"])
    facts = json.loads((demo_dir / "truth" / "facts.json").read_text("utf-8"))
    as_of = datetime.fromisoformat(facts["period"]["as_of"])
    return ds.tables, as_of


@pytest.fixture(scope="module")
def tiers(demo):
    """Every review's text tier (the routing check on the text tier reads it)."""
    t, _ = demo
    return tier_reviews(t["reviews"].select(
        "review_id", "rating", pl.col("review_text").alias("text"))).collect().lazy()


@pytest.fixture(scope="module")
def by_month(demo, tiers):
    t, as_of = demo
    out = {}
    for month in MONTHS:
        start, end = parse_month(month)
        audit = analyse_resolution(t["reviews"], t["cases"], t["contacts"], t["agents"],
                                   month_start=start, month_end=end, as_of=as_of, tiers=tiers)
        out[month] = collect_outputs(audit, ["cases", "by_agent", "breaches", "unverified"])
    return out


@pytest.fixture(scope="module")
def truth_agents(demo_dir):
    return pl.read_csv(demo_dir / "truth" / "agents.csv")


def _keys(df: pl.DataFrame, cols) -> set[tuple]:
    return set(df.select(cols).rows())


@pytest.mark.parametrize("check", CHECKS)
def test_every_injected_breach_is_found_and_none_invented(demo, tiers, demo_dir, check):
    t, as_of = demo
    got = detect_breaches(t["reviews"], t["cases"], t["contacts"], t["agents"], as_of=as_of,
                          tiers=tiers)
    got = got.filter(pl.col("check") == check).collect()
    truth = pl.read_csv(demo_dir / "truth" / "protocol_breaches.csv").filter(
        pl.col("check") == check)
    assert truth.height > 0, f"the demo injects no {check}: the test could not fail"
    cols = ["case_id", "agent_id", "check"]
    assert _keys(got, cols) - _keys(truth, cols) == set()  # precision 1
    assert _keys(truth, cols) - _keys(got, cols) == set()  # recall 1
    assert got.height == truth.height  # one row per (case, check)
    assert got["detail"].str.len_chars().min() > 20


def test_every_unverified_claim_is_found_and_none_invented(demo, demo_dir):
    t, as_of = demo
    got = unverified_claims(t["reviews"], t["cases"], as_of=as_of).collect()
    truth = pl.read_csv(demo_dir / "truth" / "unverified_claims.csv")
    assert truth.height > 0
    cols = ["case_id", "agent_id", "claimed_outcome"]
    assert _keys(got, cols) == _keys(truth, cols)
    assert got.height == truth.height


@pytest.mark.parametrize("month", MONTHS)
def test_cohort_outputs_are_the_truth_restricted_to_the_cohort(by_month, demo_dir, month):
    out = by_month[month]
    cohort = out["cases"].select("case_id")
    truth = pl.read_csv(demo_dir / "truth" / "protocol_breaches.csv").join(cohort, on="case_id")
    cols = ["case_id", "agent_id", "check"]
    assert _keys(out["breaches"], cols) == _keys(truth, cols)
    claims = pl.read_csv(demo_dir / "truth" / "unverified_claims.csv").join(cohort, on="case_id")
    assert _keys(out["unverified"], list(claims.columns)) == _keys(claims, list(claims.columns))


@pytest.mark.parametrize("month", MONTHS)
def test_the_truly_weaker_agent_ranks_below_the_mean(by_month, truth_agents, month):
    agents = by_month[month]["by_agent"].join(truth_agents, on="agent_id")
    weak = agents.filter(pl.col("is_weak"))
    assert weak.height == 1
    w = weak.row(0, named=True)
    assert w["mix_adjusted_ratio"] < agents["mix_adjusted_ratio"].mean()
    assert w["ratio_ci_high"] < 1.0  # and credibly so
    assert w["shrunk_ratio"] < agents["shrunk_ratio"].mean()
    assert w["rank"] > agents.height / 2


def test_the_easy_mix_novice_looks_good_raw_but_not_after_adjustment(by_month, truth_agents):
    agents = by_month["2026-10"]["by_agent"].join(truth_agents, on="agent_id").with_columns(
        raw_rank=pl.col("rate").rank("min", descending=True))
    she = agents.filter(pl.col("is_easy_mix_novice"))
    assert she.height == 1
    s = she.row(0, named=True)
    overall = agents["resolved"].sum() / agents["eligible"].sum()
    assert s["rate"] > overall  # raw rate high ...
    assert s["raw_rank"] <= agents.height / 4  # top quarter of raw rates
    assert s["ratio_ci_low"] <= 1.0 <= s["ratio_ci_high"]  # ... adjusted: not different
    assert s["rank"] > 1  # not top after adjustment
    assert s["rank"] > s["raw_rank"]


@pytest.mark.parametrize("month", MONTHS)
def test_the_easy_mix_novice_never_tops_the_adjusted_ranking(by_month, truth_agents, month):
    agents = by_month[month]["by_agent"].join(truth_agents, on="agent_id")
    s = agents.filter(pl.col("is_easy_mix_novice")).row(0, named=True)
    assert s["rank"] > 1
    assert s["ratio_ci_low"] <= 1.0 <= s["ratio_ci_high"]


def test_demo_cohort_has_no_open_cases_at_the_export_date(by_month):
    # The demo exports 30 days after the last report month: every window has closed.
    for month in MONTHS:
        assert (by_month[month]["cases"]["status"] == "open").sum() == 0


def test_headline_on_the_demo(demo, tiers, by_month):
    t, as_of = demo
    head = resolution_headline(t, month="2026-10", as_of=as_of, tiers=tiers)
    cases = by_month["2026-10"]["cases"]
    assert head["cohort_cases"] == cases.height
    assert head["resolved"] == cases["is_resolved"].sum()
    assert head["breaches"] == by_month["2026-10"]["breaches"].height
    assert 0 < head["rate"] < 1


def test_cli_end_to_end_on_the_demo(demo_dir, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["resolution", str(demo_dir), "--month", "2026-10",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    expected = {
        "resolution_by_agent.csv": BY_AGENT_COLUMNS,
        "resolution_by_category.csv": BY_CATEGORY_COLUMNS,
        "resolution_by_agent_category.csv": BY_AGENT_CATEGORY_COLUMNS,
        "protocol_breaches.csv": ("case_id", "agent_id", "check", "detail"),
        "unverified_claims.csv": ("case_id", "agent_id", "claimed_outcome"),
    }
    for name, cols in expected.items():
        df = pl.read_csv(out / name)
        assert tuple(df.columns[: len(cols)]) == cols, name
        assert df.height > 0, name
    breaches = pl.read_csv(out / "protocol_breaches.csv")
    reviews = pl.read_csv(demo_dir / "reviews.csv", try_parse_dates=True)
    cases = pl.read_csv(demo_dir / "cases.csv")
    cohort = cases.join(reviews.filter(pl.col("reviewed_at").dt.strftime("%Y-%m") == "2026-10"),
                        on="review_id").select("case_id")
    truth = pl.read_csv(demo_dir / "truth" / "protocol_breaches.csv").join(cohort, on="case_id")
    cols = ["case_id", "agent_id", "check"]
    assert _keys(breaches, cols) == _keys(truth, cols)
    by_cat = pl.read_csv(out / "resolution_by_category.csv")
    assert by_cat["cases"].sum() == cohort.height
    # --as-of earlier than the data: nothing stamped later counts, fewer resolved.
    early = tmp_path / "early"
    result = CliRunner().invoke(app, ["resolution", str(demo_dir), "--month", "2026-10",
                                      "--out", str(early), "--as-of", "2026-11-05"])
    assert result.exit_code == 0, result.output
    e = pl.read_csv(early / "resolution_by_category.csv")
    assert e["still_open"].sum() > 0
    assert e["resolved"].sum() < by_cat["resolved"].sum()


@pytest.mark.parametrize(("args", "message"), [
    (["--month", "2026-13"], "month '2026-13' has no month 13"),
    (["--month", "Oct"], "month must be YYYY-MM"),
    (["--month", "2026-10", "--as-of", "2026-02-30"], "is not a real calendar date"),
    (["--month", "2026-10", "--sla-hours", "0"], "--sla-hours must be a positive number"),
])
def test_cli_parameter_errors_are_one_line_and_exit_2(demo_dir, tmp_path, args, message):
    result = CliRunner().invoke(app, ["resolution", str(demo_dir), "--out", str(tmp_path), *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_cli_missing_table_is_a_structural_error(demo_dir, tmp_path):
    """A folder holding only the reviews export lacks the tables resolution needs."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "reviews.csv").write_bytes((demo_dir / "reviews.csv").read_bytes())
    result = CliRunner().invoke(app, ["resolution", str(tmp_path / "data"), "--month", "2026-10",
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "required table" in result.output


def test_backlog_peaks_in_the_demo_burst_while_agents_stay_flat(demo, demo_dir):
    from datetime import date, timedelta

    t, as_of = demo
    facts = json.loads((demo_dir / "truth" / "facts.json").read_text("utf-8"))
    burst = [date.fromisoformat(d) for d in facts["handling"]["burst_days"]]
    start, end = parse_month("2026-10")
    audit = analyse_resolution(t["reviews"], t["cases"], t["contacts"], t["agents"],
                               month_start=start, month_end=end, as_of=as_of)
    backlog = audit.backlog.collect()
    peak = backlog.row(backlog["open_cases"].arg_max(), named=True)
    assert burst[0] <= peak["date"] <= burst[-1] + timedelta(days=5)
    normal = backlog.filter(pl.col("date").dt.month() == 10)
    assert peak["open_cases"] > 2 * normal["open_cases"].median()
    assert peak["active_agents"] <= normal["active_agents"].max()


def test_cli_shop_option_keeps_only_that_shops_cases(demo_dir, tmp_path):
    reviews = pl.read_csv(demo_dir / "reviews.csv", try_parse_dates=True)
    cases = pl.read_csv(demo_dir / "cases.csv")
    cohort = cases.join(reviews.filter(pl.col("reviewed_at").dt.strftime("%Y-%m") == "2026-10"),
                        on="review_id")
    shop = cohort["shop_id"].mode().sort()[0]
    assert cohort["shop_id"].n_unique() > 1  # otherwise the filter would prove nothing
    mine = set(cohort.filter(pl.col("shop_id") == shop)["case_id"])
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["resolution", str(demo_dir), "--month", "2026-10",
                                      "--out", str(out), "--shop", shop])
    assert result.exit_code == 0, result.output
    assert pl.read_csv(out / "resolution_by_category.csv")["cases"].sum() == len(mine)
    for name in ("protocol_breaches.csv", "unverified_claims.csv"):
        ids = set(pl.read_csv(out / name)["case_id"])
        assert ids, name
        assert ids <= mine, name
