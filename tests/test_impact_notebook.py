"""notebooks/impact.ipynb runs top to bottom on the demo (slow), in both languages."""

from __future__ import annotations

import json

import pytest


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_notebook_runs_on_a_demo_snapshot(run_report_notebook, lang):
    outputs = run_report_notebook("impact.ipynb", lang=lang,
                                  window="10" if lang == "zh" else "14")
    figures = [o for o in outputs if "application/vnd.plotly.v1+json" in o.get("data", {})]
    assert len(figures) == 4
    text = json.dumps(outputs, ensure_ascii=False)
    assert ("请相信事件研究, 而不是简单对比的数字" if lang == "zh"
            else "Trust the event study, not the naive number") in text
    if lang == "zh":
        assert "距事件天数" in text
