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
- Defects (docs/TEAM.md definitions) are injected into disjoint case sets and written to
  ``truth/protocol_breaches.csv`` and ``truth/unverified_claims.csv``. The normal model cannot
  produce any of them, so the truth is complete in both directions.

All times are whole seconds (the CSV format), nothing happens after ``period.as_of``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

from audit.demo import text
from audit.demo.types import DemoPeriod, Part, World
from audit.schema import CASES, CATEGORIES, CHANNELS, CONTACTS, REVIEWS

#: Neutral/negative reviews per shop per 30.4-day month.
REVIEWS_PER_SHOP_MONTH = 700.0
#: Category mix of normal days (order of audit.schema.CATEGORIES).
CATEGORY_MIX = {
    "novice": 0.12, "logistics": 0.32, "service": 0.14, "quality": 0.21,
    "fraud": 0.03, "wrong_item": 0.08, "buyer": 0.10,
}
#: Mix of the extra reviews of the power-cut burst: goods not shipped for days.
BURST_MIX = {"logistics": 0.6, "service": 0.4}
BURST_DAYS = 3
BURST_FACTOR = 4.0
#: Share of negative (vs neutral) ratings by category.
NEGATIVE_SHARE = {
    "novice": 0.1, "logistics": 0.6, "service": 0.7, "quality": 0.75,
    "fraud": 1.0, "wrong_item": 0.7, "buyer": 0.55,
}
#: Probability that a reached buyer revises/removes, before skill and delay.
RESOLVE_BASE = {
    "novice": 0.92, "logistics": 0.8, "service": 0.6, "quality": 0.45,
    "fraud": 0.02, "wrong_item": 0.75, "buyer": 0.55,
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
    "phone_too_early": 0.025, "too_many_attempts": 0.025, "multiple_agents": 0.02,
    "novice_on_senior_category": 0.03, "explanation_late": 0.025, "explanation_too_long": 0.025,
}
REPEAT_BUYER_PAIRS_PER_SHOP = 5
CLAIM_RATE = 0.35

