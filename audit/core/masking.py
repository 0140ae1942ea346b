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


#: A mobile number inside free text, with a non-digit (or the text's edge) on each side, so the
#: 11 digits are not part of a longer number such as an order id. Rust's regex has no
#: look-around, so the neighbours are captured and put back.
_PHONE_IN_TEXT = r"(^|[^0-9])(1[0-9]{2})[0-9]{4}([0-9]{4})($|[^0-9])"


def scrub_text_expr(column: str) -> pl.Expr:
    """``column`` with every mobile number written inside it masked (``138****5678``).

    Buyers put their phone numbers into reviews, and agents into notes and explanations; a
    free-text column shown in a report must not carry them. Applied twice, so two numbers
    separated by a single character are both caught (each match consumes its neighbours).

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"t": ["call 13812345678 now", "order 1234567890123456", None]})
    >>> df.select(scrub_text_expr("t"))["t"].to_list()
    ['call 138****5678 now', 'order 1234567890123456', None]
    """
    s = pl.col(column)
    for _ in range(2):
        s = s.str.replace_all(_PHONE_IN_TEXT, "${1}${2}****${3}${4}")
    return s.alias(column)


def mask_buyers(frame: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame | pl.DataFrame:
    """``frame`` with buyer identities masked: identity columns, and phone numbers in any text.

    Every buyer-identity column (``BUYER_COLUMNS``) is masked with :func:`mask_expr`; every
    other string column (review text, explanations, details) has mobile numbers masked with
    :func:`scrub_text_expr`.
    """
    schema = frame.collect_schema()
    present = [c for c in BUYER_COLUMNS if c in schema.names()]
    texts = [c for c, t in schema.items() if t == pl.String and c not in present]
    return frame.with_columns(*(mask_expr(c) for c in present),
                              *(scrub_text_expr(c) for c in texts))
