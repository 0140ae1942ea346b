"""Behavioural evidence that an agent's compensation depends on the review (issue 13, part 1).

An agent who pays only once the buyer has revised or removed the review will not say so in the
handling log. What gives it away is the order of events: the money comes *after* the review
changed, and it does not come when the review did not change. Each half alone misleads:

* "kept when changed" beats "kept when unchanged" for a forgetful agent too, because buyers who
  were paid revise more (seeds 003/004); there the payment comes *first*. So the order of events
  must show that the money waited for the change.
* An honest agent's payment can land after a quick revision (the buyer revises the same day,
  finance pays three days later, still on time). So the money waiting for the change is not
  enough either: the agent must also not pay when the review stayed.

The rule (docs/conditional_evidence.md), per agent over promises already due, with Wilson 95%
intervals, one threshold (half) on both sides:

A. waits for the change: of the promises that were paid and whose review changed, the share
   paid at or after the change — holds when its lower bound > 1/2, rejected when its upper
   bound < 1/2;
B. no change, no money: of the promises whose review did not change, the share kept — holds
   when its upper bound < 1/2, rejected when its lower bound > 1/2.

Both hold: ``conditional_in_effect``. Either rejected: ``no_evidence``. Otherwise ``too_few``
(the counts cannot decide either way: three promises never can). Pure polars, lazy in and out.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Literal, get_args

import polars as pl

EventOrder = Literal["paid_before_change", "paid_after_change", "changed_never_paid", "neither"]
Verdict = Literal["conditional_in_effect", "no_evidence", "too_few"]
EVENT_ORDERS: tuple[str, ...] = get_args(EventOrder)
VERDICTS: tuple[str, ...] = get_args(Verdict)

#: The new flag of ``promise_audit.csv``: the first assigned payment came at or after the change.
FLAG = "paid_after_review_change"
#: Both tests compare a share with one half: "most of the time".
THRESHOLD = 0.5
#: Two-sided 95% normal quantile for the Wilson score interval.
Z95 = 1.959963984540054
#: The platform's revision window (DOMAIN.md): a change after it is not possible.
WINDOW = timedelta(days=30)
#: Statuses of a promise that was fully covered (audit.promises.analysis).
KEPT: tuple[str, ...] = ("kept", "kept_late")

#: Columns of ``conditional_evidence``'s result (and of ``conditional_evidence.csv``), in order,
#: after the grouping column(s) and agent_name.
EVIDENCE_COLUMNS: tuple[str, ...] = (
    "promises_due", "declared_conditional", "changed", "kept_when_changed", "changed_paid",
    "paid_after_change", "unchanged", "kept_when_unchanged",
    "after_share", "after_low", "after_high",
    "kept_changed_rate", "kept_changed_low", "kept_changed_high",
    "kept_unchanged_rate", "kept_unchanged_low", "kept_unchanged_high",
    "verdict", "reason",
)


def review_changes(
    cases: pl.LazyFrame, reviews: pl.LazyFrame, *, as_of: date | datetime
) -> pl.LazyFrame:
    """Per case: ``changed_at``, the first instant its review was revised to positive or removed.

    The same definition as the resolution analysis (``audit.resolution.protocol.review_evidence``'s
    ``resolved_at``): a positive revision or a removal counts when it is within 30 days of the
    review and at or before ``as_of``; null when neither. Restated here so this module stands
    alone; a test checks the two agree.
    """
    if not isinstance(as_of, datetime):
        as_of = datetime.combine(as_of, time(23, 59, 59, 999999))
    deadline = pl.col("reviewed_at") + WINDOW
    revised = pl.when(
        (pl.col("revised_rating") == "positive") & (pl.col("revised_at") <= deadline)
        & (pl.col("revised_at") <= as_of)
    ).then(pl.col("revised_at"))
    removed = pl.when(
        (pl.col("removed_at") <= deadline) & (pl.col("removed_at") <= as_of)
    ).then(pl.col("removed_at"))
    return cases.select("case_id", "review_id").join(
        reviews.select("review_id", changed_at=pl.min_horizontal(revised, removed)),
        on="review_id", how="left",
    ).select("case_id", "changed_at")


def event_order(
    promises: pl.LazyFrame, payments: pl.LazyFrame, changes: pl.LazyFrame
) -> pl.LazyFrame:
    """Per promise, the order of payment and review change, and the new flag.

    Parameters
    ----------
    promises
        ``PromiseAudit.promises`` (promise_id, case_id, status, flags, ...).
    payments
        ``PromiseAudit.payments``: only ``finding == "matched"`` rows count (a payment assigned
        to the promise); duplicates and unpromised money say nothing about this promise.
    changes
        ``review_changes``: case_id, changed_at.

    Returns
    -------
    pl.LazyFrame
        The promise rows in their order, plus ``first_paid_at`` (first assigned payment),
        ``changed_at``, ``event_order`` (``paid_before_change``: paid, and either the review
        never changed or the payment came first; ``paid_after_change``: the first payment at or
        after the change; ``changed_never_paid``; ``neither``), and ``flags`` with
        ``paid_after_review_change`` added exactly on the ``paid_after_change`` rows (sorted,
        ``;``-joined, as the audit writes them). Idempotent: the audit's promises
        (``audit_promises`` already applies it) pass through unchanged.
    """
    first_paid = payments.filter(pl.col("finding") == "matched").group_by("promise_id").agg(
        first_paid_at=pl.col("executed_at").min()
    )
    paid = pl.col("first_paid_at").is_not_null()
    changed = pl.col("changed_at").is_not_null()
    order = (
        pl.when(paid & changed & (pl.col("first_paid_at") >= pl.col("changed_at")))
        .then(pl.lit("paid_after_change"))
        .when(paid).then(pl.lit("paid_before_change"))
        .when(changed).then(pl.lit("changed_never_paid"))
        .otherwise(pl.lit("neither"))
    )
    flags = (
        pl.when(pl.col("event_order") == "paid_after_change")
        .then(
            pl.concat_str([pl.col("flags").fill_null(""), pl.lit(FLAG)], separator=";")
            .str.strip_chars(";").str.split(";").list.unique().list.sort().list.join(";")
        )
        .otherwise(pl.col("flags"))
    )
    return (
        promises.drop("first_paid_at", "changed_at", "event_order", strict=False)
        .with_row_index("_row")
        .join(first_paid, on="promise_id", how="left")
        .join(changes.unique("case_id"), on="case_id", how="left")
        .with_columns(event_order=order)
        .with_columns(flags=flags)
        .sort("_row")
        .drop("_row")
    )


def _wilson(successes: pl.Expr, trials: pl.Expr, sign: float) -> pl.Expr:
    """One bound of the Wilson score interval (null when there are no trials).

    Wilson rather than Wald: it stays inside [0, 1] and keeps its coverage at the small counts
    and the rates near 0 or 1 that a single agent produces.
    """
    n = trials.cast(pl.Float64)
    p = successes.cast(pl.Float64) / n
    z2 = Z95 * Z95
    centre = p + z2 / (2 * n)
    spread = Z95 * ((p * (1 - p) + z2 / (4 * n)) / n).sqrt()
    return pl.when(n > 0).then((centre + sign * spread) / (1 + z2 / n))


def conditional_evidence(
    orders: pl.LazyFrame,
    agents: pl.LazyFrame | None = None,
    *,
    by: str | list[str] = "agent_id",
) -> pl.LazyFrame:
    """Per agent (or per ``by``, e.g. shop_id), the counts, intervals and verdict of the rule.

    Parameters
    ----------
    orders
        ``event_order``'s result. Only promises already due count (status other than
        ``pending``): a pending promise has not had the chance to be kept.
    agents
        Optional ``agents`` table; when given and ``by`` is agent_id, adds ``agent_name``.
    by
        The grouping column(s).

    Returns
    -------
    pl.LazyFrame
        ``by``, [agent_name], then ``EVIDENCE_COLUMNS``; rows with ``conditional_in_effect``
        first, then by ``by``. ``declared_conditional`` counts the promises the agent flagged
        ``conditional_on_review`` in the log, so declared and hidden ones can be listed apart.
    """
    keys = [by] if isinstance(by, str) else list(by)
    changed = pl.col("changed_at").is_not_null()
    kept = pl.col("status").is_in(KEPT)
    counts = (
        orders.filter(pl.col("status") != "pending")
        .group_by(keys)
        .agg(
            promises_due=pl.len(),
            declared_conditional=pl.col("flags").fill_null("")
            .str.contains("conditional_on_review").sum(),
            changed=changed.sum(),
            kept_when_changed=(changed & kept).sum(),
            changed_paid=(changed & pl.col("first_paid_at").is_not_null()).sum(),
            paid_after_change=(pl.col("event_order") == "paid_after_change").sum(),
            unchanged=(~changed).sum(),
            kept_when_unchanged=(~changed & kept).sum(),
        )
        .with_columns(pl.exclude(keys).cast(pl.Int64))
    )
    shares = {
        "after": ("paid_after_change", "changed_paid"),
        "kept_changed": ("kept_when_changed", "changed"),
        "kept_unchanged": ("kept_when_unchanged", "unchanged"),
    }
    bounds = {}
    for name, (x, n) in shares.items():
        rate = "after_share" if name == "after" else f"{name}_rate"
        bounds[rate] = pl.when(pl.col(n) > 0).then(pl.col(x) / pl.col(n))
        bounds[f"{name}_low"] = _wilson(pl.col(x), pl.col(n), -1.0)
        bounds[f"{name}_high"] = _wilson(pl.col(x), pl.col(n), 1.0)
    verdict, reason = _verdict_and_reason()
    out = counts.with_columns(**bounds).with_columns(verdict).with_columns(reason)
    if agents is not None and keys == ["agent_id"]:
        out = out.join(agents.select("agent_id", "agent_name"), on="agent_id", how="left")
        keys = [*keys, "agent_name"]
    return out.sort(pl.col("verdict") != "conditional_in_effect", *keys[:1]).select(
        *keys, *EVIDENCE_COLUMNS
    )


def _verdict_and_reason() -> tuple[pl.Expr, pl.Expr]:
    """``verdict`` and its one-line ``reason`` from the interval positions (module docstring)."""
    waits = pl.col("after_low") > THRESHOLD
    not_waits = pl.col("after_high") < THRESHOLD
    withholds = pl.col("kept_unchanged_high") < THRESHOLD
    pays_anyway = pl.col("kept_unchanged_low") > THRESHOLD
    share = pl.format("{}/{}", "paid_after_change", "changed_paid")
    kept_u = pl.format("{}/{}", "kept_when_unchanged", "unchanged")
    verdict = (
        pl.when(waits.fill_null(False) & withholds.fill_null(False))
        .then(pl.lit("conditional_in_effect"))
        .when(not_waits.fill_null(False) | pays_anyway.fill_null(False))
        .then(pl.lit("no_evidence"))
        .otherwise(pl.lit("too_few"))
    )
    reason = (
        pl.when(pl.col("verdict") == "conditional_in_effect")
        .then(pl.format("paid only after the review changed ({} paid after), and kept {} "
                        "promises whose review did not change", share, kept_u))
        .when(not_waits.fill_null(False))
        .then(pl.format("payment came before the review changed ({} paid after)", share))
        .when(pays_anyway.fill_null(False))
        .then(pl.format("pays when the review did not change (kept {})", kept_u))
        .otherwise(pl.format("too few promises to decide ({} paid after change, kept {} "
                             "unchanged)", share, kept_u))
    )
    return verdict.alias("verdict"), reason.alias("reason")
