"""Resolution analysis on hand-built frames, checked against independent computations."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from builders.resolution import AS_OF, OCT, T0, agents, contacts, h, one_to_one
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from scipy import stats

from audit.resolution.analysis import (
    BY_AGENT_CATEGORY_COLUMNS,
    BY_AGENT_COLUMNS,
    BY_CATEGORY_COLUMNS,
    analyse_resolution,
    collect_outputs,
    resolution_headline,
)
from audit.resolution.stats import (
    poisson_ratio_interval,
    shrink_ratios,
    wilson_high,
    wilson_low,
)

DAY = timedelta(days=1)


def _run(rv, cs, con=None, ag=None, *, as_of=AS_OF, month=OCT, **kw):
    con = con if con is not None else contacts([])
    if ag is None:
        ids = cs.select("agent_id").unique().collect()["agent_id"].to_list()
        ag = agents([{"agent_id": a} for a in ids])
    audit = analyse_resolution(rv, cs, con, ag, month_start=month[0], month_end=month[1],
                               as_of=as_of, **kw)
    return collect_outputs(audit)


# --- statistics -------------------------------------------------------------------------------

WILSON_CASES = [(0, 1), (1, 1), (0, 10), (3, 10), (10, 10), (57, 200), (1, 1000), (999, 1000),
                (5000, 12345)]


@pytest.mark.parametrize(("x", "n"), WILSON_CASES)
def test_wilson_bounds_match_scipy_to_1e_9(x, n):
    got = pl.DataFrame({"x": [x], "n": [n]}).select(lo=wilson_low("x", "n"),
                                                     hi=wilson_high("x", "n"))
    ci = stats.binomtest(x, n).proportion_ci(method="wilson")
    assert got["lo"][0] == pytest.approx(ci.low, abs=1e-9)
    assert got["hi"][0] == pytest.approx(ci.high, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 5000), frac=st.floats(0, 1))
def test_wilson_bounds_match_scipy_everywhere(n, frac):
    x = round(frac * n)
    got = pl.DataFrame({"x": [x], "n": [n]}).select(lo=wilson_low("x", "n"),
                                                     hi=wilson_high("x", "n"))
    ci = stats.binomtest(x, n).proportion_ci(method="wilson")
    assert abs(got["lo"][0] - ci.low) < 1e-9
    assert abs(got["hi"][0] - ci.high) < 1e-9


def test_wilson_is_null_without_trials():
    got = pl.DataFrame({"x": [0], "n": [0]}).select(lo=wilson_low("x", "n"))
    assert got["lo"][0] is None


@pytest.mark.parametrize(("o", "e"), [(0, 2.0), (1, 0.5), (7, 9.3), (120, 100.0)])
def test_poisson_ratio_interval_is_the_exact_chi_square_interval(o, e):
    lo, hi = poisson_ratio_interval("o", "e")
    got = pl.DataFrame({"o": [o], "e": [e]}).select(lo=lo, hi=hi)
    want_lo = 0.0 if o == 0 else stats.chi2.ppf(0.025, 2 * o) / 2 / e
    want_hi = stats.chi2.ppf(0.975, 2 * o + 2) / 2 / e
    assert got["lo"][0] == pytest.approx(want_lo, abs=1e-9)
    assert got["hi"][0] == pytest.approx(want_hi, rel=1e-9)


def test_poisson_ratio_interval_is_null_without_expected():
    lo, hi = poisson_ratio_interval("o", "e")
    got = pl.DataFrame({"o": [0], "e": [0.0]}).select(lo=lo, hi=hi)
    assert got.row(0) == (None, None)


def test_shrinkage_matches_method_of_moments_by_hand():
    o = np.array([2.0, 30.0, 9.0, 50.0, 1.0])
    e = np.array([5.0, 20.0, 10.0, 55.0, 0.7])
    got = shrink_ratios(pl.LazyFrame({"resolved": o, "expected": e})).collect()
    m = o.sum() / e.sum()
    s2 = (e * (o / e - m) ** 2).sum() / e.sum()
    v = s2 - m / e.mean()
    assert v > 0
    a, b = m * m / v, m / v
    np.testing.assert_allclose(got["shrunk_ratio"], (a + o) / (b + e), rtol=1e-12)
    np.testing.assert_allclose(got["shrunk_ci_low"], stats.gamma.ppf(0.025, a + o) / (b + e),
                               rtol=1e-9)
    # Shrinking pulls every raw ratio toward the prior mean, never past it.
    raw = o / e
    assert np.all(np.abs(got["shrunk_ratio"].to_numpy() - m) <= np.abs(raw - m) + 1e-12)


def test_binomial_shrinkage_matches_quasi_poisson_by_hand():
    o = np.array([20.0, 45.0, 9.0, 60.0, 3.0])
    e = np.array([30.0, 40.0, 10.0, 50.0, 4.0])
    var = e * np.array([0.5, 0.6, 0.55, 0.45, 0.7])  # sum p(1-p) < E
    frame = pl.LazyFrame({"resolved": o, "expected": e, "null_var": var})
    got = shrink_ratios(frame, null_var="null_var").collect()
    m = o.sum() / e.sum()
    v = ((e * (o / e - m) ** 2).sum() - m * (var / e).sum()) / e.sum()
    assert v > 0
    a, b, phi = m * m / v, m / v, var / e
    np.testing.assert_allclose(got["prior_var"], v, rtol=1e-12)
    np.testing.assert_allclose(got["shrunk_ratio"], (a + o / phi) / (b + e / phi), rtol=1e-12)
    np.testing.assert_allclose(got["shrunk_ci_high"],
                               stats.gamma.ppf(0.975, a + o / phi) / (b + e / phi), rtol=1e-9)
    poisson = shrink_ratios(frame).collect()
    assert poisson["prior_var"][0] < v  # Poisson noise overstates chance, so it shrinks harder


def test_shrinkage_collapses_to_the_mean_when_agents_differ_no_more_than_chance():
    got = shrink_ratios(pl.LazyFrame({"resolved": [10.0, 10.0], "expected": [10.0, 10.0]}))
    assert got.collect()["shrunk_ratio"].to_list() == pytest.approx([1.0, 1.0])


# --- status and counts ------------------------------------------------------------------------

OCT_END = datetime(2026, 10, 31, 23, 59, 59, 999999)
R = datetime(2026, 10, 1, 9, 0)
LATE = datetime(2026, 10, 20, 9, 0)
STATUS_ROWS = [
    ({"reviewed_at": R, "revised_rating": "positive", "revised_at": R + 30 * DAY}, "resolved"),
    ({"reviewed_at": R, "revised_rating": "positive",
      "revised_at": R + 30 * DAY + timedelta(seconds=1)}, "unresolved"),
    ({"reviewed_at": R, "revised_rating": "neutral", "revised_at": R + DAY}, "unresolved"),
    ({"reviewed_at": R, "removed_at": R + 10 * DAY}, "resolved"),
    ({"reviewed_at": R}, "unresolved"),
    ({"reviewed_at": LATE}, "open"),
    ({"reviewed_at": LATE, "revised_rating": "positive", "revised_at": LATE + 2 * DAY},
     "resolved"),
    ({"reviewed_at": LATE, "removed_at": LATE + 15 * DAY}, "open"),  # after as_of: not seen yet
]


def test_status_follows_the_30_day_window_and_as_of():
    rows = [r for r, _ in STATUS_ROWS] + [{"reviewed_at": datetime(2026, 9, 30, 23)}]
    rv, cs = one_to_one(rows)
    out = _run(rv, cs, as_of=OCT_END)
    got = out["cases"].sort("case_id")
    assert got["case_id"].to_list() == [f"c{i}" for i in range(len(STATUS_ROWS))]  # not Sept
    assert got["status"].to_list() == [s for _, s in STATUS_ROWS]
    cat = out["by_category"].row(0, named=True)
    assert (cat["cases"], cat["eligible"], cat["resolved"], cat["still_open"]) == (8, 6, 3, 2)
    assert cat["rate"] == pytest.approx(3 / 6)


def _random_cohort(seed: int, n: int = 80):
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        reviewed = R + timedelta(hours=float(rng.uniform(0, 24 * 29)))
        row = {
            "reviewed_at": reviewed,
            "shop_id": str(rng.choice(["s1", "s2"])),
            "category": str(rng.choice(["logistics", "quality", "service"])),
            "agent_id": str(rng.choice(["a1", "a2", "a3", "a4"])),
        }
        if rng.random() < 0.45:
            row |= {"revised_rating": "positive",
                    "revised_at": reviewed + timedelta(days=float(rng.uniform(0, 40)))}
        rows.append(row)
    return rows


def _by_hand(rows, as_of):
    """The issue's definitions, written the simple way: loops over dicts."""
    status = []
    for r in rows:
        deadline = r["reviewed_at"] + 30 * DAY
        rev = r.get("revised_at")
        ok = rev is not None and rev <= deadline and rev <= as_of
        status.append("resolved" if ok else ("unresolved" if deadline <= as_of else "open"))
    cell = defaultdict(lambda: [0, 0])
    for r, s in zip(rows, status, strict=True):
        if s != "open":
            cell[(r["shop_id"], r["category"])][0] += s == "resolved"
            cell[(r["shop_id"], r["category"])][1] += 1
    agent = defaultdict(lambda: {"cases": 0, "eligible": 0, "resolved": 0, "expected": 0.0})
    for r, s in zip(rows, status, strict=True):
        a = agent[r["agent_id"]]
        a["cases"] += 1
        if s != "open":
            a["eligible"] += 1
            a["resolved"] += s == "resolved"
            res, elig = cell[(r["shop_id"], r["category"])]
            a["expected"] += res / elig
    return agent


