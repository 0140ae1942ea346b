"""Loading a shop's exports (or a validated snapshot) into clean, typed polars frames.

``load_dataset`` is the one door into the data for every analysis, notebook and command:

1. find each table's file (``reviews.csv``, ``promises.xlsx``, ...) and read it as text
   (``audit.exports.read_export``): encodings, Chinese headers, blank rows;
2. parse the text into canonical dtypes (``audit.exports.parse_table``): unreadable cells are row
   problems, not crashes;
3. check each table's row contract (``data_contracts/<table>.json``, Great Expectations, in
   ``audit.data.contracts``);
4. check the cross-table rules (a case's review exists, ...) in polars, parents first, so a
   row whose parent was quarantined is quarantined too;
5. hand out the valid rows (``Dataset.tables``) and keep the rest, with reasons and source row
   numbers, in ``Dataset.quarantine``.

A snapshot (``write_snapshot``) holds the result as typed Parquet; loading it skips steps 1-5
and never imports Great Expectations, so notebook kernels start fast.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from audit.core.dates import end_of_day
from audit.core.errors import StructuralError
from audit.data import exports, outputs
from audit.data.schema import TABLES, empty_frame, table

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from datetime import datetime

#: Marker file of a snapshot folder.
SNAPSHOT_FILE = "snapshot.json"
SNAPSHOT_FORMAT = "review-audit-snapshot/1"

#: Cross-table rules: (child table, child column, parent table, parent column). Checked in
#: this order against the parent's *valid* rows, parents before children. The agents rules
#: apply only when an agents table is present. Fulfilments -> promises is deliberately not a
#: rule: a payment citing an unknown promise is a finding of the promise audit, not bad data.
CROSS_RULES: tuple[tuple[str, str, str, str], ...] = (
    ("cases", "review_id", "reviews", "review_id"),
    ("cases", "agent_id", "agents", "agent_id"),
    ("contacts", "case_id", "cases", "case_id"),
    ("contacts", "agent_id", "agents", "agent_id"),
    ("promises", "case_id", "cases", "case_id"),
    ("promises", "agent_id", "agents", "agent_id"),
    ("messages", "case_id", "cases", "case_id"),
    ("messages", "agent_id", "agents", "agent_id"),
)

#: How many rules ``TableReport.top_reasons`` keeps.
TOP_REASONS = 8

#: Columns that record something happening (for ``last_activity``). Deadlines (due_at) and
#: hiring dates are not activity, and neither is the chat: a chat export often runs past the
#: handling log's export, and an optional table must not move the audit date of the others.
ACTIVITY_COLUMNS: dict[str, tuple[str, ...]] = {
    "reviews": ("reviewed_at", "explained_at", "revised_at", "removed_at"),
    "cases": ("opened_at", "closed_at"),
    "contacts": ("contacted_at",),
    "promises": ("promised_at",),
    "fulfilments": ("executed_at",),
    "sales_daily": ("date",),
}



@dataclass(frozen=True)
class TableReport:
    """What happened to one table's rows: read = valid + quarantined + blank, always."""

    table: str
    source_file: str | None
    rows_read: int = 0
    rows_valid: int = 0
    rows_quarantined: int = 0
    rows_blank: int = 0
    #: (rule, rows) of the most frequent problems, most frequent first.
    top_reasons: tuple[tuple[str, int], ...] = ()
    #: Things the reader wants the data owner to know (ignored columns, skipped rules).
    notes: tuple[str, ...] = ()

    @property
    def absent(self) -> bool:
        """True when the table had no file."""
        return self.source_file is None


