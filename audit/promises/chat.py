"""Compensation offers in agents' chat messages, and whether each is tied to the review.

Why rules and not a model: the offers an audit must find are few, phrased in a small set of
ways (DOMAIN.md: shipping refunds, cash back, coupons, free shipping, discounts, gifts, exchanges,
refunds), and every finding has to be explained to the agent it names, so each detection carries
the words that triggered it. The rules live in ``chat_lexicon.json``, reviewed like code; nothing
is downloaded at run time.

How one message is read:

1. ``normalise``: full-width to half-width (NFKC), traditional to simplified (OpenCC t2s), lower
   case, no whitespace, emoji and emoticon codes ([微笑]) removed, then the lexicon's rewrites
   (pinyin dodges hao评/hp, typos 号评, slang 5r).
2. Split into clauses at punctuation. In each clause, the kind patterns are tried in lexicon
   order; a clause that refuses (不会因为评价给补偿), describes a procedure or a shop-wide policy
   (退款流程是..., 本店满68元包邮), reports a finished payment (已经给您退了) or repeats the buyer
   (您说...) offers nothing.
3. The amount of an offer is the nearest amount in its clause (prices such as 原价59 skipped),
   or a clause right after it that holds nothing but an amount (红包，十块).
4. A request to revise/remove/follow up the review anywhere in the agent's turn makes the offer
   ``conditional``, unless the turn disclaims the link (不管您改不改评价都给您退).

An agent's turn is the message plus the same agent's message right before and right after it in
the same case, each within ``SPLIT_GAP``: an offer split over two messages (您把中评改成好评 /
我给您返5元红包) is read whole and reported on the message that completes it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path

import opencc
import polars as pl

from audit.promises.amounts import AMOUNT_INLINE, AMOUNT_RE, amount_value

#: Two agent messages to the same case this close together are one turn.
SPLIT_GAP = timedelta(minutes=10)
#: Kinds whose value is the thing itself (as in audit.data.schema.NON_MONETARY_KINDS): no amount.
NON_MONETARY = frozenset({"free_shipping", "gift", "replacement"})
#: Columns of ``detect_offers``'s result, in order.
OFFER_COLUMNS: tuple[str, ...] = (
    "message_id", "kind", "amount_cny", "conditional", "evidence", "case_id", "agent_id", "sent_at",
)
_LEXICON = Path(__file__).with_name("chat_lexicon.json")
_CLAUSE = re.compile(r"[^，,。!！?？;；~…、：:\n]+")
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d\u2b00-\u2bff]|\\[[\u4e00-\u9fff]{1,4}\\]"
    "|/:[a-z]+"
)
_PRICE_BEFORE = re.compile(r"(?:价|卖|售|合计|一共|只要|原价)$")
#: A clause that is little more than an amount ("十块", "5元哈") can complete a neighbour's offer.
_BARE_SLACK = 2


@dataclass(frozen=True)
class Offer:
    """One compensation offered in one message: its kind, amount (CNY, None when unstated)."""

    kind: str
    amount_cny: float | None
    evidence: str


@dataclass(frozen=True)
class Reading:
    """What one agent message says, before its neighbours are taken into account.

    ``tie``: the words asking for a review change, if any. ``disclaimer``: words denying a link
    to the review. ``bare_amount``: an amount that stands alone in a clause with no offer word.
    """

    offers: tuple[Offer, ...]
    tie: str | None
    disclaimer: str | None
    bare_amount: float | None


@dataclass(frozen=True)
class _Rules:
    rewrites: tuple[tuple[re.Pattern[str], str], ...]
    #: (kind, ((pattern, generic), ...), needs)
    kinds: tuple[tuple[str, tuple[tuple[re.Pattern[str], bool], ...], re.Pattern[str] | None], ...]
    not_offer: tuple[re.Pattern[str], ...]
    requests: tuple[re.Pattern[str], ...]
    disclaimer: re.Pattern[str]


@cache
def _rules() -> _Rules:
    """The lexicon compiled once per process."""
    lex = json.loads(_LEXICON.read_text(encoding="utf-8"))

    def rx(pattern: str) -> re.Pattern[str]:
        return re.compile(pattern.replace("{AMOUNT}", AMOUNT_INLINE))

    kinds = tuple(
        (name,
         tuple((rx(p), False) for p in spec["patterns"])
         + tuple((rx(p), True) for p in spec.get("generic", ())),
         rx(spec["needs"]) if "needs" in spec else None)
        for name, spec in lex["kinds"].items() if not name.startswith("_")
    )
    no = lex["not_offer_clause"]
    return _Rules(
        rewrites=tuple((re.compile(a), b) for a, b in lex["rewrites"]["rules"]),
        kinds=kinds,
        not_offer=tuple(rx(no[k]) for k in ("negation", "info", "past", "reported")),
        requests=tuple(rx(p) for p in lex["tie"]["request"]),
        disclaimer=rx(lex["tie"]["disclaimer"]),
    )


def offer_kinds() -> tuple[str, ...]:
    """The kinds the lexicon can detect (the promise kinds of ``audit.data.schema.KINDS``)."""
    return tuple(name for name, _, _ in _rules().kinds)


@cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalise(text: str) -> str:
    """``text`` in the one spelling the rules are written for (see the module docstring)."""
    t = unicodedata.normalize("NFKC", text)
    t = _t2s().convert(t).lower()
    t = _EMOJI.sub("", t)
    t = re.sub(r"\s+", "", t)
    for pattern, repl in _rules().rewrites:
        t = pattern.sub(repl, t)
    return t


def read_message(text: str) -> Reading:
    """The offers, review request and disclaimer in one agent message (no neighbours)."""
    rules = _rules()
    t = normalise(text)
    clauses = [m.group() for m in _CLAUSE.finditer(t)]
    kinds_in = [_kinds_in_clause(c, rules) for c in clauses]
    matches: list[_Match] = []
    bare: float | None = None
    for i, (clause, found) in enumerate(zip(clauses, kinds_in, strict=True)):
        amounts = _amounts(clause)
        if not found:
            if bare is None and amounts and len(clause) - len(amounts[0][2]) <= _BARE_SLACK:
                bare = amounts[0][1]
            continue
        following = _amounts(clauses[i + 1]) if i + 1 < len(clauses) and not kinds_in[i + 1] else []
        for kind, span, words, generic in found:
            amount, amount_words = None, ""
            if kind not in NON_MONETARY:
                near = sorted(amounts, key=lambda a: _distance(a[0], span)) or following
                if near:
                    amount, amount_words = near[0][1], near[0][2]
            evidence = words if amount_words in words else f"{words} {amount_words}"
            matches.append(_Match(kind, amount, evidence.strip(), generic))
    tie = next((m.group() for r in rules.requests for m in [r.search(t)] if m), None)
    disclaimer = rules.disclaimer.search(t)
    return Reading(_merge(matches), tie, disclaimer.group() if disclaimer else None, bare)


@dataclass(frozen=True)
class _Match:
    kind: str
    amount_cny: float | None
    evidence: str
    generic: bool


def _merge(matches: list[_Match]) -> tuple[Offer, ...]:
    """One offer per kind; generic money words complete a named offer or become cash back.

    A kind's amount is the first one stated for it anywhere in the message (补偿是因为...,
    给您返10元 is one cash back of 10).
    """
    named = [m for m in matches if not m.generic]
    monetary = [m for m in named if m.kind not in NON_MONETARY]
    if monetary:
        extra = [m.amount_cny for m in matches if m.generic and m.amount_cny is not None]
        matches = [
            _Match(m.kind, extra.pop(0), m.evidence, m.generic)
            if m.amount_cny is None and m.kind not in NON_MONETARY and extra else m
            for m in named
        ]
    offers: dict[str, Offer] = {}
    for m in matches:
        old = offers.get(m.kind)
        if old is None:
            offers[m.kind] = Offer(m.kind, m.amount_cny, m.evidence)
        elif old.amount_cny is None and m.amount_cny is not None:
            offers[m.kind] = Offer(m.kind, m.amount_cny, f"{old.evidence}; {m.evidence}")
    return tuple(offers.values())


def _kinds_in_clause(
    clause: str, rules: _Rules
) -> list[tuple[str, tuple[int, int], str, bool]]:
    """(kind, span, words, generic) of every offer word in a clause that offers anything."""
    if any(r.search(clause) for r in rules.not_offer):
        return []
    found = []
    masked = clause
    for kind, patterns, needs in rules.kinds:
        if needs is not None and not needs.search(clause):
            continue
        for pattern, generic in patterns:
            for m in pattern.finditer(masked):
                found.append((kind, m.span(), clause[m.start():m.end()], generic))
                # Masked so that a later (broader) kind cannot claim the same words again.
                masked = masked[:m.start()] + "\0" * (m.end() - m.start()) + masked[m.end():]
    return sorted(found, key=lambda f: f[1])


def _amounts(clause: str) -> list[tuple[tuple[int, int], float, str]]:
    """(span, CNY, words) of every amount in a clause that is not a price (原价59元)."""
    return [
        (m.span(), amount_value(m), m.group())
        for m in AMOUNT_RE.finditer(clause)
        if not _PRICE_BEFORE.search(clause[:m.start()])
    ]


def _distance(a: tuple[int, int], b: tuple[int, int]) -> int:
    """Characters between two spans (0 when they overlap)."""
    return max(0, max(a[0], b[0]) - min(a[1], b[1]))


def detect_offers(messages: pl.LazyFrame, *, split_gap: timedelta = SPLIT_GAP) -> pl.LazyFrame:
    """Compensation offers in agents' messages: one row per (message, kind offered).

    Parameters
    ----------
    messages
        message_id, case_id, agent_id, sender (``agent``/``buyer``), sent_at, text, and
        optionally shop_id, buyer_id. Buyer messages are never offers (a buyer's demand is not
        the agent's promise) but they end an agent's turn. A conversation is a case; a message
        without case_id belongs to its buyer's conversation in the shop (when shop_id and
        buyer_id are given) or stands alone.
    split_gap
        Two messages of the same agent in the same case at most this far apart are one turn.

    Returns
    -------
    pl.LazyFrame
        ``OFFER_COLUMNS``: message_id, kind (a promise kind), amount_cny (null when unstated or
        the kind is not monetary), conditional (the turn asks for a review change and does not
        disclaim the link), evidence (the normalised words that triggered it, ``; ``-joined),
        then case_id, agent_id, sent_at. Rows in (sent_at, message_id, kind) order.
    """
    names = messages.collect_schema().names()
    by_buyer = (
        pl.format("{}/{}", "shop_id", "buyer_id") if {"shop_id", "buyer_id"} <= set(names)
        else pl.lit(None, pl.String)
    )
    df = messages.select(
        "message_id", "case_id", "agent_id", "sender", "sent_at", "text",
        talk=pl.when(pl.col("case_id").is_not_null()).then(pl.format("case:{}", "case_id"))
        .otherwise(pl.format("buyer:{}", by_buyer)),
    ).sort("talk", "sent_at", "message_id", nulls_last=True).collect()
    rows = df.to_dicts()
    readings = [
        read_message(r["text"] or "") if r["sender"] == "agent" else None for r in rows
    ]

    def joined(i: int, j: int) -> bool:
        a, b = rows[i], rows[j]
        return (
            readings[i] is not None and readings[j] is not None
            and a["talk"] is not None and a["talk"] == b["talk"]
            and a["agent_id"] == b["agent_id"] and b["sent_at"] - a["sent_at"] <= split_gap
        )

    out = []
    for i, r in enumerate(rows):
        own = readings[i]
        if own is None:
            continue
        prev = readings[i - 1] if i > 0 and joined(i - 1, i) else None
        nxt = readings[i + 1] if i + 1 < len(rows) and joined(i, i + 1) else None
        offers = own.offers
        turn = [x for x in (prev, own, nxt) if x is not None]
        if not offers and prev is not None and not prev.offers:
            whole = read_message((rows[i - 1]["text"] or "") + (r["text"] or ""))
            offers, turn = whole.offers, [*turn, whole]
        if not offers:
            continue
        tie = next((x.tie for x in turn if x.tie), None)
        disclaimed = any(x.disclaimer for x in turn)
        conditional = tie is not None and not disclaimed
        fill = next((x.bare_amount for x in (nxt, prev) if x is not None and not x.offers
                     and x.bare_amount is not None), None)
        for o in offers:
            amount = o.amount_cny
            if amount is None and o.kind not in NON_MONETARY:
                amount = fill
            evidence = f"{o.evidence}; {tie}" if conditional else o.evidence
            out.append({"message_id": r["message_id"], "kind": o.kind, "amount_cny": amount,
                        "conditional": conditional, "evidence": evidence,
                        "case_id": r["case_id"], "agent_id": r["agent_id"],
                        "sent_at": r["sent_at"]})
    schema = {"message_id": pl.String, "kind": pl.String, "amount_cny": pl.Float64,
              "conditional": pl.Boolean, "evidence": pl.String, "case_id": pl.String,
              "agent_id": pl.String, "sent_at": df.schema["sent_at"]}
    return pl.DataFrame(out, schema=schema).lazy().sort(
        "sent_at", "message_id", "kind").select(OFFER_COLUMNS)
