"""Evaluate the text tiering (audit.tiering) on the real review sets in ../shared/data.

Two sets, neither copied into the repository (their licences are unknown; see SOURCE.txt):

- zhijiang_2019 (cosmetics, hand-labelled aspects mapped to tiers by its SOURCE.txt): gold is
  novice for a review with no complaint at all, else the set of its complaint tiers; reviews
  whose only complaint is 价格/整体/其他 (no tier in the mapping) are left out and counted. The
  set has no rating, so every review is tiered as ``neutral``. A prediction is right when the
  primary tier is one of the gold tiers. Per-tier precision/recall/F1, macro-F1 over
  novice/logistics/service/quality, and the confusion table (gold row = the predicted tier when it
  is among the gold tiers, else the first gold tier).
- online_shopping_10_cats (ten product kinds, positive/negative only): a proxy, novice vs
  complaint. Positive text is tiered as if rated ``neutral`` (gold: novice, the buyer who says it
  is fine); negative text as ``negative`` (gold: any complaint tier). The lexicon was written
  looking at 衣服/平板/洗发水 (dev); the other product kinds (held out, never looked at while
  tuning; 酒店 is reported apart: a hotel is not a parcel) are the measure.

- Hand labels of those held-out product kinds (书籍, 手机, 水果, 热水器, 蒙牛, 计算机), tiered by
  hand *before* any prediction on them was seen; row numbers and tiers only, the text stays in
  ../shared (``x`` marks a text that is not a shop review: left out).
  ``tiering_heldout_labels.csv``: the first sample (148, seed 11, 120 negative, 28 positive).
  ``tiering_labels_2.csv``: 300 negative reviews in two strata, ``random`` and ``mention``
  (design in ``tiering_sample.py``). Every row of both is ``dev`` or ``held`` by a hash of its
  row number: errors are read on the dev half (``--show-errors``), the held-back half is the
  4-tier measure of record, scored once; ``--no-held`` leaves it out while tuning. Each set is
  reported with a percentile bootstrap 95% interval of macro-F1 (reviews resampled).

Run: ``python3 -m uv run python benchmarks/eval_tiering.py [--data ../shared/data] [--no-held]
[--show-errors] [--baseline]``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import polars as pl

from audit.tiering import tier_reviews

MACRO = ("novice", "logistics", "service", "quality")
ALL = ("novice", "logistics", "service", "quality", "fraud", "wrong_item", "buyer")
DEV_CATS = ("衣服", "平板", "洗发水")
APART = ("酒店",)


def default_data() -> Path:
    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


def zhijiang_frame(data: Path) -> tuple[pl.DataFrame, int]:
    """Gold per review: ``gold`` (list of tiers) and the count left out."""
    z = pl.read_csv(data / "zhijiang_2019" / "zhijiang_tiers.csv", infer_schema=False)
    z = z.with_columns(tiers=pl.col("tiers").fill_null(""))
    left_out = z.filter((pl.col("tiers") == "") & (pl.col("has_complaint") == "1")).height
    z = z.filter(~((pl.col("tiers") == "") & (pl.col("has_complaint") == "1"))).with_columns(
        gold=pl.when(pl.col("tiers") == "")
        .then(pl.lit(["novice"]))
        .otherwise(pl.col("tiers").str.split("|")),
        rating=pl.lit("neutral"),
    )
    return z.select("review_id", "rating", "text", "gold"), left_out


def keyword_baseline(reviews: pl.LazyFrame) -> pl.LazyFrame:
    """The keyword-only baseline: the same lexicon's complaint words, counted.

    Complaint cues count for their tier and negative opinion words for quality; no aspects,
    no negation, no clauses, no praise: the tier with most matched words (ties in the order
    fraud, wrong_item, buyer, quality, service, logistics) is the primary; no match is novice
    under a neutral rating and quality under a negative one. Same normalisation.
    """
    from audit.tiering import normalise_expr, pattern_table

    words = pattern_table().filter(
        ~pl.col("negated") & pl.col("kind").is_in(["cue", "opinion"]) & (pl.col("polarity") < 0)
    ).select("term", tier=pl.col("tier").fill_null("quality"))
    order = ["fraud", "wrong_item", "buyer", "quality", "service", "logistics"]
    hits = (
        reviews.with_columns(normalise_expr("text"))
        .with_columns(term=pl.col("text").str.extract_many(words["term"].to_list(),
                                                           leftmost=True))
        .explode("term")
        .join(words.lazy(), on="term", how="left")
        .group_by("review_id", "rating", "tier").len()
        .with_columns(rank=pl.col("tier").replace_strict(order, list(range(len(order))),
                                                         default=99))
        .sort("review_id", "len", "rank", descending=[False, True, False])
        .group_by("review_id", "rating").agg(pl.col("tier").drop_nulls().first())
    )
    return reviews.select("review_id").join(hits, on="review_id", how="left",
                                            maintain_order="left").select(
        "review_id",
        tier=pl.coalesce("tier", pl.when(pl.col("rating") == "negative").then(pl.lit("quality"))
                         .otherwise(pl.lit("novice"))),
        tiers=pl.lit(""),
    )


#: Which tierer ``score`` uses (``--baseline`` swaps in the keyword baseline).
TIERER = tier_reviews


def score(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` (review_id, rating, text, gold list) with pred, tiers_pred and gold_one."""
    pred = TIERER(frame.lazy().select("review_id", "rating", "text")).collect()
    return frame.with_columns(pred=pred["tier"], tiers_pred=pred["tiers"]).with_columns(
        gold_one=pl.when(pl.col("gold").list.contains(pl.col("pred")))
        .then(pl.col("pred"))
        .otherwise(pl.col("gold").list.first())
    )


