"""Shared builders for the foundation tests: one consistent good row per table."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from audit.data.schema import table

GOOD: dict[str, list[dict[str, str | None]]] = {
    "agents": [
        {"agent_id": "A1", "agent_name": "小王", "level": "novice", "joined_on": "2025-03-01",
         "cash_limit_cny": "50"},
        {"agent_id": "A2", "agent_name": "老李", "level": "senior", "joined_on": "2020-01-15",
         "cash_limit_cny": "200"},
    ],
    "reviews": [
        {"review_id": "R1", "shop_id": "S1", "order_id": "O1", "item_id": "I1", "buyer_id": "b_one",
         "rating": "negative", "review_text": "太慢了", "reviewed_at": "2026-10-03 20:15:00",
         "explanation_text": "抱歉", "explained_at": "2026-10-04 09:00:00",
         "revised_rating": "positive", "revised_at": "2026-10-06 10:00:00", "removed_at": None},
        {"review_id": "R2", "shop_id": "S1", "order_id": "O2", "item_id": "I2", "buyer_id": "b_two",
         "rating": "neutral", "review_text": None, "reviewed_at": "2026-10-05 08:00:00",
         "explanation_text": None, "explained_at": None, "revised_rating": None,
         "revised_at": None, "removed_at": "2026-10-09 00:00:00"},
    ],
    "cases": [
        {"case_id": "C1", "review_id": "R1", "agent_id": "A1", "category": "logistics",
         "opened_at": "2026-10-03 21:00:00", "closed_at": "2026-10-06 10:00:00",
         "outcome": "revised"},
        {"case_id": "C2", "review_id": "R2", "agent_id": "A2", "category": "quality",
         "opened_at": "2026-10-05 09:00:00", "closed_at": None, "outcome": "open"},
    ],
    "contacts": [
        {"contact_id": "K1", "case_id": "C1", "agent_id": "A1", "channel": "shop_im",
         "contacted_at": "2026-10-03 21:05:00", "reached": "true"},
        {"contact_id": "K2", "case_id": "C2", "agent_id": "A2", "channel": "phone",
         "contacted_at": "2026-10-08 10:00:00", "reached": "false"},
    ],
    "promises": [
        {"promise_id": "P1", "case_id": "C1", "agent_id": "A1", "kind": "cash_back",
         "amount_cny": "10", "promised_at": "2026-10-04 10:00:00", "due_at": "2026-10-07 10:00:00",
         "conditional_on_review": "true"},
        {"promise_id": "P2", "case_id": "C2", "agent_id": "A2", "kind": "gift",
         "amount_cny": None, "promised_at": "2026-10-05 10:00:00", "due_at": "2026-10-05 10:00:00",
         "conditional_on_review": "false"},
    ],
    "fulfilments": [
        {"fulfilment_id": "F1", "shop_id": "S1", "order_id": "O1", "buyer_id": "b_one",
         "kind": "cash_back", "amount_cny": "10", "executed_at": "2026-10-06 11:00:00",
         "reference": "ALI123", "promise_id": "P1"},
        {"fulfilment_id": "F2", "shop_id": "S1", "order_id": None, "buyer_id": "b_three",
         "kind": "gift", "amount_cny": None, "executed_at": "2026-10-07 11:00:00",
         "reference": None, "promise_id": None},
    ],
    "sales_daily": [
        {"shop_id": "S1", "item_id": "I1", "date": "2026-10-03", "visitors": "100",
         "page_views": "250", "review_page_views": "40", "orders": "5", "gmv_cny": "500.5"},
        {"shop_id": "S1", "item_id": "I1", "date": "2026-10-04", "visitors": "90",
         "page_views": "200", "review_page_views": "30", "orders": "0", "gmv_cny": "0"},
    ],
    "messages": [
        {"message_id": "M1", "shop_id": "S1", "buyer_id": "b_one", "agent_id": "A1",
         "sender": "agent", "sent_at": "2026-10-04 09:55:00", "text": "给您返10元",
         "case_id": "C1"},
        {"message_id": "M2", "shop_id": "S1", "buyer_id": "b_one", "agent_id": None,
         "sender": "buyer", "sent_at": "2026-10-04 09:56:00", "text": "好的", "case_id": None},
    ],
}


def text_frame(name: str, rows: list[dict[str, str | None]]) -> pl.DataFrame:
    """Rows as an all-string frame with the canonical header."""
    cols = list(table(name).schema)
    return pl.DataFrame({c: [r.get(c) for r in rows] for c in cols},
                        schema={c: pl.String for c in cols})


def write_table(folder: Path, name: str, rows: list[dict[str, str | None]]) -> Path:
    """Write ``rows`` as ``folder/<name>.csv`` (UTF-8, canonical header)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.csv"
    text_frame(name, rows).write_csv(path)
    return path


def write_all(folder: Path, overrides: dict[str, list[dict]] | None = None) -> Path:
    """Write every table's good rows (or ``overrides[name]``) into ``folder``."""
    overrides = overrides or {}
    for name, rows in GOOD.items():
        write_table(folder, name, overrides.get(name, rows))
    return folder
