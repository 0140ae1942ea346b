"""Demo part 2: reviews, cases and contacts, with injected protocol defects and their truth.

The model follows DOMAIN.md (seeds 000-004); docs/demo.md states every number.

- Reviews arrive per shop and day (Poisson, ~700 neutral/negative per shop and month, weekly
  rhythm), land on items in proportion to popularity, and carry a category (logistics most
  common ... a little fraud). One power-cut burst: 3 days at ~4x the daily volume.
- Every review gets one case, opened by the intake person within minutes (night reviews the
  next morning), assigned by tier: novices take novice/logistics cases only, seniors anything.
- Contacts follow the protocol: shop IM, private IM, SMS, phone only once a message has gone
  unanswered for more than 48 h; 1-5 attempts; the first reached attempt ends the sequence.
- A reached buyer revises or removes the review with probability base(category) x agent skill x
  exp(-delay to first contact / 6 days), always within the 30-day window.
- ~60% of reviews get a public explanation, explained_at = reviewed_at + U(0, 2 days) for half of
  them and U(3, 12 days) for the rest, independent of outcome and sales (the impact analysis
  relies on this).
- Defects (docs/interfaces.md definitions) are injected into disjoint case sets and written to
  ``truth/protocol_breaches.csv`` and ``truth/unverified_claims.csv``. The normal model cannot
  produce any of them, so the truth is complete in both directions.

All times are whole seconds (the CSV format), nothing happens after ``period.as_of``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

from audit.data.schema import CASES, CATEGORIES, CONTACTS, REVIEWS, SENIOR_ONLY_CATEGORIES
from audit.demo import handling_defects as defects
from audit.demo import text
from audit.demo.season import season_factor
from audit.demo.types import DemoPeriod, Part, World
from audit.demo.world import BAD_ITEM_EXTRA, DRIFT_FLOOR, DRIFT_PER_MONTH

#: Neutral/negative reviews per shop per 30.4-day month.
REVIEWS_PER_SHOP_MONTH = 700.0
#: Category mix of normal days (order of audit.data.schema.CATEGORIES).
CATEGORY_MIX = {
    "novice": 0.12,
    "logistics": 0.32,
    "service": 0.14,
    "quality": 0.21,
    "fraud": 0.03,
    "wrong_item": 0.08,
    "buyer": 0.10,
}
#: Mix of the extra reviews of the power-cut burst: goods not shipped for days.
BURST_MIX = {"logistics": 0.6, "service": 0.4}
BURST_DAYS = 3
BURST_FACTOR = 4.0
#: Share of negative (vs neutral) ratings by category.
NEGATIVE_SHARE = {
    "novice": 0.1,
    "logistics": 0.6,
    "service": 0.7,
    "quality": 0.75,
    "fraud": 1.0,
    "wrong_item": 0.7,
    "buyer": 0.55,
}
#: Probability that a reached buyer revises/removes, before skill and delay.
RESOLVE_BASE = {
    "novice": 0.92,
    "logistics": 0.8,
    "service": 0.6,
    "quality": 0.45,
    "fraud": 0.02,
    "wrong_item": 0.75,
    "buyer": 0.55,
}
#: Delay decay of the resolve probability (days to first contact).
RESOLVE_DECAY_DAYS = 6.0
#: Reach probability per attempt, by channel of the planned attempt sequence.
PLAN_CHANNELS = ("shop_im", "private_im", "sms", "phone", "phone")
REACH = (0.5, 0.35, 0.3, 0.65, 0.6)
MAX_ATTEMPTS_P = (0.15, 0.25, 0.25, 0.2, 0.15)
#: Share of revisions that are removals instead.
REMOVE_SHARE = 0.3
EXPLAINED_SHARE = 0.6
#: Injection rates (share of all cases), and unverified-claim settings.
INJECT = {
    "phone_too_early": 0.025,
    "too_many_attempts": 0.025,
    "multiple_agents": 0.02,
    "novice_on_senior_category": 0.03,
    "explanation_late": 0.025,
    "explanation_too_long": 0.025,
}
REPEAT_BUYER_PAIRS_PER_SHOP = 5
CLAIM_RATE = 0.35

H = defects.H
D = defects.D
_HOUR_WEIGHTS = np.array(
    [2, 1, 1, 0.5, 0.5, 0.5, 1, 2, 4, 5, 6, 6, 7, 6, 6, 6, 6, 6, 7, 8, 9, 10, 8, 4], dtype=float
)
_DOW = np.array([1.15, 1.05, 1.0, 0.95, 0.95, 0.9, 1.0])  # Monday .. Sunday
_EPOCH = datetime(1970, 1, 1)


def _secs(d: date | datetime) -> int:
    if not isinstance(d, datetime):
        d = datetime(d.year, d.month, d.day)
    return int((d - _EPOCH).total_seconds())


def _to_dt(s: np.ndarray) -> pl.Series:
    """Seconds since 1970 (NaN/-1 -> null) to a Datetime("us") series."""
    v = pl.DataFrame({"v": np.asarray(s, dtype=np.int64) * 1_000_000})
    return v.select(pl.when(pl.col("v") >= 0).then(pl.col("v")).cast(pl.Datetime("us"))).to_series()


def simulate_handling(rng: np.random.Generator, world: World, period: DemoPeriod) -> Part:
    """Reviews, cases and contacts with injected protocol defects.

    Parameters
    ----------
    rng
        The handling part's own random stream.
    world
        Shops, agents (with ``truth["agents"]`` skills) and items.
    period
        The calendar; reviews arrive from ``period.start`` to ``period.export_date``.

    Returns
    -------
    Part with tables ``reviews``, ``cases``, ``contacts`` (canonical schemas; one case per
    review, time-ordered ids), truth ``protocol_breaches`` and ``unverified_claims``, and facts
    (volumes, burst days, resolved rates by category, defect counts).

    Examples
    --------
    >>> import numpy as np
    >>> from audit.demo import DemoSpec
    >>> from audit.demo.world import build_world
    >>> period = DemoSpec(months=1, shops=1).period()
    >>> w = build_world(np.random.default_rng([1, 1]), shops=1, period=period)
    >>> log = simulate_handling(np.random.default_rng([1, 2]), w, period)
    >>> sorted(log.tables), sorted(log.truth)
    (['cases', 'contacts', 'reviews'], ['protocol_breaches', 'unverified_claims'])
    >>> log.tables["cases"].height == log.tables["reviews"].height
    True
    """
    as_of = _secs(period.as_of.replace(microsecond=0))
    rv = _arrivals(rng, world, period)
    n = rv["t"].size
    t, cat = rv["t"], rv["cat"]
    team = world.truth["agents"].sort("agent_id")
    agent_ids = np.array(team["agent_id"].to_list())
    agent, routed = _assign(rng, cat, rv["burst"], team)
    skill = _skill_now(team["skill"].to_numpy()[agent],
                       agent_ids[agent] == world.drifting_agent, t, period)

    opened = _intake(rng, t, rv["burst"], as_of)
    t0, plan, n_planned, j_reached = _contact_plan(rng, t, cat, opened)
    reached_any = j_reached >= 0
    t_reached = np.where(reached_any, plan[np.arange(n), np.maximum(j_reached, 0)], -1)
    t_last = plan[np.arange(n), n_planned - 1]

    # Outcome of a reached buyer: revise/remove within the 30-day window, or refuse.
    p_resolve = np.minimum(
        0.97,
        np.array([RESOLVE_BASE[c] for c in CATEGORIES])[cat]
        * skill
        * np.exp(-((t0 - t) / D) / RESOLVE_DECAY_DAYS)
        * 0.92 ** np.maximum(j_reached, 0),
    )
    t_resolve = t_reached + np.maximum(rng.lognormal(np.log(D), 1.0, n), 600).astype(np.int64)
    resolves = (
        reached_any
        & (rng.random(n) < p_resolve)
        & ~rv["bad_extra"]  # a faulty product's complaints are not talked away
        & (t_resolve <= t + 30 * D - H)  # a few buyers agree but never get round to it
        & (t_resolve <= as_of)
    )
    removed = resolves & (rng.random(n) < REMOVE_SHARE)
    revised = resolves & ~removed
    closed = np.where(
        resolves,
        t_resolve + rng.integers(5 * 60, 6 * H, n),
        np.where(
            reached_any, t_reached + rng.integers(H, 2 * D, n), t_last + rng.integers(D, 3 * D, n)
        ),
    )

    # Explanations: independent of everything above (the impact analysis relies on it).
    explained_at, late = _explanations(rng, t, as_of)
    explained_at[rv["bad_extra"] & ~np.isin(np.arange(n), late)] = -1
    has_expl = explained_at >= 0
    too_long = defects.pick(rng, np.flatnonzero(has_expl), INJECT["explanation_too_long"] * n)

    outcome = np.where(removed, "removed", "revised").astype("<U11")
    outcome[~resolves] = np.where(reached_any[~resolves], "refused", "unreachable")
    outcome[~resolves & has_expl & (explained_at <= closed)] = "explained"
    open_ = closed > as_of
    outcome[open_] = "open"

    # The contact log up to as_of, then the contact defects on disjoint sets of closed cases.
    case_idx, att = np.nonzero(np.arange(5)[None, :] < n_planned[:, None])
    log = defects.Contacts(
        case_idx,
        att,
        plan[case_idx, att],
        np.array(PLAN_CHANNELS)[att].astype("<U10"),
        att == j_reached[case_idx],
        agent[case_idx],
    )
    log = defects.Contacts(*(a[log.time <= as_of] for a in log))
    closed_ok = ~open_ & (np.bincount(log.case, minlength=n) >= 1)
    used = np.zeros(n, bool)
    early = defects.pick(rng, np.flatnonzero(closed_ok), INJECT["phone_too_early"] * n)
    used[early] = True
    log = defects.phone_first(log, early)
    pool = np.flatnonzero(closed_ok & ~used & ~reached_any & (t0 + 6 * D <= as_of))
    many = defects.pick(rng, pool, INJECT["too_many_attempts"] * n)
    used[many] = True
    extra, last = defects.many_messages(rng, many, t0, agent)
    log = log.without(many).plus(extra)
    closed[many] = np.minimum(np.maximum(closed[many], last + D), as_of)
    n_contacts = np.bincount(log.case, minlength=n)
    pool = np.flatnonzero(closed_ok & ~used & (n_contacts <= 4))
    second = defects.pick(rng, pool, INJECT["multiple_agents"] * n)
    used[second] = True
    log = log.plus(
        defects.second_agent(
            rng, second, agent=agent, n_agents=agent_ids.size, t0=t0, closed=closed
        )
    )
    buyer = _buyer_ids(rng, n)
    pairs = defects.repeat_buyer_pairs(
        rng,
        rv["shop"],
        agent,
        closed_ok & ~used,
        shops=len(world.shops),
        per_shop=REPEAT_BUYER_PAIRS_PER_SHOP,
    )
    for a, b in pairs:
        buyer[b] = buyer[a]
    paired = np.array(sorted(i for p in pairs for i in p), dtype=np.int64)

    # Unverified claims: two agents log revised/removed where the review shows neither.
    claim = (
        np.isin(agent, defects.liars(rng, team))
        & np.isin(outcome, ["refused", "unreachable", "explained"])
        & (rng.random(n) < CLAIM_RATE)
    )
    claimed = np.where(rng.random(n) < 0.75, "revised", "removed")
    outcome[claim] = claimed[claim]

    # Text.
    cat_names = np.array(CATEGORIES)[cat]
    ratings = np.where(rv["negative"], "negative", "neutral")
    nouns = world.items["product"].to_numpy()[rv["item"]]
    review_text = text.review_texts(rng, cat_names.tolist(), ratings.tolist(), nouns.tolist())
    long_mask = np.isin(np.arange(n), too_long)
    expl_text = text.explanation_texts(rng, cat_names.tolist(), too_long=long_mask.tolist())

    review_ids = np.array([f"R{i + 1:06d}" for i in range(n)])
    case_ids = np.array([f"C{i + 1:06d}" for i in range(n)])
    reviews = pl.DataFrame(
        {
            "review_id": review_ids,
            "shop_id": np.array(world.shops)[rv["shop"]],
            "order_id": [
                f"{a}{i:06d}" for i, a in enumerate(rng.integers(10**11, 10**12, n).tolist())
            ],
            "item_id": world.items["item_id"].to_numpy()[rv["item"]],
            "buyer_id": buyer,
            "rating": ratings,
            "review_text": review_text,
            "reviewed_at": _to_dt(t),
            "explanation_text": [
                x if e else None for x, e in zip(expl_text, has_expl.tolist(), strict=True)
            ],
            "explained_at": _to_dt(explained_at),
            "revised_rating": ["positive" if r else None for r in revised.tolist()],
            "revised_at": _to_dt(np.where(revised, t_resolve, -1)),
            "removed_at": _to_dt(np.where(removed, t_resolve, -1)),
        },
        schema=REVIEWS.schema,
    )
    cases = pl.DataFrame(
        {
            "case_id": case_ids,
            "review_id": review_ids,
            "agent_id": agent_ids[agent],
            "category": cat_names,
            "opened_at": _to_dt(opened),
            "closed_at": _to_dt(np.where(open_, -1, closed)),
            "outcome": outcome,
        },
        schema=CASES.schema,
    )
    order = np.lexsort((log.attempt, log.case, log.time))
    contacts = pl.DataFrame(
        {
            "contact_id": [f"K{i + 1:07d}" for i in range(order.size)],
            "case_id": case_ids[log.case[order]],
            "agent_id": agent_ids[log.agent[order]],
            "channel": log.channel[order],
            "contacted_at": _to_dt(log.time[order]),
            "reached": log.reached[order],
        },
        schema=CONTACTS.schema,
    )
    breaches = pl.concat(
        [
            defects.truth_rows(case_ids, agent_ids, agent, idx, check)
            for check, idx in (
                ("phone_too_early", early),
                ("multiple_agents", np.union1d(second, paired)),
                ("too_many_attempts", many),
                ("novice_on_senior_category", routed),
                ("explanation_late", late),
                ("explanation_too_long", too_long),
            )
        ]
    ).sort("case_id", "check")
    claims = pl.DataFrame(
        {
            "case_id": case_ids[claim],
            "agent_id": agent_ids[agent[claim]],
            "claimed_outcome": outcome[claim],
        },
        schema={"case_id": pl.String, "agent_id": pl.String, "claimed_outcome": pl.String},
    )
    facts = _facts(reviews, cases, period, rv["burst_days"], breaches, claims)
    return Part(
        tables={"reviews": reviews, "cases": cases, "contacts": contacts},
        truth={"protocol_breaches": breaches, "unverified_claims": claims},
        facts=facts,
    )


def _assign(
    rng: np.random.Generator, cat: np.ndarray, burst: np.ndarray, team: pl.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Agent index per case by tier, and the cases routed to novices against the tiering.

    Novice and logistics cases go to anyone, the rest to seniors only; each agent has a load
    weight (novices 1.3, the lead 0.4). Injected ``novice_on_senior_category``: a few percent of
    service/quality/fraud cases go to a novice (never the easy-mix novice), five times as
    likely on burst days (seed 001: novices drafted in during the power-cut week).
    """
    n = cat.size
    is_novice = team["level"].to_numpy() == "novice"
    weights = rng.uniform(0.8, 1.2, is_novice.size) * np.where(is_novice, 1.3, 1.0)
    weights[0] *= 0.4  # the team lead (A01) takes fewer cases
    easy = np.isin(cat, [CATEGORIES.index("novice"), CATEGORIES.index("logistics")])
    agent = np.where(
        easy,
        rng.choice(weights.size, n, p=weights / weights.sum()),
        rng.choice(
            weights.size, n, p=np.where(is_novice, 0.0, weights) / weights[~is_novice].sum()
        ),
    )
    hard = np.flatnonzero(np.isin(cat, [CATEGORIES.index(c) for c in SENIOR_ONLY_CATEGORIES]))
    routed = defects.pick(
        rng, hard, INJECT["novice_on_senior_category"] * n, weights=1 + 4 * burst[hard]
    )
    novices = np.flatnonzero(is_novice & ~team["is_easy_mix_novice"].to_numpy())
    agent[routed] = rng.choice(novices, routed.size)
    return agent, routed


