"""Trial: does a small supervised model beat the lexicon on the dev half? (issue 11)

A char 1-3-gram TF-IDF + logistic regression (scikit-learn) trained only on text that ships
with the package: the demo's review phrases (``audit/demo/text.py``, each labelled with the
category it is written for) and the lexicon's own terms (a complaint cue for its tier, a
negative opinion for quality, praise for novice). Scored on the *dev* half of the hand labels
only (never the held-back half), against the lexicon, and as a blend where the model decides
only the lexicon's low-confidence reviews (confidence < 0.35). The model would ship only if it
beat the lexicon there; it does not (docs/tiering.md, "A supervised model?").

Run: ``python3 -m uv run python benchmarks/tiering_model_trial.py``.
"""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import polars as pl
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from audit.demo import text as demo_text
from audit.tiering import normalise_expr, tier_reviews

sys.path.insert(0, str(Path(__file__).parent))
import eval_tiering as ev  # noqa: E402

LOW_CONFIDENCE = 0.35


def training_rows() -> tuple[list[str], list[str]]:
    """(texts, tiers) from the shipped demo phrases and lexicon terms."""
    rows = [(cat, p.format(n=7, p="东西", m=200))
            for cat, phrases in demo_text._REVIEW.items() for p in phrases]
    lex = json.loads(resources.files("audit.tiering").joinpath("lexicon.json").read_text("utf-8"))
    for g in lex["groups"]:
        if g["kind"] == "cue":
            rows += [(g["tier"] if g["polarity"] < 0 else "novice", t) for t in g["terms"]]
        elif g["kind"] in ("opinion", "comparative"):
            rows += [("quality" if g["polarity"] < 0 else "novice", t) for t in g["terms"]]
    return [t for _, t in rows], [c for c, _ in rows]


def with_pred(scored: pl.DataFrame, pred: np.ndarray) -> pl.DataFrame:
    return scored.with_columns(pred=pl.Series(pred)).with_columns(
        gold_one=pl.when(pl.col("gold").list.contains(pl.col("pred"))).then(pl.col("pred"))
        .otherwise(pl.col("gold").list.first()))


def main() -> int:
    texts, tiers = training_rows()
    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
    model = LogisticRegression(max_iter=2000, C=4.0, class_weight="balanced")
    model.fit(vec.fit_transform(texts), tiers)
    hand = ev.hand_frame(ev.shopping_frame(ev.default_data())).filter(pl.col("split") == "dev")
    lexicon = ev.score(hand)
    norm = hand.select(normalise_expr("text"))["text"].to_list()
    pred = model.predict(vec.transform(norm))
    conf = tier_reviews(hand.lazy().select("review_id", "rating", "text")).collect()["confidence"]
    blend = np.where(conf.to_numpy() < LOW_CONFIDENCE, pred, lexicon["pred"].to_numpy())
    print(f"trained on {len(texts)} shipped texts; dev half: {hand.height} reviews")
    for name, scored in (("lexicon", lexicon), ("model", with_pred(lexicon, pred)),
                         ("blend (model on low-confidence rows)", with_pred(lexicon, blend))):
        lo, hi = ev.bootstrap_macro(scored)
        print(f"{name}: macro-F1 {ev.macro_f1(ev.per_tier(scored)):.3f} [{lo:.3f}-{hi:.3f}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
