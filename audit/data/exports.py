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
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import polars as pl

from audit.core.errors import StructuralError
from audit.data.schema import Table, table

#: File extensions a table may come in, lower case.
EXTENSIONS: tuple[str, ...] = (".csv", ".xlsx", ".parquet")
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
        is right cannot be guessed.
    """
    if not data_dir.is_dir():
        msg = f"data folder {data_dir} does not exist or is not a folder"
        raise StructuralError(msg)
    found = sorted(
        p for p in data_dir.iterdir()
        if p.is_file() and p.suffix.lower() in EXTENSIONS and p.stem.strip().lower() == name
    )
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        msg = f"table `{name}` has {len(found)} files in {data_dir}: {names}; keep exactly one"
        raise StructuralError(msg)
    return found[0] if found else None


@dataclass(frozen=True)
class RawExport:
    """One export read as text: canonical column names, every value a trimmed string or null.

    ``frame`` has the table's canonical columns (missing optional ones as null), then
    ``source_row`` (line number in a CSV, header = 1; sheet row number in XLSX; 1-based row
    position in Parquet) and ``__row`` (0-based position among non-blank rows).
    """

    table: str
    source_file: str
    frame: pl.DataFrame
    rows_blank: int
    ignored_columns: tuple[str, ...]


def _decode_csv(path: Path) -> bytes:
    """The file's text as UTF-8 bytes: UTF-8 (with or without BOM) or GB18030/GBK, detected.

    Taobao/Excel exports on Chinese Windows are GBK; GB18030 is its superset, so one decoder
    covers both. UTF-8 is tried first because valid GBK text is almost never valid UTF-8.
    """
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        try:
            return data.decode("gb18030").encode("utf-8")
        except UnicodeDecodeError:
            msg = (f"{path.name}: cannot read the file as UTF-8 or GB18030 text "
                   f"(bad byte at offset {exc.start})")
            raise StructuralError(msg) from None
    return data


def _read_text_frame(path: Path) -> tuple[pl.DataFrame, pl.Expr]:
    """Every column as strings, plus the expression giving each row's number in the source."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            data = _decode_csv(path)
            if not data.strip():
                msg = f"{path.name}: the file is empty (no header row)"
                raise StructuralError(msg)
            df = pl.read_csv(data, infer_schema=False, truncate_ragged_lines=True)
            header = next(csv.reader([data.split(b"\n", 1)[0].decode("utf-8").rstrip("\r")]))
            dupes = sorted({h for h in header if header.count(h) > 1})
            if dupes:
                msg = f"{path.name}: header `{dupes[0]}` appears twice in line 1; keep one"
                raise StructuralError(msg)
            line = pl.int_range(pl.len(), dtype=pl.Int64) + 2
            lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
            if lines > df.height + 1 and df.width:
                # Quoted cells span lines (multi-line review text): line of row i is
                # 2 + i + the newlines inside earlier rows' cells.
                inner = pl.sum_horizontal([
                    pl.col(c).str.count_matches("\n", literal=True).fill_null(0)
                    for c in df.columns
                ])
                line = line + inner.cum_sum().shift(1, fill_value=0)
            return df, line
        if suffix == ".xlsx":
            return _read_xlsx(path), pl.int_range(pl.len(), dtype=pl.Int64) + 2
        df = pl.read_parquet(path)
        return as_text(df), pl.int_range(pl.len(), dtype=pl.Int64) + 1
    except StructuralError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure is "unreadable file"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        msg = f"{path.name}: cannot read the file ({first})"
        raise StructuralError(msg) from exc


def _read_xlsx(path: Path) -> pl.DataFrame:
    """The first sheet as text, header in row 1, blank rows kept (so row numbers stay true).

    ``pl.read_excel`` drops blank rows inside the data, which would shift every later row
    number; fastexcel without a header row keeps them.
    """
    import fastexcel

    sheet = fastexcel.read_excel(path).load_sheet(0, header_row=None, dtypes="string")
    grid = as_text(sheet.to_polars())
    if grid.height == 0:
        msg = f"{path.name}: the first sheet is empty (no header row)"
        raise StructuralError(msg)
    header = ["" if v is None else str(v) for v in grid.row(0)]
    seen: set[str] = set()
    for i, name in enumerate(header):
        if not name.strip():
            header[i] = f"(empty header {i + 1})"
        elif name in seen:
            msg = f"{path.name}: header `{name}` appears twice in row 1; keep one"
            raise StructuralError(msg)
        seen.add(header[i])
    return grid.slice(1).rename(dict(zip(grid.columns, header, strict=True)))


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


