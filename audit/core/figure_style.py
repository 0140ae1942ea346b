"""Figure builders, one module per topic (``promises``, ``resolution``, ``impact``).

Each builder takes small, already-aggregated polars frames and returns a ``go.Figure``; notebooks
only show it with :func:`audit.core.charts.show`. This package holds what every topic shares, so the
pack looks like one document: a palette and :func:`styled`, the common layout.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: Colours used across the pack: neutral first, then the "bad" and "good" signals.
PALETTE: tuple[str, ...] = ("#4C78A8", "#E45756", "#54A24B", "#F58518", "#72B7B2", "#B279A2",
                            "#9D755D", "#BAB0AC")
BAD = "#E45756"
GOOD = "#54A24B"


def styled(fig: go.Figure, *, title: str | None = None, height: int = 380) -> go.Figure:
    """``fig`` with the pack's common layout (white template, palette, compact margins).

    Returns the same figure object, so builders can end with ``return styled(fig, title=...)``.
    A fixed ``height`` keeps pages from jumping while plotly draws; the width follows the page.
    """
    fig.update_layout(
        template="plotly_white",
        colorway=list(PALETTE),
        height=height,
        # The title sits at the top of the container and the legend just above the plot area,
        # so the top margin must hold both or they overlap.
        margin={"l": 60, "r": 20, "t": 90 if title else 40, "b": 50},
        font={"family": "system-ui, -apple-system, 'Segoe UI', 'Noto Sans CJK SC', sans-serif",
              "size": 13},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
    )
    if title is not None:
        fig.update_layout(title={"text": title, "x": 0, "xanchor": "left", "yref": "container",
                                 "y": 0.98, "yanchor": "top"})
    return fig


def date_axis(fig: go.Figure, lang: str, *, axis: str = "x") -> go.Figure:
    """Draw ``axis`` as dates a manager reads: ``10月9日`` / ``9 Oct`` ticks, full date on hover.

    Plotly formats dates in the browser (d3), in English unless told: the formats come from
    :data:`audit.core.fmt.AXIS_DATE_FORMAT`, the one place dates are spelled.
    """
    from audit.core.fmt import AXIS_DATE_FORMAT, HOVER_DATE_FORMAT

    update = {"type": "date", "tickformat": AXIS_DATE_FORMAT[lang],
              "hoverformat": HOVER_DATE_FORMAT[lang]}
    (fig.update_xaxes if axis == "x" else fig.update_yaxes)(**update)
    return fig
