"""Screenshots of every page of the zh demo pack at 1280 px (headless Chromium, no network).

    python3 -m uv run review-audit demo --out /tmp/demo
    python3 -m uv run review-audit monthly /tmp/demo --month 2026-10 --lang zh --out /tmp/reports
    python3 -m uv run python docs/screenshots/take.py /tmp/reports/2026-10

Writes ``docs/screenshots/zh-<page>.png`` and prints what, if anything, is wider than the window.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "tests"))

from builders.browser import screenshot  # noqa: E402


def main(pack: Path) -> None:
    with tempfile.TemporaryDirectory() as profile:
        for page in sorted(pack.glob("*.html")):
            png = HERE / f"zh-{page.stem}.png"
            measured = screenshot(page, png, Path(profile) / page.stem)
            print(f"{png.name}: height {measured['height']} px, overflow {measured['over']}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
