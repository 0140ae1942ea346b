"""The demo generator's core: world, handling, text (docs/demo.md states the model tested here)."""

from __future__ import annotations

import hashlib
import time
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import pytest

from audit.data.schema import TABLE_SPECS
from audit.demo import DemoSpec, generate_demo, handling, text, world

if TYPE_CHECKING:
    from pathlib import Path

SPEC = DemoSpec()
PERIOD = SPEC.period()


@pytest.fixture(scope="module")
def part() -> tuple[world.World, handling.Part]:
    """World and handling log of the default spec, in memory (same streams as generate_demo)."""
    w = world.build_world(np.random.default_rng([7, 1]), shops=3, period=PERIOD)
    return w, handling.simulate_handling(np.random.default_rng([7, 2]), w, PERIOD)


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_byte_identical_files_and_another_seed_differs(tmp_path: Path) -> None:
    generate_demo(tmp_path / "a", DemoSpec(seed=3, months=1))
    generate_demo(tmp_path / "b", DemoSpec(seed=3, months=1))
    generate_demo(tmp_path / "c", DemoSpec(seed=4, months=1))
    a, b, c = (_digest(tmp_path / x) for x in "abc")
    assert len(a) >= 12
    assert a == b
    for name in (
        "reviews.csv",
        "cases.csv",
        "contacts.csv",
        "agents.csv",
        "truth/protocol_breaches.csv",
    ):
        assert a[name] != c[name], name


@pytest.mark.parametrize("name", ["agents", "reviews", "cases", "contacts"])
def test_tables_match_the_canonical_schema(part, name: str) -> None:
    w, log = part
    df = w.agents if name == "agents" else log.tables[name]
    spec = TABLE_SPECS[name]
    assert df.schema == pl.Schema(spec.schema)
    for col in spec.columns:
        if col.required:
            assert df[col.name].null_count() == 0, col.name
        if col.allowed is not None:
            assert set(df[col.name].drop_nulls().unique().to_list()) <= set(col.allowed), col.name
    assert df.select(spec.key).is_duplicated().sum() == 0


def test_demo_passes_every_contract_of_load_dataset(demo_dir: Path) -> None:
    from audit.data.dataset import load_dataset

    ds = load_dataset(demo_dir)
    for name in ("agents", "reviews", "cases", "contacts"):
        report = ds.reports[name]
        assert report.rows_read > 0, name
        assert report.rows_quarantined == 0, (name, report.top_reasons)


def test_time_orders_and_nothing_after_as_of(part) -> None:
    _, log = part
    reviews, cases, contacts = (log.tables[t] for t in ("reviews", "cases", "contacts"))
    as_of = PERIOD.as_of
    r = reviews
    for col in ("explained_at", "revised_at", "removed_at"):
        assert r.filter(pl.col(col) < pl.col("reviewed_at")).height == 0, col
        assert r.filter(pl.col(col) > as_of).height == 0, col
    assert (
        r.filter(pl.col("revised_at").is_not_null() & pl.col("removed_at").is_not_null()).height
        == 0
    )
    assert (
        r.filter(
            pl.col("revised_rating").is_not_null() != pl.col("revised_at").is_not_null()
        ).height
        == 0
    )
    cr = cases.join(reviews, on="review_id")
    assert cr.height == reviews.height == cases.height  # one case per review
    assert cr.filter(pl.col("opened_at") < pl.col("reviewed_at")).height == 0
    assert cr.filter(pl.col("closed_at") < pl.col("opened_at")).height == 0
    assert cr.filter(pl.col("opened_at") > as_of).height == 0
    assert cr.filter(pl.col("closed_at") > as_of).height == 0
    assert cr.filter(pl.col("closed_at").is_null() != (pl.col("outcome") == "open")).height == 0
    k = contacts.join(cr, on="case_id")
    assert k.height == contacts.height
    assert k.filter(pl.col("contacted_at") < pl.col("opened_at")).height == 0
    assert k.filter(pl.col("contacted_at") > pl.col("closed_at")).height == 0
    assert k.filter(pl.col("contacted_at") > as_of).height == 0
    assert reviews["order_id"].n_unique() == reviews.height


