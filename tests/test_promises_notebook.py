"""The promise notebook runs top to bottom on the demo data, in both languages (issue 3)."""

from __future__ import annotations

import pytest


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_notebook_runs_on_the_demo_with_papermill_3(run_report_notebook, lang):
    outputs = run_report_notebook("promises.ipynb", lang=lang,
                                  shop="S01" if lang == "zh" else "")
    charts = [o for o in outputs if "application/vnd.plotly.v1+json" in o.get("data", {})]
    assert len(charts) == 6
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert ("承诺" in html) if lang == "zh" else ("Broken" in html or "broken" in html)
