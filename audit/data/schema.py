"""The canonical data model: one entry per table, its columns, dtypes and allowed values.

Every other module (readers, contracts, demo generator, analyses) takes column names and
dtypes from here, so a table is described once. Allowed value sets are ``Literal`` aliases and
the tuples derived from them, so error messages and contracts can be built from the same source.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import polars as pl

Rating = Literal["positive", "neutral", "negative"]
Level = Literal["novice", "senior"]
Category = Literal["novice", "logistics", "service", "quality", "fraud", "wrong_item", "buyer"]
Outcome = Literal["revised", "removed", "explained", "refused", "unreachable", "open"]
Channel = Literal["shop_im", "private_im", "sms", "phone"]
Sender = Literal["agent", "buyer"]
Kind = Literal[
    "shipping_refund",
    "cash_back",
    "coupon",
    "free_shipping",
    "discount",
    "gift",
    "replacement",
    "refund",
]
TableName = Literal[
    "agents", "reviews", "cases", "contacts", "promises", "fulfilments", "sales_daily", "messages"
]

RATINGS: tuple[str, ...] = get_args(Rating)
LEVELS: tuple[str, ...] = get_args(Level)
CATEGORIES: tuple[str, ...] = get_args(Category)
OUTCOMES: tuple[str, ...] = get_args(Outcome)
CHANNELS: tuple[str, ...] = get_args(Channel)
SENDERS: tuple[str, ...] = get_args(Sender)
KINDS: tuple[str, ...] = get_args(Kind)
TABLES: tuple[str, ...] = get_args(TableName)

#: Kinds whose value is the thing itself, not an amount: any matching fulfilment keeps them.
NON_MONETARY_KINDS: tuple[str, ...] = ("free_shipping", "gift", "replacement")
#: Tiers 3-5 of the intake protocol (DOMAIN.md): reserved for senior agents.
SENIOR_ONLY_CATEGORIES: tuple[str, ...] = ("service", "quality", "fraud")

DATETIME = pl.Datetime("us")


@dataclass(frozen=True)
class Column:
    """One canonical column: its name, dtype, whether it may be empty, its allowed values."""

    name: str
    dtype: pl.DataType
    required: bool = True
    allowed: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Table:
    """One canonical table: its columns in export order and its key (unique together)."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    grain: str

    @property
    def schema(self) -> dict[str, pl.DataType]:
        """Column name -> polars dtype, in canonical order."""
        return {c.name: c.dtype for c in self.columns}

    @property
    def required(self) -> tuple[str, ...]:
        """Columns that must be present and non-empty in every row."""
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        for c in self.columns:
            if c.name == name:
                return c
        msg = f"table `{self.name}` has no column `{name}`"
        raise KeyError(msg)


def _c(name: str, dtype: pl.DataType, *, required: bool = True, allowed=None) -> Column:
    return Column(name, dtype, required, allowed)


S, F, N, B, D, T = pl.String(), pl.Float64(), pl.Int64(), pl.Boolean(), pl.Date(), DATETIME

AGENTS = Table(
    "agents",
    (
        _c("agent_id", S),
        _c("agent_name", S),
        _c("level", S, allowed=LEVELS),
        _c("joined_on", D),
        _c("cash_limit_cny", F),
    ),
    key=("agent_id",),
    grain="one row per after-sales agent",
)
REVIEWS = Table(
    "reviews",
    (
        _c("review_id", S),
        _c("shop_id", S),
        _c("order_id", S),
        _c("item_id", S),
        _c("buyer_id", S),
        _c("rating", S, allowed=RATINGS),
        _c("review_text", S, required=False),
        _c("reviewed_at", T),
        _c("explanation_text", S, required=False),
        _c("explained_at", T, required=False),
        _c("revised_rating", S, required=False, allowed=RATINGS),
        _c("revised_at", T, required=False),
        _c("removed_at", T, required=False),
    ),
    key=("review_id",),
    grain="one row per review as the platform shows it now",
)
CASES = Table(
    "cases",
    (
        _c("case_id", S),
        _c("review_id", S),
        _c("agent_id", S),
        _c("category", S, allowed=CATEGORIES),
        _c("opened_at", T),
        _c("closed_at", T, required=False),
        _c("outcome", S, allowed=OUTCOMES),
    ),
    key=("case_id",),
    grain="one row per handling-log case (one neutral/negative review worked by one agent)",
)
CONTACTS = Table(
    "contacts",
    (
        _c("contact_id", S),
        _c("case_id", S),
        _c("agent_id", S),
        _c("channel", S, allowed=CHANNELS),
        _c("contacted_at", T),
        _c("reached", B),
    ),
    key=("contact_id",),
    grain="one row per contact attempt",
)
PROMISES = Table(
    "promises",
    (
        _c("promise_id", S),
        _c("case_id", S),
        _c("agent_id", S),
        _c("kind", S, allowed=KINDS),
        _c("amount_cny", F, required=False),
        _c("promised_at", T),
        _c("due_at", T),
        _c("conditional_on_review", B),
    ),
    key=("promise_id",),
    grain="one row per compensation promised to a buyer",
)
FULFILMENTS = Table(
    "fulfilments",
    (
        _c("fulfilment_id", S),
        _c("shop_id", S),
        _c("order_id", S, required=False),
        _c("buyer_id", S),
        _c("kind", S, allowed=KINDS),
        _c("amount_cny", F, required=False),
        _c("executed_at", T),
        _c("reference", S, required=False),
        _c("promise_id", S, required=False),
    ),
    key=("fulfilment_id",),
    grain="one row per payment, coupon, shipment or exchange actually executed",
)
SALES_DAILY = Table(
    "sales_daily",
    (
        _c("shop_id", S),
        _c("item_id", S),
        _c("date", D),
        _c("visitors", N),
        _c("page_views", N),
        _c("review_page_views", N),
        _c("orders", N),
        _c("gmv_cny", F),
    ),
    key=("shop_id", "item_id", "date"),
    grain="one row per item per day",
)

MESSAGES = Table(
    "messages",
    (
        _c("message_id", S),
        _c("shop_id", S),
        _c("buyer_id", S),
        # Required for the agent's messages only (the contract's row condition): a buyer's
        # message may come before any agent picked the conversation up.
        _c("agent_id", S, required=False),
        _c("sender", S, allowed=SENDERS),
        _c("sent_at", T),
        _c("text", S, required=False),  # pictures and stickers export as empty text
        _c("case_id", S, required=False),  # blank: linked to the buyer's case open then
    ),
    key=("message_id",),
    grain="one row per chat message between the shop and a buyer (optional table)",
)

TABLE_SPECS: dict[str, Table] = {
    t.name: t
    for t in (AGENTS, REVIEWS, CASES, CONTACTS, PROMISES, FULFILMENTS, SALES_DAILY, MESSAGES)
}


def table(name: str) -> Table:
    """The canonical description of table ``name``; raises with the known names otherwise."""
    try:
        return TABLE_SPECS[name]
    except KeyError:
        msg = f"unknown table `{name}`; expected one of: {', '.join(TABLES)}"
        raise KeyError(msg) from None


def empty_frame(name: str) -> pl.DataFrame:
    """An empty frame with the canonical schema of table ``name`` (for absent optional tables)."""
    return pl.DataFrame(schema=table(name).schema)
