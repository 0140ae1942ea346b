"""Headless Chromium for the pack tests and the docs' screenshots: DOM, layout probe, PNG.

Network is cut twice: Chromium's background services are off, and every host name resolves to
nothing, so a page that needed a CDN would fail to draw. The layout probe copies a page beside
itself with a script that measures, after the charts drew, every table box that is wider than
the window lets it be (``scrollWidth > clientWidth`` of the page, and of every table not inside
a scrolling box), and writes the result into the DOM that ``--dump-dom`` returns.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=15000",
         "--hide-scrollbars", "--force-device-scale-factor=1"]
WIDTH = 1280

_PROBE = """<script>
window.addEventListener("load", function () { setTimeout(function () {
  var doc = document.documentElement, over = [];
  document.querySelectorAll("table").forEach(function (t, i) {
    var box = t.closest(".ra-scroll");
    var r = t.getBoundingClientRect();
    if (!box && r.right > doc.clientWidth + 1) over.push("table " + i + " right=" + r.right);
  });
  if (doc.scrollWidth > doc.clientWidth + 1) over.push("page " + doc.scrollWidth);
  var out = document.createElement("pre"); out.id = "ra-probe";
  out.textContent = JSON.stringify({over: over, height: doc.scrollHeight});
  document.body.appendChild(out);
}, 500); });
</script>"""


def _run(args: list[str], profile: Path) -> str:
    out = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                         capture_output=True, text=True, timeout=180, check=True)
    return out.stdout


def dump_dom(page: Path, profile: Path, *, width: int = WIDTH) -> str:
    """The page's DOM after load and scripts, as Chromium sees it at ``width`` pixels."""
    return _run([f"--window-size={width},900", "--dump-dom", page.resolve().as_uri()], profile)


def layout(page: Path, profile: Path, *, width: int = WIDTH) -> dict:
    """``{"over": [what is wider than the window], "height": page height}`` at ``width``."""
    probe = page.with_name(f".probe-{page.name}")
    probe.write_text(page.read_text("utf-8").replace("</body>", _PROBE + "</body>"), "utf-8")
    try:
        dom = dump_dom(probe, profile, width=width)
    finally:
        probe.unlink()
    found = re.search(r'<pre id="ra-probe">(.*?)</pre>', dom, re.S)
    if found is None:
        msg = f"layout probe did not run on {page.name}"
        raise AssertionError(msg)
    return json.loads(found.group(1).replace("&quot;", '"'))


def screenshot(page: Path, png: Path, profile: Path, *, width: int = WIDTH) -> dict:
    """A full-page PNG of ``page`` at ``width`` pixels; returns its :func:`layout`."""
    measured = layout(page, profile, width=width)
    height = min(max(900, int(measured["height"])), 16000)
    _run([f"--window-size={width},{height}", f"--screenshot={png.resolve()}",
          page.resolve().as_uri()], profile)
    return measured
