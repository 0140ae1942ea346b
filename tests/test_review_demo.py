"""The review part against the demo's planted truth: the bad item from its month and the
drifting agent (``truth/facts.json``: bad_item_id, bad_item_from_month, drifting_agent_id)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from audit.core.dates import end_of_day, parse_month
from audit.data.schema import TABLE_SPECS
from audit.demo import DemoSpec, generate_demo
from audit.review import drift, products


def _tables(folder: Path) -> dict[str, pl.LazyFrame]:
    """The demo CSVs typed by the schema (the demo writes valid rows; no contracts needed)."""
    return {name: pl.scan_csv(folder / f"{name}.csv", schema=spec.schema)
            for name, spec in TABLE_SPECS.items()}


def _facts(folder: Path) -> dict:
    return json.loads((folder / "truth" / "facts.json").read_text("utf-8"))


def _next_month(month: str) -> str:
    return f"{parse_month(month)[1] + timedelta(days=1):%Y-%m}"


def _found(folder: Path) -> tuple[list[str], list[str], dict]:
    """(short list of the month after the bad item's, drifting agents, facts) of one demo."""
    from audit.resolution.analysis import analyse_resolution
    from audit.tiering import item_tier_mix

    facts = _facts(folder)
    t = _tables(folder)
    end = facts["period"]["end_month_last_day"][:7]
    as_of = end_of_day(parse_month(end)[1] + timedelta(days=30))
    complaints = t["reviews"].filter(pl.col("rating") != "positive",
                                     pl.col("reviewed_at") <= as_of)
    months = (complaints.select(pl.col("reviewed_at").dt.strftime("%Y-%m").unique()).collect()
              .to_series().sort().to_list())
    months = [m for m in months if m <= end]
    signal = products.product_signal(complaints, t["sales_daily"], item_tier_mix(complaints),
                                     months=months)
    listed = products.short_list(signal, _next_month(facts["bad_item_from_month"]))
    monthly = []
    for month in months:
        start, last = parse_month(month)
        by_agent = analyse_resolution(t["reviews"], t["cases"], t["contacts"], t["agents"],
                                      month_start=start, month_end=last,
                                      as_of=end_of_day(last + timedelta(days=30))).by_agent
        monthly.append(by_agent.select("agent_id", "resolved", "expected",
                                       month=pl.lit(month)).collect())
    drifting = drift.agent_drift(pl.concat(monthly)).filter("drifting")
    return listed["item_id"].to_list(), drifting["agent_id"].to_list(), facts


def test_facts_name_the_planted_changes(demo_dir: Path) -> None:
    facts = _facts(demo_dir)
    truth = pl.read_csv(demo_dir / "truth" / "agents.csv")
    drifter = truth.filter(pl.col("agent_id") == facts["drifting_agent_id"]).row(0, named=True)
    assert drifter["is_drifting"]
    assert drifter["level"] == "senior"
    assert not drifter["is_weak"]
    assert not drifter["is_easy_mix_novice"]
    assert truth["is_drifting"].sum() == 1
    items = pl.read_csv(demo_dir / "truth" / "items.csv")
    assert facts["bad_item_id"] in items["item_id"].to_list()
    period = facts["period"]
    assert period["start"][:7] <= facts["bad_item_from_month"] < period["end_month_last_day"][:7]


def test_default_demo_lists_the_bad_item_alone_the_month_after_its_problem(
        demo_dir: Path) -> None:
    listed, _, facts = _found(demo_dir)
    assert listed == [facts["bad_item_id"]]


@pytest.mark.slow
def test_a_year_of_demo_finds_the_bad_item_and_the_drifting_agent_over_seeds(
        tmp_path: Path) -> None:
    """12 months, one shop (the smaller demo keeps the test short), 10 seeds: the bad item is
    the short list's only item the month after its problem starts, and the drifting agent the
    only agent flagged, in at least 90% of seeds."""
    seeds = range(1, 11)
    items_ok = agents_ok = 0
    for seed in seeds:
        folder = tmp_path / f"s{seed}"
        generate_demo(folder, DemoSpec(seed=seed, months=12, shops=1))
        listed, drifting, facts = _found(folder)
        items_ok += listed == [facts["bad_item_id"]]
        agents_ok += drifting == [facts["drifting_agent_id"]]
    assert items_ok >= 0.9 * len(seeds)
    assert agents_ok >= 0.9 * len(seeds)
