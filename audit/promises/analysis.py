"""Broken-promise audit: match compensation promises to what was actually paid, shipped or issued.

The headline job of the toolkit (DOMAIN.md, seeds 003 and 004): a shop's handling log records what
agents promised buyers; the finance, coupon and shipping systems record what was executed. This
module pairs the two and states, per promise, whether it was kept, and per payment, why the money
went out.

Matching rules (issue 3). A fulfilment keeps at most one promise; candidates are in the same shop
and of the same kind. Levels, in this order, each fulfilment used once:

1. explicit link ``fulfilment.promise_id == promise.promise_id`` (whatever its time);
2. same order (promise -> case -> review -> order_id), executed at or after ``promised_at``;
3. same buyer in the same shop, executed at or after ``promised_at``.

Within a level, promises are taken in due order (``due_at``, then ``promised_at``, then
``promise_id``) and each takes the earliest free candidates (``executed_at``, then
``fulfilment_id``) until its amount is covered. A non-monetary promise (free_shipping, gift,
replacement), or one without a positive amount, is covered by one fulfilment. A free payment of the
same order and kind executed at or after a promise became fully covered (or explicitly linked to
a fully covered promise) is a ``duplicate`` of it; any other free payment is ``unpromised``.

The greedy is sequential only inside one group of competing promises (same shop, kind and order
or buyer), so it runs in rounds: each round, in every group, the first open promise that has
candidates takes what it needs. Promises and payments that no longer have a candidate leave the
working set, which shrinks fast (most groups hold a single promise and finish in round one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, NamedTuple, get_args

import polars as pl

from audit.core.dates import end_of_day
from audit.data.schema import NON_MONETARY_KINDS
from audit.promises.behaviour import event_order, review_changes

if TYPE_CHECKING:
    from datetime import date, datetime

Status = Literal["kept", "kept_late", "partial", "broken", "pending"]
Flag = Literal["overpaid", "duplicate_payment", "over_authority", "conditional_on_review",
               "paid_after_review_change"]
Finding = Literal["matched", "duplicate", "unpromised"]
Level = Literal["explicit", "order", "buyer"]
Ageing = Literal["1-3", "4-7", "8-14", "15-30", "31-60", "60+"]

STATUSES: tuple[str, ...] = get_args(Status)
FLAGS: tuple[str, ...] = get_args(Flag)
FINDINGS: tuple[str, ...] = get_args(Finding)
LEVELS: tuple[str, ...] = get_args(Level)
AGEING_BUCKETS: tuple[str, ...] = get_args(Ageing)

#: Columns of ``promise_audit.csv``, in order (issue 3).
PROMISE_AUDIT_COLUMNS: tuple[str, ...] = (
    "promise_id", "case_id", "agent_id", "kind", "promised_cny", "covered_cny", "status", "flags",
    "days_late", "days_overdue", "ageing", "fulfilment_ids",
)
#: Columns of ``payment_audit.csv``, in order (issue 3).
PAYMENT_AUDIT_COLUMNS: tuple[str, ...] = ("fulfilment_id", "finding", "promise_id", "amount_cny")

#: Half a fen: amounts closer than this are equal (sums of floats such as 0.1 + 0.2).
EPS_CNY = 0.005
_DAY_US = 86_400_000_000


class PromiseAudit(NamedTuple):
    """The audit's two results.

    ``promises``: one row per promise (key ``promise_id``) in due order (due_at, promised_at,
    promise_id), the ``PROMISE_AUDIT_COLUMNS`` then shop_id, order_id, buyer_id, promised_at,
    due_at, covered_at, owed_cny, amount_cny, and (issue 13, ``behaviour.event_order``)
    first_paid_at, changed_at, event_order. The flag ``paid_after_review_change``: the first
    assigned payment executed at or after the review was revised to positive or removed.
    ``payments``: one row per fulfilment executed by ``as_of`` (key ``fulfilment_id``) in
    execution order (executed_at, fulfilment_id), the ``PAYMENT_AUDIT_COLUMNS`` then shop_id,
    order_id, buyer_id, kind, executed_at, match_level.
    """

    promises: pl.LazyFrame
    payments: pl.LazyFrame


def audit_promises(
    promises: pl.LazyFrame,
    fulfilments: pl.LazyFrame,
    cases: pl.LazyFrame,
    reviews: pl.LazyFrame,
    agents: pl.LazyFrame,
    *,
    as_of: date | datetime,
) -> PromiseAudit:
    """Match promises to fulfilments and state each promise's status as of ``as_of``.

    Parameters
    ----------
    promises, fulfilments, cases, reviews, agents
        Canonical tables (``audit.data.schema``). Cases and reviews give each promise its shop,
        order and buyer; agents give the cash limit for ``over_authority``.
    as_of
        The audit instant; a date means the end of that day. Promises logged and fulfilments
        executed after it are ignored (the data are "as of" that instant).

    Returns
    -------
    PromiseAudit
        Per promise: status (kept, kept_late, partial, broken, pending), flags, days late or
        overdue, ageing bucket. Per fulfilment: finding (matched, duplicate, unpromised).

    Examples
    --------
    >>> import polars as pl
    >>> from datetime import datetime as dt
    >>> p = pl.LazyFrame({"promise_id": ["P1"], "case_id": ["C1"], "agent_id": ["A1"],
    ...     "kind": ["shipping_refund"], "amount_cny": [10.0], "promised_at": [dt(2026, 10, 1)],
    ...     "due_at": [dt(2026, 10, 3)], "conditional_on_review": [False]})
    >>> f = pl.LazyFrame({"fulfilment_id": ["F1"], "shop_id": ["S1"], "order_id": ["O1"],
    ...     "buyer_id": ["B1"], "kind": ["shipping_refund"], "amount_cny": [10.0],
    ...     "executed_at": [dt(2026, 10, 5)], "reference": [None], "promise_id": [None]},
    ...     schema_overrides={"reference": pl.String, "promise_id": pl.String})
    >>> c = pl.LazyFrame({"case_id": ["C1"], "review_id": ["R1"]})
    >>> r = pl.LazyFrame({"review_id": ["R1"], "shop_id": ["S1"], "order_id": ["O1"],
    ...     "buyer_id": ["B1"]})
    >>> a = pl.LazyFrame({"agent_id": ["A1"], "cash_limit_cny": [20.0]})
    >>> out = audit_promises(p, f, c, r, a, as_of=dt(2026, 10, 31))
    >>> out.promises.select("promise_id", "status", "days_late").collect()
    shape: (1, 3)
    ┌────────────┬───────────┬───────────┐
    │ promise_id ┆ status    ┆ days_late │
    │ ---        ┆ ---       ┆ ---       │
    │ str        ┆ str       ┆ i64       │
    ╞════════════╪═══════════╪═══════════╡
    │ P1         ┆ kept_late ┆ 2         │
    └────────────┴───────────┴───────────┘
    """
    as_of = end_of_day(as_of)
    # The rounds need materialised state (what is still free after each round), so the prepared
    # inputs are collected once here; everything after the matching is lazy again.
    prom = _prepare_promises(promises, cases, reviews, agents, as_of).collect()
    pay = _prepare_fulfilments(fulfilments, as_of).collect()
    assigned = _match(prom, pay)
    per_promise = _coverage(prom, pay, assigned)
    dups = _duplicates(prom, pay, assigned, per_promise)
    payments = _payment_results(prom.lazy(), pay.lazy(), assigned.lazy(), dups.lazy())
    results = _promise_results(prom.lazy(), per_promise.lazy(), dups.lazy(), as_of)
    return PromiseAudit(
        promises=event_order(results, payments, _changes(cases, reviews, as_of)),
        payments=payments,
    )


def _changes(cases: pl.LazyFrame, reviews: pl.LazyFrame, as_of: datetime) -> pl.LazyFrame:
    """Per case, when its review changed (``behaviour.review_changes``; issue 13).

    A reviews table without the revision columns (a minimal test table) changes nothing.
    """
    names = set(reviews.collect_schema().names())
    if {"reviewed_at", "revised_rating", "revised_at", "removed_at"} <= names:
        return review_changes(cases, reviews, as_of=as_of)
    return cases.select("case_id", changed_at=pl.lit(None, pl.Datetime("us")))


#: Columns compared across tables; cast to String once so that a Categorical on one side
#: (a reader's choice) can neither break a join nor change a hash.
_KEY_COLUMNS: list[str] = ["shop_id", "order_id", "buyer_id", "kind", "promise_id"]


def _prepare_promises(
    promises: pl.LazyFrame,
    cases: pl.LazyFrame,
    reviews: pl.LazyFrame,
    agents: pl.LazyFrame,
    as_of: datetime,
) -> pl.LazyFrame:
    """One row per promise logged by ``as_of`` with its shop/order/buyer, target and due rank.

    ``target_cny`` is null when one fulfilment is enough (non-monetary kind, no positive amount).
    ``prank`` is the promise's place in due order, the tie-breaker every level uses.
    """
    keys = cases.select("case_id", "review_id").join(
        reviews.select("review_id", "shop_id", "order_id", "buyer_id"), on="review_id", how="left"
    )
    monetary = ~pl.col("kind").is_in(NON_MONETARY_KINDS) & (pl.col("amount_cny") > 0)
    return (
        promises.filter(pl.col("promised_at") <= as_of)
        .join(keys.drop("review_id"), on="case_id", how="left")
        .join(agents.select("agent_id", "cash_limit_cny"), on="agent_id", how="left")
        .with_columns(
            pl.col(_KEY_COLUMNS).cast(pl.String),
            target_cny=pl.when(monetary).then(pl.col("amount_cny")).otherwise(None),
        )
        .sort("due_at", "promised_at", "promise_id")
        .with_row_index("prank")
    )


def _prepare_fulfilments(fulfilments: pl.LazyFrame, as_of: datetime) -> pl.LazyFrame:
    """One row per fulfilment executed by ``as_of``; ``frank`` is its place in time order."""
    return (
        fulfilments.filter(pl.col("executed_at") <= as_of)
        .rename({"promise_id": "link_id"})
        .with_columns(
            pl.col(*_KEY_COLUMNS[:-1], "link_id").cast(pl.String),
            paid_cny=pl.col("amount_cny").fill_null(0.0),
        )
        .sort("executed_at", "fulfilment_id")
        .with_row_index("frank")
    )


_LEVEL_KEYS: dict[str, tuple[list[str], bool]] = {
    # level: (keys that must be equal, must be executed at or after promised_at)
    "explicit": (["link_id", "shop_id", "kind"], False),
    "order": (["shop_id", "order_id", "kind"], True),
    "buyer": (["shop_id", "buyer_id", "kind"], True),
}


def _with_key_hash(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Rows with every key set, plus ``h``: one 64-bit hash of the keys.

    Joining and grouping on one integer is several times faster than on three strings. The
    hash only narrows: candidates are checked for true key equality after the join, and two
    groups that happen to share a hash merely wait for each other's rounds, which changes
    nothing in the outcome (each group's own order is kept).
    """
    return frame.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in keys)).with_columns(
        h=pl.struct(keys).hash(seed=0)
    )