@dataclass
class Dataset:
    """A shop's data after validation: valid rows per table, and what was set aside."""

    tables: dict[str, pl.LazyFrame]
    absent: tuple[str, ...]
    reports: dict[str, TableReport]
    quarantine: dict[str, pl.DataFrame] = field(default_factory=dict)
    source: Path | None = None

    def last_activity(self) -> datetime:
        """End (23:59:59.999999) of the last day on which anything happened in the data.

        The default "as of" of every report: looks at review, case, contact, promise, payment
        and sales dates (``ACTIVITY_COLUMNS``), never at deadlines.

        Raises
        ------
        StructuralError
            When no table has any dated row.
        """
        exprs = []
        for name, cols in ACTIVITY_COLUMNS.items():
            lf = self.tables[name]
            exprs.append(lf.select(pl.max_horizontal(
                [pl.col(c).max().cast(pl.Date) for c in cols]).alias("d")))
        last = pl.concat(exprs).select(pl.col("d").max()).collect().item()
        if last is None:
            raise StructuralError.worded(key="error.no_activity")
        return end_of_day(last)

    @property
    def rows_quarantined(self) -> int:
        """Quarantined rows over all tables."""
        return sum(r.rows_quarantined for r in self.reports.values())


def load_dataset(data_dir: Path | str, *, require: Iterable[str] = ()) -> Dataset:
    """Read, type and validate every table in ``data_dir`` (a folder of exports or a snapshot).

    Parameters
    ----------
    data_dir
        A folder with one file per table (``reviews.csv``, ``promises.xlsx``, ...), or a
        snapshot folder written by ``write_snapshot``.
    require
        Tables the caller cannot do without; an absent one is a structural error.

    Returns
    -------
    Dataset
        ``tables`` holds every canonical table (absent ones empty, with the schema), valid rows
        only, canonical names, dtypes and column order.

    Raises
    ------
    StructuralError
        A required table is absent, a file is unreadable or lacks a required column, or two
        files claim the same table.
    """
    data_dir = Path(data_dir)
    required = tuple(require)
    for name in required:
        table(name)  # unknown names fail loudly
    if (data_dir / SNAPSHOT_FILE).is_file():
        ds = _load_snapshot(data_dir)
    else:
        ds = _load_exports(data_dir)
    missing = [n for n in required if n in ds.absent]
    if missing:
        raise StructuralError.worded(key="error.table_absent", folder=data_dir, table=missing[0])
    return ds


def _load_exports(data_dir: Path) -> Dataset:
    # Tables go in dependency order (TABLES lists parents first), and each is finished --
    # parsed, contract-checked, cross-checked against its parents' valid rows, split into
    # valid and quarantined -- before the next is read, so only one table's raw text is in
    # memory at a time.
    tables: dict[str, pl.LazyFrame] = {}
    reports: dict[str, TableReport] = {}
    quarantine: dict[str, pl.DataFrame] = {}
    valid: dict[str, pl.DataFrame] = {}
    absent = []
    for name in TABLES:
        path = exports.find_table_file(data_dir, name)
        if path is None:
            absent.append(name)
            tables[name] = empty_frame(name).lazy()
            reports[name] = TableReport(name, None)
            quarantine[name] = _empty_quarantine(name)
            continue
        valid[name], quarantine[name], reports[name] = _load_table(path, name, valid)
        tables[name] = valid[name].lazy()
    if len(absent) == len(TABLES):
        raise StructuralError.worded(key="error.no_exports", folder=data_dir,
                                     tables=", ".join(f"`{t}`" for t in TABLES))
    return Dataset(tables, tuple(absent), reports, quarantine, data_dir)