def _glm_ratios(rows, as_of) -> dict[str, float]:
    """exp(agent effect - case-weighted mean) from statsmodels on the informative cells."""
    import pandas as pd
    import statsmodels.api as sm

    recs = []
    for r in rows:
        deadline = r["reviewed_at"] + 30 * DAY
        rev = r.get("revised_at")
        if deadline > as_of and not (rev is not None and rev <= deadline and rev <= as_of):
            continue  # still open
        y = float(rev is not None and rev <= deadline and rev <= as_of)
        recs.append({"cell": f"{r['shop_id']}|{r['category']}", "agent": r["agent_id"], "y": y})
    df = pd.DataFrame(recs)
    stat = df.groupby("cell").agg(m=("y", "mean"), k=("agent", "nunique"))
    keep = stat[(stat.m > 0) & (stat.m < 1) & (stat.k > 1)].index
    df = df[df.cell.isin(keep)]
    x = pd.get_dummies(df[["cell", "agent"]], drop_first=False).astype(float)
    agents = sorted(df.agent.unique())
    x = x.drop(columns=f"agent_{agents[0]}")
    fit = sm.GLM(df.y.to_numpy(), x.to_numpy(), family=sm.families.Poisson()).fit()
    coef = dict(zip(x.columns, fit.params, strict=True))
    b = np.array([coef.get(f"agent_{a}", 0.0) for a in agents])
    n = df.agent.value_counts().reindex(agents).to_numpy(float)
    return dict(zip(agents, np.exp(b - np.sum(n * b) / n.sum()), strict=True))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counts_and_expected_match_a_computation_by_hand(seed):
    rows = _random_cohort(seed)
    as_of = datetime(2026, 11, 15, 23, 59, 59)
    rv, cs = one_to_one(rows)
    out = _run(rv, cs, as_of=as_of)
    want = _by_hand(rows, as_of)
    got = {r["agent_id"]: r for r in out["by_agent"].iter_rows(named=True)}
    assert set(got) == set(want)
    for a, w in want.items():
        g = got[a]
        assert (g["cases"], g["eligible"], g["resolved"]) == (w["cases"], w["eligible"],
                                                              w["resolved"])
        # The mutually adjusted ratio (issue 14) against statsmodels' Poisson GLM with cell and
        # agent dummies, centred on the case-weighted average agent of the fit.
        assert g["mix_adjusted_ratio"] == pytest.approx(_glm_ratios(rows, as_of)[a], rel=1e-5)
        assert g["expected"] * g["mix_adjusted_ratio"] == pytest.approx(w["resolved"])
        ci = stats.binomtest(w["resolved"], w["eligible"]).proportion_ci(method="wilson")
        assert (g["ci_low"], g["ci_high"]) == pytest.approx((ci.low, ci.high), abs=1e-9)
    by_ac = out["by_agent_category"]
    assert by_ac.group_by("agent_id").agg(pl.col("expected").sum()).sort("agent_id")[
        "expected"].to_list() == pytest.approx(
            [want[a]["expected"] for a in sorted(want)], abs=1e-9)


