"""Schemas defined once: the polars schema of a table is the source, Spark's follows from it.

``applyInArrow``/``mapInArrow`` check result types exactly (``string`` not ``large_string``,
``int64`` not ``uint32``, naive datetimes as ``timestamp_ntz``), so every result leaves a
worker through :func:`to_arrow`, cast to the Arrow form of the Spark schema, and comes back to
polars through :func:`to_polars`, cast to the polars schema it was derived from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pyarrow as pa
    from pyspark.sql.types import DataType, StructType


def spark_type(dtype: pl.DataType) -> DataType:
    """The Spark type that carries a polars dtype losslessly."""
    from pyspark.sql import types as T

    if dtype == pl.String or dtype == pl.Categorical or isinstance(dtype, pl.Enum):
        return T.StringType()
    if dtype == pl.Boolean:
        return T.BooleanType()
    if dtype.is_float():
        return T.DoubleType()
    if dtype.is_integer():
        return T.LongType()
    if dtype == pl.Date:
        return T.DateType()
    if isinstance(dtype, pl.Datetime):
        return T.TimestampNTZType() if dtype.time_zone is None else T.TimestampType()
    if isinstance(dtype, pl.List):
        return T.ArrayType(spark_type(dtype.inner))
    msg = f"no Spark type for polars dtype {dtype}"
    raise TypeError(msg)


def spark_schema(schema: Mapping[str, pl.DataType]) -> StructType:
    """A Spark ``StructType`` (all fields nullable) for a polars schema."""
    from pyspark.sql import types as T

    return T.StructType([T.StructField(n, spark_type(d), True) for n, d in schema.items()])


def arrow_schema(struct: StructType) -> pa.Schema:
    """The Arrow schema Spark expects from a Python worker for ``struct``."""
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(struct, timezone="UTC")


def to_arrow(df: pl.DataFrame, target: pa.Schema) -> pa.Table:
    """``df`` (its columns in ``target``'s order, missing ones null) cast to ``target``."""
    cols = [pl.col(f.name) if f.name in df.columns else pl.lit(None).alias(f.name)
            for f in target]
    return df.select(cols).to_arrow().cast(target)


def to_polars(table: pa.Table | pl.DataFrame, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """An Arrow table (or a frame) back in the polars ``schema`` it was derived from."""
    df = table if isinstance(table, pl.DataFrame) else pl.from_arrow(table)
    return df.select([pl.col(n).cast(d) for n, d in schema.items()])
