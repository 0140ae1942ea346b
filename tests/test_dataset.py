"""load_dataset: cross-table rules, absent tables, snapshots without GX, last activity,
the reconciliation read = valid + quarantined + blank, the real GB18030 export."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from builders.exports import GOOD, write_all, write_table
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from audit.core.errors import StructuralError
from audit.data.dataset import (
    load_dataset,
    summary_rows,
    write_quarantine,
    write_snapshot,
)
from audit.data.schema import TABLES, table


def test_every_table_is_there_with_its_schema_even_when_absent(tmp_path: Path) -> None:
    write_table(tmp_path, "promises", GOOD["promises"])
    ds = load_dataset(tmp_path)
    assert set(ds.tables) == set(TABLES)
    assert ds.absent == ("agents", "reviews", "cases", "contacts", "fulfilments", "sales_daily")
    for name in TABLES:
        assert ds.tables[name].collect_schema() == pl.Schema(table(name).schema)
    assert ds.tables["sales_daily"].collect().height == 0
    assert ds.reports["sales_daily"].absent
    assert ("sales_daily", "absent", "-", "-", "-", "-") in summary_rows(ds)


def test_required_absent_table_is_structural(tmp_path: Path) -> None:
    write_table(tmp_path, "promises", GOOD["promises"])
    with pytest.raises(StructuralError, match="required table `fulfilments` is absent"):
        load_dataset(tmp_path, require=["promises", "fulfilments"])


def test_missing_folder_is_structural(tmp_path: Path) -> None:
    with pytest.raises(StructuralError, match="does not exist"):
        load_dataset(tmp_path / "nope")


@pytest.mark.parametrize(
    ("child", "row", "reason"),
    [("cases", {"case_id": "C9", "review_id": "R404"}, "review_id: no valid reviews row with "
      "review_id 'R404'"),
     ("cases", {"case_id": "C9", "agent_id": "A404"}, "agent_id: no valid agents row with "
      "agent_id 'A404'"),
     ("contacts", {"contact_id": "K9", "case_id": "C404"}, "case_id: no valid cases row"),
     ("contacts", {"contact_id": "K9", "agent_id": "A404"}, "agent_id: no valid agents row"),
     ("promises", {"promise_id": "P9", "case_id": "C404"}, "case_id: no valid cases row"),
     ("promises", {"promise_id": "P9", "agent_id": "A404"}, "agent_id: no valid agents row")],
)
def test_orphans_are_quarantined(tmp_path: Path, child: str, row: dict, reason: str) -> None:
    write_all(tmp_path, {child: [*GOOD[child], {**GOOD[child][0], **row}]})
    ds = load_dataset(tmp_path)
    q = ds.quarantine[child]
    assert q["source_row"].to_list() == [4]
    assert reason in q["reasons"].item()
    assert ds.tables[child].collect().height == len(GOOD[child])


def test_quarantined_parent_takes_its_children(tmp_path: Path) -> None:
    # R1 breaks its contract, so case C1 (on R1) and C1's contact and promise go too.
    write_all(tmp_path, {"reviews": [{**GOOD["reviews"][0], "rating": "great"},
                                     GOOD["reviews"][1]]})
    ds = load_dataset(tmp_path)
    assert ds.quarantine["cases"]["case_id"].to_list() == ["C1"]
    assert ds.quarantine["contacts"]["contact_id"].to_list() == ["K1"]
    assert ds.quarantine["promises"]["promise_id"].to_list() == ["P1"]
    assert ds.tables["promises"].collect()["promise_id"].to_list() == ["P2"]
    # Fulfilments are not tied to promises by a rule (unknown promise = audit finding).
    assert ds.reports["fulfilments"].rows_quarantined == 0


def test_agent_rules_skip_without_agents_table(tmp_path: Path) -> None:
    write_all(tmp_path)
    (tmp_path / "agents.csv").unlink()
    ds = load_dataset(tmp_path)
    assert ds.rows_quarantined == 0
    assert "agents" in ds.absent


def test_last_activity_is_end_of_last_active_day(tmp_path: Path) -> None:
    write_all(tmp_path)
    # Latest activity: removed_at 2026-10-09 (reviews); due dates and joined_on do not count.
    assert load_dataset(tmp_path).last_activity() == datetime(2026, 10, 9, 23, 59, 59, 999999)


def test_last_activity_without_data_raises(tmp_path: Path) -> None:
    write_table(tmp_path, "agents", GOOD["agents"])
    with pytest.raises(StructuralError, match="no dated activity"):
        load_dataset(tmp_path).last_activity()


def test_write_quarantine_keeps_values_and_source_rows(tmp_path: Path) -> None:
    bad = {**GOOD["fulfilments"][0], "fulfilment_id": "F9", "amount_cny": "12块"}
    write_all(tmp_path / "in", {"fulfilments": [*GOOD["fulfilments"], bad]})
    ds = load_dataset(tmp_path / "in")
    masked = write_quarantine(ds, tmp_path / "masked")
    q = pl.read_csv(masked[TABLES.index("fulfilments")], infer_schema=False)
    assert q["buyer_id"].item() == "b***e"  # a job's copy: masked like every output
    paths = write_quarantine(ds, tmp_path / "out", for_owner=True)
    assert len(paths) == len(TABLES)
    q = pl.read_csv(tmp_path / "out" / "quarantine" / "fulfilments.csv", infer_schema=False)
    assert q.columns[:3] == ["source_file", "source_row", "reasons"]
    assert q.row(0)[:3] == ("fulfilments.csv", "4", "amount_cny: cannot read '12块' as an amount")
    assert q["buyer_id"].item() == "b_one"  # not masked: the owner must find the row
    assert q["amount_cny"].item() == "12块"
    empty = pl.read_csv(tmp_path / "out" / "quarantine" / "agents.csv")
    assert empty.height == 0


def test_snapshot_round_trip(tmp_path: Path) -> None:
    write_all(tmp_path / "in", {"cases": [*GOOD["cases"], {**GOOD["cases"][0], "case_id": "C9",
                                                            "outcome": "won"}]})
    (tmp_path / "in" / "sales_daily.csv").unlink()
    ds = load_dataset(tmp_path / "in")
    write_snapshot(ds, tmp_path / "snap")
    back = load_dataset(tmp_path / "snap", require=["cases"])
    for name in TABLES:
        assert_frame_equal(back.tables[name].collect(), ds.tables[name].collect())
        assert_frame_equal(back.quarantine[name], ds.quarantine[name])
    assert back.reports == ds.reports
    assert back.absent == ds.absent
    assert back.last_activity() == ds.last_activity()
    with pytest.raises(StructuralError, match="required table `sales_daily` is absent"):
        load_dataset(tmp_path / "snap", require=["sales_daily"])


def test_snapshot_loads_without_great_expectations(tmp_path: Path) -> None:
    write_all(tmp_path / "in")
    write_snapshot(load_dataset(tmp_path / "in"), tmp_path / "snap")
    code = textwrap.dedent(f"""
        import sys
        from audit.data.dataset import load_dataset
        ds = load_dataset({str(tmp_path / "snap")!r}, require=["promises"])
        n = ds.tables["promises"].collect().height
        assert n == 2, n
        assert "great_expectations" not in sys.modules, "GX imported"
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


