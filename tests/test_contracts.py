"""One test per contract rule: a bad row of each kind is quarantined with the right reason,
the good rows beside it pass. Plus: the JSON contracts agree with audit/schema.py and load
strictly."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from builders.exports import GOOD, write_all, write_table

from audit.core.errors import StructuralError
from audit.data import contracts
from audit.data.dataset import load_dataset
from audit.data.schema import NON_MONETARY_KINDS, TABLE_SPECS


def _bad(name: str, **changes: str | None) -> list[dict]:
    """The good rows of ``name`` plus one copy of the first good row with ``changes``."""
    row = {**GOOD[name][0], **changes}
    return [*GOOD[name], row]


# (table, changes to a copy of the first good row, fragment of the expected reason).
# A duplicated key makes the copy AND the original bad; everything else only the copy.
RULES = [
    ("agents", {"agent_id": None}, "agent_id: required value is missing"),
    ("agents", {"agent_id": "A9", "agent_name": None}, "agent_name: required value is missing"),
    ("agents", {"agent_id": "A9", "level": "boss"}, "level: 'boss' is not one of novice, senior"),
    ("agents", {}, "agent_id: 'A1' appears more than once"),
    ("agents", {"agent_id": "A9", "cash_limit_cny": "-1"}, "cash_limit_cny: -1.0 is negative"),
    ("agents", {"agent_id": "A9", "joined_on": "last year"},
     "joined_on: cannot read 'last year' as a date"),
    ("reviews", {}, "review_id: 'R1' appears more than once"),
    ("reviews", {"review_id": "R9", "shop_id": None}, "shop_id: required value is missing"),
    ("reviews", {"review_id": "R9", "buyer_id": None}, "buyer_id: required value is missing"),
    ("reviews", {"review_id": "R9", "rating": "great"}, "rating: 'great' is not one of"),
    ("reviews", {"review_id": "R9", "revised_rating": "meh"}, "revised_rating: 'meh' is not"),
    ("reviews", {"review_id": "R9", "reviewed_at": "yesterday"},
     "reviewed_at: cannot read 'yesterday' as a date/time"),
    ("reviews", {"review_id": "R9", "explained_at": "2026-10-01 00:00:00"},
     "explained_at (2026-10-01 00:00:00) is earlier than reviewed_at (2026-10-03 20:15:00)"),
    ("reviews", {"review_id": "R9", "revised_at": "2026-10-01 00:00:00"},
     "revised_at (2026-10-01 00:00:00) is earlier than reviewed_at"),
    ("reviews", {"review_id": "R9", "removed_at": "2026-10-03 20:14:59"},
     "removed_at (2026-10-03 20:14:59) is earlier than reviewed_at"),
    ("cases", {}, "case_id: 'C1' appears more than once"),
    ("cases", {"case_id": "C9", "category": "weather"}, "category: 'weather' is not one of"),
    ("cases", {"case_id": "C9", "outcome": "won"}, "outcome: 'won' is not one of"),
    ("cases", {"case_id": "C9", "opened_at": None}, "opened_at: required value is missing"),
    ("cases", {"case_id": "C9", "closed_at": "2026-10-03 20:59:00"},
     "closed_at (2026-10-03 20:59:00) is earlier than opened_at (2026-10-03 21:00:00)"),
    ("contacts", {}, "contact_id: 'K1' appears more than once"),
    ("contacts", {"contact_id": "K9", "channel": "fax"}, "channel: 'fax' is not one of"),
    ("contacts", {"contact_id": "K9", "reached": "maybe"},
     "reached: cannot read 'maybe' as true/false"),
    ("contacts", {"contact_id": "K9", "reached": None}, "reached: required value is missing"),
    ("promises", {}, "promise_id: 'P1' appears more than once"),
    ("promises", {"promise_id": "P9", "kind": "hug"}, "kind: 'hug' is not one of"),
    ("promises", {"promise_id": "P9", "amount_cny": "-5"}, "amount_cny: -5.0 is negative"),
    ("promises", {"promise_id": "P9", "amount_cny": None},
     "amount_cny: missing, but required when kind is one of shipping_refund, cash_back"),
    ("promises", {"promise_id": "P9", "amount_cny": "12块"},
     "amount_cny: cannot read '12块' as an amount"),
    ("promises", {"promise_id": "P9", "due_at": "2026-10-04 09:59:59"},
     "due_at (2026-10-04 09:59:59) is earlier than promised_at (2026-10-04 10:00:00)"),
    ("promises", {"promise_id": "P9", "conditional_on_review": None},
     "conditional_on_review: required value is missing"),
    ("fulfilments", {}, "fulfilment_id: 'F1' appears more than once"),
    ("fulfilments", {"fulfilment_id": "F9", "amount_cny": "-0.5"},
     "amount_cny: -0.5 is negative"),
    ("fulfilments", {"fulfilment_id": "F9", "amount_cny": None},
     "amount_cny: missing, but required when kind is one of shipping_refund, cash_back"),
    ("fulfilments", {"fulfilment_id": "F9", "kind": "hug"}, "kind: 'hug' is not one of"),
    ("fulfilments", {"fulfilment_id": "F9", "executed_at": None},
     "executed_at: required value is missing"),
    ("fulfilments", {"fulfilment_id": "F9", "buyer_id": None},
     "buyer_id: required value is missing"),
    ("sales_daily", {}, "shop_id+item_id+date: (S1, I1, 2026-10-03) appears more than once"),
    ("sales_daily", {"date": "2026-10-09", "orders": "101"},
     "visitors (100) is less than orders (101)"),
    ("sales_daily", {"date": "2026-10-09", "review_page_views": "251"},
     "page_views (250) is less than review_page_views (251)"),
    ("sales_daily", {"date": "2026-10-09", "gmv_cny": "-1"}, "gmv_cny: -1.0 is negative"),
    ("sales_daily", {"date": "2026-10-09", "visitors": "-1", "orders": "0"},
     "visitors: -1 is negative"),
    ("sales_daily", {"date": "2026-10-09", "orders": "1.5"},
     "orders: cannot read '1.5' as a whole number"),
    ("sales_daily", {"date": None}, "date: required value is missing"),
    ("messages", {}, "message_id: 'M1' appears more than once"),
    ("messages", {"message_id": "M9", "sender": "robot"},
     "sender: 'robot' is not one of agent, buyer"),
    ("messages", {"message_id": "M9", "agent_id": None},
     "agent_id: missing, but required when sender is one of agent"),
    ("messages", {"message_id": "M9", "sent_at": "soon"},
     "sent_at: cannot read 'soon' as a date/time"),
    ("messages", {"message_id": "M9", "buyer_id": None}, "buyer_id: required value is missing"),
    # Absurd and non-finite amounts (issue 16): the contract's upper bound, the reader's "finite".
    ("agents", {"agent_id": "A9", "cash_limit_cny": "5e6"},
     "cash_limit_cny: 5000000.0 is above the plausible limit 1,000,000"),
    ("promises", {"promise_id": "P9", "amount_cny": "1e308"},
     "amount_cny: 1e+308 is above the plausible limit 1,000,000"),
    ("fulfilments", {"fulfilment_id": "F9", "amount_cny": "1e308"},
     "amount_cny: 1e+308 is above the plausible limit 1,000,000"),
    ("sales_daily", {"date": "2026-10-09", "gmv_cny": "1e12"},
     "gmv_cny: 1000000000000.0 is above the plausible limit 1,000,000,000"),
    ("promises", {"promise_id": "P9", "amount_cny": "inf"},
     "amount_cny: cannot read 'inf' as an amount"),
    ("fulfilments", {"fulfilment_id": "F9", "amount_cny": "NaN"},
     "amount_cny: cannot read 'NaN' as an amount"),
    ("promises", {"promise_id": "P9", "amount_cny": "1e999"},
     "amount_cny: cannot read '1e999' as an amount"),
]


@pytest.mark.parametrize(("name", "changes", "reason"), RULES,
                         ids=[f"{r[0]}-{r[2][:40]}" for r in RULES])
def test_bad_row_is_quarantined_with_reason(tmp_path: Path, name: str, changes: dict,
                                            reason: str) -> None:
    write_table(tmp_path, name, _bad(name, **changes))  # alone: no cross-table rule applies
    ds = load_dataset(tmp_path)
    q = ds.quarantine[name]
    duplicate = not changes
    expected_lines = [2, 4] if duplicate else [4]  # header = line 1, good rows 2-3, copy 4
    assert q["source_row"].to_list() == expected_lines
    for text in q["reasons"]:
        assert reason in text
    valid = ds.tables[name].collect()
    assert valid.height == (1 if duplicate else 2)
    r = ds.reports[name]
    assert (r.rows_read, r.rows_valid, r.rows_quarantined) == (3, valid.height, len(expected_lines))


def test_reason_names_the_expectation(tmp_path: Path) -> None:
    write_table(tmp_path, "promises", _bad("promises", promise_id="P9", kind="hug"))
    reason = load_dataset(tmp_path).quarantine["promises"]["reasons"].item()
    assert reason.endswith("(expect_column_values_to_be_in_set)")


def test_good_rows_all_pass(tmp_path: Path) -> None:
    ds = load_dataset(write_all(tmp_path))
    for name, rows in GOOD.items():
        assert ds.reports[name].rows_valid == len(rows), name
        assert ds.quarantine[name].height == 0
    assert ds.absent == ()


def test_non_monetary_kinds_need_no_amount(tmp_path: Path) -> None:
    rows = [{**GOOD["promises"][0], "promise_id": f"P{k}", "kind": k, "amount_cny": None}
            for k in NON_MONETARY_KINDS]
    write_table(tmp_path, "promises", rows)
    assert load_dataset(tmp_path).reports["promises"].rows_valid == len(NON_MONETARY_KINDS)


@pytest.mark.parametrize("name", list(TABLE_SPECS))
def test_contract_agrees_with_schema(name: str) -> None:
    spec = TABLE_SPECS[name]
    data = contracts.read_contract(name)
    assert data["name"] == name
    exps = data["expectations"]
    assert all(e.get("meta", {}).get("why") for e in exps), "every expectation says why"
    not_null = {e["kwargs"]["column"] for e in exps
                if e["type"] == "expect_column_values_to_not_be_null"
                and "row_condition" not in e["kwargs"]}
    assert not_null == set(spec.required)
    sets = {e["kwargs"]["column"]: tuple(e["kwargs"]["value_set"]) for e in exps
            if e["type"] == "expect_column_values_to_be_in_set"}
    assert sets == {c.name: c.allowed for c in spec.columns if c.allowed}
    if len(spec.key) == 1:
        uniq = [e["kwargs"]["column"] for e in exps
                if e["type"] == "expect_column_values_to_be_unique"]
        assert uniq == list(spec.key)
    else:
        uniq = [e["kwargs"]["column_list"] for e in exps
                if e["type"] == "expect_compound_columns_to_be_unique"]
        assert uniq == [list(spec.key)]
    columns = set(spec.schema)
    for e in exps:
        kw = e["kwargs"]
        for key in ("column", "column_A", "column_B"):
            if key in kw:
                assert kw[key] in columns
    conditional = [e for e in exps if "row_condition" in e["kwargs"]]
    for e in conditional:
        cond = e["kwargs"]["row_condition"]
        assert cond["operator"] == "IN"
        if cond["column"]["name"] == "sender":  # messages: the agent's messages name the agent
            assert (e["kwargs"]["column"], cond["parameter"]) == ("agent_id", ["agent"])
            continue
        # the money kinds are exactly the schema's monetary kinds
        assert cond["column"]["name"] == "kind"
        kinds = cond["parameter"]
        assert set(kinds) == set(spec.column("kind").allowed) - set(NON_MONETARY_KINDS)


@pytest.mark.parametrize("name", list(TABLE_SPECS))
def test_contract_loads_every_expectation(name: str) -> None:
    suite = contracts.load_contract(name)
    assert len(suite.expectations) == len(contracts.read_contract(name)["expectations"])


def test_misspelled_expectation_fails_loudly(tmp_path: Path) -> None:
    data = contracts.read_contract("promises")
    data["expectations"][3]["type"] = "expect_column_values_to_be_uniqe"
    path = tmp_path / "promises.json"
    path.write_text(json.dumps(data), "utf-8")
    with pytest.raises(StructuralError, match=r"promises\.json: expectation 3 "
                       r"\(`expect_column_values_to_be_uniqe`\) did not load"):
        contracts.load_suite_file(path)


def test_check_rows_on_empty_frame_finds_nothing() -> None:
    from audit.data.schema import empty_frame

    df = empty_frame("cases").with_columns(pl.lit(None, pl.Int64).alias("__row"))
    assert contracts.check_rows(df, "cases").height == 0


@pytest.mark.parametrize("name", sorted({r[0] for r in RULES}))
def test_one_call_and_column_groups_find_the_same_rows_and_reasons(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """A small table's contract runs in one GX call, a large one's per column group: same
    quarantined rows, reasons (in the same order) and counts. Every bad row of the table's
    rules in one file, so rows break several expectations at once."""
    rows = [*GOOD[name], *({**GOOD[name][0], **changes} for t, changes, _ in RULES if t == name)]
    write_table(tmp_path, name, rows)
    whole = load_dataset(tmp_path)
    assert whole.quarantine[name].height > 1
    monkeypatch.setattr(contracts, "GROUP_ROWS", 0)
    grouped = load_dataset(tmp_path)
    assert grouped.reports[name] == whole.reports[name]
    assert grouped.quarantine[name].equals(whole.quarantine[name])
    assert grouped.tables[name].collect().equals(whole.tables[name].collect())
    assert len(contracts._column_groups(name)) > 1  # the two plans differ: a real comparison
