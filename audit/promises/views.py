"""What a manager reads from the promise audit: each number computed once, here.

The index card, the promises page, the Excel list, the CSVs and the CLI all take their numbers
from :class:`PromiseViews` (built by :func:`promise_views`), so one quantity has one value:

- **broken** counts promises past due with nothing delivered; **partial** those past due with
  part of the money paid; **broken or partial** (``broken_or_partial``) is their sum, the
  promises to chase. The card and the page say which one they show.
- **broken rate** is broken-or-partial over promises due (every status but pending); it is
  undefined (None, shown "—") when nothing is due yet, never 0.
- **the promises to chase** (:func:`chase_list`): every broken or partly kept promise as of the
  audit date, of any month (a debt does not expire with the month), and every offer made in
  chat that the log never recorded (status ``chat_not_logged``, "promised in chat, never
  logged": nobody tracks it, so nobody keeps it), buyers masked, money to the fen;
  :func:`chase_by_agent` sums it per agent. Its row count is ``to_chase`` and its money
  ``to_chase_cny`` in the headline.
- **chat offers** (issue 13, :mod:`audit.promises.chat_audit`): only when a chat export is
  given (``chat_checked``); ``chat_offers`` is ``chat_offers.csv``, ``chat_by_agent`` counts
  each finding per agent, the headline's ``chat_*`` numbers are None without a chat export.

Functions take the audit (and the agents table for names) and return small LazyFrames;
:func:`promise_views` collects them all in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import polars as pl

from audit.core.dates import in_month as day_in_month
from audit.core.masking import mask_buyers
from audit.promises.analysis import AGEING_BUCKETS, FLAGS, STATUSES, PromiseAudit
from audit.promises.behaviour import EVIDENCE_COLUMNS, conditional_evidence
from audit.promises.chat_audit import CHAT_OFFER_COLUMNS, CHAT_OFFER_SCHEMA, FINDINGS

if TYPE_CHECKING:
    from datetime import datetime

#: Statuses of a promise still owed after its due date.
CHASE: tuple[str, ...] = ("broken", "partial")
#: The chase list's status of an offer made in chat that the log never recorded.
CHAT_NOT_LOGGED = "chat_not_logged"
#: Chat findings that tie compensation to the review (the Excel list and the page section).
CHAT_CONDITIONAL: tuple[str, ...] = ("conditional_not_declared", "conditional_declared")

#: Columns of the promises-to-chase list (Excel, ``promises_to_chase.csv``), in order.
CHASE_COLUMNS: tuple[str, ...] = (
    "agent_id", "agent_name", "promise_id", "case_id", "shop_id", "order_id", "buyer_id", "kind",
    "status", "promised_cny", "covered_cny", "owed_cny", "promised_at", "due_at", "days_overdue",
    "ageing", "flags",
)
#: Columns of the per-agent summary of that list.
CHASE_BY_AGENT_COLUMNS: tuple[str, ...] = (
    "agent_id", "agent_name", "promises", "owed_cny", "max_days_overdue",
)


#: Columns of ``conditional_evidence.csv`` and of the Excel sheets (issue 13): the agent, then
#: ``behaviour.EVIDENCE_COLUMNS`` (counts, shares with their Wilson 95% bounds, verdict, reason).
CONDITIONAL_COLUMNS: tuple[str, ...] = ("agent_id", "agent_name", *EVIDENCE_COLUMNS)
#: The same agents as a manager's list (page and pack workbook): the counts behind the
#: verdict; the intervals and the one-line reason stay in ``conditional_evidence.csv``.
CONDITIONAL_LIST_COLUMNS: tuple[str, ...] = (
    "agent_id", "agent_name", "promises_due", "declared_conditional", "changed_paid",
    "paid_after_change", "unchanged", "kept_when_unchanged", "verdict",
)
#: The chat offers tied to the review as a manager's list (page and pack workbook).
CHAT_LIST_COLUMNS: tuple[str, ...] = (
    "agent_id", "case_id", "message_id", "sent_at", "kind", "amount_cny", "evidence", "finding",
)


def conditional_lists(views: PromiseViews) -> dict[str, pl.DataFrame]:
    """The page's and workbook's lists of compensation tied to the review (issue 13).

    ``conditional_found``: agents whose behaviour reads ``conditional_in_effect`` and who never
    ticked ``conditional_on_review``; ``conditional_declared``: agents who ticked it at least
    once, listed apart whatever their verdict; with a chat export, ``chat_conditional``: the
    offers tied to the review in chat, those the log calls unconditional first.
    """
    ev = views.conditional_evidence
    declared = pl.col("declared_conditional") > 0
    out = {
        "conditional_found": ev.filter(~declared
                                       & (pl.col("verdict") == "conditional_in_effect")),
        "conditional_declared": ev.filter(declared),
    }
    out = {k: df.select(CONDITIONAL_LIST_COLUMNS) for k, df in out.items()}
    if views.chat_checked:
        out["chat_conditional"] = (
            views.chat_offers.filter(pl.col("finding").is_in(CHAT_CONDITIONAL))
            .sort(pl.col("finding") != "conditional_not_declared", "agent_id", "sent_at",
                  "message_id", "kind")
            .select(CHAT_LIST_COLUMNS))
    return out


def conditional_by_agent(audit: PromiseAudit, agents: pl.LazyFrame) -> pl.LazyFrame:
    """Per agent with promises due: the evidence that compensation depends on the review.

    ``behaviour.conditional_evidence`` over the audit's promises (which carry the order of
    payment and review change); ``declared_conditional`` > 0 marks the agents who ticked
    ``conditional_on_review`` in the log, listed apart from those found by behaviour alone.
    """
    return conditional_evidence(audit.promises, agents).select(CONDITIONAL_COLUMNS)


def conditional_by_shop(audit: PromiseAudit) -> pl.LazyFrame:
    """The same evidence per shop (shop_id, then ``behaviour.EVIDENCE_COLUMNS``)."""
    return conditional_evidence(audit.promises, by="shop_id")


def _fen(column: str) -> pl.Expr:
    """Money to the fen: sums of floats (0.1 + 0.2) never reach a manager as 0.30000000000004."""
    return pl.col(column).round(2)


def status_counts() -> list[pl.Expr]:
    """The promise counts, one definition for the headline and every breakdown.

    promises, due (every status but pending), one count per status, broken_or_partial,
    broken_rate (broken_or_partial / due, null when nothing is due), owed_cny, conditional,
    over_authority.
    """
    st = pl.col("status")
    due = (st != "pending").sum()
    bad = st.is_in(CHASE).sum()
    flags = pl.col("flags").str.split(";")
    return [
        pl.len().alias("promises"),
        due.alias("due"),
        *[(st == s).sum().alias(s) for s in STATUSES],
        bad.alias("broken_or_partial"),
        pl.when(due > 0).then(bad / due).alias("broken_rate"),
        pl.col("owed_cny").sum().round(2).alias("owed_cny"),
        flags.list.contains("conditional_on_review").sum().alias("conditional"),
        flags.list.contains("over_authority").sum().alias("over_authority"),
    ]


def by_agent(audit: PromiseAudit, agents: pl.LazyFrame) -> pl.LazyFrame:
    """One row per agent with promises: :func:`status_counts`. Worst broken rate first."""
    return (
        audit.promises.group_by("agent_id").agg(status_counts())
        .join(agents.select("agent_id", "agent_name", "level"), on="agent_id", how="left")
        .select("agent_id", "agent_name", "level", pl.exclude("agent_id", "agent_name", "level"))
        .sort(["broken_rate", "agent_id"], descending=[True, False], nulls_last=True)
    )


def by_kind(audit: PromiseAudit) -> pl.LazyFrame:
    """One row per kind of compensation: :func:`status_counts`. Worst first."""
    return (
        audit.promises.group_by("kind").agg(status_counts())
        .sort(["broken_rate", "kind"], descending=[True, False], nulls_last=True)
    )


def ageing(audit: PromiseAudit) -> pl.LazyFrame:
    """Broken and partial promises per ageing bucket (every bucket listed, in order)."""
    buckets = pl.LazyFrame({"ageing": list(AGEING_BUCKETS), "order": range(len(AGEING_BUCKETS))})
    got = audit.promises.filter(pl.col("status").is_in(CHASE)).group_by("ageing").agg(
        broken=(pl.col("status") == "broken").sum(),
        partial=(pl.col("status") == "partial").sum(),
        owed_cny=pl.col("owed_cny").sum().round(2),
    )
    return (
        buckets.join(got, on="ageing", how="left")
        .with_columns(pl.col("broken", "partial").fill_null(0), pl.col("owed_cny").fill_null(0.0))
        .sort("order").drop("order")
    )


def flag_counts(audit: PromiseAudit) -> pl.LazyFrame:
    """One row per flag: promises flagged and the amount promised on them."""
    return pl.concat([
        audit.promises.filter(pl.col("flags").str.split(";").list.contains(flag)).select(
            flag=pl.lit(flag), promises=pl.len(),
            promised_cny=pl.col("promised_cny").sum().fill_null(0.0).round(2),
        )
        for flag in FLAGS
    ])


def money_out_without_promise(audit: PromiseAudit) -> pl.LazyFrame:
    """Duplicate and unpromised payments per shop and kind: count and amount."""
    return (
        audit.payments.filter(pl.col("finding") != "matched")
        .group_by("finding", "shop_id", "kind")
        .agg(payments=pl.len(), amount_cny=pl.col("amount_cny").sum().fill_null(0.0).round(2))
        .sort("finding", "amount_cny", "shop_id", "kind", descending=[False, True, False, False])
    )


def chase_list(audit: PromiseAudit, agents: pl.LazyFrame,
               chat: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """The promises to chase now (broken or partial), by agent, most overdue first.

    One row per promise, ``CHASE_COLUMNS``; buyers masked; ``owed_cny`` is null for a
    non-monetary kind (the thing itself is owed, not money). With ``chat``
    (:func:`audit.promises.chat_audit.chat_offers`, buyers already masked), each ``not_logged``
    offer joins as status ``chat_not_logged``: no promise id, due date or days overdue (the log
    never set one), promised at the message's time, the amount said in chat owed in full.
    """
    columns = [c for c in CHASE_COLUMNS if c != "agent_name"]
    rows = mask_buyers(
        audit.promises.filter(pl.col("status").is_in(CHASE))
        .with_columns(_fen("promised_cny"), _fen("covered_cny"), _fen("owed_cny"))
        .select(columns))
    if chat is not None:
        money = pl.col("amount_cny").round(2)
        rows = pl.concat([rows, chat.filter(pl.col("finding") == "not_logged").select(
            "agent_id", pl.lit(None, pl.String).alias("promise_id"), "case_id", "shop_id",
            "order_id", "buyer_id", "kind", pl.lit(CHAT_NOT_LOGGED).alias("status"),
            money.alias("promised_cny"), pl.lit(None, pl.Float64).alias("covered_cny"),
            money.alias("owed_cny"), pl.col("sent_at").alias("promised_at"),
            pl.lit(None, pl.Datetime("us")).alias("due_at"),
            pl.lit(None, pl.Int64).alias("days_overdue"),
            pl.lit(None, pl.String).alias("ageing"), pl.lit("").alias("flags"),
        )], how="vertical_relaxed")
    return (
        rows.join(agents.select("agent_id", "agent_name"), on="agent_id", how="left")
        .select(CHASE_COLUMNS)
        .sort(["agent_id", "days_overdue", "promise_id", "promised_at", "case_id", "kind"],
              descending=[False, True, False, False, False, False], nulls_last=True)
    )


def chat_by_agent(chat: pl.LazyFrame, agents: pl.LazyFrame) -> pl.LazyFrame:
    """Per agent with offers in chat: offers, one count per finding, the not-logged money.

    Agents with conditional offers the log calls unconditional first, then the most not logged.
    """
    return (
        chat.group_by("agent_id").agg(
            offers=pl.len(),
            **{f: (pl.col("finding") == f).sum() for f in FINDINGS},
            not_logged_cny=pl.col("amount_cny").filter(pl.col("finding") == "not_logged")
            .sum().round(2),
        )
        .join(agents.select("agent_id", "agent_name"), on="agent_id", how="left")
        .select("agent_id", "agent_name", "offers", *FINDINGS, "not_logged_cny")
        .sort(["conditional_not_declared", "not_logged", "agent_id"],
              descending=[True, True, False])
    )


def chat_numbers(chat: pl.DataFrame | None) -> dict[str, float | int | None]:
    """The headline's chat numbers: offers, one count per finding, money not logged.

    All None without a chat export (not checked is not zero).
    """
    keys = ("chat_offers", *(f"chat_{f}" for f in FINDINGS), "chat_not_logged_cny")
    if chat is None:
        return dict.fromkeys(keys)
    counts = [chat.height, *((chat["finding"] == f).sum() for f in FINDINGS)]
    money = chat.filter(pl.col("finding") == "not_logged")["amount_cny"].sum() or 0.0
    return dict(zip(keys, [*map(int, counts), round(float(money), 2)], strict=True))


def chase_by_agent(chase: pl.LazyFrame) -> pl.LazyFrame:
    """Per agent with something to chase: promises, money owed, longest days overdue."""
    return (
        chase.group_by("agent_id", "agent_name")
        .agg(promises=pl.len(), owed_cny=pl.col("owed_cny").sum().round(2),
             max_days_overdue=pl.col("days_overdue").max())
        .sort(["owed_cny", "agent_id"], descending=[True, False])
        .select(CHASE_BY_AGENT_COLUMNS)
    )


def top_overdue(chase: pl.DataFrame, *, n: int = 20) -> pl.DataFrame:
    """The ``n`` most overdue rows of the chase list (oldest first, then most owed)."""
    return chase.sort(["days_overdue", "owed_cny", "promise_id"], descending=[True, True, False],
                      nulls_last=True).head(n)


#: Columns of the chase list shown on the promises page (the Excel list has them all).
CHASE_PAGE_COLUMNS: tuple[str, ...] = (
    "agent_name", "promise_id", "kind", "status", "promised_cny", "owed_cny", "due_date",
    "days_overdue", "flags",
)


def chase_page(chase: pl.DataFrame, *, n: int = 20) -> pl.DataFrame:
    """The page's cut of :func:`top_overdue`: fewer columns, the due day without the time."""
    return top_overdue(chase, n=n).with_columns(due_date=pl.col("due_at").dt.date()).select(
        CHASE_PAGE_COLUMNS)


