"""Tiering reviews from their own text and rating: the intake person's job, for every review.

The audit cannot take the handling log's category on trust (issue 11), so each review is tiered
from the buyer's words. Method, all polars expressions over the distinct texts (a shop's reviews
repeat: "差评", "不好", template complaints), joined back to the reviews at the end:

1. normalise (``normalise.py``), split into clauses on punctuation and contrast words; the clause
   after "但是/就是/..." weighs ``contrast_weight``;
2. Aho-Corasick, leftmost-longest, over each clause with the pattern table (``lexicon.py``):
   aspects, opinions, cues, shields and generated negated forms;
3. per clause: an aspect takes the clause's summed opinion (so "快递很慢" is a logistics complaint
   and "快递很快" logistics praise; in a comparison that falls short, "没有想象中的好", only the
   complaint side counts); a cue counts on its own (a cue about someone's behaviour counts for
   the courier when the clause names the courier and no agent); an opinion with no aspect and
   no cue in its clause is *general* praise or dissatisfaction;
4. per review: the complaint score of each tier; the tiers shown are those scoring at least
   ``MIN_SCORE``; the primary tier is fraud, else wrong_item, else buyer (they decide how a case is
   handled whatever else it says), else the highest of quality/service/logistics. With no tier:
   general dissatisfaction (or a negative rating with nothing to go on) is quality, since the
   goods are what a buyer rates; under a negative rating any general dissatisfaction, and
   praise only of the courier or the agents, are quality too; otherwise, praise or nothing
   under a neutral rating (praise of the goods under a negative one) is the novice buyer
   (DOMAIN tier 1).
"""

from __future__ import annotations

import polars as pl

from audit.tiering.lexicon import clause_breaks, pattern_table
from audit.tiering.normalise import normalise_expr

#: A tier is shown once its complaint score reaches this (one mild word with an aspect).
MIN_SCORE = 0.5

#: General dissatisfaction (no topic) makes a review a quality case once it reaches this share
#: of the review's praise: "还不错，稍有些粘腻" is rated neutral because of the reservation.
GENERAL_VS_PRAISE = 0.5

#: Order in which the primary tier is taken among complaints that score alike.
_SPECIFIC: tuple[str, ...] = ("quality", "service", "logistics")
_DECISIVE: tuple[str, ...] = ("fraud", "wrong_item", "buyer")
_COMPLAINTS: tuple[str, ...] = _DECISIVE + _SPECIFIC

OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "review_id": pl.String(),
    "tier": pl.String(),
    "tiers": pl.String(),
    "confidence": pl.Float64(),
    "evidence": pl.String(),
}


def _clauses(texts: pl.LazyFrame) -> pl.LazyFrame:
    """One row per non-empty clause: uid, ci (clause index), clause, cw (clause weight)."""
    breaks, contrast_weight = clause_breaks()
    return (
        texts.with_columns(
            clause=pl.col("norm").str.replace_many(breaks, leftmost=True).str.split("\x1f")
        )
        .with_columns(ci=pl.int_ranges(0, pl.col("clause").list.len()))
        .explode(["clause", "ci"])
        .filter(pl.col("clause").str.len_bytes() > 0)
        .with_columns(
            cw=pl.when(pl.col("clause").str.starts_with("\x02"))
            .then(pl.lit(contrast_weight))
            .otherwise(pl.lit(1.0)),
        )
        .select("uid", "ci", "clause", "cw")
    )


