"""Benchmark: audit.tiering.tier_reviews on 1M seeded reviews.

Run: ``python3 -m uv run python benchmarks/bench_tiering.py [--reviews 1000000] [--seed 11]``.

The text is generated, seeded, from varied phrases (complaints of every tier, praise, courier
praise, negated forms, traditional characters, full-width letters, emoji, pinyin dodges, filler)
joined by random punctuation, 1-5 clauses each, with numbers ("等了7天", "买了3件") so that most
texts are distinct, as real reviews are: the per-distinct-text work is the real cost. The data is
generated in a subprocess-free first step and then tiered; wall seconds of tiering alone, CPU
seconds (all threads) and the peak resident memory while tiering (``VmHWM``, reset after
generating; it includes the 1M input rows) are printed.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np
import polars as pl

from audit.tiering import pattern_table, tier_reviews

PHRASES = [
    # logistics
    "快递太慢了", "物流很慢", "等了{n}天才到", "kd巨慢", "快遞很慢", "盒子压坏了", "外包装破损",
    "快递员态度很差", "不送货上门", "让我自己去取", "还没收到货", "物流信息不更新",
    # service
    "客服态度很差", "客服不理人", "问了半天没人回", "发货太慢", "催了{n}次才发货",
    "说好的赠品没有送",
    "不给退款", "刚买就降价了", "客服態度極差", "售后太差",
    # quality
    "质量太差", "洗了一次就掉色", "穿了{n}次就起球", "有异味", "用了{n}天就坏了", "屏幕有问题",
    "自动关机", "是假货", "味道很难闻", "尺码偏小", "和图片不一样", "質量不好", "效果一般",
    "有点干", "不是很好用", "果子烂了{n}个", "不新鲜", "做工粗糙", "ＫＤ很慢但质量更差",
    # wrong item, buyer, fraud
    "发错颜色了", "我买的黑色发成了白色", "尺码发错了", "少发了{n}件",
    "是我自己拍错尺码了", "不怪卖家", "心情不好", "给我转{n}元就删差评", "不然天天追加差评",
    # praise, courier praise, negation
    "东西很好", "很满意", "质量不错", "快递很快", "物流给力", "第二天就到了", "包装完好",
    "没有破损", "快递不慢", "一点也不差", "颜色很正", "客服很耐心", "好评👍", "很喜欢😍",
    "物超所值", "会回购的", "穿着很舒服",
    # filler
    "买了{n}件", "给家人买的", "第{n}次购买了", "双十一买的", "还没用", "先给个中评", "就这样吧",
    "不知道效果怎么样", "😡", "😭", "哈哈", "",
]
SEPS = ["，", "。", "！", ",", " ", "！！！", "~", "，但是", "，就是", "；"]


def make_reviews(n: int, seed: int) -> pl.DataFrame:
    """``n`` seeded reviews: review_id, rating (neutral/negative), text."""
    rng = np.random.default_rng(seed)
    k = rng.integers(1, 6, size=n)
    total = int(k.sum())
    phrase = rng.integers(0, len(PHRASES), size=total)
    sep = rng.integers(0, len(SEPS), size=total)
    num = rng.integers(1, 30, size=total)
    owner = np.repeat(np.arange(n), k)
    parts = (
        pl.DataFrame({"owner": owner, "p": phrase, "s": sep, "n": num})
        .with_columns(
            text=pl.col("p").replace_strict(list(range(len(PHRASES))), PHRASES)
            .str.replace("{n}", pl.col("n").cast(pl.String), literal=True)
            + pl.col("s").replace_strict(list(range(len(SEPS))), SEPS)
        )
        .group_by("owner", maintain_order=True)
        .agg(pl.col("text").str.join(""))
    )
    return pl.DataFrame({
        "review_id": pl.Series([f"R{i:07d}" for i in range(n)]),
        "rating": np.where(rng.random(n) < 0.6, "negative", "neutral"),
        "text": parts["text"],
    })


def peak_rss_gb() -> float:
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024**2
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reviews", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--engine", default="auto", choices=["auto", "in-memory", "streaming"])
    args = ap.parse_args()
    t0 = time.perf_counter()
    reviews = make_reviews(args.reviews, args.seed)
    gen = time.perf_counter() - t0
    distinct = reviews["text"].n_unique()
    print(f"generated {reviews.height:,} reviews ({distinct:,} distinct texts) in {gen:.1f} s; "
          f"peak so far {peak_rss_gb():.2f} GB")
    # Warm the caches (OpenCC table, pattern table) apart: they are built once per process.
    w0 = time.perf_counter()
    tier_reviews(reviews.head(10).lazy()).collect()
    print(f"first-call setup (OpenCC table, {pattern_table().height:,} patterns): "
          f"{time.perf_counter() - w0:.2f} s")
    # Reset the peak (Linux: writing 5 to clear_refs resets VmHWM), so the number printed
    # below is the tiering's own peak, input included, not the generator's.
    clear = Path("/proc/self/clear_refs")
    if clear.exists():
        clear.write_text("5")
    c0 = time.process_time()
    t1 = time.perf_counter()
    out = tier_reviews(reviews.lazy()).collect(engine=args.engine)
    wall = time.perf_counter() - t1
    cpu = time.process_time() - c0
    assert out.height == reviews.height
    print(f"tiered {out.height:,} reviews in {wall:.2f} s wall ({cpu:.1f} CPU-s), "
          f"peak memory {peak_rss_gb():.2f} GB")
    print(out["tier"].value_counts(sort=True))


if __name__ == "__main__":
    main()
