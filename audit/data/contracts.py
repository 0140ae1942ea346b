"""The Great Expectations boundary: load the data contracts and check rows against them.

Contracts are JSON in ``data_contracts/<table>.json`` (the shape of a GX 1.x
``ExpectationSuite``, every expectation with ``meta.why``). People write and review them like
code; this module only reads them. GX is imported lazily, here and nowhere else, because the
import costs seconds and notebook kernels reading a snapshot must never pay for it.

GX has no polars engine, so the columns a contract reads are converted once with
``to_pandas`` (row index = polars row position; columns no expectation reads are never
converted). Measured speed-ups, none changes what is checked:

- GX's plain COMPLETE result format builds value lists, value counts and a pandas query for
  every failing expectation. We only need failing row positions, so the suite runs with
  COMPLETE minus those extras (``RESULT_FORMAT``): about half the time on 1M rows.
- GX's pandas engine pays for the whole frame's width in every expectation, so on a large
  table expectations are grouped by the columns they read and each group runs on those
  columns only (``_column_groups``): 1M reviews, 13 expectations, about 13 s -> 2 s of CPU.
  Each ``validate`` call also has a fixed cost (about 0.03 CPU-s: metric graph, batch), which
  dominates on a shop's monthly export (the default demo: 63 calls, 2.2 CPU-s); below
  ``GROUP_ROWS`` rows the whole contract runs in one call (``_plans``), 8 calls for 8 tables.
- The GX import (3-6 CPU-s) pulls modules a pandas validation never uses: pyspark (GX's
  Spark compatibility layer) and rfc3987_syntax (jsonschema's IRI format checker, built
  from 38 grammars at import, reached through altair). ``_import_gx`` keeps them out while
  GX imports when nothing imported them before (about 2.5 CPU-s less).
"""

from __future__ import annotations

import json
import logging
import sys
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from audit.core.errors import StructuralError
from audit.core.resources import shipped_folder
from audit.data.schema import table

if TYPE_CHECKING:
    from collections.abc import Iterator

    import great_expectations as gx

ROW = "__row"
PROBLEMS_SCHEMA = {ROW: pl.Int64, "column": pl.String, "rule": pl.String, "reason": pl.String}
#: Tables with at least this many rows run their contract per column group (``_plans``).
GROUP_ROWS = 100_000
#: Modules GX imports but a pandas validation never uses (module docstring).
_NOT_FOR_VALIDATION = ("pyspark", "rfc3987_syntax")


@contextmanager
def _import_gx() -> Iterator[None]:
    """Import GX without ``_NOT_FOR_VALIDATION`` (unless already imported), then allow them.

    A module set to None in ``sys.modules`` makes its import raise ImportError, which both
    callers treat as "not installed"; the entries are removed afterwards, so a later import
    of pyspark (the Spark engine) works as usual.
    """
    blocked = [m for m in _NOT_FOR_VALIDATION if m not in sys.modules]
    for m in blocked:
        sys.modules[m] = None  # type: ignore[assignment]
    try:
        import great_expectations  # noqa: F401
    finally:
        for m in blocked:
            if sys.modules.get(m, 0) is None:
                del sys.modules[m]
    yield


def contracts_dir() -> Path:
    """Where the contracts live (:func:`audit.core.resources.shipped_folder`)."""
    return shipped_folder("data_contracts")


def contract_path(name: str) -> Path:
    """The contract file of table ``name``."""
    table(name)
    return contracts_dir() / f"{name}.json"


def read_contract(name: str) -> dict[str, Any]:
    """The contract of table ``name`` as plain JSON (no GX import)."""
    path = contract_path(name)
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise StructuralError.worded(key="error.contract_unreadable", path=path,
                                     why=exc) from exc


@cache
def load_contract(name: str) -> gx.ExpectationSuite:
    """The contract of table ``name`` as a GX ``ExpectationSuite``, loaded strictly.

    GX logs and silently drops an expectation whose type it does not know, so a typo would
    remove a check without anyone noticing. Here the loaded suite is compared with the file,
    expectation by expectation, and any difference raises.

    Raises
    ------
    StructuralError
        Naming the file and the index of the first expectation that did not load.
    """
    return load_suite_file(contract_path(name))


