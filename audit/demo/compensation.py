"""Demo part 3: promises and fulfilments, with injected defects and their truth.

What the texts describe (DOMAIN.md, seeds 001/003/004): agents promise roughly a third of buyers
something (shipping refund, cash back, coupon, discount, free shipping, gift, exchange, refund);
finance, coupon and shipping systems then pay or issue it, some rows carrying the promise id,
others only the order or only the buyer. Most promises are kept; some are forgotten.

Every promise is given a *scenario* first (kept, kept_late, partial, broken, overpaid, duplicate,
split, pending, ...) and its fulfilments are drawn to realise exactly that scenario, so the truth
(``promise_truth``, ``payment_truth``) is known by construction. Accidental findings are ruled out
by design: within a shop a buyer holds at most one promise of each kind (except the planted
"two orders paid once" pair), ordinary amounts stay within the agent's cash limit, and unrelated
payments go to buyer ids that never appear in a review. The hard cases of issue 3 are planted
once each: two promises to one buyer on two orders paid once, a payment of the wrong kind, a
payment in another shop to the same buyer id, explicit links paid before the promise was logged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import polars as pl

from audit.data.schema import FULFILMENTS, NON_MONETARY_KINDS, PROMISES
from audit.demo.types import DemoPeriod, Part, World

#: Share of cases with at least one promise (DOMAIN.md: "roughly a third").
PROMISE_RATE = 0.33
#: Share of promised cases with a second promise of another kind.
SECOND_PROMISE_RATE = 0.08
KIND_WEIGHTS = {
    "shipping_refund": 0.26, "cash_back": 0.2, "coupon": 0.2, "free_shipping": 0.09,
    "discount": 0.07, "gift": 0.08, "replacement": 0.05, "refund": 0.05,
}
#: Scenario shares for promises already due at as_of (the rest: kept on time).
SCENARIOS = {
    "kept_late": 0.07, "partial": 0.04, "broken": 0.08, "overpaid": 0.03, "duplicate": 0.04,
    "split": 0.03,
}
#: How a kept promise's payment is linked: explicit promise id, order only, buyer only.
LINK_WEIGHTS = {"explicit": 0.45, "order": 0.35, "buyer": 0.2}
OVER_AUTHORITY_RATE = 0.02
CONDITIONAL_RATE = 0.05
EARLY_EXPLICIT = 6  # explicit links paid before the promise was logged
UNPROMISED_RATE = 0.03  # unrelated payments, relative to promises
_DAY = timedelta(days=1)
_REFERENCE_PREFIX = {
    "shipping_refund": "FIN", "cash_back": "FIN", "refund": "FIN", "coupon": "CPN",
    "discount": "CPN", "free_shipping": "SHP", "gift": "SHP", "replacement": "SHP",
}


@dataclass
class _Promise:
    promise_id: str
    case_id: str
    agent_id: str
    shop: str
    order: str
    buyer: str
    kind: str
    amount: float | None
    promised_at: datetime
    due_at: datetime
    conditional: bool
    limit: float
    status: str = "pending"
    flags: set[str] = field(default_factory=set)
    covered_at: datetime | None = None


@dataclass
class _Pay:
    shop: str
    order: str | None
    buyer: str
    kind: str
    amount: float | None
    executed_at: datetime
    link: str | None
    finding: str
    promise_id: str | None


def _sec(t: datetime) -> datetime:
    return t.replace(microsecond=0)


def _ceil_days(d: timedelta) -> int:
    return math.ceil(d / _DAY)


def simulate_compensation(
    rng: np.random.Generator, world: World, log: Part, period: DemoPeriod
) -> Part:
    """Promises and fulfilments with injected defects and their truth.

    Parameters
    ----------
    rng
        This part's own random stream.
    world
        Agents (``cash_limit_cny``) and items (``price_cny``).
    log
        The handling part: ``cases`` and ``reviews`` give each promise its shop, order, buyer.
    period
        Truth is stated as of ``period.as_of``; nothing is executed after it.

    Returns
    -------
    Part
        Tables ``promises`` and ``fulfilments``; truth ``promise_truth`` (promise_id, status,
        flags, days_late, days_overdue) and ``payment_truth`` (fulfilment_id, finding,
        promise_id); facts with counts per status, flag and finding and the planted cases.
    """
    as_of = period.as_of
    cases = (
        log.tables["cases"]
        .join(log.tables["reviews"].select("review_id", "shop_id", "order_id", "buyer_id",
                                           "item_id"), on="review_id")
        .join(world.items.select("item_id", "price_cny"), on="item_id", how="left")
        .join(world.agents.select("agent_id", "cash_limit_cny"), on="agent_id", how="left")
        .filter(pl.col("category") != "fraud")  # fraudsters are not paid (DOMAIN.md)
        .filter(pl.col("opened_at") <= as_of - timedelta(hours=6))
        .sort("case_id")
    )
    rows = cases.to_dicts()
    pair_buyers = (
        cases.group_by("shop_id", "buyer_id").len().filter(pl.col("len") >= 2)  # noqa: PLR2004
        .sort("shop_id", "buyer_id")
    )
    by_buyer: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        by_buyer.setdefault((r["shop_id"], r["buyer_id"]), []).append(r)

    promises: list[_Promise] = []
    pays: list[_Pay] = []
    held: set[tuple[str, str, str]] = set()  # (shop, buyer, kind) already promised
    planted: dict[str, object] = {}

    def new_promise(r: dict, kind: str, amount: float | None, promised_at: datetime,
                    due_days: int) -> _Promise:
        p = _Promise(
            promise_id=f"PR{len(promises) + 1:06d}", case_id=r["case_id"],
            agent_id=r["agent_id"], shop=r["shop_id"], order=r["order_id"], buyer=r["buyer_id"],
            kind=kind, amount=amount, promised_at=_sec(promised_at),
            due_at=_sec(promised_at + due_days * _DAY),
            conditional=bool(rng.random() < CONDITIONAL_RATE), limit=float(r["cash_limit_cny"]),
        )
        promises.append(p)
        held.add((p.shop, p.buyer, kind))
        return p

    def pay(p: _Promise, amount: float | None, t: datetime, how: str, *,
            finding: str = "matched") -> _Pay:
        f = _Pay(shop=p.shop, order=p.order if how != "buyer" else None, buyer=p.buyer,
                 kind=p.kind, amount=amount, executed_at=_sec(t),
                 link=p.promise_id if how == "explicit" else None,
                 finding=finding, promise_id=p.promise_id)
        if how == "explicit" and rng.random() < 0.3:  # noqa: PLR2004 - some links lack the order
            f.order = None
        pays.append(f)
        return f

    # --- planted hard cases (issue 3) ---------------------------------------------------------
    used_cases: set[str] = set()
    if pair_buyers.height:
        shop, buyer = pair_buyers.row(0)[:2]
        a, b = sorted(by_buyer[(shop, buyer)], key=lambda r: r["opened_at"])[:2]
        t = max(a["opened_at"], b["opened_at"]) + timedelta(hours=2)
        if t + 6 * _DAY < as_of:
            p1 = new_promise(a, "shipping_refund", 10.0, t, 5)
            p2 = new_promise(b, "shipping_refund", 10.0, t + timedelta(hours=1), 2)
            # One payment by buyer only, eligible for both: the earlier-due p2 takes it.
            f = pay(p2, 10.0, t + timedelta(hours=3), "buyer")
            p2.covered_at = f.executed_at
            planted["two_orders_paid_once"] = [p2.promise_id, p1.promise_id]
            used_cases |= {a["case_id"], b["case_id"]}
    singles = [r for r in rows if len(by_buyer[(r["shop_id"], r["buyer_id"])]) == 1]
    idx = rng.permutation(len(singles))
    pick = iter(singles[i] for i in idx.tolist())

    def next_single(min_room: timedelta) -> dict | None:
        for r in pick:
            if r["opened_at"] + min_room < as_of:
                return r
        return None

    r = next_single(10 * _DAY)
    if r is not None:  # a payment of the wrong kind on the right order
        p = new_promise(r, "shipping_refund", 10.0, r["opened_at"] + timedelta(hours=1), 2)
        wrong = _Pay(p.shop, p.order, p.buyer, "cash_back", 10.0,
                     _sec(p.promised_at + timedelta(hours=5)), None, "unpromised", None)
        pays.append(wrong)
        planted["wrong_kind"] = p.promise_id
        used_cases.add(r["case_id"])
    other_shops = sorted({x["shop_id"] for x in rows})
    r = next_single(10 * _DAY)
    if r is not None and len(other_shops) > 1:  # same buyer id, another shop
        p = new_promise(r, "coupon", 5.0, r["opened_at"] + timedelta(hours=1), 3)
        elsewhere = next(s for s in other_shops if s != p.shop)
        pays.append(_Pay(elsewhere, None, p.buyer, "coupon", 5.0,
                         _sec(p.promised_at + timedelta(hours=6)), None, "unpromised", None))
        planted["other_shop_same_buyer"] = p.promise_id
        used_cases.add(r["case_id"])
    early = []
    for _ in range(EARLY_EXPLICIT):  # paid first, logged later: the explicit link still counts
        r = next_single(10 * _DAY)
        if r is None:
            break
        p = new_promise(r, "cash_back", 5.0, r["opened_at"] + timedelta(hours=20), 3)
        f = pay(p, 5.0, p.promised_at - timedelta(hours=float(rng.uniform(1, 12))), "explicit")
        p.covered_at = f.executed_at
        early.append(p.promise_id)
        used_cases.add(r["case_id"])
    planted["explicit_paid_before_logged"] = early

    # --- the planted agents of issue 13 -------------------------------------------------------
    # The agent with the most cases pays only after the review changed, never otherwise, and
    # never ticks conditional_on_review; the next one forgets 40 % of their promises (paid ones
    # on time, as usual). Chosen without drawing from rng, so the other streams stay put.
    changed = _review_changes(log, as_of)
    per_agent: dict[str, int] = {}
    for r in rows:
        per_agent[r["agent_id"]] = per_agent.get(r["agent_id"], 0) + 1
    ranked = sorted(per_agent, key=lambda a: (-per_agent[a], a))
    hidden = ranked[0] if ranked else None
    forgetful = ranked[1] if len(ranked) > 1 else None
    planted["hidden_conditional_agent_ids"] = [hidden] if hidden else []
    planted["forgetful_agent_ids"] = [forgetful] if forgetful else []

    def realise(p: _Promise, scenario: str, how: str) -> None:
        if p.agent_id == hidden:
            p.conditional = False  # never declared
            c = changed.get(p.case_id)
            if c is None:
                return  # no change, no money: broken (or pending)
            t = max(c, p.promised_at) + timedelta(seconds=float(rng.uniform(7200, 2 * 86400)))
            if t <= as_of - timedelta(minutes=1):
                p.covered_at = pay(p, p.amount, t, how).executed_at
            return
        if p.agent_id == forgetful and p.due_at <= as_of and rng.random() < 0.4:  # noqa: PLR2004
            return  # forgotten: broken
        _realise(rng, p, scenario, how, as_of, pay)

    # --- ordinary promises --------------------------------------------------------------------
    kinds = list(KIND_WEIGHTS)
    kind_p = np.array(list(KIND_WEIGHTS.values()))
    scen_names = [*SCENARIOS, "kept"]
    scen_p = np.array([*SCENARIOS.values(), 1 - sum(SCENARIOS.values())])
    link_names = list(LINK_WEIGHTS)
    link_p = np.array(list(LINK_WEIGHTS.values()))
    for r in rows:
        if r["case_id"] in used_cases or rng.random() >= PROMISE_RATE:
            continue
        n_promises = 2 if rng.random() < SECOND_PROMISE_RATE else 1
        t = r["opened_at"] + timedelta(hours=float(rng.uniform(0.5, 36)))
        t = _sec(min(t, as_of - timedelta(hours=2)))
        for _ in range(n_promises):
            kind = str(rng.choice(kinds, p=kind_p))
            if (r["shop_id"], r["buyer_id"], kind) in held:
                continue
            amount = _amount(rng, kind, r["price_cny"], r["cash_limit_cny"])
            if amount is not None and amount > r["cash_limit_cny"]:
                kind, amount = "coupon", 5.0  # ordinary promises stay within authority
                if (r["shop_id"], r["buyer_id"], kind) in held:
                    continue
            if amount is not None and rng.random() < OVER_AUTHORITY_RATE:
                amount = float(r["cash_limit_cny"] + rng.choice([5.0, 10.0, 20.0]))
            p = new_promise(r, kind, amount, t, int(rng.integers(1, 8)))
            realise(p, str(rng.choice(scen_names, p=scen_p)),
                    str(rng.choice(link_names, p=link_p)))

    # --- unrelated money out: buyers that never reviewed -------------------------------------
    n_un = max(3, round(UNPROMISED_RATE * len(promises)))
    start = datetime.combine(period.start, datetime.min.time())
    span = (as_of - start).total_seconds()
    shops = sorted({x["shop_id"] for x in rows}) or list(world.shops)
    for i in range(n_un):
        kind = str(rng.choice(["cash_back", "coupon", "shipping_refund", "refund"]))
        pays.append(_Pay(
            shops[int(rng.integers(0, len(shops)))],
            f"9{int(rng.integers(10**10, 10**11))}{i:04d}" if rng.random() < 0.5 else None,  # noqa: PLR2004
            f"tb_u{int(rng.integers(10**7, 10**8))}{i:03d}", kind,
            float(rng.choice([5.0, 8.0, 10.0, 15.0, 20.0, 39.9])),
            _sec(start + timedelta(seconds=float(rng.uniform(0, span - 60)))),
            None, "unpromised", None,
        ))

    return _assemble(promises, pays, as_of, planted, changed)


def _review_changes(log: Part, as_of: datetime) -> dict[str, datetime]:
    """Per case, the first instant its review was revised to positive or removed (issue 13).

    The rule of ``audit.promises.behaviour.review_changes`` restated in plain Python (within the
    30-day revision window, at or before ``as_of``), so the truth does not borrow the code it
    checks.
    """
    reviews = {r["review_id"]: r for r in log.tables["reviews"].select(
        "review_id", "reviewed_at", "revised_rating", "revised_at", "removed_at").to_dicts()}
    out: dict[str, datetime] = {}
    for c in log.tables["cases"].select("case_id", "review_id").to_dicts():
        r = reviews.get(c["review_id"])
        if r is None:
            continue
        deadline = r["reviewed_at"] + 30 * _DAY
        times = [t for t, ok in ((r["revised_at"], r["revised_rating"] == "positive"),
                                 (r["removed_at"], True))
                 if ok and t is not None and t <= deadline and t <= as_of]
        if times:
            out[c["case_id"]] = min(times)
    return out


def _amount(rng: np.random.Generator, kind: str, price: float | None, limit: float) -> float | None:
    """Draw a realistic amount for ``kind`` (DOMAIN.md); None for non-monetary kinds."""
    if kind in NON_MONETARY_KINDS:
        return None
    if kind == "shipping_refund":
        return float(rng.choice([10.0, 10.0, 10.0, 8.0, 12.0]))
    if kind in ("cash_back", "coupon"):
        return float(rng.choice([5.0, 8.0, 10.0]))
    price = float(price or 50.0)
    if kind == "discount":  # VIP 9折 at most: 10% of the price
        return max(1.0, round(price * 0.1, 1))
    return price if price <= limit else round(limit * 0.5, 1)  # refund: the item price


def _realise(rng: np.random.Generator, p: _Promise, scenario: str, how: str,
             as_of: datetime, pay) -> None:
    """Draw ``p``'s fulfilments so that its status and flags are exactly ``scenario``'s."""
    monetary = p.amount is not None
    if p.due_at > as_of:  # not yet due: mostly still open, some already kept
        if rng.random() < 0.6:  # noqa: PLR2004
            return
        scenario = "kept"
    if not monetary and scenario in ("partial", "overpaid", "split"):
        scenario = "kept"
    window = (min(p.due_at, as_of) - p.promised_at).total_seconds()

    def on_time() -> datetime:
        return p.promised_at + timedelta(seconds=float(rng.uniform(60, max(61.0, window - 60))))

    if scenario == "broken":
        return
    if scenario == "kept_late":
        latest = (as_of - p.due_at).total_seconds() - 60
        if latest <= 3600:  # noqa: PLR2004 - no room to be late before as_of: keep it on time
            scenario = "kept"
        else:
            t = p.due_at + timedelta(seconds=float(rng.uniform(3600, min(latest, 12 * 86400))))
            p.covered_at = pay(p, p.amount, t, how).executed_at
            return
    if scenario == "partial":
        pay(p, round(p.amount * float(rng.choice([0.3, 0.5])), 1), on_time(), how)
        return
    if scenario == "split":  # two instalments that add up to the amount, both on time
        first = round(p.amount / 2, 1)
        t1, t2 = sorted([on_time(), on_time()])
        pay(p, first, t1, how)
        p.covered_at = pay(p, round(p.amount - first, 1), t2, how).executed_at
        return
    if scenario == "duplicate" and how == "buyer":
        # A duplicate repeats the order; a buyer-only original would lose to it at the order
        # level (levels run in order), so the original names the order too.
        how = "order"
    amount = p.amount
    if scenario == "overpaid":
        amount = p.amount + float(rng.choice([2.0, 5.0, 10.0]))
    f = pay(p, amount if monetary else None, on_time(), how)
    p.covered_at = f.executed_at
    if scenario == "duplicate":
        room = (as_of - f.executed_at).total_seconds() - 60
        if room > 3600:  # noqa: PLR2004
            t = f.executed_at + timedelta(seconds=float(rng.uniform(3600, min(room, 5 * 86400))))
            pay(p, amount if monetary else None, t, how, finding="duplicate")


def _assemble(promises: list[_Promise], pays: list[_Pay], as_of: datetime,
              planted: dict[str, object], changed: dict[str, datetime]) -> Part:
    """Tables and truth from the realised scenarios."""
    pays = sorted(pays, key=lambda f: (f.executed_at, f.shop, f.buyer, f.kind))
    fids = [f"FF{i + 1:06d}" for i in range(len(pays))]
    by_promise: dict[str, list[_Pay]] = {}
    for f in pays:
        if f.promise_id is not None:
            by_promise.setdefault(f.promise_id, []).append(f)
    truth_p = []
    for p in promises:
        got = [f for f in by_promise.get(p.promise_id, []) if f.finding == "matched"]
        paid = sum(f.amount or 0.0 for f in got)
        days_late = days_overdue = None
        if p.covered_at is not None:
            status = "kept" if p.covered_at <= p.due_at else "kept_late"
            if status == "kept_late":
                days_late = _ceil_days(p.covered_at - p.due_at)
        elif p.due_at <= as_of:
            status = "partial" if got else "broken"
            days_overdue = _ceil_days(as_of - p.due_at)
        else:
            status = "pending"
        flags = set()
        if p.conditional:
            flags.add("conditional_on_review")
        if p.amount is not None and p.amount > p.limit:
            flags.add("over_authority")
        if p.amount is not None and paid > p.amount + 0.005:  # noqa: PLR2004 - half a fen
            flags.add("overpaid")
        if any(f.finding == "duplicate" for f in by_promise.get(p.promise_id, [])):
            flags.add("duplicate_payment")
        changed_at = changed.get(p.case_id)
        if got and changed_at is not None and min(f.executed_at for f in got) >= changed_at:
            flags.add("paid_after_review_change")
        truth_p.append({"promise_id": p.promise_id, "status": status,
                        "flags": ";".join(sorted(flags)), "days_late": days_late,
                        "days_overdue": days_overdue})
    promises_df = pl.DataFrame(
        [{"promise_id": p.promise_id, "case_id": p.case_id, "agent_id": p.agent_id,
          "kind": p.kind, "amount_cny": p.amount, "promised_at": p.promised_at,
          "due_at": p.due_at, "conditional_on_review": p.conditional} for p in promises],
        schema=PROMISES.schema,
    )
    fulfilments_df = pl.DataFrame(
        [{"fulfilment_id": fid, "shop_id": f.shop, "order_id": f.order, "buyer_id": f.buyer,
          "kind": f.kind, "amount_cny": f.amount, "executed_at": f.executed_at,
          "reference": f"{_REFERENCE_PREFIX[f.kind]}-{fid[2:]}", "promise_id": f.link}
         for fid, f in zip(fids, pays, strict=True)],
        schema=FULFILMENTS.schema,
    )
    promise_truth = pl.DataFrame(
        truth_p, schema={"promise_id": pl.String, "status": pl.String, "flags": pl.String,
                         "days_late": pl.Int64, "days_overdue": pl.Int64},
    )
    payment_truth = pl.DataFrame(
        [{"fulfilment_id": fid, "finding": f.finding, "promise_id": f.promise_id}
         for fid, f in zip(fids, pays, strict=True)],
        schema={"fulfilment_id": pl.String, "finding": pl.String, "promise_id": pl.String},
    )
    facts = {
        "promises": promises_df.height,
        "fulfilments": fulfilments_df.height,
        "status_counts": dict(sorted(promise_truth["status"].value_counts().iter_rows())),
        "finding_counts": dict(sorted(payment_truth["finding"].value_counts().iter_rows())),
        "flag_counts": {
            flag: int(promise_truth["flags"].str.contains(flag).sum())
            for flag in ("conditional_on_review", "duplicate_payment", "over_authority",
                         "overpaid", "paid_after_review_change")
        },
        "planted": planted,
    }
    return Part(tables={"promises": promises_df, "fulfilments": fulfilments_df},
                truth={"promise_truth": promise_truth, "payment_truth": payment_truth},
                facts=facts)