def _match(prom: pl.DataFrame, pay: pl.DataFrame) -> pl.DataFrame:
    """Assign fulfilments greedily: one row per assigned fulfilment (frank, prank, level).

    ``prom`` and ``pay`` are indexed by their ranks (row ``i`` has ``prank``/``frank`` ``i``),
    so amounts are fetched by position rather than by join.
    """
    schema = {"frank": pl.UInt32, "prank": pl.UInt32, "level": pl.String}
    assigned = pl.DataFrame(schema=schema)
    covered = pl.Series("covered", [0.0] * prom.height, pl.Float64)
    count = pl.Series("n", [0] * prom.height, pl.UInt32)
    for level, (keys, timed) in _LEVEL_KEYS.items():
        open_ = _with_key_hash(
            prom.with_columns(covered, count, link_id=pl.col("promise_id"))
            .filter(~_is_done(pl.col("target_cny"), pl.col("covered"), pl.col("n")))
            .select("prank", *keys, "promised_at", "target_cny", "covered"),
            keys,
        )
        free = _with_key_hash(
            pay.join(assigned, on="frank", how="anti").select(
                "frank", *keys, "executed_at", "paid_cny"),
            keys,
        )
        taken_parts = []
        while open_.height and free.height:
            cand = open_.join(free, on="h", suffix="_f").filter(
                pl.all_horizontal(pl.col(k) == pl.col(f"{k}_f") for k in keys)
            )
            if timed:
                cand = cand.filter(pl.col("executed_at") >= pl.col("promised_at"))
            if not cand.height:
                break
            cand = cand.select("prank", "frank", "target_cny", "covered", "paid_cny",
                               first=pl.col("prank").min().over("h"))
            mine = cand.filter(pl.col("prank") == pl.col("first")).sort("prank", "frank")
            before, position = _running("paid_cny", "prank")
            take = (
                pl.when(pl.col("target_cny").is_null())
                .then(position == 0)
                .otherwise(pl.col("covered") + before < pl.col("target_cny") - EPS_CNY)
            )
            took = mine.filter(take).select("frank", "prank")
            taken_parts.append(took)
            # Promises that were first in their group are finished for this level: they are
            # covered or took every candidate they had. Everyone else waits for the next round.
            rest = cand.filter(pl.col("prank") != pl.col("first"))
            open_ = open_.join(rest.select("prank").unique(), on="prank", how="semi")
            free = free.join(rest.select("frank").unique(), on="frank", how="semi").join(
                took, on="frank", how="anti"
            )
        if taken_parts:
            new = pl.concat(taken_parts).with_columns(level=pl.lit(level)).cast(schema)
            assigned = pl.concat([assigned, new])
            got = new.with_columns(paid=pay["paid_cny"].gather(new["frank"])).group_by(
                "prank").agg(pl.col("paid").sum(), pl.len().cast(pl.UInt32).alias("k"))
            covered = covered.scatter(got["prank"], covered.gather(got["prank"]) + got["paid"])
            count = count.scatter(got["prank"], count.gather(got["prank"]) + got["k"])
    return assigned


