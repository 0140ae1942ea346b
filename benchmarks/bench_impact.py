"""Benchmark: the impact event study on 10,000 items x 365 days with 50,000 events (issue 5).

Usage: ``uv run python benchmarks/bench_impact.py [--items 10000] [--days 365] [--reviews 50000]``

Step 1 (a subprocess, so its memory is not counted) builds a seeded world of ``--items`` items in
20 shops and ``--reviews`` neutral/negative reviews with the demo's timing model (60% explained
after 0-2 or 3-12 days, 40% resolved within 30 days; independent of sales), runs the demo's own
sales model (:func:`audit.demo.sales.simulate_sales`) over ``--days`` days and writes
``sales_daily`` and ``reviews`` as Parquet to ``benchmarks/_data/impact/`` (gitignored). Step 2
(another subprocess) reads them and runs :func:`audit.impact.estimate_impact` for both events,
all four metrics, 199 bootstrap replicates and the placebo; it reports wall seconds, CPU
seconds (user + sys), the 1-minute load average and the peak RSS of that process
(``resource.getrusage``), which includes reading the files.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from audit.demo.types import DemoPeriod, Part, World

DATA = Path(__file__).resolve().parent / "_data" / "impact"


def toy_world(rng: np.random.Generator, *, n_items: int, shops: int) -> World:
    """Items with popularity (mean 1) and price, spread over ``shops`` shops."""
    shop = [f"S{k % shops + 1:02d}" for k in range(n_items)]
    items = pl.DataFrame({
        "shop_id": shop,
        "item_id": [f"I{k:06d}" for k in range(n_items)],
        "title": [f"item {k}" for k in range(n_items)],
        "price_cny": np.round(rng.uniform(20, 300, n_items), 2),
        "popularity": rng.lognormal(0, 0.5, n_items) / np.exp(0.125),
    })
    return World(shops=sorted(set(shop)), agents=pl.DataFrame(), items=items)


def toy_reviews(rng: np.random.Generator, world: World, period: DemoPeriod, *,
                n_reviews: int) -> Part:
    """``n_reviews`` neutral/negative reviews with explanation and resolution times."""
    items = world.items
    pop = items["popularity"].to_numpy()
    idx = rng.choice(items.height, size=n_reviews, p=pop / pop.sum())
    n_days = (period.end_month_last_day - period.start).days + 1
    start = datetime.combine(period.start, datetime.min.time())
    posted = rng.uniform(0, n_days, n_reviews)
    explained = rng.random(n_reviews) < 0.6
    quick = rng.random(n_reviews) < 0.5
    delay = np.where(quick, rng.uniform(0, 3, n_reviews), rng.uniform(3, 13, n_reviews))
    resolved = rng.random(n_reviews) < 0.4
    res_delay = rng.uniform(0.5, 30, n_reviews)
    removed = rng.random(n_reviews) < 0.3

    def ts(days: np.ndarray, mask: np.ndarray) -> list[datetime | None]:
        return [start + timedelta(days=float(d)) if m else None
                for d, m in zip(days, mask, strict=True)]

    rev = pl.DataFrame({
        "review_id": [f"R{k:07d}" for k in range(n_reviews)],
        "shop_id": items["shop_id"].to_numpy()[idx],
        "item_id": items["item_id"].to_numpy()[idx],
        "rating": np.where(rng.random(n_reviews) < 0.6, "negative", "neutral"),
        "reviewed_at": ts(posted, np.ones(n_reviews, bool)),
        "explained_at": ts(posted + delay, explained),
        "revised_rating": ["positive" if m else None for m in resolved & ~removed],
        "revised_at": ts(posted + res_delay, resolved & ~removed),
        "removed_at": ts(posted + res_delay, resolved & removed),
    }, schema_overrides={"revised_rating": pl.String, "reviewed_at": pl.Datetime("us"),
                         "explained_at": pl.Datetime("us"), "revised_at": pl.Datetime("us"),
                         "removed_at": pl.Datetime("us")})
    return Part(tables={"reviews": rev})




def _period(days: int) -> DemoPeriod:
    """``days`` calendar days in total, the last 30 of them the follow-up after the end month."""
    end = date(2026, 9, 30)
    return DemoPeriod(start=end + timedelta(days=30) - timedelta(days=days - 1),
                      end_month_last_day=end)


def generate(items: int, days: int, reviews: int) -> None:
    from audit.demo.sales import simulate_sales

    rng = np.random.default_rng(2026)
    world = toy_world(rng, n_items=items, shops=20)
    period = _period(days)
    log = toy_reviews(rng, world, period, n_reviews=reviews)
    panel = simulate_sales(np.random.default_rng(4), world, log, period, effect=True)
    DATA.mkdir(parents=True, exist_ok=True)
    panel.tables["sales_daily"].write_parquet(DATA / "sales_daily.parquet")
    log.tables["reviews"].write_parquet(DATA / "reviews.parquet")
    print(json.dumps({"sales_rows": panel.tables["sales_daily"].height,
                      "reviews": log.tables["reviews"].height, "facts": {
                          k: v for k, v in panel.facts.items() if k.endswith("_pct")}}))


def run() -> None:
    from audit.impact.analysis import estimate_impact

    started, cpu0 = time.perf_counter(), time.process_time()
    result = estimate_impact(pl.scan_parquet(DATA / "sales_daily.parquet"),
                             pl.scan_parquet(DATA / "reviews.parquet"))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    conv = result.summary.filter(pl.col("metric") == "conversion")
    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else None
    print(json.dumps({"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
                      "load_average": load, "peak_rss_mb": round(peak_mb),
                      "conversion": conv.select("event", "estimate_pct", "ci_low_pct",
                                                "ci_high_pct", "n_treated", "n_control",
                                                "verdict").to_dicts()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--reviews", type=int, default=50_000)
    parser.add_argument("--step", choices=["generate", "run"], default=None)
    a = parser.parse_args()
    if a.step == "generate":
        generate(a.items, a.days, a.reviews)
        return
    if a.step == "run":
        run()
        return
    me = [sys.executable, __file__, "--items", str(a.items), "--days", str(a.days),
          "--reviews", str(a.reviews)]
    subprocess.run([*me, "--step", "generate"], check=True)
    subprocess.run([*me, "--step", "run"], check=True)


if __name__ == "__main__":
    main()
