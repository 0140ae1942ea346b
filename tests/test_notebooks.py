"""Every report notebook is committed clean and takes the pack's parameters (docs/interfaces.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
SHARED_DEFAULTS = {"data_dir": "../data/demo", "month": "2026-10", "as_of": "", "shop": "",
                   "lang": "en"}


def _code_cells(path: Path) -> list[dict]:
    return [c for c in json.loads(path.read_text("utf-8"))["cells"] if c["cell_type"] == "code"]


def test_the_reports_are_there() -> None:
    assert [p.name for p in NOTEBOOKS] == ["impact.ipynb", "promises.ipynb", "resolution.ipynb",
                                           "trends.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    for cell in _code_cells(path):
        assert cell["outputs"] == []
        assert cell["execution_count"] is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_code_cell_is_the_parameters_cell_with_the_shared_defaults(path: Path) -> None:
    first = _code_cells(path)[0]
    assert "parameters" in first["metadata"]["tags"]
    namespace: dict[str, object] = {}
    exec("".join(first["source"]), namespace)  # noqa: S102 - our own notebook's literals
    assert {k: namespace[k] for k in SHARED_DEFAULTS} == SHARED_DEFAULTS
