"""The chat offer detector: amounts, normalisation, turns, and the labelled lines (issue 13)."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit.data.schema import KINDS
from audit.demo.messages import format_amount, spell_number
from audit.promises.amounts import chinese_number, parse_amount
from audit.promises.chat import detect_offers, normalise, offer_kinds, read_message

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import eval_chat_offers as ev  # noqa: E402

T0 = datetime(2026, 10, 1, 10, 0)


@pytest.mark.parametrize(("text", "value"), [
    ("10元", 10.0), ("十块", 10.0), ("5块钱", 5.0), ("¥8", 8.0), ("两块", 2.0), ("5元", 5.0),
    ("一块五", 1.5), ("3块5", 3.5), ("29块9", 29.9), ("五毛", 0.5), ("二十元", 20.0),
    ("一百二十块", 120.0), ("5.5元", 5.5), ("满50减10", 10.0), ("十五块", 15.0),
    ("两百块", 200.0), ("打九折", None), ("两包零食", None), ("3块5个", 3.0),
])
def test_amounts(text, value):
    assert parse_amount(text) == value


@pytest.mark.parametrize(("text", "value"), [
    ("十", 10.0), ("十五", 15.0), ("二十", 20.0), ("一百二", 120.0), ("两千五", 2500.0),
    ("一〇", 10.0), ("8", 8.0),
])
def test_chinese_numbers(text, value):
    assert chinese_number(text) == value


def test_chinese_number_refuses_non_numbers():
    with pytest.raises(ValueError, match="not a number"):
        chinese_number("块")


def test_lexicon_kinds_are_the_promise_kinds():
    assert sorted(offer_kinds()) == sorted(KINDS)


@pytest.mark.parametrize(("raw", "clean"), [
    ("改好評後給您返現五塊", "改好评后给您返现五块"),
    ("亲😊给您 5r [微笑]", "亲给您5元"),
    ("改hp返５ｒ", "改好评返5元"),
    ("改成号评", "改成好评"),
    ("运费险", "保险"),
])
def test_normalise(raw, clean):
    assert normalise(raw) == clean


def _msgs(rows: list[tuple[str, str, str, float, str]]) -> pl.LazyFrame:
    """(message_id, agent_id, sender, minutes after T0, text), all in case C1."""
    return pl.LazyFrame(
        [(m, "C1", a, s, T0 + timedelta(minutes=t), x) for m, a, s, t, x in rows],
        schema=["message_id", "case_id", "agent_id", "sender", "sent_at", "text"], orient="row")


def test_the_issue_examples():
    got = detect_offers(_msgs([
        ("m1", "A1", "agent", 0, "改个好评我给您返5块可以吗？"),
        ("m2", "A1", "buyer", 1, "你返我10块钱我就改好评"),
        ("m3", "A1", "agent", 20, "麻烦您改一下评价，邮费马上退您"),
        ("m4", "A1", "agent", 40, "感谢您的好评"),
        ("m5", "A1", "agent", 60, "退款流程是先申请再寄回"),
        ("m6", "A1", "agent", 80, "这款39元"),
        ("m7", "A1", "agent", 100, "不会因为评价给补偿"),
        ("m8", "A1", "agent", 120, "给您退10元邮费"),
    ])).collect()
    assert got.select("message_id", "kind", "amount_cny", "conditional").rows() == [
        ("m1", "cash_back", 5.0, True),
        ("m3", "shipping_refund", None, True),
        ("m8", "shipping_refund", 10.0, False),
    ]
    assert got["evidence"][0] == "给您返5块; 改个好评"


def test_offer_split_over_two_messages_is_read_whole():
    got = detect_offers(_msgs([
        ("a1", "A1", "agent", 0, "亲，您把中评改成好评"),
        ("a2", "A1", "agent", 1, "我给您返5元红包"),  # tie in the message before
        ("b1", "A1", "agent", 30, "邮费给您退"),
        ("b2", "A1", "agent", 31, "十块"),  # amount in the message after
        ("c1", "A1", "agent", 60, "给您退邮费"),
        ("c2", "A1", "agent", 61, "麻烦您帮忙修改一下评价哈"),  # tie in the message after
        ("d1", "A1", "agent", 90, "删除差评之后给您"),
        ("d2", "A1", "agent", 91, "返8块"),  # neither alone is complete
    ])).collect()
    assert got.select("message_id", "kind", "amount_cny", "conditional").rows() == [
        ("a2", "cash_back", 5.0, True),
        ("b1", "shipping_refund", 10.0, False),
        ("c1", "shipping_refund", None, True),
        ("d2", "cash_back", 8.0, True),
    ]


@pytest.mark.parametrize("between", [
    ("x", "A1", "buyer", 1, "好的"),  # the buyer spoke in between
    ("x", "A2", "agent", 1, "在的"),  # another agent
])
def test_turn_ends_at_another_speaker(between):
    got = detect_offers(_msgs([
        ("m1", "A1", "agent", 0, "亲，您把中评改成好评"), between,
        ("m2", "A1", "agent", 2, "我给您返5元红包"),
    ])).collect()
    assert got["conditional"].to_list() == [False]


def test_turn_ends_after_the_gap():
    rows = [("m1", "A1", "agent", 0, "您把中评改成好评"), ("m2", "A1", "agent", 11, "给您返5元")]
    assert detect_offers(_msgs(rows)).collect()["conditional"].to_list() == [False]
    rows[1] = ("m2", "A1", "agent", 9, "给您返5元")
    assert detect_offers(_msgs(rows)).collect()["conditional"].to_list() == [True]


def test_two_kinds_in_one_message_and_disclaimer():
    r = read_message("不管您改不改评价，邮费都给您退，再送个小礼物")
    assert [(o.kind, o.amount_cny) for o in r.offers] == [
        ("shipping_refund", None), ("gift", None)]
    assert r.tie is not None
    assert r.disclaimer is not None
    got = detect_offers(_msgs([("m1", "A1", "agent", 0, "不管您改不改评价，邮费都给您退")]))
    assert got.collect()["conditional"].to_list() == [False]


def test_buyer_messages_are_never_offers():
    got = detect_offers(_msgs([("m1", "A1", "buyer", 0, "给您返5元")])).collect()
    assert got.is_empty()
    assert got.columns[:5] == ["message_id", "kind", "amount_cny", "conditional", "evidence"]


def test_labelled_set_is_large_enough():
    lines = ev.load_lines()
    assert lines.height >= 150  # noqa: PLR2004
    assert (lines["split"] == "heldout").sum() >= 50  # noqa: PLR2004
    assert (lines["split"] == "heldout2").sum() >= 80  # noqa: PLR2004
    assert set(lines["split"]) == {"dev", "heldout", "heldout2"}


# heldout2 was written after the detector and scored once, untuned (README: the chat lines).
@pytest.mark.parametrize(("part", "offer_f1", "tie_f1"), [("dev", 0.97, 0.97),
                                                          ("heldout", 0.9, 0.85),
                                                          ("heldout2", 0.9, 0.85)])
def test_labelled_set_scores(part, offer_f1, tie_f1):
    pred = ev.predictions(ev.load_lines())
    s = ev.scores(pred.filter(pl.col("split") == part))
    f1 = dict(zip(s["label"], s["f1"], strict=True))
    assert f1["offer"] >= offer_f1
    assert f1["conditional"] >= tie_f1


@given(st.integers(min_value=1, max_value=99))
def test_spelled_integers_read_back(n):
    assert chinese_number(spell_number(n)) == n


@given(st.sampled_from([1.5, 2.0, 3.5, 5.0, 8.0, 8.8, 10.0, 12.0, 15.0, 20.0, 39.9, 129.0]),
       st.integers(min_value=0, max_value=2**32 - 1))
def test_demo_amount_spellings_read_back(amount, seed):
    text = format_amount(np.random.default_rng(seed), amount)
    assert parse_amount(normalise(text)) == amount
