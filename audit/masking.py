"""Masking buyers' identities (ids, nicknames, phone numbers) before anything leaves the toolkit.

Reports and exports show a buyer the way Taobao shows a nickname (``t***3``): enough for an
agent who has the order at hand to recognise the case, not enough to identify a person.
"""

from __future__ import annotations

import polars as pl

#: Columns that hold a buyer's identity in any canonical or derived frame.
BUYER_COLUMNS: tuple[str, ...] = ("buyer_id", "buyer_nick", "buyer_phone", "phone", "nickname")

_PHONE = r"1\d{10}"


def mask_expr(column: str) -> pl.Expr:
    """Masked version of a string column: first and last character kept, the rest ``***``.

    Mobile numbers keep the Chinese convention (``138****5678``); one- and two-character
    values become ``*`` and ``x*``. Nulls stay null.

    Examples
    --------
    >>> import polars as pl
    >>> pl.DataFrame({"b": ["tb_83921", "13812345678", "ab", None]}).select(mask_expr("b"))
    shape: (4, 1)
    ┌─────────────┐
    │ b           │
    │ ---         │
    │ str         │
    ╞═════════════╡
    │ t***1       │
    │ 138****5678 │
    │ a*          │
    │ null        │
    └─────────────┘
    """
    s = pl.col(column).cast(pl.String)
    n = s.str.len_chars()
    return (
        pl.when(s.str.contains(f"^{_PHONE}$"))
        .then(s.str.slice(0, 3) + "****" + s.str.slice(7, 4))
        .when(n <= 1)
        .then(pl.lit("*"))
        .when(n == 2)  # noqa: PLR2004 - two characters: keep the first only
        .then(s.str.slice(0, 1) + "*")
        .otherwise(s.str.slice(0, 1) + "***" + s.str.slice(-1, 1))
        .alias(column)
    )


def mask_buyers(frame: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame | pl.DataFrame:
    """``frame`` with every buyer-identity column (``BUYER_COLUMNS``) masked."""
    present = [c for c in BUYER_COLUMNS if c in frame.collect_schema().names()]
    return frame.with_columns(mask_expr(c) for c in present)
