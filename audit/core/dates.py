"""Parsing the two date parameters every report takes: an audit date and a report month.

Dates reach the toolkit as ISO strings (papermill keeps notebook parameters as strings), so
they are parsed here, once, with one-line errors that say what was expected.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, time

import polars as pl

from audit.core.errors import ParameterError

_AS_OF = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONTH = re.compile(r"\d{4}-\d{2}")


def parse_as_of(value: str) -> datetime:
    """The end of day ``value`` (YYYY-MM-DD): everything that happened that day counts.

    An audit "as of 31 October" must include a payment made at 23:30 that day, so the audit
    date is the last microsecond of the day, not its midnight.

    Parameters
    ----------
    value
        A date written YYYY-MM-DD.

    Returns
    -------
    datetime
        ``value`` at 23:59:59.999999.

    Raises
    ------
    ParameterError
        When ``value`` is not a real date written YYYY-MM-DD.

    Examples
    --------
    >>> parse_as_of("2026-10-31")
    datetime.datetime(2026, 10, 31, 23, 59, 59, 999999)
    """
    text = str(value).strip()
    if not _AS_OF.fullmatch(text):
        raise ParameterError.worded(key="error.as_of_format", value=repr(value))
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ParameterError.worded(key="error.as_of_calendar", value=repr(value)) from None
    return end_of_day(day)


def parse_month(value: str) -> tuple[date, date]:
    """The first and last day of month ``value`` (YYYY-MM).

    Parameters
    ----------
    value
        A month written YYYY-MM.

    Returns
    -------
    tuple[date, date]
        (first day, last day) of the month, both inclusive.

    Raises
    ------
    ParameterError
        When ``value`` is not a month written YYYY-MM.

    Examples
    --------
    >>> parse_month("2026-02")
    (datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))
    """
    text = str(value).strip()
    if not _MONTH.fullmatch(text):
        raise ParameterError.worded(key="error.month_format", value=repr(value))
    year, month = int(text[:4]), int(text[5:])
    if not 1 <= month <= 12 or year < 1:
        raise ParameterError.worded(key="error.month_number", value=repr(value),
                                    month=f"{month:02d}")
    last = calendar.monthrange(year, month)[1]
    return date(year, month, 1), date(year, month, last)


def end_of_day(day: date | datetime) -> datetime:
    """``day`` as an audit instant: a date means the last microsecond of that day.

    The one end-of-day cut of the toolkit: everything that happened on the audit date counts.
    A datetime is returned unchanged.

    >>> end_of_day(date(2026, 10, 31))
    datetime.datetime(2026, 10, 31, 23, 59, 59, 999999)
    """
    if isinstance(day, datetime):
        return day
    return datetime.combine(day, time.max)


def previous_month(month: str) -> str:
    """The month before ``month`` (YYYY-MM).

    >>> previous_month("2026-01")
    '2025-12'
    """
    first, _ = parse_month(month)
    index = first.year * 12 + first.month - 2
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_earlier(day: date) -> date:
    """``day`` one calendar month earlier, clamped to the month's length.

    Comparing this month with the previous one "at the same age" moves the audit date back by
    exactly this.

    >>> month_earlier(date(2026, 3, 31))
    datetime.date(2026, 2, 28)
    """
    index = day.year * 12 + day.month - 2
    year, month = index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def in_month(column: str, month: str) -> pl.Expr:
    """True where timestamp ``column`` falls on a day of ``month`` (YYYY-MM)."""
    first, last = parse_month(month)
    return pl.col(column).dt.date().is_between(first, last)
