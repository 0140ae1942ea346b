"""The benchmark's DuckDB SQL is the same audit: it agrees with the polars audit row for row."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import polars as pl
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_promises.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_promises", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_duckdb_sql_and_polars_agree_on_seeded_data(bench, tmp_path):
    pytest.importorskip("duckdb")
    data = tmp_path / "data"
    data.mkdir()
    for name, df in bench.make_data(4000, 4800, seed=3).items():
        df.write_parquet(data / f"{name}.parquet")
    for engine in ("polars", "duckdb"):
        (tmp_path / engine).mkdir()
        getattr(bench, f"run_{engine}")(data, tmp_path / engine)
    assert bench._compare(tmp_path / "polars", tmp_path / "duckdb") == {"promises": 0,
                                                                        "payments": 0}
    statuses = pl.read_parquet(tmp_path / "polars" / "promises.parquet")["status"]
    assert statuses.n_unique() >= 4  # the data exercise most statuses
