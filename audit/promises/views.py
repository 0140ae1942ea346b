"""Manager-facing views of a :class:`audit.promises.PromiseAudit`: action list and breakdowns.

Each function takes the audit (and the agents table for names) and returns a small LazyFrame;
the notebook, the Excel action list and the monthly index page all read these, so a number is
computed once. Buyer identities are masked here (``audit.core.masking``), before any view leaves.
"""

from __future__ import annotations

import polars as pl

from audit.core.masking import mask_buyers
from audit.promises.analysis import AGEING_BUCKETS, FLAGS, PromiseAudit

_CHASE = ("broken", "partial")


def _counts(by: list[str]) -> list[pl.Expr]:
    st = pl.col("status")
    due = (st != "pending").sum()
    bad = st.is_in(_CHASE).sum()
    return [
        pl.len().alias("promises"),
        due.alias("due"),
        (st == "kept").sum().alias("kept"),
        (st == "kept_late").sum().alias("kept_late"),
        (st == "partial").sum().alias("partial"),
        (st == "broken").sum().alias("broken"),
        (st == "pending").sum().alias("pending"),
        pl.when(due > 0).then(bad / due).otherwise(None).alias("broken_rate"),
        pl.col("owed_cny").sum().alias("owed_cny"),
        pl.col("flags").str.contains("conditional_on_review").sum().alias("conditional"),
        pl.col("flags").str.contains("over_authority").sum().alias("over_authority"),
    ]


def by_agent(audit: PromiseAudit, agents: pl.LazyFrame) -> pl.LazyFrame:
    """One row per agent with promises: status counts, broken rate over promises due, owed.

    ``broken_rate`` is (broken + partial) / due; null when nothing is due yet. Sorted worst first.
    """
    return (
        audit.promises.group_by("agent_id").agg(_counts(["agent_id"]))
        .join(agents.select("agent_id", "agent_name", "level"), on="agent_id", how="left")
        .select("agent_id", "agent_name", "level", pl.exclude("agent_id", "agent_name", "level"))
        .sort(["broken_rate", "agent_id"], descending=[True, False], nulls_last=True)
    )


def by_kind(audit: PromiseAudit) -> pl.LazyFrame:
    """One row per kind of compensation: status counts, broken rate, owed. Worst first."""
    return (
        audit.promises.group_by("kind").agg(_counts(["kind"]))
        .sort(["broken_rate", "kind"], descending=[True, False], nulls_last=True)
    )


def ageing(audit: PromiseAudit) -> pl.LazyFrame:
    """Broken and partial promises per ageing bucket (every bucket listed, in order)."""
    buckets = pl.LazyFrame({"ageing": list(AGEING_BUCKETS), "order": range(len(AGEING_BUCKETS))})
    got = audit.promises.filter(pl.col("status").is_in(_CHASE)).group_by("ageing").agg(
        broken=(pl.col("status") == "broken").sum(),
        partial=(pl.col("status") == "partial").sum(),
        owed_cny=pl.col("owed_cny").sum(),
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
            promised_cny=pl.col("promised_cny").sum().fill_null(0.0),
        )
        for flag in FLAGS
    ])


def money_out_without_promise(audit: PromiseAudit) -> pl.LazyFrame:
    """Duplicate and unpromised payments per shop and kind: count and amount."""
    return (
        audit.payments.filter(pl.col("finding") != "matched")
        .group_by("finding", "shop_id", "kind")
        .agg(payments=pl.len(), amount_cny=pl.col("amount_cny").sum().fill_null(0.0))
        .sort("finding", "amount_cny", "shop_id", "kind", descending=[False, True, False, False])
    )


