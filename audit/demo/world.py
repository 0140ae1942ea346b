"""Demo part 1: shops, agents and items. (Owner: demo-core helper; placeholder until built.)"""

from __future__ import annotations

import numpy as np
import polars as pl

from audit.demo.types import DemoPeriod, World
from audit.schema import empty_frame


def build_world(rng: np.random.Generator, *, shops: int, period: DemoPeriod) -> World:
    """Shops, agents and items for a demo. PLACEHOLDER: replaced by the demo-core work."""
    items = pl.DataFrame(
        schema={"shop_id": pl.String, "item_id": pl.String, "title": pl.String,
                "price_cny": pl.Float64, "popularity": pl.Float64}
    )
    return World(shops=[f"S{i + 1:02d}" for i in range(shops)], agents=empty_frame("agents"),
                 items=items)
