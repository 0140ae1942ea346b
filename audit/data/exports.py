"""Reading a shop's exports: any encoding or format, canonical headers and values.

A shop's folder holds one file per table (reviews.csv, promises.xlsx, sales_daily.parquet).
Reading happens in two steps so that one bad cell never costs the whole file:
1. ``read_export``: bytes -> a frame of *strings* with canonical column names, the source
   row number of every row, and fully blank rows removed (and counted);
2. ``parse_table``: strings -> canonical dtypes, vectorised; a cell that cannot be read
   becomes null in the typed frame and a row problem ("amount_cny: cannot read '12块' as an
   amount") that the caller quarantines.

Every alias and value mapping comes from ``audit/data/aliases.json``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

import polars as pl

from audit.core.errors import StructuralError
from audit.data.schema import Table, table

#: File extensions a table may come in, lower case (.xls, the old Excel format many exports
#: still use, is read by calamine like .xlsx).
EXTENSIONS: tuple[str, ...] = (".csv", ".xlsx", ".xls", ".parquet")
#: Spreadsheet formats read sheet by sheet.
WORKBOOKS: tuple[str, ...] = (".xlsx", ".xls")
#: Column naming each row's file and sheet, present only when a workbook had several data sheets.
SOURCE_FILE = "source_file"
#: Column holding the row's position in the file (see ``read_export``).
SOURCE_ROW = "source_row"
#: Column holding the row's 0-based position among the non-blank rows (joins problems to rows).
ROW = "__row"

_ALIASES_PATH = Path(__file__).with_name("aliases.json")


@cache
def aliases() -> dict:
    """The header aliases and value mappings (``audit/aliases.json``), read once per process."""
    return json.loads(_ALIASES_PATH.read_text("utf-8"))


def _norm_header(name: str) -> str:
    """Header as compared: no BOM, trimmed, lower case, inner spaces/hyphens as underscores."""
    text = name.replace("\ufeff", "").strip().lower()
    return "_".join(text.replace("-", " ").split())


@cache
def _header_map(name: str) -> dict[str, str]:
    """Normalised header -> canonical column for table ``name`` (canonical names included)."""
    out = {_norm_header(k): v for k, v in aliases()["headers"].get(name, {}).items()}
    out.update({_norm_header(c.name): c.name for c in table(name).columns})
    return out


def find_table_file(data_dir: Path, name: str) -> Path | None:
    """The export of table ``name`` in ``data_dir`` (any supported extension), or None.

    Raises
    ------
    StructuralError
        When two files claim the same table (``reviews.csv`` and ``reviews.xlsx``): which one
        is right cannot be guessed; or when the table's only file is in a format not read
        (``reviews.numbers``): named, never reported as absent.
    """
    if not data_dir.is_dir():
        raise StructuralError.worded(key="error.data_folder", path=data_dir)
    named = sorted(p for p in data_dir.iterdir()
                   if p.is_file() and p.stem.strip().lower() == name)
    found = [p for p in named if p.suffix.lower() in EXTENSIONS]
    if named and not found:
        key = "error.format_unknown" if named[0].suffix else "error.format_no_extension"
        raise StructuralError.worded(key=key, file=named[0].name, suffix=named[0].suffix,
                                     table=name, kinds=", ".join(EXTENSIONS))
    if len(found) > 1:
        raise StructuralError.worded(key="error.table_files", table=name, n=len(found),
                                     folder=data_dir, names=", ".join(p.name for p in found))
    return found[0] if found else None


@dataclass(frozen=True)
class RawExport:
    """One export read as text: canonical column names, every value a trimmed string or null.

    ``frame`` has the table's canonical columns (missing optional ones as null), then
    ``source_row`` (line number in a CSV, header = 1; sheet row number in a workbook; 1-based
    row position in Parquet) and ``__row`` (0-based position among non-blank rows); and
    ``source_file`` (``reviews.xlsx[Sheet2]``) when a workbook had several data sheets.
    ``problems`` are rows the reader itself sets aside (a line that is not UTF-8 in a UTF-8
    file), in :func:`parse_table`'s problem shape; ``notes`` say what the data owner should know.
    """

    table: str
    source_file: str
    frame: pl.DataFrame
    rows_blank: int
    ignored_columns: tuple[str, ...]
    problems: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=PROBLEM_SCHEMA))
    notes: tuple[str, ...] = ()
    #: The export's own date (the file's modification day): nothing in it can happen later.
    exported_on: date | None = None


#: The shape of a row problem: which row, which column, what kind, why (with the value).
PROBLEM_SCHEMA = {ROW: pl.Int64, "column": pl.String, "rule": pl.String, "reason": pl.String}
#: Rule of a line that is not UTF-8 inside a UTF-8 file.
NOT_UTF8 = "line is not UTF-8 like the rest of the file"


@dataclass(frozen=True)
class _Part:
    """One block of an export as read: text columns with the file's headers, row numbers."""

    frame: pl.DataFrame
    lines: pl.Series
    label: str


