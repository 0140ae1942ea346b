"""The promise audit as a job: load, analyse once, build the views; the CLI's output files.

:func:`analyse` (typed tables in) is what the pack calls; :func:`load_and_analyse` (a folder in)
is what the CLI and a notebook opened on its own call; :func:`run_promises` writes the
``review-audit promises`` files. All three end in the same :class:`PromiseRun`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from audit.core.bundle import saved_or
from audit.core.shops import for_shop
from audit.data import outputs
from audit.promises.analysis import (
    PAYMENT_AUDIT_COLUMNS,
    PROMISE_AUDIT_COLUMNS,
    PromiseAudit,
    audit_promises,
)
from audit.promises.chat_audit import chat_offers
from audit.promises.views import PromiseViews, conditional_lists, promise_views

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    import polars as pl

    from audit.data.dataset import Dataset

NAME = "promises"
REQUIRED_TABLES: tuple[str, ...] = ("promises", "fulfilments", "cases", "reviews", "agents")
OUTPUT_FILES: dict[str, str] = {
    "promises": "promise_audit.csv",
    "payments": "payment_audit.csv",
    "actions": "promise_actions.xlsx",
    "conditional": "conditional_evidence.csv",
    "chat": "chat_offers.csv",
}


@dataclass(frozen=True)
class PromiseRun:
    """One analysis: the audit (collected), its views, its instant, rows quarantined."""

    audit: PromiseAudit
    views: PromiseViews
    as_of: datetime
    quarantined: int = 0


def _shop_tables(tables: Mapping[str, pl.LazyFrame], shop: str | None
                 ) -> dict[str, pl.LazyFrame]:
    """The inputs restricted to ``shop`` (matching never crosses shops: exact)."""
    reviews = for_shop(tables["reviews"], shop)
    cases = tables["cases"].join(reviews.select("review_id"), on="review_id", how="semi")
    return {"reviews": reviews, "cases": cases,
            "fulfilments": for_shop(tables["fulfilments"], shop),
            "promises": tables["promises"].join(cases.select("case_id"), on="case_id",
                                                how="semi"),
            "agents": tables["agents"], "messages": for_shop(tables["messages"], shop)}


def chat_for(tables: Mapping[str, pl.LazyFrame], *, as_of: datetime) -> pl.LazyFrame | None:
    """The chat offers held against the log, or None when there are no chat messages.

    An absent ``messages`` export reads as an empty table: the chat check is skipped and the
    views say so (``chat_checked``), never "no offers found".
    """
    messages = tables.get("messages")
    if messages is None or messages.head(1).collect().height == 0:
        return None
    return chat_offers(messages, tables["cases"], tables["reviews"], tables["promises"],
                       as_of=as_of)


def analyse(tables: Mapping[str, pl.LazyFrame], *, as_of: datetime, month: str | None = None,
            shop: str | None = None) -> PromiseRun:
    """Audit ``tables`` as of ``as_of`` (one shop or all) and build the views for ``month``."""
    t = _shop_tables(tables, shop) if shop else tables
    lazy = audit_promises(t["promises"], t["fulfilments"], t["cases"], t["reviews"],
                          t["agents"], as_of=as_of)
    prom, pay = lazy.promises.collect(), lazy.payments.collect()
    audit = PromiseAudit(prom.lazy(), pay.lazy())
    views = promise_views(audit, t["agents"], as_of=as_of, month=month,
                          chat=chat_for(t, as_of=as_of))
    return PromiseRun(audit, views, as_of)


def load_and_analyse(data_dir: Path | str, *, as_of: str | None = None, month: str | None = None,
                     shop: str | None = None) -> tuple[PromiseRun, Dataset]:
    """Load ``data_dir`` (validated) and :func:`analyse` it (as-of default: last activity).

    Returns the run and the ``Dataset`` (for its quality reports and quarantine).
    """
    from dataclasses import replace

    from audit.core.dates import parse_as_of
    from audit.data.dataset import load_dataset

    as_of_dt = parse_as_of(as_of) if as_of else None
    ds = load_dataset(data_dir, require=REQUIRED_TABLES)
    run = analyse(ds.tables, as_of=as_of_dt or ds.last_activity(), month=month, shop=shop)
    return replace(run, quarantined=ds.rows_quarantined), ds


def excel_sheets(views: PromiseViews) -> dict[str, pl.DataFrame]:
    """The promise action list's sheets (the pack labels the same frames in its language).

    ``promises`` (the chase list, with the offers promised in chat and never logged) and
    ``by_agent``; then :func:`audit.promises.views.conditional_lists` (issue 13):
    ``conditional_found``, ``conditional_declared`` and, with a chat export,
    ``chat_conditional``.
    """
    return {"promises": views.chase, "by_agent": views.chase_by_agent,
            **conditional_lists(views)}


def write_outputs(run: PromiseRun, out: Path) -> dict[str, Path]:
    """Write ``OUTPUT_FILES`` into ``out``: the audit CSVs, the conditional evidence, the list.

    ``chat_offers.csv`` only with a chat export (``views.chat_checked``): an old file is
    removed, so a folder never shows chat findings the data did not support.
    """
    written = {key: out / name for key, name in OUTPUT_FILES.items()}
    outputs.write_csv(run.audit.promises.select(PROMISE_AUDIT_COLUMNS).collect(),
                      written["promises"])
    outputs.write_csv(run.audit.payments.select(PAYMENT_AUDIT_COLUMNS).collect(),
                      written["payments"])
    outputs.write_csv(run.views.conditional_evidence, written["conditional"])
    if run.views.chat_checked:
        outputs.write_csv(run.views.chat_offers, written["chat"])
    else:
        written.pop("chat").unlink(missing_ok=True)
    sheets = excel_sheets(run.views)
    names = {"promises": "to chase", "by_agent": "by agent",
             "conditional_found": "conditional (found)",
             "conditional_declared": "conditional (declared)",
             "chat_conditional": "conditional (chat)"}
    outputs.write_excel({names[k]: df for k, df in sheets.items()}, written["actions"])
    return written


def run_promises(
    data_dir: Path | str, out_dir: Path | str, *, as_of: str | None = None,
    shop: str | None = None,
) -> tuple[PromiseRun, dict[str, Path]]:
    """Validate ``data_dir``, audit it, write ``OUTPUT_FILES`` and the quarantine to ``out_dir``.

    Parameters
    ----------
    data_dir
        Exports folder or snapshot (:func:`audit.data.dataset.load_dataset`).
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

    out = Path(out_dir)
    run, ds = load_and_analyse(data_dir, as_of=as_of, shop=shop)
    write_quarantine(ds, out)
    return run, write_outputs(run, out)


def notebook_views(*, views_dir: str, data_dir: str, month: str, as_of: str = "",
                   shop: str = "") -> PromiseViews:
    """The views the promises notebook shows (the pack's saved ones, or a run on ``data_dir``)."""
    return saved_or(PromiseViews, views_dir, NAME, lambda: load_and_analyse(
        data_dir, as_of=as_of or None, month=month, shop=shop or None)[0].views)


def month_headline(tables: Mapping[str, pl.LazyFrame], *, month: str, as_of: datetime,
                   shop: str | None = None) -> dict[str, float | int | None]:
    """The promises made in ``month`` as of ``as_of``, without the other views.

    The ``month_headline`` of :func:`analyse` without the other views (the trends need it for every
    month at its own cut).
    """
    from audit.promises.views import in_month, promise_headline

    t = _shop_tables(tables, shop) if shop else tables
    lazy = audit_promises(t["promises"], t["fulfilments"], t["cases"], t["reviews"],
                          t["agents"], as_of=as_of)
    return promise_headline(in_month(lazy, month))