def chase_for_action(chase: pl.DataFrame) -> pl.DataFrame:
    """The chase list in the order to work it: most money owed first, then longest overdue.

    A non-monetary promise (a gift, a replacement: no amount) comes after the money owed, and
    among those the longest overdue first; ``promise_id`` breaks ties so the order is stable.
    """
    return chase.sort(["owed_cny", "days_overdue", "promise_id"], descending=[True, True, False],
                      nulls_last=True)


def in_month(audit: PromiseAudit, month: str) -> PromiseAudit:
    """Restrict to ``month`` (YYYY-MM): promises made and payments executed in that month.

    Statuses stay those of the full audit (a promise made on the 30th and paid on the 2nd of
    the next month is kept), only the rows are restricted.
    """
    return PromiseAudit(promises=audit.promises.filter(day_in_month("promised_at", month)),
                        payments=audit.payments.filter(day_in_month("executed_at", month)))


def _payment_counts(payments: pl.LazyFrame) -> pl.LazyFrame:
    def money(finding: str) -> pl.Expr:
        return pl.col("amount_cny").filter(pl.col("finding") == finding).sum().round(2)

    return payments.select(
        unpromised=(pl.col("finding") == "unpromised").sum(), unpromised_cny=money("unpromised"),
        duplicates=(pl.col("finding") == "duplicate").sum(), duplicate_cny=money("duplicate"),
    )


