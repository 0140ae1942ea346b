"""Contact-protocol checks and unverified claims on hand-built frames (docs/interfaces.md)."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest
from builders.resolution import AS_OF, T0, agents, cases, contacts, h, reviews

from audit.resolution.protocol import CHECKS, detect_breaches, unverified_claims

SENIOR = agents([{"agent_id": a} for a in ("a1", "a2", "a3")])


def _breaches(rv, cs, con, ag=SENIOR, as_of=AS_OF) -> set[tuple[str, str]]:
    got = detect_breaches(rv, cs, con, ag, as_of=as_of).collect()
    assert got.columns == ["case_id", "agent_id", "check", "detail"]
    assert got["detail"].null_count() == 0
    return set(zip(got["case_id"], got["check"], strict=True))


def _one_case(**review):
    return reviews([{"review_id": "r0", **review}]), cases([{"case_id": "c0", "review_id": "r0"}])


PHONE_CASES = [
    # (contacts before the call: (hours, channel, reached)), phone at hour, breach?
    ([], 5, True),
    ([(0, "shop_im", False)], 47.99, True),
    ([(0, "shop_im", False)], 48, False),
    ([(0, "private_im", False)], 72, False),
    ([(0, "sms", False)], 72, False),
    ([(0, "shop_im", True)], 72, True),  # the message was answered: no reason to phone
    ([(0, "phone", False)], 72, True),  # an unanswered call is not a message
    ([(10, "shop_im", False)], 40, True),
    ([(30, "shop_im", False), (0, "shop_im", False)], 49, False),  # the earliest one counts
]


@pytest.mark.parametrize(("before", "phone_at", "breach"), PHONE_CASES)
def test_phone_too_early(before, phone_at, breach):
    rv, cs = _one_case()
    con = contacts([{"case_id": "c0", "contacted_at": h(t), "channel": ch, "reached": r}
                    for t, ch, r in before]
                   + [{"case_id": "c0", "contacted_at": h(phone_at), "channel": "phone"}])
    assert (("c0", "phone_too_early") in _breaches(rv, cs, con)) is breach


def test_a_later_phone_call_is_fine_when_the_first_was():
    rv, cs = _one_case()
    con = contacts([{"case_id": "c0", "contacted_at": h(0)},
                    {"case_id": "c0", "contacted_at": h(50), "channel": "phone"},
                    {"case_id": "c0", "contacted_at": h(51), "channel": "phone"}])
    assert _breaches(rv, cs, con) == set()


def test_phone_call_after_as_of_is_not_seen():
    rv, cs = _one_case()
    con = contacts([{"case_id": "c0", "contacted_at": h(2), "channel": "phone"}])
    assert _breaches(rv, cs, con, as_of=h(1)) == set()


@pytest.mark.parametrize(("n", "breach"), [(5, False), (6, True), (9, True)])
def test_too_many_attempts(n, breach):
    rv, cs = _one_case()
    con = contacts([{"case_id": "c0", "contacted_at": h(i)} for i in range(n)])
    assert (("c0", "too_many_attempts") in _breaches(rv, cs, con)) is breach


def test_multiple_agents_flags_every_contacted_case_of_that_buyer():
    rv = reviews([
        {"review_id": "r0", "buyer_id": "b1"},
        {"review_id": "r1", "buyer_id": "b1"},
        {"review_id": "r2", "buyer_id": "b1"},  # never contacted: no row
        {"review_id": "r3", "buyer_id": "b1", "shop_id": "s2"},  # same id, other shop
        {"review_id": "r4", "buyer_id": "b2"},
    ])
    cs = cases([{"case_id": f"c{i}", "review_id": f"r{i}"} for i in range(5)])
    con = contacts([
        {"case_id": "c0", "agent_id": "a1", "contacted_at": h(1)},
        {"case_id": "c1", "agent_id": "a2", "contacted_at": h(2)},
        {"case_id": "c3", "agent_id": "a3", "contacted_at": h(3)},
        {"case_id": "c4", "agent_id": "a1", "contacted_at": h(1)},
        {"case_id": "c4", "agent_id": "a1", "contacted_at": h(2)},
    ])
    got = _breaches(rv, cs, con)
    assert got == {("c0", "multiple_agents"), ("c1", "multiple_agents")}


def test_two_agents_on_one_case_is_also_multiple_agents():
    rv, cs = _one_case()
    con = contacts([{"case_id": "c0", "agent_id": "a1", "contacted_at": h(1)},
                    {"case_id": "c0", "agent_id": "a2", "contacted_at": h(2)}])
    assert _breaches(rv, cs, con) == {("c0", "multiple_agents")}


@pytest.mark.parametrize(("level", "category", "breach"), [
    ("novice", "service", True), ("novice", "quality", True), ("novice", "fraud", True),
    ("novice", "logistics", False), ("novice", "novice", False), ("novice", "wrong_item", False),
    ("senior", "fraud", False),
])
def test_novice_on_senior_category(level, category, breach):
    rv = reviews([{"review_id": "r0"}])
    cs = cases([{"case_id": "c0", "review_id": "r0", "category": category}])
    ag = agents([{"agent_id": "a1", "level": level}])
    got = _breaches(rv, cs, contacts([]), ag)
    assert (("c0", "novice_on_senior_category") in got) is breach


@pytest.mark.parametrize(("days", "breach"), [(29, False), (30, False), (30.001, True), (45, True)])
def test_explanation_late(days, breach):
    rv, cs = _one_case(explanation_text="sorry", explained_at=T0 + timedelta(days=days))
    assert (("c0", "explanation_late") in _breaches(rv, cs, contacts([]))) is breach


@pytest.mark.parametrize(("n", "breach"), [(10, False), (500, False), (501, True)])
def test_explanation_too_long_counts_characters_not_bytes(n, breach):
    rv, cs = _one_case(explanation_text="亲" * n, explained_at=h(5))
    assert (("c0", "explanation_too_long") in _breaches(rv, cs, contacts([]))) is breach


def test_several_checks_on_one_case_give_one_row_each_in_check_order():
    rv, cs = _one_case(explanation_text="x" * 600, explained_at=T0 + timedelta(days=40))
    con = contacts([{"case_id": "c0", "contacted_at": h(i), "channel": "phone"}
                    for i in range(6)])
    got = detect_breaches(rv, cs, con, SENIOR, as_of=AS_OF).collect()
    assert got["check"].to_list() == ["phone_too_early", "too_many_attempts", "explanation_late",
                                      "explanation_too_long"]
    assert list(CHECKS).index("phone_too_early") == 0
    assert got.filter(pl.col("check") == "too_many_attempts")["detail"][0].startswith(
        "6 contact attempts")


def test_breach_agent_is_the_case_agent():
    rv, cs = _one_case()
    cs = cs.with_columns(agent_id=pl.lit("a2"))
    con = contacts([{"case_id": "c0", "agent_id": "a2", "contacted_at": h(1), "channel": "phone"}])
    got = detect_breaches(rv, cs, con, SENIOR, as_of=AS_OF).collect()
    assert got.select("case_id", "agent_id", "check").rows() == [("c0", "a2", "phone_too_early")]


CLAIMS = [
    # outcome, review evidence, flagged?
    ("revised", {"revised_rating": "positive", "revised_at": h(5)}, False),
    ("revised", {"revised_rating": "neutral", "revised_at": h(5)}, True),
    ("revised", {}, True),
    ("removed", {"removed_at": h(5)}, False),
    ("removed", {"revised_rating": "positive", "revised_at": h(5)}, False),  # either counts
    ("removed", {"removed_at": AS_OF + timedelta(days=1)}, True),  # not yet at as_of
    ("explained", {}, False),
    ("refused", {}, False),
    ("open", {}, False),
]


@pytest.mark.parametrize(("outcome", "evidence", "flagged"), CLAIMS)
def test_unverified_claims(outcome, evidence, flagged):
    rv = reviews([{"review_id": "r0", **evidence}])
    cs = cases([{"case_id": "c0", "review_id": "r0", "outcome": outcome}])
    got = unverified_claims(rv, cs, as_of=AS_OF).collect()
    assert got.columns == ["case_id", "agent_id", "claimed_outcome"]
    assert got.rows() == ([("c0", "a1", outcome)] if flagged else [])


# --- against a brute-force reference on random logs -------------------------------------------

CHANNELS = ("shop_im", "private_im", "sms", "phone")


def _reference(review_rows, case_rows, contact_rows, as_of):
    """The docs/interfaces.md definitions, literally: a search per phone call, sets per buyer."""
    buyer = {r["review_id"]: (r["shop_id"], r["buyer_id"]) for r in review_rows}
    case_buyer = {c["case_id"]: buyer[c["review_id"]] for c in case_rows}
    seen = [k for k in contact_rows if k["contacted_at"] <= as_of]
    out = set()
    for c in case_rows:
        mine = [k for k in seen if k["case_id"] == c["case_id"]]
        for call in (k for k in mine if k["channel"] == "phone"):
            ok = any(k["channel"] != "phone" and not k["reached"]
                     and k["contacted_at"] <= call["contacted_at"] - timedelta(hours=48)
                     for k in mine)
            if not ok:
                out.add((c["case_id"], "phone_too_early"))
        if len(mine) >= 6:
            out.add((c["case_id"], "too_many_attempts"))
        agents_of_buyer = {k["agent_id"] for k in seen
                           if case_buyer[k["case_id"]] == case_buyer[c["case_id"]]}
        if mine and len(agents_of_buyer) >= 2:
            out.add((c["case_id"], "multiple_agents"))
    return out


@pytest.mark.parametrize("seed", range(8))
def test_contact_checks_match_a_brute_force_reference(seed):
    import numpy as np

    rng = np.random.default_rng(seed)
    n_cases = 30
    review_rows = [{"review_id": f"r{i}", "buyer_id": f"b{rng.integers(0, 12)}",
                    "shop_id": f"s{rng.integers(0, 2)}"} for i in range(n_cases)]
    case_rows = [{"case_id": f"c{i}", "review_id": f"r{i}"} for i in range(n_cases)]
    contact_rows = []
    for i in range(n_cases):
        for _ in range(int(rng.integers(0, 9))):
            contact_rows.append({
                "case_id": f"c{i}", "agent_id": "a1" if rng.random() < 0.85 else "a2",
                "channel": CHANNELS[int(rng.integers(0, 4))], "reached": bool(rng.random() < 0.4),
                "contacted_at": h(float(rng.integers(0, 150))),
            })
    as_of = h(120)
    got = detect_breaches(reviews(review_rows), cases(case_rows), contacts(contact_rows), SENIOR,
                          as_of=as_of).collect()
    got_set = set(zip(got["case_id"], got["check"], strict=True))
    assert got_set == _reference(review_rows, case_rows, contact_rows, as_of)
    assert got.height == len(got_set)  # one row per (case, check)
    # Reordering the log changes nothing.
    shuffled = contacts(contact_rows).collect().sample(fraction=1.0, shuffle=True, seed=seed)
    again = detect_breaches(reviews(review_rows), cases(case_rows), shuffled.lazy(), SENIOR,
                            as_of=as_of).collect()
    assert again.equals(got)
