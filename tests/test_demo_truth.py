"""The demo's truth is complete in both directions.

Every protocol check of docs/interfaces.md and the unverified-claim rule are recomputed here the
simple way (Python dicts over the written CSV rows, no code shared with the generator), and the
sets must equal truth/protocol_breaches.csv and truth/unverified_claims.csv exactly: the resolution
analysis tests precision AND recall against them.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.demo import DemoSpec, generate_demo

if TYPE_CHECKING:
    from pathlib import Path

FMT = "%Y-%m-%d %H:%M:%S"
MESSAGES = {"shop_im", "private_im", "sms"}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _t(s: str) -> datetime | None:
    return datetime.strptime(s, FMT) if s else None


def expected_breaches(data: Path) -> set[tuple[str, str, str]]:
    """(case_id, agent_id, check) for every case meeting a docs/interfaces.md definition."""
    reviews = {r["review_id"]: r for r in _rows(data / "reviews.csv")}
    cases = {c["case_id"]: c for c in _rows(data / "cases.csv")}
    levels = {a["agent_id"]: a["level"] for a in _rows(data / "agents.csv")}
    # The demo's texts are written for the true category; the log differs on the planted cases.
    true_category = {m["case_id"]: m["true_category"]
                     for m in _rows(data / "truth" / "mislabelled_cases.csv")}
    contacts: dict[str, list[dict[str, str]]] = defaultdict(list)
    for k in _rows(data / "contacts.csv"):
        contacts[k["case_id"]].append(k)
    out: set[tuple[str, str, str]] = set()
    buyer_agents: dict[tuple[str, str], set[str]] = defaultdict(set)
    buyer_cases: dict[tuple[str, str], list[str]] = defaultdict(list)
    for cid, case in cases.items():
        review = reviews[case["review_id"]]
        own = contacts.get(cid, [])
        add = lambda check, cid=cid, case=case: out.add((cid, case["agent_id"], check))  # noqa: E731
        for k in own:
            if k["channel"] != "phone":
                continue
            t = _t(k["contacted_at"])
            ok = any(
                m["channel"] in MESSAGES
                and m["reached"] == "false"
                and _t(m["contacted_at"]) <= t - timedelta(hours=48)
                for m in own
            )
            if not ok:
                add("phone_too_early")
        if len(own) > 5:
            add("too_many_attempts")
        if levels[case["agent_id"]] == "novice" and case["category"] in {
            "service",
            "quality",
            "fraud",
        }:
            add("novice_on_senior_category")
        if levels[case["agent_id"]] == "novice" and true_category.get(
                cid, case["category"]) in {"service", "quality", "fraud"}:
            add("text_tier")
        if review["explained_at"] and _t(review["explained_at"]) > _t(
            review["reviewed_at"]
        ) + timedelta(days=30):
            add("explanation_late")
        if len(review["explanation_text"]) > 500:
            add("explanation_too_long")
        key = (review["shop_id"], review["buyer_id"])
        buyer_agents[key] |= {k["agent_id"] for k in own}
        if own:
            buyer_cases[key].append(cid)
    for key, agents in buyer_agents.items():
        if len(agents) >= 2:
            for cid in buyer_cases[key]:
                out.add((cid, cases[cid]["agent_id"], "multiple_agents"))
    return out


def expected_claims(data: Path, as_of: datetime) -> set[tuple[str, str, str]]:
    """(case_id, agent_id, outcome) where revised/removed is logged but the review shows neither."""
    reviews = {r["review_id"]: r for r in _rows(data / "reviews.csv")}
    out = set()
    for case in _rows(data / "cases.csv"):
        if case["outcome"] not in {"revised", "removed"}:
            continue
        r = reviews[case["review_id"]]
        revised = (
            r["revised_rating"] == "positive" and r["revised_at"] and _t(r["revised_at"]) <= as_of
        )
        removed = r["removed_at"] and _t(r["removed_at"]) <= as_of
        if not (revised or removed):
            out.add((case["case_id"], case["agent_id"], case["outcome"]))
    return out


def _truth(data: Path, name: str, cols: tuple[str, ...]) -> set[tuple[str, ...]]:
    return {tuple(r[c] for c in cols) for r in _rows(data / "truth" / f"{name}.csv")}


def _as_of(data: Path) -> datetime:
    import json

    facts = json.loads((data / "truth" / "facts.json").read_text("utf-8"))
    return datetime.fromisoformat(facts["period"]["as_of"])


def _check_truth(data: Path) -> None:
    truth = _truth(data, "protocol_breaches", ("case_id", "agent_id", "check"))
    expected = expected_breaches(data)
    assert truth - expected == set(), (
        f"in truth but not meeting the definition: {sorted(truth - expected)[:5]}"
    )
    assert expected - truth == set(), (
        f"accidental breaches not in truth: {sorted(expected - truth)[:5]}"
    )
    claims = _truth(data, "unverified_claims", ("case_id", "agent_id", "claimed_outcome"))
    assert claims == expected_claims(data, _as_of(data))


def test_protocol_truth_matches_definitions_both_ways(demo_dir: Path) -> None:
    _check_truth(demo_dir)


def test_every_check_is_injected_often_enough_for_power(demo_dir: Path) -> None:
    truth = _rows(demo_dir / "truth" / "protocol_breaches.csv")
    levels = {a["agent_id"]: a["level"] for a in _rows(demo_dir / "agents.csv")}
    per_check: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in truth:
        per_check[r["check"]][levels[r["agent_id"]]] += 1
    assert set(per_check) == {
        "phone_too_early",
        "multiple_agents",
        "too_many_attempts",
        "novice_on_senior_category",
        "explanation_late",
        "explanation_too_long",
        "text_tier",
    }
    n_cases = len(_rows(demo_dir / "cases.csv"))
    for check, by_level in per_check.items():
        total = sum(by_level.values())
        assert 0.01 * n_cases <= total <= 0.05 * n_cases, (check, total)
        if check not in {"novice_on_senior_category", "text_tier"}:
            assert by_level["novice"] >= 5, (check, dict(by_level))
            assert by_level["senior"] >= 5, (check, dict(by_level))
    claims = _rows(demo_dir / "truth" / "unverified_claims.csv")
    assert len({c["agent_id"] for c in claims}) in (1, 2)
    assert len(claims) >= 20


@pytest.mark.parametrize(
    "spec",
    [
        DemoSpec(seed=1, months=1, shops=1),
        DemoSpec(seed=11, months=2, end_month="2026-02", shops=2, effect=False),
    ],
    ids=["1-month-1-shop", "2-months-2-shops-feb"],
)
def test_truth_holds_for_other_specs(tmp_path: Path, spec: DemoSpec) -> None:
    generate_demo(tmp_path, spec)
    _check_truth(tmp_path)


def test_truth_check_catches_a_missing_row_and_an_accidental_breach(
    demo_dir: Path, tmp_path: Path
) -> None:
    import shutil

    data = tmp_path / "d"
    shutil.copytree(demo_dir, data)
    truth = data / "truth" / "protocol_breaches.csv"
    lines = truth.read_text("utf-8").splitlines(keepends=True)
    truth.write_text("".join(lines[:1] + lines[2:]), "utf-8")
    with pytest.raises(AssertionError, match="accidental"):
        _check_truth(data)
    truth.write_text("".join(lines), "utf-8")
    contacts = data / "contacts.csv"
    first = _rows(contacts)[0]
    with contacts.open("a", encoding="utf-8") as f:  # a phone call at the very first contact's time
        f.write(f"KX,{first['case_id']},{first['agent_id']},phone,{first['contacted_at']},false\n")
    with pytest.raises(AssertionError, match="accidental"):
        _check_truth(data)


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 2**31 - 1),
    shops=st.integers(1, 3),
    end_month=st.sampled_from(["2026-01", "2026-02", "2026-07", "2026-12"]),
)
def test_truth_holds_for_any_seed(
    tmp_path_factory: pytest.TempPathFactory, seed: int, shops: int, end_month: str
) -> None:
    """No seed produces an accidental breach or loses an injected one (1-month demos)."""
    out = tmp_path_factory.mktemp("seed")
    generate_demo(out, DemoSpec(seed=seed, months=1, end_month=end_month, shops=shops))
    _check_truth(out)