def _contributions(clauses: pl.LazyFrame) -> pl.LazyFrame:
    """One row per scoring match: uid, ci, tier, score (negative = complaint), evidence.

    Clause-level sums are one ``group_by`` joined back (not windows), and the matches keep
    their order in the text (a left-ordered join), so evidence reads like the review.
    """
    patterns = pattern_table()
    hits = (
        clauses.with_columns(
            term=pl.col("clause").str.extract_many(patterns["term"].to_list(), leftmost=True)
        )
        .select("uid", "ci", "cw", "term",
                k=pl.col("uid").cast(pl.UInt64) * 2**32 + pl.col("ci").cast(pl.UInt64))
        .explode("term")
        .drop_nulls("term")
        .join(patterns.lazy(), on="term", how="inner", maintain_order="left")
        .filter(pl.col("kind") != "shield")
        # Three branches read the matches; computing the Aho-Corasick pass once is most of
        # the saving.
        .cache()
    )
    is_op = pl.col("kind").is_in(["opinion", "comparative"])
    opinion = pl.col("polarity") * pl.col("weight")
    # One integer key per clause: grouping on it is cheaper than on (uid, ci), and a string
    # join per group is slow in polars, so the opinion words are gathered as a list and joined
    # as a list column.
    clause = (
        hits.group_by("k").agg(
            opinion=pl.when(is_op).then(opinion).otherwise(0.0).sum(),
            # In a comparison that falls short ("没有想象中的好") the praise word is the
            # yardstick: only the complaint side of the clause counts.
            complaint=pl.when(is_op).then(opinion.clip(upper_bound=0)).otherwise(0.0).sum(),
            comparative=(pl.col("kind") == "comparative").any(),
            has_topic=(~is_op).any(),
            uid=pl.col("uid").first(),
            ci=pl.col("ci").first(),
            cw=pl.col("cw").first(),
        )
        .with_columns(opinion=pl.when(pl.col("comparative")).then(pl.col("complaint"))
                      .otherwise(pl.col("opinion")))
        .filter(pl.col("opinion") != 0)
        .join(hits.filter(is_op).group_by("k").agg(op_words=pl.col("term")),
              on="k", how="left")
        .with_columns(pl.col("op_words").list.join("+"))
        .cache()
    )
    aspects = (
        hits.filter(pl.col("kind") == "aspect")
        .unique(["k", "tier"], keep="first", maintain_order=True)
        .join(clause.select("k", "opinion", "op_words"), on="k", how="inner",
              maintain_order="left")
        .select("uid", "ci", "tier",
                score=pl.col("opinion") * pl.col("cw"),
                evidence=pl.col("term") + "+" + pl.col("op_words"))
    )
    # A cue about how someone behaved ("态度恶劣") in a clause that names the courier and no
    # agent ("态度恶劣的快递员") is about the courier.
    aspect_tiers = hits.filter(pl.col("kind") == "aspect").group_by("k").agg(
        courier=(pl.col("tier") == "logistics").any(),
        agent=(pl.col("tier") == "service").any(),
    )
    person_cues = (
        hits.filter((pl.col("kind") == "cue") & pl.col("person") & (pl.col("polarity") != 0))
        .join(aspect_tiers, on="k", how="left", maintain_order="left")
        .with_columns(tier=pl.when(pl.col("courier") & ~pl.col("agent").fill_null(False))
                      .then(pl.lit("logistics")).otherwise(pl.col("tier")))
        .drop("courier", "agent")
    )
    cues = pl.concat([
        hits.filter((pl.col("kind") == "cue") & ~pl.col("person") & (pl.col("polarity") != 0)),
        person_cues,
    ]).select(
        "uid", "ci", "tier",
        score=pl.col("polarity") * pl.col("weight") * pl.col("cw"),
        evidence=pl.col("term"),
    )
    general = (
        clause.filter(~pl.col("has_topic"))
        .select("uid", "ci", tier=pl.lit("general"), score=pl.col("opinion") * pl.col("cw"),
                evidence=pl.col("op_words"))
    )
    return pl.concat([aspects, cues, general], how="vertical_relaxed")


