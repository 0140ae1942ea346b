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
