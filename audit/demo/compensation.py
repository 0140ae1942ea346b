"""Demo part 3: promises and fulfilments. (Owner: promises helper; placeholder until built.)"""

from __future__ import annotations

import numpy as np

from audit.demo.types import DemoPeriod, Part, World
from audit.schema import empty_frame


def simulate_compensation(
    rng: np.random.Generator, world: World, log: Part, period: DemoPeriod
) -> Part:
    """Promises and fulfilments with injected defects. PLACEHOLDER."""
    return Part(tables={t: empty_frame(t) for t in ("promises", "fulfilments")})
