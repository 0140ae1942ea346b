"""The one shop filter: every job restricts its inputs to a shop the same way, before analysing.

Every analysis is separable by shop (promises and payments match within a shop, agents are
compared within a shop's categories, the event study's controls are items of the same shop), so
filtering the inputs first gives exactly the shop's rows of the all-shops result, and is cheaper.
"""

from __future__ import annotations

from typing import TypeVar

import polars as pl

F = TypeVar("F", pl.LazyFrame, pl.DataFrame)


def for_shop(frame: F, shop: str | None) -> F:
    """``frame``'s rows of shop ``shop`` (its ``shop_id`` column); all rows when no shop is given.

    >>> for_shop(pl.DataFrame({"shop_id": ["S1", "S2"]}), "S2")["shop_id"].to_list()
    ['S2']
    """
    return frame.filter(pl.col("shop_id") == shop) if shop else frame