def _running(value: str, group: str) -> tuple[pl.Expr, pl.Expr]:
    """Sum ``value`` over earlier rows of the same group, and number rows within their group.

    ``group`` must be sorted (equal values adjacent).

    Same as ``cum_sum().over(group) - value`` and ``int_range(len()).over(group)``, written
    with one global cumulative sum and forward fills: window functions over hundreds of
    thousands of tiny groups are several times slower.
    """
    start = (pl.col(group) != pl.col(group).shift(1)).fill_null(True)
    before_all = pl.col(value).cum_sum() - pl.col(value)
    before = before_all - pl.when(start).then(before_all).forward_fill()
    index = pl.int_range(pl.len())
    position = index - pl.when(start).then(index).forward_fill()
    return before, position


def _is_done(target: pl.Expr, covered: pl.Expr, n: pl.Expr) -> pl.Expr:
    """Fully covered: one fulfilment when there is no target, else the target reached."""
    return pl.when(target.is_null()).then(n > 0).otherwise(covered >= target - EPS_CNY)


def _coverage(prom: pl.DataFrame, pay: pl.DataFrame, assigned: pl.DataFrame) -> pl.DataFrame:
    """Per promise with any assignment: covered_cny, n, fulfilment_ids, covered_at.

    ``covered_at`` is the first instant at which the assigned fulfilments made so far add up to
    the target (one fulfilment for a promise without target); null when never fully covered.
    """
    order = assigned.sort("prank", "frank")  # frank is time order (executed_at, fulfilment_id)
    rows = pl.concat(
        [order, pay.select("fulfilment_id", "executed_at", "paid_cny").gather(order["frank"])],
        how="horizontal",
    ).with_columns(target_cny=prom["target_cny"].gather(order["prank"]))
    before, position = _running("paid_cny", "prank")
    rows = rows.with_columns(running=before + pl.col("paid_cny"), i=position)
    reached = pl.when(pl.col("target_cny").is_null()).then(pl.col("i") == 0).otherwise(
        pl.col("running") >= pl.col("target_cny") - EPS_CNY
    )
    return rows.group_by("prank").agg(
        covered_cny=pl.col("paid_cny").sum(),
        n=pl.len(),
        fulfilment_ids=pl.col("fulfilment_id").str.join(";"),
        covered_at=pl.col("executed_at").filter(reached).min(),
    )


