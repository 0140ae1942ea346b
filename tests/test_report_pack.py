"""The monthly pack end to end on the demo data, with small stand-in notebooks.

The stand-ins (tests/builders/notebooks.py) load the snapshot, draw a chart and show a table,
like the real report notebooks, so these tests check the runner, not the analyses. The numbers
on the index are checked against an independent, row-by-row computation of the definitions in
docs/interfaces.md and against the demo truth.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import statistics
from datetime import datetime, timedelta
from pathlib import Path

import nbformat
import polars as pl
import pytest
from builders.notebooks import make_notebook, tiny_notebooks

from audit.core.errors import NotebookFailed, ParameterError, StructuralError
from audit.pack.build import build_monthly_pack

MONTH = "2026-10"


@pytest.fixture(scope="module")
def nb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_notebooks(tmp_path_factory.mktemp("notebooks"))


@pytest.fixture(scope="module")
def built(demo_dir: Path, nb_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("reports")
    lines: list[str] = []
    result = build_monthly_pack(demo_dir, month=MONTH, out=out, notebooks_dir=nb_dir,
                                progress=lines.append)
    return result, out, lines


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _ts(text: str) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@pytest.mark.slow
def test_pack_has_every_part_and_no_leftovers(built) -> None:
    result, out, _ = built
    pack = out / MONTH
    assert result.pack_dir == pack
    for rel in ["index.html", "alpha.html", "beta.html", "notebooks/alpha.ipynb",
                "notebooks/beta.ipynb", "assets/plotly.min.js", "manifest.json",
                "actions/promises_to_chase_2026-10.xlsx", "actions/protocol_breaches_2026-10.xlsx",
                "actions/unverified_claims_2026-10.xlsx", "data/headline.json",
                "data/headline.csv", "data/data_quality.csv", "data/protocol_breaches.csv",
                "views/promises/values.json", "actions/review_conditional_2026-10.xlsx",
                "data/chat_offers.csv"]:
        assert (pack / rel).is_file(), rel
    assert not (pack / "_snapshot").exists()  # raw, unmasked data never stays in the pack
    assert sorted(p.name for p in out.iterdir()) == [MONTH]  # no temp or .old folders


@pytest.mark.slow
def test_progress_line_per_notebook(built) -> None:
    _, _, lines = built
    assert any(ln.startswith("✓ alpha.ipynb") for ln in lines)
    assert any(ln.startswith("✓ beta.ipynb") for ln in lines)


@pytest.mark.slow
def test_plotly_js_is_shipped_once_and_pages_load_it(built) -> None:
    import plotly

    _, out, _ = built
    pack = out / MONTH
    shipped = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()
    assert (pack / "assets" / "plotly.min.js").read_bytes() == shipped
    for page in ("alpha.html", "beta.html"):
        text = (pack / page).read_text("utf-8")
        assert '<script src="assets/plotly.min.js"></script>' in text
        assert len(text) < len(shipped) / 4  # plotly.js itself is not inside the page
        assert "cdn." not in text
        assert "require.min.js" not in text
        assert "MathJax.js" not in text
        assert "Plotly.newPlot" in text  # the chart made it into the HTML


@pytest.mark.slow
def test_html_has_no_code_cells(built) -> None:
    _, out, _ = built
    text = (out / MONTH / "alpha.html").read_text("utf-8")
    assert "load_dataset(" not in text
    assert "import plotly" not in text
    assert "2026-10 2026-11-30  en" in text  # the print() output is there (parameters used)


@pytest.mark.slow
def test_executed_notebooks_record_resolved_parameters(built, demo_dir: Path) -> None:
    _, out, _ = built
    nb = nbformat.read(out / MONTH / "notebooks" / "alpha.ipynb", as_version=4)
    params = nb.metadata["papermill"]["parameters"]
    assert {k: params[k] for k in ("month", "as_of", "shop", "lang")} == {
        "month": MONTH, "as_of": "2026-11-30", "shop": "", "lang": "en"}
    last = max(r["reviewed_at"] for r in _read_csv(demo_dir / "reviews.csv"))
    assert params["as_of"] >= last[:10]  # defaulted to the last activity, not today


@pytest.mark.slow
def test_manifest_records_inputs_versions_and_steps(built, demo_dir: Path) -> None:
    _, out, _ = built
    pack = out / MONTH
    m = json.loads((pack / "manifest.json").read_text("utf-8"))
    assert m["parameters"] == {"month": MONTH, "as_of": "2026-11-30", "shop": "", "lang": "en",
                               "sla_hours": "24.0", "window": "14"}
    by_table = {i["table"]: i for i in m["inputs"]}
    for name in ("reviews", "cases", "contacts", "agents", "sales_daily"):
        path = demo_dir / f"{name}.csv"
        assert by_table[name]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert by_table[name]["rows_read"] == len(_read_csv(path))
    assert m["packages"]["polars"] == pl.__version__
    repo = Path(__file__).resolve().parents[1]
    if (repo / ".git").exists():
        import subprocess

        commit = m["toolkit_git"]["commit"]
        assert re.fullmatch(r"[0-9a-f]{40}", commit)
        # A real commit of this repository (HEAD may have moved on since the pack was built).
        kind = subprocess.run(["git", "-C", str(repo), "cat-file", "-t", commit],
                              capture_output=True, text=True, check=True).stdout.strip()
        assert kind == "commit"
    assert {"validate", "snapshot", "analyses", "render", "notebooks_wall"} <= set(
        m["steps_seconds"])
    assert set(m["notebooks_seconds"]) == {"alpha.ipynb", "beta.ipynb"}
    cpu = m["steps_cpu_seconds"]  # the orchestrator's CPU per sequential step
    assert {"parameters", "validate", "analyses", "actions_and_data"} <= set(cpu)
    assert all(v >= 0 for v in cpu.values())
    assert cpu["validate"] > 0
    for entry in m["outputs"]:
        digest = hashlib.sha256((pack / entry["file"]).read_bytes()).hexdigest()
        assert digest == entry["sha256"], entry["file"]


def _independent_resolution(demo_dir: Path, month: str, as_of: datetime) -> dict[str, float]:
    """docs/interfaces.md's "resolved" rule, written row by row (no polars, no audit code)."""
    reviews = {r["review_id"]: r for r in _read_csv(demo_dir / "reviews.csv")}
    first_contact: dict[str, datetime] = {}
    for c in _read_csv(demo_dir / "contacts.csv"):
        t = _ts(c["contacted_at"])
        if t <= as_of and (c["case_id"] not in first_contact or t < first_contact[c["case_id"]]):
            first_contact[c["case_id"]] = t
    resolved = eligible = cases = 0
    hours = []
    for case in _read_csv(demo_dir / "cases.csv"):
        r = reviews[case["review_id"]]
        at = _ts(r["reviewed_at"])
        if at.strftime("%Y-%m") != month:
            continue
        cases += 1
        deadline = at + timedelta(days=30)
        rev, rem = _ts(r["revised_at"]), _ts(r["removed_at"])
        ok = ((r["revised_rating"] == "positive" and rev is not None and rev <= deadline
               and rev <= as_of) or (rem is not None and rem <= deadline and rem <= as_of))
        resolved += ok
        eligible += ok or deadline <= as_of
        if case["case_id"] in first_contact:
            hours.append((first_contact[case["case_id"]] - at).total_seconds() / 3600)
    return {"cohort_cases": cases, "resolution_rate": resolved / eligible,
            "median_hours_to_first_contact": statistics.median(hours)}


