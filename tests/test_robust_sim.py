"""Issue 14's numbers over seeded worlds per scenario (slow: ~2 minutes on 2 cores).

The full 50-seed run is `benchmarks/simulate/harness.py` (the README table). CI runs 30 seeds
(20000-20029) of the 600-item scenarios and 100 (20000-20099) of the cheap 120-item shop, with
tolerances set by the binomial SD at that count. A lift world and its null world share a seed
(the same items, reviews and explanations, with and without the lift), so their coverages are
correlated: the SD of the pooled coverage is taken as that of the lift worlds alone, ~4.0
points at 30 seeds and ~2.2 at 100 for a true 95%. Pooled coverage is held to >= 0.89 at 30
seeds (the first version's bound, stricter than two SDs) and >= 0.90 at 100 (two SDs, in whole
points); an upper bound would fail at random (all covered happens often at exactly 95%). A 5%
null rejection has an SD of ~4 points over 30 worlds and ~2.2 over 100: <= 0.13 and <= 0.10.
Bias is held to the issue's 1.5 points directly (its SE over 30 worlds is ~0.2-0.3).

History: with 30 seeds the 120-item shop covered 88% (53 of 60 pooled), a strict xfail until
the count was raised to the issue's >= 50 seeds; the other seed sets (10000-10049, 30000-30149)
gave 95% (docs/robust.md).
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.simulate.agents import AGENT_SCENARIOS
from benchmarks.simulate.harness import (
    run_jobs,
    summarise_agents,
    summarise_impact,
)
from benchmarks.simulate.world import IMPACT_SCENARIOS

SEEDS = range(20_000, 20_030)
#: The 120-item shop is cheap (a world in well under a second): more seeds, tighter bounds.
THIN_SEEDS = range(20_000, 20_100)
WORKERS = 2
#: Per scenario: its seeds and the bounds at that count (pooled coverage, null rejection).
BOUNDS: dict[str, tuple[range, float, float]] = {
    "selection_promo_burst": (SEEDS, 0.89, 0.13),
    "thin_120": (THIN_SEEDS, 0.90, 0.10),
}


@pytest.fixture(scope="module")
def worlds() -> dict[str, list[dict]]:
    """Every world of the module in one pool (the scenarios share the worker start-up)."""
    plan: list[tuple[str, object, int, bool]] = []
    names: list[str] = []
    for name, null in (("selection_promo_burst", True), ("thin_120", True),
                       ("heterogeneous_delayed", False), ("saturation", False)):
        sc = IMPACT_SCENARIOS[name]
        for s in BOUNDS.get(name, (SEEDS,))[0]:
            plan.append(("impact", sc, s, False))
            names.append(name)
            if null:
                plan.append(("impact", sc.null(), s, False))
                names.append(f"{name}_null")
    recs = run_jobs(plan, WORKERS)
    out: dict[str, list[dict]] = {}
    for n, r in zip(names, recs, strict=True):
        out.setdefault(n, []).append(r)
    return out


@pytest.mark.parametrize("name", list(BOUNDS))
@pytest.mark.slow
def test_bias_rejection_width(worlds: dict[str, list[dict]], name: str) -> None:
    """Selection on expected recovery + promotions + bursts (600 items), and a 120-item shop."""
    lift = summarise_impact(worlds[name])
    null = summarise_impact(worlds[f"{name}_null"])
    assert lift["answered"] == 1.0  # a number in every world, the 120-item shop included
    assert abs(lift["bias"]) <= 1.5
    assert null["reject0"] <= BOUNDS[name][2]
    assert lift["half_width"] <= (5.0 if name != "thin_120" else 8.0)


@pytest.mark.parametrize("name", list(BOUNDS))
@pytest.mark.slow
def test_coverage(worlds: dict[str, list[dict]], name: str) -> None:
    """95% intervals cover the truth in lift and null worlds pooled (bounds: module docstring).

    Both sizes use the cluster jackknife (CR3, up to 1,000 items); CR1 gave 87% at 120 items
    and rejected 8% of null worlds at 600.
    """
    lift = summarise_impact(worlds[name])
    null = summarise_impact(worlds[f"{name}_null"])
    pooled = (lift["coverage"] + null["coverage"]) / 2
    assert pooled >= BOUNDS[name][1]


@pytest.mark.slow
def test_heterogeneous_delayed_estimands(worlds: dict[str, list[dict]]) -> None:
    """Lifts larger on small items and ramping up: each estimand hits its own truth."""
    recs = worlds["heterogeneous_delayed"]
    ow = summarise_impact(recs)
    pe = summarise_impact(recs, key="new_per-explanation_all", truth="truth_per_explanation_all")
    assert abs(ow["bias"]) <= 1.5
    assert abs(pe["bias"]) <= 1.5
    assert ow["coverage"] >= 0.86  # 30 lift worlds: SD ~4 points
    assert pe["coverage"] >= 0.86  # 30 lift worlds: SD ~4 points
    # The two truths differ here by design; the estimates must follow them apart.
    gap_truth = np.mean([r["truth_per_explanation_all"] - r["truth_orders_weighted_all"]
                         for r in recs]) * 100
    gap_est = np.mean([r["new_per-explanation_all_est"] - r["new_orders-weighted_all_est"]
                       for r in recs])
    assert gap_truth > 0.5
    assert abs(gap_est - gap_truth) < 1.0


@pytest.mark.slow
def test_saturation_first_versus_later(worlds: dict[str, list[dict]]) -> None:
    """First explanation +10%, later ones +3%: the split recovers both, not a blurred mean."""
    recs = worlds["saturation"]
    first = summarise_impact(recs, key="new_orders-weighted_first",
                             truth="truth_orders_weighted_first")
    later = summarise_impact(recs, key="new_orders-weighted_later",
                             truth="truth_orders_weighted_later")
    assert abs(first["bias"]) <= 1.5
    assert abs(later["bias"]) <= 1.5
    assert first["coverage"] >= 0.86  # 30 lift worlds: SD ~4 points
    assert later["coverage"] >= 0.86  # 30 lift worlds: SD ~4 points


@pytest.mark.slow
def test_agent_ranking_confounded_case_mix() -> None:
    """Novices on easy categories and neutral reviews only: rank correlation and flags."""
    sc = AGENT_SCENARIOS["confounded"]
    recs = run_jobs([("agent", sc, s, True) for s in SEEDS], 1)
    new, old = summarise_agents(recs, "new"), summarise_agents(recs, "old")
    assert new["rank_corr"] >= 0.74
    assert new["rank_corr"] > old["rank_corr"]
    assert new["avg_flagged"] <= 0.12  # issue: 5%; 30 worlds, SD ~4 points
    # 20 agents x 30 teams (correlated within a team): the bands of the 50-seed run, kept.
    assert 0.92 <= new["raw_coverage"] <= 0.98
    assert 0.90 <= new["shrunk_coverage"] <= 0.98


@pytest.mark.slow
def test_agent_intervals_cover_in_a_thin_team() -> None:
    """10 agents of ~60 cases: tau integrated out, the shrunk intervals cover true skill.

    With a point estimate of the agents' spread (DerSimonian-Laird + Morris) they covered 89%
    of 200 teams (30000-30199) and 90.8% of these 100 (rank correlation 0.60): the spread is
    estimated 0 in many teams, every agent is shrunk onto the average and ranked as a tie. Now
    94.7% and 0.67 here. The seeds are fixed, so the check is deterministic; the bounds are the
    issue's coverage band and a ranking better than the point-estimate one.
    """
    sc = AGENT_SCENARIOS["thin_team"]
    recs = run_jobs([("agent", sc, s, False) for s in THIN_SEEDS], 1)
    new = summarise_agents(recs, "new")
    assert 0.92 <= new["shrunk_coverage"] <= 0.97
    assert new["rank_corr"] >= 0.62
    assert new["avg_flagged"] <= 0.05