def _duplicates(
    prom: pl.DataFrame, pay: pl.DataFrame, assigned: pl.DataFrame, per_promise: pl.DataFrame
) -> pl.DataFrame:
    """Free fulfilments that repeat a fully covered promise: (frank, prank).

    Explicit link to a covered promise first; else the same shop, order and kind, executed at
    or after the promise was covered (earliest-due promise if several).
    """
    covered = prom.join(
        per_promise.filter(pl.col("covered_at").is_not_null()).select("prank", "covered_at"),
        on="prank",
    ).select("prank", "promise_id", "shop_id", "order_id", "kind", "covered_at")
    free = pay.join(assigned, on="frank", how="anti")
    by_link = free.join(
        covered.rename({"promise_id": "link_id"}), on=["link_id", "shop_id", "kind"]
    ).select("frank", "prank", pri=pl.lit(0))
    by_order = (
        free.join(covered.drop("promise_id"), on=["shop_id", "order_id", "kind"])
        .filter(pl.col("executed_at") >= pl.col("covered_at"))
        .select("frank", "prank", pri=pl.lit(1))
    )
    return (
        pl.concat([by_link, by_order])
        .sort("frank", "pri", "prank")
        .unique("frank", keep="first", maintain_order=True)
        .select("frank", "prank")
    )


