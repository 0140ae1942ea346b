"""Manager views of the promise audit and their figures, on hand-built promises (issue 3)."""

from __future__ import annotations

from datetime import datetime, timedelta

import plotly.graph_objects as go
import polars as pl
import pytest
from builders.promises import F, P, at, build

from audit.promises import figures
from audit.promises import views as summary
from audit.promises.analysis import audit_promises
from audit.promises.views import promise_headline

AS_OF = datetime(2026, 10, 31, 23, 59, 59, 999999)


@pytest.fixture(scope="module")
def case():
    ps = [
        P("P1", "S1", "O1", "tb_111", "cash_back", 10.0, at(0), at(24), agent="A1"),  # broken 30d
        P("P2", "S1", "O2", "tb_222", "cash_back", 10.0, at(0), at(24), agent="A1"),  # partial
        P("P3", "S1", "O3", "tb_333", "gift", None, at(0), at(24), agent="A2"),  # kept
        P("P4", "S2", "O4", "tb_444", "coupon", 5.0, AS_OF - timedelta(days=5),
          AS_OF - timedelta(days=2), agent="A2", cond=True),  # broken 2d
        P("P5", "S2", "O5", "tb_555", "coupon", 5.0, AS_OF - timedelta(days=1),
          AS_OF + timedelta(days=3), agent="A2"),  # pending
    ]
    fs = [F("F1", "S1", "O2", "tb_222", "cash_back", 4.0, at(2)),
          F("F2", "S1", "O3", "tb_333", "gift", None, at(3)),
          F("F3", "S1", "O3", "tb_333", "gift", None, at(5)),  # duplicate
          F("F4", "S2", None, "tb_999", "refund", 39.9, at(7))]  # unpromised
    inputs = build(ps, fs, {"A1": 30.0, "A2": 10.0})
    audit = audit_promises(**inputs.lazy(), as_of=AS_OF)
    return audit, inputs.agents.lazy()


def test_by_agent_counts_and_rate(case):
    audit, agents = case
    by_agent = summary.by_agent(audit, agents).collect()
    rows = {r["agent_id"]: r for r in by_agent.iter_rows(named=True)}
    assert (rows["A1"]["due"], rows["A1"]["broken"], rows["A1"]["partial"]) == (2, 1, 1)
    assert rows["A1"]["broken_rate"] == 1.0
    assert rows["A1"]["owed_cny"] == 16.0  # 10 + 6
    assert (rows["A2"]["due"], rows["A2"]["broken"], rows["A2"]["pending"]) == (2, 1, 1)
    assert rows["A2"]["broken_rate"] == 0.5
    assert rows["A2"]["conditional"] == 1


def test_ageing_lists_every_bucket_in_order(case):
    audit, _ = case
    df = summary.ageing(audit).collect()
    assert df["ageing"].to_list() == ["1-3", "4-7", "8-14", "15-30", "31-60", "60+"]
    assert df["broken"].to_list() == [1, 0, 0, 1, 0, 0]
    assert df["partial"].to_list() == [0, 0, 0, 1, 0, 0]


def test_chase_list_masks_buyers_and_sorts_by_agent(case):
    audit, agents = case
    df = summary.chase_list(audit, agents).collect()
    assert df["promise_id"].to_list() == ["P1", "P2", "P4"]  # A1 by days overdue, then A2
    assert df["buyer_id"].to_list() == ["t***1", "t***2", "t***4"]
    assert df["owed_cny"].to_list() == [10.0, 6.0, 5.0]


def test_money_out_and_flags(case):
    audit, _ = case
    money = summary.money_out_without_promise(audit).collect()
    assert sorted(money.select("finding", "payments").rows()) == [("duplicate", 1),
                                                                 ("unpromised", 1)]
    assert money.filter(pl.col("finding") == "unpromised")["amount_cny"].item() == 39.9
    flags = dict(summary.flag_counts(audit).collect().select("flag", "promises").rows())
    assert flags == {"overpaid": 0, "duplicate_payment": 1, "over_authority": 0,
                     "conditional_on_review": 1, "paid_after_review_change": 0}


def test_month_cohort_and_headline_table(case):
    audit, _ = case
    oct_ = promise_headline(summary.in_month(audit, "2026-10"))
    assert (oct_["promises"], oct_["due"], oct_["unpromised_cny"]) == (5, 4, 39.9)
    table = summary.headline_table({"all": promise_headline(audit)}, lang="en")
    values = dict(zip(table[""], table["all"], strict=True))
    assert values["Broken or partial share of promises due"] == "75.0%"
    assert values["Still owed (¥)"] == "¥21.00"
    empty = summary.headline_table({"none": promise_headline(summary.in_month(audit, "2026-09"))})
    assert "—" in empty["none"].to_list()  # no rate when nothing is due


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_figures_show_the_numbers_they_are_given(case, lang):
    audit, agents = case
    fig = figures.broken_rate_bars(summary.by_agent(audit, agents).collect(), by="agent_id",
                                   lang=lang)
    assert isinstance(fig, go.Figure)
    assert sorted(fig.data[0].x) == [0.5, 1.0]
    assert "100.0% (2/2)" in fig.data[0].text
    fig = figures.ageing_bars(summary.ageing(audit).collect(), lang=lang)
    assert list(fig.data[0].y) == [1, 0, 0, 1, 0, 0]
    fig = figures.flag_bars(summary.flag_counts(audit).collect(), lang=lang)
    assert sum(fig.data[0].x) == 2
    fig = figures.money_out_bars(summary.money_out_without_promise(audit).collect(), lang=lang)
    assert sum(sum(t.y) for t in fig.data) == pytest.approx(39.9 + 0.0)
    fig = figures.status_donut(promise_headline(audit), lang=lang)
    assert sum(fig.data[0].values) == 5
    figures.broken_rate_bars(summary.by_kind(audit).collect(), by="kind", lang=lang)
