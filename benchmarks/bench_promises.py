"""Benchmark: the promise audit on 1M promises against 1.2M fulfilments, polars vs DuckDB SQL.

Run: ``uv run python benchmarks/bench_promises.py [--promises 1000000] [--fulfilments 1200000]``.

Both engines read the same Parquet inputs, run the same issue-3 rules (three matching levels in
greedy rounds, coverage, duplicates, statuses) and write their per-promise and per-payment
results; each runs in its own subprocess so its wall time and peak resident memory
(``VmHWM``) are its own; CPU seconds (all threads) are printed too, since wall time on a
shared machine depends on the neighbours. The results are then compared row for row.

The data are seeded and shaped like the demo at scale: 40 shops, 600k buyers (so many buyers
hold several promises and the rounds matter), explicit/order/buyer links, partial and late
payments, duplicates, and 15 % unrelated payments, some to buyers who hold promises.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl

KINDS = ("shipping_refund", "cash_back", "coupon", "free_shipping", "discount", "gift",
         "replacement", "refund")
NON_MONETARY = ("free_shipping", "gift", "replacement")
T0 = datetime(2026, 8, 1)
AS_OF = datetime(2026, 10, 31, 23, 59, 59, 999999)
EPS = 0.005


def make_data(n_promises: int, n_fulfilments: int, seed: int = 42) -> dict[str, pl.DataFrame]:
    """Seeded canonical tables: promises, fulfilments, cases, reviews, agents."""
    rng = np.random.default_rng(seed)
    n = n_promises
    shops = np.array([f"S{i:02d}" for i in range(40)])
    shop = shops[rng.integers(0, shops.size, n)]
    buyer = np.char.add("tb_", rng.integers(0, 600_000, n).astype(str))
    order = np.char.add("O", np.arange(n).astype(str))
    kind = np.array(KINDS)[rng.choice(len(KINDS), n, p=[.26, .2, .2, .09, .07, .08, .05, .05])]
    amount = rng.choice([5.0, 8.0, 10.0, 12.0, 20.0, 39.9], n)
    amount = np.where(np.isin(kind, NON_MONETARY), np.nan, amount)
    promised_s = rng.integers(0, 85 * 86400, n)
    due_s = promised_s + rng.integers(1, 8, n) * 86400
    agent = np.char.add("A", rng.integers(0, 200, n).astype(str))
    pid = np.char.add("P", np.arange(n).astype(str))
    base = pl.lit(T0, dtype=pl.Datetime("us"))
    promises = pl.DataFrame({
        "promise_id": pid, "case_id": np.char.add("C", np.arange(n).astype(str)),
        "agent_id": agent, "kind": kind, "amount_cny": amount,
        "p_s": promised_s, "d_s": due_s,
        "conditional_on_review": rng.random(n) < 0.05,
    }).with_columns(pl.col("amount_cny").fill_nan(None)).select(
        "promise_id", "case_id", "agent_id", "kind", "amount_cny",
        promised_at=base + pl.duration(seconds=pl.col("p_s")),
        due_at=base + pl.duration(seconds=pl.col("d_s")),
        conditional_on_review="conditional_on_review",
    )
    cases = pl.DataFrame({"case_id": promises["case_id"],
                          "review_id": np.char.add("R", np.arange(n).astype(str))})
    reviews = pl.DataFrame({"review_id": cases["review_id"], "shop_id": shop, "order_id": order,
                            "buyer_id": buyer})
    agents = pl.DataFrame({"agent_id": [f"A{i}" for i in range(200)],
                           "cash_limit_cny": rng.choice([10.0, 30.0, 100.0], 200)})
    # Payments for promises: pick promises (with repeats: splits and duplicates).
    n_linked = int(n_fulfilments * 0.85)
    target = rng.integers(0, n, n_linked)
    how = rng.choice(3, n_linked, p=[0.4, 0.35, 0.25])
    delay = rng.integers(-3600, 10 * 86400, n_linked)
    part = rng.choice([1.0, 1.0, 1.0, 0.5, 1.5], n_linked)
    linked = pl.DataFrame({
        "shop_id": shop[target], "order": order[target], "how": how,
        "buyer_id": buyer[target], "kind": kind[target],
        "amount_cny": np.round(np.nan_to_num(amount[target]) * part, 1),
        "e_s": np.minimum(promised_s[target] + delay, 91 * 86400),
        "pid": pid[target],
    }).select(
        "shop_id", order_id=pl.when(pl.col("how") != 2).then(pl.col("order")),  # noqa: PLR2004
        buyer_id="buyer_id", kind="kind", amount_cny="amount_cny", e_s="e_s",
        promise_id=pl.when(pl.col("how") == 0).then(pl.col("pid")),
    )
    n_other = n_fulfilments - n_linked
    other = pl.DataFrame({
        "shop_id": shops[rng.integers(0, shops.size, n_other)],
        "order": np.char.add("X", np.arange(n_other).astype(str)),
        "no_order": rng.random(n_other) < 0.5,
        "buyer_id": np.char.add("tb_", rng.integers(0, 900_000, n_other).astype(str)),
        "kind": np.array(KINDS)[rng.integers(0, len(KINDS), n_other)],
        "amount_cny": rng.choice([5.0, 10.0, 20.0], n_other),
        "e_s": rng.integers(0, 91 * 86400, n_other),
    }).select(
        "shop_id", order_id=pl.when(~pl.col("no_order")).then(pl.col("order")),
        buyer_id="buyer_id", kind="kind", amount_cny="amount_cny", e_s="e_s",
        promise_id=pl.lit(None, pl.String),
    )
    fulfilments = pl.concat([linked, other], how="vertical_relaxed").with_columns(
        fulfilment_id=pl.concat_str(pl.lit("F"), pl.int_range(pl.len()).cast(pl.String)),
        executed_at=base + pl.duration(seconds=pl.col("e_s")),
        reference=pl.lit(None, pl.String),
    ).select("fulfilment_id", "shop_id", "order_id", "buyer_id", "kind", "amount_cny",
             "executed_at", "reference", pl.col("promise_id").cast(pl.String))
    return {"promises": promises, "fulfilments": fulfilments, "cases": cases,
            "reviews": reviews, "agents": agents}


# --- the two engines ------------------------------------------------------------------------


def run_polars(data: Path, out: Path) -> None:
    """The library's audit (audit.promises.analysis), reading the Parquet inputs lazily."""
    from audit.promises.analysis import audit_promises

    t = {name: pl.scan_parquet(data / f"{name}.parquet") for name in
         ("promises", "fulfilments", "cases", "reviews", "agents")}
    audit = audit_promises(**t, as_of=AS_OF)
    audit.promises.select("promise_id", "status", "flags", "covered_cny", "days_late",
                          "days_overdue").sink_parquet(out / "promises.parquet")
    audit.payments.select("fulfilment_id", "finding", "promise_id").sink_parquet(
        out / "payments.parquet")


