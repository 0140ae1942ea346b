"""Issue 14's numbers over 30 seeded worlds per scenario (slow: a few minutes on 2 cores).

The full 50-seed run is `benchmarks/simulate/harness.py` (the README table); CI runs 30 seeds
(20000-20029) with tolerances set by the binomial SD at that count. With 30 lift + 30 null
worlds a 95% coverage has an SD of ~2.8 points, so pooled coverage is held to >= 0.89 (two
SDs; an upper bound would fail at random: 60 of 60 covered happens 5% of the time at exactly
95%); a 5% null rejection over 30 worlds has an SD of ~4 points, so <= 0.13. Bias is held to
the issue's 1.5 points directly (its SE over 30 worlds is ~0.2-0.3).
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
WORKERS = 2


@pytest.fixture(scope="module")
def worlds() -> dict[str, list[dict]]:
    """Every world of the module in one pool (the scenarios share the worker start-up)."""
    plan: list[tuple[str, object, int, bool]] = []
    names: list[str] = []
    for name, null in (("selection_promo_burst", True), ("thin_120", True),
                       ("heterogeneous_delayed", False), ("saturation", False)):
        sc = IMPACT_SCENARIOS[name]
        for s in SEEDS:
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


THIN_SHORT = pytest.mark.xfail(
    strict=True, reason="120 items, seeds 20000-20029, with the cluster jackknife: pooled "
    "coverage 88% (53 of 60), nulls rejected in 13% (4 of 30); on seeds 10000-10049 it was "
    "95% and 2%. The worlds' spread (SD ~1.8 points) exceeds the jackknife SE (~1.5) on these "
    "seeds; open in docs/robust.md")


@pytest.mark.parametrize("name", ["selection_promo_burst",
                                  pytest.param("thin_120", marks=THIN_SHORT)])
@pytest.mark.slow
def test_bias_rejection_width(worlds: dict[str, list[dict]], name: str) -> None:
    """Selection on expected recovery + promotions + bursts (600 items), and a 120-item shop."""
    lift = summarise_impact(worlds[name])
    null = summarise_impact(worlds[f"{name}_null"])
    assert lift["answered"] == 1.0  # a number in every world, the 120-item shop included
    assert abs(lift["bias"]) <= 1.5
    assert null["reject0"] <= 0.13
    assert lift["half_width"] <= (5.0 if name != "thin_120" else 8.0)


@pytest.mark.parametrize("name", ["selection_promo_burst",
                                  pytest.param("thin_120", marks=THIN_SHORT)])
@pytest.mark.slow
def test_coverage(worlds: dict[str, list[dict]], name: str) -> None:
    """95% intervals cover the truth in lift and null worlds pooled (SD ~2.2 points).

    At 120 items the cluster jackknife (CR3) is used; CR1 gave 87% on 50 of these seeds, CR3
    88% on 30 (xfail above).
    """
    lift = summarise_impact(worlds[name])
    null = summarise_impact(worlds[f"{name}_null"])
    pooled = (lift["coverage"] + null["coverage"]) / 2
    assert pooled >= 0.89


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
