"""Figure builders and display tables of the resolution report, on hand-built frames."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest
from builders.resolution import AS_OF, OCT, R_OCT, contacts, one_to_one

from audit.core.labels import label
from audit.resolution import figures
from audit.resolution.analysis import analyse_resolution, collect_outputs, resolution_headline
from audit.resolution.text_tier import log_vs_text, resolution_by_text_tier
from audit.resolution.views import VIEWS, display_frame, headline_frame


@pytest.fixture(scope="module")
def res():
    rows = [{"agent_id": f"a{i % 3}", "category": ("quality", "logistics")[i % 2],
             "reviewed_at": R_OCT} | ({"removed_at": R_OCT} if i % 4 else {})
            for i in range(24)]
    rv, cs = one_to_one(rows)
    con = contacts([{"case_id": f"c{i}", "contacted_at": datetime(2026, 10, 1, 12 + i % 5)}
                    for i in range(24)])
    ag = pl.LazyFrame({"agent_id": ["a0", "a1", "a2"], "agent_name": ["x"] * 3,
                       "level": ["senior", "novice", "senior"],
                       "joined_on": [date(2026, 1, 1)] * 3, "cash_limit_cny": [1.0] * 3})
    out = collect_outputs(analyse_resolution(rv, cs, con, ag, month_start=OCT[0],
                                             month_end=OCT[1], as_of=AS_OF))
    out["headline"] = resolution_headline({"reviews": rv, "cases": cs, "contacts": con,
                                           "agents": ag}, month="2026-10", as_of=AS_OF)
    # Every text reads as quality: the logistics cases are mismatches.
    tiers = cs.select("review_id", tier=pl.lit("quality"), evidence=pl.lit("质量+差"))
    out["log_vs_text"], out["log_vs_text_cases"] = log_vs_text(
        cs, tiers, rv.with_columns(review_text=pl.lit("质量差")))
    out["by_text_tier"] = resolution_by_text_tier(out["cases"].lazy(), tiers).collect()
    return out


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_builder_returns_a_titled_figure(res, lang):
    figs = [
        (figures.rate_by_category(res["by_category"], lang=lang), "fig.rate_by_category"),
        (figures.agent_category_heatmap(res["by_agent_category"], lang=lang), "fig.heatmap"),
        (figures.ranked_agents(res["by_agent"], lang=lang), "fig.ranked_agents"),
        (figures.timeliness_by_category(res["by_category"], lang=lang), "fig.timeliness"),
        (figures.breaches_by_check(res["breaches"], lang=lang), "fig.breaches"),
        (figures.backlog_chart(res["backlog"], month_start=OCT[0], month_end=OCT[1], lang=lang),
         "fig.backlog"),
    ]
    for fig, key in figs:
        assert fig.layout.title.text == label(f"resolution.{key}", lang)
        assert len(fig.data) >= 1


def test_heatmap_cells_carry_rate_and_counts(res):
    fig = figures.agent_category_heatmap(res["by_agent_category"])
    cells = res["by_agent_category"].filter(pl.col("eligible") > 0)
    first = cells.sort("agent_id").row(0, named=True)
    heat = fig.data[0]
    col = list(heat.x).index(first["category"])
    assert heat.text[0][col].endswith(f"{first['resolved']}/{first['eligible']}")
    assert heat.z[0][col] == pytest.approx(first["rate"])


def test_ranked_agents_follow_the_rank(res):
    fig = figures.ranked_agents(res["by_agent"])
    assert list(fig.data[1].y) == res["by_agent"].sort("rank")["agent_id"].to_list()


@pytest.mark.parametrize("view", VIEWS)
def test_display_frames_are_strings_with_labelled_headers(res, view):
    source = {"agents": "by_agent", "categories": "by_category", "breaches": "breaches",
              "unverified": "unverified", "workload": "workload", "log_vs_text": "log_vs_text",
              "log_vs_text_cases": "log_vs_text_cases", "by_text_tier": "by_text_tier"}[view]
    shown = display_frame(res[source], view, lang="zh")
    assert shown.height == res[source].height
    assert view == "unverified" or shown.height > 0
    assert all(dtype == pl.String for dtype in shown.dtypes)


def test_display_formats_rates_as_percent_with_one_decimal(res):
    shown = display_frame(res["by_category"], "categories")
    rate = res["by_category"]["rate"][0]
    assert shown[label("resolution.col.rate", "en")][0] == f"{rate * 100:.1f}%"


def test_display_rejects_an_unknown_view(res):
    with pytest.raises(ValueError, match="view must be one of"):
        display_frame(res["by_agent"], "agent")


def test_headline_frame_lists_every_number(res):
    shown = headline_frame(res["headline"], lang="en")
    assert shown.height == 11
    assert f"{res['headline']['rate'] * 100:.1f}%" in shown[label("resolution.col.value", "en")]


def test_an_empty_cohort_still_gives_figures_tables_and_a_headline():
    rv, cs = one_to_one([{"reviewed_at": R_OCT}])
    ag = pl.LazyFrame({"agent_id": ["a1"], "agent_name": ["x"], "level": ["senior"],
                       "joined_on": [date(2026, 1, 1)], "cash_limit_cny": [1.0]})
    tables = {"reviews": rv, "cases": cs, "contacts": contacts([]), "agents": ag}
    out = collect_outputs(analyse_resolution(*tables.values(), month_start=OCT[0],
                                             month_end=OCT[1], as_of=AS_OF, shop="nope"))
    assert out["by_agent"].height == 0
    assert out["backlog"]["open_cases"].to_list() == [0]
    figures.rate_by_category(out["by_category"])
    figures.agent_category_heatmap(out["by_agent_category"])
    figures.ranked_agents(out["by_agent"])
    figures.timeliness_by_category(out["by_category"])
    figures.breaches_by_check(out["breaches"])
    figures.backlog_chart(out["backlog"], month_start=OCT[0], month_end=OCT[1])
    head = resolution_headline(tables, month="2026-10", as_of=AS_OF, shop="nope")
    assert head["cohort_cases"] == 0
    assert head["rate"] is None
    assert headline_frame(head).height == 11
