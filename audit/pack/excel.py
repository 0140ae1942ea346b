"""The Excel action lists managers work from: who must pay whom, which cases broke the protocol.

Three workbooks, each built from an analysis module's public result (no rule is re-derived
here), buyers masked (:func:`audit.core.masking.mask_buyers`) before anything is written:

- ``promises_to_chase.xlsx``: every broken or partly kept promise as of ``as_of`` (any month:
  a debt does not expire with the month), one summary row per agent, then the promises sorted
  by agent and by days overdue, longest first;
- ``protocol_breaches.xlsx``: one row per (case, check) of the month's cohort;
- ``unverified_claims.xlsx``: cases of the month logged as revised/removed without evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING

import polars as pl

from audit.core.labels import label
from audit.core.masking import mask_buyers
from audit.data import outputs

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

#: Workbook file names, in the order the index lists them.
WORKBOOKS: tuple[str, ...] = ("promises_to_chase", "protocol_breaches", "unverified_claims")


@dataclass(frozen=True)
class ActionLists:
    """The three lists as frames (buyers already masked), ready to write or to test."""

    chase_by_agent: pl.DataFrame
    chase: pl.DataFrame
    breaches: pl.DataFrame
    unverified: pl.DataFrame

    def counts(self) -> dict[str, int]:
        """Rows per list (the index shows them beside the links)."""
        return {"promises_to_chase": self.chase.height, "protocol_breaches": self.breaches.height,
                "unverified_claims": self.unverified.height}


def _case_context(tables: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
    """case_id -> shop_id, review_id, buyer_id, rating, reviewed_at (the buyer is masked later)."""
    return tables["cases"].select("case_id", "review_id").join(
        tables["reviews"].select("review_id", "shop_id", "buyer_id", "rating", "reviewed_at"),
        on="review_id", how="left")


def _agents(tables: Mapping[str, pl.LazyFrame]) -> pl.LazyFrame:
    return tables["agents"].select("agent_id", "agent_name")


def chase_frames(tables: Mapping[str, pl.LazyFrame], *, as_of: date,
                 shop: str = "") -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Promises still owed after their due date (status broken or partial), and per agent."""
    from audit.promises.analysis import audit_promises

    audit = audit_promises(tables["promises"], tables["fulfilments"], tables["cases"],
                           tables["reviews"], tables["agents"],
                           as_of=datetime.combine(as_of, time.max))
    rows = audit.promises.filter(pl.col("status").is_in(["broken", "partial"]))
    if shop:
        rows = rows.filter(pl.col("shop_id") == shop)
    rows = (
        rows.join(_agents(tables), on="agent_id", how="left")
        .select("agent_id", "agent_name", "promise_id", "case_id", "shop_id", "order_id",
                "buyer_id", "kind", "promised_cny", "covered_cny", "owed_cny", "status",
                "flags", "promised_at", "due_at", "days_overdue", "ageing")
        .sort(["agent_id", "days_overdue", "promise_id"], descending=[False, True, False],
              nulls_last=True)
    )
    by_agent = (
        rows.group_by("agent_id", "agent_name")
        .agg(promises=pl.len(), owed_cny=pl.col("owed_cny").sum().round(2),
             max_days_overdue=pl.col("days_overdue").max())
        .sort(["owed_cny", "agent_id"], descending=[True, False])
    )
    return by_agent, rows


def resolution_frames(tables: Mapping[str, pl.LazyFrame], *, month: str, as_of: date,
                      shop: str = "") -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """The month's protocol breaches and unverified claims, with shop, buyer and agent name."""
    from audit.core.dates import parse_month
    from audit.resolution.analysis import analyse_resolution

    first, last = parse_month(month)
    audit = analyse_resolution(tables["reviews"], tables["cases"], tables["contacts"],
                               tables["agents"], month_start=first, month_end=last,
                               as_of=datetime.combine(as_of, time.max), shop=shop or None)
    ctx = _case_context(tables)
    from audit.resolution.protocol import sort_breaches

    breaches = sort_breaches(
        audit.breaches.join(ctx, on="case_id", how="left")
        .join(_agents(tables), on="agent_id", how="left")
        .select("case_id", "check", "agent_id", "agent_name", "shop_id", "review_id", "buyer_id",
                "rating", "reviewed_at", "detail")
    )  # sorted after the joins: they do not keep row order (polars maintain_order="none")
    unverified = (
        audit.unverified.join(ctx, on="case_id", how="left")
        .join(_agents(tables), on="agent_id", how="left")
        .select("case_id", "claimed_outcome", "agent_id", "agent_name", "shop_id", "review_id",
                "buyer_id", "rating", "reviewed_at")
        .sort("case_id")
    )
    return breaches, unverified


def build_action_lists(tables: Mapping[str, pl.LazyFrame], *, month: str, as_of: date,
                       shop: str = "") -> ActionLists:
    """All three lists, collected together and masked."""
    by_agent, chase = chase_frames(tables, as_of=as_of, shop=shop)
    breaches, unverified = resolution_frames(tables, month=month, as_of=as_of, shop=shop)
    # Money to the fen: sums of floats (0.1 + 0.2) must not reach a manager as 0.30000000000000004.
    chase = chase.with_columns(pl.col("promised_cny", "covered_cny", "owed_cny").round(2))
    frames = pl.collect_all([mask_buyers(f) for f in (by_agent, chase, breaches, unverified)])
    return ActionLists(*frames)


def _header(column: str, lang: str) -> str:
    try:
        return label(f"col.{column}", lang)
    except KeyError:
        return column


def _localised(df: pl.DataFrame, lang: str) -> pl.DataFrame:
    return df.rename({c: _header(c, lang) for c in df.columns})


def write_action_lists(lists: ActionLists, folder: Path, *, lang: str) -> dict[str, Path]:
    """Write the three workbooks into ``folder``; headers and sheet names in ``lang``."""
    sheets = {
        "promises_to_chase": {label("sheet.by_agent", lang): lists.chase_by_agent,
                              label("sheet.promises", lang): lists.chase},
        "protocol_breaches": {label("sheet.breaches", lang): lists.breaches},
        "unverified_claims": {label("sheet.unverified", lang): lists.unverified},
    }
    written = {}
    for name in WORKBOOKS:
        path = folder / f"{name}.xlsx"
        outputs.write_excel({s: _localised(df, lang) for s, df in sheets[name].items()}, path)
        written[name] = path
    return written
