"""Every output file the toolkit writes: CSV, JSON and Excel, byte-stable for a given frame.

Analyses never see a path; the jobs and the pack call these. Reading exports is
:mod:`audit.data.exports`.

Every frame goes through :func:`safe_frame` on its way out, so no writer can forget it:

- buyers are masked (:func:`audit.core.masking.mask_buyers`: identity columns, phone numbers
  and e-mail addresses in any text), unless the caller writes for the data owner
  (``mask=False``: ``review-audit validate``'s quarantine, and the demo's own exports);
- a text cell a spreadsheet would run as a formula (OWASP's CSV injection: it starts with
  ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets one leading ``'`` in CSV
  (:func:`neutralise_expr`); a cell that already starts with ``'`` gets one too, so removing
  one leading ``'`` always gives the original back. Numbers in numeric columns are numbers
  and are never touched, nor is text that is only a signed number (``-12.50``, ``-3.2%``);
- in Excel every string is written as a string (the workbook's ``strings_to_formulas``,
  ``strings_to_urls`` and ``strings_to_numbers`` are off), and a non-finite float (which
  xlsxwriter refuses) is an empty cell.

A write that fails (read-only folder, ``--out`` that is a file, a full disk) raises
:class:`audit.core.errors.OutputError` naming the path.
"""

from __future__ import annotations

import errno
import json
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import polars as pl

from audit.core.errors import OutputError
from audit.core.masking import mask_buyers

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from pathlib import Path

#: How timestamps are written: shop-local time, no zone, to the second.
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"

#: First characters that make a spreadsheet read a cell as a formula (OWASP), plus ``'`` itself
#: (so that the prefix is always removable).
FORMULA_START = r"^[=+\-@\t\r']"
#: Text that is only a signed number as the toolkit writes one (``-12.50``, ``+3.2%``, ``-¥1,234``):
#: no spreadsheet runs it, and a prefix would only make it unreadable as a number.
_SIGNED_NUMBER = r"^[+\-][0-9.,%¥￥ ]*$"

#: Workbook options: every string a string (never a formula, a link or a number); built in
#: memory (xlsxwriter otherwise writes a temporary file per sheet part and removes it: about a
#: third of a pack's workbook time, 67 sheets).
EXCEL_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False,
                 "strings_to_numbers": False, "in_memory": True}


def neutralise_expr(column: str) -> pl.Expr:
    """``column`` (text) with a leading ``'`` where a spreadsheet would run it as a formula.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"t": ["=1+1", "-2+3", "@SUM(A1)", "'x", "-12.50", "ok", None]})
    >>> df.select(neutralise_expr("t"))["t"].to_list()
    ["'=1+1", "'-2+3", "'@SUM(A1)", "''x", '-12.50', 'ok', None]
    """
    s = pl.col(column)
    risky = s.str.contains(FORMULA_START) & ~s.str.contains(_SIGNED_NUMBER)
    return pl.when(risky).then(pl.lit("'") + s).otherwise(s).alias(column)


def safe_frame(df: pl.DataFrame, *, mask: bool = True, csv: bool = True) -> pl.DataFrame:
    """``df`` as it may leave the toolkit: buyers masked, no cell a formula (module docstring).

    Parameters
    ----------
    mask
        Mask buyer identities (False only for the data owner's own files).
    csv
        Neutralise formula text with ``'`` (CSV); False for Excel, where the workbook writes
        strings as strings and non-finite floats are emptied instead.
    """
    text = [c for c, t in df.schema.items() if t in (pl.Categorical, pl.Enum)]
    out = df.with_columns(pl.col(c).cast(pl.String) for c in text) if text else df
    if mask:
        out = mask_buyers(out)
    strings = [c for c, t in out.schema.items() if t == pl.String]
    if csv:
        return out.with_columns(neutralise_expr(c) for c in strings)
    floats = [c for c, t in out.schema.items() if t.is_float()]
    return out.with_columns(pl.when(pl.col(c).is_finite()).then(pl.col(c)).alias(c)
                            for c in floats)


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """Create ``path``'s folder; turn any OS failure into one line naming the path."""
    try:
        for parent in reversed(path.parents):
            if parent.exists() and not parent.is_dir():
                raise OutputError.worded(key="error.write_parent_file", path=path, parent=parent)
        path.parent.mkdir(parents=True, exist_ok=True)
        yield
    except OSError as exc:
        raise write_error(exc, path) from exc


#: Operating-system faults a manager can act on, each with its own sentence.
_WRITE_FAULTS = {errno.ENOSPC: "error.write_disk_full", errno.EACCES: "error.write_denied",
                 errno.EPERM: "error.write_denied", errno.EROFS: "error.write_read_only"}


def write_error(exc: OSError, path: object) -> OutputError:
    """The one-line error for a failed write of ``path`` (a known fault in words, else the OS's)."""
    key = _WRITE_FAULTS.get(exc.errno or 0)
    if key:
        return OutputError.worded(key=key, path=path)
    return OutputError.worded(key="error.write_failed", path=path,
                              why=exc.strerror or str(exc) or type(exc).__name__)


