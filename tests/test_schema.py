"""The canonical model is internally consistent (other modules trust it blindly)."""

from __future__ import annotations

import polars as pl
import pytest

from audit.data import schema


@pytest.mark.parametrize("name", schema.TABLES)
def test_every_table_has_its_key_columns_required(name: str) -> None:
    spec = schema.table(name)
    assert set(spec.key) <= set(spec.required)
    assert len({c.name for c in spec.columns}) == len(spec.columns)


def test_allowed_sets_only_on_string_columns() -> None:
    for spec in schema.TABLE_SPECS.values():
        for col in spec.columns:
            if col.allowed is not None:
                assert col.dtype == pl.String(), (spec.name, col.name)


def test_unknown_table_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="unknown table `review`; expected one of: agents, reviews"):
        schema.table("review")


def test_empty_frame_has_canonical_schema() -> None:
    df = schema.empty_frame("promises")
    assert df.height == 0
    assert df.schema == pl.Schema(schema.PROMISES.schema)


def test_senior_only_and_non_monetary_are_subsets() -> None:
    assert set(schema.SENIOR_ONLY_CATEGORIES) <= set(schema.CATEGORIES)
    assert set(schema.NON_MONETARY_KINDS) <= set(schema.KINDS)
