"""Benchmark: read + validate 1M reviews, 1M promises, 1M fulfilments (issue 2).

Usage: ``uv run python benchmarks/bench_validate.py [--rows 1000000] [--bad 0.01]``

The files are generated once, seeded, into ``benchmarks/_data/`` (gitignored): UTF-8 CSVs in
the canonical layout, with a share ``--bad`` of rows broken in the ways real exports break
(unreadable amounts, unknown kinds/ratings, due before promised, duplicate keys, missing
required values). Each table runs in its own subprocess so the peak RSS is that table's.
Reading (file -> typed frame) and validating (GX row contract) are timed separately.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import polars as pl

DATA = Path(__file__).resolve().parent / "_data"
TABLES = ("reviews", "promises", "fulfilments")


def _times(rng: np.random.Generator, n: int) -> pl.Series:
    base = np.datetime64("2026-08-01T00:00:00")
    secs = rng.integers(0, 92 * 86400, n)
    return pl.Series((base + secs.astype("timedelta64[s]")).astype("datetime64[us]"))


def generate(rows: int, bad: float, seed: int = 7) -> None:
    """Write the three seeded benchmark files (skipped when they exist with this size)."""
    DATA.mkdir(parents=True, exist_ok=True)
    stamp = DATA / "stamp.json"
    want = {"rows": rows, "bad": bad, "seed": seed}
    if stamp.is_file() and json.loads(stamp.read_text()) == want:
        return
    rng = np.random.default_rng(seed)
    idx = np.arange(rows)
    nbad = int(rows * bad)

    def ids(prefix: str, values: np.ndarray) -> pl.Expr:
        return pl.format(prefix + "{}", pl.lit(pl.Series(values)).cast(pl.String).str.zfill(7))

    def pick(values: tuple[str, ...]) -> pl.Series:
        return pl.Series(np.array(values)[rng.integers(0, len(values), rows)])

    fmt = "%Y-%m-%d %H:%M:%S"
    reviewed = _times(rng, rows)
    reviews = pl.DataFrame({"i": idx}).select(
        ids("R", idx).alias("review_id"), pl.lit("shop1").alias("shop_id"),
        ids("O", idx).alias("order_id"), ids("I", idx % 150).alias("item_id"),
        ids("B", rng.integers(0, rows // 3, rows)).alias("buyer_id"),
        pl.lit(pick(("neutral", "negative"))).alias("rating"),
        pl.lit("物流太慢了，包装也破了").alias("review_text"),
        pl.lit(reviewed.dt.to_string(fmt)).alias("reviewed_at"),
        pl.lit(None, pl.String).alias("explanation_text"),
        pl.lit((reviewed + timedelta(days=2)).dt.to_string(fmt)).alias("explained_at"),
        pl.lit(None, pl.String).alias("revised_rating"),
        pl.lit(None, pl.String).alias("revised_at"),
        pl.lit(None, pl.String).alias("removed_at"),
    )
    promised = _times(rng, rows)
    promises = pl.DataFrame({"i": idx}).select(
        ids("P", idx).alias("promise_id"), ids("C", idx).alias("case_id"),
        ids("A", idx % 25).alias("agent_id"),
        pl.lit(pick(("cash_back", "coupon", "refund", "shipping_refund"))).alias("kind"),
        pl.lit(pl.Series(rng.integers(5, 50, rows)).cast(pl.String)).alias("amount_cny"),
        pl.lit(promised.dt.to_string(fmt)).alias("promised_at"),
        pl.lit((promised + timedelta(days=3)).dt.to_string(fmt)).alias("due_at"),
        pl.lit(pick(("true", "false"))).alias("conditional_on_review"),
    )
    executed = _times(rng, rows)
    fulfilments = pl.DataFrame({"i": idx}).select(
        ids("F", idx).alias("fulfilment_id"), pl.lit("shop1").alias("shop_id"),
        ids("O", idx).alias("order_id"), ids("B", idx).alias("buyer_id"),
        pl.lit(pick(("cash_back", "coupon", "refund"))).alias("kind"),
        pl.lit(pl.Series(rng.integers(5, 50, rows)).cast(pl.String)).alias("amount_cny"),
        pl.lit(executed.dt.to_string(fmt)).alias("executed_at"),
        ids("REF", idx).alias("reference"), ids("P", idx).alias("promise_id"),
    )
    # Break nbad rows per table, spread over five kinds of defect.
    k = max(nbad // 5, 0)
    spots = rng.choice(rows, size=5 * k, replace=False) if k else np.array([], dtype=int)
    groups = [pl.Series(spots[j * k:(j + 1) * k]) for j in range(5)]

    def breaks(df: pl.DataFrame, edits: list[tuple[str, str | None]]) -> pl.DataFrame:
        i = pl.int_range(pl.len())
        exprs = []
        for col in df.columns:
            e = pl.col(col)
            for g, (c, v) in zip(groups, edits, strict=True):
                if c == col:
                    e = pl.when(i.is_in(g.implode())).then(pl.lit(v, pl.String)).otherwise(e)
            exprs.append(e.alias(col))
        return df.select(exprs)

    reviews = breaks(reviews, [("rating", "好"), ("reviewed_at", "昨天"), ("review_id", "R0000001"),
                               ("buyer_id", None), ("explained_at", "2026-07-01 00:00:00")])
    promises = breaks(promises, [("amount_cny", "12块"), ("kind", "bogus"),
                                 ("promise_id", "P0000001"),
                                 ("due_at", "2026-07-01 00:00:00"), ("case_id", None)])
    fulfilments = breaks(fulfilments, [("amount_cny", "-5"), ("kind", "bogus"),
                                       ("fulfilment_id", "F0000001"), ("executed_at", "x"),
                                       ("buyer_id", None)])
    for name, df in (("reviews", reviews), ("promises", promises), ("fulfilments", fulfilments)):
        df.write_csv(DATA / f"{name}.csv")
    stamp.write_text(json.dumps(want))


def run_one(name: str) -> dict:
    """Read and validate one table in this process; timings and peak RSS."""
    from audit.data import contracts, exports

    c0, t0 = time.process_time(), time.perf_counter()
    raw = exports.read_export(DATA / f"{name}.csv", name)
    typed, unreadable = exports.parse_table(raw.frame, name)
    c1, t1 = time.process_time(), time.perf_counter()
    contracts.load_contract(name)  # GX import + suite load, reported apart
    contracts._column_groups(name)
    c2, t2 = time.process_time(), time.perf_counter()
    problems = contracts.check_rows(typed, name, source_file=f"{name}.csv")
    c3, t3 = time.process_time(), time.perf_counter()
    bad_rows = pl.concat([unreadable.select(exports.ROW), problems.select(exports.ROW)]).n_unique()
    return {
        "table": name, "rows": raw.frame.height, "read_s": round(t1 - t0, 2),
        "gx_import_s": round(t2 - t1, 2), "validate_s": round(t3 - t2, 2),
        "read_cpu_s": round(c1 - c0, 2), "validate_cpu_s": round(c3 - c2, 2),
        "rows_with_problems": bad_rows,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--bad", type=float, default=0.01)
    parser.add_argument("--one", choices=TABLES)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return
    t = time.perf_counter()
    generate(args.rows, args.bad)
    print(f"data ready in {time.perf_counter() - t:.1f} s ({DATA})")
    load = Path("/proc/loadavg").read_text().split()[0]
    print(f"load average before: {load} (others' jobs inflate wall time)")
    for name in TABLES:
        out = subprocess.run([sys.executable, __file__, "--one", name], check=True,
                             capture_output=True, text=True).stdout
        print(out.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
