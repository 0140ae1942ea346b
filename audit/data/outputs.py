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
from contextlib import contextmanager
from typing import TYPE_CHECKING

import polars as pl

from audit.core.errors import OutputError
from audit.core.masking import mask_buyers

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

#: How timestamps are written: shop-local time, no zone, to the second.
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"

#: First characters that make a spreadsheet read a cell as a formula (OWASP), plus ``'`` itself
#: (so that the prefix is always removable).
FORMULA_START = r"^[=+\-@\t\r']"
#: Text that is only a signed number as the toolkit writes one (``-12.50``, ``+3.2%``, ``-¥1,234``):
#: no spreadsheet runs it, and a prefix would only make it unreadable as a number.
_SIGNED_NUMBER = r"^[+\-][0-9.,%¥￥ ]*$"

#: Workbook options: every string a string (never a formula, a link or a number).
EXCEL_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False,
                 "strings_to_numbers": False}


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
                msg = f"cannot write {path}: {parent} is a file, not a folder"
                raise OutputError(msg)
        path.parent.mkdir(parents=True, exist_ok=True)
        yield
    except OSError as exc:
        why = "the disk is full" if exc.errno == errno.ENOSPC else (
            exc.strerror or str(exc) or type(exc).__name__)
        msg = f"cannot write {path}: {why}"
        raise OutputError(msg) from exc


def write_csv(df: pl.DataFrame, path: Path, *, mask: bool = True) -> None:
    """Write ``safe_frame(df)`` as UTF-8 CSV with a fixed datetime format (byte-stable)."""
    with _writing(path):
        safe_frame(df, mask=mask).write_csv(path, datetime_format=DATETIME_FORMAT,
                                            date_format="%Y-%m-%d")


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