@pytest.mark.slow
def test_headline_numbers_match_an_independent_computation(built, demo_dir: Path) -> None:
    _, out, _ = built
    h = json.loads((out / MONTH / "data" / "headline.json").read_text("utf-8"))
    as_of = datetime(2026, 11, 30, 23, 59, 59, 999999)
    expected = _independent_resolution(demo_dir, MONTH, as_of)
    assert h["values"]["cohort_cases"] == expected["cohort_cases"]
    assert h["values"]["resolution_rate"] == pytest.approx(expected["resolution_rate"])
    assert h["values"]["median_hours_to_first_contact"] == pytest.approx(
        expected["median_hours_to_first_contact"])
    prev = _independent_resolution(demo_dir, "2026-09", datetime(2026, 10, 30, 23, 59, 59,
                                                                 999999))
    assert h["previous_month"] == "2026-09"
    assert h["previous"]["resolution_rate"] == pytest.approx(prev["resolution_rate"])


@pytest.mark.slow
def test_index_shows_formatted_headline_and_links(built) -> None:
    _, out, _ = built
    h = json.loads((out / MONTH / "data" / "headline.json").read_text("utf-8"))
    text = (out / MONTH / "index.html").read_text("utf-8")
    rate = f"{h['values']['resolution_rate'] * 100:.1f}%"
    assert f'<div class="v">{rate}</div>' in text
    assert f"{h['values']['cohort_cases']:,}" in text  # thousands separator
    for href in ("alpha.html", "beta.html", "actions/protocol_breaches_2026-10.xlsx",
                 "manifest.json"):
        assert f'href="{href}"' in text
    assert "Rows read" in text
    assert "vs September 2026" in text