def _load_table(
    path: Path, name: str, parents: dict[str, pl.DataFrame]
) -> tuple[pl.DataFrame, pl.DataFrame, TableReport]:
    """Read, parse and check one export: (valid rows, quarantined rows, report)."""
    raw = exports.read_export(path, name)
    df, row_problems, notes = row_stage(raw)
    found = [row_problems]

    # Cross-table step, against the parents' valid rows (already final: parents come first).
    for child, ccol, parent, pcol in CROSS_RULES:
        if child != name:
            continue
        if parent not in parents:
            if parent != "agents":
                notes.append(f"not checked: {child}.{ccol} -> {parent} ({parent} absent)")
            continue
        rule, reason = cross_rule(ccol, parent, pcol)
        found.append(
            df.lazy()
            .filter(pl.col(ccol).is_not_null())
            .join(parents[parent].lazy().select(pcol).unique(), left_on=ccol, right_on=pcol,
                  how="anti")
            .select(pl.col(exports.ROW), pl.lit(ccol).alias("column"), pl.lit(rule).alias("rule"),
                    pl.format(reason, pl.col(ccol)).alias("reason"))
            .collect()
        )
    problems = pl.concat(found, how="vertical_relaxed")

    cols = list(table(name).schema)
    per_row = row_reasons(problems)
    good = (df.join(per_row.select(exports.ROW), on=exports.ROW, how="anti")
            .sort(exports.ROW).select(cols))
    bad = (
        raw.frame.join(per_row, on=exports.ROW, how="inner").sort(exports.ROW)
        .select(pl.col(exports.SOURCE_FILE) if exports.SOURCE_FILE in raw.frame.columns
                else pl.lit(raw.source_file).alias(exports.SOURCE_FILE),
                exports.SOURCE_ROW, "reasons", *cols)
    )
    top = (
        problems.unique([exports.ROW, "rule"]).group_by("rule").len()
        .sort(["len", "rule"], descending=[True, False]).head(TOP_REASONS)
    )
    report = TableReport(
        table=name,
        source_file=raw.source_file,
        rows_read=raw.frame.height + raw.rows_blank,
        rows_valid=good.height,
        rows_quarantined=bad.height,
        rows_blank=raw.rows_blank,
        top_reasons=tuple((r, int(n)) for r, n in top.iter_rows()),
        notes=tuple(notes),
    )
    return good, bad, report


def row_stage(raw: exports.RawExport, after_export: Callable[[pl.DataFrame], pl.DataFrame]
              | None = None) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    """The checks that need one row alone: parsing and the table's contract.

    Returns the typed rows (with ``__row``), their problems (``__row``, column, rule, reason)
    and notes. Shared with the Spark engine, which runs it on each partition (rows of one key
    in one partition, so the contract's uniqueness rules see every duplicate) and passes
    ``after_export`` (the dates after the export's own date, per source file of the partition).
    """
    from audit.data import contracts  # GX is imported there, lazily: snapshots never pay for it

    notes = [f"ignored columns: {', '.join(raw.ignored_columns)}"] if raw.ignored_columns else []
    notes += raw.notes
    df, unreadable = exports.parse_table(raw.frame, raw.table)
    late = (after_export(df) if after_export is not None
            else exports.after_export_date(df, raw.table, raw.exported_on))
    unreadable = pl.concat([raw.problems, unreadable, late])
    row_problems = contracts.check_rows(df, raw.table, source_file=raw.source_file)
    # An unreadable required cell is null after parsing, so the contract also calls it
    # missing; the "cannot read" reason is the useful one, keep only that.
    row_problems = row_problems.join(
        unreadable.select(exports.ROW, "column"), on=[exports.ROW, "column"], how="anti")
    return df, pl.concat([unreadable, row_problems], how="vertical_relaxed"), notes


def cross_rule(ccol: str, parent: str, pcol: str) -> tuple[str, str]:
    """(rule, reason template with one ``{}`` for the value) of a cross-table rule."""
    return (f"{ccol}: no valid {parent} row with this {pcol}",
            f"{ccol}: no valid {parent} row with {pcol} '{{}}'")


def row_reasons(problems: pl.DataFrame) -> pl.DataFrame:
    """One row per problem row: ``__row`` and its distinct reasons, in order, joined by "; "."""
    return (problems.group_by(exports.ROW, maintain_order=True)
            .agg(pl.col("reason").unique(maintain_order=True).str.join("; ").alias("reasons")))


def _empty_quarantine(name: str) -> pl.DataFrame:
    schema = {"source_file": pl.String, exports.SOURCE_ROW: pl.Int64, "reasons": pl.String}
    schema.update({c: pl.String for c in table(name).schema})
    return pl.DataFrame(schema=schema)


