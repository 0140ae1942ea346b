"""The Spark engine gives every output table of the embedded run, row for row (issue 15).

One local Spark session for the module (``local[2]``, UI off, 2 shuffle partitions, AQE off,
UTC). The reference is the embedded path itself: each job's ``analyse(..., shop=S)`` (what
``review-audit <job> --shop S`` computes) on ``load_dataset`` of the same files, for every
shop, stacked. Skips with a reason where pyspark (the ``spark`` extra) or Java is absent.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

pytest.importorskip("pyspark", reason="pyspark absent: install the `spark` extra")
if shutil.which("java") is None and not Path(__import__("os").environ.get(
        "JAVA_HOME", "/nonexistent"), "bin", "java").exists():
    pytest.skip("Java absent (Spark needs a JVM: apt-get install openjdk-17-jre-headless)",
                allow_module_level=True)

from audit.data.dataset import load_dataset  # noqa: E402
from audit.data.outputs import safe_frame  # noqa: E402
from audit.spark.engine import collect, last_activity, run_per_shop  # noqa: E402
from audit.spark.jobs import JOBS, Params, output_schemas  # noqa: E402
from audit.spark.tables import read_dataset  # noqa: E402

MONTH = "2026-10"
GEN = Path(__file__).resolve().parents[1] / "benchmarks" / "platform_data.py"


@pytest.fixture(scope="module")
def spark():
    from audit.spark.session import spark_session

    session = spark_session("local[2]", partitions=2)
    yield session
    session.stop()


def _platform_data():
    spec = importlib.util.spec_from_file_location("platform_data", GEN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _as_parquet(csv_dir: Path, out: Path) -> Path:
    """The demo's CSV exports as Parquet of text, as a platform would hand them over."""
    out.mkdir()
    for path in csv_dir.glob("*.csv"):
        pl.read_csv(path, infer_schema=False).write_parquet(out / f"{path.stem}.parquet")
    return out


