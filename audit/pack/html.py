"""Rendering executed notebooks as code-free HTML pages that draw their charts offline.

nbconvert's lab template links require.js and MathJax from a CDN; the pack's template
(``templates/pack``) drops them and loads the pack's single ``assets/plotly.min.js`` instead, so a
page needs no network and plotly.js (4.8 MB) is shipped once, not inside every chart.
Charts reach the HTML as the ``text/html`` half of :func:`audit.core.charts.figure_bundle`.
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path

#: Where the pack keeps shared files (plotly.js), relative to the pack's root.
ASSETS = "assets"
PLOTLY_JS = "plotly.min.js"
_TEMPLATES = Path(__file__).resolve().parent / "templates"


def copy_plotly_js(pack_dir: Path) -> Path:
    """Copy plotly.js from the installed plotly package into ``pack_dir/assets/`` (no download)."""
    import plotly

    source = Path(plotly.__file__).resolve().parent / "package_data" / PLOTLY_JS
    target = pack_dir / ASSETS / PLOTLY_JS
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def nav_html(links: list[tuple[str, str]]) -> str:
    """The navigation bar: ``(href, text)`` pairs, both escaped."""
    return "".join(
        f'<a href="{html.escape(href, quote=True)}">{html.escape(text)}</a>' for href, text in links
    )


def render_notebook(notebook: Path, target: Path, *, title: str, nav: str, lang: str,
                    plotly_js_url: str = f"{ASSETS}/{PLOTLY_JS}", show_code: bool = False) -> Path:
    """Render executed ``notebook`` to ``target`` (HTML, inputs hidden unless ``show_code``).

    ``show_code`` is for a failed notebook kept for debugging: the reader needs the cell.
    """
    import nbformat
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    nb = nbformat.read(notebook, as_version=4)
    nb.metadata["title"] = title
    config = Config()
    # Cells tagged remove_cell (setup an analyst needs, a manager does not) leave the page.
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = {"remove_cell"}
    config.TagRemovePreprocessor.remove_all_outputs_tags = {"remove_output"}
    exporter = HTMLExporter(
        config=config,
        template_name="pack",
        extra_template_basedirs=[str(_TEMPLATES)],
        exclude_input=not show_code,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    exporter.require_js_url = ""
    exporter.mathjax_url = ""
    exporter.language_code = lang  # ISO 639-1 (nbconvert validates it): "zh", "en"
    body, _ = exporter.from_notebook_node(
        nb,
        resources={"plotly_js_url": plotly_js_url, "pack_nav": nav},
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body, "utf-8")
    return target
