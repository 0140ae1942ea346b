"""The year's rhythm of a demo shop: review volume and traffic peak in November (Double 11).

One smooth factor per calendar day, mean about 1.0 over a year: 1 + 0.2 cos(2 pi (d - d_peak) /
365.25), with the peak on 11 November and the trough in May. Reviews (audit.demo.handling) and
visitors (audit.demo.sales) both follow it, so complaints per 1,000 orders stay level over the
year while the volumes a trend shows rise and fall.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

#: Amplitude of the seasonal swing (±20% around the year's mean).
AMPLITUDE = 0.2
_PEAK = (11, 11)


def season_factor(start: date, n_days: int) -> np.ndarray:
    """The seasonal volume factor of each of ``n_days`` days from ``start``.

    Examples
    --------
    >>> f = season_factor(date(2026, 1, 1), 365)
    >>> round(float(f.max()), 3), int(f.argmax()) == (date(2026, 11, 11) - date(2026, 1, 1)).days
    (1.2, True)
    >>> round(float(f.mean()), 3)
    1.0
    """
    days = [start + timedelta(days=i) for i in range(n_days)]
    offset = np.array([(d - date(d.year, *_PEAK)).days for d in days], dtype=float)
    return 1.0 + AMPLITUDE * np.cos(2.0 * np.pi * offset / 365.25)