def _per_text(contrib: pl.LazyFrame) -> pl.LazyFrame:
    """One row per uid: each tier's complaint score (``neg_<tier>``), praise, praise_goods.

    ``praise_goods`` is the praise not aimed at the courier or the agents. The scores are
    plain columns summed in one ``group_by`` (no per-group filtering).
    """
    neg = pl.col("score").clip(upper_bound=0).abs()
    return contrib.group_by("uid").agg(
        *[pl.when(pl.col("tier") == t).then(neg).otherwise(0.0).sum().alias(f"neg_{t}")
          for t in (*_COMPLAINTS, "general")],
        praise=pl.col("score").clip(lower_bound=0).sum(),
        # Praise of the courier or the agents is not the novice's "the goods are fine".
        praise_goods=pl.when(pl.col("tier").is_in(["logistics", "service"])).then(0.0)
        .otherwise(pl.col("score").clip(lower_bound=0)).sum(),
    )


def _decide(scored: pl.LazyFrame) -> pl.LazyFrame:
    """Primary tier, shown tiers and confidence from the per-text scores and the rating.

    Adds ``source``: which contributions are the evidence (a complaint tier, ``general`` for a
    quality case decided by general dissatisfaction, ``praise`` for the novice buyer).
    """
    neg = {t: pl.col(f"neg_{t}").fill_null(0.0) for t in (*_COMPLAINTS, "general")}
    praise = pl.col("praise").fill_null(0.0)
    top_specific = pl.max_horizontal(*[neg[t] for t in _SPECIFIC])
    primary = pl.when(neg["fraud"] >= MIN_SCORE).then(pl.lit("fraud"))
    for t in ("wrong_item", "buyer"):
        primary = primary.when(neg[t] >= MIN_SCORE).then(pl.lit(t))
    for t in _SPECIFIC:
        primary = primary.when((top_specific >= MIN_SCORE) & (neg[t] == top_specific)).then(
            pl.lit(t)
        )
    gen = neg["general"]
    is_negative = pl.col("rating") == "negative"
    # Under a negative rating the buyer has already said the goods are not fine: any general
    # dissatisfaction decides, and only praise of the goods themselves (not of the courier or
    # the agents) reads as the novice buyer. Under a neutral rating the reservation must
    # reach half the praise ("还不错，稍有些粘腻").
    by_general = (gen > 0) & ((gen >= GENERAL_VS_PRAISE * praise) | is_negative)
    primary = (
        primary.when(by_general)
        .then(pl.lit("quality"))
        .when(is_negative & (pl.col("praise_goods").fill_null(0.0) == 0))
        .then(pl.lit("quality"))
        .otherwise(pl.lit("novice"))
    )
    total = pl.sum_horizontal(*[neg[t] for t in _COMPLAINTS])
    shown = pl.concat_list(
        [pl.when(neg[t] >= MIN_SCORE).then(pl.lit(t)) for t in _COMPLAINTS]
    ).list.drop_nulls()

    def strength(x: pl.Expr) -> pl.Expr:
        return 1.0 - (-x / 1.5).exp()

    tier = pl.col("tier")
    specific_score = pl.coalesce(*[pl.when(tier == t).then(neg[t]) for t in _COMPLAINTS])
    is_specific = tier.is_in(list(_COMPLAINTS)) & (specific_score >= MIN_SCORE)
    confidence = (
        pl.when(is_specific)
        .then(0.35 + 0.6 * strength(specific_score) * specific_score
              / (total + 0.25 * praise + 0.25 * gen))
        .when(tier == "quality")
        .then(pl.when(gen > 0).then(0.2 + 0.4 * strength(gen) * gen / (gen + praise))
              .otherwise(pl.lit(0.15)))
        .when(praise > 0)
        .then((0.45 + 0.5 * strength(praise) * praise / (praise + gen))
              * pl.when(is_negative).then(0.7).otherwise(1.0))
        .otherwise(pl.lit(0.3))
    )
    source = (
        pl.when(is_specific).then(tier)
        .when(tier == "quality").then(pl.lit("general"))
        .otherwise(pl.lit("praise"))
    )
    return (
        scored.with_columns(tier=primary)
        .with_columns(
            shown=shown,
            confidence=confidence.clip(0.0, 1.0).round(3),
            source=source,
        )
        .with_columns(
            tiers=pl.when(pl.col("shown").list.len() == 0)
            .then(pl.col("tier"))
            .otherwise(
                # Primary first, then the others in the fixed tier order.
                pl.concat_list(pl.col("tier"), pl.col("shown").list.set_difference(
                    pl.concat_list(pl.col("tier"))))
                .list.join("|")
            )
        )
        .select("uid", "rating", "tier", "tiers", "confidence", "source")
    )


