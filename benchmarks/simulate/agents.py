"""Seeded resolution cohorts with known agent skill, case mix confounded with agent level.

Why: today's indirect standardisation takes each (shop, category) rate as the reference, which
is the rate of whoever works that category. Here novices get only the easy categories
(``novice``, ``logistics``) and mostly neutral reviews (a rating confounder: neutral reviews are
easier to turn), and are weaker on average. Agent 0 is a novice whose skill equals the
case-weighted average agent's (true ratio exactly 1): how often is that agent flagged?

P(resolved) = base[category] x shop[s] x rating factor x exp(skill_agent), capped at 0.99
(rarely binding).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

BASE: dict[str, float] = {"novice": 0.55, "logistics": 0.50, "service": 0.40,
                          "wrong_item": 0.42, "quality": 0.30}
EASY: tuple[str, ...] = ("novice", "logistics")


@dataclass(frozen=True)
class AgentScenario:
    """Team shape: agents, novices among them, cases per agent, the confounders."""

    name: str
    n_agents: int = 20
    n_novices: int = 7
    cases_per_agent: int = 120
    n_shops: int = 3
    novice_shift: float = -0.15  # novices' mean log skill relative to seniors
    skill_sd: float = 0.15
    easy_only: bool = True  # novices get only the easy categories
    rating_confounder: bool = True  # novices get mostly neutral reviews


@dataclass(frozen=True)
class AgentWorld:
    """Cohort rows (one per case) and each agent's true ratio to the case-weighted average."""

    cases: pl.DataFrame
    true_ratio: dict[str, float]
    average_agent: str


def generate_agents(sc: AgentScenario, seed: int) -> AgentWorld:
    """Draw one cohort of scenario ``sc`` (deterministic in ``seed``)."""
    rng = np.random.default_rng(seed)
    a_n = sc.n_agents
    novice = np.arange(a_n) < sc.n_novices
    skill = rng.normal(0, sc.skill_sd, a_n) + np.where(novice, sc.novice_shift, 0.0)
    n_cases = rng.poisson(sc.cases_per_agent, a_n).clip(20)
    cats = np.array(list(BASE))
    agent = np.repeat(np.arange(a_n), n_cases)
    is_nov = novice[agent]
    cat = np.where(is_nov & sc.easy_only,
                   rng.choice(np.array(EASY), agent.size),
                   rng.choice(cats, agent.size, p=[0.1, 0.2, 0.25, 0.15, 0.3]))
    p_neutral = np.where(is_nov & sc.rating_confounder, 0.75, 0.35)
    rating = np.where(rng.random(agent.size) < p_neutral, "neutral", "negative")
    shop = rng.integers(0, sc.n_shops, agent.size)
    shop_f = np.exp(rng.normal(0, 0.1, sc.n_shops))
    # Agent 0: a novice exactly at the case-weighted average of the others.
    w = n_cases / n_cases.sum()
    others = np.arange(a_n) != 0
    skill[0] = np.sum(w[others] * skill[others]) / w[others].sum()
    centre = np.sum(w * skill)
    base = np.array([BASE[c] for c in cat]) * shop_f[shop]
    rate = base * np.where(rating == "neutral", 1.15, 0.85) * np.exp(skill[agent])
    resolved = rng.random(agent.size) < np.clip(rate, 0, 0.99)
    ids = [f"A{k:02d}" for k in range(a_n)]
    cases = pl.DataFrame({
        "agent_id": np.array(ids)[agent], "shop_id": np.array(["S0", "S1", "S2"])[shop],
        "category": cat, "rating": rating, "is_resolved": resolved,
        "is_eligible": np.ones(agent.size, bool),
        "level": np.where(is_nov, "novice", "senior"),
    })
    return AgentWorld(cases, {ids[k]: float(np.exp(skill[k] - centre)) for k in range(a_n)},
                      ids[0])


AGENT_SCENARIOS: dict[str, AgentScenario] = {
    "confounded": AgentScenario("confounded"),
    "unconfounded": AgentScenario("unconfounded", easy_only=False, rating_confounder=False),
    "thin_team": AgentScenario("thin_team", n_agents=10, n_novices=3, cases_per_agent=60),
}