def _intake(rng: np.random.Generator, t: np.ndarray, burst: np.ndarray, as_of: int) -> np.ndarray:
    """Open each case minutes after its review (08:00-23:00), else at 08:00; burst backlog.

    Returns opened_at in seconds, never after ``as_of``.
    """
    n = t.size
    hour = (t % D) // H
    night_open = (t // D + (hour >= 23)) * D + 8 * H + rng.integers(0, 90 * 60, n)
    day_open = t + np.minimum(rng.lognormal(np.log(20 * 60), 0.8, n), 4 * H).astype(np.int64)
    opened = np.where((hour >= 23) | (hour < 8), night_open, day_open)
    opened += np.where(burst, rng.integers(0, 2 * D, n), 0)
    return np.minimum(opened, as_of)


def _contact_plan(
    rng: np.random.Generator, t: np.ndarray, cat: np.ndarray, opened: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Five planned attempts per case and which of them happen and reach the buyer.

    Channels shop IM, private IM, SMS, phone, phone; the first phone call comes at least 50 h
    after the (unanswered) shop IM, so the protocol's 48 h rule holds. Messages are sent
    09:00-22:00.
    The buyer is reached with a channel-specific probability that decays with the time since the
    review; the first reached attempt ends the sequence; agents give up after 1-5 attempts.

    Returns t0 (first attempt), plan (n x 5 times), attempts made, index of the reached
    attempt (-1: none).
    """
    n = t.size
    buyer_cat = cat == CATEGORIES.index("buyer")
    next_day = (t // D + 1) * D + 10 * H + rng.integers(0, 10 * H, n)  # mood: contact next day
    soon = opened + np.minimum(rng.lognormal(np.log(1.5 * H), 0.9, n), 20 * H).astype(np.int64)
    t0 = defects.working_hours(np.where(buyer_cat, np.maximum(next_day, opened + 600), soon))
    plan = np.empty((n, 5), dtype=np.int64)
    plan[:, 0] = t0
    plan[:, 1] = defects.working_hours(t0 + rng.integers(4 * H, 20 * H, n))
    plan[:, 2] = defects.working_hours(plan[:, 1] + rng.integers(12 * H, 30 * H, n))
    phone = np.maximum(
        plan[:, 2] + rng.integers(2 * H, 24 * H, n), t0 + 50 * H + rng.integers(0, 24 * H, n)
    )
    plan[:, 3] = defects.working_hours(phone)
    plan[:, 4] = defects.working_hours(plan[:, 3] + rng.integers(24 * H, 48 * H, n))
    k_max = rng.choice(np.arange(1, 6), n, p=MAX_ATTEMPTS_P)
    p_reach = np.array(REACH)[None, :] * np.exp(-((plan - t[:, None]) / D) / 12.0)
    hit = (rng.random((n, 5)) < p_reach) & (np.arange(5)[None, :] < k_max[:, None])
    reached = hit.any(axis=1)
    j_reached = np.where(reached, hit.argmax(axis=1), -1)
    return t0, plan, np.where(reached, j_reached + 1, k_max), j_reached


def _explanations(
    rng: np.random.Generator, t: np.ndarray, as_of: int
) -> tuple[np.ndarray, np.ndarray]:
    """explained_at (seconds, -1 for none) and the injected late ones.

    60% of reviews get an explanation: half 0-2 days after the review, half 3-12 days (uniform),
    independent of outcome and sales. ``explanation_late``: a few percent explained 31-45 days
    after the review (only reviews whose 45 days end by as_of). Explanations that would come after
    as_of are not there yet.
    """
    n = t.size
    expl = rng.random(n) < EXPLAINED_SHARE
    quick = rng.random(n) < 0.5
    delay = np.where(quick, rng.integers(0, 2 * D, n), rng.integers(3 * D, 12 * D, n))
    late = defects.pick(rng, np.flatnonzero(t + 45 * D <= as_of), INJECT["explanation_late"] * n)
    expl[late] = True
    delay[late] = rng.integers(31 * D, 45 * D, late.size)
    explained_at = np.where(expl, t + delay, -1)
    explained_at[explained_at > as_of] = -1
    return explained_at, late


def _arrivals(rng: np.random.Generator, world: World, period: DemoPeriod) -> dict[str, object]:
    """Review arrivals: shop, item, time (s), category, negative flag, burst flag; time-sorted."""
    shops = len(world.shops)
    n_days = (period.export_date - period.start).days + 1
    report_days = (period.end_month_last_day - period.start).days + 1
    # The power-cut burst: 3 days in the middle third of the report months.
    lo, hi = report_days // 3, max(report_days // 3 + 1, 2 * report_days // 3 - BURST_DAYS)
    burst_start = int(rng.integers(lo, hi))
    burst = np.zeros(n_days, bool)
    burst[burst_start : burst_start + BURST_DAYS] = True
    day0 = _secs(period.start)
    dow = np.array([(period.start + timedelta(days=d)).weekday() for d in range(n_days)])
    lam = REVIEWS_PER_SHOP_MONTH * 12 / 365.25 * _DOW[dow] * season_factor(period.start, n_days)
    base = rng.poisson(np.broadcast_to(lam, (shops, n_days)))
    extra = rng.poisson(np.broadcast_to(lam * (BURST_FACTOR - 1) * burst, (shops, n_days)))
    counts = base + extra
    shop = np.repeat(np.repeat(np.arange(shops), n_days), counts.ravel())
    day = np.repeat(np.tile(np.arange(n_days), shops), counts.ravel())
    is_extra = np.concatenate(
        [
            np.r_[np.zeros(b, bool), np.ones(e, bool)]
            for b, e in zip(base.ravel(), extra.ravel(), strict=True)
        ]
    )
    n = shop.size
    hour = rng.choice(24, n, p=_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum())
    t = day0 + day * D + hour * H + rng.integers(0, H, n)
    mix = np.array([CATEGORY_MIX[c] for c in CATEGORIES])
    burst_mix = np.array([BURST_MIX.get(c, 0.0) for c in CATEGORIES])
    cat = np.where(
        is_extra,
        rng.choice(len(CATEGORIES), n, p=burst_mix),
        rng.choice(len(CATEGORIES), n, p=mix / mix.sum()),
    )
    negative = rng.random(n) < np.array([NEGATIVE_SHARE[c] for c in CATEGORIES])[cat]
    # Items by popularity within the shop (global row index into world.items).
    items_shop = world.items["shop_id"].to_numpy()
    pop = world.items["popularity"].to_numpy()
    item = np.empty(n, np.int64)
    u = rng.random(n)
    for s, sid in enumerate(world.shops):
        rows = np.flatnonzero(items_shop == sid)
        cum = np.cumsum(pop[rows]) / pop[rows].sum()
        m = shop == s
        item[m] = rows[np.minimum(np.searchsorted(cum, u[m], side="right"), rows.size - 1)]
    shop, item, t, cat, negative, day = _bad_item_reviews(
        rng, world, period, lam, (shop, item, t, cat, negative, day))
    order = np.lexsort((item, shop, t))
    burst_days = [
        (period.start + timedelta(days=int(d))).isoformat() for d in np.flatnonzero(burst)
    ]
    return {
        "t": t[order],
        "shop": shop[order],
        "item": item[order],
        "cat": cat[order],
        "negative": negative[order],
        "burst": burst[day[order]],
        "bad_extra": (np.arange(shop.size) >= n)[order],
        "burst_days": burst_days,
    }


def _skill_now(skill: np.ndarray, drifting: np.ndarray, t: np.ndarray,
               period: DemoPeriod) -> np.ndarray:
    """Each case's agent skill at the review's time: the drifting agent's falls month by month."""
    months = (t - _secs(period.start)) / (365.25 / 12 * D)
    drifted = np.maximum(DRIFT_FLOOR, skill - DRIFT_PER_MONTH * months)
    return np.where(drifting, drifted, skill)


def _bad_item_reviews(rng: np.random.Generator, the_world: World, period: DemoPeriod,
                      lam: np.ndarray, arrays: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """Append the bad item's extra quality reviews (from its month on) to the arrivals.

    ``arrays``: shop, item, t, cat, negative, day of the ordinary arrivals; returned extended.
    """
    shop, item, t, cat, negative, day = arrays
    if not the_world.bad_item or the_world.bad_item_from is None:
        return arrays
    items = the_world.items
    row = int(np.flatnonzero(items["item_id"].to_numpy() == the_world.bad_item)[0])
    shop_id = items["shop_id"][row]
    pop = items["popularity"].to_numpy()
    share = pop[row] / pop[items["shop_id"].to_numpy() == shop_id].sum()
    first = (the_world.bad_item_from - period.start).days
    rate = np.where(np.arange(lam.size) >= first, lam * share * BAD_ITEM_EXTRA, 0.0)
    counts = rng.poisson(rate)
    extra_day = np.repeat(np.arange(lam.size), counts)
    k = extra_day.size
    hour = rng.choice(24, k, p=_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum())
    extra_t = _secs(period.start) + extra_day * D + hour * H + rng.integers(0, H, k)
    quality = CATEGORIES.index("quality")
    extra_neg = rng.random(k) < NEGATIVE_SHARE["quality"]
    return (np.r_[shop, np.full(k, the_world.shops.index(shop_id))], np.r_[item, np.full(k, row)],
            np.r_[t, extra_t], np.r_[cat, np.full(k, quality)], np.r_[negative, extra_neg],
            np.r_[day, extra_day])


def _buyer_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """Draw unique buyer ids: ``tb_<digits>`` (70%), pinyin (15%) or Chinese (15%) nicknames.

    Real exports carry the buyer's nickname, often Chinese; the masking of every output must
    cope with both, so the demo has both.
    """
    digits = rng.integers(10**8, 10**11, n)
    kind = rng.choice(3, n, p=(0.7, 0.15, 0.15))
    syll = np.array(
        ["xiao", "mei", "yu", "tian", "lele", "bao", "duo", "mi", "tang", "qing", "an", "xin"]
    )
    a = syll[rng.integers(0, syll.size, n)]
    b = syll[rng.integers(0, syll.size, n)]
    year = rng.integers(1975, 2006, n)
    pinyin = np.char.add(
        np.char.add(np.char.add(a, b), "_"), (year * 1000 + digits % 1000).astype(str)
    )
    adj = np.array(["快乐的", "爱吃", "安静的", "小小", "会飞的", "不睡觉的", "甜甜的", "胖胖的"])
    noun = np.array(
        ["猫咪", "小鱼", "兔子", "星星", "麦兜", "橙子", "熊猫", "蘑菇", "草莓", "汤圆"]
    )
    chinese = np.char.add(
        np.char.add(adj[rng.integers(0, adj.size, n)], noun[rng.integers(0, noun.size, n)]),
        (digits % 10000).astype(str),
    )
    tb = np.char.add("tb_", digits.astype(str))
    ids = np.select([kind == 0, kind == 1], [tb, pinyin], chinese).astype(object)
    seen: set[str] = set()
    for i, v in enumerate(ids.tolist()):  # rare collisions: make the later one unique
        while v in seen:
            v = f"{v}{i % 10}"
        seen.add(v)
        ids[i] = v
    return ids


def _facts(
    reviews: pl.DataFrame,
    cases: pl.DataFrame,
    period: DemoPeriod,
    burst_days: list[str],
    breaches: pl.DataFrame,
    claims: pl.DataFrame,
) -> dict[str, object]:
    """Handy truths for tests and docs: volumes, burst, resolved rate by category."""
    window = pl.duration(days=30)
    joined = cases.join(reviews, on="review_id").with_columns(
        resolved=(
            (pl.col("revised_rating") == "positive")
            & (pl.col("revised_at") <= pl.col("reviewed_at") + window)
        ).fill_null(False)
        | (pl.col("removed_at") <= pl.col("reviewed_at") + window).fill_null(False),
        month=pl.col("reviewed_at").dt.strftime("%Y-%m"),
    )
    in_report = joined.filter(pl.col("reviewed_at").dt.date() <= period.end_month_last_day)
    by_cat = (
        in_report.group_by("category")
        .agg(cases=pl.len(), resolved_rate=pl.col("resolved").mean().round(4))
        .sort("category")
    )
    return {
        "reviews": reviews.height,
        "reviews_by_month": dict(joined.group_by("month").len().sort("month").iter_rows()),
        "burst_days": burst_days,
        "explained_share": round(reviews["explained_at"].is_not_null().mean(), 4),
        "resolved_rate_report_months": round(in_report["resolved"].mean(), 4),
        "by_category": {
            r["category"]: {"cases": r["cases"], "resolved_rate": r["resolved_rate"]}
            for r in by_cat.iter_rows(named=True)
        },
        "outcomes": dict(cases.group_by("outcome").len().sort("outcome").iter_rows()),
        "breaches": dict(breaches.group_by("check").len().sort("check").iter_rows()),
        "unverified_claims": claims.height,
    }