def read_export(path: Path, name: str) -> RawExport:
    """Read the export of table ``name`` at ``path`` as text with canonical column names.

    Headers may be the canonical English names or the Chinese aliases of ``aliases.json``
    (case, spaces and a BOM do not matter). Columns the table does not know are ignored;
    optional columns that are missing are added empty. Fully blank rows (real exports have
    them) are dropped and counted in ``rows_blank``.

    Raises
    ------
    StructuralError
        Unreadable file, a header given twice, or a required column missing (one line naming
        the file and the column).
    """
    df, line = _read_text_frame(path)
    return frame_export(df, line, name, path.name)


def frame_export(df: pl.DataFrame, line: pl.Expr, name: str, source_file: str) -> RawExport:
    """:func:`read_export` from a frame already read as text (a file, or a Spark partition).

    ``line`` gives each row's number in its source (``source_row``); ``source_file`` names the
    source in messages. The Spark engine (``audit.spark``) calls this on each partition, so a
    dataset is read by the same rules as a file.
    """
    spec = table(name)
    hmap = _header_map(name)
    rename: dict[str, str] = {}
    ignored: list[str] = []
    for col in df.columns:
        canon = hmap.get(_norm_header(col))
        if canon is None:
            ignored.append(col)
        elif canon in rename.values():
            first = next(k for k, v in rename.items() if v == canon)
            msg = f"{source_file}: columns `{first}` and `{col}` both mean `{canon}`; keep one"
            raise StructuralError(msg)
        else:
            rename[col] = canon
    present = set(rename.values())
    for col in spec.columns:
        if col.required and col.name not in present:
            shown = ", ".join(f"`{c}`" for c in df.columns)
            msg = (f"contract `{name}` expects column `{col.name}`, but {source_file} has: "
                   f"[{shown}]")
            raise StructuralError(msg)
    def trim(col: str) -> pl.Expr:
        t = pl.col(col).str.strip_chars()
        return pl.when(t.str.len_bytes() > 0).then(t)

    missing = [pl.lit(None, pl.String).alias(c.name) for c in spec.columns if c.name not in present]
    frame = df.lazy().select(
        *[trim(src).alias(dst) for src, dst in rename.items()],
        *missing,
        line.alias(SOURCE_ROW),
        # Blank = every cell of the row empty, including the columns we ignore.
        pl.all_horizontal([trim(c).is_null() for c in df.columns]).alias("__blank")
        if df.width else pl.lit(False).alias("__blank"),
    ).collect()
    blank = int(frame["__blank"].sum())
    if blank:
        frame = frame.filter(~pl.col("__blank"))
    frame = frame.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias(ROW),
        *[c.name for c in spec.columns], SOURCE_ROW,
    )
    return RawExport(name, source_file, frame, blank, tuple(ignored))


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
        marks = "|".join(re.escape(m) for m in conf["amount_marks"])
        t = s.str.to_lowercase().str.replace_all(marks, "").str.strip_chars()
        num = t.cast(pl.Float64, strict=False)
        if dtype == pl.Float64:
            return num, "an amount" if column.endswith("_cny") else "a number"
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
            frames.append(bad.select(
                pl.col(ROW), pl.lit(c).alias("column"),
                pl.lit(f"{c}: cannot read the value").alias("rule"),
                pl.format(f"{c}: cannot read '{{}}' as {what}", text.str.slice(0, 40))
                .alias("reason"),
            ))
    if not frames:
        schema = {ROW: pl.Int64, "column": pl.String, "rule": pl.String, "reason": pl.String}
        return typed, pl.DataFrame(schema=schema)
    return typed, pl.concat(frames)
