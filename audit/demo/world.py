"""Demo part 1: shops, agents and items (who and what exists).

One after-sales team serves all shops (the handling log is shared, DOMAIN.md). The team has a
lead (senior, cash limit 100 CNY), seniors (30 CNY) and novices (10 CNY); for 3 shops that is
15 seniors and 10 novices. Each agent has a true skill (a multiplier of the probability of
resolving a case, 1.0 = average), written to ``truth/agents.csv`` together with two planted
traps for the resolution analysis:

- ``is_weak``: one senior with skill 0.6 and a normal load of hard categories;
- ``is_easy_mix_novice``: one novice of exactly average skill (1.0) who only ever gets novice
  and logistics cases, so her raw resolution rate looks good only because of her mix.

Two slow changes over the period are planted for the trend views (issue 12):

- ``is_drifting``: one ordinary senior whose skill falls by ``DRIFT_PER_MONTH`` every month
  (never below ``DRIFT_FLOOR``), from the first month on;
- the bad item: one item of ordinary popularity that from a known month draws
  ``BAD_ITEM_EXTRA`` times its usual neutral/negative reviews again, all about quality
  (DOMAIN.md, product signal: "its complaints were all quality").
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import polars as pl

from audit.data.schema import AGENTS
from audit.demo import text
from audit.demo.types import DemoPeriod, World

#: Items per shop (ids S01-I001 ... S01-I050).
ITEMS_PER_SHOP = 50
#: Skill lost per month by the drifting agent, and the lowest it falls to.
DRIFT_PER_MONTH = 0.05
DRIFT_FLOOR = 0.4
#: Extra reviews of the bad item from its month on, as a multiple of its usual volume.
BAD_ITEM_EXTRA = 3.0
#: Cash limits by role (CNY per case).
CASH_LIMIT = {"lead": 100.0, "senior": 30.0, "novice": 10.0}

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
_GIVEN = (
    "小雨",
    "晓静",
    "婷婷",
    "佳怡",
    "子涵",
    "欣然",
    "梦瑶",
    "雪",
    "丽娜",
    "思琪",
    "浩然",
    "俊杰",
    "宇轩",
    "文博",
    "家乐",
    "明",
    "磊",
    "芳",
    "敏",
    "倩",
    "悦",
    "璐",
    "晨",
    "洁",
    "琳",
    "莉",
)


def team_size(shops: int) -> tuple[int, int]:
    """Seniors (including the lead) and novices for ``shops`` shops: 15 and 10 for 3 shops."""
    return max(4, round(5 * shops)), max(3, round(10 * shops / 3))


def build_world(rng: np.random.Generator, *, shops: int, period: DemoPeriod) -> World:
    """Shops, the after-sales team (canonical ``agents`` table) and items for a demo.

    Parameters
    ----------
    rng
        The world's own random stream.
    shops
        Number of shops (ids S01, S02, ...).
    period
        The demo calendar; every agent joined before ``period.start``.

    Returns
    -------
    World with ``agents`` (canonical), ``items`` (one row per item: shop_id, item_id, title,
    price_cny, popularity with mean 1.0 per shop, product_type, product: the item noun) and
    ``truth["agents"]`` (agent_id, level, skill, is_weak, is_easy_mix_novice, is_drifting),
    the bad item and the first day of its quality problem.

    Examples
    --------
    >>> import numpy as np
    >>> from audit.demo import DemoSpec
    >>> w = build_world(np.random.default_rng([7, 1]), shops=3, period=DemoSpec().period())
    >>> w.shops, w.agents.height, w.items.height
    (['S01', 'S02', 'S03'], 25, 150)
    >>> w.truth["agents"].filter("is_weak")["skill"].to_list()
    [0.6]
    """
    shop_ids = [f"S{i + 1:02d}" for i in range(shops)]
    agents, truth = _agents(rng, shops=shops, period=period)
    items = _items(rng, shop_ids)
    # Drawn last, so every earlier draw (and the demo it makes) is as before.
    ordinary = truth.filter(~pl.col("is_weak") & ~pl.col("is_easy_mix_novice")
                            & (pl.col("level") == "senior") & (pl.col("agent_id") != "A01"))
    drifting = ordinary["agent_id"][int(rng.integers(0, ordinary.height))]
    truth = truth.with_columns(is_drifting=pl.col("agent_id") == drifting)
    middling = items.with_row_index("i").filter(pl.col("popularity").is_between(0.8, 2.0))
    bad_item = middling["item_id"][int(rng.integers(0, middling.height))]
    months = period.month_starts()
    first = max(1, len(months) // 3) if len(months) > 2 else len(months) - 1  # noqa: PLR2004
    last = max(first, len(months) - 2)
    bad_from = months[int(rng.integers(first, last + 1))]
    return World(shops=shop_ids, agents=agents, items=items, truth={"agents": truth},
                 drifting_agent=drifting, bad_item=bad_item, bad_item_from=bad_from)


def _agents(
    rng: np.random.Generator, *, shops: int, period: DemoPeriod
) -> tuple[pl.DataFrame, pl.DataFrame]:
    n_senior, n_novice = team_size(shops)
    n = n_senior + n_novice
    ids = [f"A{i + 1:02d}" for i in range(n)]
    level = ["senior"] * n_senior + ["novice"] * n_novice
    role = ["lead"] + ["senior"] * (n_senior - 1) + ["novice"] * n_novice
    # Names: distinct surname+given pairs (a big team repeats them with a number, as HR does).
    combos = len(_SURNAMES) * len(_GIVEN)
    pairs = np.concatenate([rng.permutation(combos) for _ in range(-(-n // combos))])[:n]
    names = [
        _SURNAMES[p % combos // len(_GIVEN)]
        + _GIVEN[p % len(_GIVEN)]
        + (str(i // combos + 1) if i >= combos else "")
        for i, p in enumerate(pairs.tolist())
    ]
    # Seniors joined 1-5 years before the period, novices 1-5 months before it.
    senior_days = rng.integers(365, 5 * 365, n_senior)
    novice_days = rng.integers(30, 150, n_novice)
    joined = [
        period.start - timedelta(days=int(d)) for d in np.concatenate([senior_days, novice_days])
    ]
    # True skill: seniors around 1.05, novices around 0.85 (tight spread so the traps stand out).
    skill = np.concatenate(
        [rng.normal(1.05, 0.06, n_senior), rng.normal(0.85, 0.06, n_novice)]
    ).clip(0.7, 1.25)
    weak = 1 + int(rng.integers(0, n_senior - 1))  # any senior but the lead
    easy = n_senior + int(rng.integers(0, n_novice))
    skill[weak] = 0.6
    skill[easy] = 1.0
    skill = np.round(skill, 3)
    agents = pl.DataFrame(
        {
            "agent_id": ids,
            "agent_name": names,
            "level": level,
            "joined_on": joined,
            "cash_limit_cny": [CASH_LIMIT[r] for r in role],
        },
        schema=AGENTS.schema,
    )
    truth = pl.DataFrame(
        {
            "agent_id": ids,
            "level": level,
            "skill": skill,
            "is_weak": [i == weak for i in range(n)],
            "is_easy_mix_novice": [i == easy for i in range(n)],
        }
    )
    return agents, truth


def _items(rng: np.random.Generator, shop_ids: list[str]) -> pl.DataFrame:
    frames = []
    sigma = 0.8
    for k, shop in enumerate(shop_ids):
        trade, _, median_price = text.SHOP_TRADES[k % len(text.SHOP_TRADES)]
        n = ITEMS_PER_SHOP
        pop = rng.lognormal(-(sigma**2) / 2, sigma, n)
        pop = pop / pop.mean()  # mean exactly 1.0 per shop: shares of the shop's reviews/traffic
        price = np.round(median_price * rng.lognormal(0.0, 0.5, n), 0) - 0.1
        titles = text.item_titles(rng, trade, n)
        frames.append(
            pl.DataFrame(
                {
                    "shop_id": [shop] * n,
                    "item_id": [f"{shop}-I{i + 1:03d}" for i in range(n)],
                    "title": [t[1] for t in titles],
                    "price_cny": np.maximum(price, 9.9),
                    "popularity": np.round(pop, 6),
                    "product_type": [trade] * n,
                    "product": [t[0] for t in titles],
                }
            )
        )
    return pl.concat(frames)
