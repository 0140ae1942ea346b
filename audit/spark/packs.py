"""Per-shop monthly packs from a ``platform`` run's tables, without Spark.

``platform`` writes each shop's valid input rows under ``OUT/valid/<table>/shop_id=<S>/``; a
shop's pack reads only its own partitions with polars (partition pruning, no Spark, no JVM)
into a folder of Parquet exports and builds the ordinary monthly pack on it with ``--shop S``,
so its numbers are the shop's rows of the platform's output tables.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from audit.data.schema import TABLES, table

if TYPE_CHECKING:
    from collections.abc import Iterable


def shop_exports(platform_out: Path | str, shop: str, folder: Path) -> Path:
    """Shop ``shop``'s valid tables from a platform run as ``folder/<table>.parquet``."""
    valid = Path(platform_out) / "valid"
    for name in TABLES:
        cols = list(table(name).schema)
        if name == "agents":
            frame = pl.scan_parquet(valid / "agents" / "*.parquet")
        else:
            frame = pl.scan_parquet(valid / name / "**" / "*.parquet", hive_partitioning=True,
                                    hive_schema={"shop_id": pl.String}).filter(
                pl.col("shop_id") == shop)
        frame.select(cols).collect().write_parquet(folder / f"{name}.parquet")
    return folder


def build_packs(platform_out: Path | str, shops: Iterable[str], *, month: str,
                out: Path | str, lang: str = "en", as_of: str | None = None) -> dict[str, Path]:
    """The monthly pack of each shop in ``shops`` under ``OUT/<shop>/<month>/``."""
    import json

    from audit.pack.build import build_monthly_pack
    from audit.spark.commands import RUN_FILE

    # The platform's as-of date, not the shop's own last activity: the pack is the shop's
    # rows of the platform run.
    as_of = as_of or json.loads((Path(platform_out) / RUN_FILE).read_text())["as_of"]
    built = {}
    for shop in shops:
        with tempfile.TemporaryDirectory() as tmp:
            data = shop_exports(platform_out, shop, Path(tmp))
            result = build_monthly_pack(data, month=month, as_of=as_of, shop=shop, lang=lang,
                                        out=Path(out) / shop)
        built[shop] = result.pack_dir
    return built
