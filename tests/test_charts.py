"""Chart and table display helpers: what reaches the notebook and, through it, the HTML pack."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import pytest

from audit.core.charts import PLOTLY_MIMETYPE, cell_text, figure_bundle, table_html
from audit.core.figure_style import PALETTE, styled


def test_figure_bundle_has_plotly_json_and_a_div_without_plotly_js() -> None:
    fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))
    bundle = figure_bundle(fig)
    assert bundle[PLOTLY_MIMETYPE]["data"][0]["type"] == "bar"
    html = bundle["text/html"]
    assert "Plotly.newPlot" in html
    assert 'class="plotly-graph-div"' in html
    assert len(html) < 20_000  # plotly.js (4.8 MB) is not inside
    assert "<script src=" not in html
    assert "cdn.plot.ly" not in html


def test_table_html_escapes_markup_in_headers_and_cells() -> None:
    df = pl.DataFrame({"<b>col</b>": ["<script>alert(1)</script>", None], "n": [1, 2]})
    html = table_html(df)
    assert "<script>" not in html
    assert "<b>col</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;col&lt;/b&gt;" in html


def test_table_html_caps_rows_and_says_how_many_more() -> None:
    html = table_html(pl.DataFrame({"x": list(range(1234))}), max_rows=10)
    assert html.count("<tr>") == 11  # header + 10
    assert "1,224 more rows" in html


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, ""), (0, "0"), (1234567, "1,234,567"), (159.20000000000002, "159.20"),
     (0.158365, "0.158"), (12345.0, "12,345"), (-2.5, "-2.50"), (float("nan"), ""),
     (True, "True"), ("<x>", "<x>")],
)
def test_cell_text(value: object, text: str) -> None:
    assert cell_text(value) == text


def test_styled_applies_the_pack_layout_and_returns_the_same_figure() -> None:
    fig = go.Figure()
    out = styled(fig, title="T", height=300)
    assert out is fig
    assert fig.layout.height == 300
    assert fig.layout.title.text == "T"
    assert tuple(fig.layout.colorway) == PALETTE
