"""Demo part 2: reviews, cases, contacts. (Owner: demo-core helper; placeholder until built.)"""

from __future__ import annotations

import numpy as np

from audit.demo.types import DemoPeriod, Part, World
from audit.schema import empty_frame


def simulate_handling(rng: np.random.Generator, world: World, period: DemoPeriod) -> Part:
    """Reviews, cases and contacts with injected protocol defects. PLACEHOLDER."""
    return Part(tables={t: empty_frame(t) for t in ("reviews", "cases", "contacts")})
