"""The engine switch's parameter errors (no Spark needed: they fail before a session starts)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from typer.testing import CliRunner

from audit.cli import app

if TYPE_CHECKING:
    from pathlib import Path


def test_unknown_engine_is_a_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["promises", str(tmp_path), "--out", str(tmp_path / "o"),
                                      "--engine", "duckdb"])
    assert result.exit_code == 2
    assert "--engine must be one of embedded, spark, got 'duckdb'" in result.output


def test_platform_needs_the_spark_engine(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["platform", str(tmp_path), "--month", "2026-10",
                                      "--out", str(tmp_path / "o"), "--engine", "embedded"])
    assert result.exit_code == 2
    assert "platform runs on --engine spark" in result.output


def test_shop_option_is_not_silently_ignored_by_spark(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["resolution", str(tmp_path), "--month", "2026-10",
                                      "--out", str(tmp_path / "o"), "--shop", "S1",
                                      "--engine", "spark"])
    assert result.exit_code == 2
    assert "--shop is for the embedded engine" in result.output
