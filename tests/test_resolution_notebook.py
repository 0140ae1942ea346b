"""notebooks/resolution.ipynb runs top to bottom on the demo (slow), in both languages."""

from __future__ import annotations

import polars as pl
import pytest


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_notebook_runs_on_a_demo_snapshot(run_report_notebook, demo_dir, lang):
    outputs = run_report_notebook("resolution.ipynb", lang=lang,
                                  shop="" if lang == "en" else "S01")
    figures = [o for o in outputs if "application/vnd.plotly.v1+json" in o.get("data", {})]
    assert len(figures) == 6
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    buyers = pl.read_csv(demo_dir / "reviews.csv")["buyer_id"].unique().to_list()
    assert not [b for b in buyers if f">{b}<" in html]  # no raw buyer id in any table
    if lang == "zh":
        assert "解决率" in html