def load_suite_file(path: Path) -> gx.ExpectationSuite:
    """Load one suite JSON file strictly (see ``load_contract``)."""
    with _import_gx():
        import great_expectations as gx

    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise StructuralError.worded(key="error.contract_unreadable", path=path,
                                     why=exc) from exc
    data.pop("id", None)
    expected = data.get("expectations", [])
    # GX logs the dropped expectation at ERROR level; we raise instead, so silence it here.
    logger = logging.getLogger("great_expectations")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        suite = gx.ExpectationSuite(**data)
    except Exception as exc:
        raise StructuralError.worded(key="error.contract_invalid", path=path,
                                     why=str(exc).splitlines()[0]) from exc
    finally:
        logger.setLevel(level)
    loaded = [e.expectation_type for e in suite.expectations]
    wanted = [e.get("type") for e in expected]
    if loaded != wanted:
        index = next((i for i, (a, b) in enumerate(zip(loaded, wanted, strict=False)) if a != b),
                     len(loaded))
        raise StructuralError.worded(key="error.contract_dropped", path=path, index=index,
                                     type=wanted[index], wanted=len(wanted), loaded=len(loaded))
    return suite


@cache
def _batch_definition() -> Any:
    """One ephemeral context with a pandas dataframe asset, reused for every table."""
    with _import_gx():
        import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("review_audit")
    asset = source.add_dataframe_asset("table")
    return asset.add_batch_definition_whole_dataframe("whole")


#: COMPLETE gives failing row positions (``unexpected_index_list``); the rest of COMPLETE
#: (value lists, value counts, a pandas query string) is what makes it slow, so it is off.
RESULT_FORMAT: dict[str, Any] = {
    "result_format": "COMPLETE",
    "exclude_unexpected_values": True,
    "return_unexpected_index_query": False,
    "partial_unexpected_count": 0,
}


def _run(suite: gx.ExpectationSuite, pdf: Any) -> list[Any]:
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": pdf})
    return list(batch.validate(suite, result_format=RESULT_FORMAT).results)


@cache
def _column_groups(name: str) -> tuple[tuple[tuple[str, ...], gx.ExpectationSuite], ...]:
    """The contract split by the columns its expectations read: (columns, sub-suite) pairs.

    GX's pandas engine pays for the whole frame's width in every expectation (measured on 1M
    reviews x 13 columns: about 1 s CPU per expectation on the full frame, 0.05-0.6 s on just
    its columns; 13 s -> about 2 s for the suite). So each group of expectations that reads
    the same columns runs on a frame of those columns only. Same expectations, same results.
    """
    groups = _grouped_configs(name)  # imports GX (``_import_gx``) on the first contract
    import great_expectations as gx

    return tuple(
        (cols, gx.ExpectationSuite(name=f"{name}[{','.join(cols)}]", expectations=configs))
        for cols, configs in groups.items()
    )


def _grouped_configs(name: str) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    """The contract's expectation configs by the (sorted) columns each reads, file order."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for exp in load_contract(name).expectations:
        config = exp.configuration.to_json_dict()
        config.pop("id", None)
        groups.setdefault(tuple(sorted(_columns_read(config["kwargs"]))), []).append(config)
    return groups


@cache
def _whole(name: str) -> tuple[tuple[tuple[str, ...], gx.ExpectationSuite], ...]:
    """The contract as one suite over every column it reads, expectations in group order.

    Group order (not file order) so that the failing expectations come out in the order the
    grouped run gives: a row's reasons read the same whichever plan checked it.
    """
    groups = _grouped_configs(name)
    import great_expectations as gx

    cols = tuple(dict.fromkeys(c for group in groups for c in group))
    configs = [c for group in groups.values() for c in group]
    return ((cols, gx.ExpectationSuite(name=f"{name}[all]", expectations=configs)),)


def _plans(name: str, rows: int) -> tuple[tuple[tuple[str, ...], gx.ExpectationSuite], ...]:
    """How to run ``name``'s contract on ``rows`` rows: per column group, or in one call."""
    return _column_groups(name) if rows >= GROUP_ROWS else _whole(name)


