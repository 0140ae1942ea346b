"""Platform-scale data: many shops of Zipf-like sizes, written as Parquet datasets in chunks.

Run: ``uv run python benchmarks/platform_data.py OUT --shops 10000 --promises 10000000``
(``--payments`` default 1.2 x promises, ``--reviews`` default 2 x promises, ``--sales-days``
0: no sales table).

Shop ``k`` (1-based) gets a share proportional to ``1 / k ** zipf`` of every table (the largest
shops dominate, as on a real platform). Shops are generated a chunk at a time (about
``--chunk-rows`` promises per chunk) and each chunk is written as one part file per table,
``OUT/<table>/part-00000.parquet``, so the whole set is never in memory; with ``--hive`` each
chunk is written hive-partitioned by shop (``OUT/<table>/shop_id=S00001/...``; a shop's part).
Every row passes the data contracts; the shape (linked, same-order and same-buyer payments,
partial, late, duplicate and unpromised money) is that of ``bench_promises.py``.
"""

from __future__ import annotations

import argparse
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

KINDS = ("shipping_refund", "cash_back", "coupon", "free_shipping", "discount", "gift",
         "replacement", "refund")
NON_MONETARY = ("free_shipping", "gift", "replacement")
CATEGORIES = ("novice", "logistics", "service", "quality", "fraud", "wrong_item", "buyer")
OUTCOMES = ("revised", "removed", "explained", "refused", "unreachable", "open")
T0 = datetime(2026, 8, 1)
DAYS = 91
N_AGENTS = 2_000


def shop_sizes(n_shops: int, total: int, zipf: float) -> np.ndarray:
    """Rows per shop (at least one each), Zipf-like shares of ``total``."""
    w = 1.0 / np.arange(1, n_shops + 1) ** zipf
    sizes = np.maximum(1, np.floor(w / w.sum() * total)).astype(np.int64)
    sizes[0] += max(0, total - int(sizes.sum()))
    return sizes


def _dt(seconds: pl.Expr) -> pl.Expr:
    return pl.lit(T0, dtype=pl.Datetime("us")) + pl.duration(seconds=seconds)


