"""The promise audit on hand-built frames: the issue's edge cases and its invariants (issue 3)."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import polars as pl
import pytest
from builders.promises import F, P, at, build, reference
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.core.dates import end_of_day
from audit.promises.analysis import (
    AGEING_BUCKETS,
    FINDINGS,
    PAYMENT_AUDIT_COLUMNS,
    PROMISE_AUDIT_COLUMNS,
    STATUSES,
    PromiseAudit,
    audit_promises,
)
from audit.promises.views import promise_headline

AS_OF = datetime(2026, 10, 31, 23, 59, 59, 999999)


def run(ps: list[P], fs: list[F], *, as_of: datetime = AS_OF,
        limits: dict[str, float] | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    out = audit_promises(**build(ps, fs, limits).lazy(), as_of=as_of)
    return out.promises.collect(), out.payments.collect()


def by_id(df: pl.DataFrame, key: str) -> dict[str, dict]:
    return {r[key]: r for r in df.iter_rows(named=True)}


def test_output_columns_start_with_the_issue_columns_3():
    prom, pay = run([P("P1", "S1", "O1", "B1", "cash_back", 5.0, at(0), at(48))],
                    [F("F1", "S1", "O1", "B1", "cash_back", 5.0, at(1))])
    assert tuple(prom.columns[: len(PROMISE_AUDIT_COLUMNS)]) == PROMISE_AUDIT_COLUMNS
    assert tuple(pay.columns[: len(PAYMENT_AUDIT_COLUMNS)]) == PAYMENT_AUDIT_COLUMNS


def test_two_promises_to_one_buyer_on_two_orders_paid_once_3():
    # One buyer-level payment (no order, no link): the earlier-due promise takes it.
    ps = [P("P1", "S1", "O1", "B1", "shipping_refund", 10.0, at(0), at(72)),
          P("P2", "S1", "O2", "B1", "shipping_refund", 10.0, at(1), at(48))]
    fs = [F("F1", "S1", None, "B1", "shipping_refund", 10.0, at(5))]
    prom, pay = run(ps, fs)
    rows = by_id(prom, "promise_id")
    assert rows["P2"]["status"] == "kept"
    assert rows["P1"]["status"] == "broken"
    assert rows["P1"]["days_overdue"] == 28  # due Oct 4 00:00, as of the end of Oct 31
    assert rows["P1"]["ageing"] == "15-30"
    assert pay.row(0, named=True)["promise_id"] == "P2"
    assert pay.row(0, named=True)["match_level"] == "buyer"


def test_payment_of_the_wrong_kind_keeps_nothing_3():
    ps = [P("P1", "S1", "O1", "B1", "shipping_refund", 10.0, at(0), at(24))]
    fs = [F("F1", "S1", "O1", "B1", "cash_back", 10.0, at(2))]
    prom, pay = run(ps, fs)
    assert prom["status"].to_list() == ["broken"]
    assert pay["finding"].to_list() == ["unpromised"]
    assert pay["promise_id"].to_list() == [None]


def test_payment_in_another_shop_to_the_same_buyer_id_is_unpromised_3():
    ps = [P("P1", "S1", "O1", "B1", "coupon", 5.0, at(0), at(24))]
    fs = [F("F1", "S2", None, "B1", "coupon", 5.0, at(2)),
          F("F2", "S2", "O1", "B1", "coupon", 5.0, at(3))]  # even the same order id
    prom, pay = run(ps, fs)
    assert prom["status"].to_list() == ["broken"]
    assert pay["finding"].to_list() == ["unpromised", "unpromised"]


def test_explicit_link_paid_before_the_promise_was_logged_keeps_it_3():
    ps = [P("P1", "S1", "O1", "B1", "cash_back", 8.0, at(24), at(48))]
    fs = [F("F1", "S1", "O1", "B1", "cash_back", 8.0, at(2), link="P1"),
          F("F2", "S1", "O1", "B1", "cash_back", 8.0, at(1))]  # before promise and coverage
    prom, pay = run(ps, fs)
    row = prom.row(0, named=True)
    assert (row["status"], row["covered_cny"], row["fulfilment_ids"]) == ("kept", 8.0, "F1")
    f = by_id(pay, "fulfilment_id")
    assert (f["F1"]["finding"], f["F1"]["match_level"]) == ("matched", "explicit")
    assert f["F2"]["finding"] == "unpromised"  # paid before the promise was covered
    # The same payment after the explicit one covered the promise repeats it.
    _, pay = run(ps, [fs[0], F("F2", "S1", "O1", "B1", "cash_back", 8.0, at(3))])
    assert pay["finding"].to_list() == ["matched", "duplicate"]


def test_order_level_needs_payment_at_or_after_promise():
    ps = [P("P1", "S1", "O1", "B1", "cash_back", 8.0, at(10), at(48))]
    fs = [F("F1", "S1", "O1", "B1", "cash_back", 8.0, at(9)),
          F("F2", "S1", "O1", "B1", "cash_back", 8.0, at(10))]
    _, pay = run(ps, fs)
    assert pay["finding"].to_list() == ["unpromised", "matched"]


def test_duplicate_after_full_coverage_flags_the_promise_3():
    ps = [P("P1", "S1", "O1", "B1", "shipping_refund", 10.0, at(0), at(48))]
    fs = [F("F1", "S1", "O1", "B1", "shipping_refund", 10.0, at(5)),
          F("F2", "S1", "O1", "B1", "shipping_refund", 10.0, at(30)),
          F("F3", "S1", None, "B1", "shipping_refund", 10.0, at(31))]  # no order: not a duplicate
    prom, pay = run(ps, fs)
    row = prom.row(0, named=True)
    assert (row["status"], row["flags"], row["covered_cny"]) == ("kept", "duplicate_payment", 10.0)
    assert pay["finding"].to_list() == ["matched", "duplicate", "unpromised"]
    assert pay["promise_id"].to_list() == ["P1", "P1", None]


def test_partial_payments_add_up_and_late_completion_counts_days_late_3():
    ps = [P("P1", "S1", "O1", "B1", "cash_back", 10.0, at(0), at(48))]
    fs = [F("F1", "S1", "O1", "B1", "cash_back", 4.0, at(10), link="P1"),
          F("F2", "S1", None, "B1", "cash_back", 6.0, at(48 + 25))]
    prom, _ = run(ps, fs)
    row = prom.row(0, named=True)
    assert (row["status"], row["days_late"], row["covered_cny"]) == ("kept_late", 2, 10.0)
    assert row["fulfilment_ids"] == "F1;F2"
    prom, _ = run(ps, fs[:1])
    row = prom.row(0, named=True)
    assert (row["status"], row["covered_cny"], row["owed_cny"]) == ("partial", 4.0, 6.0)


def test_overpaid_over_authority_conditional_flags_3():
    ps = [P("P1", "S1", "O1", "B1", "refund", 120.0, at(0), at(48), cond=True)]
    fs = [F("F1", "S1", "O1", "B1", "refund", 130.0, at(1))]
    prom, _ = run(ps, fs, limits={"A1": 100.0})
    row = prom.row(0, named=True)
    assert row["status"] == "kept"
    assert row["flags"] == "conditional_on_review;over_authority;overpaid"


def test_non_monetary_kept_by_any_fulfilment_and_pending_when_not_due():
    ps = [P("P1", "S1", "O1", "B1", "gift", None, at(0), at(48)),
          P("P2", "S1", "O2", "B2", "replacement", None, at(0), AS_OF + timedelta(days=2))]
    fs = [F("F1", "S1", "O1", "B1", "gift", 0.0, at(3)),
          F("F2", "S1", "O1", "B1", "gift", None, at(4))]
    prom, pay = run(ps, fs)
    rows = by_id(prom, "promise_id")
    assert rows["P1"]["status"] == "kept"
    assert rows["P1"]["flags"] == "duplicate_payment"
    assert rows["P2"]["status"] == "pending"
    assert rows["P2"]["days_overdue"] is None
    assert pay["finding"].to_list() == ["matched", "duplicate"]


@pytest.mark.parametrize(("days_before_as_of", "bucket"),
                         [(0.5, "1-3"), (3, "1-3"), (3.2, "4-7"), (7, "4-7"), (8, "8-14"),
                          (14, "8-14"), (14.5, "15-30"), (30, "15-30"), (30.5, "31-60"),
                          (60, "31-60"), (61, "60+"), (400, "60+")])
def test_ageing_buckets(days_before_as_of, bucket):
    due = AS_OF - timedelta(days=days_before_as_of)
    prom, _ = run([P("P1", "S1", "O1", "B1", "coupon", 5.0, due - timedelta(days=1), due)], [])
    assert prom["ageing"].to_list() == [bucket]
    assert bucket in AGEING_BUCKETS


def test_as_of_ignores_later_payments_and_promises():
    ps = [P("P1", "S1", "O1", "B1", "coupon", 5.0, at(0), at(24)),
          P("P2", "S1", "O1", "B1", "coupon", 5.0, at(500), at(600))]
    fs = [F("F1", "S1", "O1", "B1", "coupon", 5.0, at(30))]
    prom, pay = run(ps, fs, as_of=end_of_day(at(12).date()))
    assert prom["promise_id"].to_list() == ["P1"]
    assert prom["status"].to_list() == ["pending"]
    assert pay.height == 0


def test_headline_counts_match_the_rows():
    ps = [P("P1", "S1", "O1", "B1", "coupon", 5.0, at(0), at(24)),
          P("P2", "S1", "O2", "B2", "cash_back", 10.0, at(0), at(24), cond=True),
          P("P3", "S1", "O3", "B3", "cash_back", 10.0, at(0), AS_OF + timedelta(days=1))]
    fs = [F("F1", "S1", "O2", "B2", "cash_back", 4.0, at(2)),
          F("F2", "S1", "O9", "B9", "cash_back", 7.5, at(2))]
    out = audit_promises(**build(ps, fs).lazy(), as_of=AS_OF)
    h = promise_headline(out)
    assert (h["promises"], h["due"], h["broken"], h["partial"], h["pending"]) == (3, 2, 1, 1, 1)
    assert h["owed_cny"] == 11.0  # 5 on P1, 6 on P2
    assert (h["unpromised"], h["unpromised_cny"], h["conditional"]) == (1, 7.5, 1)
    assert h["broken_rate"] == 1.0


# --- property tests against the plain-Python reference ------------------------------------

KINDS = ("shipping_refund", "cash_back", "gift")
_profile = os.environ.get("HYPOTHESIS_PROFILE", "fast")
N_EXAMPLES = {"ci": 300, "thorough": 3000}.get(_profile, 120)


@st.composite
def scenarios(draw):
    n_p = draw(st.integers(0, 6))
    ps = []
    for i in range(n_p):
        promised = draw(st.integers(0, 20)) * 12
        ps.append(P(
            f"P{i}", draw(st.sampled_from(("S1", "S2"))), draw(st.sampled_from(("O1", "O2", "O3"))),
            draw(st.sampled_from(("B1", "B2"))), draw(st.sampled_from(KINDS)),
            draw(st.sampled_from((None, 0.0, 0.3, 5.0, 10.0, 15.0))), at(promised),
            at(promised + draw(st.integers(0, 8)) * 12), cond=draw(st.booleans()),
            agent=draw(st.sampled_from(("A1", "A2"))),
        ))
    n_f = draw(st.integers(0, 8))
    fs = [F(f"F{j}", draw(st.sampled_from(("S1", "S2"))),
            draw(st.sampled_from((None, "O1", "O2", "O3"))), draw(st.sampled_from(("B1", "B2"))),
            draw(st.sampled_from(KINDS)),
            draw(st.sampled_from((None, 0.0, 0.1, 0.2, 2.5, 4.7, 5.0, 7.5, 10.0))),
            at(draw(st.integers(0, 30)) * 12),
            link=draw(st.sampled_from([None, "P9", *[p.promise_id for p in ps]])))
          for j in range(n_f)]
    as_of = end_of_day(at(draw(st.integers(0, 30)) * 12).date())
    return ps, fs, as_of


LIMITS = {"A1": 9.0, "A2": 50.0}


@settings(max_examples=N_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.randoms(use_true_random=False))
def test_matches_the_reference_and_keeps_its_invariants(scenario, rnd):
    ps, fs, as_of = scenario
    prom, pay = run(ps, fs, as_of=as_of, limits=LIMITS)
    ref = reference(ps, fs, as_of, LIMITS)
    # Every promise gets exactly one status; every payment exactly one finding.
    assert prom["promise_id"].is_unique().all()
    assert sorted(prom["promise_id"]) == sorted(ref.status)
    assert set(prom["status"]) <= set(STATUSES)
    assert set(pay["finding"]) <= set(FINDINGS)
    for r in prom.iter_rows(named=True):
        pid = r["promise_id"]
        assert r["status"] == ref.status[pid], pid
        assert r["flags"] == ref.flags[pid], pid
        assert r["covered_cny"] == pytest.approx(ref.covered[pid]), pid
        assert r["days_late"] == ref.days_late[pid], pid
        assert r["days_overdue"] == ref.days_overdue[pid], pid
    assert pay["fulfilment_id"].is_unique().all()
    for r in pay.iter_rows(named=True):
        assert (r["finding"], r["promise_id"]) == (ref.finding[r["fulfilment_id"]],
                                                   ref.promise_of[r["fulfilment_id"]])
    # No fulfilment assigned twice (each appears in at most one promise's list) ...
    listed = [f for ids in prom["fulfilment_ids"].drop_nulls() for f in ids.split(";")]
    assert len(listed) == len(set(listed))
    assert sorted(listed) == sorted(pay.filter(pl.col("finding") == "matched")["fulfilment_id"])
    # ... and covered never exceeds what was paid to that promise.
    paid = pay.filter(pl.col("finding") == "matched").group_by("promise_id").agg(
        pl.col("amount_cny").fill_null(0).sum())
    for pid, amount in paid.iter_rows():
        assert prom.filter(pl.col("promise_id") == pid)["covered_cny"][0] <= amount + 1e-9
    assert prom["covered_cny"].sum() <= pay["amount_cny"].fill_null(0).sum() + 1e-9
    # Row order does not matter.
    shuffled = build(ps, fs, LIMITS)
    frames = {k: v.sample(fraction=1.0, shuffle=True, seed=rnd.randint(0, 2**31))
              for k, v in shuffled.lazy().items() for v in [v.collect()]}
    again = audit_promises(**{k: v.lazy() for k, v in frames.items()}, as_of=as_of)
    assert again.promises.collect().equals(prom)
    assert again.payments.collect().equals(pay)


def test_promise_audit_is_a_named_tuple_of_lazy_frames():
    out = audit_promises(**build([], []).lazy(), as_of=AS_OF)
    assert isinstance(out, PromiseAudit)
    assert isinstance(out.promises, pl.LazyFrame)
    assert out.promises.collect().height == 0
    assert out.payments.collect().height == 0


@pytest.mark.slow
@pytest.mark.parametrize(("seed", "months", "shops"), [(1, 1, 1), (2, 2, 2), (5, 4, 4)])
def test_other_demo_shapes_match_their_truth(tmp_path, seed, months, shops):
    from audit.data.schema import table
    from audit.demo import DemoSpec, generate_demo

    spec = DemoSpec(seed=seed, months=months, shops=shops)
    generate_demo(tmp_path, spec)
    frames = {
        name: pl.read_csv(tmp_path / f"{name}.csv", schema=table(name).schema).lazy()
        for name in ("promises", "fulfilments", "cases", "reviews", "agents")
    }
    out = audit_promises(**frames, as_of=spec.period().as_of)
    prom = out.promises.collect().select("promise_id", "status", "flags", "days_late",
                                         "days_overdue")
    truth = pl.read_csv(tmp_path / "truth" / "promise_truth.csv", schema=prom.schema)
    assert prom.sort("promise_id").equals(truth.with_columns(pl.col("flags").fill_null(""))
                                          .sort("promise_id"))
    pay = out.payments.collect().select("fulfilment_id", "finding", "promise_id")
    ptruth = pl.read_csv(tmp_path / "truth" / "payment_truth.csv", schema=pay.schema)
    assert pay.sort("fulfilment_id").equals(ptruth.sort("fulfilment_id"))


def test_demo_compensation_is_deterministic(tmp_path):
    from audit.demo import DemoSpec, generate_demo

    spec = DemoSpec(seed=11, months=1, shops=2)
    for run in ("a", "b"):
        generate_demo(tmp_path / run, spec)
    for name in ("promises.csv", "fulfilments.csv", "truth/promise_truth.csv",
                 "truth/payment_truth.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_categorical_keys_on_one_side_still_match():
    ps = [P("P1", "S1", "O1", "B1", "coupon", 5.0, at(0), at(24))]
    fs = [F("F1", "S1", "O1", "B1", "coupon", 5.0, at(1))]
    inputs = build(ps, fs).lazy()
    inputs["fulfilments"] = inputs["fulfilments"].with_columns(
        pl.col("shop_id", "kind").cast(pl.Categorical))
    out = audit_promises(**inputs, as_of=AS_OF)
    assert out.promises.collect()["status"].to_list() == ["kept"]
