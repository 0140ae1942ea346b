"""Every output file the toolkit writes: CSV, JSON and Excel, byte-stable for a given frame.

Analyses never see a path; the jobs and the pack call these. Reading exports is
:mod:`audit.data.exports`.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    import polars as pl

#: How timestamps are written: shop-local time, no zone, to the second.
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def write_csv(df: pl.DataFrame, path: Path, *, bom: bool = False) -> None:
    """Write ``df`` as UTF-8 CSV with a fixed datetime format (byte-stable for a given frame).

    ``bom``: start with a UTF-8 byte-order mark, for files a manager opens in Excel (the
    pack's ``data/``): without it, Excel on a Chinese Windows guesses GBK and shows mojibake.
    Polars and Python's ``utf-8-sig`` skip the mark; machine-facing outputs (the demo exports,
    the CLI's files) are written without it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    df.write_csv(path, datetime_format=DATETIME_FORMAT, date_format="%Y-%m-%d", include_bom=bom)


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


# --- styled workbooks (the pack's action lists) ------------------------------------------------

#: Excel number formats by kind of column.
EXCEL_FORMATS: dict[str, str] = {"cny": '"¥"#,##0.00', "pct": "0.0%", "count": "#,##0",
                                 "datetime": "yyyy-mm-dd hh:mm", "date": "yyyy-mm-dd",
                                 "ratio": "0.00"}
_HEADER = {"bold": True, "bg_color": "#DDE6F0", "border": 1, "text_wrap": True,
           "valign": "top"}


@dataclass(frozen=True)
class ListSheet:
    """One worksheet of a styled workbook: a table, or a two-column information sheet.

    ``formats`` maps a column to a kind of :data:`EXCEL_FORMATS`; ``table`` is the Excel
    table's name (letters, digits, underscores); ``info`` makes a (label, text) sheet instead.
    """

    name: str
    frame: pl.DataFrame | None = None
    formats: dict[str, str] = field(default_factory=dict)
    table: str = ""
    info: tuple[tuple[str, str], ...] = ()


def text_width(value: object) -> int:
    """Characters a cell needs: East Asian wide characters count two (Excel's column unit)."""
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


#: How many characters each kind of cell shows, beyond its plain text (e.g. the ¥ and ".00").
_SHOWN_WIDTH = {"datetime": 16, "date": 10}


def column_width(df: pl.DataFrame, column: str, header: str, kind: str | None) -> int:
    """A width that fits the header's longest word-line and every value as it is shown."""
    if kind in _SHOWN_WIDTH:
        values = _SHOWN_WIDTH[kind]
    elif kind == "cny":
        values = max((len(f"¥{v:,.2f}") for v in df[column].drop_nulls()), default=0)
    elif kind == "pct":
        values = 7
    elif kind == "count":
        values = max((len(f"{v:,}" if isinstance(v, int | float) else str(v))
                      for v in df[column].drop_nulls()), default=0)
    else:
        values = max((text_width(v) for v in df[column].drop_nulls().cast(str)), default=0)
    return min(60, max(values, text_width(header), 6) + 2)


def _write_table(wb: object, sheet: ListSheet) -> None:
    df = sheet.frame
    assert df is not None  # noqa: S101 - ListSheet without a frame is an info sheet
    formats = {c: EXCEL_FORMATS[k] for c, k in sheet.formats.items() if c in df.columns}
    # polars takes widths in pixels: 7 per character of the default font, plus the padding.
    widths = {c: 7 * column_width(df, c, c, sheet.formats.get(c)) + 5 for c in df.columns}
    df.write_excel(wb, worksheet=sheet.name[:31], table_name=sheet.table or None,
                   table_style="Table Style Light 1", header_format=_HEADER,
                   column_formats=formats or None, column_widths=widths,
                   freeze_panes=(1, 0), autofit=False, autofilter=True)


def _write_info(wb: object, sheet: ListSheet) -> None:
    ws = wb.add_worksheet(sheet.name[:31])  # type: ignore[attr-defined]
    bold = wb.add_format({"bold": True, "valign": "top"})  # type: ignore[attr-defined]
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})  # type: ignore[attr-defined]
    ws.set_column(0, 0, max((text_width(k) for k, _ in sheet.info), default=10) + 2)
    ws.set_column(1, 1, 90)
    for row, (key, text) in enumerate(sheet.info):
        ws.write_string(row, 0, key, bold)
        ws.write_string(row, 1, text, wrap)


def write_styled_excel(sheets: Sequence[ListSheet], path: Path) -> None:
    """A workbook a manager works from: frozen bold header, number formats, fitting widths.

    Each table sheet is an Excel table (filter buttons, its own name); information sheets are
    label/text pairs. Styling only: the values are written as :func:`write_excel` writes them.
    """
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    with xlsxwriter.Workbook(path) as wb:
        for sheet in sheets:
            (_write_info if sheet.info else _write_table)(wb, sheet)
