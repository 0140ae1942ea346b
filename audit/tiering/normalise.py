"""Normalising review text before the lexicon sees it.

Shops get reviews as buyers type them: traditional characters (Hong Kong and Taiwan buyers),
full-width letters and digits from Chinese input methods, pinyin initials and homophones typed to
dodge a word filter (``kd``, ``垃ji``, ``辣鸡``), emoji, and ``！！！！``. The lexicon is written
once, in simplified characters; everything here maps text onto it. Every step is a polars string
expression (Rust), so a million reviews never pass through a Python loop:

- traditional -> simplified is OpenCC's ``t2s`` applied character by character. The character
  table is computed once from OpenCC itself (each CJK code point converted alone) and applied with
  ``str.replace_many``; OpenCC's phrase-level rules are lost, which does not matter for matching
  complaint words (the phrases mostly pick between two simplified spellings of the same word).
- full-width ASCII (U+FF01-U+FF5E, U+3000) -> half-width, then ASCII lower-cased.
- the literal replacements of ``normalise.json`` (dodges, typos, slang, emoji), leftmost-longest.
- runs of the same sentence punctuation collapsed to one.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

import polars as pl

#: CJK blocks whose characters OpenCC may convert (unified ideographs and extension A).
_CJK_RANGES: tuple[tuple[int, int], ...] = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))


def load_json(name: str) -> dict:
    """A data file shipped inside ``audit/tiering/`` (package data, reviewed like code)."""
    return json.loads(resources.files("audit.tiering").joinpath(name).read_text("utf-8"))


@cache
def t2s_table() -> dict[str, str]:
    """Traditional -> simplified, one character at a time, as OpenCC's ``t2s`` converts them.

    Only characters that change are kept (about 2,700).
    """
    import opencc  # noqa: PLC0415 - imported only when a table is first built

    conv = opencc.OpenCC("t2s")
    chars = "".join(chr(c) for lo, hi in _CJK_RANGES for c in range(lo, hi + 1))
    # One call over all characters, separated by newlines, is 20x faster than one call each;
    # OpenCC's phrase rules need adjacent ideographs, which the newlines prevent.
    out = conv.convert("\n".join(chars)).split("\n")
    return {a: b for a, b in zip(chars, out, strict=True) if a != b and len(b) == 1}


@cache
def _width_table() -> dict[str, str]:
    table = {chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)}
    table["\u3000"] = " "
    return table


@cache
def _replacements() -> dict[str, str]:
    spec = load_json("normalise.json")
    return {r["from"]: r["to"] for r in spec["replacements"]}


def normalise_expr(column: str = "text", *, collapse: bool = True) -> pl.Expr:
    """``column`` normalised for matching: simplified, half-width, lower-case, dodges undone.

    Nulls become the empty string, so every review is tiered. ``collapse=False`` leaves
    repeated punctuation as it is (the tiering splits clauses on it and drops empty ones, so it
    skips the nine regex passes).

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"text": ["質量太差！！！", "ＫＤ很慢🐢", None]})
    >>> df.select(normalise_expr("text"))["text"].to_list()
    ['质量太差!', '快递很慢很慢', '']
    """
    s = (
        pl.col(column)
        .cast(pl.String)
        .fill_null("")
        .str.replace_many(_width_table())
        .str.to_lowercase()
        .str.replace_many(t2s_table())
        .str.replace_many(_replacements(), leftmost=True)
    )
    # Rust's regex has no backreference in the pattern, so each mark is collapsed on its own.
    if collapse:
        for mark in ("!", "?", "。", "~", "…", "."):
            s = s.str.replace_all(f"[{mark}]{{2,}}", mark, literal=False)
    return s.alias(column)