def test_output_columns_start_with_the_issue_contract():
    rv, cs = one_to_one(_random_cohort(4, n=20))
    out = _run(rv, cs)
    assert tuple(out["by_agent"].columns[: len(BY_AGENT_COLUMNS)]) == BY_AGENT_COLUMNS
    assert tuple(out["by_category"].columns[: len(BY_CATEGORY_COLUMNS)]) == BY_CATEGORY_COLUMNS
    assert (tuple(out["by_agent_category"].columns[: len(BY_AGENT_CATEGORY_COLUMNS)])
            == BY_AGENT_CATEGORY_COLUMNS)
    assert out["breaches"].columns == ["case_id", "agent_id", "check", "detail"]
    assert out["unverified"].columns == ["case_id", "agent_id", "claimed_outcome"]


def test_an_easy_mix_does_not_make_an_average_agent_look_good():
    # Both agents resolve at their categories' rates; a1 gets only the easy category.
    rows = []
    for i in range(40):  # easy: 36/40 resolved, all a1
        rows.append({"category": "novice", "agent_id": "a1", "reviewed_at": R}
                    | ({"removed_at": R + DAY} if i < 36 else {}))
    for i in range(40):  # hard: 12/40 resolved, all a2
        rows.append({"category": "quality", "agent_id": "a2", "reviewed_at": R}
                    | ({"removed_at": R + DAY} if i < 12 else {}))
    rv, cs = one_to_one(rows)
    got = _run(rv, cs)["by_agent"].sort("agent_id")
    assert got["rate"].to_list() == pytest.approx([0.9, 0.3])
    # Each works a category nobody else does: there is nothing to compare them on (the old
    # reference, the category's rate, was their own rate): no ratio, no rank.
    assert got["mix_adjusted_ratio"].null_count() == 2
    assert got["rank"].null_count() == 2
    # A third agent on both categories at the categories' rates links them: all average.
    for i in range(20):
        rows.append({"category": "novice", "agent_id": "a3", "reviewed_at": R}
                    | ({"removed_at": R + DAY} if i < 18 else {}))
        rows.append({"category": "quality", "agent_id": "a3", "reviewed_at": R}
                    | ({"removed_at": R + DAY} if i < 6 else {}))
    rv, cs = one_to_one(rows)
    got = _run(rv, cs)["by_agent"].sort("agent_id")
    assert got["mix_adjusted_ratio"].to_list() == pytest.approx([1.0, 1.0, 1.0], abs=1e-6)
    assert got["shrunk_ratio"].to_list() == pytest.approx([1.0, 1.0, 1.0], abs=1e-6)


