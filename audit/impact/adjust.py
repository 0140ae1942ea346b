"""Covariates for the event study: the *other* events on the same item around each unit.

Why: events are dense, so every window also holds other reviews, explanations and resolutions
on the same item, and older ones whose influence ends inside the window. Their timing does not
depend on the unit's treatment (the design's assumption), so they add no bias, but they move
conversion a lot and make the interval wide. Adjusting for them the way a randomised experiment
adjusts for pre-treatment covariates (Lin 2013: with covariates that the assignment does not
affect, a fixed adjustment cannot bias the comparison, only change its noise) removes much of
that noise without assuming how long any effect lasts. The fit is log-linear
(:func:`audit.impact.stats.estimate`): effects multiply conversion and pile up on busy items,
where a linear fit of the relative change bends to a handful of items.

Covariates, per unit row (treated unit or control pair) and event day k: for each event type
(negative review, neutral review, explanation, resolution) and horizon h in ``HORIZONS``, the
number of such events on the item during the h days up to day k. The unit's own review and its
own event are left out; each covariate is centred on the row's pre-window mean.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import polars as pl

    from audit.impact.design import Panel

TYPES: tuple[str, ...] = ("negative", "neutral", "explanation", "resolution")
#: Look-back horizons (days): from a review's quick dip to effects lasting two months.
HORIZONS: tuple[int, ...] = (3, 10, 30, 60)


def event_arrays(events: pl.DataFrame, panel: Panel) -> dict[str, np.ndarray]:
    """Count every review's events per item as running totals: items x (days + 1).

    ``events`` has one row per neutral/negative review (all of them, not only the units):
    i, rating, p, explanation, resolution as :func:`audit.impact.design.review_events` returns.
    """
    n_items, n_days = panel.visitors.shape
    i = events["i"].to_numpy()
    rating = events["rating"].to_numpy()
    p = events["p"].to_numpy()
    days = {"negative": (p, rating == "negative"), "neutral": (p, rating == "neutral"),
            "explanation": (events["explanation"].to_numpy(), np.ones(i.size, bool)),
            "resolution": (events["resolution"].to_numpy(), np.ones(i.size, bool))}
    out = {}
    for name, (day, mask) in days.items():
        c = np.zeros((n_items, n_days + 1))
        ok = mask & (day >= 0) & (day < n_days)
        np.add.at(c, (i[ok], day[ok] + 1), 1.0)
        out[name] = np.cumsum(c, axis=1)
    return out


def covariates(arrays: dict[str, np.ndarray], item: np.ndarray, day: np.ndarray,
               ks: np.ndarray, *, posted: np.ndarray, rating: np.ndarray,
               own_event: str | None) -> np.ndarray:
    """Days x rows x (types x horizons), centred on each row's pre-window mean.

    ``posted``: each row's own review day (left out of the review counts); ``own_event``: the
    event type whose occurrence on day 0 is the row's own treatment (left out), or None.
    """
    pre = ks < 0
    d = day[:, None] + ks[None, :]  # calendar day index of each cell
    age_own_review = d - posted[:, None]
    out = np.empty((ks.size, item.size, len(TYPES) * len(HORIZONS)))
    j = 0
    for name in TYPES:
        cum = arrays[name]
        upto = cum[item[:, None], d + 1]
        for h in HORIZONS:
            x = upto - cum[item[:, None], np.maximum(d + 1 - h, 0)]
            if name in ("negative", "neutral"):
                mine = (rating == name)[:, None]
                x = x - mine * ((age_own_review >= 0) & (age_own_review < h))
            if own_event == name:
                x = x - ((ks[None, :] >= 0) & (ks[None, :] < h))
            out[:, :, j] = (x - x[:, pre].mean(1, keepdims=True)).T
            j += 1
    return out
