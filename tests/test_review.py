"""The review part's numbers against independent computations on small hand-built frames:
explanation coverage, the explain-before-the-window list, the product signal, the drift test,
the scorecard's assembly and the trends' cut dates."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from scipy import stats

from audit.pack.trends import cut_of
from audit.review import drift, explanations, products

AS_OF = datetime(2026, 11, 15, 23, 59, 59)


def _reviews(rows: list[tuple]) -> pl.LazyFrame:
    """(review_id, item_id, rating, reviewed_at, explained_at, explanation length)."""
    return pl.LazyFrame(
        {"review_id": [r[0] for r in rows], "shop_id": ["S1"] * len(rows),
         "item_id": [r[1] for r in rows], "rating": [r[2] for r in rows],
         "reviewed_at": [r[3] for r in rows], "explained_at": [r[4] for r in rows],
         "explanation_text": [None if r[5] is None else "解" * r[5] for r in rows]},
        schema_overrides={"explained_at": pl.Datetime("us"), "reviewed_at": pl.Datetime("us")})


ROWS = [
    ("r1", "I1", "negative", datetime(2026, 10, 1, 10), datetime(2026, 10, 2, 10), 40),   # 1 day
    ("r2", "I1", "neutral", datetime(2026, 10, 3, 10), datetime(2026, 11, 10, 10), 600),  # late
    ("r3", "I2", "negative", datetime(2026, 10, 5, 10), None, None),                      # missed
    ("r4", "I2", "negative", datetime(2026, 10, 30, 10), None, None),                     # open
    # r5 not in scope, r6 explained after 3 days, r7 next month and open
    ("r5", "I2", "positive", datetime(2026, 10, 6, 10), None, None),
    ("r6", "I1", "negative", datetime(2026, 10, 20, 10), datetime(2026, 10, 23, 10), 500),
    ("r7", "I2", "neutral", datetime(2026, 11, 1, 10), None, None),
]
CASES = pl.LazyFrame({"case_id": ["c1", "c2", "c3", "c4", "c6", "c7"],
                      "review_id": ["r1", "r2", "r3", "r4", "r6", "r7"],
                      "agent_id": ["A", "A", "B", "B", "A", "B"],
                      "category": ["quality"] * 6,
                      "opened_at": [datetime(2026, 10, 1)] * 6})


def test_explanation_coverage_counts_by_hand() -> None:
    facts = explanations.explanation_facts(_reviews(ROWS), CASES, as_of=AS_OF)
    row = explanations.coverage_by(facts, date(2026, 10, 1), date(2026, 10, 31)).collect().row(
        0, named=True)
    # Cohort r1-r4, r6 (r5 positive, r7 November). In time: r1, r6. Open: r4 (closes Nov 29).
    assert (row["reviews"], row["explained"], row["explained_in_time"], row["still_open"],
            row["due"]) == (5, 3, 2, 1, 4)
    assert row["coverage"] == pytest.approx(2 / 4)
    z = stats.norm.isf(0.025)
    p, n = 0.5, 4
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((centre - half, centre + half))
    assert row["median_days_to_explanation"] == pytest.approx(3.0)  # of 1, 3 and 38 days
    assert row["share_within_length"] == pytest.approx(2 / 3)  # 600 characters breaks the rule
    by_agent = explanations.coverage_by(facts, date(2026, 10, 1), date(2026, 10, 31),
                                        ["agent_id"]).collect()
    assert by_agent.select("agent_id", "explained_in_time", "due").rows() == [
        ("A", 2, 3), ("B", 0, 1)]


def test_explain_before_window_lists_open_unexplained_reviews_by_days_left_then_sales() -> None:
    facts = explanations.explanation_facts(_reviews(ROWS), CASES, as_of=AS_OF)
    sales = pl.LazyFrame({"shop_id": ["S1"] * 3, "item_id": ["I1", "I2", "I2"],
                          "date": [date(2026, 11, 10), date(2026, 11, 10), date(2026, 10, 1)],
                          "orders": [5, 7, 100]})  # the 1 October orders are older than 30 days
    out = explanations.to_explain(facts, sales, as_of=AS_OF).collect()
    assert out.columns == list(explanations.TO_EXPLAIN_COLUMNS)
    expected_left = {"r4": (datetime(2026, 10, 30, 10) + timedelta(days=30) - AS_OF),
                     "r7": (datetime(2026, 11, 1, 10) + timedelta(days=30) - AS_OF)}
    assert out["review_id"].to_list() == ["r4", "r7"]
    assert out["days_left"].to_list() == [round(v.total_seconds() / 86400, 1)
                                          for v in expected_left.values()]
    assert out["item_orders_30d"].to_list() == [7, 7]


def test_product_signal_rates_peers_and_months_above_by_hand() -> None:
    # Shop of 30 items over 3 months: I0 draws 5x its peers' complaints from month 2 on.
    months = ["2026-08", "2026-09", "2026-10"]
    sales, rev = [], []
    k = 0
    for m_i, _month in enumerate(months):
        for item in range(30):
            sales.append(("S1", f"I{item}", date(2026, 8 + m_i, 1), 1000))
            n = 50 if (item == 0 and m_i >= 1) else 10 + item % 2
            for _ in range(n):
                k += 1
                rev.append((f"r{k}", "S1", f"I{item}", datetime(2026, 8 + m_i, 2)))
    sales_lf = pl.LazyFrame(sales, schema=["shop_id", "item_id", "date", "orders"], orient="row")
    reviews = pl.LazyFrame(rev, schema=["review_id", "shop_id", "item_id", "reviewed_at"],
                           orient="row")
    mix = pl.LazyFrame(schema={"shop_id": pl.String, "item_id": pl.String, "month": pl.String,
                               "tier": pl.String, "share": pl.Float64})
    sig = products.product_signal(reviews, sales_lf, mix, months=months)
    row = sig.filter(pl.col("item_id") == "I0", pl.col("month") == "2026-09").row(0, named=True)
    assert row["per_1000_orders"] == pytest.approx(50.0)
    peers = sum(10 + i % 2 for i in range(1, 30)) / 29000 * 1000
    assert row["peer_per_1000_orders"] == pytest.approx(peers)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(
        (stats.gamma.ppf(0.025, 50), stats.gamma.ppf(0.975, 51)))
    assert sig.filter(pl.col("item_id") == "I0")["months_above"].to_list() == [0, 1, 2]
    assert sig.filter(pl.col("item_id") != "I0")["above_peers"].sum() == 0
    assert products.short_list(sig, "2026-10")["item_id"].to_list() == ["I0"]
    assert products.short_list(sig, "2026-09").is_empty()


def test_poisson_trend_matches_a_glm_fit_and_flags_only_the_drifter() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(12.0)
    e = rng.uniform(20, 40, 12)
    o = rng.poisson(e * np.exp(-0.08 * t))
    b, se = drift.poisson_trend(t, o, e)
    # Independent: maximise the Poisson log-likelihood over (a, b) with scipy.
    from scipy.optimize import minimize

    def nll(p: np.ndarray) -> float:
        mu = e * np.exp(p[0] + p[1] * t)
        return float((mu - o * np.log(mu)).sum())

    fit = minimize(nll, np.zeros(2), method="Nelder-Mead", options={"xatol": 1e-9,
                                                                     "fatol": 1e-12})
    assert b == pytest.approx(fit.x[1], abs=1e-4)
    mu = e * np.exp(fit.x[0] + fit.x[1] * t)
    x = np.column_stack([np.ones(12), t])
    assert se == pytest.approx(np.sqrt(np.linalg.inv(x.T @ (mu[:, None] * x))[1, 1]), rel=1e-3)
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    flat = rng.poisson(np.tile(e, (5, 1)))
    monthly = pl.DataFrame({
        "agent_id": np.repeat(["D", "F1", "F2", "F3", "F4", "F5"], 12),
        "month": months * 6, "resolved": np.r_[o, flat.ravel()],
        "expected": np.tile(e, 6)})
    out = drift.agent_drift(monthly)
    assert out.filter("drifting")["agent_id"].to_list() == ["D"]
    assert out.filter(pl.col("agent_id") == "D")["monthly_change"][0] == pytest.approx(
        np.expm1(b))


def test_the_agent_chart_names_its_lines_as_the_heatmap_does() -> None:
    from audit.core.display import agent_labels
    from audit.pack.year_page import agent_chart

    trends = pl.DataFrame({"metric": ["mix_adjusted_ratio"] * 3, "month": ["2026-09"] * 3,
                           "agent_id": ["A1", "A2", "A3"], "value": [1.0, 0.9, 1.1]})
    agents = pl.DataFrame({"agent_id": ["A1", "A2"], "agent_name": ["小王", None]})
    drift_rows = pl.DataFrame(schema=drift.DRIFT_SCHEMA)
    fig = agent_chart(trends, drift_rows, agents=agents, lang="zh")
    names = [t.name for t in fig.data]
    assert names == ["A1 小王", "A2", "A3"]  # a missing name or agent: the id alone
    assert names[:2] == [agent_labels(agents)[a] for a in ("A1", "A2")]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_drift_section_says_in_words_when_no_agent_drifts(lang: str) -> None:
    from audit.core.labels import label
    from audit.pack.year_page import drift_note

    none_tested = drift_note(pl.DataFrame(schema=drift.DRIFT_SCHEMA), lang=lang)
    assert none_tested == label("year.drift.untested", lang).format(months=drift.MIN_MONTHS)
    row = {"agent_id": "A1", "months": 5, "monthly_change": 0.01, "ci_low": -0.1,
           "ci_high": 0.1, "z": 0.2, "drifting": False}
    tested = pl.DataFrame([row, {**row, "agent_id": "A2", "drifting": True}],
                          schema=drift.DRIFT_SCHEMA)
    assert drift_note(tested.head(1), lang=lang) == label("year.drift.none", lang).format(
        n="0", tested="1")
    assert drift_note(tested, lang=lang) == label("year.drift.some", lang).format(
        n="1", tested="2")


def test_a_months_cut_is_its_end_plus_the_report_months_age() -> None:
    age = datetime(2026, 11, 30, 23, 59, 59, 999999) - datetime(2026, 10, 31, 23, 59, 59,
                                                                  999999)
    assert cut_of("2026-02", age) == datetime(2026, 3, 30, 23, 59, 59, 999999)
    assert cut_of("2026-10", age) == datetime(2026, 11, 30, 23, 59, 59, 999999)


def test_the_scorecards_rate_changes_read_in_points_as_on_the_index() -> None:
    from audit.core.fmt import fmt_change
    from audit.pack.year_page import header, table

    card = pl.DataFrame({"resolution_rate_change": [0.054, -0.002, None]})
    shown = table(card, ["resolution_rate_change"], lang="zh")[
        header("resolution_rate_change", "zh")].to_list()
    assert shown == ["+5.4 个百分点", "-0.2 个百分点", "—"]
    assert shown[0] == fmt_change(0.054, "pct", "zh")  # the index card's form
