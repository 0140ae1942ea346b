"""Draw the second hand-labelled tiering sample (issue 11): the design, seeded, reproducible.

Pool: the *negative* reviews of the online_shopping_10_cats product kinds the lexicon was not
written on (书籍, 手机, 水果, 热水器, 蒙牛, 计算机; 酒店 is not a parcel and stays apart), minus
the rows of the first sample (``tiering_heldout_labels.csv``) and minus repeated texts (first
kept). Two strata, because logistics and service complaints are rare (8 and 2 of the
first 130):

- ``random``: a simple random sample of the pool (seed 2026);
- ``mention``: a simple random sample of the pool's reviews that *mention* delivery, the shop or
  its people at all (any of ``MENTION``: a broad topic list written for this design, wider than
  the lexicon and saying nothing of polarity, e.g. 收到, 店, 京东, 退, 换). Inside this stratum a
  review naming the courier is over-represented, so its per-tier recall flatters words of the
  list; the ``random`` stratum alone is the unbiased estimate and is reported apart.

Each drawn row is split into ``dev`` (errors may be read) and ``held`` (scored once at the end)
by the first byte of SHA-256 of its row number: fixed before anything was scored. The first
sample's rows get the same split. Labels (``tiering_labels_2.csv``: row, product kind, stratum,
split, gold tiers; ``x`` = not a shop review) were written by reading each text, following the
tiers of DOMAIN.md and docs/tiering.md, before the tierer was run on any of them.
The script prints the drawn texts for labelling (to the terminal only; never into the repository).

Run: ``python3 -m uv run python benchmarks/tiering_sample.py [--print]``.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import polars as pl

KINDS = ("书籍", "手机", "水果", "热水器", "蒙牛", "计算机")
MENTION = ("快递", "物流", "送", "发货", "到货", "收到", "包装", "配送", "邮", "客服", "卖家",
           "商家", "售后", "服务", "态度", "退", "换", "店", "回复", "京东", "当当", "卓越",
           "亚马逊")
N_RANDOM = 160
N_MENTION = 140
SEED = 2026


def split_of(row: str) -> str:
    """``dev`` or ``held`` from the row number's hash (independent of text and label)."""
    return "dev" if hashlib.sha256(row.encode()).digest()[0] % 2 == 0 else "held"


def draw(data: Path, first: pl.DataFrame) -> pl.DataFrame:
    s = pl.read_csv(data / "online_shopping_10_cats" / "online_shopping_10_cats.csv",
                    infer_schema=False).with_row_index("row").with_columns(
        pl.col("row").cast(pl.String))
    pool = (s.filter(pl.col("cat").is_in(KINDS) & (pl.col("label") == "0")
                     & ~pl.col("row").is_in(first["row"].cast(pl.String).to_list()))
            .unique("review", keep="first", maintain_order=True))
    rnd = pool.sample(N_RANDOM, seed=SEED, shuffle=True).with_columns(stratum=pl.lit("random"))
    rest = pool.filter(~pl.col("row").is_in(rnd["row"].to_list())
                       & pl.col("review").str.contains_any(list(MENTION)))
    men = rest.sample(N_MENTION, seed=SEED, shuffle=True).with_columns(
        stratum=pl.lit("mention"))
    print(f"pool: {pool.height} negative reviews, {rest.height} more that mention the topics")
    return pl.concat([rnd, men]).with_columns(
        split=pl.col("row").map_elements(split_of, return_dtype=pl.String))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path,
                    default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    ap.add_argument("--print", action="store_true", help="print the texts for labelling")
    args = ap.parse_args()
    first = pl.read_csv(Path(__file__).with_name("tiering_heldout_labels.csv"),
                        infer_schema=False)
    d = draw(args.data, first)
    print(d.group_by("stratum", "split").len().sort("stratum", "split"))
    if args.print:
        for r in d.iter_rows(named=True):
            print(f"{r['row']}\t{r['cat']}\t{r['stratum']}\t{r['review']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
