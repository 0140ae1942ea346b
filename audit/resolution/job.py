"""The resolution analysis as a job: load, analyse once, build the views; the CLI's CSV files.

:func:`analyse` (typed tables in) is what the pack calls; :func:`load_and_analyse` (a folder in)
is what the CLI and a notebook opened on its own call; :func:`run_resolution` writes the
``review-audit resolution`` files from the same views.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from audit.core.bundle import saved_or
from audit.data import outputs
from audit.resolution.analysis import analyse_resolution
from audit.resolution.views import ResolutionViews, resolution_views

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import date, datetime

    import polars as pl

    from audit.data.dataset import Dataset

NAME = "resolution"

#: Output file per ResolutionAudit field (the first five are the issue's contract).
OUTPUT_FILES: dict[str, str] = {
    "by_agent": "resolution_by_agent.csv",
    "by_category": "resolution_by_category.csv",
    "by_agent_category": "resolution_by_agent_category.csv",
    "breaches": "protocol_breaches.csv",
    "unverified": "unverified_claims.csv",
    "workload": "resolution_workload.csv",
    "backlog": "resolution_backlog.csv",
    "log_vs_text": "log_vs_text_by_agent.csv",
    "log_vs_text_cases": "log_vs_text_cases.csv",
    "by_text_tier": "resolution_by_text_tier.csv",
}
REQUIRED_TABLES: tuple[str, ...] = ("reviews", "cases", "contacts", "agents")




@dataclass(frozen=True)
class ResolutionRun:
    """One analysis: its views and its instant."""

    views: ResolutionViews
    as_of: datetime


def check_sla(sla_hours: float) -> float:
    """``sla_hours`` when it is a positive number of hours, else a ``ParameterError``."""
    from audit.core.errors import ParameterError

    if not sla_hours > 0:
        raise ParameterError.worded(key="error.sla_hours", value=sla_hours)
    return sla_hours


def analyse(tables: Mapping[str, pl.LazyFrame], *, month: str, as_of: datetime,
            sla_hours: float = 24.0, shop: str | None = None) -> ResolutionRun:
    """Analyse the cohort of ``month`` (reviews posted then) as of ``as_of``; build the views."""
    from audit.core.dates import parse_month

    month_start, month_end = parse_month(month)
    tiers = cohort_tiers(tables, month_start=month_start, month_end=month_end, as_of=as_of,
                         shop=shop or None)
    audit = analyse_resolution(
        tables["reviews"], tables["cases"], tables["contacts"], tables["agents"],
        month_start=month_start, month_end=month_end, as_of=as_of,
        sla_hours=check_sla(sla_hours), shop=shop or None, tiers=tiers,
    )
    return ResolutionRun(resolution_views(audit, tables, month=month, as_of=as_of, tiers=tiers),
                         as_of)


def cohort_tiers(tables: Mapping[str, pl.LazyFrame], *, month_start: date, month_end: date,
                 as_of: datetime, shop: str | None = None) -> pl.LazyFrame:
    """The text tier of every neutral/negative review posted in the month (by ``as_of``).

    ``audit.tiering.tier_reviews`` on the cohort's reviews, collected once (the breaches and
    the log-vs-text views both read it): review_id, tier, tiers, confidence, evidence.
    """
    import polars as pl

    from audit.core.shops import for_shop
    from audit.tiering import IN_SCOPE_RATINGS, tier_reviews

    reviews = for_shop(tables["reviews"], shop).filter(
        pl.col("reviewed_at") <= as_of,
        pl.col("reviewed_at").dt.date().is_between(month_start, month_end, closed="both"),
        pl.col("rating").is_in(IN_SCOPE_RATINGS),
    )
    return tier_reviews(
        reviews.select("review_id", "rating", pl.col("review_text").alias("text"))
    ).collect().lazy()


def load_and_analyse(data_dir: Path | str, *, month: str, as_of: str | None = None,
                     sla_hours: float = 24.0, shop: str | None = None
                     ) -> tuple[ResolutionRun, Dataset]:
    """Load ``data_dir`` (validated) and :func:`analyse` it (as-of default: last activity)."""
    from audit.core.dates import parse_as_of, parse_month
    from audit.data.dataset import load_dataset

    parse_month(month)
    check_sla(sla_hours)
    as_of_dt = parse_as_of(as_of) if as_of else None
    ds = load_dataset(data_dir, require=REQUIRED_TABLES)
    run = analyse(ds.tables, month=month, as_of=as_of_dt or ds.last_activity(),
                  sla_hours=sla_hours, shop=shop)
    return run, ds


def run_resolution(
    data_dir: Path | str,
    out_dir: Path | str,
    *,
    month: str,
    as_of: str | None = None,
    sla_hours: float = 24.0,
    shop: str | None = None,
) -> dict[str, Path]:
    """Analyse one cohort month of ``data_dir`` and write the result files into ``out_dir``.

    Parameters
    ----------
    data_dir
        Exports folder or snapshot (``audit.data.dataset.load_dataset``).
    out_dir
        Created if missing; files are named as in ``OUTPUT_FILES``.
    month
        Cohort month ``YYYY-MM``.
    as_of
        ``YYYY-MM-DD`` (end of that day); ``None`` or ``""``: the data's last activity.
    sla_hours
        First-contact SLA in hours (must be positive).
    shop
        Only this shop_id; ``None`` or ``""``: all shops.

    Returns
    -------
    dict
        Field name -> path written.

    Raises
    ------
    ParameterError
        Malformed month, as-of date or SLA.
    StructuralError
        A required table (reviews, cases, contacts, agents) is absent or unreadable.
    """
    run, _ = load_and_analyse(data_dir, month=month, as_of=as_of, sla_hours=sla_hours,
                              shop=shop)
    out = Path(out_dir)
    written: dict[str, Path] = {}
    for field, name in OUTPUT_FILES.items():
        written[field] = out / name
        outputs.write_csv(getattr(run.views, field), written[field])
    return written


def notebook_views(*, views_dir: str, data_dir: str, month: str, as_of: str = "",
                   shop: str = "", sla_hours: float = 24.0) -> ResolutionViews:
    """The views the resolution notebook shows (the pack's, or a run on ``data_dir``)."""
    return saved_or(ResolutionViews, views_dir, NAME, lambda: load_and_analyse(
        data_dir, month=month, as_of=as_of or None, sla_hours=float(sla_hours),
        shop=shop or None)[0].views)
