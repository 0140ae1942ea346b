"""The demo chat export (issue 13): seeded, and its truth is what the detector must find."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl
import pytest

from audit.demo import compensation, handling, world
from audit.demo.generate import DemoSpec, _rng
from audit.demo.messages import MESSAGE_COLUMNS, demo_messages
from audit.promises.chat import detect_offers

if TYPE_CHECKING:
    from audit.demo.types import Part


def _demo(seed: int) -> tuple[Part, Part, object]:
    spec = DemoSpec(seed=seed, months=1, shops=1)
    period = spec.period()
    w = world.build_world(_rng(spec, "world"), shops=1, period=period)
    log = handling.simulate_handling(_rng(spec, "handling"), w, period)
    money = compensation.simulate_compensation(_rng(spec, "compensation"), w, log, period)
    chat = demo_messages(_rng(spec, "messages"), log, money, period)  # as generate_demo does
    return log, chat, period


@pytest.fixture(scope="module")
def demo7() -> tuple[Part, Part, object]:
    return _demo(7)


def _compare(chat: Part) -> pl.DataFrame:
    truth = chat.truth["chat_offer_truth"]
    found = detect_offers(chat.tables["messages"].lazy()).collect()
    return truth.join(found, on=["message_id", "kind"], how="full", coalesce=True, suffix="_p")


def test_messages_table_shape(demo7):
    log, chat, period = demo7
    m = chat.tables["messages"]
    assert tuple(m.columns) == MESSAGE_COLUMNS
    assert m["message_id"].is_unique().all()
    assert set(m["sender"]) == {"agent", "buyer"}
    assert m["sent_at"].max() <= period.as_of
    assert 0 < m["case_id"].null_count() < m.height
    assert set(m["case_id"].drop_nulls()) <= set(log.tables["cases"]["case_id"])


def test_every_finding_is_planted(demo7):
    _, chat, _ = demo7
    counts = chat.facts["finding_counts"]
    assert set(counts) == {"logged", "not_logged", "conditional_declared",
                           "conditional_not_declared"}
    assert all(v > 0 for v in counts.values())
    truth = chat.truth["chat_offer_truth"]
    hidden = chat.facts["conditional_agents"][0]
    assert chat.facts["conditional_agents"] == [hidden]  # the compensation part's planted one
    mine = truth.filter(pl.col("agent_id") == hidden, pl.col("promise_id").is_not_null())
    assert mine["conditional"].all()


def test_detector_finds_exactly_the_truth(demo7):
    _, chat, _ = demo7
    j = _compare(chat)
    assert j.filter(pl.col("finding").is_null()).is_empty()  # nothing found that is not there
    assert j.filter(pl.col("conditional_p").is_null()).is_empty()  # everything found
    assert (j["conditional"] == j["conditional_p"]).all()
    assert (j["amount_cny"].fill_null(-1) == j["amount_cny_p"].fill_null(-1)).all()


def test_same_seed_same_messages(demo7):
    _, chat, _ = demo7
    _, again, _ = _demo(7)
    assert chat.tables["messages"].equals(again.tables["messages"])
    assert chat.truth["chat_offer_truth"].equals(again.truth["chat_offer_truth"])


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_detector_on_other_seeds(seed):
    _, chat, _ = _demo(seed)
    j = _compare(chat)
    assert j.filter(pl.col("finding").is_null() | pl.col("conditional_p").is_null()).is_empty()
    assert (j["conditional"] == j["conditional_p"]).all()
