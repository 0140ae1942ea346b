"""What ``--engine spark`` and ``review-audit platform`` do, for the thin CLI to call.

Each command validates DATA through Spark first (``audit.spark.tables``), writes the
quarantine, then runs the per-shop pass (``audit.spark.engine``) and writes every output table
as Parquet partitioned by shop_id: ``OUT/<table>/shop_id=<S>/``. The table names are the
embedded command's file names without ``.csv`` (``promise_audit``, ``resolution_by_agent``,
...); each shop's rows are what ``review-audit <job> DATA --shop S`` computes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from audit.core.errors import ParameterError
from audit.data import outputs
from audit.spark.jobs import JOBS, Params, required_tables

if TYPE_CHECKING:
    from datetime import datetime

    from audit.spark.tables import SparkDataset

ENGINES: tuple[str, ...] = ("embedded", "spark")
#: What a ``platform`` run records for the per-shop packs (its month and as-of date).
RUN_FILE = "platform.json"


def check_engine(engine: str) -> bool:
    """True for the Spark engine, False for the embedded one; anything else is an error."""
    if engine not in ENGINES:
        msg = f"--engine must be one of {', '.join(ENGINES)}, got {engine!r}"
        raise ParameterError(msg)
    return engine == "spark"


def validate(data_dir: Path | str, out: Path | str | None, *, master: str | None = None
             ) -> SparkDataset:
    """Validate DATA through Spark; with ``out``, write ``OUT/quarantine/<table>/``."""
    from audit.spark.session import spark_session
    from audit.spark.tables import read_dataset, write_quarantine

    ds = read_dataset(spark_session(master), data_dir)
    if out is not None:
        write_quarantine(ds, out, for_owner=True)
    return ds


def run(data_dir: Path | str, out: Path | str, jobs: tuple[str, ...], *,
        master: str | None = None, as_of: str | None = None, month: str | None = None,
        sla_hours: float = 24.0, window: int = 14, event: str | None = None,
        shop: str | None = None) -> tuple[SparkDataset, dict[str, Path]]:
    """Validate, run ``jobs`` on every shop, write the quarantine and the output tables."""
    from audit.core.dates import parse_as_of, parse_month
    from audit.impact.analysis import check_window
    from audit.impact.job import check_events
    from audit.resolution.job import check_sla
    from audit.spark.engine import run_per_shop, write_tables
    from audit.spark.session import spark_session
    from audit.spark.tables import read_dataset, write_quarantine

    if shop:
        msg = ("--shop is for the embedded engine: --engine spark audits every shop "
               "(a shop's rows are in OUT/<table>/shop_id=<S>/)")
        raise ParameterError(msg)
    if month:
        parse_month(month)
    events = check_events(event)
    check_sla(sla_hours)
    check_window(window)
    if as_of:
        parse_as_of(as_of)
    required = tuple(dict.fromkeys(t for job in jobs for t in required_tables(job)))
    ds = read_dataset(spark_session(master), data_dir, require=required)
    params = Params(as_of=params_as_of(ds, as_of), month=month,
                    sla_hours=sla_hours, window=window, events=events)
    write_quarantine(ds, out)
    return ds, write_tables(run_per_shop(ds.tables, jobs, params), out)


def platform(data_dir: Path | str, out: Path | str, *, month: str,
             master: str | None = None, as_of: str | None = None, sla_hours: float = 24.0,
             window: int = 14) -> tuple[SparkDataset, dict[str, Path]]:
    """Every job for every shop, the pooled impact, and the valid inputs by shop (for packs).

    The pooled impact over the shops is ``OUT/platform_summary/`` (``audit.impact.pooled``).
    """
    from audit.spark.engine import PLATFORM_SUMMARY, write_platform_summary, write_tables
    from audit.spark.tables import with_shop

    ds, written = run(data_dir, out, JOBS, master=master, as_of=as_of, month=month,
                      sla_hours=sla_hours, window=window)
    written[PLATFORM_SUMMARY] = write_platform_summary(out)
    shop_tables = {n: f for n, f in with_shop(ds.tables).items() if n != "agents"}
    write_tables({f"valid/{n}": f for n, f in shop_tables.items()}, out)
    ds.tables["agents"].write.mode("overwrite").parquet(str(Path(out) / "valid" / "agents"))
    outputs.write_json({"month": month, "as_of": f"{params_as_of(ds, as_of):%Y-%m-%d}"},
                       Path(out) / RUN_FILE)
    return ds, written


def params_as_of(ds: SparkDataset, as_of: str | None) -> datetime:
    """The run's as-of instant: the given date's end, or the data's last activity."""
    from audit.core.dates import parse_as_of
    from audit.spark.engine import last_activity

    return parse_as_of(as_of) if as_of else last_activity(ds.tables)
