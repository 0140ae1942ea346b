"""notebooks/trends.ipynb runs top to bottom on the demo opened on its own (no pack views)."""

from __future__ import annotations

import pytest

from audit.core.labels import label


@pytest.mark.slow
def test_trends_notebook_runs_on_its_own_in_chinese(run_report_notebook) -> None:
    outputs = run_report_notebook("trends.ipynb", lang="zh", shop="S01")
    charts = [o for o in outputs if "application/vnd.plotly.v1+json" in o.get("data", {})]
    assert len(charts) == 3  # trends, agents, funnel
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    for key in ("trends", "scorecard", "explanations", "to_explain", "products"):
        assert label(f"year.h.{key}", "zh") in html, key