def test_rank_uses_the_shrunk_ratio_so_a_tiny_lucky_agent_does_not_top_it():
    rows = []
    for i in range(200):  # a1: big and a little above average
        rows.append({"agent_id": "a1"} | ({"removed_at": R + DAY} if i % 10 < 6 else {}))
    for i in range(200):  # a2: big and below average
        rows.append({"agent_id": "a2"} | ({"removed_at": R + DAY} if i % 10 < 4 else {}))
    rows += [{"agent_id": "a3", "removed_at": R + DAY}] * 2  # 2 of 2: raw ratio is the highest
    rv, cs = one_to_one(rows)
    got = _run(rv, cs)["by_agent"]
    ratio = dict(zip(got["agent_id"], got["mix_adjusted_ratio"], strict=True))
    rank = dict(zip(got["agent_id"], got["rank"], strict=True))
    assert max(ratio, key=ratio.get) == "a3"
    assert rank["a1"] == 1
    assert rank["a3"] > 1


# --- timeliness --------------------------------------------------------------------------------


def test_timeliness_median_p90_and_sla_share():
    first = [2.0, 5.0, 30.0, 10.0, None]  # hours from review to first contact; None = never
    rows = [{"reviewed_at": T0, "category": "quality"} for _ in first]
    rv, cs = one_to_one(rows)
    con = contacts(
        [{"case_id": f"c{i}", "contacted_at": h(x)} for i, x in enumerate(first) if x is not None]
        + [{"case_id": "c0", "contacted_at": h(50)}]  # a later contact is not the first
    )
    out = _run(rv, cs, con, sla_hours=24.0)
    row = out["by_category"].row(0, named=True)
    hours = [x for x in first if x is not None]
    assert row["median_hours_to_first_contact"] == pytest.approx(np.median(hours))
    assert row["p90_hours_to_first_contact"] == pytest.approx(np.percentile(hours, 90))
    assert row["share_within_sla"] == pytest.approx(3 / 5)  # never contacted counts as missed
    assert row["median_hours_to_case_opened"] == pytest.approx(1.0)
    shorter = _run(rv, cs, con, sla_hours=4.0)["by_category"]["share_within_sla"][0]
    assert shorter == pytest.approx(1 / 5)