def write_csv(df: pl.DataFrame, path: Path, *, mask: bool = True, bom: bool = False) -> None:
    """Write ``safe_frame(df)`` as UTF-8 CSV with a fixed datetime format (byte-stable).

    ``bom``: start with a UTF-8 byte-order mark, for files a manager opens in Excel (the
    pack's ``data/``): without it, Excel on a Chinese Windows guesses GBK and shows mojibake.
    Polars and Python's ``utf-8-sig`` skip the mark; machine-facing outputs (the demo exports,
    the CLI's files) are written without it.
    """
    with _writing(path):
        safe_frame(df, mask=mask).write_csv(path, datetime_format=DATETIME_FORMAT,
                                            date_format="%Y-%m-%d", include_bom=bom)


def write_json(obj: object, path: Path) -> None:
    """Write ``obj`` as pretty, key-sorted UTF-8 JSON (byte-stable)."""
    with _writing(path):
        path.write_text(json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                        "utf-8")


def write_excel(sheets: dict[str, pl.DataFrame], path: Path, *, mask: bool = True) -> None:
    """Write one worksheet per ``safe_frame`` (sheet names at most 31 characters), autofit."""
    import xlsxwriter
    from xlsxwriter.exceptions import FileCreateError

    with _writing(path):
        try:
            with xlsxwriter.Workbook(path, EXCEL_OPTIONS) as wb:
                for name, df in sheets.items():
                    safe_frame(df, mask=mask, csv=False).write_excel(
                        wb, worksheet=name[:31], autofit=True)
        except FileCreateError as exc:  # xlsxwriter wraps the OSError of its close()
            cause = exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else None
            raise cause or OSError(str(exc)) from exc


# --- styled workbooks (the pack's action lists) ------------------------------------------------

#: Excel number formats by kind of column (the kinds of :func:`audit.core.display.column_kind`;
#: a p-value keeps Excel's own digits, as Excel has no significant-digit format).
EXCEL_FORMATS: dict[str, str] = {"cny": '"¥"#,##0.00', "pct": "0.0%", "count": "#,##0",
                                 "datetime": "yyyy-mm-dd hh:mm", "date": "yyyy-mm-dd",
                                 "ratio": "0.00", "hours": "0.0", "days": "0.0",
                                 "signed_pct": "+0.0%;-0.0%;0.0%", "pp": "+0.0%;-0.0%;0.0%",
                                 "p": "General"}
#: Decimals shown by the fixed-decimal kinds (for the column widths).
_DECIMALS = {"ratio": 2, "hours": 1, "days": 1}


def excel_kinds(df: pl.DataFrame, known: Mapping[str, str] | None = None) -> dict[str, str]:
    """Column -> kind of :data:`EXCEL_FORMATS` for every number and time column of ``df``.

    ``known`` (a list's own kinds) wins; other columns get their kind from their name
    (``owed_cny`` -> cny, ``resolution_rate`` -> pct), so no sheet is left at three decimals.
    """
    from audit.core.display import column_kind

    kinds = {}
    for column, dtype in df.schema.items():
        if isinstance(dtype, pl.Datetime):
            kind: str | None = "datetime"
        elif dtype == pl.Date:
            kind = "date"
        else:
            kind = column_kind(column, dtype)
        kind = (known or {}).get(column, kind)
        if kind in EXCEL_FORMATS:
            kinds[column] = kind
    return kinds
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
    elif kind in {"pct", "signed_pct", "pp"}:
        values = 7
    elif kind in _DECIMALS:
        values = max((len(f"{v:,.{_DECIMALS[kind]}f}") for v in df[column].drop_nulls()),
                     default=0)
    elif kind == "count":
        values = max((len(f"{v:,}" if isinstance(v, int | float) else str(v))
                      for v in df[column].drop_nulls()), default=0)
    else:
        values = max((text_width(v) for v in df[column].drop_nulls().cast(str)), default=0)
    return min(60, max(values, text_width(header), 6) + 2)


def _write_table(wb: object, sheet: ListSheet) -> None:
    assert sheet.frame is not None  # noqa: S101 - ListSheet without a frame is an info sheet
    df = safe_frame(sheet.frame, csv=False)
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
    label/text pairs. Styling only: the values are made safe and written as :func:`write_excel`
    writes them (``safe_frame``, ``EXCEL_OPTIONS``: every string a string).
    """
    import xlsxwriter
    from xlsxwriter.exceptions import FileCreateError

    with _writing(path):
        try:
            with xlsxwriter.Workbook(path, EXCEL_OPTIONS) as wb:
                for sheet in sheets:
                    (_write_info if sheet.info else _write_table)(wb, sheet)
        except FileCreateError as exc:  # xlsxwriter wraps the OSError of its close()
            cause = exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else None
            raise cause or OSError(str(exc)) from exc