def test_resolution_in_window_and_truthful_outcomes(part) -> None:
    """Revisions/removals happen within 30 days; revised/removed outcomes match the review except
    for the truth's unverified claims; open cases are recent."""
    _, log = part
    cr = log.tables["cases"].join(log.tables["reviews"], on="review_id")
    done = pl.coalesce("revised_at", "removed_at")
    assert cr.filter(done > pl.col("reviewed_at") + pl.duration(days=30)).height == 0
    claims = set(log.truth["unverified_claims"]["case_id"].to_list())
    shown = cr.with_columns(
        shows=pl.when(pl.col("revised_at").is_not_null())
        .then(pl.lit("revised"))
        .when(pl.col("removed_at").is_not_null())
        .then(pl.lit("removed"))
    )
    mismatch = shown.filter(
        pl.col("outcome").is_in(["revised", "removed"])
        & (pl.col("shows") != pl.col("outcome")).fill_null(True)
    )
    assert set(mismatch["case_id"].to_list()) == claims
    # Closed, unresolved cases never show a revision; nothing is "open" for more than 30+12 days.
    assert (
        shown.filter(
            pl.col("outcome").is_in(["refused", "unreachable", "explained"])
            & pl.col("shows").is_not_null()
        ).height
        == 0
    )
    oldest_open = cr.filter(pl.col("outcome") == "open")["reviewed_at"].min()
    assert oldest_open >= PERIOD.as_of - timedelta(days=40)
    explained = cr.filter(pl.col("outcome") == "explained")
    assert explained["explained_at"].null_count() == 0


def test_volumes_roughly_as_specified(part) -> None:
    w, log = part
    reviews, cases = log.tables["reviews"], log.tables["cases"]
    assert w.items.height == 150
    assert w.items["item_id"].n_unique() == 150
    assert w.items.group_by("shop_id").agg(pl.col("popularity").mean())[
        "popularity"
    ].to_list() == pytest.approx([1.0] * 3, abs=1e-4)
    assert w.agents.height == 25
    assert w.agents["level"].value_counts().sort("level").rows() == [("novice", 10), ("senior", 15)]
    months = reviews.filter(pl.col("reviewed_at").dt.date() <= PERIOD.end_month_last_day)
    per_month = months.group_by(pl.col("reviewed_at").dt.month()).len()["len"]
    assert per_month.min() > 1800
    assert per_month.max() < 3000 * 1.2  # seasonal volume: up to +20% in autumn
    assert 0.55 <= (reviews["rating"] == "negative").mean() <= 0.68
    assert 0.55 <= reviews["explained_at"].is_not_null().mean() <= 0.65
    mix = cases["category"].value_counts(sort=True)
    assert mix["category"][0] == "logistics"
    assert mix.filter(pl.col("category") == "fraud")["count"][0] < 0.05 * cases.height
    assert reviews["buyer_id"].str.starts_with("tb_").mean() == pytest.approx(0.7, abs=0.05)
    chinese = reviews["buyer_id"].str.contains("[\u4e00-\u9fff]").mean()
    assert chinese == pytest.approx(0.15, abs=0.04)
    # Reviews land on items in proportion to popularity (correlation of counts with weights).
    counts = reviews.group_by("item_id").len().join(w.items, on="item_id")
    assert np.corrcoef(counts["len"], counts["popularity"])[0, 1] > 0.9


def test_burst_days_have_about_four_times_the_daily_volume(part) -> None:
    _, log = part
    days = log.tables["reviews"].group_by(pl.col("reviewed_at").dt.date().alias("d")).len()
    burst = {date.fromisoformat(d) for d in log.facts["burst_days"]}
    assert len(burst) == 3
    normal = days.filter(~pl.col("d").is_in(list(burst)))["len"].median()
    ratio = days.filter(pl.col("d").is_in(list(burst)))["len"] / normal
    assert ratio.min() > 3.0
    assert ratio.max() < 5.0
    assert min(burst) > PERIOD.start
    assert max(burst) <= PERIOD.end_month_last_day


def _truth_cases(log, check: str) -> list[str]:
    """Case ids the truth lists for one protocol check."""
    breaches = log.truth["protocol_breaches"]
    return breaches.filter(pl.col("check") == check)["case_id"].to_list()


