"""notebooks/impact.ipynb: committed clean, and runs top to bottom on the demo (slow)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "impact.ipynb"
PARAMETERS = {"data_dir": "../data/demo", "month": "2026-10", "as_of": "", "shop": "",
              "lang": "en", "window": 14}


def _cells():
    return json.loads(NOTEBOOK.read_text("utf-8"))["cells"]


def test_notebook_is_committed_without_outputs():
    for cell in _cells():
        if cell["cell_type"] == "code":
            assert cell["outputs"] == []
            assert cell["execution_count"] is None


def test_first_code_cell_is_the_parameters_cell_with_the_team_defaults():
    first = next(c for c in _cells() if c["cell_type"] == "code")
    assert "parameters" in first["metadata"]["tags"]
    namespace: dict[str, object] = {}
    exec("".join(first["source"]), namespace)  # noqa: S102 - our own notebook's literals
    assert {k: namespace[k] for k in PARAMETERS} == PARAMETERS


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_notebook_runs_on_a_demo_snapshot(demo_dir, tmp_path, lang):
    from audit.dataset import load_dataset, write_snapshot
    from audit.pack.run import run_notebook

    snapshot = tmp_path / "snapshot"
    write_snapshot(load_dataset(demo_dir), snapshot)
    out = tmp_path / "impact.ipynb"
    run = run_notebook(NOTEBOOK, out, {**PARAMETERS, "data_dir": str(snapshot), "lang": lang,
                                       "window": "10" if lang == "zh" else "14"})
    assert run.error is None, run.error
    outputs = [o for c in json.loads(out.read_text("utf-8"))["cells"]
               if c["cell_type"] == "code" for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]
    figures = [o for o in outputs if "application/vnd.plotly.v1+json" in o.get("data", {})]
    assert len(figures) == 4
    text = json.dumps(outputs, ensure_ascii=False)
    assert "Trust the event study, not the naive number" in text
    if lang == "zh":
        assert "距事件天数" in text
