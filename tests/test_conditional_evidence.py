"""Behavioural evidence of conditional compensation on hand-built agents (issue 13, part 1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl
import pytest

from audit.data.schema import AGENTS, CASES, FULFILMENTS, PROMISES, REVIEWS
from audit.promises.analysis import audit_promises
from audit.promises.behaviour import (
    FLAG,
    conditional_evidence,
    event_order,
    review_changes,
)
from audit.resolution.protocol import review_evidence

T0 = datetime(2026, 10, 1, 9, 0)
AS_OF = datetime(2026, 10, 31, 23, 59, 59)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class P:
    """One promise of a hand-built agent: days after T0 (None = never)."""

    paid: float | None
    changed: float | None
    declared: bool = False
    promised: float = 0.0
    due: float = 3.0


def _world(agents: dict[str, list[P]]) -> dict[str, pl.LazyFrame]:
    """Canonical tables: one case/review/order/buyer per promise, payments linked explicitly."""
    promises, pays, cases, reviews = [], [], [], []
    for agent, plist in agents.items():
        for i, p in enumerate(plist):
            pid, case, rev = f"{agent}-{i:02d}", f"C{agent}{i:02d}", f"R{agent}{i:02d}"
            reviewed = T0 - DAY
            changed = None if p.changed is None else T0 + p.changed * DAY
            reviews.append({"review_id": rev, "shop_id": "S1", "order_id": f"O{pid}",
                            "item_id": "I1", "buyer_id": f"B{pid}", "rating": "negative",
                            "review_text": None, "reviewed_at": reviewed,
                            "explanation_text": None, "explained_at": None,
                            "revised_rating": None if changed is None else "positive",
                            "revised_at": changed, "removed_at": None})
            cases.append({"case_id": case, "review_id": rev, "agent_id": agent,
                          "category": "logistics", "opened_at": reviewed, "closed_at": None,
                          "outcome": "open"})
            promises.append({"promise_id": pid, "case_id": case, "agent_id": agent,
                             "kind": "shipping_refund", "amount_cny": 10.0,
                             "promised_at": T0 + p.promised * DAY, "due_at": T0 + p.due * DAY,
                             "conditional_on_review": p.declared})
            if p.paid is not None:
                pays.append({"fulfilment_id": f"F{pid}", "shop_id": "S1", "order_id": f"O{pid}",
                             "buyer_id": f"B{pid}", "kind": "shipping_refund",
                             "amount_cny": 10.0, "executed_at": T0 + p.paid * DAY,
                             "reference": None, "promise_id": pid})
    agents_df = pl.DataFrame(
        [{"agent_id": a, "agent_name": f"name {a}", "level": "senior",
          "joined_on": T0.date(), "cash_limit_cny": 50.0} for a in agents],
        schema=AGENTS.schema)
    return {
        "promises": pl.DataFrame(promises, schema=PROMISES.schema).lazy(),
        "fulfilments": pl.DataFrame(pays, schema=FULFILMENTS.schema).lazy(),
        "cases": pl.DataFrame(cases, schema=CASES.schema).lazy(),
        "reviews": pl.DataFrame(reviews, schema=REVIEWS.schema).lazy(),
        "agents": agents_df.lazy(),
    }


def _run(agents: dict[str, list[P]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    t = _world(agents)
    audit = audit_promises(t["promises"], t["fulfilments"], t["cases"], t["reviews"],
                           t["agents"], as_of=AS_OF)
    orders = audit.promises  # the audit applies event_order itself (issue 13, phase 2)
    again = event_order(orders, audit.payments,
                        review_changes(t["cases"], t["reviews"], as_of=AS_OF)).collect()
    assert again.equals(orders.collect())  # idempotent
    return orders.collect(), conditional_evidence(orders, t["agents"]).collect()


AGENTS_BUILT: dict[str, list[P]] = {
    # Pays on day 1 whatever happens; two buyers revised within hours, before the money landed.
    "honest": [P(1, 2)] * 6 + [P(1, 0.2)] * 2 + [P(1, None)] * 6,
    # Honest too, but its buyers revise the day after contact and finance pays a day later:
    # the money comes after the change, yet it comes just the same when nobody revises.
    "prompt_buyers": [P(2, 1)] * 8 + [P(2, None)] * 6,
    # Forgets half; the paid buyers revise more, but after the money (seeds 003/004).
    "forgetful": [P(1, 3)] * 5 + [P(1, None)] + [P(None, 2)] + [P(None, None)] * 5,
    # Pays the day after the change, never otherwise, never says so.
    "hidden": [P(2, 1)] * 8 + [P(None, None)] * 6,
    # The same behaviour, ticked conditional in the log.
    "declared": [P(2, 1, declared=True)] * 8 + [P(None, None, declared=True)] * 6,
    # The same behaviour on three promises: cannot be told apart from chance.
    "small": [P(2, 1)] * 2 + [P(None, None)],
}


@pytest.fixture(scope="module")
def built() -> tuple[pl.DataFrame, pl.DataFrame]:
    agents = {k: list(v) for k, v in AGENTS_BUILT.items()}
    agents["hidden"].append(P(None, None, promised=25, due=35))  # pending: not counted
    return _run(agents)


def test_only_the_two_conditional_agents_are_found(built):
    _, ev = built
    verdicts = dict(zip(ev["agent_id"], ev["verdict"], strict=True))
    assert verdicts == {"honest": "no_evidence", "forgetful": "no_evidence",
                        "prompt_buyers": "no_evidence",
                        "hidden": "conditional_in_effect", "declared": "conditional_in_effect",
                        "small": "too_few"}
    assert ev["verdict"].head(2).to_list() == ["conditional_in_effect"] * 2  # listed first


def test_reasons_name_the_deciding_half(built):
    _, ev = built
    reason = dict(zip(ev["agent_id"], ev["reason"], strict=True))
    assert reason["forgetful"].startswith("payment came before the review changed (0/5")
    assert reason["honest"] == "pays when the review did not change (kept 6/6)"
    assert reason["hidden"].startswith("paid only after the review changed (8/8 paid after)")
    assert reason["small"].startswith("too few promises")


def test_flag_exactly_on_promises_paid_after_the_change(built):
    orders, _ = built
    flagged = set(orders.filter(pl.col("flags").str.contains(FLAG))["promise_id"])
    after = {"honest": (6, 7), "hidden": range(8), "declared": range(8),
             "prompt_buyers": range(8), "small": range(2)}
    expected = {f"{agent}-{i:02d}" for agent, idx in after.items() for i in idx}
    assert flagged == expected
    declared = orders.filter(pl.col("promise_id") == "declared-00")["flags"].item()
    assert declared == f"conditional_on_review;{FLAG}"  # sorted, joined like the audit's flags


def test_event_orders(built):
    orders, _ = built
    got = dict(orders.filter(pl.col("agent_id") == "forgetful")
               .group_by("event_order").len().iter_rows())
    assert got == {"paid_before_change": 6, "changed_never_paid": 1, "neither": 5}


def test_counts_and_intervals(built):
    _, ev = built
    row = ev.filter(pl.col("agent_id") == "hidden").row(0, named=True)
    assert row["agent_name"] == "name hidden"
    assert (row["promises_due"], row["changed"], row["kept_when_changed"], row["changed_paid"],
            row["paid_after_change"], row["unchanged"], row["kept_when_unchanged"]) == (
        14, 8, 8, 8, 8, 6, 0)
    assert row["after_low"] > 0.5 > row["kept_unchanged_high"]  # noqa: PLR2004
    assert row["declared_conditional"] == 0
    declared = ev.filter(pl.col("agent_id") == "declared").row(0, named=True)
    assert declared["declared_conditional"] == 14  # noqa: PLR2004


def test_wilson_bounds_match_the_closed_form():
    _, ev = _run({"a": [P(2, 1)] * 3 + [P(None, 2)] + [P(None, None)] * 10})
    row = ev.row(0, named=True)
    # 3 of 4 changed promises kept: the Wilson 95% interval is (0.3006, 0.9544).
    assert row["kept_changed_low"] == pytest.approx(0.30064, abs=1e-4)
    assert row["kept_changed_high"] == pytest.approx(0.95441, abs=1e-4)


def test_per_shop_grouping(built):
    orders, _ = built
    shop = conditional_evidence(orders.lazy(), by="shop_id").collect()
    assert shop["shop_id"].to_list() == ["S1"]
    assert shop["promises_due"].item() == sum(len(v) for v in AGENTS_BUILT.values())


def test_review_changes_agree_with_the_resolution_definition():
    rows = [  # (revised_rating, revised_at days, removed_at days) after a review at T0
        ("positive", 3, None), ("neutral", 3, None), ("positive", 40, None), (None, None, 5),
        ("positive", 9, 4), (None, None, 45), (None, None, None), ("positive", 29.9, None),
    ]
    reviews = pl.DataFrame(
        [{"review_id": f"R{i}", "reviewed_at": T0, "revised_rating": r,
          "revised_at": None if a is None else T0 + a * DAY,
          "removed_at": None if m is None else T0 + m * DAY} for i, (r, a, m) in enumerate(rows)],
        schema={"review_id": pl.String, "reviewed_at": pl.Datetime("us"),
                "revised_rating": pl.String, "revised_at": pl.Datetime("us"),
                "removed_at": pl.Datetime("us")})
    cases = pl.LazyFrame({"case_id": [f"C{i}" for i in range(len(rows))],
                          "review_id": [f"R{i}" for i in range(len(rows))]})
    as_of = T0 + 20 * DAY
    mine = review_changes(cases, reviews.lazy(), as_of=as_of).collect()
    mine = mine.sort("case_id")["changed_at"]
    theirs = reviews.select(r=review_evidence(as_of=as_of)["resolved_at"])["r"]
    assert mine.to_list() == theirs.to_list()
    assert mine.null_count() == 5  # noqa: PLR2004 - neutral, too late, after as_of, none


# --- through the promises job (phase 2) -----------------------------------------------------

EXPECTED_VERDICTS = {"honest": "no_evidence", "forgetful": "no_evidence",
                     "prompt_buyers": "no_evidence", "hidden": "conditional_in_effect",
                     "declared": "conditional_in_effect", "small": "too_few"}


def test_the_job_builds_the_evidence_once_in_its_views():
    from audit.promises.job import analyse, excel_sheets
    from audit.promises.views import CONDITIONAL_COLUMNS

    views = analyse(_world(AGENTS_BUILT), as_of=AS_OF).views
    ev = views.conditional_evidence
    assert tuple(ev.columns) == CONDITIONAL_COLUMNS
    assert dict(zip(ev["agent_id"], ev["verdict"], strict=True)) == EXPECTED_VERDICTS
    assert ev.filter(pl.col("agent_id") == "hidden")["agent_name"].item() == "name hidden"
    sheets = excel_sheets(views)  # declared agents listed apart from those found by behaviour
    assert sheets["conditional_declared"]["agent_id"].to_list() == ["declared"]
    assert sheets["conditional_found"]["agent_id"].to_list()[0] == "hidden"
    assert "declared" not in sheets["conditional_found"]["agent_id"].to_list()
    by_shop = views.conditional_by_shop
    assert by_shop["promises_due"].sum() == ev["promises_due"].sum()
    flags = views.flags.filter(pl.col("flag") == FLAG)["promises"].item()
    assert flags == 2 + 8 + 8 + 8 + 2  # the promises paid after the change (flag test above)


def test_cli_writes_conditional_evidence_csv_with_the_issue_columns(tmp_path):
    import zipfile

    from typer.testing import CliRunner

    from audit.cli import app
    from audit.promises.views import CONDITIONAL_COLUMNS

    data = tmp_path / "data"
    data.mkdir()
    for name, lf in _world(AGENTS_BUILT).items():
        lf.collect().write_csv(data / f"{name}.csv")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["promises", str(data), "--out", str(out),
                                      "--as-of", AS_OF.date().isoformat()])
    assert result.exit_code == 0, result.output
    assert "conditional_evidence.csv" in result.output
    ev = pl.read_csv(out / "conditional_evidence.csv")
    assert tuple(ev.columns) == CONDITIONAL_COLUMNS == (
        "agent_id", "agent_name", "promises_due", "declared_conditional", "changed",
        "kept_when_changed", "changed_paid", "paid_after_change", "unchanged",
        "kept_when_unchanged", "after_share", "after_low", "after_high", "kept_changed_rate",
        "kept_changed_low", "kept_changed_high", "kept_unchanged_rate", "kept_unchanged_low",
        "kept_unchanged_high", "verdict", "reason")
    assert dict(zip(ev["agent_id"], ev["verdict"], strict=True)) == EXPECTED_VERDICTS
    audit = pl.read_csv(out / "promise_audit.csv", infer_schema=False)
    flagged = set(audit.filter(pl.col("flags").fill_null("").str.contains(FLAG))["promise_id"])
    assert len(flagged) == 28
    assert {"hidden-00", "declared-07", "honest-06"} <= flagged
    assert "forgetful-00" not in flagged
    with zipfile.ZipFile(out / "promise_actions.xlsx") as z:
        workbook = z.read("xl/workbook.xml").decode()
    assert "conditional (found)" in workbook
    assert "conditional (declared)" in workbook
