"""``manifest.json``: the run record that says what went in, with what, and how long it took.

A reviewer who finds a surprising number can check which exports (by SHA-256) and which
package versions produced it, and which parameters the notebooks received.
"""

from __future__ import annotations

import hashlib
import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from typing import TYPE_CHECKING

from audit.core.resources import checkout_root

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from audit.data.dataset import Dataset

#: Distributions whose versions decide the numbers and the pages.
PACKAGES: tuple[str, ...] = ("review-audit", "polars", "pyarrow", "great-expectations",
                             "papermill", "nbconvert", "nbclient", "ipykernel", "plotly",
                             "numpy", "scipy", "xlsxwriter")


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def package_versions() -> dict[str, str | None]:
    """Installed version of each of ``PACKAGES`` (``None`` when absent)."""
    out: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_commit(repo: Path) -> dict[str, object] | None:
    """The toolkit's git commit and whether its tree had local changes; ``None`` outside git."""
    try:
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=10, check=True).stdout.strip()
        status = subprocess.run(["git", "-C", str(repo), "status", "--porcelain",
                                 "--untracked-files=no"], capture_output=True, text=True,
                                timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": head, "dirty": bool(status.strip())}


def input_files(ds: Dataset, data_dir: Path) -> list[dict[str, object]]:
    """One entry per table: its file, SHA-256 and row counts (read, valid, quarantined, blank)."""
    rows = []
    for name, r in sorted(ds.reports.items()):
        path = data_dir / r.source_file if r.source_file else None
        rows.append({
            "table": name,
            "file": r.source_file,
            "sha256": sha256(path) if path is not None and path.is_file() else None,
            "rows_read": r.rows_read,
            "rows_valid": r.rows_valid,
            "rows_quarantined": r.rows_quarantined,
            "rows_blank": r.rows_blank,
        })
    return rows


def build_manifest(*, parameters: Mapping[str, str], ds: Dataset, data_dir: Path,
                   steps: Mapping[str, float], notebooks: Mapping[str, float],
                   outputs: list[Path], pack_dir: Path,
                   steps_cpu: Mapping[str, float] | None = None) -> dict[str, object]:
    """The manifest as a JSON-ready dict (outputs with their SHA-256, relative to the pack).

    ``steps_cpu``: the building process's CPU seconds per step (kernels not included).
    """
    repo = checkout_root()
    return {
        "format": "review-audit-pack/1",
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "parameters": dict(parameters),
        # The folder's name only: the inputs are identified by their checksums, and the pack
        # carries no path of the machine that built it.
        "data_dir": data_dir.resolve().name,
        "inputs": input_files(ds, data_dir),
        "absent_tables": list(ds.absent),
        "packages": package_versions(),
        "python": platform.python_version(),
        "toolkit_git": git_commit(repo) if repo and (repo / ".git").exists() else None,
        "steps_seconds": {k: round(v, 3) for k, v in steps.items()},
        "steps_cpu_seconds": {k: round(v, 3) for k, v in (steps_cpu or {}).items()},
        "notebooks_seconds": {k: round(v, 3) for k, v in notebooks.items()},
        "outputs": [{"file": p.relative_to(pack_dir).as_posix(), "sha256": sha256(p)}
                    for p in sorted(outputs)],
    }
