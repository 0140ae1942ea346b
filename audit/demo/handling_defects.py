"""Demo part 2, defects: the contact-protocol breaches and unverified claims injected into the log.

Each injection works on a set of cases disjoint from the others' (so one injection never
creates another check by accident) and returns exactly the cases it changed; ``handling`` writes
them to the truth. The definitions are those of docs/interfaces.md.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import polars as pl

H = 3600
D = 86400
MESSAGE_CHANNELS = ("shop_im", "private_im", "sms")


class Contacts(NamedTuple):
    """The contact log as parallel arrays (one element per contact attempt)."""

    case: np.ndarray  # case index
    attempt: np.ndarray  # position in the case's sequence (tie-breaker for sorting)
    time: np.ndarray  # seconds since 1970
    channel: np.ndarray
    reached: np.ndarray
    agent: np.ndarray  # agent index

    def without(self, cases: np.ndarray) -> Contacts:
        """Return the log minus every contact of ``cases``."""
        keep = ~np.isin(self.case, cases)
        return Contacts(*(a[keep] for a in self))

    def plus(self, other: Contacts) -> Contacts:
        """Both logs together."""
        return Contacts(*(np.concatenate([a, b]) for a, b in zip(self, other, strict=True)))


def working_hours(t: np.ndarray) -> np.ndarray:
    """Move times between 22:00 and 09:00 into 09:00-10:00 the next morning, keeping order.

    Agents do not message at night: the 11 night hours are squeezed into the first morning hour
    (strictly increasing up to 11 s buckets, so a case's attempts stay in sequence).
    """
    day, sec = t // D, t % D
    night = np.where(sec >= 22 * H, sec - 22 * H, np.where(sec < 9 * H, sec + 2 * H, -1))
    morning_day = np.where(sec >= 22 * H, day + 1, day)
    return np.where(night >= 0, morning_day * D + 9 * H + night // 11, t)


def pick(
    rng: np.random.Generator, pool: np.ndarray, k: float, weights: np.ndarray | None = None
) -> np.ndarray:
    """``k`` (rounded) distinct members of ``pool``, sorted; optionally weighted."""
    k = min(int(round(k)), pool.size)
    if not k:
        return pool[:0].astype(np.int64)
    p = None if weights is None else weights / weights.sum()
    return np.sort(rng.choice(pool, k, replace=False, p=p)).astype(np.int64)


def phone_first(log: Contacts, cases: np.ndarray) -> Contacts:
    """``phone_too_early``: make each case's first attempt a phone call, right after review."""
    channel = log.channel.copy()
    channel[np.isin(log.case, cases) & (log.attempt == 0)] = "phone"
    return log._replace(channel=channel)


def many_messages(
    rng: np.random.Generator, cases: np.ndarray, t0: np.ndarray, agent: np.ndarray
) -> tuple[Contacts, np.ndarray]:
    """``too_many_attempts``: 6-9 unanswered messages, 4-12 h apart, no phone (so no other breach).

    Returns the new contacts of ``cases`` and each case's last contact time (in ``cases`` order).
    """
    k = rng.integers(6, 10, cases.size)
    case = np.repeat(cases, k)
    starts = np.cumsum(k) - k
    attempt = np.arange(case.size) - np.repeat(starts, k)
    gaps = rng.integers(4 * H, 12 * H, case.size)
    gaps[attempt == 0] = 0
    cum = np.cumsum(gaps)
    time = working_hours(t0[case] + cum - np.repeat(cum[starts], k) if case.size else case)
    channel = np.array(MESSAGE_CHANNELS)[attempt % 3]
    log = Contacts(case, attempt, time, channel, np.zeros(case.size, bool), agent[case])
    last = np.maximum.reduceat(time, starts) if case.size else time
    return log, last


def second_agent(
    rng: np.random.Generator,
    cases: np.ndarray,
    *,
    agent: np.ndarray,
    n_agents: int,
    t0: np.ndarray,
    closed: np.ndarray,
) -> Contacts:
    """``multiple_agents`` (same case): another agent also messages the buyer, unanswered.

    The extra message lies between the case's first contact and its closing, so the case's
    time order holds.
    """
    other = (agent[cases] + rng.integers(1, n_agents, cases.size)) % n_agents
    f = rng.uniform(0.1, 0.9, cases.size)
    t = t0[cases] + (f * (closed[cases] - t0[cases])).astype(np.int64)
    shifted = working_hours(t)
    t = np.where(shifted < closed[cases], shifted, t)
    return Contacts(
        cases,
        np.full(cases.size, 9),
        t,
        np.full(cases.size, "private_im", dtype="<U10"),
        np.zeros(cases.size, bool),
        other,
    )


def repeat_buyer_pairs(
    rng: np.random.Generator,
    shop: np.ndarray,
    agent: np.ndarray,
    ok: np.ndarray,
    *,
    shops: int,
    per_shop: int,
) -> list[tuple[int, int]]:
    """``multiple_agents`` (repeat buyer): pairs of one shop's cases worked by two different agents.

    The caller gives each pair one buyer id, so both cases meet the definition.
    """
    pairs: list[tuple[int, int]] = []
    for s in range(shops):
        cand = rng.permutation(np.flatnonzero(ok & (shop == s)))
        for i in range(0, cand.size - 1, 2):
            if len(pairs) >= per_shop * (s + 1):
                break
            a, b = sorted((int(cand[i]), int(cand[i + 1])))
            if agent[a] != agent[b]:
                pairs.append((a, b))
    return pairs


def liars(rng: np.random.Generator, truth_agents: pl.DataFrame) -> np.ndarray:
    """Pick one ordinary senior (not the lead) and one ordinary novice to log false outcomes."""
    level = truth_agents["level"].to_numpy()
    ordinary = ~truth_agents["is_weak"].to_numpy() & ~truth_agents["is_easy_mix_novice"].to_numpy()
    idx = np.arange(level.size)
    seniors = idx[(level == "senior") & ordinary & (idx > 0)]
    novices = idx[(level == "novice") & ordinary]
    return np.array([rng.choice(seniors), rng.choice(novices)])


def truth_rows(
    case_ids: np.ndarray, agent_ids: np.ndarray, agent: np.ndarray, idx: np.ndarray, check: str
) -> pl.DataFrame:
    """truth/protocol_breaches.csv rows (case_id, agent_id, check) for the cases ``idx``."""
    idx = np.asarray(idx, dtype=np.int64)
    return pl.DataFrame(
        {"case_id": case_ids[idx], "agent_id": agent_ids[agent[idx]], "check": [check] * idx.size},
        schema={"case_id": pl.String, "agent_id": pl.String, "check": pl.String},
    )