H = 3600
D = 86400
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
    review), truth ``protocol_breaches`` and ``unverified_claims``, and facts (volumes, burst
    days, resolved rates by category).
    """
    as_of = _secs(period.as_of.replace(microsecond=0))
    rv = _arrivals(rng, world, period)
    n = rv["t"].size
    cat = rv["cat"]
    cats = np.array(CATEGORIES)

    # Agents and assignment by tier.
    truth_agents = world.truth["agents"].sort("agent_id")
    agent_ids = np.array(truth_agents["agent_id"].to_list())
    is_novice = np.array([lv == "novice" for lv in truth_agents["level"].to_list()])
    skill = truth_agents["skill"].to_numpy()
    easy_novice = np.flatnonzero(truth_agents["is_easy_mix_novice"].to_numpy())
    weights = rng.uniform(0.8, 1.2, agent_ids.size) * np.where(is_novice, 1.3, 1.0)
    weights[0] *= 0.4  # the team lead (A01) takes fewer cases
    easy_cat = np.isin(cat, [CATEGORIES.index("novice"), CATEGORIES.index("logistics")])
    agent = np.where(
        easy_cat,
        _weighted(rng, weights, n),
        _weighted(rng, np.where(is_novice, 0.0, weights), n),
    )
    # Injected routing defect: hard cases to novices (never the easy-mix novice).
    hard = np.isin(cat, [CATEGORIES.index(c) for c in ("service", "quality", "fraud")])
    routed = _pick(rng, np.flatnonzero(hard), INJECT["novice_on_senior_category"] * n)
    bad_novices = np.setdiff1d(np.flatnonzero(is_novice), easy_novice)
    agent[routed] = rng.choice(bad_novices, routed.size)

    # Intake: the case is opened within minutes, night reviews at 08:00 the next morning.
    t = rv["t"]
    hour = (t % D) // H
    night_open = (t // D + (hour >= 23)) * D + 8 * H + rng.integers(0, 90 * 60, n)
    day_open = t + np.minimum(rng.lognormal(np.log(20 * 60), 0.8, n), 4 * H).astype(np.int64)
    opened = np.where((hour >= 23) | (hour < 8), night_open, day_open)
    opened += np.where(rv["burst"], rng.integers(0, 2 * D, n), 0)  # the burst's backlog
    opened = np.minimum(opened, as_of)

    # Contact plan: five planned attempts; phone only > 48 h after the unanswered shop IM.
    buyer_cat = cat == CATEGORIES.index("buyer")
    next_day = (t // D + 1) * D + 10 * H + rng.integers(0, 10 * H, n)  # mood: contact next day
    t0 = np.where(
        buyer_cat,
        np.maximum(next_day, opened + 600),
        opened + np.minimum(rng.lognormal(np.log(1.5 * H), 0.9, n), 20 * H).astype(np.int64),
    )
    plan = np.empty((n, 5), dtype=np.int64)
    plan[:, 0] = t0
    plan[:, 1] = t0 + rng.integers(4 * H, 20 * H, n)
    plan[:, 2] = plan[:, 1] + rng.integers(12 * H, 30 * H, n)
    plan[:, 3] = np.maximum(plan[:, 2] + rng.integers(2 * H, 24 * H, n), t0 + 50 * H + rng.integers(0, 24 * H, n))
    plan[:, 4] = plan[:, 3] + rng.integers(24 * H, 48 * H, n)
    k_max = rng.choice(np.arange(1, 6), n, p=MAX_ATTEMPTS_P)
    delay_days = (plan - t[:, None]) / D
    p_reach = np.array(REACH)[None, :] * np.exp(-delay_days / 12.0)
    hit = (rng.random((n, 5)) < p_reach) & (np.arange(5)[None, :] < k_max[:, None])
    reached_any = hit.any(axis=1)
    j_reached = np.where(reached_any, hit.argmax(axis=1), -1)
    n_planned = np.where(reached_any, j_reached + 1, k_max)
    t_reached = np.where(reached_any, plan[np.arange(n), np.maximum(j_reached, 0)], -1)
    t_last = plan[np.arange(n), n_planned - 1]

    # Outcome of a reached buyer: revise/remove within the 30-day window, or refuse.
    p_resolve = np.minimum(
        0.97,
        np.array([RESOLVE_BASE[c] for c in CATEGORIES])[cat]
        * skill[agent]
        * np.exp(-((t0 - t) / D) / RESOLVE_DECAY_DAYS)
        * 0.92 ** np.maximum(j_reached, 0),
    )
    lag = np.maximum(rng.lognormal(np.log(D), 1.0, n), 600).astype(np.int64)
    t_resolve = t_reached + lag
    resolves = (
        reached_any
        & (t_reached <= as_of)
        & (rng.random(n) < p_resolve)
        & (t_resolve <= t + 30 * D - H)  # a few buyers agree but never get round to it
        & (t_resolve <= as_of)
    )
    removed = resolves & (rng.random(n) < REMOVE_SHARE)
    revised = resolves & ~removed
    close_resolved = t_resolve + rng.integers(5 * 60, 6 * H, n)
    close_refused = t_reached + rng.integers(H, 2 * D, n)
    close_unreach = t_last + rng.integers(D, 3 * D, n)
    closed = np.where(resolves, close_resolved, np.where(reached_any, close_refused, close_unreach))
    outcome = np.where(resolves & removed, "removed", "revised").astype("<U11")
    outcome[~resolves] = np.where(reached_any[~resolves], "refused", "unreachable")

    # Explanations: independent of everything above (the impact analysis relies on it).
    expl = rng.random(n) < EXPLAINED_SHARE
    quick = rng.random(n) < 0.5
    expl_delay = np.where(quick, rng.integers(0, 2 * D, n), rng.integers(3 * D, 12 * D, n))
    late = _pick(
        rng, np.flatnonzero(t + 45 * D <= as_of), INJECT["explanation_late"] * n
    )
    expl[late] = True
    expl_delay[late] = rng.integers(31 * D, 45 * D, late.size)
    explained_at = np.where(expl, t + expl_delay, -1)
    explained_at[explained_at > as_of] = -1
    has_expl = explained_at >= 0
    too_long = _pick(rng, np.flatnonzero(has_expl), INJECT["explanation_too_long"] * n)
    long_mask = np.zeros(n, bool)
    long_mask[too_long] = True
    # Without revision, a case that only got an explanation is logged as "explained".
    only_expl = ~resolves & has_expl & (explained_at <= closed)
    outcome[only_expl] = "explained"
    open_ = closed > as_of
    outcome[open_] = "open"

    # Contacts table (before injections): rows (case, attempt) up to n_planned and as_of.
    case_idx, att = np.nonzero(np.arange(5)[None, :] < n_planned[:, None])
    c_time = plan[case_idx, att]
    keep = c_time <= as_of
    case_idx, att, c_time = case_idx[keep], att[keep], c_time[keep]
    c_channel = np.array(PLAN_CHANNELS)[att].astype("<U10")
    c_reached = att == j_reached[case_idx]
    c_agent = agent[case_idx]
    n_contacts = np.bincount(case_idx, minlength=n)

    # Contact defects, on disjoint sets of closed cases in the report window.
    used = np.zeros(n, bool)
    closed_ok = ~open_ & (n_contacts >= 1)
    # phone_too_early: the first attempt is a phone call, right after the review.
    early = _pick(rng, np.flatnonzero(closed_ok), INJECT["phone_too_early"] * n)
    used[early] = True
    c_channel[np.isin(case_idx, early) & (att == 0)] = "phone"
    # too_many_attempts: an unreachable buyer messaged 6-9 times (no phone, so no other breach).
    pool = np.flatnonzero(closed_ok & ~used & ~reached_any & (t0 + 6 * D <= as_of))
    many = _pick(rng, pool, INJECT["too_many_attempts"] * n)
    used[many] = True
    extra = _too_many(rng, many, t0, agent)
    drop = np.isin(case_idx, many)
    # multiple_agents (a): a second agent also messages the buyer on the same case.
    pool = np.flatnonzero(closed_ok & ~used & (n_contacts <= 4))
    second = _pick(rng, pool, INJECT["multiple_agents"] * n)
    used[second] = True
    other = (agent[second] + rng.integers(1, agent_ids.size, second.size)) % agent_ids.size
    f = rng.uniform(0.1, 0.9, second.size)
    t_second = t0[second] + (f * (closed[second] - t0[second])).astype(np.int64)
    case_idx = np.concatenate([case_idx[~drop], extra["case"], second])
    att = np.concatenate([att[~drop], extra["att"], np.full(second.size, 9)])
    c_time = np.concatenate([c_time[~drop], extra["time"], t_second])
    c_channel = np.concatenate([c_channel[~drop], extra["channel"], np.full(second.size, "private_im")])
    c_reached = np.concatenate([c_reached[~drop], np.zeros(extra["case"].size + second.size, bool)])
    c_agent = np.concatenate([c_agent[~drop], extra["agent"], other])
    closed[many] = np.maximum(closed[many], extra["last"][np.searchsorted(extra["cases"], many)] + D)
    closed[many] = np.minimum(closed[many], as_of)
    # multiple_agents (b): a repeat buyer whose two reviews were handled by two agents.
    buyer = _buyer_ids(rng, n)
    pairs = _repeat_pairs(rng, rv["shop"], agent, closed_ok & ~used, len(world.shops))
    for a, b in pairs:
        buyer[b] = buyer[a]
        used[[a, b]] = True
    paired = np.array(sorted({i for p in pairs for i in p}), dtype=np.int64)

    # Unverified claims: two agents log revised/removed where the review shows neither.
    liars = _liars(rng, truth_agents)
    claim = (
        np.isin(agent, liars)
        & np.isin(outcome, ["refused", "unreachable", "explained"])
        & (rng.random(n) < CLAIM_RATE)
    )
    claimed = np.where(rng.random(n) < 0.75, "revised", "removed")
    outcome[claim] = claimed[claim]

    # Text.
    cat_names = cats[cat].tolist()
    ratings = np.where(rv["negative"], "negative", "neutral")
    item_type = world.items["product"].to_numpy()[rv["item"]]
    review_text = text.review_texts(rng, cat_names, ratings.tolist(), item_type.tolist())
    expl_text = np.array(
        text.explanation_texts(rng, cat_names, too_long=long_mask.tolist()), dtype=object
    )
    expl_text[~has_expl] = None

    review_ids = np.array([f"R{i + 1:06d}" for i in range(n)])
    case_ids = np.array([f"C{i + 1:06d}" for i in range(n)])
    order_ids = [f"{a}{i:06d}" for i, a in enumerate(rng.integers(10**11, 10**12, n).tolist())]
    item_ids = world.items["item_id"].to_numpy()[rv["item"]]
    shop_ids = np.array(world.shops)[rv["shop"]]

    reviews = pl.DataFrame(
        {
            "review_id": review_ids,
            "shop_id": shop_ids,
            "order_id": order_ids,
            "item_id": item_ids,
            "buyer_id": buyer,
            "rating": ratings,
            "review_text": review_text,
            "reviewed_at": _to_dt(t),
            "explanation_text": pl.Series(expl_text.tolist(), dtype=pl.String),
            "explained_at": _to_dt(explained_at),
            "revised_rating": ["positive" if r else None for r in revised.tolist()],
            "revised_at": _to_dt(np.where(revised, t_resolve, -1)),
            "removed_at": _to_dt(np.where(removed, t_resolve, -1)),
        },
        schema_overrides=REVIEWS.schema,
    ).select(REVIEWS.schema.keys())
    cases = pl.DataFrame(
        {
            "case_id": case_ids,
            "review_id": review_ids,
            "agent_id": agent_ids[agent],
            "category": cats[cat],
            "opened_at": _to_dt(opened),
            "closed_at": _to_dt(np.where(open_, -1, closed)),
            "outcome": outcome,
        },
        schema_overrides=CASES.schema,
    ).select(CASES.schema.keys())
    order = np.lexsort((att, case_idx, c_time))
    contacts = pl.DataFrame(
        {
            "contact_id": [f"K{i + 1:07d}" for i in range(order.size)],
            "case_id": case_ids[case_idx[order]],
            "agent_id": agent_ids[c_agent[order]],
            "channel": c_channel[order],
            "contacted_at": _to_dt(c_time[order]),
            "reached": c_reached[order],
        },
        schema_overrides=CONTACTS.schema,
    ).select(CONTACTS.schema.keys())
    assert set(c_channel.tolist()) <= set(CHANNELS)

    breaches = pl.concat(
        [
            _truth_rows(case_ids, agent_ids, agent, idx, check)
            for check, idx in (
                ("phone_too_early", early),
                ("multiple_agents", np.union1d(second, paired)),
                ("too_many_attempts", many),
                ("novice_on_senior_category", routed),
                ("explanation_late", late[explained_at[late] >= 0]),
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
    lam = REVIEWS_PER_SHOP_MONTH * 12 / 365.25 * _DOW[dow]
    base = rng.poisson(np.broadcast_to(lam, (shops, n_days)))
    extra = rng.poisson(np.broadcast_to(lam * (BURST_FACTOR - 1) * burst, (shops, n_days)))
    counts = base + extra
    shop = np.repeat(np.repeat(np.arange(shops), n_days), counts.ravel())
    day = np.repeat(np.tile(np.arange(n_days), shops), counts.ravel())
    is_extra = np.concatenate(
        [np.r_[np.zeros(b, bool), np.ones(e, bool)] for b, e in zip(base.ravel(), extra.ravel(), strict=True)]
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
    order = np.lexsort((item, shop, t))
    burst_days = [
        (period.start + timedelta(days=int(d))).isoformat() for d in np.flatnonzero(burst)
    ]
    return {
        "t": t[order], "shop": shop[order], "item": item[order], "cat": cat[order],
        "negative": negative[order], "burst": burst[day[order]], "burst_days": burst_days,
    }


def _weighted(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    return rng.choice(weights.size, n, p=weights / weights.sum())


def _pick(rng: np.random.Generator, pool: np.ndarray, k: float) -> np.ndarray:
    """``k`` (rounded) distinct members of ``pool``, sorted."""
    k = min(int(round(k)), pool.size)
    return np.sort(rng.choice(pool, k, replace=False)) if k else pool[:0]


def _too_many(
    rng: np.random.Generator, cases: np.ndarray, t0: np.ndarray, agent: np.ndarray
) -> dict[str, np.ndarray]:
    """6-9 unanswered message attempts per case, 4-12 h apart, cycling the message channels."""
    k = rng.integers(6, 10, cases.size)
    case = np.repeat(cases, k)
    att = np.arange(case.size) - np.repeat(np.cumsum(k) - k, k)
    if not cases.size:
        empty = np.zeros(0, np.int64)
        return {"case": empty, "att": empty, "time": empty, "channel": np.zeros(0, "<U10"),
                "agent": empty, "cases": cases, "last": empty}
    gaps = rng.integers(4 * H, 12 * H, case.size)
    gaps[att == 0] = 0
    starts = np.cumsum(k) - k
    cum = np.cumsum(gaps)
    time = t0[case] + cum - np.repeat(cum[starts], k)
    channel = np.array(("shop_im", "private_im", "sms"))[att % 3]
    last = np.maximum.reduceat(time, starts)
    return {
        "case": case, "att": att, "time": time, "channel": channel, "agent": agent[case],
        "cases": cases, "last": last,
    }


def _buyer_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """Unique buyer ids: ``tb_<digits>`` for most, nickname-like for the rest."""
    digits = rng.integers(10**8, 10**11, n)
    nick = rng.random(n) < 0.3
    syll = np.array(["xiao", "mei", "yu", "tian", "lele", "bao", "duo", "mi", "tang", "qing", "an", "xin"])
    a = syll[rng.integers(0, syll.size, n)]
    b = syll[rng.integers(0, syll.size, n)]
    year = rng.integers(1975, 2006, n)
    ids = np.where(
        nick,
        np.char.add(np.char.add(np.char.add(a, b), "_"), (year * 1000 + digits % 1000).astype(str)),
        np.char.add("tb_", digits.astype(str)),
    ).astype(object)
    seen: set[str] = set()
    for i, v in enumerate(ids.tolist()):  # rare collisions: make the later one unique
        while v in seen:
            v = f"{v}{i % 10}"
        seen.add(v)
        ids[i] = v
    return ids


def _repeat_pairs(
    rng: np.random.Generator, shop: np.ndarray, agent: np.ndarray, ok: np.ndarray, shops: int
) -> list[tuple[int, int]]:
    """Pairs of reviews of one shop, handled by two different agents, given one buyer."""
    pairs: list[tuple[int, int]] = []
    for s in range(shops):
        pool = np.flatnonzero(ok & (shop == s))
        cand = rng.permutation(pool)
        taken: set[int] = set()
        for i in range(0, cand.size - 1, 2):
            a, b = sorted((int(cand[i]), int(cand[i + 1])))
            if agent[a] != agent[b] and a not in taken and b not in taken:
                pairs.append((a, b))
                taken |= {a, b}
            if len(taken) >= 2 * REPEAT_BUYER_PAIRS_PER_SHOP:
                break
    return pairs


def _liars(rng: np.random.Generator, truth_agents: pl.DataFrame) -> np.ndarray:
    """One ordinary senior and one ordinary novice who log unverified outcomes (indices)."""
    lv = truth_agents["level"].to_numpy()
    normal = ~truth_agents["is_weak"].to_numpy() & ~truth_agents["is_easy_mix_novice"].to_numpy()
    idx = np.arange(lv.size)
    seniors = idx[(lv == "senior") & normal & (idx > 0)]
    novices = idx[(lv == "novice") & normal]
    return np.array([rng.choice(seniors), rng.choice(novices)])


def _truth_rows(
    case_ids: np.ndarray, agent_ids: np.ndarray, agent: np.ndarray, idx: np.ndarray, check: str
) -> pl.DataFrame:
    idx = np.asarray(idx, dtype=np.int64)
    return pl.DataFrame(
        {"case_id": case_ids[idx], "agent_id": agent_ids[agent[idx]], "check": [check] * idx.size},
        schema={"case_id": pl.String, "agent_id": pl.String, "check": pl.String},
    )


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
            (pl.col("revised_rating") == "positive") & (pl.col("revised_at") <= pl.col("reviewed_at") + window)
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
        "reviews_by_month": dict(
            joined.group_by("month").len().sort("month").iter_rows()
        ),
        "burst_days": burst_days,
        "explained_share": round(reviews["explained_at"].is_not_null().mean(), 4),
        "resolved_rate_report_months": round(in_report["resolved"].mean(), 4),
        "by_category": {r["category"]: {"cases": r["cases"], "resolved_rate": r["resolved_rate"]}
                        for r in by_cat.iter_rows(named=True)},
        "outcomes": dict(cases.group_by("outcome").len().sort("outcome").iter_rows()),
        "breaches": dict(breaches.group_by("check").len().sort("check").iter_rows()),
        "unverified_claims": claims.height,
    }
