"""The promise notebook runs top to bottom on the demo data, in both languages (issue 3)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "promises.ipynb"


def test_notebook_is_committed_without_outputs_and_has_the_team_parameters():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    first = code[0]
    assert "parameters" in first.metadata.get("tags", [])
    assert first.source.splitlines() == ['data_dir = "../data/demo"', 'month = "2026-10"',
                                         'as_of = ""', 'shop = ""', 'lang = "en"']


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_notebook_runs_on_the_demo_with_papermill_3(demo_dir, tmp_path, lang):
    import papermill as pm
    from traitlets.config import Config

    cfg = Config()
    cfg.KernelManager.transport = "ipc"
    out = tmp_path / "promises.ipynb"
    pm.execute_notebook(
        str(NOTEBOOK), str(out), kernel_name="python3", progress_bar=False,
        parameters={"data_dir": str(demo_dir), "shop": "S01" if lang == "zh" else "",
                    "lang": lang, "as_of": "", "month": "2026-10"},
        cwd=str(NOTEBOOK.parent), config=cfg,
    )
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    charts = [o for o in outputs if "application/vnd.plotly.v1+json" in o.get("data", {})]
    assert len(charts) == 6
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert ("承诺" in html) if lang == "zh" else ("Broken" in html or "broken" in html)