def _evidence(contrib: pl.LazyFrame, decided: pl.LazyFrame) -> pl.LazyFrame:
    """Per (uid, rating): the words of the contributions that decided the primary tier.

    In text order (clause, then match), each word once, space-separated.
    """
    wanted = (
        contrib.with_columns(
            source=pl.when(pl.col("score") > 0).then(pl.lit("praise")).otherwise(pl.col("tier"))
        )
        .filter(pl.col("score") != 0)
        .with_row_index("_k")
        .join(decided.select("uid", "rating", "source"), on=["uid", "source"], how="inner")
        .sort("uid", "rating", "ci", "_k")
        .unique(["uid", "rating", "evidence"], keep="first", maintain_order=True)
    )
    return wanted.group_by("uid", "rating").agg(pl.col("evidence")).with_columns(
        pl.col("evidence").list.join(" "))


def tier_reviews(reviews: pl.LazyFrame) -> pl.LazyFrame:
    """The tier of each review from its text and rating.

    One row per input row, in input order: review_id, tier (primary: novice, logistics, service,
    quality, fraud, wrong_item, buyer), tiers (every tier the text shows, ``|``-separated, primary
    first), confidence (0-1), evidence (the matched words behind the primary tier, space-separated;
    an aspect and its opinion are joined by ``+``).

    Parameters
    ----------
    reviews
        Columns review_id, rating (``positive``/``neutral``/``negative``; a review outside the
        after-sales scope is tiered as if neutral), text (nulls tier as empty text).

    Examples
    --------
    >>> import polars as pl
    >>> reviews = pl.LazyFrame({
    ...     "review_id": ["r1", "r2", "r3"],
    ...     "rating": ["negative", "neutral", "neutral"],
    ...     "text": ["快递很快，但是质量太差", "东西很好，很满意", "物流不慢，就是發錯顏色了"],
    ... })
    >>> tier_reviews(reviews).select("review_id", "tier", "tiers").collect().rows()
    [('r1', 'quality', 'quality'), ('r2', 'novice', 'novice'), ('r3', 'wrong_item', 'wrong_item')]
    """
    base = reviews.select(
        pl.col("review_id").cast(pl.String),
        pl.col("rating").cast(pl.String),
        pl.col("text").cast(pl.String).fill_null(""),
    )
    # The text work is done once per distinct text and the decision once per distinct
    # (text, rating): shops' reviews repeat ("差评", "不好", template complaints). Strings are
    # joined once, to give each row its text's integer id; everything after joins on integers.
    # maintain_order: the id must be the same in every branch of the plan that reads it.
    texts = (
        base.select("text").unique(maintain_order=True)
        .with_columns(uid=pl.int_range(pl.len(), dtype=pl.UInt32))
        .cache()
    )
    rows = base.join(texts, on="text", how="left", maintain_order="left").drop("text").cache()
    contrib = _contributions(
        _clauses(texts.select("uid", norm=normalise_expr("text", collapse=False)))
    ).collect(engine="in-memory")
    decided = _decide(
        rows.select("uid", "rating").unique().join(_per_text(contrib.lazy()), on="uid",
                                                   how="left")
    )
    decided = decided.join(_evidence(contrib.lazy(), decided), on=["uid", "rating"],
                           how="left").with_columns(pl.col("evidence").fill_null(""))
    out = rows.join(decided, on=["uid", "rating"], how="left", nulls_equal=True,
                    maintain_order="left").select(*OUTPUT_SCHEMA)
    return out.cast(OUTPUT_SCHEMA)