def promise_headline(audit: PromiseAudit) -> dict[str, float | int | None]:
    """The audit's headline numbers as plain values (:func:`status_counts` and the payments).

    Keys: promises, due, kept, kept_late, partial, broken, pending, broken_or_partial,
    broken_rate (None when nothing is due), owed_cny, conditional, over_authority, unpromised,
    unpromised_cny, duplicates, duplicate_cny.
    """
    p, f = pl.collect_all([audit.promises.select(status_counts()),
                           _payment_counts(audit.payments)])
    out: dict[str, float | int | None] = {**p.row(0, named=True), **f.row(0, named=True)}
    for key in ("owed_cny", "unpromised_cny", "duplicate_cny"):
        out[key] = float(out[key] or 0.0)
    return out


@dataclass(frozen=True)
class PromiseViews:
    """Every manager-facing table and number of one promise audit (see the module docstring).

    ``headline``: all promises audited, a :func:`promise_headline` dict plus ``to_chase`` and
    ``to_chase_cny`` (the chase list's rows and money); ``month_headline``: the promises made in
    ``month`` (empty without a month), a :func:`promise_headline` dict. ``conditional_evidence``
    (:func:`conditional_by_agent`) and ``conditional_by_shop``: over every promise due, all
    months (issue 13).
    """

    month: str | None
    as_of: str
    headline: dict[str, float | int | None]
    month_headline: dict[str, float | int | None]
    by_agent: pl.DataFrame
    by_kind: pl.DataFrame
    ageing: pl.DataFrame
    flags: pl.DataFrame
    money_out: pl.DataFrame
    chase: pl.DataFrame
    chase_by_agent: pl.DataFrame
    conditional_evidence: pl.DataFrame
    conditional_by_shop: pl.DataFrame
    chat_checked: bool
    chat_offers: pl.DataFrame
    chat_by_agent: pl.DataFrame
    #: The promises made in ``month``, per agent (:func:`by_agent`): the agent scorecard's.
    month_by_agent: pl.DataFrame = field(default_factory=pl.DataFrame)