_LEVELS = {
    "explicit": ("f.link_id = o.promise_id AND f.shop_id = o.shop_id AND f.kind = o.kind",
                 "o.promise_id", False),
    "order": ("f.shop_id = o.shop_id AND f.order_id = o.order_id AND f.kind = o.kind",
              "o.shop_id, o.order_id, o.kind", True),
    "buyer": ("f.shop_id = o.shop_id AND f.buyer_id = o.buyer_id AND f.kind = o.kind",
              "o.shop_id, o.buyer_id, o.kind", True),
}


def run_duckdb(data: Path, out: Path) -> None:
    """The same audit written as DuckDB SQL (the greedy rounds driven from Python)."""
    import duckdb

    con = duckdb.connect()
    q = con.execute
    q(f"""CREATE TABLE P AS
        SELECT row_number() OVER (ORDER BY p.due_at, p.promised_at, p.promise_id) AS prank,
               p.*, r.shop_id, r.order_id, r.buyer_id, a.cash_limit_cny,
               CASE WHEN p.kind IN {NON_MONETARY} OR NOT (p.amount_cny > 0) OR p.amount_cny IS NULL
                    THEN NULL ELSE p.amount_cny END AS target
        FROM '{data}/promises.parquet' p
        LEFT JOIN '{data}/cases.parquet' c USING (case_id)
        LEFT JOIN '{data}/reviews.parquet' r USING (review_id)
        LEFT JOIN '{data}/agents.parquet' a USING (agent_id)
        WHERE p.promised_at <= TIMESTAMP '{AS_OF}'""")
    q(f"""CREATE TABLE F AS
        SELECT row_number() OVER (ORDER BY executed_at, fulfilment_id) AS frank, *,
               promise_id AS link_id, coalesce(amount_cny, 0) AS paid
        FROM '{data}/fulfilments.parquet' WHERE executed_at <= TIMESTAMP '{AS_OF}'""")
    q("CREATE TABLE A (frank BIGINT, prank BIGINT, level VARCHAR)")
    q("CREATE TABLE S AS SELECT prank, target, 0.0::DOUBLE AS covered, 0 AS n FROM P")
    done = f"(CASE WHEN s.target IS NULL THEN s.n > 0 ELSE s.covered >= s.target - {EPS} END)"
    for level, (on, group, timed) in _LEVELS.items():
        q(f"""CREATE OR REPLACE TABLE O AS SELECT p.*, s.covered FROM P p JOIN S s USING (prank)
              WHERE NOT {done}""")
        q("CREATE OR REPLACE TABLE FR AS SELECT * FROM F WHERE frank NOT IN (SELECT frank FROM A)")
        while True:
            when = "AND f.executed_at >= o.promised_at" if timed else ""
            q(f"""CREATE OR REPLACE TABLE CAND AS
                  SELECT o.prank, f.frank, o.target, o.covered, f.paid,
                         min(o.prank) OVER (PARTITION BY {group}) AS first
                  FROM O o JOIN FR f ON {on} {when}""")
            if q("SELECT count(*) FROM CAND").fetchone()[0] == 0:
                break
            q(f"""CREATE OR REPLACE TABLE TOOK AS SELECT frank, prank FROM (
                    SELECT *, sum(paid) OVER w - paid AS before, row_number() OVER w AS i
                    FROM CAND WHERE prank = first
                    WINDOW w AS (PARTITION BY prank ORDER BY frank
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW))
                  WHERE (target IS NULL AND i = 1)
                     OR (target IS NOT NULL AND covered + before < target - {EPS})""")
            q(f"INSERT INTO A SELECT frank, prank, '{level}' FROM TOOK")
            q("""CREATE OR REPLACE TABLE O AS SELECT * FROM O
                 WHERE prank IN (SELECT prank FROM CAND WHERE prank <> first)""")
            q("""CREATE OR REPLACE TABLE FR AS SELECT * FROM FR
                 WHERE frank IN (SELECT frank FROM CAND WHERE prank <> first)
                   AND frank NOT IN (SELECT frank FROM TOOK)""")
        q("""CREATE OR REPLACE TABLE S AS
             SELECT s.prank, s.target, coalesce(sum(f.paid), 0.0) AS covered, count(f.frank) AS n
             FROM S s LEFT JOIN A a USING (prank) LEFT JOIN F f ON f.frank = a.frank
             GROUP BY s.prank, s.target""")
    q(f"""CREATE TABLE COV AS
        SELECT prank, sum(paid) AS covered_cny, count(*) AS n,
               min(executed_at) FILTER (WHERE reached) AS covered_at
        FROM (SELECT a.prank, f.paid, f.executed_at, p.target,
                     CASE WHEN p.target IS NULL THEN row_number() OVER w = 1
                          ELSE sum(f.paid) OVER w >= p.target - {EPS} END AS reached
              FROM A a JOIN F f USING (frank) JOIN P p USING (prank)
              WINDOW w AS (PARTITION BY a.prank ORDER BY f.executed_at, f.frank
                           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW))
        GROUP BY prank""")
    q("""CREATE TABLE DUP AS
        SELECT frank, arg_min(prank, pri * 1e12 + prank) AS prank FROM (
          SELECT f.frank, p.prank, 0 AS pri FROM F f
            JOIN P p ON f.link_id = p.promise_id AND f.shop_id = p.shop_id AND f.kind = p.kind
            JOIN COV c ON c.prank = p.prank AND c.covered_at IS NOT NULL
          UNION ALL
          SELECT f.frank, p.prank, 1 FROM F f
            JOIN P p ON f.shop_id = p.shop_id AND f.order_id = p.order_id AND f.kind = p.kind
            JOIN COV c ON c.prank = p.prank AND c.covered_at IS NOT NULL
                      AND f.executed_at >= c.covered_at)
        WHERE frank NOT IN (SELECT frank FROM A)
        GROUP BY frank""")
    day = "86400000000.0"
    q(f"""COPY (
        SELECT p.promise_id,
          CASE WHEN c.covered_at IS NOT NULL AND c.covered_at <= p.due_at THEN 'kept'
               WHEN c.covered_at IS NOT NULL THEN 'kept_late'
               WHEN p.due_at <= TIMESTAMP '{AS_OF}' AND coalesce(c.n, 0) > 0 THEN 'partial'
               WHEN p.due_at <= TIMESTAMP '{AS_OF}' THEN 'broken' ELSE 'pending' END AS status,
          concat_ws(';',
            CASE WHEN p.conditional_on_review THEN 'conditional_on_review' END,
            CASE WHEN p.prank IN (SELECT prank FROM DUP) THEN 'duplicate_payment' END,
            CASE WHEN p.amount_cny > p.cash_limit_cny THEN 'over_authority' END,
            CASE WHEN p.target IS NOT NULL AND coalesce(c.covered_cny, 0) > p.target + {EPS}
                 THEN 'overpaid' END) AS flags,
          coalesce(c.covered_cny, 0.0) AS covered_cny,
          CASE WHEN c.covered_at > p.due_at
               THEN ceil(epoch_us(c.covered_at - p.due_at) / {day})::BIGINT END AS days_late,
          CASE WHEN c.covered_at IS NULL AND p.due_at <= TIMESTAMP '{AS_OF}'
               THEN ceil(epoch_us(TIMESTAMP '{AS_OF}' - p.due_at) / {day})::BIGINT
               END AS days_overdue
        FROM P p LEFT JOIN COV c USING (prank) ORDER BY p.promise_id
        ) TO '{out}/promises.parquet' (FORMAT parquet)""")
    q(f"""COPY (
        SELECT f.fulfilment_id,
          CASE WHEN a.frank IS NOT NULL THEN 'matched' WHEN d.frank IS NOT NULL THEN 'duplicate'
               ELSE 'unpromised' END AS finding,
          p.promise_id
        FROM F f LEFT JOIN A a USING (frank) LEFT JOIN DUP d USING (frank)
        LEFT JOIN P p ON p.prank = coalesce(a.prank, d.prank)
        ORDER BY f.fulfilment_id
        ) TO '{out}/payments.parquet' (FORMAT parquet)""")


