"""The event study as a job: load, estimate once, build the views; the CLI's CSV files.

:func:`analyse` (typed tables in) is what the pack calls; :func:`load_and_analyse` (a folder in)
is what the CLI and a notebook opened on its own call; :func:`run_impact` writes the
``review-audit impact`` files.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from audit.core.bundle import saved_or
from audit.core.errors import ParameterError
from audit.data import outputs
from audit.impact.analysis import EVENTS, estimate_impact
from audit.impact.views import ImpactViews, impact_views

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import polars as pl

NAME = "impact"
REQUIRED_TABLES: tuple[str, ...] = ("sales_daily", "reviews")
OUTPUT_FILES: dict[str, str] = {"summary": "impact_summary.csv",
                                "event_study": "event_study.csv"}


def check_events(event: str | None) -> tuple[str, ...]:
    """The events to estimate: ``event`` alone, or every event when None."""
    if event is None:
        return EVENTS
    if event not in EVENTS:
        msg = f"--event must be one of {', '.join(EVENTS)}, got {event!r}"
        raise ParameterError(msg)
    return (event,)


def analyse(tables: Mapping[str, pl.LazyFrame], *, window: int = 14,
            events: Sequence[str] = EVENTS, shop: str | None = None) -> ImpactViews:
    """Estimate the event study on ``tables`` (one shop or all) and build its views."""
    result = estimate_impact(tables["sales_daily"], tables["reviews"], tiers=tables.get("cases"),
                             events=tuple(events), window=window, shop=shop or None)
    return impact_views(result, window=window)


def load_and_analyse(data_dir: Path | str, *, window: int = 14, event: str | None = None,
                     shop: str | None = None) -> ImpactViews:
    """Load ``data_dir`` (validated) and :func:`analyse` it."""
    from audit.data.dataset import load_dataset

    events = check_events(event)
    ds = load_dataset(data_dir, require=REQUIRED_TABLES)
    return analyse(ds.tables, window=window, events=events, shop=shop)


def run_impact(data_dir: Path | str, out_dir: Path | str, *, window: int = 14,
               event: str | None = None) -> tuple[ImpactViews, dict[str, Path]]:
    """Estimate on ``data_dir`` and write ``OUTPUT_FILES`` into ``out_dir``."""
    views = load_and_analyse(data_dir, window=window, event=event)
    out = Path(out_dir)
    written = {key: out / name for key, name in OUTPUT_FILES.items()}
    outputs.write_csv(views.summary, written["summary"])
    outputs.write_csv(views.event_study, written["event_study"])
    return views, written


def notebook_views(*, views_dir: str, data_dir: str, window: int = 14,
                   shop: str = "") -> ImpactViews:
    """The views the impact notebook shows (the pack's, or a run on ``data_dir``)."""
    return saved_or(ImpactViews, views_dir, NAME, lambda: load_and_analyse(
        data_dir, window=int(window), shop=shop or None))
