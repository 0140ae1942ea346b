"""audit.core.dates: the audit date is the end of its day; a month is its first and last day."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from audit.core.dates import parse_as_of, parse_month
from audit.core.errors import ParameterError


def test_as_of_is_end_of_day() -> None:
    assert parse_as_of("2026-10-31") == datetime(2026, 10, 31, 23, 59, 59, 999999)
    assert parse_as_of(" 2024-02-29 ") == datetime(2024, 2, 29, 23, 59, 59, 999999)


@pytest.mark.parametrize(
    ("value", "message"),
    [("2026-10", "as-of date must be YYYY-MM-DD (e.g. 2026-10-31), got '2026-10'"),
     ("31/10/2026", "as-of date must be YYYY-MM-DD (e.g. 2026-10-31), got '31/10/2026'"),
     ("2026-02-30", "as-of date '2026-02-30' is not a real calendar date"),
     ("", "as-of date must be YYYY-MM-DD (e.g. 2026-10-31), got ''")],
)
def test_as_of_errors(value: str, message: str) -> None:
    with pytest.raises(ParameterError, match=f"^{re.escape(message)}$"):
        parse_as_of(value)


@pytest.mark.parametrize(
    ("value", "first", "last"),
    [("2026-10", date(2026, 10, 1), date(2026, 10, 31)),
     ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
     ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
     ("2026-12", date(2026, 12, 1), date(2026, 12, 31))],
)
def test_month_bounds(value: str, first: date, last: date) -> None:
    assert parse_month(value) == (first, last)


@pytest.mark.parametrize(
    ("value", "message"),
    [("2026-13", "month '2026-13' has no month 13; expected 01-12"),
     ("2026-00", "month '2026-00' has no month 00; expected 01-12"),
     ("2026-10-01", "month must be YYYY-MM (e.g. 2026-10), got '2026-10-01'"),
     ("Oct 2026", "month must be YYYY-MM (e.g. 2026-10), got 'Oct 2026'")],
)
def test_month_errors(value: str, message: str) -> None:
    with pytest.raises(ParameterError, match=f"^{re.escape(message)}$"):
        parse_month(value)