def _embedded(data: Path, as_of, shops: list[str]) -> dict[str, pl.DataFrame]:
    """Every output table of the embedded per-shop runs, with shop_id, stacked."""
    from audit.impact.job import analyse as impact
    from audit.promises.job import analyse as promises
    from audit.resolution.job import OUTPUT_FILES
    from audit.resolution.job import analyse as resolution

    ds = load_dataset(data)
    assert ds.last_activity() == as_of
    out: dict[str, list[pl.DataFrame]] = {}
    for shop in shops:
        run = promises(ds.tables, as_of=as_of, month=MONTH, shop=shop)
        res = resolution(ds.tables, month=MONTH, as_of=as_of, shop=shop).views
        imp = impact(ds.tables, shop=shop)
        tables = {"promise_audit": run.audit.promises.collect(),
                  "payment_audit": run.audit.payments.collect(),
                  "conditional_evidence": run.views.conditional_evidence,
                  "impact_summary": imp.summary, "event_study": imp.event_study}
        tables.update({f.removesuffix(".csv"): getattr(res, k) for k, f in OUTPUT_FILES.items()})
        for name, table_ in tables.items():
            frame = safe_frame(table_, csv=False)  # as every output leaves the toolkit
            if "shop_id" not in frame.columns:
                frame = frame.with_columns(shop_id=pl.lit(shop))
            out.setdefault(name, []).append(frame)
    return {name: pl.concat(frames) for name, frames in out.items()}


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows in one order: ids, statuses and counts first (exact), floats last (they may differ
    in the last bits, which must not reorder rows)."""
    exact = [c for c, d in frame.schema.items() if not d.is_float()]
    floats = [c for c, d in frame.schema.items() if d.is_float()]
    return frame.sort([*exact, *floats], nulls_last=True)


def _assert_identical(spark, spark_dir: Path, embedded_dir: Path) -> dict[str, int]:
    ds = read_dataset(spark, spark_dir)
    as_of = last_activity(ds.tables)
    params = Params(as_of=as_of, month=MONTH)
    schemas = output_schemas(JOBS, params)
    results = {n: collect(f, schemas[n]) for n, f in run_per_shop(ds.tables, JOBS,
                                                                   params).items()}
    shops = sorted(set().union(*[set(r["shop_id"]) for r in results.values()]))
    reference = _embedded(embedded_dir, as_of, shops)
    assert set(results) == set(reference)
    for name, ref in reference.items():
        got = results[name].select(ref.columns)
        assert got.schema == ref.schema, name
        # Exact for ids, statuses and counts; floats to 1e-9.
        assert_frame_equal(_sorted(got), _sorted(ref), check_exact=False, rel_tol=1e-9,
                           abs_tol=1e-9)
    return {name: ref.height for name, ref in reference.items()}


def test_demo_every_table_identical(spark, demo_dir: Path, tmp_path: Path) -> None:
    data = _as_parquet(demo_dir, tmp_path / "pq")
    rows = _assert_identical(spark, data, data)
    assert rows["promise_audit"] > 1000
    assert rows["resolution_by_agent"] > 0
    assert rows["impact_summary"] > 0


def test_200_shops_hive_partitioned_identical(spark, tmp_path: Path) -> None:
    from audit.data.schema import TABLES, table

    hive = tmp_path / "hive"
    _platform_data().generate(hive, shops=200, promises=3000, sales_days=35, chunk_rows=1000,
                              hive=True)
    # The embedded reference reads the same rows as one file per table.
    embedded = tmp_path / "embedded"
    embedded.mkdir()
    for name in TABLES:
        if not (hive / name).exists() and not (hive / f"{name}.parquet").exists():
            continue  # an optional table the platform generator does not write (messages)
        if name == "agents":
            frame = pl.read_parquet(hive / "agents.parquet")
        else:
            key = next((hive / name).iterdir()).name.split("=")[0]  # shop_id or month
            frame = pl.read_parquet(hive / name / "**/*.parquet", hive_partitioning=True,
                                    hive_schema={key: pl.String})
        frame.select(c for c in table(name).schema if c in frame.columns).write_parquet(
            embedded / f"{name}.parquet")
    rows = _assert_identical(spark, hive, embedded)
    assert rows["promise_audit"] == 3000
    assert rows["payment_audit"] > 0


def _bad_inputs(demo_dir: Path, out: Path) -> Path:
    """The demo as Parquet with rows planted that break every kind of rule."""
    data = _as_parquet(demo_dir, out)
    reviews = pl.read_parquet(data / "reviews.parquet")
    first = reviews.row(0, named=True)
    planted = pl.DataFrame([
        {**first},                                                     # duplicate review_id
        {**first, "review_id": "RBAD1", "rating": "great"},            # not in the set
        {**first, "review_id": "RBAD2", "reviewed_at": "yesterday"},  # cannot read
        {**first, "review_id": "RBAD3", "shop_id": None},              # missing
        {k: None for k in first},                                      # fully blank
    ], schema=reviews.schema)
    pl.concat([reviews, planted]).write_parquet(data / "reviews.parquet")
    cases = pl.read_parquet(data / "cases.parquet")
    case = cases.row(0, named=True)
    pl.concat([cases, pl.DataFrame([{**case, "case_id": "CBAD1", "review_id": "NOPE"},
                                    {**case, "case_id": "CBAD2", "review_id": "RBAD1"}],
                                   schema=cases.schema)]).write_parquet(data / "cases.parquet")
    return data


def test_bad_input_same_quarantine(spark, demo_dir: Path, tmp_path: Path) -> None:
    data = _bad_inputs(demo_dir, tmp_path / "bad")
    embedded = load_dataset(data)
    got = read_dataset(spark, data)
    assert embedded.rows_quarantined >= 6
    for name, ref in embedded.reports.items():
        rep = got.reports[name]
        assert (rep.rows_read, rep.rows_valid, rep.rows_quarantined, rep.rows_blank) == (
            ref.rows_read, ref.rows_valid, ref.rows_quarantined, ref.rows_blank), name
        assert rep.rows_read == rep.rows_valid + rep.rows_quarantined + rep.rows_blank
        assert rep.top_reasons == ref.top_reasons, name
        if name in got.quarantine:
            q = got.quarantine[name].toArrow()
            assert_frame_equal(_sorted(pl.from_arrow(q)), _sorted(embedded.quarantine[name]))
    assert got.reports["reviews"].rows_blank == 1


@pytest.mark.slow
def test_platform_command_and_a_shop_pack(spark, demo_dir: Path, tmp_path: Path) -> None:
    """``platform`` writes every table by shop; a shop's pack is built from them without Spark."""
    from typer.testing import CliRunner

    from audit.cli import app
    from audit.spark.engine import read_table

    data = _as_parquet(demo_dir, tmp_path / "pq")
    out = tmp_path / "platform"
    runner = CliRunner()
    result = runner.invoke(app, ["platform", str(data), "--month", MONTH, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (out / "promise_audit").glob("shop_id=*")) == [
        "shop_id=S01", "shop_id=S02", "shop_id=S03"]
    as_of = last_activity(read_dataset(spark, data).tables)
    params = Params(as_of=as_of, month=MONTH)
    schema = output_schemas(JOBS, params)["promise_audit"]
    written = read_table(out / "promise_audit", schema, shops=["S02"])
    embedded = _embedded(data, as_of, ["S01", "S02", "S03"])
    reference = embedded["promise_audit"].filter(pl.col("shop_id") == "S02")
    assert_frame_equal(_sorted(written.select(reference.columns)), _sorted(reference))
    # The pooled impact is the embedded shops' headline rows pooled (audit.impact.pooled).
    from audit.impact.pooled import pooled_summary

    pooled = pl.read_parquet(out / "platform_summary" / "*.parquet")
    assert pooled["n_shops"].max() > 1
    assert_frame_equal(pooled, pooled_summary(embedded["impact_summary"]), check_exact=False,
                       rel_tol=1e-9, abs_tol=1e-9)

    result = runner.invoke(app, ["platform", str(data), "--month", MONTH, "--out", str(out),
                                 "--packs", "S02"])
    assert result.exit_code == 0, result.output
    pack = out / "packs" / "S02" / MONTH
    assert (pack / "index.html").is_file()
    manifest = __import__("json").loads((pack / "manifest.json").read_text("utf-8"))
    assert manifest["parameters"]["shop"] == "S02"


def test_local_session_heap_is_a_third_of_the_ram(spark) -> None:
    """Spark's 1g default ran the resolution job on a 2M-review shop out of heap (benchmark)."""
    from audit.spark.session import local_driver_memory

    assert local_driver_memory(24 * 2**30) == "8g"
    assert local_driver_memory(2 * 2**30) == "1g"  # never below Spark's own default
    assert spark.sparkContext.getConf().get("spark.driver.memory") == local_driver_memory()
