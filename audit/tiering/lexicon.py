"""The lexicon as one pattern table: every literal the matcher looks for and what it means.

``lexicon.json`` holds aspects, opinions, cues and shields in reviewed groups (each with its
reason); ``negation.json`` holds negators and fillers. This module expands them into one frame,
one row per pattern, with the negated forms generated (negator + filler + term, polarity flipped,
weight scaled). The matcher runs leftmost-longest, so ``没有破损`` (negated, praise) wins over
``破损`` (a logistics complaint) and ``好几天`` (a shield) over ``好`` (praise). Where a
generated form equals a listed term, the listed term wins: a reviewer wrote it on purpose.
"""

from __future__ import annotations

from functools import cache
from typing import Literal, get_args

import polars as pl

from audit.tiering.normalise import load_json

#: The tiers a review can get: DOMAIN.md's five intake tiers plus the two other causes the seed
#: texts name (wrong item sent, buyer-side causes).
Tier = Literal["novice", "logistics", "service", "quality", "fraud", "wrong_item", "buyer"]
TIERS: tuple[str, ...] = get_args(Tier)

#: Kinds of pattern (see ``lexicon.json`` meta).
Kind = Literal["aspect", "opinion", "comparative", "cue", "shield"]

#: Cues that say *who* caused the problem rather than how bad it is: negated ("没有发错") they
#: mean no complaint at all, not praise.
_NO_PRAISE_WHEN_NEGATED: frozenset[str] = frozenset({"fraud", "wrong_item", "buyer"})

#: Only short terms get negated forms: a negated four-character complaint ("没有与图片不符") is
#: rare in real text, and every generated pattern makes the matcher's automaton bigger.
_MAX_NEGATED_LEN = 3

#: Multi-character negators already carry their degree ("一点也不"), so no filler follows them.
_FILLER_NEGATORS: frozenset[str] = frozenset({"不", "没", "没有", "并不", "并没有", "不是", "都不"})

PATTERN_SCHEMA: dict[str, pl.DataType] = {
    "term": pl.String(),
    "kind": pl.String(),
    "tier": pl.String(),
    "polarity": pl.Float64(),
    "weight": pl.Float64(),
    "negated": pl.Boolean(),
    "person": pl.Boolean(),
}


@cache
def pattern_table() -> pl.DataFrame:
    """One row per literal pattern, sorted longest term first.

    Columns: term, kind, tier (null for opinions and shields), polarity (-1 complaint, +1
    praise, 0 none), weight, negated, person (the cue describes how someone behaved: it counts
    for the courier when the clause names the courier and no agent).

    Examples
    --------
    >>> t = pattern_table()
    >>> t.filter(pl.col("term").is_in(["破损", "没有破损"])).sort("term")["polarity"].to_list()
    [1.0, -1.0]
    """
    lex = load_json("lexicon.json")
    neg = load_json("negation.json")
    factor = float(neg["mild_after_negation"]["factor"])
    listed: dict[str, tuple] = {}
    for group in lex["groups"]:
        kind = group["kind"]
        for term in group["terms"]:
            row = (term, kind, group.get("tier"), float(group.get("polarity", 0)),
                   float(group["weight"]), False, bool(group.get("person", False)))
            listed.setdefault(term, row)
    generated: dict[str, tuple] = {}
    negators = [n["term"] for n in neg["negators"]]
    fillers = [f["term"] for f in neg["fillers"]]
    for term, kind, tier, polarity, weight, _, person in listed.values():
        if kind not in ("opinion", "cue") or polarity == 0 or len(term) > _MAX_NEGATED_LEN:
            continue
        flipped = 0.0 if tier in _NO_PRAISE_WHEN_NEGATED else -polarity
        for n in negators:
            for f in fillers if n in _FILLER_NEGATORS else [""]:
                generated.setdefault(n + f + term, (n + f + term, kind, tier, flipped,
                                                    weight * factor, True, person))
    rows = list(listed.values()) + [r for t, r in generated.items() if t not in listed]
    return (
        pl.DataFrame(rows, schema=PATTERN_SCHEMA, orient="row")
        .with_columns(_len=pl.col("term").str.len_chars())
        .sort(["_len", "term"], descending=[True, False])
        .drop("_len")
    )


@cache
def clause_breaks() -> tuple[dict[str, str], float]:
    """Clause-break replacement map and the weight of a clause after a contrast word.

    Clause breaks become the unit separator (U+001F); contrast words become U+001F U+0002 so
    the clause after "but" is marked.
    """
    spec = load_json("normalise.json")["clause_breaks"]
    mapping = {p: "\x1f" for p in spec["punctuation"]}
    mapping.update({c: "\x1f\x02" for c in spec["contrast"]})
    # Punctuation after normalisation is half-width too (see normalise.py).
    mapping.update({p: "\x1f" for p in [",", ".", "!", "?", ";", ":", "~"]})
    # Leftmost-longest: these win over the contrast word they start with and stay unchanged.
    mapping.update({w: w for w in spec["not_breaks"]["terms"]})
    return mapping, float(spec["contrast_weight"])