def test_explanation_timing_model(part) -> None:
    """Half within 0-2 days, the rest 3-12 days, except the injected late ones (31-45 days)."""
    _, log = part
    r = log.tables["reviews"].join(log.tables["cases"], on="review_id")
    late = _truth_cases(log, "explanation_late")
    d = r.filter(pl.col("explained_at").is_not_null()).with_columns(
        days=(pl.col("explained_at") - pl.col("reviewed_at")).dt.total_seconds() / 86400,
        late=pl.col("case_id").is_in(late),
    )
    normal = d.filter(~pl.col("late"))["days"]
    assert ((normal < 2) | ((normal >= 3) & (normal < 12))).all()
    # Censoring at as_of removes some slow ones, so the quick share is a little above half.
    assert 0.5 <= (normal < 2).mean() <= 0.58
    lates = d.filter(pl.col("late"))["days"]
    assert lates.min() > 31 - 1e-9
    assert lates.max() < 45


def test_explanation_and_review_text(part) -> None:
    _, log = part
    r = log.tables["reviews"].join(log.tables["cases"], on="review_id")
    long_cases = _truth_cases(log, "explanation_too_long")
    lengths = r.filter(pl.col("explanation_text").is_not_null()).with_columns(
        n=pl.col("explanation_text").str.len_chars()
    )
    assert lengths.filter(~pl.col("case_id").is_in(long_cases))["n"].max() <= 500
    assert lengths.filter(pl.col("case_id").is_in(long_cases))["n"].min() > 500
    assert (r["explanation_text"].is_null() == r["explained_at"].is_null()).all()
    assert r["review_text"].str.len_chars().min() >= 4
    assert r["review_text"].n_unique() > 1000
    # Text follows the category: a fraud review talks money/compensation, logistics the courier.
    fraud = r.filter(pl.col("category") == "fraud")["review_text"]
    assert fraud.str.contains("赔|返|补偿|打假|投诉").all()
    policy = lengths["explanation_text"].str.contains("7天|七天")
    assert policy.mean() > 0.95


def test_text_functions_are_seeded_and_limit_length() -> None:
    cats = ["logistics", "fraud", "novice"] * 50
    a = text.explanation_texts(np.random.default_rng(1), cats, too_long=[False] * 150)
    b = text.explanation_texts(np.random.default_rng(1), cats, too_long=[False] * 150)
    assert a == b
    assert max(map(len, a)) <= text.EXPLANATION_LIMIT
    long_ = text.explanation_texts(np.random.default_rng(1), cats, too_long=[True] * 150)
    assert min(map(len, long_)) > text.EXPLANATION_LIMIT + 20


def test_agent_truth_traps(part) -> None:
    """One weak senior with a normal hard-category load; one easy-mix novice of average skill."""
    w, log = part
    truth = w.truth["agents"]
    assert truth["agent_id"].to_list() == w.agents["agent_id"].to_list()
    weak = truth.filter("is_weak")
    easy = truth.filter("is_easy_mix_novice")
    assert weak.height == 1
    assert weak["level"][0] == "senior"
    assert weak["skill"][0] == 0.6
    assert easy.height == 1
    assert easy["level"][0] == "novice"
    assert easy["skill"][0] == 1.0
    assert truth.filter(~pl.col("is_weak"))["skill"].min() >= 0.7
    cases = log.tables["cases"]
    hard = pl.col("category").is_in(["service", "quality", "fraud"])
    share = cases.group_by("agent_id").agg(hard=hard.mean(), n=pl.len())
    seniors = share.join(truth, on="agent_id").filter(
        pl.col("level") == "senior", pl.col("agent_id") != "A01"
    )
    weak_row = seniors.filter("is_weak")
    assert weak_row["hard"][0] == pytest.approx(seniors["hard"].mean(), abs=0.08)
    assert weak_row["n"][0] >= 0.7 * seniors["n"].median()
    easy_cats = set(cases.filter(pl.col("agent_id") == easy["agent_id"][0])["category"].unique())
    assert easy_cats == {"novice", "logistics"}
    # Novices never get wrong_item/buyer cases, and hard ones only through the injected defect.
    novices = set(truth.filter(pl.col("level") == "novice")["agent_id"])
    novice_cats = set(cases.filter(pl.col("agent_id").is_in(list(novices)))["category"].unique())
    assert novice_cats <= {"novice", "logistics", "service", "quality", "fraud"}