def _days(later: pl.Expr, earlier: pl.Expr) -> pl.Expr:
    """Whole days from ``earlier`` to ``later``, each started 24 hours counting as one."""
    return ((later - earlier).dt.total_microseconds() / _DAY_US).ceil().cast(pl.Int64)


def _promise_results(
    prom: pl.LazyFrame, per_promise: pl.LazyFrame, dups: pl.LazyFrame, as_of: datetime
) -> pl.LazyFrame:
    """One row per promise, in due order: status, flags, days late/overdue, ageing, owed."""
    dup_promises = dups.select("prank").unique().with_columns(has_dup=pl.lit(True))
    covered_cny = pl.col("covered_cny")
    is_covered = pl.col("covered_at").is_not_null()
    due_passed = pl.col("due_at") <= as_of
    status = (
        pl.when(is_covered & (pl.col("covered_at") <= pl.col("due_at"))).then(pl.lit("kept"))
        .when(is_covered).then(pl.lit("kept_late"))
        .when(due_passed & (pl.col("n") > 0)).then(pl.lit("partial"))
        .when(due_passed).then(pl.lit("broken"))
        .otherwise(pl.lit("pending"))
    )
    flag_exprs = {
        "conditional_on_review": pl.col("conditional_on_review").fill_null(False),
        "duplicate_payment": pl.col("has_dup").fill_null(False),
        "over_authority": (pl.col("amount_cny") > pl.col("cash_limit_cny")).fill_null(False),
        "overpaid": (
            pl.col("target_cny").is_not_null() & (covered_cny > pl.col("target_cny") + EPS_CNY)
        ),
    }
    flags = pl.concat_str(
        [pl.when(expr).then(pl.lit(name)) for name, expr in sorted(flag_exprs.items())],
        separator=";", ignore_nulls=True,
    ).fill_null("")
    overdue = _days(pl.lit(as_of), pl.col("due_at"))
    ageing = (
        pl.when(pl.col("days_overdue") <= 3).then(pl.lit("1-3"))  # noqa: PLR2004 - bucket edges
        .when(pl.col("days_overdue") <= 7).then(pl.lit("4-7"))  # noqa: PLR2004
        .when(pl.col("days_overdue") <= 14).then(pl.lit("8-14"))  # noqa: PLR2004
        .when(pl.col("days_overdue") <= 30).then(pl.lit("15-30"))  # noqa: PLR2004
        .when(pl.col("days_overdue") <= 60).then(pl.lit("31-60"))  # noqa: PLR2004
        .when(pl.col("days_overdue").is_not_null()).then(pl.lit("60+"))
        .otherwise(None)
    )
    return (
        prom.join(per_promise, on="prank", how="left")
        .join(dup_promises, on="prank", how="left")
        .with_columns(covered_cny=covered_cny.fill_null(0.0), n=pl.col("n").fill_null(0))
        .with_columns(status=status, flags=flags)
        .with_columns(
            days_late=pl.when(pl.col("status") == "kept_late")
            .then(_days(pl.col("covered_at"), pl.col("due_at"))),
            days_overdue=pl.when(pl.col("status").is_in(["broken", "partial"])).then(overdue),
            owed_cny=pl.when(pl.col("status").is_in(["broken", "partial"]))
            .then((pl.col("target_cny") - covered_cny).clip(lower_bound=0.0)),
        )
        .with_columns(ageing=ageing)
        .sort("prank")  # due order; an integer sort, much cheaper than by promise_id
        .select(
            "promise_id", "case_id", "agent_id", "kind",
            pl.col("amount_cny").alias("promised_cny"),
            "covered_cny", "status", "flags", "days_late", "days_overdue", "ageing",
            "fulfilment_ids",
            "shop_id", "order_id", "buyer_id", "promised_at", "due_at", "covered_at", "owed_cny",
            "amount_cny",
        )
    )


