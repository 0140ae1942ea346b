"""The CLI maps the toolkit's known errors to one line on stderr and an exit code."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from audit.cli import app, handles_errors
from audit.core.errors import AuditError, ParameterError, StructuralError
from audit.core.labels import label


@pytest.mark.parametrize(
    ("error", "code"),
    [(StructuralError("reviews.csv: missing column `review_id`"), 2),
     (ParameterError("--month must be YYYY-MM, got '10/2026'"), 2),
     (AuditError("something known went wrong"), 1)],
)
def test_known_errors_become_one_line_and_exit_code(error: AuditError, code: int) -> None:
    mini = typer.Typer()

    @mini.command()
    @handles_errors
    def boom() -> None:
        raise error

    result = CliRunner().invoke(mini, [])
    assert result.exit_code == code
    assert result.stderr == f"error: {error}\n"
    assert "Traceback" not in result.output


def test_demo_rejects_a_bad_month_with_one_line(tmp_path) -> None:
    result = CliRunner().invoke(app, ["demo", "--out", str(tmp_path), "--end-month", "2026-13"])
    assert result.exit_code == 2
    assert result.stderr == "error: --end-month must be YYYY-MM, got '2026-13'\n"


def test_unknown_command_suggests_the_right_one() -> None:
    result = CliRunner().invoke(app, ["montly"])
    assert result.exit_code == 2
    assert "monthly" in result.output


def _monthly(*args: str) -> object:
    return CliRunner().invoke(app, ["monthly", *args])


def test_monthly_zh_says_a_parameter_error_in_chinese(tmp_path) -> None:
    result = _monthly(str(tmp_path), "--month", "10/2026", "--lang", "zh",
                      "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert result.stderr == (label("error.prefix", "zh") + label("error.month_format", "zh")
                             .format(value="'10/2026'") + "\n")
    assert result.stderr.startswith("错误：月份须写作")
    same = _monthly(str(tmp_path), "--month", "10/2026", "--out", str(tmp_path / "out"))
    assert same.stderr == "error: month must be YYYY-MM (e.g. 2026-10), got '10/2026'\n"


def test_monthly_zh_says_a_structural_error_in_chinese(tmp_path) -> None:
    empty = tmp_path / "exports"
    empty.mkdir()
    result = _monthly(str(empty), "--month", "2026-10", "--lang", "zh",
                      "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    *progress, line = result.stderr.splitlines()  # the progress line, then the error's one line
    assert progress == [f"{label('progress.validating', 'zh')} {empty} …"]
    assert line.startswith(label("error.prefix", "zh") + f"{empty}：没有找到导出文件")


def test_a_write_error_reads_in_chinese_with_its_path(tmp_path) -> None:
    import errno

    from audit.data.outputs import write_error

    full = write_error(OSError(errno.ENOSPC, "No space left on device"), tmp_path / "a.xlsx")
    assert full.in_words("zh") == f"无法写入 {tmp_path / 'a.xlsx'}：磁盘已满"
    assert str(full) == f"cannot write {tmp_path / 'a.xlsx'}: the disk is full"
    odd = write_error(OSError(errno.EIO, "Input/output error"), "x.csv")
    assert odd.in_words("zh") == "无法写入 x.csv：Input/output error"  # the OS's own words kept
    out = tmp_path / "taken"
    out.write_text("a file", "utf-8")
    result = _monthly(str(tmp_path), "--month", "2026-10", "--lang", "zh", "--out", str(out))
    assert result.exit_code == 2
    assert result.stderr == (label("error.prefix", "zh") + label("error.out_not_folder", "zh")
                             .format(path=repr(str(out))) + "\n")
