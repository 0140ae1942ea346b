"""The notebook runner: parallel kernels, warm kernels, failures reported in one line."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from builders.notebooks import PARAMETERS, make_notebook

from audit.core.errors import NotebookFailed
from audit.pack.notebooks import KernelPool, raise_for_failures, run_notebooks

PARAMS = {"data_dir": "unused", "month": "2026-10", "as_of": "2026-11-30", "shop": "",
          "lang": "en"}
# The warm-up must leave no trace in the notebook: no names, execution counts from 1.
CLEAN = "assert 'polars' not in dir() and 'pl' not in dir(), sorted(dir())\nprint(month)"


def _counts(path: Path) -> list[int | None]:
    nb = nbformat.read(path, as_version=4)
    return [c.execution_count for c in nb.cells if c.cell_type == "code"]


@pytest.mark.parametrize("warm", [False, True])
@pytest.mark.slow
def test_notebooks_run_in_parallel_warm_or_cold(tmp_path: Path, *, warm: bool) -> None:
    src = tmp_path / "src"
    sources = [make_notebook(src / f"n{i}.ipynb", body=CLEAN) for i in range(3)]
    sources.append(make_notebook(src / "bad.ipynb", body=CLEAN, fail="boom"))
    pool = KernelPool(len(sources), src) if warm else None
    try:
        runs = run_notebooks(sources, tmp_path / "out", PARAMS, workers=2, pool=pool,
                             order=list(reversed(sources)))
    finally:
        if pool is not None:
            pool.close()
    assert [r.name for r in runs] == ["n0.ipynb", "n1.ipynb", "n2.ipynb", "bad.ipynb"]
    assert [r.ok for r in runs] == [True, True, True, False]
    assert runs[-1].error == "cell [4]: ValueError: boom"
    for r in runs[:3]:
        assert _counts(r.output) == [1, 2, 3]  # parameters, injected parameters, body
    with pytest.raises(NotebookFailed, match=r"^notebook bad\.ipynb failed at cell \[4\]: "
                                             r"ValueError: boom \(executed notebooks kept in x\)$"):
        raise_for_failures(runs, kept_in=Path("x"))


@pytest.mark.slow
def test_pool_close_stops_kernels_nobody_took(tmp_path: Path) -> None:
    import psutil

    before = {p.pid for p in psutil.Process().children(recursive=True)}
    pool = KernelPool(2, tmp_path)
    km = pool.take()
    assert km is not None
    assert km.has_kernel
    pool.close()  # stops the untaken one
    from audit.pack.notebooks import shutdown_kernel

    shutdown_kernel(km)
    after = {p.pid for p in psutil.Process().children(recursive=True) if p.is_running()
             and p.status() != psutil.STATUS_ZOMBIE}
    assert after <= before


def test_builder_make_notebook_has_tagged_parameters_cell(tmp_path: Path) -> None:
    nb = nbformat.read(make_notebook(tmp_path / "x.ipynb", fail="boom"), as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert tagged[0].source == PARAMETERS
    assert nb.cells[-1].source == "raise ValueError('boom')"
