"""Reading a platform's tables into Spark and validating them by the embedded rules.

DATA is a folder with, per table, a Parquet file (``reviews.parquet``) or a Parquet dataset
folder (``reviews/``, ``reviews.parquet/``, hive-partitioned by shop or month or not at all).

Validation (:func:`validate`) is ``audit.data.dataset``'s, step for step: each partition runs
the same reader rules and contract (``exports.frame_export`` -> ``dataset.row_stage``: parsing
and the Great Expectations suite of ``data_contracts/``) through ``mapInArrow``, after the rows
are partitioned by the table's key so a uniqueness rule sees every duplicate; the cross-table
rules are Spark joins against the parents' valid rows, parents first, with the same rule and
reason words (``dataset.cross_rule``). Read = valid + quarantined + blank, per table.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from audit.core.errors import StructuralError
from audit.data import exports
from audit.data.dataset import CROSS_RULES, TOP_REASONS, TableReport, cross_rule, row_stage
from audit.data.schema import TABLES, table
from audit.spark.arrow import arrow_schema, spark_schema, to_arrow

if TYPE_CHECKING:
    from collections.abc import Iterator

    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

_FILE, _LINE, _BLANK, _DAY = "_source_file", "_source_row", "_blank_rows", "_exported_on"
_REASONS, _RULES, _RAW = "_reasons", "_rules", "raw__"
#: How a table's rows reach the per-shop pass: tables without shop_id get it from their parent.
SHOP_FROM: dict[str, tuple[str, str]] = {
    "cases": ("reviews", "review_id"),
    "contacts": ("cases", "case_id"),
    "promises": ("cases", "case_id"),
}


@dataclass
class SparkDataset:
    """The Spark twin of ``audit.data.dataset.Dataset``: valid rows, quarantine, reports."""

    tables: dict[str, DataFrame]
    absent: tuple[str, ...]
    reports: dict[str, TableReport]
    quarantine: dict[str, DataFrame]

    @property
    def rows_quarantined(self) -> int:
        """Quarantined rows over all tables."""
        return sum(r.rows_quarantined for r in self.reports.values())


def find_table(data_dir: Path, name: str) -> Path | None:
    """The Parquet file or dataset folder of table ``name`` in ``data_dir``, or None."""
    if not data_dir.is_dir():
        msg = f"data folder {data_dir} does not exist or is not a folder"
        raise StructuralError(msg)
    found = [p for p in (data_dir / name, data_dir / f"{name}.parquet") if p.exists()]
    if len(found) > 1:
        msg = f"table `{name}` has {len(found)} datasets in {data_dir}: keep exactly one"
        raise StructuralError(msg)
    return found[0] if found else None


def _raw(spark: SparkSession, data_dir: Path, path: Path, name: str) -> DataFrame:
    """The dataset as Spark reads it, with each row's file (relative to DATA) and 1-based row."""
    from pyspark.sql import functions as F

    try:
        df = spark.read.option("mergeSchema", "true").parquet(str(path))
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        msg = f"{path.name}: cannot read the dataset ({first})"
        raise StructuralError(msg) from exc
    prefix = data_dir.resolve().as_uri().replace("file:///", "file:/") + "/"
    relative = F.regexp_replace(F.col("_metadata.file_path"), r"^file:(//)?/", "file:/")
    cols = [F.col(f"`{c}`") for c in df.columns]
    return df.select(*cols, F.replace(relative, F.lit(prefix), F.lit("")).alias(_FILE),
                     (F.col("_metadata.row_index") + 1).alias(_LINE),
                     F.to_date(F.col("_metadata.file_modification_time")).alias(_DAY))


def _checked_schema(name: str) -> pl.Schema:
    """Schema of a partition's checked rows: typed columns, their text, source, problems."""
    spec = table(name)
    schema: dict[str, pl.DataType] = dict(spec.schema)
    schema.update({f"{_RAW}{c}": pl.String() for c in spec.schema})
    schema.update({_FILE: pl.String(), _LINE: pl.Int64(), _REASONS: pl.List(pl.String()),
                   _RULES: pl.List(pl.String()), _BLANK: pl.Int64()})
    return pl.Schema(schema)


