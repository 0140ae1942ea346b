"""Shared fixtures: the default demo dataset, generated once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default demo dataset (seed 7, Aug-Oct 2026, 3 shops) with its truth/ folder."""
    from audit.demo import DemoSpec, generate_demo

    out = tmp_path_factory.mktemp("demo")
    generate_demo(out, DemoSpec())
    return out


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (real public review text); skips when it is not beside the repo."""
    data = SHARED / "data"
    if not data.is_dir():
        pytest.skip(f"real review data not found at {data} (../shared is absent)")
    return data


@pytest.fixture(scope="session")
def demo_snapshot(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo validated once and written as the typed snapshot the monthly pack hands kernels."""
    from audit.data.dataset import load_dataset, write_snapshot

    snapshot = tmp_path_factory.mktemp("snapshot")
    write_snapshot(load_dataset(demo_dir), snapshot)
    return snapshot


NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.fixture
def run_report_notebook(demo_snapshot: Path, tmp_path: Path):
    """Run ``notebooks/<name>`` on the demo snapshot with papermill (as the pack does).

    Returns the executed notebook's code-cell outputs; fails the test on any cell error.
    """
    import json

    from audit.pack.notebooks import run_notebook

    def run(name: str, **parameters: object) -> list[dict]:
        out = tmp_path / name
        params = {"data_dir": str(demo_snapshot), "month": "2026-10", "as_of": "", "shop": "",
                  "lang": "en", **parameters}
        result = run_notebook(NOTEBOOKS / name, out, params)
        assert result.error is None, result.error
        cells = json.loads(out.read_text("utf-8"))["cells"]
        outputs = [o for c in cells if c["cell_type"] == "code" for o in c["outputs"]]
        assert not [o for o in outputs if o["output_type"] == "error"]
        for o in outputs:  # nbformat may store a text bundle as a list of lines
            for mime, value in o.get("data", {}).items():
                if isinstance(value, list):
                    o["data"][mime] = "".join(value)
        return outputs

    return run


@pytest.fixture(scope="session")
def demo_pack(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """``demo_pack(lang)``: the default demo's October pack with the repository's notebooks.

    Built once per language per session and shared by every test that reads a finished pack
    (consistency, the zh pack's words, the Excel formats, the notebook re-run).
    """
    from audit.pack.build import build_monthly_pack

    built: dict[str, Path] = {}

    def get(lang: str) -> Path:
        if lang not in built:
            out = tmp_path_factory.mktemp(f"demo-pack-{lang}")
            built[lang] = build_monthly_pack(demo_dir, month="2026-10", out=out,
                                             lang=lang).pack_dir
        return built[lang]

    return get
