"""Readers: every encoding, format and header variant gives the identical typed frame;
amounts, datetimes and booleans in the forms real exports use; structural errors."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
from builders.exports import GOOD, text_frame
from polars.testing import assert_frame_equal

from audit.core.errors import StructuralError
from audit.data import exports, outputs
from audit.data.schema import table

ZH_PROMISES = "承诺ID,工单号,客服,补偿类型,金额,承诺时间,截止时间,以改评为条件"
ZH_ROWS = [
    "P1,C1,A1,返现,¥10.00,2026/10/4 10:00:00,2026-10-07 10:00,是",
    "P2,C2,A2,礼物,,2026/10/5 10:00,2026-10-05 10:00:00,否",
]


def _indexed(raw: pl.DataFrame) -> pl.DataFrame:
    return raw.with_row_index(exports.ROW).cast({exports.ROW: pl.Int64})


def _typed(path: Path, name: str) -> pl.DataFrame:
    raw = exports.read_export(path, name)
    typed, problems = exports.parse_table(raw.frame, name)
    assert problems.height == 0, problems
    return typed.drop(exports.ROW)


@pytest.fixture(scope="module")
def expected_promises() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "promise_id": ["P1", "P2"], "case_id": ["C1", "C2"], "agent_id": ["A1", "A2"],
            "kind": ["cash_back", "gift"], "amount_cny": [10.0, None],
            "promised_at": [datetime(2026, 10, 4, 10), datetime(2026, 10, 5, 10)],
            "due_at": [datetime(2026, 10, 7, 10), datetime(2026, 10, 5, 10)],
            "conditional_on_review": [True, False],
        },
        schema=table("promises").schema,
    )


def _write_variant(folder: Path, variant: str) -> Path:
    english = text_frame("promises", GOOD["promises"])
    if variant == "utf8":
        english.write_csv(folder / "promises.csv")
    elif variant == "utf8-bom":
        (folder / "promises.csv").write_bytes(b"\xef\xbb\xbf" + english.write_csv().encode())
    elif variant == "gb18030-zh":
        text = "\r\n".join([ZH_PROMISES, *ZH_ROWS]) + "\r\n"
        (folder / "promises.csv").write_bytes(text.encode("gb18030"))
    elif variant == "utf8-zh":
        (folder / "promises.csv").write_text("\n".join([ZH_PROMISES, *ZH_ROWS]), "utf-8")
    elif variant == "xlsx-text":
        outputs.write_excel({"导出": english}, folder / "promises.xlsx")
    elif variant == "xlsx-typed":
        typed = _typed(_write_variant(folder / "src", "utf8"), "promises")
        outputs.write_excel({"Sheet1": typed}, folder / "promises.xlsx")
    elif variant == "parquet-typed":
        typed = _typed(_write_variant(folder / "src", "utf8"), "promises")
        typed.write_parquet(folder / "promises.parquet")
    elif variant == "parquet-text":
        english.write_parquet(folder / "promises.parquet")
    elif variant == "messy-headers":
        cols = {c: f"  {c.upper().replace('_', ' ')} " for c in english.columns}
        csv = english.rename(cols).write_csv()
        (folder / "Promises.CSV").write_bytes(b"\xef\xbb\xbf" + csv.encode())
    folder.mkdir(parents=True, exist_ok=True)
    found = exports.find_table_file(folder, "promises")
    assert found is not None
    return found


VARIANTS = ["utf8", "utf8-bom", "gb18030-zh", "utf8-zh", "xlsx-text", "xlsx-typed",
            "parquet-typed", "parquet-text", "messy-headers"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_gives_the_same_frame(tmp_path: Path, variant: str,
                                            expected_promises: pl.DataFrame) -> None:
    (tmp_path / "src").mkdir()
    path = _write_variant(tmp_path, variant)
    assert_frame_equal(_typed(path, "promises"), expected_promises)


def test_gb18030_only_characters_survive(tmp_path: Path) -> None:
    # 𠀀 (U+20000) exists in GB18030 but not in GBK: decoding as "gbk" would fail.
    text = ("评价ID,店铺,订单号,宝贝ID,买家,评价等级,评价内容,评价时间\n"
            "R1,店𠀀,O1,I1,b***1,差评,很差𠀀,2026-10-03\n")
    (tmp_path / "reviews.csv").write_bytes(text.encode("gb18030"))
    df = _typed(tmp_path / "reviews.csv", "reviews")
    assert df.select("shop_id", "rating", "review_text").row(0) == ("店𠀀", "negative", "很差𠀀")
    assert df["reviewed_at"].item() == datetime(2026, 10, 3)


@pytest.mark.parametrize(
    ("text", "value"),
    [("12", 12.0), ("12.00", 12.0), ("¥12.00", 12.0), ("12元", 12.0), ("￥12", 12.0),
     (" 12.5 ", 12.5), ("1,200", 1200.0), ("RMB 3", 3.0), ("0", 0.0), ("-5", -5.0)],
)
def test_amount_formats(text: str, value: float) -> None:
    raw = text_frame("agents", [{**GOOD["agents"][0], "cash_limit_cny": text}])
    typed, problems = exports.parse_table(_indexed(raw),
                                     "agents")
    assert problems.height == 0
    assert typed["cash_limit_cny"].item() == value


@pytest.mark.parametrize(
    ("text", "value"),
    [("2026-10-03 20:15", datetime(2026, 10, 3, 20, 15)),
     ("2026/10/3 20:15:00", datetime(2026, 10, 3, 20, 15)),
     ("2026-10-03", datetime(2026, 10, 3)),
     ("2026/1/3 8:05", datetime(2026, 1, 3, 8, 5)),
     ("2026-10-03T20:15:07", datetime(2026, 10, 3, 20, 15, 7)),
     ("2026-10-03 20:15:07.250000", datetime(2026, 10, 3, 20, 15, 7, 250000)),
     ("20261003", datetime(2026, 10, 3))],
)
def test_datetime_formats(text: str, value: datetime) -> None:
    raw = text_frame("contacts", [{**GOOD["contacts"][0], "contacted_at": text}])
    typed, problems = exports.parse_table(_indexed(raw),
                                     "contacts")
    assert problems.height == 0
    assert typed["contacted_at"].item() == value


@pytest.mark.parametrize("text", ["2026-10-03", "2026/10/3", "2026-10-03 00:00:00"])
def test_date_formats(text: str) -> None:
    raw = text_frame("agents", [{**GOOD["agents"][0], "joined_on": text}])
    typed, _ = exports.parse_table(_indexed(raw), "agents")
    assert typed["joined_on"].item() == date(2026, 10, 3)


@pytest.mark.parametrize(
    ("text", "value"),
    [("true", True), ("TRUE", True), ("1", True), ("是", True), ("false", False),
     ("False", False), ("0", False), ("否", False)],
)
def test_boolean_formats(text: str, value: bool) -> None:  # noqa: FBT001
    raw = text_frame("contacts", [{**GOOD["contacts"][0], "reached": text}])
    typed, problems = exports.parse_table(_indexed(raw),
                                     "contacts")
    assert problems.height == 0
    assert typed["reached"].item() is value


@pytest.mark.parametrize(
    ("column", "text", "reason"),
    [("amount_cny", "12块", "amount_cny: cannot read '12块' as an amount"),
     ("promised_at", "上周三", "promised_at: cannot read '上周三' as a date/time"),
     ("due_at", "2026-13-01", "due_at: cannot read '2026-13-01' as a date/time"),
     ("conditional_on_review", "maybe",
      "conditional_on_review: cannot read 'maybe' as true/false (是/否)")],
)
def test_unreadable_cell_is_a_row_problem(column: str, text: str, reason: str) -> None:
    rows = [GOOD["promises"][0], {**GOOD["promises"][0], column: text}]
    raw = text_frame("promises", rows).with_row_index(exports.ROW).cast({exports.ROW: pl.Int64})
    typed, problems = exports.parse_table(raw, "promises")
    assert typed.height == 2
    assert typed[column][1] is None
    assert problems.rows() == [(1, column, f"{column}: cannot read the value", reason)]


def test_chinese_values_map_to_canonical(tmp_path: Path) -> None:
    (tmp_path / "cases.csv").write_text(
        "工单号,评价ID,客服,类别,开始时间,结束时间,结果\n"
        "C1,R1,A1,快递,2026-10-03,,已改评\nC2,R1,A1,骗子,2026-10-03,,联系不上\n"
        "C3,R1,A1,错发,2026-10-03,,处理中\nC4,R1,A1,买家原因,2026-10-03,,已删除\n", "utf-8")
    df = _typed(tmp_path / "cases.csv", "cases")
    assert df["category"].to_list() == ["logistics", "fraud", "wrong_item", "buyer"]
    assert df["outcome"].to_list() == ["revised", "unreachable", "open", "removed"]


def test_channels_and_levels_map(tmp_path: Path) -> None:
    (tmp_path / "contacts.csv").write_text(
        "联系ID,工单号,客服,渠道,联系时间,是否联系上\nK1,C1,A1,旺旺,2026-10-03,是\n"
        "K2,C1,A1,QQ,2026-10-03,否\nK3,C1,A1,短信,2026-10-03,是\nK4,C1,A1,电话,2026-10-03,否\n",
        "utf-8")
    df = _typed(tmp_path / "contacts.csv", "contacts")
    assert df["channel"].to_list() == ["shop_im", "private_im", "sms", "phone"]
    assert df["reached"].to_list() == [True, False, True, False]
    (tmp_path / "agents.csv").write_text(
        "客服,姓名,级别,入职日期,补偿上限\nA1,王,新手,2025/3/1,50元\nA2,李,资深,2020-01-15,¥200\n",
        "utf-8")
    df = _typed(tmp_path / "agents.csv", "agents")
    assert df["level"].to_list() == ["novice", "senior"]
    assert df["cash_limit_cny"].to_list() == [50.0, 200.0]


def test_blank_rows_are_skipped_counted_and_lines_kept(tmp_path: Path) -> None:
    text = ("review_id,shop_id,order_id,item_id,buyer_id,rating,review_text,reviewed_at\n"
            ",,,,,,,\n"
            "R1,S1,O1,I1,b1,差评,\"two\nlines\",2026-10-03\n"
            "\n"
            " , ,,,,,,\n"
            "R2,S1,O2,I2,b2,中评,ok,2026-10-04\n")
    (tmp_path / "reviews.csv").write_text(text, "utf-8")
    raw = exports.read_export(tmp_path / "reviews.csv", "reviews")
    assert raw.rows_blank == 3
    assert raw.frame["review_id"].to_list() == ["R1", "R2"]
    # R1 starts on line 3; its text spans 3-4; blank lines 5 and 6; R2 on line 7.
    assert raw.frame[exports.SOURCE_ROW].to_list() == [3, 7]


def test_unknown_columns_are_ignored(tmp_path: Path) -> None:
    df = text_frame("agents", GOOD["agents"]).with_columns(pl.lit("x").alias("备注"))
    df.write_csv(tmp_path / "agents.csv")
    raw = exports.read_export(tmp_path / "agents.csv", "agents")
    assert raw.ignored_columns == ("备注",)
    assert raw.frame.columns == [exports.ROW, *table("agents").schema, exports.SOURCE_ROW]


def test_missing_optional_column_is_added_empty(tmp_path: Path) -> None:
    text_frame("cases", GOOD["cases"]).drop("closed_at").write_csv(tmp_path / "cases.csv")
    df = _typed(tmp_path / "cases.csv", "cases")
    assert df["closed_at"].null_count() == 2
    assert df.columns == list(table("cases").schema)


def test_missing_required_column_is_structural(tmp_path: Path) -> None:
    text_frame("promises", GOOD["promises"]).drop("due_at").write_csv(tmp_path / "promises.csv")
    msg = ("contract `promises` expects column `due_at`, but promises.csv has: [`promise_id`, "
           "`case_id`, `agent_id`, `kind`, `amount_cny`, `promised_at`, `conditional_on_review`]")
    with pytest.raises(StructuralError, match=re.escape(msg)):
        exports.read_export(tmp_path / "promises.csv", "promises")


def test_two_files_for_one_table_is_structural(tmp_path: Path) -> None:
    text_frame("agents", GOOD["agents"]).write_csv(tmp_path / "agents.csv")
    text_frame("agents", GOOD["agents"]).write_parquet(tmp_path / "agents.parquet")
    with pytest.raises(StructuralError, match=r"table `agents` has 2 files .*agents\.csv, "
                       r"agents\.parquet; keep exactly one"):
        exports.find_table_file(tmp_path, "agents")


def test_header_given_twice_is_structural(tmp_path: Path) -> None:
    (tmp_path / "agents.csv").write_text(
        "客服,agent_id,姓名,级别,入职日期,补偿上限\nA1,A1,王,新手,2025-03-01,50\n", "utf-8")
    with pytest.raises(StructuralError, match="agents.csv: columns `客服` and `agent_id` both "
                       "mean `agent_id`"):
        exports.read_export(tmp_path / "agents.csv", "agents")


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "agents.csv: the file is empty (no header row)"),
     (b"agent_id\n\xff\xfe\xff\n", "agents.csv: cannot read the file as UTF-8 or GB18030 text")],
)
def test_unreadable_file_is_structural(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "agents.csv").write_bytes(content)
    with pytest.raises(StructuralError, match=re.escape(message)):
        exports.read_export(tmp_path / "agents.csv", "agents")


def test_corrupt_xlsx_is_structural(tmp_path: Path) -> None:
    (tmp_path / "agents.xlsx").write_bytes(b"not a zip file")
    with pytest.raises(StructuralError, match=r"^agents\.xlsx: cannot read the file"):
        exports.read_export(tmp_path / "agents.xlsx", "agents")


def test_xlsx_blank_rows_keep_sheet_row_numbers(tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "agents.xlsx"
    with xlsxwriter.Workbook(path) as wb:
        ws = wb.add_worksheet("客服")
        ws.write_row(0, 0, ["客服", "姓名", "级别", "入职日期", "补偿上限"])
        ws.write_row(1, 0, [1001, "王", "新手", "2025-03-01", 50])
        ws.write_row(3, 0, [1002, "李", "资深"])
        ws.write_datetime(3, 3, datetime(2020, 1, 15), wb.add_format({"num_format": "yyyy/m/d"}))
        ws.write_number(3, 4, 12.5)
    raw = exports.read_export(path, "agents")
    assert raw.rows_blank == 1
    assert raw.frame[exports.SOURCE_ROW].to_list() == [2, 4]
    typed, problems = exports.parse_table(raw.frame, "agents")
    assert problems.height == 0
    assert typed.select("agent_id", "level", "joined_on", "cash_limit_cny").rows() == [
        ("1001", "novice", date(2025, 3, 1), 50.0), ("1002", "senior", date(2020, 1, 15), 12.5)]


def test_repeated_header_is_structural(tmp_path: Path) -> None:
    (tmp_path / "agents.csv").write_text(
        "agent_id,agent_name,level,joined_on,cash_limit_cny,备注,备注\nA1,王,新手,2025-03-01,50,,\n",
        "utf-8")
    with pytest.raises(StructuralError, match="agents.csv: header `备注` appears twice in line 1"):
        exports.read_export(tmp_path / "agents.csv", "agents")
