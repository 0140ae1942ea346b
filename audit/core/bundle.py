"""Saving a job's views once and reading them back: how the pack hands its numbers to notebooks.

A pack runs each analysis once, in its own process, and the report notebooks only show what
that run produced (they never re-derive a number, so a page cannot disagree with the index).
A views object is a frozen dataclass whose fields are polars DataFrames or JSON-ready values
(dicts of numbers); :func:`save_views` writes one Parquet file per frame and one JSON file for
the rest, :func:`load_views` rebuilds the same dataclass.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import polars as pl

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import date, datetime

V = TypeVar("V")
_VALUES = "values.json"


def _json_ready(value: Any) -> Any:
    """Dates and datetimes as ISO strings; everything else as JSON has it."""
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if hasattr(value, "isoformat"):
        return _iso(value)
    return value


def _iso(value: date | datetime) -> str:
    return value.isoformat()


def save_views(views: object, folder: Path) -> Path:
    """Write ``views`` (a dataclass of frames and JSON-ready values) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(views):  # type: ignore[arg-type]
        value = getattr(views, f.name)
        if isinstance(value, pl.DataFrame):
            value.write_parquet(folder / f"{f.name}.parquet")
        else:
            values[f.name] = _json_ready(value)
    (folder / _VALUES).write_text(json.dumps(values, ensure_ascii=False, sort_keys=True), "utf-8")
    return folder


def load_views(cls: type[V], folder: Path | str) -> V:
    """The ``cls`` instance saved in ``folder`` by :func:`save_views`.

    Raises
    ------
    FileNotFoundError
        ``folder`` holds no saved views of ``cls`` (a frame or the values file is missing).
    """
    folder = Path(folder)
    values = json.loads((folder / _VALUES).read_text("utf-8"))
    kwargs = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        parquet = folder / f"{f.name}.parquet"
        kwargs[f.name] = pl.read_parquet(parquet) if parquet.is_file() else values[f.name]
    return cls(**kwargs)


def saved_or(cls: type[V], views_dir: str | Path, part: str, compute: Callable[[], V]) -> V:
    """The views a notebook shows: a pack's saved ``views_dir/part``, else ``compute()``.

    In a pack the notebook only shows what the pack's single analysis saved; opened on its own
    (JupyterLab), the same notebook runs the job on its ``data_dir``.
    """
    return load_views(cls, find_folder(views_dir) / part) if views_dir else compute()


def find_folder(folder: str | Path) -> Path:
    """``folder``, a relative one found from the working folder or its parent.

    An executed notebook of a pack records its views as ``views`` (pack-relative), so the
    record re-runs both from the pack folder (papermill there) and from ``notebooks/``
    (JupyterLab starts a kernel in the notebook's own folder).
    """
    path = Path(folder)
    if path.is_absolute() or path.exists():
        return path
    return path if not (Path("..") / path).exists() else Path("..") / path


#: The pack's folder of Excel action lists, and each list's file name (with the month, so a
#: manager's downloads of several months never overwrite one another).
ACTIONS_FOLDER = "actions"


def action_list_file(book: str, month: str) -> str:
    """``promises_to_chase_2026-10.xlsx``: the action list ``book`` of ``month``."""
    return f"{book}_{month}.xlsx"


def action_list_href(book: str, month: str) -> str:
    """The list's address from a pack page (pages sit at the pack's top level)."""
    return f"{ACTIONS_FOLDER}/{action_list_file(book, month)}"