def promise_views(audit: PromiseAudit, agents: pl.LazyFrame, *, as_of: datetime,
                  month: str | None = None, chat: pl.LazyFrame | None = None) -> PromiseViews:
    """Build every view of ``audit`` (collected in one pass) for ``month`` (YYYY-MM or None).

    ``chat``: :func:`audit.promises.chat_audit.chat_offers`, or None without a chat export.
    """
    chat_lf = chat if chat is not None else pl.LazyFrame(schema=CHAT_OFFER_SCHEMA)
    chase = chase_list(audit, agents, chat)
    frames = pl.collect_all([by_agent(audit, agents), by_kind(audit), ageing(audit),
                             flag_counts(audit), money_out_without_promise(audit), chase,
                             chase_by_agent(chase), conditional_by_agent(audit, agents),
                             conditional_by_shop(audit), chat_lf, chat_by_agent(chat_lf, agents)])
    chase_df, chat_df = frames[5], frames[9]
    chase_numbers = {"to_chase": chase_df.height,
                     "to_chase_cny": round(float(chase_df["owed_cny"].sum() or 0.0), 2)}
    month_headline = promise_headline(in_month(audit, month)) if month else {}
    month_by_agent = (by_agent(in_month(audit, month), agents).collect() if month
                      else pl.DataFrame())
    return PromiseViews(month, f"{as_of:%Y-%m-%d}",
                        {**promise_headline(audit), **chase_numbers,
                         **chat_numbers(chat_df if chat is not None else None)},
                        month_headline, *frames[:9], chat is not None,
                        chat_df.select(CHAT_OFFER_COLUMNS), frames[10],
                        month_by_agent=month_by_agent)