def test_sla_not_yet_due_is_left_out_of_the_share():
    rv, cs = one_to_one([{"reviewed_at": T0}, {"reviewed_at": datetime(2026, 10, 31, 20)}])
    con = contacts([{"case_id": "c0", "contacted_at": h(1)}])
    out = _run(rv, cs, con, as_of=OCT_END)
    assert out["by_category"]["share_within_sla"][0] == pytest.approx(1.0)


# --- workload and backlog ---------------------------------------------------------------------


def test_workload_and_backlog_by_hand():
    d1, d2, d3 = (datetime(2026, 10, d, 10) for d in (5, 6, 7))
    rows = [
        {"reviewed_at": d1, "agent_id": "a1", "opened_at": d1, "closed_at": d2,
         "removed_at": d2},
        {"reviewed_at": d1, "agent_id": "a1", "opened_at": d1},
        {"reviewed_at": d1, "agent_id": "a2", "opened_at": d2, "closed_at": d3},
    ]
    rv, cs = one_to_one(rows)
    con = contacts([{"case_id": "c1", "agent_id": "a1", "contacted_at": d3}])
    out = _run(rv, cs, con, as_of=datetime(2026, 10, 8, 23, 59))
    w = {r["agent_id"]: r for r in out["workload"].iter_rows(named=True)}
    assert (w["a1"]["working_days"], w["a1"]["cases_opened"], w["a1"]["resolutions"],
            w["a1"]["peak_day_cases"], w["a1"]["contacts"]) == (2, 2, 1, 2, 1)
    assert w["a1"]["cases_per_working_day"] == pytest.approx(1.0)
    assert (w["a2"]["working_days"], w["a2"]["cases_opened"], w["a2"]["resolutions"]) == (1, 1, 0)
    b = out["backlog"]
    assert b["date"].to_list() == [date(2026, 10, d) for d in (5, 6, 7, 8)]
    assert b["open_cases"].to_list() == [2, 2, 1, 1]
    assert b["active_agents"].to_list() == [1, 1, 1, 0]
    assert b["new_reviews"].to_list() == [3, 0, 0, 0]


# --- filters, invariants, headline -------------------------------------------------------------


