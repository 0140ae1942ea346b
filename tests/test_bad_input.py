"""What bad input gets (issue 16): one test per failure class of the README's section.

1. formulas are never executed: any input text starting with a formula character comes out as
   text in every .xlsx and neutralised (recoverably) in every CSV;
2. nothing is lost or changed silently: swallowing quotes, second sheets, decimal commas,
   far-future dates, mixed encodings, .xls, unsupported formats, an empty folder;
3. buyers are masked in every spelling and every output (raw only under ``validate``);
4. absurd and non-finite amounts (``test_contracts.py``) never reach a writer;
5. faults (read-only, ``--out`` a file, full disk) are one line naming the path, exit 2; the
   pack opens with the umask's permissions; SIGTERM and stale builds leave no raw data.
"""

from __future__ import annotations

import errno
import os
import re
import signal
import zipfile
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest
from builders.exports import GOOD, text_frame, write_all, write_table
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from audit.cli import app
from audit.core.errors import OutputError, StructuralError
from audit.core.masking import scrub_text_expr
from audit.data import exports, outputs
from audit.data.dataset import load_dataset

runner = CliRunner()
DATA = Path(__file__).parent / "data"

formula_text = st.builds(lambda c, rest: c + rest, st.sampled_from("=+-@\t\r"),
                         st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)),
                                 min_size=1, max_size=30)
                         .filter(lambda r: not re.fullmatch(r"[0-9.,%¥￥ ]*", r)))


def _xlsx_cells(path: Path) -> tuple[str, str]:
    """(every sheet's XML, the shared strings) of a workbook."""
    with zipfile.ZipFile(path) as z:
        sheets = "".join(z.read(n).decode() for n in z.namelist() if "worksheets/sheet" in n)
        return sheets, z.read("xl/sharedStrings.xml").decode()


# --- 1. formulas ---------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(value=formula_text)
def test_formula_text_is_neutralised_in_csv_and_recoverable(value: str) -> None:
    df = pl.DataFrame({"agent_id": [value], "n": [-3.5]})
    out = outputs.safe_frame(df, mask=False)
    cell = out["agent_id"].item()
    assert cell.startswith("'")
    assert cell[1:] == value  # remove one leading ' -> the original
    assert out["n"].item() == -3.5  # numbers stay numbers


@settings(max_examples=25, deadline=None)
@given(value=formula_text)
def test_formula_text_is_a_string_cell_in_excel(tmp_path_factory: pytest.TempPathFactory,
                                                value: str) -> None:
    path = tmp_path_factory.mktemp("x") / "a.xlsx"
    outputs.write_excel({"s": pl.DataFrame({"order_id": [value], "amount": [float("inf")]})},
                        path, mask=False)
    sheets, strings = _xlsx_cells(path)
    assert "<f>" not in sheets  # no formula cell of any kind
    import fastexcel

    got = fastexcel.read_excel(path).load_sheet(0, dtypes="string").to_polars()
    assert got["order_id"].item() == value.strip("\t\r") or got["order_id"].item() == value