@pytest.mark.slow
def test_action_lists_match_demo_truth(built, demo_dir: Path) -> None:
    """The month's breaches and unverified claims are exactly the truth's, for cohort cases."""
    _, out, _ = built
    data = out / MONTH / "data"
    reviews = {r["review_id"]: r["reviewed_at"][:7] for r in _read_csv(demo_dir / "reviews.csv")}
    cohort = {c["case_id"] for c in _read_csv(demo_dir / "cases.csv")
              if reviews[c["review_id"]] == MONTH}
    truth = {(r["case_id"], r["check"]) for r in
             _read_csv(demo_dir / "truth" / "protocol_breaches.csv") if r["case_id"] in cohort}
    got = {(r["case_id"], r["check"]) for r in _read_csv(data / "protocol_breaches.csv")}
    assert got == truth
    truth_claims = {r["case_id"] for r in _read_csv(demo_dir / "truth" / "unverified_claims.csv")
                    if r["case_id"] in cohort}
    assert {r["case_id"] for r in _read_csv(data / "unverified_claims.csv")} == truth_claims
    xlsx = pl.read_excel(out / MONTH / "actions" / "protocol_breaches_2026-10.xlsx",
                         sheet_name="All agents")
    assert xlsx.height == len(truth)


@pytest.mark.slow
def test_failing_notebook_stops_run_names_cell_and_keeps_old_pack(
        built, demo_dir: Path, tmp_path: Path) -> None:
    _, out, _ = built
    before = {p.relative_to(out / MONTH): p.read_bytes() for p in (out / MONTH).rglob("*")
              if p.is_file()}
    bad = tmp_path / "nbs"
    make_notebook(bad / "good.ipynb")
    make_notebook(bad / "broken.ipynb", fail="planted failure 42")
    with pytest.raises(NotebookFailed,
                       match=r"notebook broken\.ipynb failed at cell \[\d+\]: ValueError: "
                             r"planted failure 42") as info:
        build_monthly_pack(demo_dir, month=MONTH, out=out, notebooks_dir=bad)
    assert "\n" not in str(info.value)
    after = {p.relative_to(out / MONTH): p.read_bytes() for p in (out / MONTH).rglob("*")
             if p.is_file()}
    assert after == before  # the earlier pack is untouched
    failed = out / f"{MONTH}.failed"
    assert str(failed) in str(info.value)
    nb = nbformat.read(failed / "notebooks" / "broken.ipynb", as_version=4)
    assert any(o.get("ename") == "ValueError" for c in nb.cells if c.cell_type == "code"
               for o in c.get("outputs", []))
    html = (failed / "broken.html").read_text("utf-8")
    assert "planted failure 42" in html
    assert "jp-InputArea" in html
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


@pytest.mark.slow
def test_structural_error_writes_nothing(demo_dir: Path, nb_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "reviews.csv").write_text("review_id,shop_id\nR1,S1\n", "utf-8")
    out = tmp_path / "reports"
    with pytest.raises(StructuralError) as info:
        build_monthly_pack(data, month=MONTH, out=out, notebooks_dir=nb_dir)
    assert "reviews" in str(info.value)
    assert "\n" not in str(info.value)
    assert list(out.iterdir()) == []


@pytest.mark.slow
def test_unknown_shop_is_refused_before_any_notebook(demo_dir: Path, nb_dir: Path,
                                                     tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match=r"shop 'S99' is not in the data \(shops: S01"):
        build_monthly_pack(demo_dir, month=MONTH, shop="S99", out=tmp_path, notebooks_dir=nb_dir)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_rerun_gives_identical_results_and_zh_labels(built, demo_dir: Path, nb_dir: Path,
                                                     tmp_path: Path) -> None:
    _, out, _ = built
    # An output folder with quotes, a backslash and CJK: papermill escapes it into a string
    # literal; it never becomes code.
    odd = tmp_path / '报告 "q" \\x'
    again = build_monthly_pack(demo_dir, month=MONTH, out=odd, notebooks_dir=nb_dir, lang="zh")
    nb = nbformat.read(again.pack_dir / "notebooks" / "alpha.ipynb", as_version=4)
    # Kernels run in the pack folder on pack-relative paths: the odd folder never reaches one.
    assert nb.metadata["papermill"]["parameters"]["data_dir"] == "_snapshot"
    for rel in ("headline.json", "headline.csv", "data_quality.csv", "protocol_breaches.csv",
                "unverified_claims.csv", "promises_to_chase.csv", "chat_offers.csv"):
        assert (again.pack_dir / "data" / rel).read_bytes() == (
            out / MONTH / "data" / rel).read_bytes(), rel
    index = (again.pack_dir / "index.html").read_text("utf-8")
    assert '<html lang="zh-CN">' in index
    assert "月度评价审计" in index
    assert "本月要点" in index
    sheet = pl.read_excel(again.pack_dir / "actions" / "protocol_breaches_2026-10.xlsx",
                          sheet_name="全部客服")
    assert "客服编号" in sheet.columns


