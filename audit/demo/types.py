"""Shapes passed between the demo generator's parts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl


@dataclass(frozen=True)
class DemoPeriod:
    """The calendar a demo covers.

    Reviews arrive from ``start`` to ``export_date`` inclusive. ``export_date`` is the last day of
    the end month plus ``follow_up_days`` (30: the platform's revision window), so every review
    of the report months has had its full window by the time the data were exported. The data
    are "as of" the end of ``export_date``: nothing in them happens later.
    """

    start: date
    end_month_last_day: date
    follow_up_days: int = 30

    @property
    def export_date(self) -> date:
        """The last day with any activity in the data."""
        return self.end_month_last_day + timedelta(days=self.follow_up_days)

    @property
    def as_of(self) -> datetime:
        """The end of ``export_date`` (the truth is stated as of this instant)."""
        return datetime.combine(self.export_date, time(23, 59, 59, 999999))

    def month_starts(self) -> list[date]:
        """The first day of each report month, in order (the follow-up days are not one)."""
        starts, d = [], self.start
        while d <= self.end_month_last_day:
            starts.append(d)
            d = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
        return starts

    @property
    def days(self) -> list[date]:
        """Every calendar day from ``start`` to ``export_date``."""
        n = (self.export_date - self.start).days + 1
        return [self.start + timedelta(days=i) for i in range(n)]


@dataclass
class World:
    """Who and what exists: shops, agents (canonical ``agents`` table) and items.

    ``items`` has one row per item: shop_id, item_id, title, price_cny, popularity (relative
    weight of reviews and traffic, mean 1.0). ``drifting_agent`` loses skill month by month;
    ``bad_item`` draws extra quality complaints from ``bad_item_from`` (a month's first day).
    """

    shops: list[str]
    agents: pl.DataFrame
    items: pl.DataFrame
    truth: dict[str, pl.DataFrame] = field(default_factory=dict)
    drifting_agent: str = ""
    bad_item: str = ""
    bad_item_from: date | None = None


@dataclass
class Part:
    """What one generator part produces: canonical tables and the truth about them."""

    tables: dict[str, pl.DataFrame]
    truth: dict[str, pl.DataFrame] = field(default_factory=dict)
    facts: dict[str, object] = field(default_factory=dict)