def test_job_outputs_hold_no_formula(tmp_path: Path) -> None:
    """Hostile text in every input column that reaches promises' outputs: all text, no formula."""
    agent = "=cmd|' /C calc'!A0"
    rows = {n: [dict(r) for r in GOOD[n]] for n in GOOD}
    for name in ("agents", "cases", "contacts", "promises"):
        for r in rows[name]:
            if r.get("agent_id") == "A1":
                r["agent_id"] = agent
    rows["reviews"][0]["review_text"] = '=HYPERLINK("http://x","y")'
    rows["fulfilments"][0]["reference"] = "-2+3"
    rows["fulfilments"][1]["buyer_id"] = "@SUM(1)"
    rows["promises"].append({**GOOD["promises"][0], "promise_id": "+P9", "amount_cny": "inf"})
    write_all(tmp_path / "in", rows)
    result = runner.invoke(app, ["promises", str(tmp_path / "in"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    sheets, strings = _xlsx_cells(tmp_path / "o" / "promise_actions.xlsx")
    assert "<f>" not in sheets
    for csv in (tmp_path / "o").rglob("*.csv"):
        for row in pl.read_csv(csv, infer_schema=False).iter_rows():
            for cell in row:
                risky = cell is not None and re.match(r"[=@\t\r]|[+\-].*[^0-9.,%¥ ]", cell)
                assert not risky, (csv, cell)
    audit = pl.read_csv(tmp_path / "o" / "promise_audit.csv", infer_schema=False)
    assert f"'{agent}" in audit["agent_id"].to_list()
    quarantine = pl.read_csv(tmp_path / "o" / "quarantine" / "promises.csv", infer_schema=False)
    assert quarantine["promise_id"].to_list() == ["'+P9"]  # inf: quarantined, no crash


# --- 2. nothing lost or changed ------------------------------------------------------------------


def _reviews_csv(folder: Path, n: int = 60) -> Path:
    rows = [{**GOOD["reviews"][1], "review_id": f"R{i}", "review_text": f"第{i}条, 还行"}
            for i in range(n)]
    return write_table(folder, "reviews", rows)


def test_unclosed_quote_that_swallows_rows_is_an_error_naming_the_line(tmp_path: Path) -> None:
    path = _reviews_csv(tmp_path)
    lines = path.read_text("utf-8").split("\n")
    lines[6] = lines[6].replace('"第5条, 还行"', '"第5条, 还行', 1)  # opened, never closed
    lines[46] = lines[46].replace('"第45条, 还行"', '第45条, 还行"', 1)  # a stray one closes it
    path.write_text("\n".join(lines), "utf-8")
    with pytest.raises(StructuralError, match=r"^reviews\.csv: line 7: a quote"):
        load_dataset(tmp_path)
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "line 7" in result.stderr


def test_multi_line_cells_are_still_read(tmp_path: Path) -> None:
    rows = [{**GOOD["reviews"][1], "review_id": "R1", "review_text": "第一行\n第二行"},
            {**GOOD["reviews"][1], "review_id": "R2", "review_text": "ok"}]
    write_table(tmp_path, "reviews", rows)
    raw = exports.read_export(tmp_path / "reviews.csv", "reviews")
    assert raw.frame[exports.SOURCE_ROW].to_list() == [2, 4]


def test_every_data_sheet_of_a_workbook_is_read_and_others_named(tmp_path: Path) -> None:
    import xlsxwriter

    first = text_frame("agents", GOOD["agents"][:1])
    second = text_frame("agents", GOOD["agents"][1:]).rename({"agent_id": "客服ID"})
    with xlsxwriter.Workbook(tmp_path / "agents.xlsx") as wb:
        first.write_excel(wb, worksheet="十月")
        pl.DataFrame({"说明": ["导出说明"]}).write_excel(wb, worksheet="说明")
        second.write_excel(wb, worksheet="九月")
    ds = load_dataset(tmp_path)
    assert ds.tables["agents"].collect()["agent_id"].to_list() == ["A1", "A2"]
    notes = " ".join(ds.reports["agents"].notes)
    assert "sheets read: 十月, 九月" in notes
    assert "sheets ignored (no `agents` header): 说明" in notes


def test_decimal_comma_is_quarantined_not_guessed(tmp_path: Path) -> None:
    rows = [{**GOOD["fulfilments"][0], "fulfilment_id": f"F{i}", "amount_cny": a}
            for i, a in enumerate(["12,50", "1.234,56", "1,234.50", "¥1,250"])]
    write_table(tmp_path, "fulfilments", rows)
    ds = load_dataset(tmp_path)
    assert ds.tables["fulfilments"].collect()["amount_cny"].to_list() == [1234.5, 1250.0]
    reasons = ds.quarantine["fulfilments"]["reasons"].to_list()
    assert reasons[0].startswith("amount_cny: '12,50' has a comma that is not a thousands")
    assert len(reasons) == 2


def test_dates_after_the_export_are_quarantined_and_ignored_by_the_as_of(tmp_path: Path) -> None:
    far = {**GOOD["reviews"][1], "review_id": "R9", "reviewed_at": "2099-01-01 00:00:00"}
    write_all(tmp_path, {"reviews": [*GOOD["reviews"], far]})
    ds = load_dataset(tmp_path)
    assert ds.last_activity().year == 2026
    reason = ds.quarantine["reviews"]["reasons"].item()
    assert reason.startswith("reviewed_at: 2099-01-01 00:00:00 is after the export's own date")
    path = tmp_path / "reviews.csv"
    old = path.stat().st_mtime - 400 * 86400  # a file dated a year back: its 2026 rows go too
    os.utime(path, (old, old))
    assert load_dataset(tmp_path).reports["reviews"].rows_valid == 0


def test_a_few_gbk_lines_in_a_utf8_file_quarantine_only_those_lines(tmp_path: Path) -> None:
    path = _reviews_csv(tmp_path, n=20)
    lines = path.read_bytes().split(b"\n")
    lines[4] = lines[4].decode("utf-8").encode("gbk")
    lines[9] = lines[9].decode("utf-8").encode("gbk")
    path.write_bytes(b"\n".join(lines))
    ds = load_dataset(tmp_path)
    r = ds.reports["reviews"]
    assert (r.rows_valid, r.rows_quarantined) == (18, 2)
    assert ds.quarantine["reviews"]["source_row"].to_list() == [5, 10]
    assert ds.quarantine["reviews"]["review_text"].to_list() == ["第3条, 还行", "第8条, 还行"]
    assert "2 line(s) not UTF-8 like the rest of the file" in " ".join(r.notes)


def test_xls_is_read_and_other_formats_are_named(tmp_path: Path) -> None:
    (tmp_path / "agents.xls").write_bytes((DATA / "agents.xls").read_bytes())
    ds = load_dataset(tmp_path)
    assert ds.tables["agents"].collect()["agent_id"].to_list() == ["A1", "A2"]
    (tmp_path / "reviews.numbers").write_bytes(b"x")
    with pytest.raises(StructuralError, match=r"^reviews\.numbers: \.numbers is not a format"):
        load_dataset(tmp_path)


def test_validate_on_an_empty_folder_is_an_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "no exports found" in result.stderr
    assert result.stderr.count("\n") == 1


# --- 3. masking ----------------------------------------------------------------------------------

_FULL = str.maketrans("0123456789", "０１２３４５６７８９")


@settings(max_examples=80, deadline=None)
@given(digits=st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
       layout=st.sampled_from(["{a}{b}{c}", "{a}-{b}-{c}", "{a} {b} {c}", "{a}.{b}.{c}",
                               "+86 {a}{b}{c}", "+86-{a}-{b}-{c}", "0086 {a} {b} {c}",
                               "(+86){a}{b}{c}", "86{a}{b}{c}"]),
       full=st.booleans(), before=st.sampled_from(["", "电话", "call me: ", "手机："]),
       after=st.sampled_from(["", "。", " 谢谢", ", ok"]))
def test_every_phone_spelling_is_masked(digits: str, layout: str, full: bool,  # noqa: FBT001
                                        before: str,
                                        after: str) -> None:
    phone = layout.format(a=digits[:3], b=digits[3:7], c=digits[7:])
    if full:
        phone = phone.translate(_FULL)
    text = f"{before}{phone}{after}"
    out = pl.DataFrame({"t": [text]}).select(scrub_text_expr("t")).item()
    ascii_digits = out.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    kept = re.sub(r"[^0-9*]", "", ascii_digits)
    assert kept.endswith(f"{digits[:3]}****{digits[7:]}")
    assert out.count("*") == 4
    assert len(out) == len(text)


def test_emails_are_masked() -> None:
    df = pl.DataFrame({"t": ["邮箱wang.fang88@163.com谢谢", "QQ 12345678＠qq.com"]})
    assert df.select(scrub_text_expr("t"))["t"].to_list() == ["邮箱w***@163.com谢谢",
                                                             "QQ 1***@qq.com"]


def test_promises_quarantine_is_masked_validate_keeps_raw(tmp_path: Path) -> None:
    bad = {**GOOD["fulfilments"][0], "fulfilment_id": "F9", "amount_cny": "12,50",
           "buyer_id": "tb_secret_buyer", "reference": "电话 +86 138-1234-5678 li@qq.com"}
    write_all(tmp_path / "in", {"fulfilments": [*GOOD["fulfilments"], bad]})
    assert runner.invoke(app, ["promises", str(tmp_path / "in"), "--out",
                               str(tmp_path / "p")]).exit_code == 0
    job = (tmp_path / "p" / "quarantine" / "fulfilments.csv").read_text("utf-8")
    for secret in ("tb_secret_buyer", "1234", "li@"):
        assert secret not in job
    assert runner.invoke(app, ["validate", str(tmp_path / "in"), "--out",
                               str(tmp_path / "v")]).exit_code == 1
    owner = (tmp_path / "v" / "quarantine" / "fulfilments.csv").read_text("utf-8")
    assert "tb_secret_buyer" in owner
    assert "138-1234-5678" in owner


# --- 5. faults -----------------------------------------------------------------------------------


def test_out_that_is_a_file_is_one_line_exit_2(tmp_path: Path) -> None:
    write_all(tmp_path / "in")
    (tmp_path / "o").write_text("x")
    for argv in (["promises", str(tmp_path / "in"), "--out", str(tmp_path / "o")],
                 ["tier", str(tmp_path / "in"), "--out", str(tmp_path / "o" / "sub")]):
        result = runner.invoke(app, argv)
        assert result.exit_code == 2, result.output
        assert result.stderr.count("\n") == 1
        assert str(tmp_path / "o") in result.stderr
        assert "is a file" in result.stderr


@pytest.mark.parametrize(("code", "words"), [(errno.ENOSPC, "the disk is full"),
                                             (errno.EROFS, "Read-only file system"),
                                             (errno.EACCES, "Permission denied")])
def test_write_faults_are_one_line_naming_the_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   code: int, words: str) -> None:
    write_all(tmp_path / "in")

    def fail(*_args: object, **_kwargs: object) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(pl.DataFrame, "write_csv", fail)
    result = runner.invoke(app, ["promises", str(tmp_path / "in"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    line = result.stderr.strip()
    assert "\n" not in line
    assert "Traceback" not in result.output
    assert line.startswith(f"error: cannot write {tmp_path / 'o'}")
    assert words in line


def test_excel_write_fault_names_the_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import xlsxwriter

    def fail(_self: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(xlsxwriter.Workbook, "_store_workbook", fail)
    with pytest.raises(OutputError, match=r"cannot write .*a\.xlsx: the disk is full"):
        outputs.write_excel({"s": pl.DataFrame({"a": [1]})}, tmp_path / "a.xlsx")


def _build(out: Path):
    from audit.pack.build import _Build

    return _Build(SimpleNamespace(out=out, month="2026-10"))


def test_pack_folder_follows_the_umask_and_stale_builds_go(tmp_path: Path) -> None:
    from audit.pack.build import remove_stale_builds

    dead = tmp_path / ".2026-10.building-dead"
    dead.mkdir(parents=True)
    (dead / "reviews.parquet").write_text("raw")
    (dead / ".owner").write_text(f"{os.uname().nodename} 999999999")  # no such process
    build = _build(tmp_path)
    try:
        assert not dead.exists()
        assert remove_stale_builds(tmp_path, "2026-10") == []  # our own build is alive
        assert build.tmp.exists()
        old = os.umask(0o022)
        try:
            build.finish()
        finally:
            os.umask(old)
    finally:
        build.cleanup()
    assert (tmp_path / "2026-10").stat().st_mode & 0o777 == 0o755
    assert not (tmp_path / "2026-10" / ".owner").exists()


def test_sigterm_removes_the_build_folder(tmp_path: Path) -> None:
    from audit.pack.build import _Terminated

    before = signal.getsignal(signal.SIGTERM)
    build = _build(tmp_path)
    def terminate() -> None:
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(1000):  # the handler runs between bytecodes of the main thread
                pass
        finally:
            build.cleanup()

    with pytest.raises(_Terminated) as info:
        terminate()
    assert info.value.code == 128 + signal.SIGTERM
    assert list(tmp_path.iterdir()) == []
    assert signal.getsignal(signal.SIGTERM) is before


def test_masking_twice_changes_nothing() -> None:
    """Every writer masks again what the views masked: the second pass must be a no-op."""
    from audit.core.masking import mask_buyers

    df = pl.DataFrame({"buyer_id": ["13812345678", "tb_12345", "ab", "x"],
                       "review_text": ["+86 138-1234-5678", "li@qq.com", "ok", None]})
    once = mask_buyers(df)
    assert mask_buyers(once).equals(once)
    assert once["buyer_id"].to_list() == ["138****5678", "t***5", "a*", "*"]
