"""Hand-built inputs and an independent, plain-Python version of the issue-3 rules.

The reference below is written the simple way (nested loops over a few rows, no polars) straight
from the issue text, so the vectorised ``audit.promises.analysis`` can be checked against it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import polars as pl

from audit.data.schema import NON_MONETARY_KINDS, empty_frame

T0 = datetime(2026, 10, 1)
EPS = 0.005


def at(hours: float) -> datetime:
    """``T0`` plus ``hours``."""
    return T0 + timedelta(hours=hours)


@dataclass
class P:
    promise_id: str
    shop: str
    order: str
    buyer: str
    kind: str
    amount: float | None
    promised_at: datetime
    due_at: datetime
    cond: bool = False
    agent: str = "A1"


@dataclass
class F:
    fulfilment_id: str
    shop: str
    order: str | None
    buyer: str
    kind: str
    amount: float | None
    executed_at: datetime
    link: str | None = None


@dataclass
class Inputs:
    promises: pl.DataFrame
    fulfilments: pl.DataFrame
    cases: pl.DataFrame
    reviews: pl.DataFrame
    agents: pl.DataFrame

    def lazy(self) -> dict[str, pl.LazyFrame]:
        return {k: getattr(self, k).lazy() for k in
                ("promises", "fulfilments", "cases", "reviews", "agents")}


def build(ps: list[P], fs: list[F], limits: dict[str, float] | None = None) -> Inputs:
    """Canonical frames for promises ``ps`` and fulfilments ``fs`` (one case+review per promise)."""
    limits = limits or {"A1": 50.0}
    promises = pl.DataFrame(
        [{"promise_id": p.promise_id, "case_id": f"C-{p.promise_id}", "agent_id": p.agent,
          "kind": p.kind, "amount_cny": p.amount, "promised_at": p.promised_at,
          "due_at": p.due_at, "conditional_on_review": p.cond} for p in ps],
        schema=empty_frame("promises").schema,
    )
    cases = pl.DataFrame(
        [{"case_id": f"C-{p.promise_id}", "review_id": f"R-{p.promise_id}", "agent_id": p.agent,
          "category": "logistics", "opened_at": p.promised_at, "closed_at": None,
          "outcome": "open"} for p in ps],
        schema=empty_frame("cases").schema,
    )
    reviews = pl.DataFrame(
        [{"review_id": f"R-{p.promise_id}", "shop_id": p.shop, "order_id": p.order,
          "item_id": "I1", "buyer_id": p.buyer, "rating": "negative",
          "reviewed_at": p.promised_at} for p in ps],
        schema=empty_frame("reviews").schema,
    )
    fulfilments = pl.DataFrame(
        [{"fulfilment_id": f.fulfilment_id, "shop_id": f.shop, "order_id": f.order,
          "buyer_id": f.buyer, "kind": f.kind, "amount_cny": f.amount,
          "executed_at": f.executed_at, "reference": None, "promise_id": f.link} for f in fs],
        schema=empty_frame("fulfilments").schema,
    )
    agents = pl.DataFrame(
        [{"agent_id": a, "agent_name": a, "level": "senior", "joined_on": T0.date(),
          "cash_limit_cny": lim} for a, lim in sorted(limits.items())],
        schema=empty_frame("agents").schema,
    )
    return Inputs(promises, fulfilments, cases, reviews, agents)


@dataclass
class Ref:
    status: dict[str, str] = field(default_factory=dict)
    flags: dict[str, str] = field(default_factory=dict)
    covered: dict[str, float] = field(default_factory=dict)
    days_late: dict[str, int | None] = field(default_factory=dict)
    days_overdue: dict[str, int | None] = field(default_factory=dict)
    finding: dict[str, str] = field(default_factory=dict)
    promise_of: dict[str, str | None] = field(default_factory=dict)


def _ceil_days(d: timedelta) -> int:
    return math.ceil(d / timedelta(days=1))


def reference(ps: list[P], fs: list[F], as_of: datetime,
              limits: dict[str, float] | None = None) -> Ref:
    """The issue-3 rules, one loop at a time."""
    limits = limits or {"A1": 50.0}
    ps = sorted((p for p in ps if p.promised_at <= as_of),
                key=lambda p: (p.due_at, p.promised_at, p.promise_id))
    fs = sorted((f for f in fs if f.executed_at <= as_of),
                key=lambda f: (f.executed_at, f.fulfilment_id))

    def target(p: P) -> float | None:
        if p.kind in NON_MONETARY_KINDS or p.amount is None or p.amount <= 0:
            return None
        return p.amount

    got: dict[str, list[F]] = {p.promise_id: [] for p in ps}
    used: set[str] = set()

    def done(p: P) -> bool:
        t = target(p)
        if t is None:
            return len(got[p.promise_id]) > 0
        return sum(f.amount or 0.0 for f in got[p.promise_id]) >= t - EPS

    for level in ("explicit", "order", "buyer"):
        for p in ps:
            for f in fs:
                if done(p):
                    break
                if f.fulfilment_id in used or f.shop != p.shop or f.kind != p.kind:
                    continue
                if level == "explicit":
                    ok = f.link == p.promise_id
                elif level == "order":
                    ok = (f.order is not None and f.order == p.order
                          and f.executed_at >= p.promised_at)
                else:
                    ok = f.buyer == p.buyer and f.executed_at >= p.promised_at
                if ok:
                    got[p.promise_id].append(f)
                    used.add(f.fulfilment_id)

    covered_at: dict[str, datetime | None] = {}
    for p in ps:
        t, run, when = target(p), 0.0, None
        for f in sorted(got[p.promise_id], key=lambda f: (f.executed_at, f.fulfilment_id)):
            run += f.amount or 0.0
            if (t is None) or run >= t - EPS:
                when = f.executed_at
                break
        covered_at[p.promise_id] = when

    ref = Ref()
    dup_of: dict[str, str] = {}
    for f in fs:
        if f.fulfilment_id in used:
            continue
        hit = None
        for p in ps:  # explicit link to a covered promise first
            if (f.link == p.promise_id and covered_at[p.promise_id] is not None
                    and f.shop == p.shop and f.kind == p.kind):
                hit = p.promise_id
        if hit is None:
            for p in ps:  # in due order: the first covered promise of the same order and kind
                ca = covered_at[p.promise_id]
                if (ca is not None and f.order is not None and f.order == p.order
                        and f.shop == p.shop and f.kind == p.kind and f.executed_at >= ca):
                    hit = p.promise_id
                    break
        if hit is not None:
            dup_of[f.fulfilment_id] = hit

    for f in fs:
        pid = next((p.promise_id for p in ps if f in got[p.promise_id]), None)
        if pid is not None:
            ref.finding[f.fulfilment_id], ref.promise_of[f.fulfilment_id] = "matched", pid
        elif f.fulfilment_id in dup_of:
            ref.finding[f.fulfilment_id] = "duplicate"
            ref.promise_of[f.fulfilment_id] = dup_of[f.fulfilment_id]
        else:
            ref.finding[f.fulfilment_id], ref.promise_of[f.fulfilment_id] = "unpromised", None

    for p in ps:
        pid, ca = p.promise_id, covered_at[p.promise_id]
        cov = sum(f.amount or 0.0 for f in got[pid])
        ref.covered[pid] = cov
        ref.days_late[pid] = ref.days_overdue[pid] = None
        if ca is not None and ca <= p.due_at:
            st = "kept"
        elif ca is not None:
            st = "kept_late"
            ref.days_late[pid] = _ceil_days(ca - p.due_at)
        elif p.due_at <= as_of:
            st = "partial" if got[pid] else "broken"
            ref.days_overdue[pid] = _ceil_days(as_of - p.due_at)
        else:
            st = "pending"
        ref.status[pid] = st
        flags = []
        if p.cond:
            flags.append("conditional_on_review")
        if pid in dup_of.values():
            flags.append("duplicate_payment")
        if p.amount is not None and p.amount > limits[p.agent]:
            flags.append("over_authority")
        t = target(p)
        if t is not None and cov > t + EPS:
            flags.append("overpaid")
        ref.flags[pid] = ";".join(sorted(flags))
    return ref
