"""`review-audit validate`: summary, quarantine files, exit codes 0/1/2 and one-line errors."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from builders.exports import GOOD, text_frame, write_all, write_table
from typer.testing import CliRunner

from audit.cli import app

runner = CliRunner()


def test_clean_data_exits_0(tmp_path: Path) -> None:
    write_all(tmp_path / "in")
    result = runner.invoke(app, ["validate", str(tmp_path / "in"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "promises.csv" in result.stdout
    assert (tmp_path / "o" / "quarantine" / "promises.csv").is_file()


def test_quarantined_rows_exit_1_with_reasons_and_files(tmp_path: Path) -> None:
    bad = {**GOOD["promises"][0], "promise_id": "P9", "amount_cny": "12块"}
    write_all(tmp_path / "in", {"promises": [*GOOD["promises"], bad]})
    (tmp_path / "in" / "sales_daily.csv").unlink()
    result = runner.invoke(app, ["validate", str(tmp_path / "in"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1, result.output
    assert "promises: 1 row(s): amount_cny: cannot read the value" in result.stdout
    assert "1 row(s) quarantined" in result.stderr
    row = [line for line in result.stdout.splitlines() if line.startswith("│ sales_daily")]
    assert "absent" in row[0]
    q = pl.read_csv(tmp_path / "o" / "quarantine" / "promises.csv", infer_schema=False)
    assert q.select("source_row", "promise_id").rows() == [("4", "P9")]
    assert not (tmp_path / "o" / "quarantine" / "sales_daily.csv").exists()


def test_missing_required_column_exits_2_one_line(tmp_path: Path) -> None:
    text_frame("cases", GOOD["cases"]).drop("outcome").write_csv(tmp_path / "cases.csv")
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: contract `cases` expects column `outcome`, "
                                    "but cases.csv has: [`case_id`")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_two_files_exit_2(tmp_path: Path) -> None:
    write_table(tmp_path, "agents", GOOD["agents"])
    (tmp_path / "agents.xlsx").write_bytes(b"x")
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 2
    assert "table `agents` has 2 files" in result.stderr


def test_unreadable_file_exits_2(tmp_path: Path) -> None:
    (tmp_path / "reviews.xlsx").write_bytes(b"not a workbook")
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: reviews.xlsx: cannot read the file")
    assert len(result.stderr.strip().splitlines()) == 1


def test_empty_folder_is_an_error_exit_2(tmp_path: Path) -> None:
    """Nothing to validate is no "all valid" (issue 16): one line, exit 2."""
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "no exports found" in result.stderr


def test_blank_rows_are_reported_not_quarantined(tmp_path: Path) -> None:
    csv = text_frame("agents", GOOD["agents"]).write_csv()
    lines = csv.splitlines()
    (tmp_path / "agents.csv").write_text("\n".join([lines[0], ",,,,", lines[1], "", lines[2]]))
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "agents: 2 fully blank row(s) skipped" in result.stdout