def check_partition(name: str, target: pa.Schema, batches: Iterator[pa.RecordBatch]
                    ) -> Iterator[pa.RecordBatch]:
    """Run on a worker: one partition through the reader rules and the contract.

    Yields the partition's rows (typed values, their text, source file and row, reasons and
    rules found so far) and one row counting its fully blank rows.
    """
    import pyarrow as pa

    got = list(batches)
    if not got or sum(b.num_rows for b in got) == 0:
        return
    df = pl.from_arrow(pa.Table.from_batches(got))
    source = df.select(_FILE, _LINE, _DAY)
    raw = exports.frame_export(exports.as_text(df.drop(_FILE, _LINE, _DAY)),
                               pl.Series(range(df.height), dtype=pl.Int64), name, name)
    position = raw.frame[exports.SOURCE_ROW]
    day = source[_DAY].gather(position)

    def after_export(typed: pl.DataFrame) -> pl.DataFrame:
        # Each source file against its own date (the file's modification day, as embedded).
        return pl.concat([exports.after_export_date(typed.filter(day == d), name, d)
                          for d in day.unique().to_list()]
                         or [pl.DataFrame(schema=exports.PROBLEM_SCHEMA)])

    typed, problems, _ = row_stage(raw, after_export)
    per_row = (problems.group_by(exports.ROW, maintain_order=True)
               .agg(pl.col("reason").unique(maintain_order=True).alias(_REASONS),
                    pl.col("rule").unique(maintain_order=True).alias(_RULES)))
    cols = list(table(name).schema)
    out = (
        typed.with_columns(source[_FILE].gather(position), source[_LINE].gather(position),
                           *[raw.frame[c].alias(f"{_RAW}{c}") for c in cols])
        .join(per_row, on=exports.ROW, how="left")
        .with_columns(pl.col(_REASONS, _RULES).fill_null(pl.lit([], pl.List(pl.String))))
    )
    yield from to_arrow(out, target).to_batches()
    if raw.rows_blank:
        yield from to_arrow(pl.DataFrame({_BLANK: [raw.rows_blank]}), target).to_batches()


def _keys(name: str) -> list[str]:
    return list(table(name).key)