def write_quarantine(ds: Dataset, out_dir: Path | str, *, for_owner: bool = False
                     ) -> list[Path]:
    """Write each present table's quarantined rows to ``out_dir/quarantine/<table>.csv``.

    Buyers are masked as in every output, except with ``for_owner`` (``review-audit
    validate``, run by the data owner to fix the export: values as they were read). Formula
    text is neutralised either way (:func:`audit.data.outputs.safe_frame`). Tables without
    quarantined rows get a header-only file, so an old file never lingers.

    Returns
    -------
    list[Path]
        The files written.
    """
    folder = Path(out_dir) / "quarantine"
    written = []
    for name in TABLES:
        if name in ds.absent:
            continue
        path = folder / f"{name}.csv"
        outputs.write_csv(ds.quarantine.get(name, _empty_quarantine(name)), path,
                          mask=not for_owner)
        written.append(path)
    return written


def write_snapshot(ds: Dataset, snapshot_dir: Path | str) -> Path:
    """Write ``ds`` as typed Parquet plus ``snapshot.json``; ``load_dataset`` reads it back.

    Monthly packs validate once in the orchestrating process and hand notebooks a snapshot,
    so kernels never import Great Expectations.

    Returns
    -------
    Path
        The snapshot folder.
    """
    folder = Path(snapshot_dir)
    folder.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        ds.tables[name].collect().write_parquet(folder / f"{name}.parquet")
        ds.quarantine.get(name, _empty_quarantine(name)).write_parquet(
            folder / f"{name}.quarantine.parquet")
    meta = {
        "format": SNAPSHOT_FORMAT,
        "source": str(ds.source) if ds.source else None,
        "absent": list(ds.absent),
        "reports": {n: asdict(r) for n, r in ds.reports.items()},
    }
    outputs.write_json(meta, folder / SNAPSHOT_FILE)
    return folder


def _load_snapshot(folder: Path) -> Dataset:
    meta = json.loads((folder / SNAPSHOT_FILE).read_text("utf-8"))
    if meta.get("format") != SNAPSHOT_FORMAT:
        raise StructuralError.worded(key="error.snapshot_format", path=folder / SNAPSHOT_FILE,
                                     format=repr(meta.get("format")))
    tables, quarantine, reports = {}, {}, {}
    for name in TABLES:
        path = folder / f"{name}.parquet"
        if not path.is_file():
            raise StructuralError.worded(key="error.snapshot_table", path=path, table=name)
        tables[name] = pl.scan_parquet(path).select(
            [pl.col(c).cast(t) for c, t in table(name).schema.items()])
        qpath = folder / f"{name}.quarantine.parquet"
        quarantine[name] = pl.read_parquet(qpath) if qpath.is_file() else _empty_quarantine(name)
        r = meta["reports"].get(name, {"table": name, "source_file": None})
        r["top_reasons"] = tuple(tuple(x) for x in r.get("top_reasons", ()))
        r["notes"] = tuple(r.get("notes", ()))
        reports[name] = TableReport(**r)
    return Dataset(tables, tuple(meta["absent"]), reports, quarantine, folder)


#: Columns of ``summary_rows`` (the ``validate`` command's table).
SUMMARY_COLUMNS: tuple[str, ...] = (
    "table", "file", "read", "valid", "quarantined", "blank",
)


def summary_rows(ds: Dataset) -> list[tuple[str, ...]]:
    """One row of text per canonical table for the ``validate`` summary (absent ones too).

    ``read`` = ``valid`` + ``quarantined`` + ``blank`` on every row. The reasons are in
    ``TableReport.top_reasons``.
    """
    out = []
    for name in TABLES:
        r = ds.reports[name]
        if r.absent:
            out.append((name, "absent", "-", "-", "-", "-"))
            continue
        out.append((name, r.source_file or "", f"{r.rows_read:,}", f"{r.rows_valid:,}",
                    f"{r.rows_quarantined:,}", f"{r.rows_blank:,}"))
    return out