def per_tier(scored: pl.DataFrame, tiers: tuple[str, ...] = ALL) -> pl.DataFrame:
    rows = []
    for t in tiers:
        tp = scored.filter((pl.col("pred") == t) & (pl.col("gold_one") == t)).height
        fp = scored.filter((pl.col("pred") == t) & (pl.col("gold_one") != t)).height
        fn = scored.filter((pl.col("pred") != t) & (pl.col("gold_one") == t)).height
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        rows.append({"tier": t, "support": tp + fn, "predicted": tp + fp,
                     "precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3)})
    return pl.DataFrame(rows)


def macro_f1(table: pl.DataFrame, tiers: tuple[str, ...] = MACRO) -> float:
    return float(table.filter(pl.col("tier").is_in(tiers))["f1"].mean())


def confusion(scored: pl.DataFrame, labels: tuple[str, ...] = ALL) -> pl.DataFrame:
    """Rows gold, columns predicted."""
    counts = scored.group_by("gold_one", "pred").len()
    grid = pl.DataFrame({"gold": list(labels)})
    for p in labels:
        col = counts.filter(pl.col("pred") == p).select(
            pl.col("gold_one").alias("gold"), pl.col("len").alias(p)
        )
        grid = grid.join(col, on="gold", how="left")
    return grid.fill_null(0)


LABELS = ("tiering_heldout_labels.csv", "tiering_labels_2.csv")


def hand_labels() -> pl.DataFrame:
    """Both hand-labelled samples: row, cat, sample, stratum, split, gold (``x`` kept)."""
    frames = []
    for i, name in enumerate(LABELS):
        lab = pl.read_csv(Path(__file__).with_name(name), infer_schema=False)
        if "stratum" not in lab.columns:
            lab = lab.with_columns(stratum=pl.lit("first"))
        frames.append(lab.select("row", "cat", "stratum", "split", "gold",
                                 sample=pl.lit("first" if i == 0 else "second")))
    return pl.concat(frames)


def hand_left_out() -> int:
    return hand_labels().filter(pl.col("gold") == "x").height


def hand_frame(shopping: pl.DataFrame) -> pl.DataFrame:
    """The hand-labelled reviews with their text (from ../shared) and gold tier lists."""
    kept = hand_labels().filter(pl.col("gold") != "x")
    return (shopping.join(kept.select(pl.col("row").alias("review_id"), "sample", "stratum",
                                      "split", pl.col("gold").alias("hand")),
                          on="review_id", how="inner")
            .with_columns(gold=pl.col("hand").str.split("|")).drop("hand"))


def bootstrap_macro(scored: pl.DataFrame, reps: int = 2000, seed: int = 11,
                    tiers: tuple[str, ...] = MACRO) -> tuple[float, float]:
    """Percentile 95% interval of macro-F1, resampling reviews with replacement (seeded)."""
    rng = np.random.default_rng(seed)
    pred = scored["pred"].to_numpy()
    gold = scored["gold_one"].to_numpy()
    w = rng.multinomial(len(pred), np.full(len(pred), 1 / len(pred)), size=reps)
    f1s = []
    for t in tiers:
        tp = w @ ((pred == t) & (gold == t))
        fp = w @ ((pred == t) & (gold != t))
        fn = w @ ((pred != t) & (gold == t))
        with np.errstate(divide="ignore", invalid="ignore"):
            f1s.append(np.nan_to_num(2 * tp / (2 * tp + fp + fn)))
    macro = np.mean(f1s, axis=0)
    return float(np.quantile(macro, 0.025)), float(np.quantile(macro, 0.975))


def show_errors(scored: pl.DataFrame) -> None:
    """The misread reviews of a dev part, with text, for error analysis (never the held part)."""
    wrong = scored.filter(pl.col("pred") != pl.col("gold_one"))
    tiered = TIERER(wrong.lazy().select("review_id", "rating", "text")).collect()
    for r, ev in zip(wrong.iter_rows(named=True), tiered["evidence"], strict=True):
        print(f"{r['review_id']}\tgold={'|'.join(r['gold'])}\tpred={r['pred']} [{ev}]\t"
              f"{r['text'][:200]}")


def report(name: str, scored: pl.DataFrame) -> None:
    """Per-tier table, macro-F1 with its bootstrap interval, accuracy and confusion."""
    table = per_tier(scored)
    lo, hi = bootstrap_macro(scored)
    print(f"== {name}: {scored.height} reviews")
    print(table)
    print(f"macro-F1 (novice, logistics, service, quality): {macro_f1(table):.3f} "
          f"[95% bootstrap {lo:.3f}-{hi:.3f}]; "
          f"accuracy {(scored['pred'] == scored['gold_one']).mean():.3f}")
    print(confusion(scored))


def shopping_frame(data: Path) -> pl.DataFrame:
    s = pl.read_csv(data / "online_shopping_10_cats" / "online_shopping_10_cats.csv",
                    infer_schema=False)
    return s.with_row_index("review_id").with_columns(
        pl.col("review_id").cast(pl.String),
        text=pl.col("review"),
        rating=pl.when(pl.col("label") == "1").then(pl.lit("neutral")).otherwise(
            pl.lit("negative")),
        gold=pl.when(pl.col("label") == "1").then(pl.lit("novice")).otherwise(
            pl.lit("complaint")),
    ).select("review_id", "cat", "rating", "text", "gold")


def binary(scored: pl.DataFrame) -> pl.DataFrame:
    """Novice vs complaint: precision/recall/F1 of each side and their mean."""
    s = scored.with_columns(
        side=pl.when(pl.col("pred") == "novice").then(pl.lit("novice")).otherwise(
            pl.lit("complaint"))
    )
    rows = []
    for t in ("novice", "complaint"):
        tp = s.filter((pl.col("side") == t) & (pl.col("gold") == t)).height
        fp = s.filter((pl.col("side") == t) & (pl.col("gold") != t)).height
        fn = s.filter((pl.col("side") != t) & (pl.col("gold") == t)).height
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        rows.append({"side": t, "support": tp + fn, "precision": round(p, 3),
                     "recall": round(r, 3), "f1": round(2 * p * r / (p + r) if p + r else 0, 3)})
    return pl.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=default_data())
    ap.add_argument("--baseline", action="store_true",
                    help="score the keyword-only baseline instead of audit.tiering")
    ap.add_argument("--show-errors", action="store_true",
                    help="print the misread reviews of the dev parts (to the terminal)")
    ap.add_argument("--no-held", action="store_true",
                    help="leave out the held-back half of the hand labels (while tuning)")
    args = ap.parse_args(argv)
    global TIERER  # noqa: PLW0603 - a script switch, read by score()
    if args.baseline:
        TIERER = keyword_baseline
    if not (args.data / "zhijiang_2019").is_dir():
        print(f"no data at {args.data}", file=sys.stderr)
        return 2
    pl.Config.set_tbl_rows(40)
    pl.Config.set_tbl_hide_dataframe_shape(True)
    pl.Config.set_tbl_hide_column_data_types(True)

    z, left_out = zhijiang_frame(args.data)
    zs = score(z)
    held = pl.col("review_id").cast(pl.Int64) % 5 == 0
    print(f"zhijiang_2019: cosmetics, {zs.height} reviews ({left_out} with an untiered complaint "
          "left out), all rated neutral")
    zparts = [("dev (review_id % 5 != 0)", zs.filter(~held))]
    if not args.no_held:
        zparts += [("held out (review_id % 5 == 0, never tuned on)", zs.filter(held)),
                   ("all", zs)]
    for name, part in zparts:
        report(f"zhijiang_2019 {name}", part)

    s = shopping_frame(args.data)
    ss = score(s.with_columns(gold=pl.concat_list("gold"))).with_columns(
        gold=pl.col("gold").list.first())
    for name, part in (
        ("dev (衣服/平板/洗发水)", ss.filter(pl.col("cat").is_in(DEV_CATS))),
        ("held out (other products)", ss.filter(~pl.col("cat").is_in(DEV_CATS + APART))),
        ("酒店 (hotels, apart)", ss.filter(pl.col("cat").is_in(APART))),
    ):
        b = binary(part)
        print(f"== online_shopping_10_cats {name}: {part.height} reviews, novice vs complaint")
        print(b)
        print(f"macro-F1 (novice, complaint): {b['f1'].mean():.3f}")
        neg = part.filter(pl.col("gold") == "complaint")
        print("tier mix of negative reviews:",
              dict(neg.group_by("pred").len().sort("len", descending=True).iter_rows()))
    hand = hand_frame(s)
    print(f"== hand-labelled unseen product kinds: {hand.height} reviews "
          f"({hand_left_out()} not shop reviews, left out)")
    print(hand.group_by("sample", "stratum", "split").len().sort("sample", "stratum", "split"))
    parts = [("dev half (errors read while tuning)", hand.filter(pl.col("split") == "dev"))]
    if not args.no_held:
        parts.append(("first sample (130, seed 11; half of it is in the held-back half)",
                      hand.filter(pl.col("sample") == "first")))
        held_half = hand.filter(pl.col("split") == "held")
        parts += [("held-back half (scored once, never tuned on)", held_half),
                  ("held-back half, random strata only (first sample + random)",
                   held_half.filter(pl.col("stratum") != "mention"))]
    for name, part in parts:
        scored = score(part)
        report(f"hand-labelled, {name}", scored)
        if args.show_errors and name.startswith("dev"):
            show_errors(scored)
    if args.show_errors:
        show_errors(zs.filter(~held))
    held = ss.filter(~pl.col("cat").is_in(DEV_CATS + APART))
    print("== held out, per product kind (novice vs complaint macro-F1)")
    for cat in sorted(held["cat"].unique()):
        print(f"  {cat}: {binary(held.filter(pl.col('cat') == cat))['f1'].mean():.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
