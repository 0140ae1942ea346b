"""A quarantine rule in the reader's words: one template per rule kind, the values kept.

The data layer names each problem in plain English (``refund_cny: negative value``) so the
quarantine files and counts read the same in every run; the pack's data-quality table shows
the rule in the report's language. Each pattern below matches one rule kind as the data layer
writes it (:mod:`audit.data.contracts`, :mod:`audit.data.exports`, :mod:`audit.data.dataset`);
columns and tables are named as the manager knows them; a rule no pattern knows stays as
written (the zh pack's Latin-word test then catches it).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import polars as pl

from audit.core.fmt import fmt_count
from audit.core.labels import has_label, label
from audit.data.exports import NOT_UTF8

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from audit.data.dataset import TableReport

_COL = r"(?P<col>[A-Za-z0-9_+]+)"
#: Rule kind -> the pattern of its English rule text.
RULE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(f"^{pattern}$")) for kind, pattern in (
        ("missing", rf"{_COL}: required value is missing"),
        ("missing_when", rf"{_COL}: missing, but required when (?P<cond>.+)"),
        ("duplicate", rf"{_COL}: duplicate value"),
        ("duplicate_combination", rf"{_COL}: duplicate combination"),
        ("not_allowed", rf"{_COL}: value not allowed"),
        ("negative", rf"{_COL}: negative value"),
        ("too_large", rf"{_COL}: absurdly large value"),
        ("out_of_range", rf"{_COL}: out of range"),
        ("earlier", rf"{_COL} is earlier than (?P<other>\w+)"),
        ("less", rf"{_COL} is less than (?P<other>\w+)"),
        ("decimal_comma", rf"{_COL}: decimal comma or ambiguous separators"),
        ("unreadable", rf"{_COL}: cannot read the value"),
        ("after_export", rf"{_COL}: after the export's own date"),
        ("no_parent", rf"{_COL}: no valid (?P<table>\w+) row with this (?P<other>\w+)"),
        ("not_utf8", re.escape(NOT_UTF8)),
        ("breaks", rf"{_COL}: breaks (?P<cond>\w+)"),
    ))


def column_name(column: str, lang: str) -> str:
    """A column as the manager calls it (``col.<c>``, else ``dq.column.<c>``; joined by +)."""
    def one(c: str) -> str:
        for key in (f"col.{c}", f"dq.column.{c}"):
            if has_label(key):
                return label(key, lang)
        return c

    return label("list.separator", lang).join(one(c) for c in column.split("+"))


def rule_words(rule: str, lang: str) -> str:
    """``rule`` (as the data layer writes it) in ``lang``: its kind's template, values kept."""
    for kind, pattern in RULE_PATTERNS:
        match = pattern.match(rule)
        if match:
            parts = match.groupdict()
            values = {"col": column_name(parts.get("col") or "", lang),
                      "other": column_name(parts.get("other") or "", lang),
                      "table": (label(f"dq.table.{parts['table']}", lang)
                                if parts.get("table") and has_label(f"dq.table.{parts['table']}")
                                else parts.get("table") or ""),
                      "cond": parts.get("cond") or ""}
            return label(f"dq.rule.{kind}", lang).format(**values)
    return rule



def reasons_text(top_reasons: Iterable[tuple[str, int]], lang: str) -> str:
    """A table's quarantine rules with their row counts, in ``lang`` (``""`` when none)."""
    return label("list.semicolon", lang).join(f"{rule_words(rule, lang)} ({fmt_count(n, lang)})"
                                             for rule, n in top_reasons)


#: The columns of the pack's ``data/data_quality.csv``: the same in every language (scripts
#: read them); only the reasons, which a person reads, are in the pack's language.
QUALITY_SCHEMA = {"table": pl.String, "file": pl.String, "rows_read": pl.Int64,
                  "rows_valid": pl.Int64, "rows_quarantined": pl.Int64, "rows_blank": pl.Int64,
                  "top_reasons": pl.String}


def quality_frame(reports: Mapping[str, TableReport], lang: str) -> pl.DataFrame:
    """Per table: its file, rows read / valid / quarantined / blank and the reasons in ``lang``."""
    return pl.DataFrame([{"table": n, "file": r.source_file, "rows_read": r.rows_read,
                          "rows_valid": r.rows_valid, "rows_quarantined": r.rows_quarantined,
                          "rows_blank": r.rows_blank,
                          "top_reasons": reasons_text(r.top_reasons, lang)}
                         for n, r in sorted(reports.items())], schema=QUALITY_SCHEMA)