def chunk_tables(shop_ids: np.ndarray, n_prom: np.ndarray, *, pay_ratio: float,
                 review_ratio: float, sales_days: int, offset: int,
                 rng: np.random.Generator) -> dict[str, pl.DataFrame]:
    """Canonical tables for the shops of one chunk (ids unique across chunks via ``offset``)."""
    n = int(n_prom.sum())
    shop = np.repeat(shop_ids, n_prom)
    ids = np.arange(offset, offset + n).astype(str)
    buyer_space = np.repeat(np.maximum(2, n_prom // 2), n_prom)
    buyer_no = (rng.random(n) * buyer_space).astype(int).astype(str)
    buyer = np.char.add(np.char.add(shop, "_b"), buyer_no)
    kind = np.array(KINDS)[rng.choice(len(KINDS), n, p=[.26, .2, .2, .09, .07, .08, .05, .05])]
    amount = rng.choice([5.0, 8.0, 10.0, 12.0, 20.0, 39.9], n)
    amount = np.where(np.isin(kind, NON_MONETARY), np.nan, amount)
    review_s = rng.integers(0, (DAYS - 10) * 86400, n)
    promised_s = review_s + rng.integers(600, 86400, n)
    due_s = promised_s + rng.integers(1, 8, n) * 86400
    agent = np.char.add("A", rng.integers(0, N_AGENTS, n).astype(str))
    pid, cid, rid, oid = (np.char.add(p, ids) for p in ("P", "C", "R", "O"))
    reviews = pl.DataFrame({
        "review_id": rid, "shop_id": shop, "order_id": oid, "item_id": np.char.add(
            np.char.add(shop, "_i"), rng.integers(0, 20, n).astype(str)),
        "buyer_id": buyer, "rating": rng.choice(["neutral", "negative"], n, p=[.3, .7]),
        "r_s": review_s, "fix": rng.random(n),
    }).select(
        "review_id", "shop_id", "order_id", "item_id", "buyer_id", "rating",
        review_text=pl.lit(None, pl.String), reviewed_at=_dt(pl.col("r_s")),
        explanation_text=pl.lit(None, pl.String), explained_at=pl.lit(None, pl.Datetime("us")),
        revised_rating=pl.when(pl.col("fix") < 0.3).then(pl.lit("positive")),
        revised_at=pl.when(pl.col("fix") < 0.3).then(_dt(pl.col("r_s") + 3 * 86400)),
        removed_at=pl.lit(None, pl.Datetime("us")),
    )
    # Reviews that no case handles (positive ones too): the reviews table is the largest.
    n_more = max(0, int(n * (review_ratio - 1)))
    more_shop = shop[rng.integers(0, n, n_more)] if n else np.array([], dtype=str)
    extra = pl.DataFrame({
        "review_id": np.char.add("RX", np.arange(offset, offset + n_more).astype(str)),
        "shop_id": more_shop, "order_id": np.char.add("OX", np.arange(
            offset, offset + n_more).astype(str)),
        "item_id": np.char.add(more_shop, "_i0"), "buyer_id": np.char.add(more_shop, "_bx"),
        "rating": "positive", "r_s": rng.integers(0, DAYS * 86400, n_more),
    }).select("review_id", "shop_id", "order_id", "item_id", "buyer_id", "rating",
              reviewed_at=_dt(pl.col("r_s")))
    reviews = pl.concat([reviews, extra], how="diagonal")
    cases = pl.DataFrame({
        "case_id": cid, "review_id": rid, "agent_id": agent,
        "category": np.array(CATEGORIES)[rng.integers(0, len(CATEGORIES), n)],
        "o_s": review_s + 300, "outcome": np.array(OUTCOMES)[rng.integers(0, 6, n)],
    }).select("case_id", "review_id", "agent_id", "category", opened_at=_dt(pl.col("o_s")),
              closed_at=_dt(pl.col("o_s") + 2 * 86400), outcome="outcome")
    contacts = pl.DataFrame({
        "contact_id": np.char.add("K", ids), "case_id": cid, "agent_id": agent,
        "channel": rng.choice(["shop_im", "sms", "phone"], n),
        "c_s": review_s + rng.integers(600, 40 * 3600, n), "reached": rng.random(n) < 0.8,
    }).select("contact_id", "case_id", "agent_id", "channel",
              contacted_at=_dt(pl.col("c_s")), reached="reached")
    promises = pl.DataFrame({
        "promise_id": pid, "case_id": cid, "agent_id": agent, "kind": kind,
        "amount_cny": amount, "p_s": promised_s, "d_s": due_s,
        "conditional_on_review": rng.random(n) < 0.05,
    }).with_columns(pl.col("amount_cny").fill_nan(None)).select(
        "promise_id", "case_id", "agent_id", "kind", "amount_cny",
        promised_at=_dt(pl.col("p_s")), due_at=_dt(pl.col("d_s")),
        conditional_on_review="conditional_on_review")
    n_pay = int(n * pay_ratio)
    n_linked = int(n_pay * 0.85)
    target = rng.integers(0, n, n_linked)
    how = rng.choice(3, n_linked, p=[0.4, 0.35, 0.25])
    part = rng.choice([1.0, 1.0, 1.0, 0.5, 1.5], n_linked)
    linked = pl.DataFrame({
        "shop_id": shop[target], "order": oid[target], "how": how, "buyer_id": buyer[target],
        "kind": kind[target], "amount_cny": np.round(np.nan_to_num(amount[target]) * part, 1),
        "e_s": np.minimum(promised_s[target] + rng.integers(-3600, 10 * 86400, n_linked),
                          DAYS * 86400), "pid": pid[target],
    }).select("shop_id", order_id=pl.when(pl.col("how") != 2).then(pl.col("order")),  # noqa: PLR2004
              buyer_id="buyer_id", kind="kind", amount_cny="amount_cny", e_s="e_s",
              promise_id=pl.when(pl.col("how") == 0).then(pl.col("pid")))
    n_other = n_pay - n_linked
    o_shop = shop[rng.integers(0, n, n_other)] if n else np.array([], dtype=str)
    other = pl.DataFrame({
        "shop_id": o_shop, "buyer_id": np.char.add(o_shop, "_bo"),
        "kind": np.array(KINDS)[rng.integers(0, len(KINDS), n_other)],
        "amount_cny": rng.choice([5.0, 10.0, 20.0], n_other),
        "e_s": rng.integers(0, DAYS * 86400, n_other),
    }).with_columns(order_id=pl.lit(None, pl.String), promise_id=pl.lit(None, pl.String))
    fulfilments = pl.concat([linked, other], how="diagonal").with_columns(
        fulfilment_id=pl.concat_str(pl.lit(f"F{offset}_"), pl.int_range(pl.len()).cast(pl.String)),
        executed_at=_dt(pl.col("e_s")), reference=pl.lit(None, pl.String),
    ).select("fulfilment_id", "shop_id", "order_id", "buyer_id", "kind", "amount_cny",
             "executed_at", "reference", pl.col("promise_id").cast(pl.String))
    out = {"reviews": reviews, "cases": cases, "contacts": contacts, "promises": promises,
           "fulfilments": fulfilments}
    if sales_days:
        items = reviews.select("shop_id", "item_id").unique().sort("shop_id", "item_id")
        days = pl.DataFrame({"date": pl.date_range(
            T0.date(), T0.date() + timedelta(days=sales_days - 1), eager=True)})
        sales = items.join(days, how="cross")
        v = rng.integers(50, 500, sales.height)
        out["sales_daily"] = sales.with_columns(
            visitors=pl.Series(v), page_views=pl.Series(v * 2),
            review_page_views=pl.Series(v // 5), orders=pl.Series(v // 20),
        ).with_columns(gmv_cny=pl.col("orders") * 49.9).sort("shop_id", "item_id", "date")
    return out


#: The month partitions of the tables that have no shop_id (their first timestamp's month).
MONTH_OF = {"cases": "opened_at", "contacts": "contacted_at", "promises": "promised_at"}


def _write_hive(frame: pl.DataFrame, name: str, folder: Path, part: int) -> None:
    """One chunk hive-partitioned: by shop_id, or by month where the table has no shop."""
    if name in MONTH_OF:
        key, frame = "month", frame.with_columns(month=pl.col(MONTH_OF[name]).dt.strftime("%Y-%m"))
    else:
        key = "shop_id"
    for (value,), sub in frame.partition_by(key, as_dict=True, include_key=False).items():
        sub_dir = folder / f"{key}={value}"
        sub_dir.mkdir(exist_ok=True)
        sub.write_parquet(sub_dir / f"part-{part:05d}.parquet")


def agents_table() -> pl.DataFrame:
    """The platform's agents (shared by every shop)."""
    i = np.arange(N_AGENTS)
    return pl.DataFrame({"agent_id": np.char.add("A", i.astype(str)),
                         "agent_name": np.char.add("agent ", i.astype(str)),
                         "level": np.where(i % 3 == 0, "senior", "novice"),
                         "joined_on": [T0.date()] * N_AGENTS,
                         "cash_limit_cny": np.where(i % 3 == 0, 100.0, 30.0)})


def generate(out: Path, *, shops: int, promises: int, payments: int | None = None,
             reviews: int | None = None, zipf: float = 1.0, sales_days: int = 0,
             chunk_rows: int = 1_000_000, hive: bool = False, seed: int = 15) -> dict[str, int]:
    """Write the dataset to ``out`` (replaced); rows written per table."""
    rng = np.random.default_rng(seed)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    agents_table().write_parquet(out / "agents.parquet")
    counts = {"agents": N_AGENTS}
    sizes = shop_sizes(shops, promises, zipf)
    shop_ids = np.array([f"S{k:05d}" for k in range(1, shops + 1)])
    bounds = np.searchsorted(np.cumsum(sizes), np.arange(chunk_rows, promises, chunk_rows))
    starts = [0, *sorted(set((bounds + 1).tolist()) - {0, shops})]
    offset = 0
    for part, (a, b) in enumerate(zip(starts, [*starts[1:], shops], strict=True)):
        tables = chunk_tables(shop_ids[a:b], sizes[a:b], pay_ratio=(payments or promises * 1.2)
                              / promises, review_ratio=(reviews or 2 * promises) / promises,
                              sales_days=sales_days, offset=offset, rng=rng)
        offset += int(sizes[a:b].sum())
        for name, frame in tables.items():
            counts[name] = counts.get(name, 0) + frame.height
            folder = out / name
            folder.mkdir(exist_ok=True)
            if hive:
                _write_hive(frame, name, folder, part)
            else:
                frame.write_parquet(folder / f"part-{part:05d}.parquet")
        del tables
    return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--shops", type=int, default=10_000)
    ap.add_argument("--promises", type=int, default=1_000_000)
    ap.add_argument("--payments", type=int)
    ap.add_argument("--reviews", type=int)
    ap.add_argument("--zipf", type=float, default=1.0)
    ap.add_argument("--sales-days", type=int, default=0)
    ap.add_argument("--chunk-rows", type=int, default=1_000_000)
    ap.add_argument("--hive", action="store_true")
    a = ap.parse_args()
    counts = generate(a.out, shops=a.shops, promises=a.promises, payments=a.payments,
                      reviews=a.reviews, zipf=a.zipf, sales_days=a.sales_days,
                      chunk_rows=a.chunk_rows, hive=a.hive)
    print(", ".join(f"{k} {v:,}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
