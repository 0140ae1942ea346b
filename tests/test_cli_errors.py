"""The CLI maps the toolkit's known errors to one line on stderr and an exit code."""

from __future__ import annotations

import re

import pytest
import typer
from builders.pack_text import latin_words
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


def _exports(folder, files: dict[str, str | bytes] | None):
    """``folder`` with the good exports (builders.exports), or only ``files`` (name -> content)."""
    from builders.exports import write_all

    if files is None:
        return write_all(folder)
    folder.mkdir()
    for name, content in files.items():
        path = folder / name
        (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
    return folder


def _read_only(monkeypatch, out) -> None:
    """Every folder made under ``out`` fails as on a read-only disk (the tests run as root)."""
    import errno
    import os

    real = os.mkdir

    def mkdir(path, *args, **kwargs):
        if str(path).startswith(str(out)):
            raise OSError(errno.EROFS, "Read-only file system")  # no file name: "the output folder"
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", mkdir)


_REVIEWS = "review_id,shop_id,order_id,item_id,buyer_id,rating,reviewed_at"
#: A failure a manager can meet: its exports (None: the good ones) and the extra options.
FAILURES = {
    "missing folder": (None, ["--month", "2026-10"], "nope"),
    "empty folder": ({}, ["--month", "2026-10"], None),
    "bad column": ({"reviews.csv": "评价编号,店铺\nR1,S1\n"}, ["--month", "2026-10"], None),
    "unknown format": ({"reviews.numbers": "x"}, ["--month", "2026-10"], None),
    "two files": ({"reviews.csv": _REVIEWS + "\n", "reviews.parquet": b"PAR1"},
                  ["--month", "2026-10"], None),
    "header twice": ({"reviews.csv": _REVIEWS + ",rating\n"}, ["--month", "2026-10"], None),
    "open quote": ({"reviews.csv": _REVIEWS + '\nR1,S1,O1,I1,b,"negative,2026-10-03\n'
                    "R2,S1,O2,I2,b,negative,2026-10-04\n"}, ["--month", "2026-10"], None),
    "bad month": (None, ["--month", "2026-13"], None),
    "bad as-of": (None, ["--month", "2026-10", "--as-of", "31.10.2026"], None),
    "month after the data": (None, ["--month", "2027-03"], None),
    "unknown shop": (None, ["--month", "2026-10", "--shop", "S9"], None),
    "bad SLA": (None, ["--month", "2026-10", "--sla-hours", "0"], None),
    "bad window": (None, ["--month", "2026-10", "--window", "0"], None),
    "read-only out": (None, ["--month", "2026-10"], None),
}
#: What a line may quote as the user typed or must type it: paths and file names, options,
#: `names` and 'values' (the allow-list of the zh pack covers the rest).
_QUOTED = re.compile(r"--[a-z-]+|`[^`]*`|'[^']*'|\S*/\S*|[\w*-]*\.[A-Za-z]\w*")


@pytest.mark.parametrize("case", FAILURES)
def test_monthly_zh_says_every_failure_in_chinese(case: str, tmp_path, monkeypatch) -> None:
    from audit.pack import build

    files, options, folder = FAILURES[case]
    data = tmp_path / folder if folder else _exports(tmp_path / "exports", files)
    out = tmp_path / "out"
    monkeypatch.setattr(build, "KernelPool", lambda *_a, **_k: None)  # no kernels for a failure
    if case == "read-only out":
        _read_only(monkeypatch, out)
    result = _monthly(str(data), *options, "--lang", "zh", "--out", str(out))
    assert result.exit_code == 2, result.output
    *progress, line = result.stderr.splitlines()
    assert line.startswith(label("error.prefix", "zh")), line
    for text in [*progress, line]:
        said = _QUOTED.sub(" ", text.replace(str(tmp_path), " "))
        assert latin_words(said) == [], (case, text)
        assert len(re.findall(r"[\u4e00-\u9fff]", said)) >= 4, (case, text)  # noqa: PLR2004
    assert not (out / "2026-10").exists()


def test_quoting_spares_what_the_user_typed_and_nothing_else() -> None:
    """The filter of the test above removes quoted data only (so the test can fail)."""
    line = "错误：reviews.csv 第 2 行：表 `reviews` 缺列 'x y'，请检查 --month /tmp/a_b cannot"
    assert latin_words(_QUOTED.sub(" ", line)) == ["cannot"]
