"""Real public Chinese review text (../shared/data) through readers, masking and escaping.

The data are read where they lie and never copied into the repository; every test skips with
a reason when ../shared is absent (the ``shared_data`` fixture).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import polars as pl
import pytest

from audit.core.charts import table_html
from audit.core.masking import scrub_text_expr
from audit.data.dataset import load_dataset

#: Written independently of audit.core.masking: 11 digits starting with 1, no digit either side.
PHONE = re.compile(r"(?<![0-9])1[0-9]{10}(?![0-9])")
#: What the masking also catches (issue 16): phones written with separators or +86, e-mails.
SPELLED_PHONE = re.compile(r"(?<!\d)[1１](?:[ \t\-./_　－．]{0,2}\d){10}(?!\d)")
EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+[@＠][A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")


@pytest.fixture(scope="module")
def real_negative_reviews(shared_data: Path) -> pl.DataFrame:
    """The 31,046 negative reviews of online_shopping_10_cats (label 0), text as published."""
    path = shared_data / "online_shopping_10_cats" / "online_shopping_10_cats.csv"
    df = pl.read_csv(path, schema_overrides={"review": pl.String})
    return df.filter(pl.col("label") == 0).select(pl.col("cat"), pl.col("review").fill_null(""))


@pytest.mark.slow
def test_real_text_survives_a_gb18030_chinese_header_export(
    real_negative_reviews: pl.DataFrame, tmp_path: Path
) -> None:
    """31k real reviews written as a shop would export them come back character for character."""
    n = real_negative_reviews.height
    export = pl.DataFrame({
        "评价ID": [f"R{i:06d}" for i in range(n)],
        "店铺": "S01",
        "订单号": [str(10**15 + i) for i in range(n)],
        "宝贝ID": real_negative_reviews["cat"],
        "买家": [f"tb_{i}" for i in range(n)],
        "评价等级": "差评",
        "评价内容": real_negative_reviews["review"],
        "评价时间": "2026/10/3 20:15:00",
    })
    (tmp_path / "reviews.csv").write_bytes(
        export.write_csv().encode("gb18030", errors="strict"))
    ds = load_dataset(tmp_path, require=["reviews"])
    report = ds.reports["reviews"]
    assert (report.rows_read, report.rows_quarantined) == (n, 0)
    got = ds.tables["reviews"].collect()
    assert got["rating"].unique().to_list() == ["negative"]
    # Empty texts read back as null: compare with that one normalisation only.
    expected = real_negative_reviews["review"].replace("", None)
    assert got["review_text"].to_list() == expected.to_list()


def test_masking_real_text_touches_only_phone_numbers(real_negative_reviews: pl.DataFrame) -> None:
    """Phones (and e-mail addresses, issue 16) are masked; every other review is untouched."""
    texts = real_negative_reviews["review"]
    scrubbed = real_negative_reviews.select(scrub_text_expr("review"))["review"]
    with_phone = 0
    for before, after in zip(texts.to_list(), scrubbed.to_list(), strict=True):
        if EMAIL.search(before):
            assert "***@" in after
            continue
        if SPELLED_PHONE.search(before) and not PHONE.search(before):
            assert "****" in after
            continue
        if not PHONE.search(before):
            assert after == before
        else:
            with_phone += 1
            assert not PHONE.search(after)
            assert len(after) == len(before)
    assert with_phone > 0  # the real data do hold phone-like numbers: the test has teeth


def test_real_text_is_escaped_in_report_tables(real_negative_reviews: pl.DataFrame) -> None:
    """Every cell of a report table reads back as the review, and no review adds markup."""
    sample = real_negative_reviews.head(2000)
    assert sample["review"].str.contains('[<>&"]').sum() > 0  # markup-like text is in there
    page = table_html(sample, max_rows=2000)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", page, flags=re.S)  # cells carry a width class
    assert [html.unescape(c) for c in cells[1::2]] == sample["review"].to_list()
    assert all("<" not in c and ">" not in c for c in cells)