def _decode_csv(path: Path) -> tuple[bytes, tuple[int, ...]]:
    """The file's text as UTF-8 bytes, and the lines that were not UTF-8 in a UTF-8 file.

    UTF-8 (with or without BOM) or GB18030/GBK, detected: Taobao/Excel exports on Chinese
    Windows are GBK; GB18030 is its superset, so one decoder covers both. UTF-8 is tried first
    because valid GBK text is almost never valid UTF-8. A file that is mostly UTF-8 (more lines
    with non-ASCII text decode as UTF-8 than fail) with a few lines that do not (pasted from a
    GBK tool) is decoded line by line: the other lines are read as GB18030 so the row can be
    shown, and their numbers returned so those rows are quarantined, never the whole file.
    """
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        lines = data.split(b"\n")
        bad = []
        utf8_text = 0
        for number, line in enumerate(lines, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                bad.append(number)
            else:
                utf8_text += not line.isascii()
        if bad[0] > 1 and utf8_text > len(bad):
            for number in bad:
                lines[number - 1] = lines[number - 1].decode("gb18030", errors="replace").encode()
            fixed = lines
            return b"\n".join(fixed), tuple(bad)
        try:
            return data.decode("gb18030").encode("utf-8"), ()
        except UnicodeDecodeError:
            raise StructuralError.worded(key="error.not_text", file=path.name,
                                         offset=exc.start) from None
    return data, ()


def _swallowed_lines(path: Path, data: bytes, width: int) -> StructuralError | None:
    """The error naming where a quote opened in one cell runs over the rows after it, or None.

    A quoted cell may span lines (multi-line review text), so lines != rows is not an error in
    itself; it is when a line inside one record looks like a whole row of the file (as many
    separators as the header), which is what one stray ``"`` does to the rows after it.
    """
    text = data.decode("utf-8")
    csv.field_size_limit(max(csv.field_size_limit(), len(text)))  # a swallowing cell is long
    reader = csv.reader(io.StringIO(text, newline=""))
    physical = text.split("\n")
    start = 1
    try:
        for record in reader:
            end = reader.line_num
            # A record over several lines, one of which (after its first) has a row's worth
            # of separators: a stray quote, not a multi-line review.
            if end > start and record:
                if any(line.count(",") >= width - 1 for line in physical[start:end]):
                    return StructuralError.worded(key="error.quote_open", file=path.name,
                                                  line=start)
            start = end + 1
    except csv.Error as exc:
        return StructuralError.worded(key="error.quote_csv", file=path.name, line=start, why=exc)
    return None


def _read_csv(path: Path) -> tuple[_Part, tuple[int, ...]]:
    """A CSV as text, each row's first line, and the lines that were not UTF-8."""
    data, bad_lines = _decode_csv(path)
    if not data.strip():
        raise StructuralError.worded(key="error.file_empty", file=path.name)
    header = next(csv.reader([data.split(b"\n", 1)[0].decode("utf-8").rstrip("\r")]))
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise StructuralError.worded(key="error.header_twice", file=path.name, header=dupes[0])
    try:
        df = pl.read_csv(data, infer_schema=False, truncate_ragged_lines=True)
    except Exception:
        swallowed = _swallowed_lines(path, data, len(header))
        if swallowed:
            raise swallowed from None
        raise
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    first = pl.int_range(pl.len(), dtype=pl.Int64) + 2
    if lines > df.height + 1 and df.width:
        swallowed = _swallowed_lines(path, data, len(header))
        if swallowed:
            raise swallowed
        # Quoted cells span lines (multi-line review text): line of row i is
        # 2 + i + the newlines inside earlier rows' cells.
        inner = pl.sum_horizontal([
            pl.col(c).str.count_matches("\n", literal=True).fill_null(0) for c in df.columns
        ])
        counted = df.select(inner.sum()).item() if df.height else 0
        if 1 + df.height + counted != lines:
            raise StructuralError.worded(key="error.lines_vs_rows", file=path.name, lines=lines,
                                         rows=df.height, inner=counted)
        first = first + inner.cum_sum().shift(1, fill_value=0)
    return _Part(df, df.select(first.alias(SOURCE_ROW)).to_series(), path.name), bad_lines


def _read_sheets(path: Path) -> list[tuple[str, pl.DataFrame]]:
    """Every sheet of a workbook as text, header in row 1, blank rows kept (row numbers true).

    ``pl.read_excel`` drops blank rows inside the data, which would shift every later row
    number; fastexcel without a header row keeps them.
    """
    import fastexcel

    book = fastexcel.read_excel(path)
    out = []
    for sheet_name in book.sheet_names:
        sheet = book.load_sheet(sheet_name, header_row=None, dtypes="string")
        out.append((sheet_name, as_text(sheet.to_polars())))
    return out


def _sheet_part(path: Path, sheet: str, grid: pl.DataFrame, label: str) -> _Part:
    """One sheet's grid as a part: row 1 is the header (checked), the rest the data."""
    header = ["" if v is None else str(v) for v in grid.row(0)]
    seen: set[str] = set()
    for i, name in enumerate(header):
        if not name.strip():
            header[i] = f"(empty header {i + 1})"
        elif name in seen:
            key = "error.header_twice_row" if label == path.name else "error.header_twice_sheet"
            raise StructuralError.worded(key=key, file=path.name, sheet=sheet, header=name)
        seen.add(header[i])
    data = grid.slice(1).rename(dict(zip(grid.columns, header, strict=True)))
    return _Part(data, pl.int_range(2, data.height + 2, dtype=pl.Int64, eager=True), label)


def _read_workbook(path: Path, name: str) -> tuple[list[_Part], list[str]]:
    """The sheets of a workbook that hold table ``name`` (header has its required columns).

    A shop's export may put a month per sheet: every sheet whose header has the table's
    required columns is read; the others are named in a note, never skipped silently. When no
    sheet qualifies, the first non-empty one is checked as the table (its missing column is
    the error).
    """
    sheets = [(n, g) for n, g in _read_sheets(path) if g.height]
    if not sheets:
        raise StructuralError.worded(key="error.sheet_empty", file=path.name)
    hmap = _header_map(name)
    required = {c.name for c in table(name).columns if c.required}

    def holds_table(grid: pl.DataFrame) -> bool:
        names = {hmap.get(_norm_header("" if v is None else str(v))) for v in grid.row(0)}
        return required <= names

    matching = [(n, g) for n, g in sheets if holds_table(g)] or sheets[:1]
    several = len(matching) > 1
    parts = [_sheet_part(path, n, g, f"{path.name}[{n}]" if several else path.name)
             for n, g in matching]
    ignored = [n for n, _ in sheets if n not in {m for m, _ in matching}]
    notes = [f"sheets read: {', '.join(n for n, _ in matching)}"] if several else []
    if ignored:
        notes.append(f"sheets ignored (no `{name}` header): {', '.join(ignored)}")
    return parts, notes


def _read_parts(path: Path, name: str) -> tuple[list[_Part], tuple[int, ...], list[str]]:
    """The export as parts of text (one per CSV/Parquet, one per data sheet), bad lines, notes."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            part, bad = _read_csv(path)
            return [part], bad, []
        if suffix in WORKBOOKS:
            parts, notes = _read_workbook(path, name)
            return parts, (), notes
        df = as_text(pl.read_parquet(path))
        return [_Part(df, pl.int_range(1, df.height + 1, dtype=pl.Int64, eager=True),
                      path.name)], (), []
    except StructuralError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure is "unreadable file"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StructuralError.worded(key="error.file_unreadable", file=path.name,
                                     why=first) from exc


def as_text(df: pl.DataFrame) -> pl.DataFrame:
    """Typed columns (Parquet, XLSX cells) as strings in formats ``parse_table`` reads back."""
    exprs = []
    for name, dtype in df.schema.items():
        col = pl.col(name)
        if dtype == pl.String:
            exprs.append(col)
        elif isinstance(dtype, pl.Datetime):
            exprs.append(col.dt.to_string("%Y-%m-%d %H:%M:%S%.f"))
        elif dtype == pl.Date:
            exprs.append(col.dt.to_string("%Y-%m-%d"))
        else:
            exprs.append(col.cast(pl.String))
    return df.select(exprs)


def _canonical(part: _Part, path: Path, name: str) -> tuple[pl.DataFrame, list[str]]:
    """One part with canonical column names, missing optional columns added, blank flagged."""
    spec = table(name)
    df = part.frame
    hmap = _header_map(name)
    rename: dict[str, str] = {}
    ignored: list[str] = []
    where = part.label if part.label != path.name else path.name
    for col in df.columns:
        canon = hmap.get(_norm_header(col))
        if canon is None:
            ignored.append(col)
        elif canon in rename.values():
            first = next(k for k, v in rename.items() if v == canon)
            raise StructuralError.worded(key="error.columns_same", where=where, first=first,
                                         second=col, canon=canon)
        else:
            rename[col] = canon
    present = set(rename.values())
    for col in spec.columns:
        if col.required and col.name not in present:
            shown = ", ".join(f"`{c}`" for c in df.columns)
            raise StructuralError.worded(key="error.column_missing", table=name, column=col.name,
                                         where=where, shown=shown)

    def trim(col: str) -> pl.Expr:
        t = pl.col(col).str.strip_chars()
        return pl.when(t.str.len_bytes() > 0).then(t)

    missing = [pl.lit(None, pl.String).alias(c.name) for c in spec.columns if c.name not in present]
    frame = df.lazy().with_columns(part.lines.alias(SOURCE_ROW)).select(
        *[trim(src).alias(dst) for src, dst in rename.items()],
        *missing,
        pl.col(SOURCE_ROW),
        pl.lit(part.label).alias(SOURCE_FILE),
        # Blank = every cell of the row empty, including the columns we ignore.
        pl.all_horizontal([trim(c).is_null() for c in df.columns]).alias("__blank")
        if df.width else pl.lit(False).alias("__blank"),
    ).collect()
    return frame, ignored


def read_export(path: Path, name: str) -> RawExport:
    """Read the export of table ``name`` at ``path`` as text with canonical column names.

    Headers may be the canonical English names or the Chinese aliases of ``aliases.json``
    (case, spaces and a BOM do not matter). Columns the table does not know are ignored;
    optional columns that are missing are added empty. Fully blank rows (real exports have
    them) are dropped and counted in ``rows_blank``. Every data sheet of a workbook is read.

    Raises
    ------
    StructuralError
        Unreadable file, a header given twice, a required column missing, or a quote that
        swallows the rows after it (one line naming the file, the column or the line).
    """
    parts, bad_lines, notes = _read_parts(path, name)
    frames, ignored = [], []
    for part in parts:
        frame, dropped = _canonical(part, path, name)
        frames.append(frame)
        ignored += [c for c in dropped if c not in ignored]
    frame = pl.concat(frames) if len(frames) > 1 else frames[0]
    frame, blank = _rows(frame, name, with_file=len(parts) > 1)
    problems = pl.DataFrame(schema=PROBLEM_SCHEMA)
    if bad_lines:
        problems = _line_problems(frame, bad_lines)
        shown = ", ".join(map(str, bad_lines[:10])) + (" …" if len(bad_lines) > 10 else "")
        notes.append(f"{len(bad_lines):,} line(s) not UTF-8 like the rest of the file "
                     f"(read as GB18030 and quarantined): line {shown}")
    exported = datetime.fromtimestamp(path.stat().st_mtime).date()  # noqa: DTZ006 - local day
    return RawExport(name, path.name, frame, blank, tuple(ignored), problems, tuple(notes),
                     exported)


def _rows(frame: pl.DataFrame, name: str, *, with_file: bool) -> tuple[pl.DataFrame, int]:
    """Blank rows dropped and counted; ``__row`` numbered; canonical columns, then the source."""
    blank = int(frame["__blank"].sum())
    if blank:
        frame = frame.filter(~pl.col("__blank"))
    return frame.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias(ROW),
        *[c.name for c in table(name).columns], SOURCE_ROW,
        *([SOURCE_FILE] if with_file else []),
    ), blank


def frame_export(df: pl.DataFrame, lines: pl.Series, name: str, label: str) -> RawExport:
    """:func:`read_export` from a frame already read as text (the Spark engine's partitions).

    ``lines`` gives each row's number in its source; ``label`` names the source in messages.
    The same header, trimming and blank-row rules as a file.
    """
    frame, ignored = _canonical(_Part(df, lines, label), Path(label), name)
    frame, blank = _rows(frame, name, with_file=False)
    return RawExport(name, label, frame, blank, tuple(ignored))


def _line_problems(frame: pl.DataFrame, bad_lines: tuple[int, ...]) -> pl.DataFrame:
    """A problem for each row holding one of ``bad_lines`` (a row may span several lines)."""
    lines = pl.DataFrame({"line": list(bad_lines)}, schema={"line": pl.Int64}).sort("line")
    rows = frame.select(ROW, SOURCE_ROW).sort(SOURCE_ROW)
    hit = lines.join_asof(rows, left_on="line", right_on=SOURCE_ROW, strategy="backward")
    return (hit.filter(pl.col(ROW).is_not_null())
            .group_by(ROW, maintain_order=True).agg(pl.col("line").first())
            .select(ROW, pl.lit(None, pl.String).alias("column"), pl.lit(NOT_UTF8).alias("rule"),
                    pl.format("line {}: not UTF-8 like the rest of the file (shown as read in "
                              "GB18030)", pl.col("line")).alias("reason")))


def _parse_expr(spec: Table, column: str) -> tuple[pl.Expr, str]:
    """(Typed value expression, what the value should be) for one canonical column."""
    conf = aliases()
    dtype = spec.column(column).dtype
    s = pl.col(column)
    if dtype == pl.String:
        domain = conf["column_domains"].get(column)
        if domain is not None:
            mapping = {k.strip().lower(): v for k, v in conf["domains"][domain].items()}
            return s.str.to_lowercase().replace(mapping), "text"
        return s, "text"
    if dtype == pl.Float64 or dtype == pl.Int64:
        num = _number_text(s).cast(pl.Float64, strict=False)
        if dtype == pl.Float64:
            # inf, nan and overflowing text (1e999) are no amount: unreadable, never a value.
            return (pl.when(num.is_finite()).then(num),
                    "an amount" if column.endswith("_cny") else "a number")
        ok = num.is_finite() & (num == num.floor()) & (num.abs() < 2**62)
        return pl.when(ok).then(num).cast(pl.Int64, strict=False), "a whole number"
    if dtype == pl.Boolean:
        mapping = {v: True for v in conf["booleans"]["true"]}
        mapping.update({v: False for v in conf["booleans"]["false"]})
        return s.str.to_lowercase().replace_strict(mapping, default=None,
                                                    return_dtype=pl.Boolean), "true/false (是/否)"
    # The full route (normalise, then try every format) is what every value gets, but it is
    # slow; parse_table first tries the first format alone and runs this only on the rest.
    if dtype == pl.Date:
        return s.str.strptime(pl.Date, "%Y-%m-%d", strict=False), "a date"
    parsed = _datetime_expr(s, conf["datetime_formats"][:1])
    return parsed.cast(dtype), "a date/time"


#: A comma the toolkit reads: a thousands separator between groups of three digits
#: (``1,234.50``). Any other comma (``12,50``, ``1.234,56``) is a decimal comma or ambiguous.
_THOUSANDS = r"^[+\-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$"


def _number_text(s: pl.Expr) -> pl.Expr:
    """Number text without currency marks (``¥``, ``元``) and thousands commas.

    Any other comma is kept, so the value does not parse and is quarantined (``ambiguous_comma``).
    """
    marks = "|".join(re.escape(m) for m in aliases()["amount_marks"] if m != ",")
    t = s.str.to_lowercase().str.replace_all(marks, "").str.strip_chars()
    return pl.when(t.str.contains(_THOUSANDS)).then(t.str.replace_all(",", "", literal=True)
                                                     ).otherwise(t)


def ambiguous_comma(s: pl.Expr) -> pl.Expr:
    """True where number text has a comma that is not a thousands separator (``12,50``)."""
    return _number_text(s).str.contains(",", literal=True)


#: Columns whose dates lie ahead by nature (a deadline), exempt from the export-date rule.
DEADLINES: frozenset[str] = frozenset({"due_at"})


def after_export_date(typed: pl.DataFrame, name: str, exported_on: date | None
                      ) -> pl.DataFrame:
    """Problems for dates after the export's own date (its file's day, plus one for zones).

    Nothing in an export can have happened after it was written: a review dated 2099 is a
    typing error, and counting it would move every report's default as-of date to 2099. The
    row is quarantined, so the default as-of (last activity over valid rows) ignores it.
    Deadlines (``due_at``) may lie ahead and are not checked.
    """
    if exported_on is None or typed.height == 0:
        return pl.DataFrame(schema=PROBLEM_SCHEMA)
    limit = datetime.combine(exported_on + timedelta(days=2), datetime.min.time())
    frames = []
    for c in table(name).columns:
        if not c.dtype.is_temporal() or c.name in DEADLINES:
            continue
        value = pl.col(c.name).cast(pl.Datetime("us"))
        late = typed.filter(value >= limit)
        if late.height:
            frames.append(late.select(
                ROW, pl.lit(c.name).alias("column"),
                pl.lit(f"{c.name}: after the export's own date").alias("rule"),
                pl.format(f"{c.name}: {{}} is after the export's own date {exported_on} (the "
                          "file's date); not counted", pl.col(c.name).cast(pl.String)
                          .str.slice(0, 19)).alias("reason")))
    return pl.concat(frames) if frames else pl.DataFrame(schema=PROBLEM_SCHEMA)


def _datetime_expr(s: pl.Expr, formats: list[str], *, normalise: bool = False) -> pl.Expr:
    """Text -> Datetime: optionally normalise separators, then the first format that fits."""
    if normalise:
        for old, new in aliases()["datetime_normalise"].items():
            s = s.str.replace_all(old, new, literal=True)
    tries = [s.str.strptime(pl.Datetime("us"), f, strict=False) for f in formats]
    return tries[0] if len(tries) == 1 else pl.coalesce(tries)


def parse_table(raw: pl.DataFrame, name: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Turn a text frame (``read_export``'s) into canonical dtypes, vectorised, in one pass.

    Parameters
    ----------
    raw
        Canonical columns as strings, plus ``__row``.
    name
        The table.

    Returns
    -------
    typed
        Canonical columns in canonical dtypes and order, plus ``__row``. Unreadable cells are
        null here (the row is reported in ``problems``).
    problems
        One row per unreadable cell: ``__row``, ``column``, ``rule`` (what kind of problem, for
        counting) and ``reason`` (with the value, for the data owner).
    """
    spec = table(name)
    parsed = [(c.name, *_parse_expr(spec, c.name)) for c in spec.columns]
    checked = [(c, what) for c, _, what in parsed if spec.column(c).dtype != pl.String]
    # Parse once; keep the text of the columns that can fail, to compare and to quote.
    both = raw.lazy().select(
        pl.col(ROW),
        *[expr.alias(c) for c, expr, _ in parsed],
        *[pl.col(c).alias(f"__text_{c}") for c, _ in checked],
    ).collect()
    # Second chance for temporal cells the fast first format could not read (other layouts).
    fixes = []
    for c, _ in checked:
        dtype = spec.column(c).dtype
        if not dtype.is_temporal():
            continue
        left = both.filter(pl.col(f"__text_{c}").is_not_null() & pl.col(c).is_null())
        if left.height:
            full = _datetime_expr(pl.col(f"__text_{c}"), aliases()["datetime_formats"],
                                  normalise=True)
            full = full.dt.date() if dtype == pl.Date else full.cast(dtype)
            fixes.append((c, left.select(ROW, full.alias(c))))
    for _, fix in fixes:
        both = both.update(fix, on=ROW, how="left")
    typed = both.select(*[c for c, _, _ in parsed], ROW)
    frames = []
    for c, what in checked:
        text = pl.col(f"__text_{c}")
        bad = both.filter(text.is_not_null() & pl.col(c).is_null())
        if bad.height:
            numeric = spec.column(c).dtype in (pl.Float64, pl.Int64)
            comma = ambiguous_comma(text) if numeric else pl.lit(False)
            frames.append(bad.select(
                pl.col(ROW), pl.lit(c).alias("column"),
                pl.when(comma).then(pl.lit(f"{c}: decimal comma or ambiguous separators"))
                .otherwise(pl.lit(f"{c}: cannot read the value")).alias("rule"),
                pl.when(comma).then(pl.format(
                    f"{c}: '{{}}' has a comma that is not a thousands separator (1,234.50); "
                    "a decimal comma or ambiguous, not guessed", text.str.slice(0, 40)))
                .otherwise(pl.format(f"{c}: cannot read '{{}}' as {what}",
                                     text.str.slice(0, 40))).alias("reason"),
            ))
    if not frames:
        schema = {ROW: pl.Int64, "column": pl.String, "rule": pl.String, "reason": pl.String}
        return typed, pl.DataFrame(schema=schema)
    return typed, pl.concat(frames)
