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
        .when(s.str.contains(r"^1\d{2}\*{4}\d{4}$"))  # already masked: every writer masks again
        .then(s)
        .when(n <= 1)
        .then(pl.lit("*"))
        .when(n == 2)  # noqa: PLR2004 - two characters: keep the first only
        .then(s.str.slice(0, 1) + "*")
        .otherwise(s.str.slice(0, 1) + "***" + s.str.slice(-1, 1))
        .alias(column)
    )


#: Between two digits of a phone number as people write it: nothing, or up to two of space,
#: hyphen, dot, slash (ASCII or full-width): ``138-1234-5678``, ``138 1234 5678``,
#: ``138.1234.5678``.
_SEP_CHARS = "[ \t\u00a0\u3000\\-\u2010-\u2015\uff0d.\uff0e/_]{0,2}"
_SEP = f"({_SEP_CHARS})"
#: An optional country code before it: ``+86``, ``0086``, ``(+86)``, ``86`` (full-width too).
_COUNTRY = ("((?:[(\uff08]?(?:[+\uff0b]|00|\uff10\uff10)?(?:86|\uff18\uff16)[)\uff09]?)"
            + _SEP_CHARS + ")?")
#: A Chinese mobile number inside free text, in any of those spellings, with a non-digit (or
#: the text's edge) on each side, so the 11 digits are not part of a longer number such as an
#: order id. ``\d`` is Unicode here, so full-width digits (``１３８…``) count. Rust's regex has
#: no look-around, so the neighbours are captured and put back.
_PHONE_IN_TEXT = ("(^|\\D)" + _COUNTRY + "([1\uff11])" + _SEP + "(\\d)" + _SEP
                  + _SEP.join(["(\\d)"] * 9) + "(\\D|$)")
#: Digits 4-7 become ``*``; everything else (separators, country code, neighbours) stays.
_PHONE_MASKED = ("${1}${2}${3}${4}${5}${6}${7}${8}*${10}*${12}*${14}*${16}"
                 "${17}${18}${19}${20}${21}${22}${23}${24}")
#: An e-mail address (ASCII or full-width ``＠``): the first character of its local part is
#: kept, the rest becomes ``***``, the domain stays (``t***@qq.com``).
_EMAIL = "([A-Za-z0-9_%+\\-])[A-Za-z0-9._%+\\-]*[@\uff20]([A-Za-z0-9\\-]+(?:\\.[A-Za-z0-9\\-]+)+)"


def scrub_text_expr(column: str) -> pl.Expr:
    """``column`` with every phone number and e-mail address written inside it masked.

    Buyers put their phone numbers and e-mails into reviews, and agents into notes and
    explanations; a free-text column shown in a report must not carry them. A phone keeps
    its spelling with digits 4-7 hidden (``138****5678``, ``+86 138-****-5678``,
    ``１３８****５６７８``); an e-mail keeps its first character and domain. Phones are
    replaced twice, so two numbers separated by a single character are both caught (each
    match consumes its neighbours).

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"t": ["call 13812345678 now", "order 1234567890123456", None,
    ...                          "+86 138-1234-5678", "0086 138 1234 5678", "me: li.wei@qq.com"]})
    >>> df.select(scrub_text_expr("t"))["t"].to_list()  # doctest: +NORMALIZE_WHITESPACE
    ['call 138****5678 now', 'order 1234567890123456', None, '+86 138-****-5678',
     '0086 138 **** 5678', 'me: l***@qq.com']
    """
    s = pl.col(column).str.replace_all(_EMAIL, "${1}***@${2}")
    for _ in range(2):
        s = s.str.replace_all(_PHONE_IN_TEXT, _PHONE_MASKED)
    return s.alias(column)


def mask_buyers(frame: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame | pl.DataFrame:
    """``frame`` with buyer identities masked: identity columns, and phone numbers in any text.

    Every buyer-identity column (``BUYER_COLUMNS``) is masked with :func:`mask_expr`; every
    other string column (review text, explanations, details, quarantine reasons) has phone
    numbers and e-mail addresses masked with :func:`scrub_text_expr`.
    """
    schema = frame.collect_schema()
    present = [c for c in BUYER_COLUMNS if c in schema.names()]
    texts = [c for c, t in schema.items() if t == pl.String and c not in present]
    return frame.with_columns(*(mask_expr(c) for c in present),
                              *(scrub_text_expr(c) for c in texts))