def test_shop_filter_equals_analysing_that_shop_alone():
    rows = _random_cohort(5)
    rv, cs = one_to_one(rows)
    only = [r for r in rows if r["shop_id"] == "s1"]
    ids = [f"c{i}" for i, r in enumerate(rows) if r["shop_id"] == "s1"]
    rv1 = rv.filter(pl.col("shop_id") == "s1")
    cs1 = cs.filter(pl.col("case_id").is_in(ids))
    assert len(only) == len(ids)
    a = _run(rv, cs, shop="s1")["by_agent"]
    b = _run(rv1, cs1)["by_agent"]
    assert_frame_equal(a.drop("agent_name", "level"), b.drop("agent_name", "level"))


@settings(max_examples=15, deadline=None)
@given(perm=st.permutations(list(range(40))))
def test_row_order_does_not_change_the_result(perm):
    rv, cs = one_to_one(_random_cohort(6, n=40))
    base = _run(rv, cs)
    shuffled = _run(rv.collect()[perm].lazy(), cs.collect()[perm].lazy())
    for name in ("by_agent", "by_category", "by_agent_category"):
        assert_frame_equal(base[name], shuffled[name], check_exact=False, rel_tol=1e-12)


def test_headline_agrees_with_the_tables():
    rows = _random_cohort(7)
    rv, cs = one_to_one(rows)
    con = contacts([{"case_id": "c0", "contacted_at": h(3)}])
    ag = agents([{"agent_id": a} for a in ("a1", "a2", "a3", "a4")])
    as_of = datetime(2026, 11, 10, 23, 59)
    out = _run(rv, cs, con, ag, as_of=as_of)
    head = resolution_headline({"reviews": rv, "cases": cs, "contacts": con, "agents": ag},
                               month="2026-10", as_of=as_of)
    cat = out["by_category"]
    assert head["cohort_cases"] == cat["cases"].sum() == len(rows)
    assert head["eligible"] == cat["eligible"].sum()
    assert head["resolved"] == cat["resolved"].sum()
    assert head["rate"] == pytest.approx(head["resolved"] / head["eligible"])
    ci = stats.binomtest(head["resolved"], head["eligible"]).proportion_ci(method="wilson")
    assert (head["ci_low"], head["ci_high"]) == pytest.approx((ci.low, ci.high), abs=1e-9)
    assert head["median_hours_to_first_contact"] == pytest.approx(3.0 - 0.0 + (
        T0 - rows[0]["reviewed_at"]).total_seconds() / 3600)
    assert head["breaches"] == out["breaches"].height
    assert head["unverified_claims"] == out["unverified"].height


# --- CLI wiring (library call patched, as papermill tests its CLI) ------------------------------


def test_cli_passes_its_options_to_run_resolution(monkeypatch, tmp_path):
    from pathlib import Path

    from typer.testing import CliRunner

    import audit.resolution.job as run
    from audit.cli import app

    calls = []

    def fake(data_dir, out_dir, **kw):
        calls.append((data_dir, out_dir, kw))
        return {"by_agent": Path(out_dir) / "resolution_by_agent.csv"}

    monkeypatch.setattr(run, "run_resolution", fake)
    args = ["resolution", str(tmp_path / "d"), "--month", "2026-10", "--out", str(tmp_path / "o")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert calls[-1] == (tmp_path / "d", tmp_path / "o",
                         {"month": "2026-10", "as_of": None, "sla_hours": 24.0, "shop": None})
    result = CliRunner().invoke(app, [*args, "--as-of", "2026-11-30", "--sla-hours", "12"])
    assert calls[-1][2] == {"month": "2026-10", "as_of": "2026-11-30", "sla_hours": 12.0,
                            "shop": None}
    assert "resolution_by_agent.csv" in result.output
    result = CliRunner().invoke(app, [*args, "--shop", "S07"])
    assert result.exit_code == 0, result.output
    assert calls[-1][2] == {"month": "2026-10", "as_of": None, "sla_hours": 24.0, "shop": "S07"}
