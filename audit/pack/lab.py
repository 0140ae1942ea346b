"""``review-audit lab``: JupyterLab at the project root, with the demo data ready.

JupyterLab opens at the project root (the notebooks, ``data/``, ``reports/`` and the docs all
in reach). The notebooks' ``parameters`` cells default to ``data_dir = "../data/demo"``
(relative to ``notebooks/``, where a kernel starts), so an analyst who opens one can run it top
to bottom at once. This module makes sure that folder exists (generating the seeded demo if not)
and builds the command line.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from audit.core.resources import checkout_root


def project_root() -> Path:
    """The repository root in a checkout; the current folder for an installed toolkit."""
    return checkout_root() or Path.cwd()


def ensure_demo(data_dir: Path) -> bool:
    """Generate the default demo dataset into ``data_dir`` unless it already holds one.

    Returns True when it generated the data.
    """
    if (data_dir / "reviews.csv").is_file():
        return False
    from audit.demo import DemoSpec, generate_demo

    generate_demo(data_dir, DemoSpec())
    return True


def lab_command(root: Path, *, port: int | None = None, browser: bool = True) -> list[str]:
    """The argv that starts JupyterLab at ``root`` with this environment's Python."""
    argv = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root}"]
    if port is not None:
        argv.append(f"--port={port}")
    if not browser:
        argv.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Containers and CI run as root; JupyterLab refuses to start as root without this.
        argv.append("--allow-root")
    return argv
