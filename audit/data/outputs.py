"""Every output file the toolkit writes: CSV, JSON and Excel, byte-stable for a given frame.

Analyses never see a path; the jobs and the pack call these. Reading exports is
:mod:`audit.data.exports`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    import polars as pl

#: How timestamps are written: shop-local time, no zone, to the second.
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def write_csv(df: pl.DataFrame, path: Path) -> None:
    """Write ``df`` as UTF-8 CSV with a fixed datetime format (byte-stable for a given frame)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    df.write_csv(path, datetime_format=DATETIME_FORMAT, date_format="%Y-%m-%d")


def write_json(obj: object, path: Path) -> None:
    """Write ``obj`` as pretty, key-sorted UTF-8 JSON (byte-stable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n", "utf-8")


def write_excel(sheets: dict[str, pl.DataFrame], path: Path) -> None:
    """Write one worksheet per frame (sheet names as given, at most 31 characters), autofit."""
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    with xlsxwriter.Workbook(path) as wb:
        for name, df in sheets.items():
            df.write_excel(wb, worksheet=name[:31], autofit=True)