@pytest.mark.slow
def test_promise_numbers_and_chase_list_match_demo_truth(built, demo_dir: Path) -> None:
    """Truth's broken/partial promises: all of them to chase, October's on the index."""
    _, out, _ = built
    facts = json.loads((demo_dir / "truth" / "facts.json").read_text("utf-8"))
    assert facts["period"]["as_of"].startswith("2026-11-30")  # same as-of as the pack
    promised = {p["promise_id"]: p["promised_at"][:7] for p in _read_csv(demo_dir / "promises.csv")}
    owed = {t["promise_id"] for t in _read_csv(demo_dir / "truth" / "promise_truth.csv")
            if t["status"] in {"broken", "partial"}}
    rows = _read_csv(out / MONTH / "data" / "promises_to_chase.csv")
    chase = {r["promise_id"] for r in rows if r["status"] != "chat_not_logged"}
    assert chase == owed
    # ... and every offer promised in chat and never logged (issue 13), no promise id
    in_chat = [r for r in rows if r["status"] == "chat_not_logged"]
    never = [t for t in _read_csv(demo_dir / "truth" / "chat_offer_truth.csv")
             if t["finding"] == "not_logged"]
    assert len(in_chat) == len(never) > 0
    assert {r["promise_id"] for r in in_chat} == {""}
    h = json.loads((out / MONTH / "data" / "headline.json").read_text("utf-8"))
    assert h["values"]["promises_broken_or_partial"] == sum(promised[p] == MONTH for p in owed)
    by_agent = _read_csv(out / MONTH / "data" / "promises_to_chase_by_agent.csv")
    assert sum(int(r["promises"]) for r in by_agent) == len(owed) + len(in_chat)


@pytest.mark.slow
def test_explanation_lift_interval_covers_the_true_lift(built, demo_dir: Path) -> None:
    _, out, _ = built
    true = json.loads((demo_dir / "truth" / "facts.json").read_text("utf-8"))["sales"][
        "explanation_lift_conversion_pct"] / 100
    v = json.loads((out / MONTH / "data" / "headline.json").read_text("utf-8"))["values"]
    assert v["explanation_lift_ci_low"] <= true <= v["explanation_lift_ci_high"]
    assert v["explanation_lift_verdict"] == "lift"


@pytest.mark.slow
def test_missing_optional_exports_skip_their_report_not_the_pack(demo_dir: Path,
                                                                 tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for name in ("agents", "reviews", "cases", "contacts"):
        (data / f"{name}.csv").write_bytes((demo_dir / f"{name}.csv").read_bytes())
    nbs = tiny_notebooks(tmp_path / "nbs", names=("promises", "resolution", "impact"))
    result = build_monthly_pack(data, month=MONTH, out=tmp_path / "out", notebooks_dir=nbs)
    pack = result.pack_dir
    assert sorted(p.name for p in pack.glob("*.html")) == ["index.html", "resolution.html"]
    h = json.loads((pack / "data" / "headline.json").read_text("utf-8"))
    assert "promises_broken_or_partial" not in h["values"]  # not 0: unknown
    assert "explanation_lift" not in h["values"]
    assert h["values"]["cohort_cases"] > 0
    index = (pack / "index.html").read_text("utf-8")
    assert ("Compensation promises: skipped, no export for promises, payments (fulfilments)"
            in index)
    assert "Sales impact of explanations: skipped, no export for daily sales" in index
    assert '<div class="card" data-metric="promises_broken_or_partial"><div class="k">' in index
    (data / "reviews.csv").unlink()
    with pytest.raises(StructuralError, match="reviews"):
        build_monthly_pack(data, month=MONTH, out=tmp_path / "out2", notebooks_dir=nbs)
