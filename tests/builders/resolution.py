"""Hand-built canonical frames for the resolution and protocol tests (no tests in here).

Rows are given as small dicts; every column not given gets a harmless default, so each test
shows only what it is about.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl

from audit.data.schema import empty_frame

T0 = datetime(2026, 10, 1, 9, 0)
R_OCT = T0
AS_OF = datetime(2026, 12, 31, 23, 59, 59, 999999)
OCT = (date(2026, 10, 1), date(2026, 10, 31))


def h(hours: float) -> datetime:
    """T0 plus ``hours``."""
    return T0 + timedelta(hours=hours)


def _frame(name: str, rows: list[dict], defaults: dict) -> pl.LazyFrame:
    schema = empty_frame(name).schema
    full = [{**defaults, **r} for r in rows]
    data = {c: [r.get(c) for r in full] for c in schema}
    return pl.DataFrame(data, schema=schema).lazy()


def reviews(rows: list[dict]) -> pl.LazyFrame:
    return _frame("reviews", rows, {
        "shop_id": "s1", "order_id": "o", "item_id": "i", "buyer_id": "b", "rating": "negative",
        "reviewed_at": T0,
    })


def cases(rows: list[dict]) -> pl.LazyFrame:
    return _frame("cases", rows, {"agent_id": "a1", "category": "logistics", "opened_at": T0,
                                  "outcome": "open"})


def contacts(rows: list[dict]) -> pl.LazyFrame:
    rows = [{"contact_id": f"k{i}", **r} for i, r in enumerate(rows)]
    return _frame("contacts", rows, {"agent_id": "a1", "channel": "shop_im", "reached": False})


def agents(rows: list[dict]) -> pl.LazyFrame:
    return _frame("agents", rows, {"agent_name": "x", "level": "senior",
                                   "joined_on": date(2026, 1, 1), "cash_limit_cny": 10.0})


def one_to_one(rows: list[dict]) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Reviews and cases from rows holding both (case_id ``c<n>`` on review ``r<n>``)."""
    review_cols = set(empty_frame("reviews").columns)
    case_cols = set(empty_frame("cases").columns)
    rv, cs = [], []
    for i, r in enumerate(rows):
        rv.append({"review_id": f"r{i}", **{k: v for k, v in r.items() if k in review_cols}})
        c = {k: v for k, v in r.items() if k in case_cols and k != "review_id"}
        cs.append({"case_id": f"c{i}", "review_id": f"r{i}", "opened_at":
                   r.get("reviewed_at", T0) + timedelta(hours=1), **c})
    return reviews(rv), cases(cs)