def _child(engine: str, data: Path, out: Path) -> None:
    """Run one engine and print its wall time and peak RSS (this process only) as JSON."""
    t, c = time.perf_counter(), time.process_time()
    (run_polars if engine == "polars" else run_duckdb)(data, out)
    seconds, cpu = time.perf_counter() - t, time.process_time() - c
    # VmHWM, not ru_maxrss: Linux carries the parent's ru_maxrss over fork and exec.
    status = Path("/proc/self/status").read_text()
    peak_mb = int(next(ln.split()[1] for ln in status.splitlines()
                       if ln.startswith("VmHWM:"))) / 1024
    print(json.dumps({"engine": engine, "seconds": round(seconds, 2),
                      "cpu_seconds": round(cpu, 2), "peak_rss_mb": round(peak_mb)}))


def _compare(a: Path, b: Path) -> dict[str, int]:
    """Rows present in one engine's result and not in the other's (0 and 0 when they agree)."""
    diffs = {}
    for name in ("promises", "payments"):
        x = pl.read_parquet(a / f"{name}.parquet")
        y = pl.read_parquet(b / f"{name}.parquet").select(x.columns).cast(x.schema)
        if "flags" in x.columns:
            y = y.with_columns(pl.col("flags").fill_null(""))
        x, y = (df.with_columns(pl.col(pl.Float64).round(6)) for df in (x, y))
        diffs[name] = (x.join(y, on=x.columns, how="anti", nulls_equal=True).height
                       + y.join(x, on=x.columns, how="anti", nulls_equal=True).height)
    return diffs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--promises", type=int, default=1_000_000)
    parser.add_argument("--fulfilments", type=int, default=1_200_000)
    parser.add_argument("--child", choices=["polars", "duckdb"])
    parser.add_argument("--data", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.data, args.out)
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = root / "data"
        data.mkdir()
        t = time.perf_counter()
        for name, df in make_data(args.promises, args.fulfilments).items():
            df.write_parquet(data / f"{name}.parquet")
        print(f"data: {args.promises:,} promises, {args.fulfilments:,} fulfilments "
              f"({time.perf_counter() - t:.1f} s to generate)")
        results = {}
        for engine in ("polars", "duckdb"):
            out = root / engine
            out.mkdir()
            proc = subprocess.run(
                [sys.executable, __file__, "--child", engine, "--data", str(data),
                 "--out", str(out)], capture_output=True, text=True, check=True)
            results[engine] = json.loads(proc.stdout.strip().splitlines()[-1])
            print(results[engine])
        print("rows that differ:", _compare(root / "polars", root / "duckdb"))
        counts = pl.read_parquet(root / "polars" / "promises.parquet")["status"].value_counts()
        print(dict(sorted(counts.iter_rows())))


if __name__ == "__main__":
    main()
