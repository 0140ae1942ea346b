"""The pack in a real browser: headless Chromium, file:// URLs, no network, every chart draws.

Skipped with a reason where the ``chromium`` binary is absent (``.ci/run`` installs Debian's
package). Both languages: the English pack with a probe notebook beside the report notebooks,
and the Chinese pack a manager reads, where no table may stick out of a 1280-pixel window.
"""

from __future__ import annotations

import re
import shutil
from typing import TYPE_CHECKING

import pytest
from builders.browser import CHROMIUM, WIDTH, dump_dom, layout
from builders.notebooks import make_notebook, repo_notebooks

from audit.pack.build import build_monthly_pack

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="module")
def pack(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if CHROMIUM is None:
        pytest.skip("chromium not installed (apt-get install chromium); .ci/run installs it")
    notebooks = tmp_path_factory.mktemp("notebooks")
    real = repo_notebooks()
    if real is not None:
        for nb in real.glob("*.ipynb"):
            shutil.copy(nb, notebooks / nb.name)
    make_notebook(notebooks / "probe.ipynb")
    out = tmp_path_factory.mktemp("reports")
    return build_monthly_pack(demo_dir, month="2026-10", out=out,
                              notebooks_dir=notebooks).pack_dir


@pytest.fixture(scope="module")
def zh_pack(demo_pack) -> Path:
    if CHROMIUM is None:
        pytest.skip("chromium not installed (apt-get install chromium); .ci/run installs it")
    return demo_pack("zh")


def _charts_draw(pack: Path, profile: Path) -> None:
    pages = sorted(p for p in pack.glob("*.html") if p.name != "index.html")
    assert pages
    for page in pages:
        source = page.read_text("utf-8")
        charts = source.count("Plotly.newPlot(")
        dom = dump_dom(page, profile / page.stem)
        divs = len(re.findall(r'<div class="plotly-graph-div[^"]*" id=', dom))
        drawn = dom.count('class="plot-container plotly"')
        svgs = dom.count('class="main-svg"')
        assert charts > 0, page.name
        assert divs == charts, f"{page.name}: {divs} chart divs, {charts} charts in source"
        assert drawn == charts, f"{page.name}: {drawn} of {charts} charts drew"
        assert svgs >= charts, page.name


@pytest.mark.slow
@pytest.mark.browser
def test_every_chart_draws_offline(pack: Path, tmp_path: Path) -> None:
    _charts_draw(pack, tmp_path)


@pytest.mark.slow
@pytest.mark.browser
def test_every_zh_chart_draws_offline(zh_pack: Path, tmp_path: Path) -> None:
    _charts_draw(zh_pack, tmp_path)


@pytest.mark.slow
@pytest.mark.browser
def test_no_zh_page_overflows_at_1280_pixels(zh_pack: Path, tmp_path: Path) -> None:
    for page in sorted(zh_pack.glob("*.html")):
        measured = layout(page, tmp_path / page.stem, width=WIDTH)
        assert measured["over"] == [], (page.name, measured["over"])


@pytest.mark.slow
@pytest.mark.browser
def test_index_opens_and_links_resolve(pack: Path, tmp_path: Path) -> None:
    dom = dump_dom(pack / "index.html", tmp_path / "index")
    assert "Monthly review audit" in dom
    assert 'class="cards"' in dom
    hrefs = re.findall(r'href="([^"#]+)"', dom)
    assert "manifest.json" in hrefs
    for href in hrefs:
        assert (pack / href).is_file(), href


@pytest.mark.browser
def test_layout_probe_sees_a_table_wider_than_the_window(tmp_path: Path) -> None:
    if CHROMIUM is None:
        pytest.skip("chromium not installed (apt-get install chromium); .ci/run installs it")
    cells = "".join(f'<td style="white-space:nowrap">{"宽" * 40}</td>' for _ in range(4))
    page = tmp_path / "wide.html"
    page.write_text(f"<html><body><table><tr>{cells}</tr></table>"
                    f'<div class="ra-scroll"><table><tr>{cells}</tr></table></div></body></html>',
                    "utf-8")
    over = layout(page, tmp_path / "profile")["over"]
    assert any(o.startswith("table 0") for o in over)  # the bare table sticks out
    assert not any(o.startswith("table 1") for o in over)  # the boxed one scrolls inside
