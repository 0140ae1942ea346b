"""Chat offers held against the log (issue 13): case linking, findings, the CLI, the demo truth."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import polars as pl
import pytest
from builders.exports import GOOD, write_all
from typer.testing import CliRunner

from audit.cli import app
from audit.promises.chat_audit import CHAT_OFFER_COLUMNS, FINDINGS, chat_offers, link_cases
from audit.promises.job import load_and_analyse
from audit.promises.views import conditional_lists

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = [
    pytest.mark.filterwarnings("ignore:The condition_parser parameter is deprecated"),
    pytest.mark.filterwarnings("ignore:Passing a string to the row_condition parameter"),
]
T0 = datetime(2026, 10, 1, 10, 0)
AS_OF = datetime(2026, 10, 31, 23, 59, 59)


def _h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


REVIEWS = pl.LazyFrame({
    "review_id": ["R1", "R2", "R3"], "shop_id": ["S1", "S1", "S2"],
    "buyer_id": ["b1", "b1", "b1"], "order_id": ["O1", "O2", "O3"]})
#: Buyer b1 has two cases in shop S1 (C1 days 0-2, C2 from day 5, still open) and one in S2.
CASES = pl.LazyFrame({
    "case_id": ["C1", "C2", "C3"], "review_id": ["R1", "R2", "R3"],
    "agent_id": ["A1", "A1", "A1"],
    "opened_at": [_h(0), _h(120), _h(0)], "closed_at": [_h(48), None, None]})


def _messages(rows: list[tuple]) -> pl.LazyFrame:
    return pl.LazyFrame(rows, schema={
        "message_id": pl.String, "shop_id": pl.String, "buyer_id": pl.String,
        "agent_id": pl.String, "sender": pl.String, "sent_at": pl.Datetime("us"),
        "text": pl.String, "case_id": pl.String}, orient="row")


def test_blank_case_links_to_the_buyers_case_open_then():
    msgs = _messages([
        ("M1", "S1", "b1", "A1", "agent", _h(1), "在的", None),       # C1 open
        ("M2", "S1", "b1", "A1", "agent", _h(121), "在的", None),     # C2 open (C1 closed)
        ("M3", "S1", "b1", "A1", "agent", _h(60), "在的", None),      # none open: C1, last before
        ("M4", "S2", "b1", "A1", "agent", _h(1), "在的", None),       # the other shop's case
        ("M5", "S1", "b9", "A1", "agent", _h(1), "在的", None),       # no case of this buyer
        ("M6", "S1", "b1", "A1", "agent", _h(1), "在的", "C2"),       # given: never changed
        ("M7", "S1", "b1", "A1", "agent", _h(-1), "在的", None),      # before any case
        ("M8", "S1", "b1", "A2", "agent", _h(121), "在的", None),     # C2 open, A1's: still C2
    ])
    got = link_cases(msgs, CASES, REVIEWS).collect()
    assert got["message_id"].to_list() == [f"M{i}" for i in range(1, 9)]
    assert got["case_id"].to_list() == ["C1", "C2", "C1", "C3", None, "C2", None, "C2"]


def test_blank_case_prefers_the_messages_agents_case():
    # C2 (A2's) is open at hour 121, C1 (A1's) was closed at 48: A1 writes about C1.
    cases = CASES.with_columns(agent_id=pl.Series(["A1", "A2", "A1"]))
    msgs = _messages([("M1", "S1", "b1", "A1", "agent", _h(121), "在的", None),
                      ("M2", "S1", "b1", "A2", "agent", _h(121), "在的", None),
                      ("M3", "S1", "b1", None, "buyer", _h(121), "在吗", None)])
    got = link_cases(msgs, cases, REVIEWS).collect()
    assert got["case_id"].to_list() == ["C1", "C2", "C2"]


def _promises(rows: list[tuple]) -> pl.LazyFrame:
    return pl.LazyFrame(rows, schema={"case_id": pl.String, "kind": pl.String,
                                      "promised_at": pl.Datetime("us"),
                                      "conditional_on_review": pl.Boolean}, orient="row")


def test_each_finding_on_hand_built_offers():
    msgs = _messages([
        ("M1", "S1", "b1", "A1", "agent", _h(1), "给您退8元邮费", "C1"),          # logged
        ("M2", "S1", "b1", "A1", "agent", _h(3), "亲，给您返5元红包", "C1"),      # not logged
        ("M3", "S1", "b1", "A2", "agent", _h(121), "改成好评后给您返10元", None),  # tied, hidden
        ("M4", "S2", "b1", "A3", "agent", _h(2), "删除差评就送您一张5元优惠券", "C3"),  # declared
        ("M5", "S1", "b1", "A1", "buyer", _h(4), "你返我10块钱我就改好评", "C1"),  # buyer: nothing
        ("M6", "S1", "b1", "A1", "agent", _h(30), "给您退8元邮费", "C1"),  # logged 29 h before
    ])
    promises = _promises([
        ("C1", "shipping_refund", _h(1.5), False),
        ("C2", "cash_back", _h(121.2), False),
        ("C3", "coupon", _h(2.1), True),
        ("C1", "cash_back", _h(3 + 24 * 8), False),  # 8 days after M2: another promise
    ])
    got = chat_offers(msgs, CASES, REVIEWS, promises, as_of=AS_OF).collect()
    assert got.columns[:len(CHAT_OFFER_COLUMNS)] == list(CHAT_OFFER_COLUMNS)
    assert dict(zip(got["message_id"], got["finding"], strict=True)) == {
        "M1": "logged", "M2": "not_logged", "M3": "conditional_not_declared",
        "M4": "conditional_declared", "M6": "not_logged"}
    # M6 repeats the offer a day later, outside the hour the log may precede the chat
    assert got.filter(pl.col("message_id") == "M3")["case_id"].item() == "C2"
    assert got["amount_cny"].to_list() == [8.0, 5.0, 5.0, 8.0, 10.0]
    assert got.filter(pl.col("message_id") == "M2")["order_id"].item() == "O1"
    assert got["buyer_id"].to_list() == ["b*"] * 5


def test_nothing_after_as_of_and_findings_are_the_four():
    msgs = _messages([("M1", "S1", "b1", "A1", "agent", AS_OF + timedelta(hours=1),
                       "给您退8元邮费", "C1")])
    got = chat_offers(msgs, CASES, REVIEWS, _promises([]), as_of=AS_OF).collect()
    assert got.height == 0
    assert set(FINDINGS) == {"logged", "not_logged", "conditional_not_declared",
                             "conditional_declared"}


def _with_chat(tmp_path: Path, messages: list[dict] | None) -> Path:
    folder = write_all(tmp_path / "data")
    if messages is None:
        (folder / "messages.csv").unlink()
    else:
        from builders.exports import write_table
        write_table(folder, "messages", messages)
    return folder


def test_cli_writes_chat_offers_and_chases_the_unlogged(tmp_path):
    # GOOD: C1 (buyer b_one) has cash back P1 of 10 promised 10:00, conditional in the log.
    msgs = [*GOOD["messages"],
            {"message_id": "M3", "shop_id": "S1", "buyer_id": "b_one", "agent_id": "A1",
             "sender": "agent", "sent_at": "2026-10-04 12:00:00", "text": "再给您退6元邮费",
             "case_id": None}]
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["promises", str(_with_chat(tmp_path, msgs)),
                                      "--as-of", "2026-10-31", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "chat: 2 offers, 1 never logged" in result.output
    got = pl.read_csv(out / "chat_offers.csv")
    assert tuple(got.columns) == CHAT_OFFER_COLUMNS
    assert got.select("message_id", "case_id", "finding").rows() == [
        ("M1", "C1", "logged"), ("M3", "C1", "not_logged")]
    chase = pl.read_excel(out / "promise_actions.xlsx", sheet_name="to chase")
    row = chase.filter(pl.col("status") == "chat_not_logged")
    assert row.select("case_id", "kind", "owed_cny", "order_id", "buyer_id").rows() == [
        ("C1", "shipping_refund", 6.0, "O1", "b***e")]


def test_cli_says_plainly_when_there_is_no_chat(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "chat_offers.csv").write_text("stale", "utf-8")
    result = CliRunner().invoke(app, ["promises", str(_with_chat(tmp_path, None)),
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "chat: no messages table, so offers made in chat were not checked" in result.output
    assert not (out / "chat_offers.csv").exists()
    run, _ = load_and_analyse(tmp_path / "data")
    assert not run.views.chat_checked
    assert run.views.headline["chat_not_logged"] is None  # not checked is not zero
    assert "chat_conditional" not in conditional_lists(run.views)


def test_chinese_headers_and_sender_values_are_read(tmp_path):
    folder = write_all(tmp_path / "data")
    header = "消息ID,店铺,买家,客服,发送方(客服/买家),发送时间,内容,工单号\n"
    (folder / "messages.csv").write_text(
        header + "M1,S1,b_one,A1,客服,2026/10/4 9:55:00,给您返10元,C1\n"
        "M2,S1,b_one,,买家,2026-10-04 09:56:00,好的,\n", "utf-8")
    run, ds = load_and_analyse(folder, as_of="2026-10-31")
    assert ds.reports["messages"].rows_valid == 2  # noqa: PLR2004
    assert ds.tables["messages"].collect()["sender"].to_list() == ["agent", "buyer"]
    assert run.views.chat_offers["finding"].to_list() == ["logged"]


def test_message_of_an_unknown_case_is_quarantined(tmp_path):
    bad = {**GOOD["messages"][0], "message_id": "M9", "case_id": "C404"}
    folder = _with_chat(tmp_path, [*GOOD["messages"], bad])
    _, ds = load_and_analyse(folder)
    assert "case_id: no valid cases row with case_id 'C404'" in (
        ds.quarantine["messages"]["reasons"].item())


@pytest.fixture(scope="module")
def demo_chat(demo_dir):
    run, _ = load_and_analyse(demo_dir, as_of=_as_of(demo_dir))
    truth = pl.read_csv(demo_dir / "truth" / "chat_offer_truth.csv",
                        schema_overrides={"amount_cny": pl.Float64})
    return run.views, truth


def _as_of(demo_dir: Path) -> str:
    facts = json.loads((demo_dir / "truth" / "facts.json").read_text("utf-8"))
    return facts["period"]["as_of"][:10]


@pytest.mark.parametrize("finding", FINDINGS)
def test_demo_every_planted_chat_finding_is_found(demo_chat, finding):
    """Precision and recall 1.0 per finding against truth/chat_offer_truth.csv."""
    views, truth = demo_chat
    key = ["message_id", "kind"]
    found = set(views.chat_offers.filter(pl.col("finding") == finding).select(key).rows())
    planted = set(truth.filter(pl.col("finding") == finding).select(key).rows())
    assert planted
    assert found == planted


def test_demo_chat_offers_agree_with_truth_cell_by_cell(demo_chat):
    views, truth = demo_chat
    j = truth.join(views.chat_offers, on=["message_id", "kind"], how="full", suffix="_p")
    assert j.filter(pl.col("message_id").is_null() | pl.col("message_id_p").is_null()).height == 0
    for col in ("case_id", "agent_id", "amount_cny", "conditional"):
        assert j.filter(pl.col(col).ne_missing(pl.col(f"{col}_p"))).height == 0, col
    hidden = views.chat_by_agent.row(0, named=True)  # most tied-but-unconditional first
    assert hidden["conditional_not_declared"] == hidden["offers"] - hidden["not_logged"]


def test_demo_chase_and_lists_carry_the_chat_findings(demo_chat):
    views, truth = demo_chat
    chat_rows = views.chase.filter(pl.col("status") == "chat_not_logged")
    assert chat_rows.height == (truth["finding"] == "not_logged").sum()
    assert chat_rows["buyer_id"].str.contains(r"\*").all()
    tied = conditional_lists(views)["chat_conditional"]
    assert tied.height == truth["finding"].is_in(
        ["conditional_not_declared", "conditional_declared"]).sum()
    h = views.headline
    assert h["chat_offers"] == truth.height
    assert h["chat_conditional_not_declared"] == (
        truth["finding"] == "conditional_not_declared").sum()


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(5))
def test_demo_chat_findings_over_seeds(seed, tmp_path):
    """Every planted not-logged and tied offer found, nothing else, on other seeds too."""
    from audit.demo import DemoSpec, generate_demo

    generate_demo(tmp_path, DemoSpec(seed=seed, shops=1, months=1))
    run, _ = load_and_analyse(tmp_path, as_of=_as_of(tmp_path))
    truth = pl.read_csv(tmp_path / "truth" / "chat_offer_truth.csv")
    key = ["message_id", "kind", "finding"]
    assert set(run.views.chat_offers.select(key).rows()) == set(truth.select(key).rows())
