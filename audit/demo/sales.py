"""Demo part 4: the item-day sales panel. (Owner: impact helper; placeholder until built.)"""

from __future__ import annotations

import numpy as np

from audit.demo.types import DemoPeriod, Part, World
from audit.schema import empty_frame


def simulate_sales(
    rng: np.random.Generator, world: World, log: Part, period: DemoPeriod, *, effect: bool
) -> Part:
    """Daily visitors, views, orders and GMV per item, with known effects. PLACEHOLDER."""
    return Part(tables={"sales_daily": empty_frame("sales_daily")})