def test_skill_shows_in_resolution_rates(part) -> None:
    """Within a category, the weak senior resolves clearly less than the other seniors."""
    w, log = part
    cr = (
        log.tables["cases"]
        .join(log.tables["reviews"], on="review_id")
        .filter(pl.col("outcome") != "open")
    )
    cr = cr.with_columns(resolved=pl.coalesce("revised_at", "removed_at").is_not_null()).join(
        w.truth["agents"], on="agent_id"
    )
    seniors = cr.filter(pl.col("level") == "senior", pl.col("category") == "logistics")
    rates = seniors.group_by("is_weak").agg(pl.col("resolved").mean()).sort("is_weak")["resolved"]
    assert rates[1] < 0.8 * rates[0]


def test_contact_protocol_shape(part) -> None:
    """Shop IM first, 1-5 attempts normally, phone only later, one reached contact at most."""
    _, log = part
    k = log.tables["contacts"]
    breaches = log.truth["protocol_breaches"]
    special = set(
        breaches.filter(
            pl.col("check").is_in(["phone_too_early", "too_many_attempts", "multiple_agents"])
        )["case_id"]
    )
    normal = k.filter(~pl.col("case_id").is_in(list(special)))
    per_case = normal.group_by("case_id").agg(
        n=pl.len(),
        first=pl.col("channel").sort_by("contacted_at").first(),
        reached=pl.col("reached").sum(),
    )
    assert per_case["n"].max() <= 5
    assert (per_case["first"] == "shop_im").all()
    assert per_case["reached"].max() <= 1
    assert set(k["channel"].unique()) == {"shop_im", "private_im", "sms", "phone"}


def test_handling_is_fast() -> None:
    start = time.perf_counter()
    w = world.build_world(np.random.default_rng([9, 1]), shops=3, period=PERIOD)
    handling.simulate_handling(np.random.default_rng([9, 2]), w, PERIOD)
    assert time.perf_counter() - start < 3.0


def test_overlong_explanations_do_not_repeat_a_paragraph() -> None:
    cats = ["logistics", "quality", "service", "novice", "wrong_item", "buyer", "fraud"] * 20
    for t in text.explanation_texts(np.random.default_rng(5), cats, too_long=[True] * len(cats)):
        sentences = [s for s in t.split("。") if s]
        assert len(sentences) == len(set(sentences)), t


def test_traps_work_for_a_mix_adjusted_comparison(part) -> None:
    """Indirect standardisation (shop x category rates) exposes the weak senior and deflates the
    easy-mix novice's raw lead: what the resolution analysis must find."""
    w, log = part
    cr = (
        log.tables["cases"]
        .join(log.tables["reviews"], on="review_id")
        .filter(pl.col("reviewed_at").dt.date() <= PERIOD.end_month_last_day)
        .with_columns(
            res=(
                pl.coalesce("revised_at", "removed_at")
                <= pl.col("reviewed_at") + pl.duration(days=30)
            ).fill_null(False)
        )
        .with_columns(expected=pl.col("res").mean().over("shop_id", "category"))
    )
    by_agent = (
        cr.group_by("agent_id")
        .agg(raw=pl.col("res").mean(), ratio=pl.col("res").sum() / pl.col("expected").sum())
        .join(w.truth["agents"], on="agent_id")
    )
    weak = by_agent.filter("is_weak").row(0, named=True)
    easy = by_agent.filter("is_easy_mix_novice").row(0, named=True)
    assert weak["ratio"] < 0.75
    assert weak["ratio"] == by_agent["ratio"].min()
    assert easy["raw"] > cr["res"].mean() + 0.04  # looks good raw ...
    assert 0.85 < easy["ratio"] < 1.15  # ... but is average once the mix is accounted for


def test_default_demo_is_byte_identical_to_the_session_fixture(
    demo_dir: Path, tmp_path: Path
) -> None:
    generate_demo(tmp_path, DemoSpec())
    fresh, fixture = _digest(tmp_path), _digest(demo_dir)
    # Only the generated files: other tests may write their outputs beside them.
    assert fresh == {name: fixture.get(name) for name in fresh}
