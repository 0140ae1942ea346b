"""The pack in a real browser: headless Chromium, file:// URLs, no network, every chart draws.

Skipped with a reason where the ``chromium`` binary is absent (``.ci/run`` installs Debian's
package). Network is cut twice: Chromium's background services are off, and every host name
resolves to nothing, so a page that needed a CDN would fail to draw.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import TYPE_CHECKING

import pytest
from builders.notebooks import make_notebook, repo_notebooks

from audit.pack.build import build_monthly_pack

if TYPE_CHECKING:
    from pathlib import Path


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=15000"]


def dump_dom(page: Path, profile: Path) -> str:
    """The page's DOM after load and scripts, as Chromium sees it."""
    out = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.resolve().as_uri()],
        capture_output=True, text=True, timeout=120, check=True)
    return out.stdout


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


@pytest.mark.slow
@pytest.mark.browser
def test_every_chart_draws_offline(pack: Path, tmp_path: Path) -> None:
    pages = sorted(p for p in pack.glob("*.html") if p.name != "index.html")
    assert pages
    for page in pages:
        source = page.read_text("utf-8")
        charts = source.count("Plotly.newPlot(")
        dom = dump_dom(page, tmp_path / page.stem)
        divs = len(re.findall(r'<div class="plotly-graph-div[^"]*" id=', dom))
        drawn = dom.count('class="plot-container plotly"')
        svgs = dom.count('class="main-svg"')
        assert charts > 0, page.name
        assert divs == charts, f"{page.name}: {divs} chart divs, {charts} charts in source"
        assert drawn == charts, f"{page.name}: {drawn} of {charts} charts drew"
        assert svgs >= charts, page.name


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
