"""The ``monthly`` and ``lab`` commands: thin wrappers, tested as papermill tests its CLI."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import audit.pack.build
from audit.cli import app
from audit.core.errors import NotebookFailed
from audit.pack.build import PackResult
from audit.pack.lab import lab_command


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[dict]:
    seen: list[dict] = []

    def fake(data_dir, **kwargs):
        seen.append({"data_dir": data_dir, **kwargs})
        kwargs["progress"]("✓ fake.ipynb 1.0 s")
        return PackResult(tmp_path / "2026-10", None, {"validate": 1.0, "render": 0.5},
                          seconds=1.5)

    monkeypatch.setattr(audit.pack.build, "build_monthly_pack", fake)
    return seen


def test_monthly_passes_every_option(calls: list[dict], tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["monthly", str(tmp_path), "--month", "2026-10",
                                      "--as-of", "2026-11-05", "--shop", "S01", "--lang", "zh",
                                      "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    (call,) = calls
    assert call["data_dir"] == tmp_path
    assert {k: call[k] for k in ("month", "as_of", "shop", "lang", "out")} == {
        "month": "2026-10", "as_of": "2026-11-05", "shop": "S01", "lang": "zh",
        "out": tmp_path / "r"}
    assert "月度报告已生成" in result.output  # the summary line in the pack's language
    assert "(1.5 秒)" in result.output


def test_monthly_defaults(calls: list[dict], tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["monthly", str(tmp_path), "--month", "2026-10"])
    assert result.exit_code == 0, result.output
    assert {k: calls[0][k] for k in ("as_of", "shop", "lang", "out")} == {
        "as_of": None, "shop": None, "lang": "en", "out": Path("reports")}


def test_failed_notebook_exits_1_with_one_line(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    def fail(*_a, **_k):
        msg = "notebook x.ipynb failed at cell [3]: KeyError: 'a'"
        raise NotebookFailed(msg)

    monkeypatch.setattr(audit.pack.build, "build_monthly_pack", fail)
    result = CliRunner().invoke(app, ["monthly", str(tmp_path), "--month", "2026-10"])
    assert result.exit_code == 1
    assert result.output.strip() == "error: notebook x.ipynb failed at cell [3]: KeyError: 'a'"


def test_bad_month_exits_2_before_anything_runs(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["monthly", str(tmp_path), "--month", "2026/10",
                                      "--out", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert "month must be YYYY-MM" in result.output
    assert not (tmp_path / "r").exists()


def test_lab_dry_run_prepares_data_and_prints_the_command(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    data.mkdir()
    (data / "reviews.csv").write_text("review_id\n", "utf-8")  # already there: not regenerated
    result = CliRunner().invoke(app, ["lab", "--data", str(data), "--dry-run", "--no-browser",
                                      "--port", "8899"])
    assert result.exit_code == 0, result.output
    assert "-m jupyterlab" in result.output
    assert "--port=8899" in result.output
    assert "--no-browser" in result.output
    assert "demo data generated" not in result.output


def test_lab_command_uses_this_python_and_the_project_root(tmp_path: Path) -> None:
    argv = lab_command(tmp_path, browser=True)
    assert argv[:3] == [sys.executable, "-m", "jupyterlab"]
    assert argv[3] == f"--ServerApp.root_dir={tmp_path}"
    assert ("--allow-root" in argv) == (os.geteuid() == 0)  # JupyterLab refuses root otherwise


@pytest.mark.slow
def test_monthly_end_to_end_on_the_demo(demo_dir: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's command on the demo data, real notebooks, through the CLI.

    Relative paths, as the README types them: notebooks run in threads, so nothing may depend
    on the process's working directory while they run (papermill's ``cwd`` used to move it).
    """
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["monthly", os.path.relpath(demo_dir, tmp_path),
                                      "--month", "2026-10", "--out", "reports/"])
    assert result.exit_code == 0, result.output
    pack = tmp_path / "reports" / "2026-10"
    assert f"monthly pack written to {pack / 'index.html'}" in result.output
    assert (pack / "index.html").is_file()
    assert (pack / "manifest.json").is_file()
    assert len(list((pack / "notebooks").glob("*.ipynb"))) == len(
        list((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb")))