CELLS = {
    "promise_id": st.sampled_from(["P1", "P2", "P3", None, ""]),
    "kind": st.sampled_from(["cash_back", "gift", "返现", "hug", None]),
    "amount_cny": st.sampled_from(["10", "¥5.00", "-1", "12块", None, "  "]),
    "promised_at": st.sampled_from(["2026-10-04 10:00", "2026/10/4", "soon", None]),
    "due_at": st.sampled_from(["2026-10-05", "2026-10-01 00:00", None]),
    "conditional_on_review": st.sampled_from(["是", "false", "maybe", None]),
}


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.fixed_dictionaries(CELLS), min_size=0, max_size=12))
def test_read_equals_valid_plus_quarantined_plus_blank(tmp_path: Path, rows: list[dict]) -> None:
    folder = tmp_path / f"h{abs(hash(str(rows)))}"
    full = [{"case_id": "C1", "agent_id": "A1", **r} for r in rows]
    for r in full[::3]:  # every third row entirely blank, as real exports have them
        for k in r:
            r[k] = None
    write_table(folder, "promises", full)
    ds = load_dataset(folder)
    r = ds.reports["promises"]
    assert r.rows_read == len(rows)
    assert r.rows_read == r.rows_valid + r.rows_quarantined + r.rows_blank
    assert r.rows_blank == len(full[::3]) if rows else r.rows_blank == 0
    assert ds.tables["promises"].collect().height == r.rows_valid
    assert ds.quarantine["promises"].height == r.rows_quarantined
    valid = ds.tables["promises"].collect()
    assert valid["promise_id"].is_unique().all()
    assert valid["promise_id"].null_count() == 0


def test_real_gb18030_export_loads(shared_data: Path) -> None:
    folder = shared_data / "taobao_phone_comments_2019" / "real_export"
    ds = load_dataset(folder, require=["reviews"])
    r = ds.reports["reviews"]
    # Known content of this export (1,731 data lines): 6 fully blank rows, 5 rows whose
    # 评价时间 holds text ("购买时间…": the export shifted a column), the rest valid.
    assert (r.rows_read, r.rows_blank, r.rows_quarantined, r.rows_valid) == (1731, 6, 5, 1720)
    assert r.top_reasons == (("reviewed_at: cannot read the value", 5),)
    valid = ds.tables["reviews"].collect()
    assert valid["rating"].unique().to_list() == ["positive"]
    assert valid["review_id"].is_unique().all()
    assert set(ds.absent) == set(TABLES) - {"reviews"}


def test_demo_data_is_clean(demo_dir: Path) -> None:
    ds = load_dataset(demo_dir)
    for name, r in ds.reports.items():
        assert r.rows_quarantined == 0, (name, r.top_reasons)
        assert not r.absent, name
