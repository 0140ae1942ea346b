"""The ``review-audit promises`` job: validate, audit, write the three output files.

Kept apart from :mod:`audit.promises.analysis` so the matching stays pure (frames in, frames out) and the
CLI stays thin: this is the one place where the promise audit touches files.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import polars as pl

from audit.data import outputs
from audit.promises.analysis import (
    PAYMENT_AUDIT_COLUMNS,
    PROMISE_AUDIT_COLUMNS,
    PromiseAudit,
    audit_promises,
)

if TYPE_CHECKING:
    from datetime import datetime

    from audit.data.dataset import Dataset

REQUIRED_TABLES: tuple[str, ...] = ("promises", "fulfilments", "cases", "reviews", "agents")
OUTPUT_FILES: dict[str, str] = {
    "promises": "promise_audit.csv",
    "payments": "payment_audit.csv",
    "actions": "promise_actions.xlsx",
}


class PromiseRun(NamedTuple):
    """What a run produced: the audit, its instant, the files written, rows quarantined."""

    audit: PromiseAudit
    as_of: datetime
    written: dict[str, Path]
    quarantined: int


def load_and_audit(
    data_dir: Path | str, *, as_of: str | None = None, shop: str | None = None
) -> tuple[PromiseAudit, datetime, Dataset]:
    """Load ``data_dir`` (validated), and audit it as of ``as_of`` (default: last activity).

    Returns the audit, the audit instant and the ``Dataset`` (for its reports and agents).
    ``shop`` keeps one shop_id (matching never crosses shops, so filtering first is exact).
    """
    from audit.core.dates import parse_as_of
    from audit.data.dataset import load_dataset

    as_of_dt = parse_as_of(as_of) if as_of else None
    ds = load_dataset(data_dir, require=REQUIRED_TABLES)
    if as_of_dt is None:
        as_of_dt = ds.last_activity()
    t = ds.tables
    reviews, fulfilments = t["reviews"], t["fulfilments"]
    if shop:
        reviews = reviews.filter(pl.col("shop_id") == shop)
        fulfilments = fulfilments.filter(pl.col("shop_id") == shop)
        promises = t["promises"].join(
            t["cases"].join(reviews.select("review_id"), on="review_id", how="semi")
            .select("case_id"),
            on="case_id", how="semi",
        )
    else:
        promises = t["promises"]
    audit = audit_promises(promises, fulfilments, t["cases"], reviews, t["agents"],
                           as_of=as_of_dt)
    return audit, as_of_dt, ds


def run_promises(
    data_dir: Path | str, out_dir: Path | str, *, as_of: str | None = None,
    shop: str | None = None,
) -> PromiseRun:
    """Validate ``data_dir``, audit it, write ``OUTPUT_FILES`` and the quarantine to ``out_dir``.

    Parameters
    ----------
    data_dir
        Exports folder or snapshot (``audit.data.dataset.load_dataset``).
    out_dir
        Created if missing.
    as_of
        ``YYYY-MM-DD`` (end of that day); ``None`` or ``""``: the data's last activity.
    shop
        Only this shop_id; ``None`` or ``""``: all shops.

    Raises
    ------
    ParameterError
        Malformed as-of date.
    StructuralError
        A required table (promises, fulfilments, cases, reviews, agents) is absent or unreadable.
    """
    from audit.data.dataset import write_quarantine
    from audit.promises.views import action_list, agent_sheet_summary

    out = Path(out_dir)
    audit, as_of_dt, ds = load_and_audit(data_dir, as_of=as_of, shop=shop)
    write_quarantine(ds, out)
    prom = audit.promises.collect()
    pay = audit.payments.collect()
    written = {
        "promises": out / OUTPUT_FILES["promises"],
        "payments": out / OUTPUT_FILES["payments"],
        "actions": out / OUTPUT_FILES["actions"],
    }
    outputs.write_csv(prom.select(PROMISE_AUDIT_COLUMNS), written["promises"])
    outputs.write_csv(pay.select(PAYMENT_AUDIT_COLUMNS), written["payments"])
    frozen = PromiseAudit(prom.lazy(), pay.lazy())
    agents = ds.tables["agents"]
    outputs.write_excel(
        {
            "to chase": action_list(frozen, agents).collect(),
            "by agent": agent_sheet_summary(frozen, agents).collect(),
        },
        written["actions"],
    )
    return PromiseRun(frozen, as_of_dt, written, ds.rows_quarantined)