def action_list(audit: PromiseAudit, agents: pl.LazyFrame) -> pl.LazyFrame:
    """List the promises to chase now (broken or partial), by agent, most overdue first.

    Buyers are masked.

    One row per promise: agent_id, agent_name, promise_id, case_id, shop_id, order_id, buyer_id
    (masked), kind, status, promised_cny, covered_cny, owed_cny (null for non-monetary kinds:
    the thing itself is owed), due_at, days_overdue, ageing, flags.
    """
    rows = (
        audit.promises.filter(pl.col("status").is_in(_CHASE))
        .join(agents.select("agent_id", "agent_name"), on="agent_id", how="left")
        .select(
            "agent_id", "agent_name", "promise_id", "case_id", "shop_id", "order_id", "buyer_id",
            "kind", "status", "promised_cny", "covered_cny", "owed_cny", "due_at",
            "days_overdue", "ageing", "flags",
        )
        .sort(["agent_id", "days_overdue", "promise_id"], descending=[False, True, False])
    )
    return mask_buyers(rows)


def top_overdue(audit: PromiseAudit, agents: pl.LazyFrame, *, n: int = 20) -> pl.LazyFrame:
    """Return the ``n`` most overdue broken/partial promises (buyer masked), oldest first."""
    return (
        action_list(audit, agents)
        .sort(["days_overdue", "owed_cny", "promise_id"], descending=[True, True, False],
              nulls_last=True)
        .head(n)
    )


def agent_sheet_summary(audit: PromiseAudit, agents: pl.LazyFrame) -> pl.LazyFrame:
    """Per agent with something to chase: promises to chase, owed, oldest days overdue."""
    return (
        action_list(audit, agents)
        .group_by("agent_id", "agent_name")
        .agg(to_chase=pl.len(), owed_cny=pl.col("owed_cny").sum(),
             oldest_days_overdue=pl.col("days_overdue").max())
        .sort(["owed_cny", "agent_id"], descending=[True, False])
    )


def in_month(audit: PromiseAudit, month: str) -> PromiseAudit:
    """Restrict to ``month`` (YYYY-MM): promises made and payments executed in that month.

    Statuses stay those of the full audit (a promise made on the 30th and paid on the 2nd of
    the next month is kept), only the rows are restricted.
    """
    from audit.core.dates import parse_month

    first, last = parse_month(month)
    return PromiseAudit(
        promises=audit.promises.filter(pl.col("promised_at").dt.date().is_between(first, last)),
        payments=audit.payments.filter(pl.col("executed_at").dt.date().is_between(first, last)),
    )


#: Headline rows in display order: (key in promise_headline, label key, kind of number).
_HEADLINE_ROWS: tuple[tuple[str, str, str], ...] = (
    ("promises", "promises.promises", "count"),
    ("due", "promises.due", "count"),
    ("broken", "promises.status.broken", "count"),
    ("partial", "promises.status.partial", "count"),
    ("kept_late", "promises.status.kept_late", "count"),
    ("broken_rate", "promises.broken_rate", "pct"),
    ("owed_cny", "promises.owed_cny", "cny"),
    ("unpromised_cny", "promises.unpromised_cny", "cny"),
    ("duplicate_cny", "promises.duplicate_cny", "cny"),
    ("conditional", "promises.conditional", "count"),
)


def headline_table(columns: dict[str, dict[str, float | int]], *, lang: str = "en") -> pl.DataFrame:
    """Format the headline numbers for a manager (¥ with separators, % with one decimal).

    ``columns`` maps a column title (e.g. "All promises", "Made in 2026-10") to a
    :func:`audit.promises.promise_headline` dict. A rate with nothing due shows as a dash.
    """
    from audit.core.fmt import fmt_value
    from audit.core.labels import label

    out: dict[str, list[str]] = {"": [label(key, lang) for _, key, _ in _HEADLINE_ROWS]}
    for title, h in columns.items():
        out[title] = [
            fmt_value(None if (name == "broken_rate" and not h["due"]) else h[name], kind)
            for name, _, kind in _HEADLINE_ROWS
        ]
    return pl.DataFrame(out)
