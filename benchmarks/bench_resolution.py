"""Benchmark: the resolution analysis on 10M cases and 30M contacts (issue 4).

Usage: ``uv run python benchmarks/bench_resolution.py [--cases 10000000] [--contacts 30000000]``

Step 1 (a subprocess, so its memory is not counted) writes seeded Parquet files in the canonical
layout to ``benchmarks/_data/resolution/`` (gitignored; other sizes, e.g. ``--cases 1000000
--contacts 3000000`` for a quick iteration, go to ``resolution-<cases>-<contacts>/``): one
review per case, all reviews in the cohort month (the heaviest case: every row is in every
group-by), ~2 reviews per buyer, 400 agents, 20 shops, contacts spread over each case's first
five days, 2% of them by a second agent. Step 2 (another subprocess) scans those files lazily, runs
:func:`audit.resolution.analyse_resolution` and collects every output frame with
``pl.collect_all``; it reports wall seconds and the peak RSS of that process
(``resource.getrusage``), which includes reading the Parquet files.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl

DATA = Path(__file__).resolve().parent / "_data" / "resolution"
DEFAULT_CASES, DEFAULT_CONTACTS = 10_000_000, 30_000_000
AS_OF = datetime(2026, 11, 30, 23, 59, 59, 999999)


def _ids(prefix: str, values: np.ndarray, width: int) -> pl.Series:
    return pl.select(
        pl.lit(prefix) + pl.lit(pl.Series(values)).cast(pl.String).str.zfill(width)
    ).to_series()


def _ts(base: str, secs: np.ndarray) -> pl.Series:
    return pl.Series((np.datetime64(base) + secs.astype("timedelta64[s]")).astype(
        "datetime64[us]"))


def data_dir(n_cases: int, n_contacts: int) -> Path:
    """Where the files of one size live, so a small iteration run keeps the 10M files."""
    if (n_cases, n_contacts) == (DEFAULT_CASES, DEFAULT_CONTACTS):
        return DATA
    return DATA.with_name(f"resolution-{n_cases}-{n_contacts}")


def generate(n_cases: int, n_contacts: int, seed: int = 7) -> None:
    """Write reviews, cases, contacts, agents as Parquet (skipped when already there)."""
    out = data_dir(n_cases, n_contacts)
    stamp = out / "stamp.json"
    want = {"cases": n_cases, "contacts": n_contacts, "seed": seed}
    if stamp.is_file() and json.loads(stamp.read_text()) == want:
        return
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n_agents, n_shops = 400, 20
    idx = np.arange(n_cases)
    rev_s = rng.integers(0, 31 * 86400, n_cases)
    reviewed = _ts("2026-10-01T00:00:00", rev_s)
    fate = rng.random(n_cases)
    revised_s = rev_s + rng.integers(3600, 40 * 86400, n_cases)
    removed_s = rev_s + rng.integers(3600, 35 * 86400, n_cases)
    explained = rng.random(n_cases) < 0.3
    texts = pl.Series(["亲，非常抱歉给您带来不便，本店支持七天无理由退换货。",
                       "谢谢反馈，我们会改进。", "亲" * 520])
    text_pick = rng.choice(3, n_cases, p=[0.6, 0.39, 0.01])
    reviews = pl.DataFrame({
        "review_id": _ids("R", idx, 9),
        "shop_id": _ids("S", rng.integers(0, n_shops, n_cases), 2),
        "order_id": _ids("O", idx, 10),
        "item_id": _ids("I", rng.integers(0, 5000, n_cases), 5),
        "buyer_id": _ids("tb_", rng.integers(0, n_cases // 2, n_cases), 9),
        "rating": pl.Series(rng.choice(["neutral", "negative"], n_cases)),
        "review_text": pl.Series([None] * n_cases, dtype=pl.String),
        "reviewed_at": reviewed,
        "explanation_text": texts.gather(text_pick),
        "explained_at": _ts("2026-10-01T00:00:00",
                            rev_s + rng.integers(3600, 35 * 86400, n_cases)),
        "revised_rating": pl.Series(["positive"] * 1).gather(np.zeros(n_cases, dtype=np.int64)),
        "revised_at": _ts("2026-10-01T00:00:00", revised_s),
        "removed_at": _ts("2026-10-01T00:00:00", removed_s),
    }).with_columns(
        explanation_text=pl.when(pl.lit(pl.Series(explained))).then("explanation_text"),
        revised_rating=pl.when(pl.lit(pl.Series(fate)) < 0.35).then("revised_rating"),
    ).with_columns(
        explained_at=pl.when(pl.col("explanation_text").is_not_null()).then("explained_at"),
        revised_at=pl.when(pl.col("revised_rating").is_not_null()).then("revised_at"),
        removed_at=pl.when(pl.lit(pl.Series(fate)).is_between(0.35, 0.43)).then("removed_at"),
    )
    reviews.write_parquet(out / "reviews.parquet")
    case_agent = rng.integers(0, n_agents, n_cases)
    opened_s = rev_s + rng.exponential(3600, n_cases).astype(np.int64)
    cases = pl.DataFrame({
        "case_id": _ids("C", idx, 9),
        "review_id": reviews["review_id"],
        "agent_id": _ids("A", case_agent, 3),
        "category": pl.Series(rng.choice(["novice", "logistics", "service", "quality", "fraud",
                                          "wrong_item", "buyer"], n_cases,
                                         p=[0.08, 0.3, 0.15, 0.2, 0.03, 0.1, 0.14])),
        "opened_at": _ts("2026-10-01T00:00:00", opened_s),
        "closed_at": _ts("2026-10-01T00:00:00", opened_s + rng.integers(3600, 20 * 86400,
                                                                         n_cases)),
        "outcome": pl.Series(rng.choice(["revised", "removed", "explained", "refused",
                                         "unreachable", "open"], n_cases)),
    })
    cases.write_parquet(out / "cases.parquet")
    del reviews, cases
    which = np.sort(rng.integers(0, n_cases, n_contacts))
    other = rng.random(n_contacts) < 0.02
    contact_agent = np.where(other, rng.integers(0, n_agents, n_contacts), case_agent[which])
    contacts = pl.DataFrame({
        "contact_id": _ids("K", np.arange(n_contacts), 10),
        "case_id": _ids("C", which, 9),
        "agent_id": _ids("A", contact_agent, 3),
        "channel": pl.Series(rng.choice(["shop_im", "private_im", "sms", "phone"], n_contacts,
                                        p=[0.6, 0.2, 0.1, 0.1])),
        "contacted_at": _ts("2026-10-01T00:00:00",
                            opened_s[which] + rng.integers(0, 5 * 86400, n_contacts)),
        "reached": pl.Series(rng.random(n_contacts) < 0.5),
    })
    contacts.write_parquet(out / "contacts.parquet")
    del contacts
    pl.DataFrame({
        "agent_id": _ids("A", np.arange(n_agents), 3),
        "agent_name": _ids("agent ", np.arange(n_agents), 3),
        "level": pl.Series(rng.choice(["novice", "senior"], n_agents)),
        "joined_on": pl.Series([date(2025, 1, 1)] * n_agents),
        "cash_limit_cny": pl.Series([20.0] * n_agents),
    }).write_parquet(out / "agents.parquet")
    stamp.write_text(json.dumps(want))


def run(n_cases: int, n_contacts: int) -> dict[str, object]:
    """Scan the files, analyse the cohort month, collect every output; time and peak RSS."""
    from audit.resolution.analysis import analyse_resolution, collect_outputs

    src = data_dir(n_cases, n_contacts)
    started = time.perf_counter()
    t = {n: pl.scan_parquet(src / f"{n}.parquet")
         for n in ("reviews", "cases", "contacts", "agents")}
    audit = analyse_resolution(t["reviews"], t["cases"], t["contacts"], t["agents"],
                               month_start=date(2026, 10, 1), month_end=date(2026, 10, 31),
                               as_of=AS_OF)
    fields = ["by_agent", "by_category", "by_agent_category", "breaches", "unverified",
              "workload", "backlog"]
    frames = collect_outputs(audit, fields)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": round(seconds, 1), "peak_rss_mb": round(peak_mb),
            "rows": {k: v.height for k, v in frames.items()},
            "threads": pl.thread_pool_size()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=DEFAULT_CASES)
    parser.add_argument("--contacts", type=int, default=DEFAULT_CONTACTS)
    parser.add_argument("--step", choices=["all", "generate", "run"], default="all")
    args = parser.parse_args()
    if args.step == "generate":
        generate(args.cases, args.contacts)
        return
    if args.step == "run":
        print(json.dumps(run(args.cases, args.contacts)))
        return
    me = [sys.executable, __file__, "--cases", str(args.cases), "--contacts", str(args.contacts)]
    t0 = time.perf_counter()
    subprocess.run([*me, "--step", "generate"], check=True)
    print(f"data ready in {time.perf_counter() - t0:.0f} s: {args.cases:,} cases, "
          f"{args.contacts:,} contacts")
    out = subprocess.run([*me, "--step", "run"], check=True, capture_output=True, text=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