#: Headline rows in display order: (key in promise_headline, label key, kind of number).
HEADLINE_ROWS: tuple[tuple[str, str, str], ...] = (
    ("promises", "promises.promises", "count"),
    ("due", "promises.due", "count"),
    ("broken", "promises.status.broken", "count"),
    ("partial", "promises.status.partial", "count"),
    ("broken_or_partial", "promises.broken_or_partial", "count"),
    ("kept_late", "promises.status.kept_late", "count"),
    ("broken_rate", "promises.broken_rate", "pct"),
    ("owed_cny", "promises.owed_cny", "cny"),
    ("unpromised_cny", "promises.unpromised_cny", "cny"),
    ("duplicate_cny", "promises.duplicate_cny", "cny"),
    ("conditional", "promises.conditional", "count"),
    ("to_chase", "promises.to_chase", "count"),
    ("to_chase_cny", "promises.to_chase_cny", "cny"),
)
#: The chat rows of the headline (issue 13; all months, shown only with a chat export).
CHAT_HEADLINE_ROWS: tuple[tuple[str, str, str], ...] = (
    ("chat_offers", "promises.chat_offers", "count"),
    ("chat_not_logged", "promises.chat_not_logged", "count"),
    ("chat_not_logged_cny", "promises.chat_not_logged_cny", "cny"),
    ("chat_conditional_not_declared", "promises.chat_conditional_not_declared", "count"),
    ("chat_conditional_declared", "promises.chat_conditional_declared", "count"),
)


def headline_table(columns: dict[str, dict[str, float | int | None]], *,
                   lang: str = "en",
                   rows: tuple[tuple[str, str, str], ...] = HEADLINE_ROWS) -> pl.DataFrame:
    """The headline numbers formatted for a manager, one column per headline dict.

    ``columns`` maps a column title (e.g. "All promises", "Made in 2026-10") to a
    :func:`promise_headline` dict. An undefined number shows as a dash.
    """
    from audit.core.fmt import fmt_value
    from audit.core.labels import label

    out: dict[str, list[str]] = {"": [label(key, lang) for _, key, _ in rows]}
    for title, h in columns.items():
        out[title] = [fmt_value(h.get(name), kind, lang) for name, _, kind in rows]
    return pl.DataFrame(out)
