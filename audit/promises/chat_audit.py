"""What the chat says against what the log recorded: ``chat_offers.csv`` (issue 13).

An agent agrees compensation in the shop IM and fills in the handling log by hand afterwards,
so the log misses what was forgotten (DOMAIN.md, seed 004: a promise nobody tracks is a promise
nobody keeps) and what the agent would rather not write down (an offer tied to changing the
review, unlawful under SAMR Order No. 91 art. 9(5) and 16 CFR 465.4). This module holds the
chat's offers (``chat.detect_offers``) against the log's promises:

1. **Case linking** (:func:`link_cases`): a message without ``case_id`` belongs to the buyer's
   case in that shop that was open when it was sent (opened at or before, not yet closed or
   closed at or after). Of several candidates, the one the message's agent handles comes first
   (the export names the agent, the log names each case's agent: an agent writes about their own
   case), then an open one, then the one opened last. When none was open, the buyer's case
   opened last before the message counts: the conversation goes on after the log closes a case
   (in the demo 12 % of promises are logged after their case was closed). A message sent before
   any of the buyer's cases stays unlinked: it is still read, and its offers can only be
   ``not_logged``.
2. **Logged or not** (:func:`chat_offers`): an offer is logged when its case has a promise of
   the same kind promised from ``LOGGED_BEFORE`` before the message to ``LOGGED_WITHIN`` after
   it (the log is written after the chat, usually the same day; a clock a little off must not
   make a logged offer "never logged"). A repeated offer of the same kind in the case matches
   the same promise: saying it twice is one promise.
3. **Finding**: ``not_logged`` when no promise matches (whatever the words: there is no log
   entry to compare with); otherwise ``conditional_declared`` when the offer is tied to the
   review and a matching promise is ticked ``conditional_on_review``,
   ``conditional_not_declared`` when it is tied and none is, ``logged`` when it is not tied.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import polars as pl

from audit.core.masking import mask_buyers
from audit.promises.chat import detect_offers

if TYPE_CHECKING:
    from datetime import datetime

#: A logged promise may carry a time up to this long before the chat message that made it.
LOGGED_BEFORE = timedelta(hours=1)
#: ... and up to this long after it.
LOGGED_WITHIN = timedelta(days=7)
FINDINGS: tuple[str, ...] = (
    "logged", "not_logged", "conditional_not_declared", "conditional_declared",
)
#: Columns of ``chat_offers.csv``, exactly as issue 13 names them.
CHAT_OFFER_COLUMNS: tuple[str, ...] = (
    "message_id", "case_id", "agent_id", "sent_at", "kind", "amount_cny", "conditional",
    "evidence", "finding",
)
CHAT_OFFER_SCHEMA: dict[str, pl.DataType] = {
    "message_id": pl.String(), "case_id": pl.String(), "agent_id": pl.String(),
    "sent_at": pl.Datetime("us"), "kind": pl.String(), "amount_cny": pl.Float64(),
    "conditional": pl.Boolean(), "evidence": pl.String(), "finding": pl.String(),
}


def link_cases(messages: pl.LazyFrame, cases: pl.LazyFrame, reviews: pl.LazyFrame
               ) -> pl.LazyFrame:
    """``messages`` with an empty ``case_id`` filled with the buyer's case (module docstring).

    The buyer's cases in the shop are the cases of their reviews (``reviews.shop_id`` and
    ``buyer_id``). Rows keep their order and columns; a given ``case_id`` is never changed.
    """
    buyer_cases = cases.join(reviews.select("review_id", "shop_id", "buyer_id"),
                             on="review_id").select(
        "shop_id", "buyer_id", pl.col("case_id").alias("linked"),
        pl.col("agent_id").alias("case_agent"), "opened_at", "closed_at")
    blank = messages.filter(pl.col("case_id").is_null()).select("message_id", "shop_id",
                                                                 "buyer_id", "agent_id",
                                                                 "sent_at")
    open_then = pl.col("closed_at").is_null() | (pl.col("closed_at") >= pl.col("sent_at"))
    linked = (
        blank.join(buyer_cases, on=["shop_id", "buyer_id"])
        .filter(pl.col("opened_at") <= pl.col("sent_at"))
        # the best candidate last: the agent's own case, open then, opened last
        .sort(pl.col("case_agent").eq_missing(pl.col("agent_id")), open_then, "opened_at",
              "linked")
        .group_by("message_id").agg(pl.col("linked").last())
    )
    return (messages.join(linked, on="message_id", how="left", maintain_order="left")
            .with_columns(pl.coalesce("case_id", "linked").alias("case_id")).drop("linked"))


def chat_offers(messages: pl.LazyFrame, cases: pl.LazyFrame, reviews: pl.LazyFrame,
                promises: pl.LazyFrame, *, as_of: datetime) -> pl.LazyFrame:
    """Every offer in the agents' messages up to ``as_of``, with its finding (module docstring).

    Returns
    -------
    pl.LazyFrame
        ``CHAT_OFFER_COLUMNS`` then shop_id, buyer_id (masked) and order_id (of the case's
        review; the chase list shows whom to pay), one row per (message, kind offered), in
        (sent_at, message_id, kind) order.
    """
    msgs = link_cases(messages.filter(pl.col("sent_at") <= as_of), cases, reviews)
    offers = detect_offers(msgs).join(
        msgs.select("message_id", "shop_id", "buyer_id"), on="message_id", how="left")
    matched = (
        offers.select("message_id", "kind", "case_id", "sent_at")
        .join(promises.select("case_id", "kind", "promised_at", "conditional_on_review"),
              on=["case_id", "kind"])
        .filter(pl.col("promised_at").is_between(pl.col("sent_at") - LOGGED_BEFORE,
                                                 pl.col("sent_at") + LOGGED_WITHIN))
        .group_by("message_id", "kind")
        .agg(declared=pl.col("conditional_on_review").any())
    )
    finding = (
        pl.when(pl.col("declared").is_null()).then(pl.lit("not_logged"))
        .when(~pl.col("conditional")).then(pl.lit("logged"))
        .when(pl.col("declared")).then(pl.lit("conditional_declared"))
        .otherwise(pl.lit("conditional_not_declared"))
    )
    orders = cases.join(reviews.select("review_id", "order_id"), on="review_id").select(
        "case_id", "order_id")
    out = (offers.join(matched, on=["message_id", "kind"], how="left")
           .join(orders, on="case_id", how="left")
           .with_columns(finding.alias("finding"))
           .select(*CHAT_OFFER_COLUMNS, "shop_id", "buyer_id", "order_id")
           .sort("sent_at", "message_id", "kind"))
    return mask_buyers(out)