def read_dataset(spark: SparkSession, data_dir: Path | str, *, require: tuple[str, ...] = ()
                 ) -> SparkDataset:
    """Read and validate every table of ``data_dir`` (see the module docstring)."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    data_dir = Path(data_dir)
    tables: dict[str, DataFrame] = {}
    reports: dict[str, TableReport] = {}
    quarantine: dict[str, DataFrame] = {}
    absent: list[str] = []
    for name in TABLES:
        path = find_table(data_dir, name)
        if path is None:
            absent.append(name)
            tables[name] = spark.createDataFrame([], spark_schema(table(name).schema))
            reports[name] = TableReport(name, None)
            continue
        raw = _raw(spark, data_dir, path, name)
        notes = _check_columns(raw, name, path)
        struct = spark_schema(_checked_schema(name))
        target = arrow_schema(struct)
        keys = [F.trim(F.col(f"`{c}`").cast("string")) for c in _keys(name) if c in raw.columns]
        checked = (raw.repartition(*keys) if keys else raw).mapInArrow(
            lambda it, n=name, t=target: check_partition(n, t, it), struct
        ).persist(StorageLevel.MEMORY_AND_DISK)
        rows = checked.filter(F.col(_BLANK).isNull())
        for child, ccol, parent, pcol in CROSS_RULES:
            if child != name:
                continue
            if parent in absent:
                if parent != "agents":
                    notes.append(f"not checked: {child}.{ccol} -> {parent} ({parent} absent)")
                continue
            rule, reason = cross_rule(ccol, parent, pcol)
            before, after = reason.split("{}")
            found = F.col(ccol).isNotNull() & F.col("_parent").isNull()
            parents = tables[parent].select(F.col(pcol).alias("_parent")).distinct()
            rows = (rows.join(parents, rows[ccol] == parents["_parent"], "left")
                    .withColumn(_REASONS, F.when(found, F.concat(
                        F.col(_REASONS), F.array(F.concat(F.lit(before), F.col(ccol),
                                                          F.lit(after))))).otherwise(F.col(_REASONS)))
                    .withColumn(_RULES, F.when(found, F.concat(F.col(_RULES), F.array(F.lit(rule))))
                                .otherwise(F.col(_RULES)))
                    .drop("_parent"))
        rows = rows.withColumn(_REASONS, F.array_distinct(_REASONS)).persist(
            StorageLevel.MEMORY_AND_DISK)
        bad = F.size(_REASONS) > 0
        cols = list(table(name).schema)
        tables[name] = rows.filter(~bad).select(*cols).persist(StorageLevel.MEMORY_AND_DISK)
        quarantine[name] = rows.filter(bad).select(
            F.col(_FILE).alias("source_file"), F.col(_LINE).alias(exports.SOURCE_ROW),
            F.array_join(_REASONS, "; ").alias("reasons"),
            *[F.col(f"{_RAW}{c}").alias(c) for c in cols])
        reports[name] = _report(name, path, data_dir, checked, rows, notes)
        checked.unpersist()
    missing = [n for n in require if n in absent]
    if missing:
        msg = (f"{data_dir}: required table `{missing[0]}` is absent (no {missing[0]}.parquet "
               f"or {missing[0]}/ dataset)")
        raise StructuralError(msg)
    return SparkDataset(tables, tuple(absent), reports, quarantine)


def _check_columns(raw: DataFrame, name: str, path: Path) -> list[str]:
    """The reader's header rules on the dataset's columns, on the driver (one line on error)."""
    columns = [c for c in raw.columns if c not in (_FILE, _LINE, _DAY)]
    probe = pl.DataFrame({c: pl.Series([], dtype=pl.String) for c in columns})
    got = exports.frame_export(probe, pl.Series([], dtype=pl.Int64), name, path.name)
    return [f"ignored columns: {', '.join(got.ignored_columns)}"] if got.ignored_columns else []


def _report(name: str, path: Path, data_dir: Path, checked: DataFrame, rows: DataFrame,
            notes: list[str]) -> TableReport:
    """Counts and the most frequent rules, computed by Spark."""
    from pyspark.sql import functions as F

    blank = checked.agg(F.sum(_BLANK)).first()[0] or 0
    counts = rows.agg(F.count(F.lit(1)).alias("n"),
                      F.sum((F.size(_REASONS) > 0).cast("long")).alias("bad")).first()
    n, bad = counts["n"], counts["bad"] or 0
    top = (rows.select(F.explode(F.array_distinct(_RULES)).alias("rule")).groupBy("rule").count()
           .orderBy(F.desc("count"), F.asc("rule")).limit(TOP_REASONS).collect())
    return TableReport(table=name, source_file=str(path.relative_to(data_dir)),
                       rows_read=n + blank, rows_valid=n - bad, rows_quarantined=bad,
                       rows_blank=blank, top_reasons=tuple((r["rule"], r["count"]) for r in top),
                       notes=tuple(notes))


def with_shop(tables: dict[str, DataFrame]) -> dict[str, DataFrame]:
    """Every per-shop table with a ``shop_id`` (from its parent where it has none)."""
    out = dict(tables)
    for name in TABLES:
        if name in SHOP_FROM:
            parent, key = SHOP_FROM[name]
            out[name] = out[name].join(out[parent].select(key, "shop_id"), key, "inner")
    return out


def write_quarantine(ds: SparkDataset, out_dir: Path | str, *, for_owner: bool = False
                     ) -> list[Path]:
    """Each present table's quarantined rows as a Parquet dataset ``OUT/quarantine/<table>/``.

    Partitioned by the source file they came from, so a data owner finds a file's bad rows.
    Buyers masked and formulas neutralised as in ``audit.data.dataset.write_quarantine``,
    except with ``for_owner`` (``validate``: values as read, to fix the export).
    """
    from audit.data.outputs import safe_frame

    written = []
    for name, frame in ds.quarantine.items():
        path = Path(out_dir) / "quarantine" / name
        if not for_owner:
            target = arrow_schema(frame.schema)
            frame = frame.mapInArrow(lambda it, t=target: (
                b for batch in it for b in to_arrow(
                    safe_frame(pl.from_arrow(batch), csv=False), t).to_batches()), frame.schema)
        frame.withColumn("source", frame["source_file"]).write.mode("overwrite").partitionBy(
            "source").parquet(str(path))
        written.append(path)
    return written


def read_trusted(spark: SparkSession, data_dir: Path | str) -> dict[str, DataFrame]:
    """Tables already validated (typed canonical Parquet, e.g. an earlier run's valid rows).

    No contract is checked: for benchmarks and re-runs on data this engine validated before.
    """
    from pyspark.sql import functions as F

    data_dir = Path(data_dir)
    out = {}
    for name in TABLES:
        spec = table(name)
        path = find_table(data_dir, name)
        if path is None:
            out[name] = spark.createDataFrame([], spark_schema(spec.schema))
            continue
        df = spark.read.parquet(str(path))
        struct = spark_schema(spec.schema)
        out[name] = df.select(*[(F.col(f.name) if f.name in df.columns else F.lit(None))
                                .cast(f.dataType).alias(f.name) for f in struct.fields])
    return out
