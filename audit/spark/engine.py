"""The per-shop pass and the cross-shop pass: what ``--engine spark`` and ``platform`` run.

One shuffle brings all of a shop's rows together: every per-shop table is tagged with its
name and stacked (``unionByName``), grouped by ``shop_id``, and each group is split back into
canonical polars tables on a worker, where :func:`audit.spark.jobs.run_shop` runs the jobs'
own analyses. Its output tables leave the worker stacked the same way (each column prefixed
with its table's name) and are split again by Spark. The small ``agents`` table has no shop
and goes to every worker whole. Cross-shop steps run on the results: the as-of date as a Spark
aggregation, the pooled impact (:func:`write_platform_summary`) as a second pass on the written
per-shop headline rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from audit.data import outputs
from audit.data.dataset import ACTIVITY_COLUMNS
from audit.data.schema import TABLES, table
from audit.spark.arrow import arrow_schema, spark_schema, to_arrow, to_polars
from audit.spark.jobs import Params, output_schemas, run_shop
from audit.spark.tables import with_shop

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    import pyarrow as pa
    from pyspark.sql import DataFrame

_TAG, _SEP = "_table", "__"
#: Tables that belong to one shop (``agents`` is shared by all).
SHOP_TABLES: tuple[str, ...] = tuple(n for n in TABLES if n != "agents")


def last_activity(tables: Mapping[str, DataFrame]) -> datetime:
    """``Dataset.last_activity`` as one Spark aggregation per table (the same columns)."""
    from pyspark.sql import functions as F

    from audit.core.dates import end_of_day
    from audit.core.errors import StructuralError

    days = []
    for name, cols in ACTIVITY_COLUMNS.items():
        row = tables[name].agg(*[F.max(F.col(c).cast("date")) for c in cols]).first()
        days.extend(d for d in row if d is not None)
    if not days:
        msg = "no dated activity in any table; pass an explicit as-of date"
        raise StructuralError(msg)
    return end_of_day(max(days))


def _shop_split(group: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """One shop's stacked rows back into canonical tables (absent ones empty)."""
    out = {}
    for name in SHOP_TABLES:
        schema = table(name).schema
        part = group.filter(pl.col(_TAG) == name).select(list(schema))
        out[name] = to_polars(part, schema)
    return out


def shop_worker(jobs: tuple[str, ...], params: Params, agents: pl.DataFrame,
                target: pa.Schema, batch: pa.Table) -> pa.Table:
    """Run on a worker for one shop: its tables in, every output table stacked out."""
    tables = _shop_split(pl.from_arrow(batch))
    tables["agents"] = agents
    shop = batch.column("shop_id")[0].as_py()
    stacked = []
    for name, table_ in run_shop(jobs, tables, params).items():
        # As every embedded output: buyers masked, no cell a formula (audit.data.outputs).
        frame = outputs.safe_frame(table_, csv=False)
        stacked.append(frame.select(
            pl.lit(name).alias(_TAG), pl.lit(shop).alias("shop_id"),
            *[pl.col(c).alias(f"{name}{_SEP}{c}") for c in frame.columns]))
    return to_arrow(pl.concat(stacked, how="diagonal") if stacked else pl.DataFrame(), target)


def run_per_shop(tables: Mapping[str, DataFrame], jobs: tuple[str, ...], params: Params
                 ) -> dict[str, DataFrame]:
    """Every output table of ``jobs`` for every shop, as Spark DataFrames with ``shop_id``.

    ``tables``: valid canonical tables (``audit.spark.tables.read_dataset``). A shop is any
    shop_id of a per-shop table; its result is the embedded ``--shop`` run's.
    """
    from pyspark.sql import functions as F

    shop_tables = with_shop(dict(tables))
    stacked = None
    for name in SHOP_TABLES:
        part = shop_tables[name].withColumn(_TAG, F.lit(name))
        stacked = part if stacked is None else stacked.unionByName(part,
                                                                    allowMissingColumns=True)
    agents = to_polars(tables["agents"].toArrow(), table("agents").schema)
    schemas = output_schemas(jobs, params)
    out_schema: dict[str, pl.DataType] = {_TAG: pl.String(), "shop_id": pl.String()}
    for name, schema in schemas.items():
        out_schema.update({f"{name}{_SEP}{c}": d for c, d in schema.items()})
    struct = spark_schema(out_schema)
    target = arrow_schema(struct)
    result = stacked.groupBy("shop_id").applyInArrow(
        lambda batch: shop_worker(jobs, params, agents, target, batch), struct)
    result = result.persist()
    return {name: result.filter(F.col(_TAG) == name).select(
        *[F.col(f"`{name}{_SEP}{c}`").alias(c) for c in schema],
        *([] if "shop_id" in schema else [F.col("shop_id")]))
        for name, schema in schemas.items()}


def collect(frame: DataFrame, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """A (small) Spark result on the driver, in its polars schema, plus ``shop_id``."""
    full = {**schema, "shop_id": pl.String()}
    return to_polars(frame.toArrow(), full)


def write_tables(results: Mapping[str, DataFrame], out_dir: Path | str) -> dict[str, Path]:
    """Each output table as Parquet under ``OUT/<table>/shop_id=<S>/`` (one file per shop)."""
    written = {}
    for name, frame in results.items():
        path = Path(out_dir) / name
        frame.repartition("shop_id").write.mode("overwrite").partitionBy("shop_id").parquet(
            str(path))
        written[name] = path
    return written


def read_table(path: Path | str, schema: Mapping[str, pl.DataType], *,
               shops: list[str] | None = None) -> pl.DataFrame:
    """A written output table back in polars (``shop_id`` last), optionally some shops only."""
    lf = pl.scan_parquet(Path(path) / "**" / "*.parquet", hive_partitioning=True,
                         hive_schema={"shop_id": pl.String})
    if shops is not None:
        lf = lf.filter(pl.col("shop_id").is_in(shops))
    full = {**schema, "shop_id": pl.String()}
    return lf.select([pl.col(c).cast(d) for c, d in full.items()]).collect()



#: The pooled impact over every shop of a ``platform`` run: ``OUT/platform_summary/``.
PLATFORM_SUMMARY = "platform_summary"


def write_platform_summary(out_dir: Path | str) -> Path:
    """The shops' headline impact rows pooled (``audit.impact.pooled``), as Parquet.

    A second pass on the driver over the written ``impact_summary`` (a few rows per shop),
    so a platform's pooled number is computed from exactly the rows its shops were given.
    """
    from audit.impact.pooled import pooled_summary

    cols = ["event", "metric", "design", "estimand", "group", "estimate_pct",
            "half_width_pct", "shop_id"]
    summary = pl.read_parquet(Path(out_dir) / "impact_summary" / "**" / "*.parquet",
                              hive_partitioning=True, hive_schema={"shop_id": pl.String},
                              columns=cols)
    path = Path(out_dir) / PLATFORM_SUMMARY
    path.mkdir(parents=True, exist_ok=True)
    pooled_summary(summary).write_parquet(path / "part-00000.parquet")
    return path