def _payment_results(
    prom: pl.LazyFrame, pay: pl.LazyFrame, assigned: pl.LazyFrame, dups: pl.LazyFrame
) -> pl.LazyFrame:
    """One row per fulfilment, in execution order: matched (level), duplicate or unpromised."""
    found = pl.concat([
        assigned.select("frank", "prank", "level", finding=pl.lit("matched")),
        dups.select("frank", "prank", level=pl.lit(None, pl.String), finding=pl.lit("duplicate")),
    ])
    return (
        pay.join(found, on="frank", how="left")
        .join(prom.select("prank", "promise_id"), on="prank", how="left")
        .sort("frank")  # execution order
        .select(
            "fulfilment_id",
            finding=pl.col("finding").fill_null("unpromised"),
            promise_id="promise_id",
            amount_cny="amount_cny",
            shop_id="shop_id", order_id="order_id", buyer_id="buyer_id", kind="kind",
            executed_at="executed_at", match_level="level",
        )
    )


def promise_headline(audit: PromiseAudit) -> dict[str, float | int]:
    """Headline numbers for the monthly index page.

    Returns
    -------
    dict
        ``promises`` (all audited), ``due`` (due by as_of: every status but pending), ``kept``,
        ``kept_late``, ``broken``, ``partial``, ``pending``, ``broken_rate`` (broken + partial
        over due; 0.0 when nothing is due), ``owed_cny`` (still owed on broken/partial monetary
        promises), ``unpromised_cny`` and ``unpromised`` (money out with no promise),
        ``duplicate_cny`` and ``duplicates``, ``conditional`` (promises conditional on a review
        change), ``over_authority``.
    """
    p = audit.promises.select(
        promises=pl.len(),
        **{s: (pl.col("status") == s).sum() for s in STATUSES},
        owed_cny=pl.col("owed_cny").sum(),
        conditional=pl.col("flags").str.contains("conditional_on_review").sum(),
        over_authority=pl.col("flags").str.contains("over_authority").sum(),
    ).collect().row(0, named=True)
    f = audit.payments.select(
        unpromised=(pl.col("finding") == "unpromised").sum(),
        unpromised_cny=pl.col("amount_cny").filter(pl.col("finding") == "unpromised").sum(),
        duplicates=(pl.col("finding") == "duplicate").sum(),
        duplicate_cny=pl.col("amount_cny").filter(pl.col("finding") == "duplicate").sum(),
    ).collect().row(0, named=True)
    due = p["promises"] - p["pending"]
    out: dict[str, float | int] = {k: int(v) for k, v in p.items() if k != "owed_cny"}
    out["due"] = int(due)
    out["broken_rate"] = (p["broken"] + p["partial"]) / due if due else 0.0
    out["owed_cny"] = round(float(p["owed_cny"] or 0.0), 2)
    out["unpromised"] = int(f["unpromised"])
    out["unpromised_cny"] = round(float(f["unpromised_cny"] or 0.0), 2)
    out["duplicates"] = int(f["duplicates"])
    out["duplicate_cny"] = round(float(f["duplicate_cny"] or 0.0), 2)
    return out
