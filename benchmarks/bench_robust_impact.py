"""Benchmark: the whole-panel Poisson FE event study on 10,000 items x 365 days (issue 14).

Usage: ``uv run python -m benchmarks.bench_robust_impact [--items 10000] [--days 365]
[--reviews 50000]``

Builds one seeded world of :mod:`benchmarks.simulate.world` (20 shops, selection on recovery,
promotions and bursts on; review rate set so about ``--reviews`` neutral/negative reviews
arrive), then times :func:`audit.robust.panel_fe.estimate_panel_impact` for both events on
conversion with both estimands (two fits, each with both events in the model). Reports wall
seconds of the estimate alone (the generator is not timed), the estimate against the truth
and the peak RSS of the process. Target: <= 30 s.
"""

from __future__ import annotations

import argparse
import resource
import time
from dataclasses import replace
from pathlib import Path

from audit.robust.panel_fe import estimate_panel_impact
from benchmarks.simulate.world import IMPACT_SCENARIOS, generate


def main() -> None:
    """Run the benchmark once and print one line per result."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--reviews", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=14)
    args = ap.parse_args()
    base = IMPACT_SCENARIOS["selection_promo_burst"]
    # Expected orders per item-day are ~1.5 in the generator; scale the review rate to the target.
    rate = args.reviews / (args.items * args.days * 1.5)
    sc = replace(base, name="bench", n_items=args.items, n_days=args.days, n_shops=20,
                 review_rate=rate)
    t0 = time.perf_counter()
    w = generate(sc, args.seed)
    t_gen = time.perf_counter() - t0
    print(f"world: {args.items} items x {args.days} days, {int(w.truth['n_reviews'])} reviews, "
          f"{int(w.truth['n_explanations'])} explanations ({t_gen:.1f} s to generate)")
    t0, c0 = time.perf_counter(), time.process_time()
    res = estimate_panel_impact(w.sales.lazy(), w.reviews.lazy(), tiers=w.tiers.lazy(),
                                events=("explanation", "resolution"))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    load = Path("/proc/loadavg").read_text().split()[0]
    print(f"estimate_panel_impact: {wall:.1f} s wall, {cpu:.1f} CPU-s, load {load}, "
          f"peak RSS {peak_gb:.2f} GB")
    print(res.summary.filter(group="all").select("event", "estimand", "estimate_pct",
                                                 "ci_low_pct", "ci_high_pct", "verdict"))
    print(f"truth: explanation {100 * w.truth['orders_weighted_all']:.2f}%, resolution "
          f"{100 * sc.resolution_lift:.2f}%")


if __name__ == "__main__":
    main()