def _columns_read(kwargs: dict[str, Any]) -> set[str]:
    """Every column an expectation reads, including those in its row condition."""
    cols = {kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs}
    cols.update(kwargs.get("column_list", []))

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            column = node.get("column")
            if isinstance(column, dict) and "name" in column:
                cols.add(column["name"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(kwargs.get("row_condition"))
    return cols


def check_rows(df: pl.DataFrame, name: str, *, source_file: str = "") -> pl.DataFrame:
    """Rows of ``df`` that break table ``name``'s contract, one row per (row, expectation).

    Parameters
    ----------
    df
        The typed table (canonical columns and dtypes) with its ``__row`` column.
    name
        The table; its contract is ``data_contracts/<name>.json``.
    source_file
        For error messages only.

    Returns
    -------
    pl.DataFrame
        ``__row``, ``column``, ``rule`` (plain words, for counting) and ``reason`` (plain words
        with the value and the expectation's name, for the data owner).
    """
    plans = _plans(name, df.height)  # loads the contract strictly, even for an empty table
    if df.height == 0:
        return pl.DataFrame(schema=PROBLEMS_SCHEMA)
    read = list(dict.fromkeys(c for columns, _ in plans for c in columns if c in df.columns))
    pdf = df.select(read).to_pandas()
    frames = []
    for columns, group in plans:
        for res in _run(group, pdf[list(columns)]):
            if res.success:
                continue
            info = res.exception_info or {}
            if info.get("raised_exception"):
                raise StructuralError.worded(
                    key="error.contract_failed", where=source_file or name, table=name,
                    type=res.expectation_config.type,
                    why=str(info.get("exception_message")).splitlines()[0])
            positions = res.result.get("unexpected_index_list") or []
            if not positions:
                continue
            frames.append(
                _describe(df, res.expectation_config, pl.Series(positions, dtype=pl.Int64)))
    if not frames:
        return pl.DataFrame(schema=PROBLEMS_SCHEMA)
    return pl.concat(frames)


def _describe(df: pl.DataFrame, config: Any, positions: pl.Series) -> pl.DataFrame:
    """Problem rows for one failing expectation: which rows, and why in plain words."""
    kind = config.type
    kw = config.kwargs
    rows = df[positions.unique().sort()]
    col = kw.get("column")
    value = pl.col(col).cast(pl.String).str.slice(0, 40) if col else None
    tag = f" ({kind})"
    if kind == "expect_column_values_to_not_be_null":
        cond = _condition_text(kw.get("row_condition"))
        if cond:
            rule = f"{col}: missing, but required when {cond}"
        else:
            rule = f"{col}: required value is missing"
        reason = pl.lit(rule + tag)
    elif kind == "expect_column_values_to_be_unique":
        rule = f"{col}: duplicate value"
        reason = pl.format(f"{col}: '{{}}' appears more than once{tag}", value)
    elif kind == "expect_compound_columns_to_be_unique":
        cols = kw["column_list"]
        col = "+".join(cols)
        rule = f"{col}: duplicate combination"
        reason = pl.format(
            f"{col}: ({', '.join('{}' for _ in cols)}) appears more than once{tag}",
            *[pl.col(c).cast(pl.String) for c in cols],
        )
    elif kind == "expect_column_values_to_be_in_set":
        allowed = ", ".join(map(str, kw["value_set"]))
        rule = f"{col}: value not allowed"
        reason = pl.format(f"{col}: '{{}}' is not one of {allowed}{tag}", value)
    elif kind == "expect_column_values_to_be_between":
        lo, hi = kw.get("min_value"), kw.get("max_value")
        if lo == 0 and hi is None:
            rule = f"{col}: negative value"
            reason = pl.format(f"{col}: {{}} is negative{tag}", value)
        elif lo is None and hi is not None:
            rule = f"{col}: absurdly large value"
            shown = f"{int(hi):,}" if float(hi).is_integer() else f"{hi:,}"
            reason = pl.format(f"{col}: {{}} is above the plausible limit {shown}{tag}", value)
        else:
            rule = f"{col}: out of range"
            reason = pl.format(f"{col}: {{}} is outside [{lo}, {hi}]{tag}", value)
    elif kind == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = kw["column_A"], kw["column_B"]
        col = a
        word = "is earlier than" if df.schema[a].is_temporal() else "is less than"
        rule = f"{a} {word} {b}"
        reason = pl.format(f"{a} ({{}}) {word} {b} ({{}}){tag}", _text(df, a), _text(df, b))
    else:
        rule = f"{col or 'row'}: breaks {kind}"
        reason = pl.lit(rule)
    return rows.select(
        pl.col(ROW), pl.lit(col, pl.String).alias("column"), pl.lit(rule).alias("rule"),
        reason.alias("reason"),
    )


def _text(df: pl.DataFrame, column: str) -> pl.Expr:
    """A value as the export would show it (times to the second)."""
    if isinstance(df.schema[column], pl.Datetime):
        return pl.col(column).dt.to_string("%Y-%m-%d %H:%M:%S")
    return pl.col(column).cast(pl.String)


def _condition_text(cond: Any) -> str:
    """A GX row condition in plain words (``kind is one of a, b``)."""
    if cond is None:
        return ""
    if hasattr(cond, "model_dump"):
        cond = cond.model_dump(mode="json")
    if isinstance(cond, dict) and cond.get("type") == "comparison":
        column = cond.get("column", {}).get("name")
        op, param = cond.get("operator"), cond.get("parameter")
        if op == "IN":
            return f"{column} is one of {', '.join(map(str, param))}"
        return f"{column} {op} {param}"
    return str(cond)
