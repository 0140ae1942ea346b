"""The per-shop work: each job's own ``analyse`` on one shop's tables, and its output tables.

A shop's result is what ``review-audit <job> --shop S`` computes (``audit.core.shops``): the
jobs are called here exactly as the CLI and the pack call them. The output schemas are those
of the jobs' own results on empty inputs (:func:`output_schemas`), so they are never written
down a second time and cannot drift from the embedded path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from audit.data.schema import TABLES, empty_frame

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    import polars as pl

#: The jobs the engine runs, in the ``platform`` command's order.
JOBS: tuple[str, ...] = ("promises", "resolution", "impact")


@dataclass(frozen=True)
class Params:
    """What every job needs besides the tables (the embedded commands' options)."""

    as_of: datetime
    month: str | None = None
    sla_hours: float = 24.0
    window: int = 14
    events: tuple[str, ...] = field(default=("explanation", "resolution"))


def _promises(t: Mapping[str, pl.LazyFrame], p: Params) -> dict[str, pl.DataFrame]:
    from audit.promises.job import analyse

    run = analyse(t, as_of=p.as_of, month=p.month)
    return {"promise_audit": run.audit.promises.collect(),
            "payment_audit": run.audit.payments.collect(),
            "conditional_evidence": run.views.conditional_evidence}


def _resolution(t: Mapping[str, pl.LazyFrame], p: Params) -> dict[str, pl.DataFrame]:
    from audit.resolution.job import OUTPUT_FILES, analyse

    run = analyse(t, month=p.month or p.as_of.strftime("%Y-%m"), as_of=p.as_of,
                  sla_hours=p.sla_hours)
    return {name.removesuffix(".csv"): getattr(run.views, key)
            for key, name in OUTPUT_FILES.items()}


def _impact(t: Mapping[str, pl.LazyFrame], p: Params) -> dict[str, pl.DataFrame]:
    from audit.impact.job import analyse

    views = analyse(t, window=p.window, events=p.events)
    return {"impact_summary": views.summary, "event_study": views.event_study}


_RUNNERS = {"promises": _promises, "resolution": _resolution, "impact": _impact}


def required_tables(job: str) -> tuple[str, ...]:
    """The tables ``job`` cannot do without (the job module's own ``REQUIRED_TABLES``)."""
    from importlib import import_module

    return import_module(f"audit.{job}.job").REQUIRED_TABLES


def run_shop(jobs: tuple[str, ...], tables: Mapping[str, pl.DataFrame],
             params: Params) -> dict[str, pl.DataFrame]:
    """Every output table of ``jobs`` for one shop's ``tables`` (canonical, absent = empty)."""
    lazy = {n: (tables[n] if n in tables else empty_frame(n)).lazy() for n in TABLES}
    out: dict[str, pl.DataFrame] = {}
    for job in jobs:
        out.update(_RUNNERS[job](lazy, params))
    return out


@cache
def output_schemas(jobs: tuple[str, ...], params: Params) -> dict[str, pl.Schema]:
    """Output table -> polars schema, from the jobs' own results on empty inputs."""
    return {name: frame.schema for name, frame in run_shop(jobs, {}, params).items()}
